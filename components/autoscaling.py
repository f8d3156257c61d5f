"""ServiceAutoscaling: Application Auto Scaling of an ECS service's task count by target tracking.

Creates:
- appautoscaling.Target ``<name>`` on ``ecs:service:DesiredCount`` between ``min_count`` and ``max_count``;
- appautoscaling.Policy ``<name>-cpu`` / ``-memory`` / ``-requests`` for each goal given: average CPU or memory
  utilization of the service, or ALB requests per target (``ALBRequestCountPerTarget``, labelled with the ALB's and
  target group's ARN suffixes).

Scaling out reacts within a minute; scaling in waits five, so a short dip does not remove warm JVMs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300


@dataclass(frozen=True)
class ServiceAutoscalingArgs:
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    min_count: int
    max_count: int
    load_balancer_dimension: pulumi.Input[str]
    target_group_dimension: pulumi.Input[str]
    cpu_target: float | None = None
    memory_target: float | None = None
    requests_per_target: int | None = None


class ServiceAutoscaling(pulumi.ComponentResource):
    target: aws.appautoscaling.Target
    policies: dict[str, aws.appautoscaling.Policy]

    def __init__(self, name: str, args: ServiceAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:ecs:ServiceAutoscaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.target = aws.appautoscaling.Target(
            name,
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", args.service_name),
            min_capacity=args.min_count,
            max_capacity=args.max_count,
            opts=child,
        )
        request_label = pulumi.Output.concat(args.load_balancer_dimension, "/", args.target_group_dimension)
        goals: dict[str, tuple[str, float | int | None, pulumi.Input[str] | None]] = {
            "cpu": ("ECSServiceAverageCPUUtilization", args.cpu_target, None),
            "memory": ("ECSServiceAverageMemoryUtilization", args.memory_target, None),
            "requests": ("ALBRequestCountPerTarget", args.requests_per_target, request_label),
        }
        self.policies = {}
        for goal, (metric, value, label) in goals.items():
            if value is None:
                continue
            self.policies[goal] = aws.appautoscaling.Policy(
                f"{name}-{goal}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=float(value),
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=metric, resource_label=label
                    ),
                    scale_out_cooldown=SCALE_OUT_COOLDOWN,
                    scale_in_cooldown=SCALE_IN_COOLDOWN,
                ),
                opts=child,
            )
        self.register_outputs({"resourceId": self.target.resource_id})
