"""Promotion: a stack can deploy the exact image another stack runs, read through a StackReference."""

from __future__ import annotations

import pytest

from promotion import PromotionError, checked_image
from tests.harness import Deployment, run_program

DEV = "organization/library-infra/dev"


def test_image_from_stack_deploys_that_stacks_digest_and_builds_nothing(dev: Deployment) -> None:
    promoted = run_program(
        "dev",
        {"imageFromStack": "organization/library-infra/qa"},
        stack_outputs={
            "organization/library-infra/qa": dev.outputs,
        },
    )
    assert promoted.container()["image"] == dev.outputs["imageUri"]
    assert promoted.outputs["imageUri"] == dev.outputs["imageUri"]
    assert promoted.of_type("docker:index/image:Image") == []
    assert promoted.of_type("aws:ecr/repository:Repository") == []
    assert promoted.outputs["repositoryUrl"] == dev.outputs["repositoryUrl"]
    assert [(t, i) for t, _, i in promoted.reads] == [("pulumi:pulumi:StackReference", "organization/library-infra/qa")]


def test_a_source_stack_without_an_image_is_a_clear_error() -> None:
    with pytest.raises(Exception, match=r"stack 'organization/library-infra/qa' exports no imageUri; deploy it first"):
        run_program(
            "dev",
            {"imageFromStack": "organization/library-infra/qa"},
            stack_outputs={"organization/library-infra/qa": {"url": "http://x"}},
        )


def test_only_digest_pinned_images_are_promoted() -> None:
    with pytest.raises(PromotionError, match="not repo@sha256:<digest>"):
        checked_image("repo:latest", DEV)
    assert checked_image("repo@sha256:" + "c" * 64, DEV) == "repo@sha256:" + "c" * 64
