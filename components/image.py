"""AppImage: the ECR repository and the image the service runs, pinned by digest.

Unless ``image_uri`` names an image that is already pushed (then nothing is created), creates:
- ecr.Repository ``<name>`` named ``repositoryName``: scan on push, IMMUTABLE tags (a pushed tag can never be moved
  to another image), encrypted with ``kms_key_arn`` (else AES-256; an existing repository keeps the encryption it
  was created with, since ECR cannot change it), force-delete only when ``force_delete`` (never in production, never
  where another stack promotes from);
- ecr.LifecyclePolicy ``<name>-lifecycle``: keeps the newest ``keep_images`` images the stack pushed (its tag
  prefix): the running one, always the newest, and the rollback targets; any other image once newer ones outnumber
  them (:func:`lifecycle_policy`);
and then either
- docker.Image ``<name>-image``: built from the Dockerfile for the task's platform and pushed with an ECR
  authorization token; or, with ``promote_from`` (another stack's digest-pinned image),
- docker.Provider ``<name>-registry`` (the account's ECR registry, logged in with an authorization token),
  docker.RemoteImage ``<name>-source`` (pulls exactly that digest), docker.Tag ``<name>-tag`` and
  docker.RegistryImage ``<name>-copy`` (pushes it into this stack's repository, kept in ECR when replaced): the stack
  owns what it runs, so the source stack's destroy or lifecycle cannot take it away. The copy must have the source's
  digest, or the deploy stops.

Every push carries a tag no earlier push of the stack used (:func:`next_tag`): ``<stack>-<n>-<identity>``, where the
identity is the build's content hash (the Dockerfile, the platform and every file it copies) or the promoted digest.
An unchanged identity keeps the previous deployment's tag, so nothing is built or pushed again; a changed one, even
back to an earlier identity (a reverted commit), takes the next number, because ECR refuses to push a tag that
already exists in an IMMUTABLE repository, even for the same digest.

``image_ref`` is ``<repository>@sha256:<digest>`` as the push reported it (or ``image_uri``). A task definition
that uses it can only be registered after the push succeeded, and every new image changes it, so every new
image rolls out. ``repository_url`` is the repository the running image comes from; ``tag`` the tag pushed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker


def lifecycle_policy(tag_prefix: str, keep_images: int) -> dict[str, Any]:
    """Rule 1 selects the images the stack pushed (tags starting ``tag_prefix``) and keeps the newest
    ``keep_images``: every deploy pushes the image it runs under a new tag, so the running image is the newest and the
    ones before it, the rollback targets, follow; "an image that matches the tagging requirements of a higher priority
    rule cannot be expired by a rule with a lower priority" (Amazon ECR user guide, lifecycle policy evaluation
    rules). Rule 2 expires any other image (pushed by hand, or tagged before tags were unique) once ``keep_images``
    newer ones exist."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep the newest {keep_images} images the stack pushed ({tag_prefix}*): the running "
                "one and its rollback targets",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [tag_prefix],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_images,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Expire any other image once {keep_images} newer ones exist",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


# How much of the identity (a SHA-256 in hex) a tag shows: 48 bits, as git's short hashes grow to, and well inside
# ECR's 300-character tags.
IDENTITY_CHARS = 12


def tag_prefix(stack: str) -> str:
    """What every tag the stack pushes starts with."""
    return f"{stack}-"


def next_tag(stack: str, identity: str, previous: str | None) -> str:
    """The tag of this deployment's image: ``previous`` when it names the same identity (nothing new to push), else
    ``<stack>-<n+1>-<identity>``, a tag the stack never pushed (``n`` from ``previous``, 0 without one)."""
    short = identity.removeprefix("sha256:")[:IDENTITY_CHARS]
    number = 0
    if previous and previous.startswith(tag_prefix(stack)):
        counter, _, previous_identity = previous.removeprefix(tag_prefix(stack)).partition("-")
        if previous_identity == short:
            return previous
        number = int(counter) if counter.isdigit() else 0
    return f"{tag_prefix(stack)}{number + 1}-{short}"


class CopyError(ValueError):
    pass


def checked_copy(source: str, pushed_digest: str, repository_url: str) -> str:
    """``<repository>@<digest>`` of the copy, which must be the source's digest: what was tested is what runs."""
    if "@" not in source:
        # A preview's placeholder for a source stack never deployed (stack_support/promotion.py); up refuses it.
        return source
    digest = source.split("@", 1)[1]
    if pushed_digest != digest:
        raise CopyError(
            f"copying {source} into {repository_url} gave {pushed_digest}, not {digest}: the registry holds another "
            "manifest, so prod would not run what dev ran. Check the Docker engine's image store (a converted "
            "manifest) and deploy again"
        )
    return f"{repository_url}@{digest}"


