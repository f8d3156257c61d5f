"""The scripts in .github/scripts against tests/fake_gh.py, a `gh api` that serves a repository from a JSON file.

setup-environments.sh must leave dev and prod admitting only the deploy branch (prod with required reviewers) and be
safe to run twice; require-protected-environment.sh must fail closed on every way an environment can be missing or
loose; preview-failed-comment.sh must turn this stack's pulumi/actions comment into a failure notice.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / ".github" / "scripts"
FAKE_GH = Path(__file__).resolve().with_name("fake_gh.py")
REPO = "octo/infra"
CUSTOM = {"protected_branches": False, "custom_branch_policies": True}
HEADING_DEV = "#### :tropical_drink: `preview` on library-infra/dev"
SUMMARY = "<summary>Pulumi report</summary>"
RUN_URL = "https://github.com/octo/infra/actions/runs/42"
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"


# The scripts use jq as GitHub's runners do; this machine kind has it too (/usr/bin/jq).
if shutil.which("jq") is None:
    pytest.fail("jq is missing: the .github/scripts tests run the real jq (apt-get install jq)", pytrace=False)


class FakeGitHub:
    """The state file fake_gh.py serves, and a runner for the scripts with the fake first on PATH."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.state_file = tmp_path / "github.json"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        gh = bin_dir / "gh"
        gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{FAKE_GH}" "$@"\n')
        gh.chmod(0o755)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", GH_TOKEN="fake", FAKE_GH_STATE=str(self.state_file)
        )
        self.save(
            {
                "repository": REPO,
                "private": False,
                "plan": "free",
                "users": {"alice": 101, "bob": 102},
                "teams": {"octo/deployers": 201},
                "environments": {},
                "branch_policies": {},
                "comments": {},
            }
        )

    def load(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def save(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def update(self, **changes: Any) -> None:
        self.save({**self.load(), **changes})

    def calls(self) -> list[dict[str, Any]]:
        return list(self.load().get("calls", []))

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPTS / script), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def github(tmp_path: Path) -> FakeGitHub:
    return FakeGitHub(tmp_path)


def protected(github: FakeGitHub) -> None:
    """The repository as setup-environments.sh leaves it: dev and prod admit main only, prod has reviewers."""
    github.update(
        environments={
            "dev": {"deployment_branch_policy": CUSTOM},
            "prod": {
                "deployment_branch_policy": CUSTOM,
                "reviewers": [{"type": "User", "id": 101}],
                "prevent_self_review": True,
            },
        },
        branch_policies={
            "dev": [{"id": 1, "name": "main", "type": "branch"}],
            "prod": [{"id": 2, "name": "main", "type": "branch"}],
        },
    )


def test_scripts_are_strict_executable_bash() -> None:
    for name in ("setup-environments.sh", "require-protected-environment.sh", "preview-failed-comment.sh"):
        script = SCRIPTS / name
        assert script.stat().st_mode & stat.S_IXUSR, f"{name} is not executable"
        lines = script.read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert "set -euo pipefail" in lines


# setup-environments.sh


def test_setup_creates_dev_and_prod_then_changes_nothing_on_a_second_run(github: FakeGitHub) -> None:
    args = (REPO, "main", "user:alice", "team:octo/deployers")
    first = github.run("setup-environments.sh", *args)
    assert first.returncode == 0, first.stdout + first.stderr
    state = github.load()
    dev, prod = state["environments"]["dev"], state["environments"]["prod"]
    assert dev["deployment_branch_policy"] == CUSTOM
    assert not dev.get("reviewers")
    assert prod["deployment_branch_policy"] == CUSTOM
    assert sorted(prod["reviewers"], key=lambda r: r["id"]) == [
        {"type": "User", "id": 101},
        {"type": "Team", "id": 201},
    ]
    assert prod["prevent_self_review"] is True
    policies = state["branch_policies"]
    assert [(p["name"], p["type"]) for p in policies["dev"]] == [("main", "branch")]
    assert [(p["name"], p["type"]) for p in policies["prod"]] == [("main", "branch")]
    # It ends by checking both environments the way the deploy jobs do.
    gets = [c["path"] for c in state["calls"] if c["method"] == "GET"]
    assert f"repos/{REPO}/environments/dev" in gets
    assert f"repos/{REPO}/environments/prod" in gets

    second = github.run("setup-environments.sh", *args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already there" in second.stdout
    again = github.load()
    assert again["environments"] == state["environments"]
    assert again["branch_policies"] == policies  # same rules, same ids: nothing added, nothing replaced
    posts = [c for c in again["calls"] if c["method"] == "POST"]
    assert len(posts) == 2  # one branch rule per environment, both from the first run
    assert not [c for c in again["calls"] if c["method"] == "DELETE"]


def test_setup_uses_the_environment_names_given_and_removes_rules_for_other_refs(github: FakeGitHub) -> None:
    github.update(
        environments={"staging": {"deployment_branch_policy": CUSTOM}},
        branch_policies={
            "staging": [
                {"id": 5, "name": "release/*", "type": "branch"},
                {"id": 6, "name": "main", "type": "branch"},
                {"id": 7, "name": "main", "type": "tag"},
            ]
        },
    )
    result = github.run(
        "setup-environments.sh", REPO, "main", "user:bob", DEV_ENVIRONMENT="staging", PROD_ENVIRONMENT="production"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    state = github.load()
    assert set(state["environments"]) == {"staging", "production"}
    assert state["branch_policies"]["staging"] == [{"id": 6, "name": "main", "type": "branch"}]
    assert [p["name"] for p in state["branch_policies"]["production"]] == ["main"]
    assert state["environments"]["production"]["reviewers"] == [{"type": "User", "id": 102}]


def test_setup_needs_a_reviewer(github: FakeGitHub) -> None:
    result = github.run("setup-environments.sh", REPO, "main")
    assert result.returncode != 0
    assert "no reviewer given" in result.stderr
    assert github.calls() == []


def test_setup_names_a_reviewer_github_does_not_know(github: FakeGitHub) -> None:
    result = github.run("setup-environments.sh", REPO, "main", "user:mallory")
    assert result.returncode == 1
    assert "no GitHub user 'mallory'" in result.stderr
    assert github.load()["environments"] == {}


def test_setup_explains_the_plan_when_github_refuses_prod_reviewers(github: FakeGitHub) -> None:
    github.update(private=True, plan="team")
    result = github.run("setup-environments.sh", REPO, "main", "user:alice")
    assert result.returncode == 1
    assert "HTTP 422" in result.stderr  # gh's own line, then the explanation
    assert "required reviewers need GitHub Enterprise" in result.stderr
    assert "private or internal repository" in result.stderr
    state = github.load()
    assert "prod" not in state["environments"]
    assert state["environments"]["dev"]["deployment_branch_policy"] == CUSTOM  # Team does have branch rules


# require-protected-environment.sh


@pytest.mark.parametrize(("environment", "flags"), [("dev", []), ("prod", ["--reviewers"])])
def test_require_passes_on_a_set_up_repository(github: FakeGitHub, environment: str, flags: list[str]) -> None:
    protected(github)
    result = github.run("require-protected-environment.sh", REPO, environment, "main", *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout


def test_require_accepts_protected_branches_only(github: FakeGitHub) -> None:
    protected(github)
    state = github.load()
    state["environments"]["dev"]["deployment_branch_policy"] = {
        "protected_branches": True,
        "custom_branch_policies": False,
    }
    github.save(state)
    result = github.run("require-protected-environment.sh", REPO, "dev", "main")
    assert result.returncode == 0, result.stdout + result.stderr


def _missing(state: dict[str, Any]) -> None:
    del state["environments"]["prod"]
    del state["branch_policies"]["prod"]


def _no_branch_policy(state: dict[str, Any]) -> None:
    state["environments"]["prod"]["deployment_branch_policy"] = None
    del state["branch_policies"]["prod"]


def _other_branch(state: dict[str, Any]) -> None:
    state["branch_policies"]["prod"] = [{"id": 9, "name": "release/*", "type": "branch"}]


def _main_and_another(state: dict[str, Any]) -> None:
    state["branch_policies"]["prod"].append({"id": 9, "name": "feature/x", "type": "branch"})


def _no_branch_rule(state: dict[str, Any]) -> None:
    state["branch_policies"]["prod"] = []


def _no_reviewers(state: dict[str, Any]) -> None:
    del state["environments"]["prod"]["reviewers"]


@pytest.mark.parametrize(
    ("break_it", "says"),
    [
        (_missing, "does not exist"),
        (_no_branch_policy, "no deployment branch policy"),
        (_other_branch, "other than 'main': branch release/*"),
        (_main_and_another, "other than 'main': branch feature/x"),
        (_no_branch_rule, "no branch rule"),
        (_no_reviewers, "no required reviewers"),
    ],
)
def test_require_fails_closed(github: FakeGitHub, break_it: Callable[[dict[str, Any]], None], says: str) -> None:
    protected(github)
    state = github.load()
    break_it(state)
    github.save(state)
    result = github.run("require-protected-environment.sh", REPO, "prod", "main", "--reviewers")
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error title=")]
    assert len(errors) == 1, result.stdout
    assert says in errors[0]
    assert "setup-environments.sh" in errors[0]
    assert f"https://github.com/{REPO}/settings/environments" in errors[0]


def test_require_without_reviewers_flag_ignores_reviewers(github: FakeGitHub) -> None:
    protected(github)
    state = github.load()
    _no_reviewers(state)
    github.save(state)
    assert github.run("require-protected-environment.sh", REPO, "prod", "main").returncode == 0


# preview-failed-comment.sh


def pulumi_comment(comment_id: int, stack: str) -> dict[str, Any]:
    """A comment as pulumi/actions v7 writes it (src/libs/pr.ts)."""
    body = (
        f"#### :tropical_drink: `preview` on library-infra/{stack}\n\n<details>\n{SUMMARY}\n\n<pre>\n"
        "Resources:\n    3 unchanged\n</pre>\n\n</details>"
    )
    return {"id": comment_id, "body": body, "user": {"login": "github-actions[bot]"}}


def run_comment(github: FakeGitHub) -> subprocess.CompletedProcess[str]:
    event = github.tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD_SHA}}}))
    return github.run(
        "preview-failed-comment.sh",
        REPOSITORY=REPO,
        PR_NUMBER="7",
        PROJECT="library-infra",
        STACK="dev",
        RUN_URL=RUN_URL,
        GITHUB_EVENT_PATH=str(event),
    )


