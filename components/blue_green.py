"""BlueGreenRouting: what ECS's native blue/green deployments need around a service's load balancer.

Creates:
- lb.TargetGroup ``<name>-green``: the alternate target group, identical to the primary (port, health check,
  deregistration delay), so a revision is judged the same way on either side;
- lb.ListenerRule ``<name>-production`` on the production listener: every path, forward to blue (weight 100) and
  green (weight 0). ECS moves the weights during a deployment; the program ignores later changes to them;
- lb.Listener ``<name>-test`` on ``test_port`` (HTTPS when there is a certificate) and lb.ListenerRule
  ``<name>-test``: the new revision's traffic before production, reachable only from ``test_cidrs`` (none by default);
- iam.Role ``<name>-infrastructure`` (trusted by ``ecs.amazonaws.com``) with
  ``AmazonECSInfrastructureRolePolicyForLoadBalancers``, which ECS uses to move the weights and register targets.

Every action is a forward: ECS rejects listener rules that mix forward with redirect or fixed-response actions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.ordering import once_created

ECS = "ecs.amazonaws.com"
INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"


def ecs_infrastructure_trust_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EcsManagesTheLoadBalancer",
                "Effect": "Allow",
                "Principal": {"Service": ECS},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def weighted_forward(
    blue: pulumi.Input[str], green: pulumi.Input[str], blue_weight: int
) -> aws.lb.ListenerRuleActionArgs:
    return aws.lb.ListenerRuleActionArgs(
        type="forward",
        forward=aws.lb.ListenerRuleActionForwardArgs(
            target_groups=[
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=blue, weight=blue_weight),
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=green, weight=100 - blue_weight),
            ]
        ),
    )


EVERY_PATH = [aws.lb.ListenerRuleConditionArgs(path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"]))]


@dataclass(frozen=True)
class BlueGreenRoutingArgs:
    load_balancer_arn: pulumi.Input[str]
    alb_security_group_id: pulumi.Input[str]
    production_listener_arn: pulumi.Input[str]
    blue_target_group: aws.lb.TargetGroup
    target_group_settings: dict[str, Any]
    """The primary target group's arguments, repeated for the green one."""
    test_port: int = 8080
    test_cidrs: Sequence[str] = ()
    certificate_arn: str | None = None
    """With a certificate, the test listener speaks HTTPS too."""
    tls_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    partition: pulumi.Input[str] = "aws"


class BlueGreenRouting(pulumi.ComponentResource):
    green_target_group: aws.lb.TargetGroup
    production_rule: aws.lb.ListenerRule
    test_listener: aws.lb.Listener
    test_rule: aws.lb.ListenerRule
    infrastructure_role: aws.iam.Role
    infrastructure_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BlueGreenRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:ecs:BlueGreenRouting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # ECS rewrites the weights on every deployment; putting them back would cut traffic to the live revision.
        ecs_owns_weights = pulumi.ResourceOptions(parent=self, ignore_changes=["actions"])
        blue = args.blue_target_group.arn

        self.green_target_group = aws.lb.TargetGroup(f"{name}-green", **args.target_group_settings, opts=child)
        green = self.green_target_group.arn
        self.production_rule = aws.lb.ListenerRule(
            f"{name}-production",
            listener_arn=args.production_listener_arn,
            priority=1,
            conditions=EVERY_PATH,
            actions=[weighted_forward(blue, green, blue_weight=100)],
            opts=ecs_owns_weights,
        )
        self.test_listener = aws.lb.Listener(
            f"{name}-test",
            load_balancer_arn=args.load_balancer_arn,
            port=args.test_port,
            protocol="HTTPS" if args.certificate_arn else "HTTP",
            certificate_arn=args.certificate_arn,
            ssl_policy=args.tls_policy if args.certificate_arn else None,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=green)],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["defaultActions"]),
        )
        self.test_rule = aws.lb.ListenerRule(
            f"{name}-test",
            listener_arn=self.test_listener.arn,
            priority=1,
            conditions=EVERY_PATH,
            actions=[weighted_forward(blue, green, blue_weight=0)],
            opts=ecs_owns_weights,
        )
        for index, cidr in enumerate(args.test_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-test-in-{index}",
                security_group_id=args.alb_security_group_id,
                description=f"Test listener from {cidr}",
                ip_protocol="tcp",
                from_port=args.test_port,
                to_port=args.test_port,
                cidr_ipv4=cidr,
                opts=child,
            )

        self.infrastructure_role = aws.iam.Role(
            f"{name}-infrastructure",
            description="Lets ECS shift traffic between the blue and green target groups",
            assume_role_policy=json.dumps(ecs_infrastructure_trust_policy()),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-infrastructure",
            role=self.infrastructure_role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(
                lambda p: f"arn:{p}:iam::aws:policy/{INFRASTRUCTURE_POLICY}"
            ),
            opts=child,
        )
        # The service may use the role only once its policy is attached.
        self.infrastructure_role_arn = once_created(self.infrastructure_role.arn, attachment)
        self.register_outputs(
            {
                "greenTargetGroupArn": green,
                "productionRuleArn": self.production_rule.arn,
                "testRuleArn": self.test_rule.arn,
                "infrastructureRoleArn": self.infrastructure_role_arn,
            }
        )
