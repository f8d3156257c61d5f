"""Autoscaling that later deploys leave alone, and alarms that roll a bad deployment back."""

from __future__ import annotations

from typing import Any

import pytest

from components.rollback_alarms import error_rate_expression
from tests.harness import Deployment, run_program, service_model

TOPIC = "arn:aws:sns:ap-northeast-2:123456789012:library-alerts"

# CloudWatch identifies a metric by namespace, name and ALL of its dimensions: a query with one dimension fewer than
# the datapoints were published with matches no metric, and with treatMissingData=notBreaching the alarm never fires
# (CloudWatch user guide, "Amazon CloudWatch concepts", Dimensions). The dimension sets the ALB publishes each metric
# with, from https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
ALB_NAMESPACE = "AWS/ApplicationELB"
_PER_TARGET_GROUP = [
    frozenset({"TargetGroup", "LoadBalancer"}),
    frozenset({"TargetGroup", "AvailabilityZone", "LoadBalancer"}),
]
_PER_LOAD_BALANCER = [frozenset({"LoadBalancer"}), frozenset({"AvailabilityZone", "LoadBalancer"})]
PUBLISHED_DIMENSIONS: dict[str, list[frozenset[str]]] = {
    "UnHealthyHostCount": _PER_TARGET_GROUP,
    "HTTPCode_Target_5XX_Count": _PER_LOAD_BALANCER + _PER_TARGET_GROUP,
    "RequestCount": _PER_LOAD_BALANCER + _PER_TARGET_GROUP,
}


def alarm_metrics_aws_would_not_match(deployment: Deployment) -> list[str]:
    """Every metric query of the stack's alarms that names no metric the ALB publishes, or another load balancer or
    target group than the stack's, or leaves one of the stack's target groups unwatched."""
    load_balancer = deployment.one("aws:lb/loadBalancer:LoadBalancer").state["arnSuffix"]
    target_groups = {g.state["arnSuffix"] for g in deployment.of_type("aws:lb/targetGroup:TargetGroup")}
    problems: list[str] = []
    for alarm in deployment.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        watched: dict[str, set[str]] = {}
        for query in alarm.inputs["metricQueries"]:
            metric: dict[str, Any] | None = query.get("metric")
            if metric is None:
                continue
            where, name = f"{alarm.name} {query['id']}", metric["metricName"]
            dimensions: dict[str, str] = metric.get("dimensions") or {}
            if metric["namespace"] != ALB_NAMESPACE or name not in PUBLISHED_DIMENSIONS:
                problems.append(f"{where}: {metric['namespace']} {name} is not an ALB metric this test knows")
                continue
            if frozenset(dimensions) not in PUBLISHED_DIMENSIONS[name]:
                problems.append(f"{where}: {name} is not published with exactly the dimensions {sorted(dimensions)}")
            if dimensions.get("LoadBalancer") != load_balancer:
                problems.append(f"{where}: LoadBalancer={dimensions.get('LoadBalancer')!r}, not {load_balancer!r}")
            if "TargetGroup" in dimensions:
                if dimensions["TargetGroup"] not in target_groups:
                    problems.append(f"{where}: TargetGroup={dimensions['TargetGroup']!r} is not the stack's")
                watched.setdefault(name, set()).add(dimensions["TargetGroup"])
        problems += [
            f"{alarm.name}: {name} misses {sorted(target_groups - seen)}"
            for name, seen in watched.items()
            if seen != target_groups
        ]
    return problems


@pytest.fixture(scope="module")
def scaled() -> Deployment:
    autoscaling = {"minCount": 1, "maxCount": 6, "cpuTarget": 60, "memoryTarget": 75, "requestsPerTarget": 500}
    return run_program("dev", {"autoscaling": autoscaling, "alarmTopicArn": TOPIC})


def test_scaling_target_covers_the_service_between_the_bounds(scaled: Deployment) -> None:
    target = scaled.one("aws:appautoscaling/target:Target").inputs
    cluster = scaled.one("aws:ecs/cluster:Cluster").state["name"]
    service = scaled.one("aws:ecs/service:Service").state["name"]
    assert target["resourceId"] == f"service/{cluster}/{service}"
    assert (target["serviceNamespace"], target["scalableDimension"]) == ("ecs", "ecs:service:DesiredCount")
    assert (target["minCapacity"], target["maxCapacity"]) == (1, 6)


def test_each_goal_is_a_target_tracking_policy(scaled: Deployment) -> None:
    policies = {
        p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["predefinedMetricType"]: p
        for p in scaled.of_type("aws:appautoscaling/policy:Policy")
    }
    assert set(policies) == {
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
        "ALBRequestCountPerTarget",
    }
    values = {k: p.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] for k, p in policies.items()}
    assert values == {
        "ECSServiceAverageCPUUtilization": 60,
        "ECSServiceAverageMemoryUtilization": 75,
        "ALBRequestCountPerTarget": 500,
    }
    for policy in policies.values():
        assert policy.inputs["policyType"] == "TargetTrackingScaling"


