"""No lifecycle rule and no destroy can take away an image a stack runs.

A small model of the account's ECR registry is filled from what dev and prod register (repository names,
force-delete, lifecycle policies, IMMUTABLE tags, the tags the builds and copies push, each deployment's tag made from
the previous one as the program makes it) and then put through what happens over a year: dev builds again and again,
sometimes back to sources it built before (a revert), prod promotes again and again, sometimes a digest it ran
before, each repository's lifecycle policy runs (ECR's documented evaluation, ``tests/ecr_lifecycle_model.py``), and
dev is destroyed. After each, the image each task definition names, ``<repository>@<digest>``, must still be in the
registry, and so must the one before it, where the deployment circuit breaker rolls a failed deployment back to:
otherwise the next task start (a scale-out, a replaced task, the rollback) fails with CannotPullContainerError. No
push may reuse a tag: an IMMUTABLE repository refuses it (ImageTagAlreadyExistsException), even for the same digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.image import next_tag
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

    immutable: bool = True

    def push(self, digest: str, tag: str) -> None:
        """A push tags the new image. IMMUTABLE: a tag that exists is refused, even on the same digest
        (ImageTagAlreadyExistsException; aws/containers-roadmap#2179). An image already there only gains the tag and
        keeps its push time (the model takes the case least kind to the lifecycle rules)."""
        if self.immutable and any(tag in image.tags for image in self.images):
            raise AssertionError(f"ImageTagAlreadyExistsException: {tag} is already in the repository")
        old = next((i for i in self.images if i.digest == digest), None)
        kept = [
            StoredImage(i.digest, tuple(t for t in i.tags if t != tag), i.pushed_days_ago + 1)
            for i in self.images
            if i.digest != digest
        ]
        if old is not None:
            kept.append(StoredImage(digest, tuple(sorted({*old.tags, tag})), old.pushed_days_ago + 1))
        else:
            kept.append(StoredImage(digest, (tag,), 0.0))
        self.images = kept

    def run_lifecycle(self) -> None:
        gone = expired(self.images, self.policy)
        self.images = [i for i in self.images if i.digest not in gone]

    def holds(self, digest: str) -> bool:
        return any(i.digest == digest for i in self.images)


def _repository(deployment: Deployment) -> tuple[str, Repository]:
    repository = deployment.one("aws:ecr/repository:Repository")
    policy = json.loads(deployment.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    immutable = repository.inputs["imageTagMutability"] == "IMMUTABLE"
    return repository.state["repositoryUrl"], Repository(bool(repository.inputs["forceDelete"]), policy, [], immutable)


def _pushed_tag(deployment: Deployment) -> str:
    pushes = deployment.of_type("docker:index/image:Image") + deployment.of_type(
        "docker:index/registryImage:RegistryImage"
    )
    [push] = pushes
    return str(push.inputs.get("imageName") or push.inputs["name"]).rsplit(":", 1)[1]


class Deploys:
    """One stack's deployments: each tags its image as the program does, from the tag the one before pushed (its
    ``imageTag`` output), and pushes only when that tag is new (an unchanged image is not pushed again)."""

    def __init__(self, stack: str, repository: Repository, first_tag: str) -> None:
        self.stack, self.repository, self.tag = stack, repository, first_tag
        self.running: list[str] = []
        """Digests the stack's task definitions named, oldest first."""

    def deploy(self, identity: str, digest: str) -> None:
        tag = next_tag(self.stack, identity, self.tag)
        if tag != self.tag or not self.running:
            self.repository.push(digest, tag)
        self.tag = tag
        self.running.append(digest)

    def held(self) -> bool:
        """The running image and the rollback target (the one before) are both in the repository."""
        return all(self.repository.holds(d) for d in self.running[-2:])


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
    assert dev_repository.immutable
    assert prod_repository.immutable
    registry = {dev_url: dev_repository, prod_url: prod_repository}
    assert _running(prod)[0] == prod_url  # prod runs from its own repository
    dev_deploys = Deploys("dev", dev_repository, _pushed_tag(dev))
    prod_deploys = Deploys("prod", prod_repository, _pushed_tag(prod))

    sources = [f"sources {n}" for n in range(1, 61)]
    for build, source in enumerate(sources, start=1):
        # Every seventh build reverts to the sources of two builds before (the same content hash); a rebuild is
        # seldom byte-for-byte the same image, so it gets a digest of its own.
        identity = sources[build - 3] if build % 7 == 0 else source
        dev_deploys.deploy(f"sha256:{identity}", _digest(build))
        if build % 3 == 0:  # prod promotes every third build: what dev runs then, digest unchanged
            prod_deploys.deploy(_digest(build), _digest(build))
        if build % 10 == 0 and len(prod_deploys.running) > 2:  # and sometimes goes back to the one before
            earlier = prod_deploys.running[-2]
            prod_deploys.deploy(earlier, earlier)
        for repository in registry.values():
            repository.run_lifecycle()
        assert dev_deploys.held(), f"dev's running image or its rollback target expired after build {build}"
        assert prod_deploys.held(), f"prod's running image or its rollback target expired after build {build}"
        dev_deploys.deploy(f"sha256:{identity}", _digest(build))  # a deploy with nothing changed pushes nothing
        assert dev_deploys.running[-1] == _digest(build)

    # pulumi destroy --stack dev: the repository goes, with its images if force-delete lets it (else it stays).
    if dev_repository.force_delete:
        del registry[dev_url]
    assert prod_deploys.running
    assert registry[prod_url].holds(prod_deploys.running[-1])


def test_rollback_targets_survive_the_lifecycle(stacks: tuple[Deployment, Deployment]) -> None:
    # ECS rolls a failed deployment back to the previous task definition: that image must still be there.
    dev, _ = stacks
    _, repository = _repository(dev)
    deploys = Deploys("dev", repository, _pushed_tag(dev))
    for build in range(1, 41):
        deploys.deploy(_digest(build), _digest(build))
        repository.run_lifecycle()
    assert repository.holds(_digest(40))
    assert repository.holds(_digest(39))
    keep = repository.policy["rules"][0]["selection"]["countNumber"]
    assert [repository.holds(_digest(b)) for b in range(41 - keep, 41)] == [True] * keep
    assert not repository.holds(_digest(40 - keep))


def test_an_immutable_repository_refuses_a_tag_pushed_again_so_the_program_never_pushes_one_twice(
    stacks: tuple[Deployment, Deployment],
) -> None:
    dev, _ = stacks
    _, repository = _repository(dev)
    repository.push(_digest(1), "dev-1-aaaaaaaaaaaa")
    with pytest.raises(AssertionError, match="ImageTagAlreadyExistsException"):
        repository.push(_digest(1), "dev-1-aaaaaaaaaaaa")  # even the same digest
    tags = ["dev-1-aaaaaaaaaaaa"]
    for identity in ("b", "a", "b", "b", "a"):  # back and forth between two sources, and one unchanged deploy
        tags.append(next_tag("dev", identity * 64, tags[-1]))
    assert tags == [
        "dev-1-aaaaaaaaaaaa",
        "dev-2-bbbbbbbbbbbb",
        "dev-3-aaaaaaaaaaaa",
        "dev-4-bbbbbbbbbbbb",
        "dev-4-bbbbbbbbbbbb",  # unchanged: the same tag, nothing pushed
        "dev-5-aaaaaaaaaaaa",
    ]


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
    shared = Repository(force_delete=True, policy=old, immutable=False)  # before tags were immutable
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
