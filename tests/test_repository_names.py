"""Repository names never collide: each stack that builds pushes to a repository of its own.

A second stack that created dev's repository would fail with RepositoryAlreadyExistsException, and one that shared it
would let its destroy or lifecycle rule take dev's images away.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stack_support.settings import ConfigError, default_repository_name, parse_settings
from tests.harness import ROOT, run_program
from tests.test_names_fit import rule_for

DEV_REPOSITORY = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["library-infra:repositoryName"]


def _building(stack: str, **overrides: str) -> dict[str, str]:
    # prod as a stack that builds instead of promoting: the stack file's imageFromStack unset.
    return {"imageFromStack": "", "production": "false", **overrides}


def test_two_building_stacks_register_two_different_repositories() -> None:
    dev = run_program("dev").one("aws:ecr/repository:Repository")
    other = run_program("prod", _building("prod")).one("aws:ecr/repository:Repository")
    assert dev.inputs["name"] == DEV_REPOSITORY
    assert other.inputs["name"] == "library-management-system-prod"
    assert other.inputs["name"] != dev.inputs["name"]


def test_a_name_another_stack_of_the_project_creates_is_refused_at_preview() -> None:
    with pytest.raises(ConfigError) as refused:
        run_program("prod", _building("prod", repositoryName=DEV_REPOSITORY), preview=True, cached=False)
    message = str(refused.value)
    assert f"repositoryName='{DEV_REPOSITORY}' is the repository the stack 'dev' creates (Pulumi.dev.yaml)" in message
    assert "remove the key to get this stack's own, library-management-system-prod" in message


def test_stacks_that_build_nothing_own_no_repository_to_collide_with(tmp_path: Path) -> None:
    # local deploys a public image as it is (imageUri): no repository. prod promotes, which copies into its own.
    for name in ("Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.prod.yaml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tests" / "fixtures" / "app", tmp_path / "app")
    settings = parse_settings({"repositoryName": default_repository_name("local")}, "qa", tmp_path)
    assert settings.repository == default_repository_name("local")
    for owner, name in (("dev", DEV_REPOSITORY), ("prod", default_repository_name("prod"))):
        with pytest.raises(ConfigError, match=f"the stack '{owner}' creates"):
            parse_settings({"repositoryName": name}, "qa", tmp_path)


@pytest.mark.parametrize("stack", ["dev", "QA_2", "feature--x.y", "-", "a" * 100])
def test_the_default_name_is_a_valid_ecr_name_for_any_stack_name(stack: str) -> None:
    # The limit and pattern of CreateRepository's repositoryName, read from ECR's API model in botocore.
    assert rule_for("ecr", "CreateRepository", "repositoryName").problems(default_repository_name(stack)) == []
