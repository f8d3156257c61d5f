"""What a deployment does over time, second by second, with the numbers the program registers (tests/rollout_model.py).

For ROLLING and BLUE_GREEN, with the default start period and the longest ECS allows: a task that boots within the
start period deploys without a deployment alarm; a task that never turns healthy is rolled back and ``pulumi up``
fails; a task that breaks after taking traffic is rolled back by the alarms. And the model catches the problem of
issue 9: with the unhealthy-hosts alarm at 2 of 2 minutes, or a grace period equal to the start period, a healthy
slow boot is rolled back.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from components.service import rollout_overhead_seconds
from tests.conftest import Report
from tests.harness import Deployment, run_program
from tests.rollout_model import App, Outcome, Rollout, Stack, compile_expression

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "ROLLING, start period 120": {},
    "ROLLING, start period 300": {"healthCheckStartPeriod": 300},
    "BLUE_GREEN, start period 120": {"deploymentStrategy": "BLUE_GREEN"},
    "BLUE_GREEN, start period 300": {"deploymentStrategy": "BLUE_GREEN", "healthCheckStartPeriod": 300},
}
PHASES = range(0, 60, 15)
"""Seconds into the wall-clock minute at which the deployment starts (CloudWatch's minutes are the clock's)."""
BREAKS_AFTER = 60
"""The broken revision fails this many seconds after its first live request."""
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def stack_of(
    deployment: Deployment,
    *,
    service: Mapping[str, Any] | None = None,
    alarms: Mapping[str, Mapping[str, Any]] | None = None,
) -> Stack:
    """The model's view of ``deployment``; ``service`` overrides service inputs, ``alarms`` the inputs of the alarms
    whose resource name ends with a key."""
    registered = deployment.one("aws:ecs/service:Service")
    alarm_inputs = {}
    for alarm in deployment.of_type(ALARM):
        inputs = copy.deepcopy(alarm.inputs)
        for suffix, changes in (alarms or {}).items():
            if alarm.name.endswith(suffix):
                inputs.update(changes)
        alarm_inputs[alarm.state["name"]] = inputs
    return Stack.from_resources(
        service={**registered.inputs, **(service or {})},
        update_timeout=registered.custom_timeouts["update"],
        target_groups=[(g.inputs, g.state) for g in deployment.of_type("aws:lb/targetGroup:TargetGroup")],
        container=deployment.container(),
        alarms=alarm_inputs,
    )


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def configured(request: pytest.FixtureRequest) -> tuple[str, Stack]:
    """One run of the program per configuration, and the model's view of it."""
    overrides = CONFIGURATIONS[request.param]
    deployment = request.getfixturevalue("dev") if not overrides else run_program("dev", overrides)
    return request.param, stack_of(deployment)


def boot_times(stack: Stack) -> list[int]:
    """10 s up to the start period: 10, 30, 60, 90, then every minute, and the start period itself."""
    start_period = stack.container.start_period
    return sorted({b for b in (10, 30, 60, 90) if b <= start_period} | set(range(120, start_period + 1, 60)))


def run(stack: Stack, app: App, phases: Iterable[int] = PHASES) -> list[Outcome]:
    return [Rollout(stack, app, phase).run() for phase in phases]


def span(values: Sequence[int | None]) -> str:
    """``12`` or ``12-15`` seconds over the phases; ``-`` for never."""
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    low, high = min(known), max(known)
    return f"{low} s" if low == high else f"{low}-{high} s"


def kinds(outcomes: Iterable[Outcome]) -> str:
    """``COMPLETED``, ``ROLLED_BACK (alarm unhealthy-hosts)``, ... without the names' prefix and random suffix."""
    found = set()
    for o in outcomes:
        reason = re.sub(r"^alarm library-rollback-(.+)-[0-9a-z]{7}$", r"alarm \1", o.reason)
        found.add(f"{o.result} ({reason})" if reason else o.result)
    return " / ".join(sorted(found))


def table(title: str, rows: Sequence[tuple[str, Sequence[Outcome]]]) -> str:
    lines = [
        f"\n{title} (deployment starting {', '.join(map(str, PHASES))} s into the minute)",
        f"  {'boot':>6} | {'outcome':<36} | {'first live request':>18} | {'pulumi up returns':>17}",
    ]
    for boot, outcomes in rows:
        lines.append(
            f"  {boot:>6} | {kinds(outcomes):<36} | {span([o.first_live_request for o in outcomes]):>18} | "
            f"{span([o.done for o in outcomes]):>17}"
        )
    return "\n".join(lines)


def overhead_allowed(stack: Stack) -> int:
    service = stack.service
    return rollout_overhead_seconds(service.strategy, service.bake_time_minutes)


def test_boots_up_to_the_start_period_deploy_without_a_deployment_alarm(
    configured: tuple[str, Stack], report: Report
) -> None:
    name, stack = configured
    rows = []
    for boot in boot_times(stack):
        outcomes = run(stack, App(boot))
        for outcome in outcomes:
            assert (outcome.result, outcome.alarms) == ("COMPLETED", {}), (boot, outcome)
            assert outcome.app_ready is not None
            assert outcome.old_gone is not None
            # From the new app answering to the old task gone: the figure rollout_overhead_seconds states.
            assert outcome.old_gone - outcome.app_ready <= overhead_allowed(stack)
        rows.append((f"{boot} s", outcomes))
    # The longest boot the stack allows is the closest call: at every second of the minute.
    for outcome in run(stack, App(stack.container.start_period), range(60)):
        assert (outcome.result, outcome.alarms) == ("COMPLETED", {}), outcome
    report(table(f"{name}: a task that boots in time", rows))


