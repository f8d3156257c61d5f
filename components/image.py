"""AppImage: the ECR repository and the image the service runs, pinned by digest.

Unless ``image_uri`` names an image that is already pushed (then nothing is created), creates:
- ecr.Repository ``<name>`` named ``repositoryName``: scan on push, AES-256 encryption, force-delete only when
  ``force_delete`` (never in production, never where another stack promotes from);
- ecr.LifecyclePolicy ``<name>-lifecycle``: never expires the image tagged with the stack name (the one the stack
  last deployed), and keeps the last ``keep_images`` others as rollback targets;
and then either
- docker.Image ``<name>-image``: built from the Dockerfile for the task's platform and pushed with an ECR
  authorization token, tagged with the stack name; or, with ``promote_from`` (another stack's digest-pinned image),
- docker.Provider ``<name>-registry`` (the account's ECR registry, logged in with an authorization token),
  docker.RemoteImage ``<name>-source`` (pulls exactly that digest), docker.Tag ``<name>-tag`` and
  docker.RegistryImage ``<name>-copy`` (pushes it into this stack's repository, tagged with the stack name, kept in
  ECR when replaced): the stack owns what it runs, so the source stack's destroy or lifecycle cannot take it away.
  The copy must have the source's digest, or the deploy stops.

``image_ref`` is ``<repository>@sha256:<digest>`` as the push reported it (or ``image_uri``). A task definition
that uses it can only be registered after the push succeeded, and every new image changes it, so every new
image rolls out. ``repository_url`` is the repository the running image comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker


def lifecycle_policy(stack_tag: str, keep_images: int) -> dict[str, Any]:
    """Rule 1 selects the image tagged ``stack_tag``, the one the stack deployed last (a tag names one image), and
    never expires it; "an image that matches the tagging requirements of a higher priority rule cannot be expired by
    a rule with a lower priority" (Amazon ECR user guide, lifecycle policy evaluation rules). Rule 2 keeps the newest
    ``keep_images`` images (the running one counts among them when it is one of the newest): the rollback targets."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Never expire the image the stack runs (tagged {stack_tag})",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [stack_tag],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_images} images (rollback targets), expire older ones",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


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


@dataclass(frozen=True)
class AppImageArgs:
    repository_name: str
    tag: str
    """Tag pushed alongside the digest (the stack name), for people browsing the repository."""
    context: str = "."
    dockerfile: str = "Dockerfile"
    platform: str = "linux/amd64"
    image_uri: pulumi.Input[str] | None = None
    """Deploy this digest-pinned image (a value) as it is: no repository, no build."""
    promote_from: pulumi.Input[str] | None = None
    """Copy this digest-pinned image (another stack's) into this stack's own repository and deploy the copy."""
    force_delete: bool = False
    """Let `pulumi destroy` delete the repository with its images (dev stacks nobody promotes from)."""
    keep_images: int = 20


class AppImage(pulumi.ComponentResource):
    repository: aws.ecr.Repository | None
    image: docker.Image | None
    copy: docker.RegistryImage | None
    image_ref: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(self, name: str, args: AppImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:image:AppImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.repository = None
        self.image = None
        self.copy = None
        if args.image_uri is not None:
            self.image_ref = pulumi.Output.from_input(args.image_uri)
            self.repository_url = self.image_ref.apply(lambda ref: ref.split("@", 1)[0])
        elif args.promote_from is not None:
            self._own_repository(name, args, child)
            self._copy(name, args, args.promote_from)
        else:
            self._own_repository(name, args, child)
            self._build_and_push(name, args, child)
        self.register_outputs({"imageRef": self.image_ref, "repositoryUrl": self.repository_url})

    def _own_repository(self, name: str, args: AppImageArgs, child: pulumi.ResourceOptions) -> None:
        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
            image_tag_mutability="MUTABLE",  # the stack tag moves; what runs is pinned by digest
            force_delete=args.force_delete,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(lifecycle_policy(args.tag, args.keep_images)),
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
        target = self.repository_url.apply(lambda url: f"{url}:{args.tag}")
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
        self.image = docker.Image(
            f"{name}-image",
            image_name=self.repository.repository_url.apply(lambda url: f"{url}:{args.tag}"),
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
