"""A CI deploy ends, even by timing out, before its job is killed and before its AWS credentials expire.

A job killed at ``timeout-minutes``, or a `pulumi up` whose credentials expire mid-wait, leaves the stack locked and
half-changed. So the longest wait the program can register (the service's steady-state timeout at the largest bake
time the settings accept) plus the steps before `pulumi up` must fit in both.
"""

from __future__ import annotations

import re

import pytest

from stack_support.settings import CI_SETUP_MINUTES, MAX_BAKE_MINUTES, ConfigError
from tests.harness import Deployment, run_bootstrap, run_program
from tests.test_workflows import load, steps_using

# aws-actions/configure-aws-credentials README: role-duration-seconds defaults to 3600 (one hour) for an assumed
# role; AWS STS refuses more than the role's MaxSessionDuration.
DEFAULT_ROLE_DURATION_SECONDS = 3600


def _minutes(timeout: str) -> int:
    match = re.fullmatch(r"(\d+)m", timeout)
    assert match, timeout
    return int(match.group(1))


def _deploy_session_minutes() -> int:
    account = run_bootstrap({"githubRepository": "my-org/library-infra"})
    [deploy_role] = [r for r in account.of_type("aws:iam/role:Role") if r.name == "library-infra-ci-deploy"]
    limits = [int(deploy_role.inputs["maxSessionDuration"]) // 60]
    jobs = load("deploy.yml")["jobs"]
    for name in ("dev", "prod"):
        job = jobs[name]
        limits.append(int(job["timeout-minutes"]))
        [credentials] = steps_using(job, "aws-actions/configure-aws-credentials")
        limits.append(int(credentials["with"].get("role-duration-seconds", DEFAULT_ROLE_DURATION_SECONDS)) // 60)
    return min(limits)


def _steady_state_timeout(deployment: Deployment) -> int:
    service = deployment.one("aws:ecs/service:Service")
    return max(_minutes(service.custom_timeouts[k]) for k in ("create", "update"))


def test_the_longest_deploy_the_settings_accept_ends_within_the_job_and_its_session() -> None:
    longest = run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "bakeTimeMinutes": MAX_BAKE_MINUTES})
    needed = CI_SETUP_MINUTES + _steady_state_timeout(longest)
    assert needed <= _deploy_session_minutes()


def test_one_minute_more_bake_is_refused_because_it_would_not_fit() -> None:
    over = run_program_or_error({"deploymentStrategy": "BLUE_GREEN", "bakeTimeMinutes": MAX_BAKE_MINUTES + 1})
    assert f"bakeTimeMinutes={MAX_BAKE_MINUTES + 1} is more than a deploy can wait" in over
    # ...and it would indeed not fit: the service would wait one minute past what the job and session allow.
    fits = run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "bakeTimeMinutes": MAX_BAKE_MINUTES})
    assert CI_SETUP_MINUTES + _steady_state_timeout(fits) + 1 > _deploy_session_minutes()


def run_program_or_error(overrides: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as refused:
        run_program("dev", overrides, cached=False)
    return str(refused.value)


def test_every_job_that_runs_pulumi_up_has_a_timeout() -> None:
    for name, job in load("deploy.yml")["jobs"].items():
        if any(s["with"].get("command") == "up" for s in steps_using(job, "pulumi/actions")):
            assert "timeout-minutes" in job, name
