"""RollbackAlarms: CloudWatch alarms that tell ECS a deployment is bad, so it rolls back.

Creates:
- cloudwatch.MetricAlarm ``<name>-5xx-rate``: more than ``TARGET_5XX_PERCENT`` % of requests to the service's
  target groups answered 5xx, in two consecutive minutes with at least ``MIN_REQUESTS`` requests;
- cloudwatch.MetricAlarm ``<name>-unhealthy-hosts``: a target failed its health checks for two consecutive minutes.

Both sum over every target group of the service (blue and green with blue/green deployments). Their names go to the
service's deployment ``alarms`` with rollback on; with a topic, they also notify it when they fire and recover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

TARGET_5XX_PERCENT = 5
MIN_REQUESTS = 10  # below this a single error is not a rate
PERIOD = 60
EVALUATION_PERIODS = 2


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
    errors = " + ".join(f"errors{i}" for i in range(count))
    requests = " + ".join(f"requests{i}" for i in range(count))
    return f"IF(({requests}) >= {MIN_REQUESTS}, 100 * ({errors}) / ({requests}), 0)"


@dataclass(frozen=True)
class RollbackAlarmsArgs:
    load_balancer_dimension: pulumi.Input[str]
    """The ALB's ARN suffix (``app/<name>/<id>``)."""
    target_group_dimensions: Sequence[pulumi.Input[str]]
    """The target groups' ARN suffixes (``targetgroup/<name>/<id>``)."""
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
        # Two bad minutes in a row; no data (no traffic, no targets yet) is not a failure.
        common: dict[str, Any] = {
            "evaluation_periods": EVALUATION_PERIODS,
            "datapoints_to_alarm": EVALUATION_PERIODS,
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": actions,
            "opts": child,
        }

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
            **common,
        )
        self.unhealthy_hosts = aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy-hosts",
            alarm_description="A task failed its load balancer health checks for two minutes: roll back",
            metric_queries=[
                *[_metric(f"unhealthy{i}", "UnHealthyHostCount", "Maximum", lb, tg) for i, tg in enumerate(groups)],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="unhealthy",
                    expression=" + ".join(f"unhealthy{i}" for i in range(len(groups))),
                    label="unhealthy targets",
                    return_data=True,
                ),
            ],
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            **common,
        )
        self.alarm_names = [self.error_rate.name, self.unhealthy_hosts.name]
        self.register_outputs({"alarmNames": self.alarm_names})
