"""examples/consumer reads library-infra's outputs through a StackReference and watches the service with them."""

from __future__ import annotations

import json

import pytest

from monitoring import dashboard_body, load_balancer_dimension, target_group_dimension
from tests.harness import ROOT, Deployment, run_project

CONSUMER = ROOT / "examples" / "consumer"
DEV = "organization/library-infra/dev"


@pytest.fixture(scope="module")
def consumer(dev: Deployment) -> Deployment:
    """The consumer against the real outputs of the dev stack (run under the same mocks)."""
    return run_project(CONSUMER, {}, stack="dev", stack_outputs={DEV: dev.outputs})


def test_consumer_reads_the_stack_named_in_its_config(consumer: Deployment) -> None:
    assert [(t, i) for t, _, i in consumer.reads] == [("pulumi:pulumi:StackReference", DEV)]


def test_dashboard_shows_cpu_memory_requests_and_5xx_of_that_service(consumer: Deployment, dev: Deployment) -> None:
    body = json.loads(consumer.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    service = ["ClusterName", dev.outputs["clusterName"], "ServiceName", dev.outputs["serviceName"]]
    assert ["AWS/ECS", "CPUUtilization", *service] in metrics
    assert ["AWS/ECS", "MemoryUtilization", *service] in metrics
    load_balancer = load_balancer_dimension(dev.outputs["albArn"])
    target_group = target_group_dimension(dev.outputs["targetGroupArn"])
    assert ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", load_balancer] in metrics
    assert [
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "LoadBalancer",
        load_balancer,
        "TargetGroup",
        target_group,
    ] in metrics
    assert all(w["properties"]["region"] == "ap-northeast-2" for w in body["widgets"])


def test_alarms_watch_the_target_groups_health(consumer: Deployment, dev: Deployment) -> None:
    alarms = {a.inputs["metricName"]: a.inputs for a in consumer.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    dimensions = {
        "LoadBalancer": load_balancer_dimension(dev.outputs["albArn"]),
        "TargetGroup": target_group_dimension(dev.outputs["targetGroupArn"]),
    }
    unhealthy = alarms["UnHealthyHostCount"]
    assert unhealthy["dimensions"] == dimensions
    assert (unhealthy["comparisonOperator"], unhealthy["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    down = alarms["HealthyHostCount"]
    assert down["dimensions"] == dimensions
    assert (down["comparisonOperator"], down["threshold"], down["treatMissingData"]) == (
        "LessThanThreshold",
        1,
        "breaching",
    )


def test_alarms_notify_the_configured_topic(dev: Deployment) -> None:
    topic = "arn:aws:sns:ap-northeast-2:123456789012:library-alerts"
    deployment = run_project(CONSUMER, {"alarmTopicArn": topic}, stack="dev", stack_outputs={DEV: dev.outputs})
    for alarm in deployment.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [topic]
        assert alarm.inputs["okActions"] == [topic]


def test_a_missing_output_is_a_clear_error(dev: Deployment) -> None:
    outputs = {k: v for k, v in dev.outputs.items() if k != "albArn"}
    with pytest.raises(Exception, match="albArn"):
        run_project(CONSUMER, {}, stack="dev", stack_outputs={DEV: outputs})


def test_dimensions_come_from_arns() -> None:
    alb = (
        "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/library-alb-1a2b3c4/50dc6c495c0c9188"
    )
    target_group = (
        "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/library-tg-1a2b3c4/73e2d6bc24d8a067"
    )
    assert load_balancer_dimension(alb) == "app/library-alb-1a2b3c4/50dc6c495c0c9188"
    assert target_group_dimension(target_group) == "targetgroup/library-tg-1a2b3c4/73e2d6bc24d8a067"
    body = dashboard_body(region="us-east-1", cluster="c", service="s", load_balancer="lb", target_group="tg")
    assert len(body["widgets"]) == 4
