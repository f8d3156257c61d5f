"""The ECR repository and the image: scanned, kept for rollbacks, pinned by digest, or supplied by imageUri."""

from __future__ import annotations

import json

from tests.harness import APP_FIXTURE, Deployment, run_program

PINNED = "public.ecr.aws/docker/library/nginx@sha256:" + "a" * 64


def test_repository_scans_on_push_and_is_encrypted(dev: Deployment) -> None:
    repository = dev.one("aws:ecr/repository:Repository")
    assert repository.inputs["name"] == "library-management-system"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]


def test_lifecycle_policy_keeps_the_newest_twenty_images_the_stack_pushed(dev: Deployment) -> None:
    protect, keep = json.loads(dev.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    pushed = dev.one("docker:index/image:Image").inputs["imageName"].rsplit(":", 1)[1]
    assert [pushed.startswith(p) for p in protect["selection"]["tagPrefixList"]] == [True]  # the stack's own tags
    assert protect["selection"]["countNumber"] == 20
    assert keep["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
    assert protect["rulePriority"] < keep["rulePriority"]


def test_tags_cannot_be_overwritten_and_each_push_has_a_tag_of_its_own(dev: Deployment) -> None:
    # CKV_AWS_51 and FSBP ECR.2 accept only IMMUTABLE; ECR then refuses a push to an existing tag.
    assert dev.one("aws:ecr/repository:Repository").inputs["imageTagMutability"] == "IMMUTABLE"
    first = dev.one("docker:index/image:Image").inputs["imageName"].rsplit(":", 1)[1]
    assert first == dev.outputs["imageTag"]
    again = run_program("dev", stack_outputs={"organization/library-infra/dev": dev.outputs})
    assert again.one("docker:index/image:Image").inputs["imageName"].endswith(f":{first}")  # same sources: no push
    assert again.container()["image"] == dev.container()["image"]


def test_a_repository_is_force_deleted_only_outside_production_and_where_no_stack_promotes_from_it(
    dev: Deployment,
) -> None:
    # Pulumi.prod.yaml promotes from dev, so dev's repository keeps its images when dev is destroyed.
    assert dev.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False
    nobody_promotes_from_prod = run_program("prod", {"imageFromStack": "", "production": False})
    assert nobody_promotes_from_prod.one("aws:ecr/repository:Repository").inputs["forceDelete"] is True
    production = run_program("prod", {"imageFromStack": "", "production": True})
    assert production.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False


def test_image_is_built_for_fargate_x86_from_the_configured_dockerfile(dev: Deployment) -> None:
    image = dev.one("docker:index/image:Image")
    # The Dockerfile is this repository's; pulumi-docker resolves a relative dockerfile from the program's directory.
    assert image.inputs["build"] == {"context": APP_FIXTURE, "dockerfile": "Dockerfile", "platform": "linux/amd64"}
    assert image.inputs["imageName"].rsplit(":", 1)[1].startswith("dev-")  # the stack's tag; what runs is the digest
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}


def test_registry_credentials_come_from_an_ecr_token_for_the_repositorys_registry(dev: Deployment) -> None:
    [token_args] = [a for t, a in dev.calls if t == "aws:ecr/getAuthorizationToken:getAuthorizationToken"]
    assert token_args["registryId"] == dev.one("aws:ecr/repository:Repository").state["registryId"]
    registry = dev.one("docker:index/image:Image").inputs["registry"]
    assert (registry["username"], registry["password"]) == ("AWS", "ecr-token")


def test_image_uri_skips_the_build_and_runs_that_digest() -> None:
    deployment = run_program("dev", {"imageUri": PINNED})
    assert deployment.of_type("docker:index/image:Image") == []
    assert not any(t == "aws:ecr/getAuthorizationToken:getAuthorizationToken" for t, _ in deployment.calls)
    assert deployment.container()["image"] == PINNED
    assert deployment.outputs["imageUri"] == PINNED
    assert deployment.of_type("aws:ecr/repository:Repository") == []  # nothing to push, so no repository
    assert deployment.outputs["repositoryUrl"] == "public.ecr.aws/docker/library/nginx"


def test_image_uri_needs_no_dockerfile() -> None:
    deployment = run_program("dev", {"imageUri": PINNED, "dockerfile": "does/not/exist"})
    assert deployment.container()["image"] == PINNED
