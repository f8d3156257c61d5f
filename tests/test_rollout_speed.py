"""How long the configuration makes every rollout wait, computed from the resources the program registers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.service import rollout_overhead_seconds
from tests.conftest import Report
from tests.harness import ROOT, Deployment, run_program, service_model


def overhead(deployment: Deployment) -> int:
    """Healthy threshold x interval + deregistration delay (+ bake time with blue/green), from the registrations."""
    target_group = deployment.get("aws:lb/targetGroup:TargetGroup", "library-tg").inputs
    health = target_group["healthCheck"]
    seconds = health["healthyThreshold"] * health["interval"] + target_group["deregistrationDelay"]
    configuration = deployment.one("aws:ecs/service:Service").inputs["deploymentConfiguration"]
    if configuration["strategy"] == "BLUE_GREEN":
        seconds += int(configuration["bakeTimeInMinutes"]) * 60
    return int(seconds)


@dataclass(frozen=True)
class Defaults:
    healthy_threshold: int
    interval: int
    deregistration_delay: int

    @property
    def overhead(self) -> int:
        return self.healthy_threshold * self.interval + self.deregistration_delay


def _default_for(protocol: str, documentation: str) -> int:
    """The default a CreateTargetGroup parameter's documentation gives target groups of ``protocol``."""
    for protocols, value in re.findall(
        r"If the target group protocol is ([A-Za-z_, ]+?), the default is (\d+)", documentation
    ):
        if protocol in re.split(r", | or ", protocols):
            return int(value)
    raise AssertionError(f"no default for {protocol} in {documentation!r}")


def aws_defaults(deployment: Deployment) -> Defaults:
    """What Elastic Load Balancing uses for the stack's target group where the program sets nothing, as its API model
    (botocore's elbv2) documents it for the group's protocol."""
    protocol = deployment.get("aws:lb/targetGroup:TargetGroup", "library-tg").inputs["protocol"]
    model = service_model("elbv2")
    create = model.operation_model("CreateTargetGroup").input_shape.members
    attributes = model.shape_for("TargetGroupAttribute").members["Key"].documentation
    delay = re.search(
        r"deregistration_delay.timeout_seconds</code> - .*?The default value is (\d+) seconds", attributes
    )
    assert delay is not None, "the elbv2 model no longer documents the deregistration delay's default"
    return Defaults(
        healthy_threshold=_default_for(protocol, create["HealthyThresholdCount"].documentation),
        interval=_default_for(protocol, create["HealthCheckIntervalSeconds"].documentation),
        deregistration_delay=int(delay.group(1)),
    )


def test_rolling_overhead_is_at_most_40_seconds_without_weakening_the_health_check(
    dev: Deployment, report: Report
) -> None:
    seconds = overhead(dev)
    report(f"\nrollout overhead, ROLLING: {seconds} s (AWS defaults: {aws_defaults(dev).overhead} s)")
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
    readme = (ROOT / "docs" / "deployments.md").read_text()
    assert f"| **{rollout_overhead_seconds('ROLLING')} s** |" in readme
    assert f"| **{rollout_overhead_seconds('BLUE_GREEN', 5)} s** |" in readme


def test_readme_states_what_aws_defaults_would_add_to_every_rollout(dev: Deployment) -> None:
    defaults = aws_defaults(dev)
    readme = (ROOT / "docs" / "deployments.md").read_text()
    row = (
        f"| AWS's defaults | {defaults.healthy_threshold} | {defaults.interval} s | {defaults.deregistration_delay} s "
        f"| - | **{defaults.overhead} s** |"
    )
    assert row in readme
    assert overhead(dev) < defaults.overhead  # the program sets its own, shorter ones
