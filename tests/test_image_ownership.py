"""No lifecycle rule and no destroy can take away an image a stack runs.

A small model of the account's ECR registry is filled from what dev and prod register (repository names,
force-delete, lifecycle policies, the tags the builds and copies push) and then put through what happens over a
year: dev builds again and again, prod promotes again and again, each repository's lifecycle policy runs (ECR's
documented evaluation, ``tests/ecr_lifecycle_model.py``), and dev is destroyed. After each, the image each task
definition names, ``<repository>@<digest>``, must still be in the registry: otherwise the next task start (a
scale-out, a replaced task) fails with CannotPullContainerError.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.ecr_lifecycle_model import StoredImage, expired
from tests.harness import Deployment, run_program

DEV = "organization/library-infra/dev"


def _digest(n: int) -> str:
    return "sha256:" + hashlib.sha256(f"build {n}".encode()).hexdigest()


@dataclass
class Repository:
    force_delete: bool
    policy: Mapping[str, Any]
    images: list[StoredImage] = field(default_factory=list)

    def push(self, digest: str, tag: str) -> None:
        """A push moves the tag to the new image; an image already there only gains it (ECR, PutImage)."""
        kept = []
        for image in self.images:
            tags = tuple(t for t in image.tags if t != tag)
            if image.digest != digest:
                kept.append(StoredImage(image.digest, tags, image.pushed_days_ago + 1))
        old = next((i for i in self.images if i.digest == digest), None)
        kept.append(StoredImage(digest, tuple(sorted({*(old.tags if old else ()), tag})), 0.0))
        self.images = kept

    def run_lifecycle(self) -> None:
        gone = expired(self.images, self.policy)
        self.images = [i for i in self.images if i.digest not in gone]

    def holds(self, digest: str) -> bool:
        return any(i.digest == digest for i in self.images)


def _repository(deployment: Deployment) -> tuple[str, Repository]:
    repository = deployment.one("aws:ecr/repository:Repository")
    policy = json.loads(deployment.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    return repository.state["repositoryUrl"], Repository(bool(repository.inputs["forceDelete"]), policy)


def _pushed_tag(deployment: Deployment) -> str:
    pushes = deployment.of_type("docker:index/image:Image") + deployment.of_type(
        "docker:index/registryImage:RegistryImage"
    )
    [push] = pushes
    return str(push.inputs.get("imageName") or push.inputs["name"]).rsplit(":", 1)[1]


@pytest.fixture(scope="module")
def stacks(dev: Deployment) -> tuple[Deployment, Deployment]:
    return dev, run_program("prod", stack_outputs={DEV: dev.outputs})


def _running(deployment: Deployment) -> tuple[str, str]:
    repository, digest = deployment.container()["image"].split("@")
    return repository, digest


def test_a_year_of_builds_promotions_lifecycle_runs_and_dev_destroyed_leave_every_running_image(
    stacks: tuple[Deployment, Deployment],
) -> None:
    dev, prod = stacks
    dev_url, dev_repository = _repository(dev)
    prod_url, prod_repository = _repository(prod)
    registry = {dev_url: dev_repository, prod_url: prod_repository}
    dev_tag, prod_tag = _pushed_tag(dev), _pushed_tag(prod)
    assert _running(prod)[0] == prod_url  # prod runs from its own repository

    promoted = None
    for build in range(1, 61):
        dev_repository.push(_digest(build), dev_tag)
        if build % 3 == 0:  # prod promotes every third build: what dev runs then, digest unchanged
            promoted = _digest(build)
            prod_repository.push(promoted, prod_tag)
        for repository in registry.values():
            repository.run_lifecycle()
        assert dev_repository.holds(_digest(build)), f"dev's running image expired after build {build}"
        if promoted:
            assert prod_repository.holds(promoted), f"prod's running image expired after build {build}"

    # pulumi destroy --stack dev: the repository goes, with its images if force-delete lets it (else it stays).
    if dev_repository.force_delete:
        del registry[dev_url]
    assert promoted is not None
    assert registry[prod_url].holds(promoted)


def test_rollback_targets_survive_the_lifecycle(stacks: tuple[Deployment, Deployment]) -> None:
    # ECS rolls a failed deployment back to the previous task definition: that image must still be there.
    dev, _ = stacks
    _, repository = _repository(dev)
    tag = _pushed_tag(dev)
    for build in range(1, 41):
        repository.push(_digest(build), tag)
        repository.run_lifecycle()
    assert repository.holds(_digest(40))
    assert repository.holds(_digest(39))


def test_a_lifecycle_rule_without_the_protection_would_expire_a_running_image(
    stacks: tuple[Deployment, Deployment],
) -> None:
    # The old rule (keep the last 20, whatever their tags) against prod running an image promoted long ago while
    # dev kept building into a shared repository: the test above would catch it.
    old = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
                "action": {"type": "expire"},
            }
        ]
    }
    shared = Repository(force_delete=True, policy=old)
    shared.push(_digest(0), "prod")
    for build in range(1, 31):
        shared.push(_digest(build), "dev")
    shared.run_lifecycle()
    assert not shared.holds(_digest(0))


def test_a_copy_whose_digest_differs_from_the_source_stops_the_deploy() -> None:
    from components.image import CopyError, checked_copy

    source = "1.dkr.ecr.r.amazonaws.com/app@sha256:" + "a" * 64
    prod = "1.dkr.ecr.r.amazonaws.com/app-prod"
    assert checked_copy(source, "sha256:" + "a" * 64, prod) == f"{prod}@sha256:{'a' * 64}"
    with pytest.raises(CopyError, match="prod would not run what dev ran"):
        checked_copy(source, "sha256:" + "b" * 64, prod)