def test_a_task_that_never_turns_healthy_is_rolled_back_and_pulumi_up_fails(
    configured: tuple[str, Stack], report: Report
) -> None:
    name, stack = configured
    outcomes = run(stack, App(boot_seconds=None))
    for outcome in outcomes:
        assert outcome.result == "ROLLED_BACK", outcome
        assert outcome.pulumi_up_fails
        assert outcome.done < stack.service.wait_timeout  # a rollback, not pulumi's timeout
        assert outcome.first_live_request is None  # production never reached it
    report(table(f"{name}: a task that never answers its health check", [("never", outcomes)]))


def test_a_task_that_breaks_after_taking_traffic_is_rolled_back_by_the_alarms(
    configured: tuple[str, Stack], report: Report
) -> None:
    name, stack = configured
    rows = []
    for boot in boot_times(stack):
        outcomes = run(stack, App(boot, breaks_after_traffic=BREAKS_AFTER))
        for outcome in outcomes:
            assert outcome.result == "ROLLED_BACK", (boot, outcome)
            assert outcome.reason.startswith("alarm "), (boot, outcome)
            assert outcome.first_live_request is not None
            assert outcome.failed_at is not None
            assert outcome.failed_at > outcome.first_live_request + BREAKS_AFTER
        rows.append((f"{boot} s", outcomes))
    report(table(f"{name}: a task that fails {BREAKS_AFTER} s after its first request", rows))


def test_the_model_catches_todays_problem(dev: Deployment, report: Report) -> None:
    stack = stack_of(dev)
    start_period = stack.container.start_period
    two_of_two = {"evaluationPeriods": 2, "datapointsToAlarm": 2}
    cases = {
        "registered": stack,
        "unhealthy-hosts alarm 2 of 2 minutes (before issue 9)": stack_of(dev, alarms={"unhealthy-hosts": two_of_two}),
        "grace period = start period (before issue 9)": stack_of(
            dev, service={"healthCheckGracePeriodSeconds": start_period}
        ),
    }
    outcomes = {case: run(s, App(start_period)) for case, s in cases.items()}
    assert {o.result for o in outcomes["registered"]} == {"COMPLETED"}
    for outcome in outcomes["unhealthy-hosts alarm 2 of 2 minutes (before issue 9)"]:
        assert outcome.result == "ROLLED_BACK"
        assert outcome.reason.startswith("alarm library-rollback-unhealthy-hosts")
    for outcome in outcomes["grace period = start period (before issue 9)"]:
        # ECS stops the task at the end of the grace period, before the target group sees it healthy, and so on.
        assert outcome.result == "ROLLED_BACK"
        assert outcome.tasks_launched > 1
    lines = [f"ROLLING, a healthy task that boots in the whole start period ({start_period} s):"]
    for case, found in outcomes.items():
        lines.append(f"  {case:<55} | {kinds(found):<36} | pulumi up returns {span([o.done for o in found])}")
    report("\n".join(lines))


def test_seconds_in_which_nothing_changes_can_be_taken_in_one_step(configured: tuple[str, Stack]) -> None:
    _, stack = configured
    for app in (App(stack.container.start_period), App(None), App(30, breaks_after_traffic=BREAKS_AFTER)):
        assert Rollout(stack, app, 7).run() == Rollout(stack, app, 7, every_second=True).run()


def test_a_target_group_without_requests_counts_as_zero_in_the_error_rate(configured: tuple[str, Stack]) -> None:
    _, stack = configured
    [alarm] = [a for a in stack.alarms if a.name.startswith("library-rollback-5xx-rate")]
    [returned] = [q for q in alarm.queries if q.return_data]
    assert returned.expression is not None
    rate = compile_expression(returned.expression)
    errors = [q.id for q in alarm.queries if q.metric_name == "HTTPCode_Target_5XX_Count"]
    requests = [q.id for q in alarm.queries if q.metric_name == "RequestCount"]
    # The ALB reports neither count for a group without requests (blue after a blue/green traffic shift).
    quiet: dict[str, float | None] = dict.fromkeys(errors + requests)
    assert rate({**quiet, errors[-1]: 30.0, requests[-1]: 60.0}) == 50
    assert rate(quiet) == 0


def test_the_unhealthy_hosts_alarm_keeps_at_most_one_spare_minute_over_a_healthy_slow_boot(
    configured: tuple[str, Stack],
) -> None:
    # The other side of the slow boot: each extra evaluation period is a minute more in which a broken task serves
    # errors before the rollback. components/rollback_alarms.py counts the unhealthy span from the task's start, an
    # upper bound of what this model (health checks from registration) finds, so one period may be to spare, never
    # two: two fewer than registered must roll back a healthy boot of the whole start period at some second of the
    # clock's minute (CloudWatch's periods are the clock's).
    name, stack = configured
    [alarm] = [a for a in stack.alarms if a.name.startswith("library-rollback-unhealthy-hosts")]
    periods = alarm.evaluation_periods - 2
    fewer = dataclasses.replace(alarm, evaluation_periods=periods, datapoints_to_alarm=periods)
    tighter = dataclasses.replace(stack, alarms=type(stack.alarms)(fewer if a is alarm else a for a in stack.alarms))
    outcomes = run(tighter, App(stack.container.start_period), range(60))
    assert any(o.reason.startswith("alarm library-rollback-unhealthy-hosts") for o in outcomes), name
