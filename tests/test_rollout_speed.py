"""How long the configuration makes every rollout wait, computed from the resources the program registers."""

from __future__ import annotations

from components.service import rollout_overhead_seconds
from tests.conftest import Report
from tests.harness import Deployment, run_program


def overhead(deployment: Deployment) -> int:
    """Healthy threshold x interval + deregistration delay (+ bake time with blue/green), from the registrations."""
    target_group = deployment.get("aws:lb/targetGroup:TargetGroup", "library-tg").inputs
    health = target_group["healthCheck"]
    seconds = health["healthyThreshold"] * health["interval"] + target_group["deregistrationDelay"]
    configuration = deployment.one("aws:ecs/service:Service").inputs["deploymentConfiguration"]
    if configuration["strategy"] == "BLUE_GREEN":
        seconds += int(configuration["bakeTimeInMinutes"]) * 60
    return int(seconds)


def test_rolling_overhead_is_at_most_40_seconds_without_weakening_the_health_check(
    dev: Deployment, report: Report
) -> None:
    seconds = overhead(dev)
    report(f"\nrollout overhead, ROLLING: {seconds} s (AWS defaults: 450 s)")
    assert seconds <= 40
    assert seconds == rollout_overhead_seconds("ROLLING")
    health = dev.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert health["healthyThreshold"] >= 2  # two consecutive good checks before a task gets traffic


def test_blue_green_overhead_adds_the_bake_time(report: Report) -> None:
    deployment = run_program("dev", {"deploymentStrategy": "BLUE_GREEN"})
    seconds = overhead(deployment)
    report(f"rollout overhead, BLUE_GREEN with a 5-minute bake: {seconds} s")
    assert seconds == rollout_overhead_seconds("BLUE_GREEN", 5) == 40 + 300


def test_readme_states_the_measured_figures() -> None:
    from tests.harness import ROOT

    readme = (ROOT / "docs" / "deployments.md").read_text()
    assert f"| **{rollout_overhead_seconds('ROLLING')} s** |" in readme
    assert f"| **{rollout_overhead_seconds('BLUE_GREEN', 5)} s** |" in readme
    assert "| **450 s** |" in readme
