"""ServiceMonitoring: a CloudWatch dashboard and health alarms for a library-infra service, built from its outputs.

Creates:
- cloudwatch.Dashboard ``<name>``: the service's CPU and memory, the ALB's request count, and 5xx responses from
  the targets and from the load balancer itself;
- cloudwatch.MetricAlarm ``<name>-unhealthy-hosts``: a target has failed its health checks for two minutes;
- cloudwatch.MetricAlarm ``<name>-no-healthy-hosts``: no target is healthy (no data counts as breaching).

Everything it needs comes from library-infra's documented outputs (docs/outputs.md): ``clusterName``,
``serviceName``, ``albArn`` and ``targetGroupArn``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def load_balancer_dimension(alb_arn: str) -> str:
    """CloudWatch's LoadBalancer dimension: the ARN after ``loadbalancer/`` (``app/<name>/<id>``)."""
    return alb_arn.split(":loadbalancer/", 1)[1]


def target_group_dimension(target_group_arn: str) -> str:
    """CloudWatch's TargetGroup dimension: ``targetgroup/<name>/<id>``."""
    return target_group_arn.rsplit(":", 1)[1]


def dashboard_body(*, region: str, cluster: str, service: str, load_balancer: str, target_group: str) -> dict[str, Any]:
    def widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "stat": stat, "period": 60, "metrics": metrics},
        }

    ecs = ["AWS/ECS"]
    alb = ["AWS/ApplicationELB"]
    return {
        "widgets": [
            widget(
                "CPU utilization (%)",
                [[*ecs, "CPUUtilization", "ClusterName", cluster, "ServiceName", service]],
                0,
                0,
                "Average",
            ),
            widget(
                "Memory utilization (%)",
                [[*ecs, "MemoryUtilization", "ClusterName", cluster, "ServiceName", service]],
                12,
                0,
                "Average",
            ),
            widget("Requests", [[*alb, "RequestCount", "LoadBalancer", load_balancer]], 0, 6, "Sum"),
            widget(
                "5xx responses",
                [
                    [*alb, "HTTPCode_Target_5XX_Count", "LoadBalancer", load_balancer, "TargetGroup", target_group],
                    [*alb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", load_balancer],
                ],
                12,
                6,
                "Sum",
            ),
        ]
    }


@dataclass(frozen=True)
class ServiceMonitoringArgs:
    region: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    alb_arn: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    alarm_topic_arn: str | None = None


class ServiceMonitoring(pulumi.ComponentResource):
    dashboard: aws.cloudwatch.Dashboard
    unhealthy_hosts: aws.cloudwatch.MetricAlarm
    no_healthy_hosts: aws.cloudwatch.MetricAlarm

    def __init__(self, name: str, args: ServiceMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:monitoring:ServiceMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        load_balancer = pulumi.Output.from_input(args.alb_arn).apply(load_balancer_dimension)
        target_group = pulumi.Output.from_input(args.target_group_arn).apply(target_group_dimension)

        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=pulumi.Output.from_input(args.service_name).apply(lambda s: f"{s}-service"),
            dashboard_body=pulumi.Output.all(
                args.region, args.cluster_name, args.service_name, load_balancer, target_group
            ).apply(
                lambda a: json.dumps(
                    dashboard_body(region=a[0], cluster=a[1], service=a[2], load_balancer=a[3], target_group=a[4])
                )
            ),
            opts=child,
        )
        actions = [args.alarm_topic_arn] if args.alarm_topic_arn else []
        # Both watch the target group's health, once a minute, for two minutes running.
        common: dict[str, Any] = {
            "namespace": "AWS/ApplicationELB",
            "dimensions": {"LoadBalancer": load_balancer, "TargetGroup": target_group},
            "period": 60,
            "evaluation_periods": 2,
            "threshold": 1,
            "alarm_actions": actions,
            "ok_actions": actions,
            "opts": child,
        }
        self.unhealthy_hosts = aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy-hosts",
            alarm_description="A task behind the load balancer has failed its health checks for two minutes",
            metric_name="UnHealthyHostCount",
            statistic="Maximum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            **common,
        )
        self.no_healthy_hosts = aws.cloudwatch.MetricAlarm(
            f"{name}-no-healthy-hosts",
            alarm_description="No task behind the load balancer is healthy: the service is down",
            metric_name="HealthyHostCount",
            statistic="Minimum",
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            **common,
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})
