"""AppImage: the ECR repository and the image the service runs, pinned by digest.

Creates, unless ``image_uri`` names an image that is already pushed (then nothing is created):
- ecr.Repository ``<name>`` named ``repositoryName``: scan on push, AES-256 encryption, force-delete only
  outside production;
- ecr.LifecyclePolicy ``<name>-lifecycle``: keeps the last ``keep_images`` images, whatever their tags, so a
  rollback target is never expired;
- docker.Image ``<name>-image``: built from the Dockerfile for the task's platform and pushed with an ECR
  authorization token, tagged with the stack name.

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


def lifecycle_policy(keep_images: int) -> dict[str, Any]:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep the last {keep_images} images (rollback targets), expire older ones",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            }
        ]
    }


@dataclass(frozen=True)
class AppImageArgs:
    repository_name: str
    tag: str
    """Tag pushed alongside the digest (the stack name), for people browsing the repository."""
    context: str = "."
    dockerfile: str = "Dockerfile"
    platform: str = "linux/amd64"
    image_uri: pulumi.Input[str] | None = None
    """Deploy this digest-pinned image (a value, or another stack's output) instead of building one."""
    production: bool = False
    keep_images: int = 20


class AppImage(pulumi.ComponentResource):
    repository: aws.ecr.Repository | None
    image: docker.Image | None
    image_ref: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(self, name: str, args: AppImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:image:AppImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.repository = None
        self.image = None
        if args.image_uri is not None:
            self.image_ref = pulumi.Output.from_input(args.image_uri)
            self.repository_url = self.image_ref.apply(lambda ref: ref.split("@", 1)[0])
        else:
            self._build_and_push(name, args, child)
        self.register_outputs({"imageRef": self.image_ref, "repositoryUrl": self.repository_url})

    def _build_and_push(self, name: str, args: AppImageArgs, child: pulumi.ResourceOptions) -> None:
        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
            image_tag_mutability="MUTABLE",  # the stack tag moves; what runs is pinned by digest
            force_delete=not args.production,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(lifecycle_policy(args.keep_images)),
            opts=child,
        )
        self.repository_url = self.repository.repository_url
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
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
