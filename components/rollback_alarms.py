"""RollbackAlarms: CloudWatch alarms that tell ECS a deployment is bad, so it rolls back.

Creates:
- cloudwatch.MetricAlarm ``<name>-5xx-rate``: more than ``TARGET_5XX_PERCENT`` % of requests to the service's
  target groups answered 5xx, in any one minute with at least ``MIN_REQUESTS`` requests: a broken task gets requests
  only until the target group marks it unhealthy and ECS replaces it, which need not fill two minutes in a row;
- cloudwatch.MetricAlarm ``<name>-unhealthy-hosts``: a target failed its health checks in every one of
  :func:`unhealthy_minutes` consecutive minutes, more than a task that boots within ``boot_seconds`` can fill: the
  load balancer checks a task from the moment it registers, before the app listens, so every boot shows unhealthy
  targets for a while.

Both sum over every target group of the service (blue and green with blue/green deployments), counting a group with
no datapoint as 0. Their names go to the service's deployment ``alarms`` with rollback on; with a topic, they also
notify it when they fire and recover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

TARGET_5XX_PERCENT = 5
MIN_REQUESTS = 10  # below this a single error is not a rate
PERIOD = 60
ERROR_RATE_PERIODS = 1


def _metric(
    query_id: str, name: str, stat: str, load_balancer: pulumi.Input[str], target_group: pulumi.Input[str]
) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/ApplicationELB",
            metric_name=name,
            stat=stat,
            period=PERIOD,
            dimensions={"LoadBalancer": load_balancer, "TargetGroup": target_group},
        ),
    )


def error_rate_expression(count: int) -> str:
    """Metric math over ``count`` target groups: 5xx as a percentage of requests, 0 while traffic is thin."""
    # The ALB reports request and 5xx counts only when they are nonzero (ELB user guide, "CloudWatch metrics for your
    # Application Load Balancer"); FILL makes a quiet group count 0 rather than leave a gap in the sum (CloudWatch
    # user guide, "Metric math syntax and functions", FILL). After a blue/green traffic shift, blue has no requests.
    errors = " + ".join(f"FILL(errors{i}, 0)" for i in range(count))
    requests = " + ".join(f"FILL(requests{i}, 0)" for i in range(count))
    return f"IF(({requests}) >= {MIN_REQUESTS}, 100 * ({errors}) / ({requests}), 0)"


def unhealthy_minutes(boot_seconds: int, health_check_interval: int, healthy_threshold: int) -> int:
    """Consecutive minutes with an unhealthy target that fire the unhealthy-hosts alarm: one more than a boot of up to
    ``boot_seconds`` can fill.

    The load balancer starts checking a target when ECS registers it, which happens before the app listens (ELB user
    guide, "Health checks for Application Load Balancer target groups"; ECS developer guide, "Amazon ECS task
    lifecycle", ACTIVATING). The target turns healthy ``healthy_threshold`` successful checks, ``interval`` apart,
    after the app answers; until then it may be unhealthy: at worst ``boot_seconds + healthy_threshold * interval``
    seconds. A span of S seconds touches at most ceil(S / 60) + 1 one-minute periods (CloudWatch's periods are
    aligned to the clock), all of which could breach.
    """
    worst_unhealthy = boot_seconds + healthy_threshold * health_check_interval
    periods_touched = math.ceil(worst_unhealthy / PERIOD) + 1
    return periods_touched + 1


@dataclass(frozen=True)
class RollbackAlarmsArgs:
    load_balancer_dimension: pulumi.Input[str]
    """The ALB's ARN suffix (``app/<name>/<id>``)."""
    target_group_dimensions: Sequence[pulumi.Input[str]]
    """The target groups' ARN suffixes (``targetgroup/<name>/<id>``)."""
    boot_seconds: int
    """The longest a task may take to answer its health check after it starts (the container's start period)."""
    health_check_interval: int
    """The target groups' health check interval, in seconds."""
    healthy_threshold: int
    """The target groups' healthy threshold: consecutive good checks that make a target healthy."""
    topic_arn: str | None = None


class RollbackAlarms(pulumi.ComponentResource):
    error_rate: aws.cloudwatch.MetricAlarm
    unhealthy_hosts: aws.cloudwatch.MetricAlarm
    alarm_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: RollbackAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:alarms:RollbackAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        actions = [args.topic_arn] if args.topic_arn else []
        groups = list(args.target_group_dimensions)
        lb = args.load_balancer_dimension
        # No data (no traffic, no targets yet) is not a failure (CloudWatch user guide, "Configuring how CloudWatch
        # alarms treat missing data"). An alarm fires when `datapoints_to_alarm` of its last `evaluation_periods`
        # periods breach (same guide, "Alarm evaluation"); both alarms need every one of them.
        common: dict[str, Any] = {
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": actions,
            "opts": child,
        }
        bad_minutes = unhealthy_minutes(args.boot_seconds, args.health_check_interval, args.healthy_threshold)

        self.error_rate = aws.cloudwatch.MetricAlarm(
            f"{name}-5xx-rate",
            alarm_description=f"More than {TARGET_5XX_PERCENT}% of requests to the tasks answered 5xx: roll back",
            metric_queries=[
                *[_metric(f"errors{i}", "HTTPCode_Target_5XX_Count", "Sum", lb, tg) for i, tg in enumerate(groups)],
                *[_metric(f"requests{i}", "RequestCount", "Sum", lb, tg) for i, tg in enumerate(groups)],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate", expression=error_rate_expression(len(groups)), label="5xx %", return_data=True
                ),
            ],
            comparison_operator="GreaterThanThreshold",
            threshold=TARGET_5XX_PERCENT,
            evaluation_periods=ERROR_RATE_PERIODS,
            datapoints_to_alarm=ERROR_RATE_PERIODS,
            **common,
        )
        self.unhealthy_hosts = aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy-hosts",
            alarm_description=(
                f"A task failed its load balancer health checks in each of {bad_minutes} minutes, "
                f"longer than a {args.boot_seconds}-second boot: roll back"
            ),
            metric_queries=[
                *[_metric(f"unhealthy{i}", "UnHealthyHostCount", "Maximum", lb, tg) for i, tg in enumerate(groups)],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="unhealthy",
                    expression=" + ".join(f"FILL(unhealthy{i}, 0)" for i in range(len(groups))),
                    label="unhealthy targets",
                    return_data=True,
                ),
            ],
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=bad_minutes,
            datapoints_to_alarm=bad_minutes,
            **common,
        )
        self.alarm_names = [self.error_rate.name, self.unhealthy_hosts.name]
        self.register_outputs({"alarmNames": self.alarm_names})