def assert_failure_notice(body: str) -> None:
    # pulumi/actions finds its comment by exactly these two, so the next green preview replaces this one.
    assert body.startswith(HEADING_DEV + "\n")
    assert SUMMARY in body
    assert "FAILED" in body
    assert HEAD_SHA[:12] in body
    assert "no longer applies" in body
    assert RUN_URL in body


def test_failed_preview_edits_this_stacks_comment_only(github: FakeGitHub) -> None:
    unrelated = {"id": 1, "body": "Looks good, but see " + HEADING_DEV, "user": {"login": "carol"}}
    other_stack = pulumi_comment(2, "prod")
    longer_name = pulumi_comment(3, "dev2")
    this_stack = pulumi_comment(4, "dev")
    github.update(comments={"7": [unrelated, other_stack, longer_name, this_stack]}, page_size=2)

    result = run_comment(github)
    assert result.returncode == 0, result.stdout + result.stderr
    comments = {c["id"]: c for c in github.load()["comments"]["7"]}
    assert len(comments) == 4
    assert_failure_notice(comments[4]["body"])
    assert comments[1] == unrelated
    assert comments[2] == other_stack
    assert comments[3] == longer_name
    calls = github.calls()
    assert [c["method"] for c in calls] == ["GET", "PATCH"]
    assert calls[0]["paginate"]  # the comment was on the second page
    assert calls[1]["path"] == f"repos/{REPO}/issues/comments/4"


def test_failed_preview_posts_a_comment_when_there_is_none(github: FakeGitHub) -> None:
    github.update(comments={"7": [pulumi_comment(2, "prod")]})
    result = run_comment(github)
    assert result.returncode == 0, result.stdout + result.stderr
    comments = github.load()["comments"]["7"]
    assert len(comments) == 2
    assert comments[0] == pulumi_comment(2, "prod")
    assert_failure_notice(comments[1]["body"])
    assert [c["method"] for c in github.calls()] == ["GET", "POST"]