@dataclass(frozen=True, kw_only=True)
class AppImageArgs:
    repository_name: str
    stack: str
    """Every tag the stack pushes starts with ``<stack>-`` (:func:`next_tag`)."""
    content_hash: str = ""
    """The build's identity (stack_support/app_source.py, content_hash): unchanged, nothing is built again."""
    previous_tag: pulumi.Input[str | None] = None
    """The tag the stack's previous deployment pushed (its ``imageTag`` output); None for a new stack."""
    kms_key_arn: pulumi.Input[str] | None = None
    """The customer managed key that encrypts a new repository; None: AES-256."""
    context: str
    dockerfile: str
    platform: str
    image_uri: pulumi.Input[str] | None = None
    """Deploy this digest-pinned image (a value) as it is: no repository, no build."""
    promote_from: pulumi.Input[str] | None = None
    """Copy this digest-pinned image (another stack's) into this stack's own repository and deploy the copy."""
    force_delete: bool
    """Let `pulumi destroy` delete the repository with its images (dev stacks nobody promotes from)."""
    keep_images: int = 20


class AppImage(pulumi.ComponentResource):
    repository: aws.ecr.Repository | None
    image: docker.Image | None
    copy: docker.RegistryImage | None
    image_ref: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    tag: pulumi.Output[str | None]

    def __init__(self, name: str, args: AppImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:image:AppImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.repository = None
        self.image = None
        self.copy = None
        self.tag = pulumi.Output.from_input(None)
        if args.image_uri is not None:
            self.image_ref = pulumi.Output.from_input(args.image_uri)
            self.repository_url = self.image_ref.apply(lambda ref: ref.split("@", 1)[0])
        elif args.promote_from is not None:
            self._own_repository(name, args, child)
            self._copy(name, args, args.promote_from)
        else:
            self._own_repository(name, args, child)
            self._build_and_push(name, args, child)
        self.register_outputs({"imageRef": self.image_ref, "repositoryUrl": self.repository_url, "tag": self.tag})

    def _own_repository(self, name: str, args: AppImageArgs, child: pulumi.ResourceOptions) -> None:
        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
                if args.kms_key_arn is not None
                else aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
            ],
            # CKV_AWS_51 / FSBP ECR.2: a pushed tag never moves; every push has a tag of its own (next_tag).
            image_tag_mutability="IMMUTABLE",
            force_delete=args.force_delete,
            # ECR cannot change a repository's encryption: a change would replace the repository and lose (or fail
            # on) its images. An existing repository keeps its encryption; docs/troubleshooting.md moves it to KMS.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["encryptionConfigurations"]),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(lifecycle_policy(tag_prefix(args.stack), args.keep_images)),
            opts=child,
        )
        self.repository_url = self.repository.repository_url

    def _token(self) -> Any:
        assert self.repository is not None
        return aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )

    def _copy(self, name: str, args: AppImageArgs, source: pulumi.Input[str]) -> None:
        """Pull the source digest, tag it into this stack's repository and push it there (no build)."""
        token = self._token()
        registry = docker.Provider(
            f"{name}-registry",
            registry_auth=[
                docker.ProviderRegistryAuthArgs(
                    address=self.repository_url.apply(lambda url: url.split("/", 1)[0]),
                    username=token.user_name,
                    password=pulumi.Output.secret(token.password),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        with_registry = pulumi.ResourceOptions(parent=self, provider=registry)
        source_ref = pulumi.Output.from_input(source)
        digest = source_ref.apply(lambda ref: ref.split("@", 1)[-1])
        pulled = docker.RemoteImage(
            f"{name}-source", name=source_ref, platform=args.platform, keep_locally=False, opts=with_registry
        )
        # The copy's identity is the digest: promoting it again keeps the tag, another digest takes the next one.
        # (A preview's placeholder for a source never deployed has no digest yet.)
        self.tag = pulumi.Output.all(digest, args.previous_tag).apply(
            lambda a: next_tag(args.stack, str(a[0]) if str(a[0]).startswith("sha256:") else "pending", a[1])
        )
        target = pulumi.Output.all(self.repository_url, self.tag).apply(lambda a: f"{a[0]}:{a[1]}")
        tagged = docker.Tag(
            f"{name}-tag",
            source_image=pulled.repo_digest,
            target_image=target,
            tag_triggers=[digest],
            opts=with_registry,
        )
        self.copy = docker.RegistryImage(
            f"{name}-copy",
            name=tagged.target_image,
            # A new digest replaces the resource (a new push); the replaced one stays in ECR, where the lifecycle
            # rule keeps it as a rollback target, instead of being deleted while tasks may still run it.
            triggers={"digest": digest},
            keep_remotely=True,
            opts=with_registry,
        )
        self.image_ref = pulumi.Output.all(source_ref, self.copy.sha256_digest, self.repository_url).apply(
            lambda a: checked_copy(a[0], a[1], a[2])
        )

    def _build_and_push(self, name: str, args: AppImageArgs, child: pulumi.ResourceOptions) -> None:
        assert self.repository is not None
        token = self._token()
        self.tag = pulumi.Output.from_input(args.previous_tag).apply(
            lambda previous: next_tag(args.stack, args.content_hash, previous)
        )
        self.image = docker.Image(
            f"{name}-image",
            image_name=pulumi.Output.all(self.repository.repository_url, self.tag).apply(lambda a: f"{a[0]}:{a[1]}"),
            build=docker.DockerBuildArgs(
                context=args.context,
                dockerfile=args.dockerfile,
                platform=args.platform,
            ),
            registry=docker.RegistryArgs(
                server=self.repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )
        self.image_ref = self.image.repo_digest