def test_requests_per_target_is_labelled_with_the_alb_and_target_group_suffixes(scaled: Deployment) -> None:
    [policy] = [p for p in scaled.of_type("aws:appautoscaling/policy:Policy") if p.name.endswith("-requests")]
    label = policy.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["resourceLabel"]
    alb = scaled.one("aws:lb/loadBalancer:LoadBalancer").state["arnSuffix"]
    target_group = scaled.one("aws:lb/targetGroup:TargetGroup").state["arnSuffix"]
    assert label == f"{alb}/{target_group}"


def test_with_autoscaling_deploys_do_not_reset_the_task_count(scaled: Deployment, dev: Deployment) -> None:
    assert scaled.one("aws:ecs/service:Service").ignore_changes == ["desiredCount"]
    assert dev.one("aws:ecs/service:Service").ignore_changes == []
    assert dev.of_type("aws:appautoscaling/target:Target") == []


def test_alarms_roll_back_deployments_and_the_circuit_breaker_stays_on(dev: Deployment) -> None:
    service = dev.one("aws:ecs/service:Service").inputs
    alarms = {a.state["name"]: a for a in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert (service["alarms"]["enable"], service["alarms"]["rollback"]) == (True, True)
    assert sorted(service["alarms"]["alarmNames"]) == sorted(alarms)
    assert len(alarms) == 2
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_5xx_rate_alarm_is_a_percentage_of_requests_to_the_service(dev: Deployment) -> None:
    alarm = dev.get("aws:cloudwatch/metricAlarm:MetricAlarm", "library-rollback-5xx-rate").inputs
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["rate"]["expression"] == (
        "IF((FILL(requests0, 0)) >= 10, 100 * (FILL(errors0, 0)) / (FILL(requests0, 0)), 0)"
    )
    assert queries["rate"]["returnData"] is True
    assert queries["errors0"]["metric"]["metricName"] == "HTTPCode_Target_5XX_Count"
    target_group = dev.one("aws:lb/targetGroup:TargetGroup").state["arnSuffix"]
    assert queries["errors0"]["metric"]["dimensions"]["TargetGroup"] == target_group
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 5)
    assert alarm["treatMissingData"] == "notBreaching"


def test_every_alarm_queries_metrics_exactly_as_the_alb_publishes_them(dev: Deployment, scaled: Deployment) -> None:
    assert len(dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) == 2
    assert alarm_metrics_aws_would_not_match(dev) == []
    assert alarm_metrics_aws_would_not_match(scaled) == []


def test_unhealthy_hosts_alarm_fires_on_one_failing_target(dev: Deployment) -> None:
    alarm = dev.get("aws:cloudwatch/metricAlarm:MetricAlarm", "library-rollback-unhealthy-hosts").inputs
    metrics = [q["metric"]["metricName"] for q in alarm["metricQueries"] if "metric" in q]
    assert metrics == ["UnHealthyHostCount"]
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_alarms_notify_the_topic_when_one_is_given(scaled: Deployment, dev: Deployment) -> None:
    for alarm in scaled.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [TOPIC]
        assert alarm.inputs["okActions"] == [TOPIC]
    for alarm in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert not alarm.inputs.get("alarmActions")


def test_error_rate_sums_over_every_target_group() -> None:
    assert error_rate_expression(2) == (
        "IF((FILL(requests0, 0) + FILL(requests1, 0)) >= 10, "
        "100 * (FILL(errors0, 0) + FILL(errors1, 0)) / (FILL(requests0, 0) + FILL(requests1, 0)), 0)"
    )


def test_spot_changes_where_the_tasks_run() -> None:
    deployment = run_program("dev", {"capacityProvider": "FARGATE_SPOT"})
    service = deployment.one("aws:ecs/service:Service")
    assert service.inputs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert service.inputs["forceNewDeployment"] is True  # switching providers later needs a forced deployment
    capacity = deployment.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert deployment.depends_on(service, capacity)


def test_arm64_runs_graviton_tasks_from_an_arm64_build() -> None:
    deployment = run_program("dev", {"cpuArchitecture": "ARM64"})
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert task["tags"]["library:image-platforms"] == "linux/arm64"
    assert deployment.one("docker:index/image:Image").inputs["build"]["platform"] == "linux/arm64"


def _spot_minimum_platform(architecture: str) -> tuple[int, ...]:
    """The platform version from which ECS's own API model says FARGATE_SPOT runs Linux tasks of ``architecture``."""
    import re

    model = service_model("ecs")
    text = model.shape_for("CapacityProviderStrategyItem").documentation
    found = re.search(
        rf"FARGATE_SPOT</code> supports Linux tasks with the {architecture} architecture on platform version "
        r"([0-9.]+) or later",
        text,
    )
    assert found, f"ECS's model no longer says which platform runs {architecture} on FARGATE_SPOT"
    return tuple(int(part) for part in found.group(1).split("."))


# Fargate's LATEST Linux platform version (ECS developer guide, "Fargate Linux platform versions").
LATEST_LINUX_PLATFORM = (1, 4, 0)


def test_arm64_on_fargate_spot_is_allowed_where_ecs_supports_it() -> None:
    deployment = run_program("dev", {"capacityProvider": "FARGATE_SPOT", "cpuArchitecture": "ARM64"})
    service = deployment.one("aws:ecs/service:Service").inputs
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert service["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert task["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert service["platformVersion"] == "LATEST"
    assert _spot_minimum_platform("ARM64") <= LATEST_LINUX_PLATFORM
