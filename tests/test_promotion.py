"""Promotion: a stack can deploy the exact image another stack runs, read through a StackReference."""

from __future__ import annotations

import pytest

from stack_support.promotion import PromotionError, checked_image, not_deployed_yet
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
    digest = dev.outputs["imageUri"].split("@")[1]
    own = promoted.one("aws:ecr/repository:Repository").state["repositoryUrl"]
    assert promoted.container()["image"] == f"{own}@{digest}"
    assert promoted.outputs["imageUri"] == f"{own}@{digest}"
    assert promoted.of_type("docker:index/image:Image") == []
    assert promoted.outputs["repositoryUrl"] == own
    assert sorted((t, i) for t, _, i in promoted.reads) == [
        ("pulumi:pulumi:StackReference", "organization/library-infra/dev"),  # its own last outputs: the tag it pushed
        ("pulumi:pulumi:StackReference", "organization/library-infra/qa"),
    ]


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


QA = "organization/library-infra/qa"


def test_an_approved_digest_is_deployed_while_the_source_stack_still_exports_it(dev: Deployment) -> None:
    approved = dev.outputs["imageUri"]
    promoted = run_program("dev", {"imageFromStack": QA, "imageUri": approved}, stack_outputs={QA: dev.outputs})
    assert promoted.container()["image"].split("@")[1] == approved.split("@")[1]
    assert promoted.of_type("docker:index/image:Image") == []


def test_a_source_stack_deployed_again_since_the_approval_stops_the_deploy(dev: Deployment) -> None:
    # While prod of run N waited for approval, dev deployed run N+1's image: approving N must not ship N+1.
    seen = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/library-management-system@sha256:" + "a" * 64
    with pytest.raises(Exception, match=r"imageUri=.*sha256:a{64}' is the image approved for this deploy, but stack"):
        run_program("dev", {"imageFromStack": QA, "imageUri": seen}, stack_outputs={QA: dev.outputs}, cached=False)
    with pytest.raises(Exception, match="is the image approved for this deploy"):
        run_program(
            "dev", {"imageFromStack": QA, "imageUri": seen}, stack_outputs={QA: dev.outputs}, preview=True, cached=False
        )


def test_a_preview_before_the_source_stack_was_ever_deployed_warns_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    preview = run_program("dev", {"imageFromStack": QA}, stack_outputs={QA: {}}, preview=True, cached=False)
    assert preview.container()["image"] == not_deployed_yet(QA)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    [warning] = [w for w in warnings if "exports no imageUri; deploy it first" in w]
    assert "placeholder" in warning
    with pytest.raises(Exception, match="exports no imageUri; deploy it first"):
        run_program("dev", {"imageFromStack": QA}, stack_outputs={QA: {}}, cached=False)


def test_a_promoted_image_is_tagged_with_its_digest_after_the_stacks_last_tag(dev: Deployment) -> None:
    # docs/architecture.md: each push is tagged <stack>-<n>-<identity>, the identity of a copy being its digest; the
    # number follows the stack's last imageTag, and the same digest promoted again keeps its tag (ECR refuses a tag
    # pushed twice to an IMMUTABLE repository).
    digest = dev.outputs["imageUri"].split("@")[1]
    identity = digest.removeprefix("sha256:")[:12]
    own = "organization/library-infra/dev"

    def promote(previous_tag: str | None) -> str:
        outputs = {"organization/library-infra/qa": dev.outputs}
        if previous_tag:
            outputs[own] = {**dev.outputs, "imageTag": previous_tag}
        return str(
            run_program("dev", {"imageFromStack": "organization/library-infra/qa"}, stack_outputs=outputs).outputs[
                "imageTag"
            ]
        )

    assert promote(None) == f"dev-1-{identity}"
    assert promote("dev-4-0123456789ab") == f"dev-5-{identity}"
    assert promote(f"dev-4-{identity}") == f"dev-4-{identity}"
