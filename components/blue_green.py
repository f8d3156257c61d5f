"""BlueGreenRouting: what ECS's native blue/green deployments need around a service's load balancer.

Creates:
- lb.TargetGroup ``<green_target_group_name>`` (``<name>-green`` by default, and aliased from that name): the
  alternate target group, identical to the primary (port, health check, deregistration delay), so a revision is
  judged the same way on either side;
- lb.ListenerRule ``<name>-production`` on the production listener: every path, forward to blue and green with the
  weights ECS last set, read from the previous deployment's rule (blue 100, green 0 on a new stack). ECS moves
  them during a deployment; declaring what is live means a rule that has to be created anew (on another listener)
  never sends production traffic to the side without tasks;
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
    blue: pulumi.Input[str], green: pulumi.Input[str], blue_weight: pulumi.Input[int]
) -> aws.lb.ListenerRuleActionArgs:
    green_weight = pulumi.Output.from_input(blue_weight).apply(lambda weight: 100 - weight)
    return aws.lb.ListenerRuleActionArgs(
        type="forward",
        forward=aws.lb.ListenerRuleActionForwardArgs(
            target_groups=[
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=blue, weight=blue_weight),
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=green, weight=green_weight),
            ]
        ),
    )


def blue_weight_from(actions: Sequence[Any], blue_target_group_arn: str) -> int:
    """The weight a rule's forward actions (as ``lb.get_listener_rule`` returns them) give the blue target group."""
    for action in actions:
        for forward in _field(action, "forwards") or []:
            for group in _field(forward, "target_groups") or []:
                if _field(group, "arn") == blue_target_group_arn:
                    return int(_field(group, "weight"))
    return 100


def _field(value: Any, name: str) -> Any:
    """A field of an invoke result, which the SDK hands over as its output type or, nested, as a plain dict."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name)


def live_blue_weight(
    previous_rule_arn: pulumi.Input[str | None], blue_target_group_arn: pulumi.Input[str]
) -> pulumi.Output[int]:
    """The production weight of the blue target group now: read from the previous rule, 100 without one."""

    def weight(arn: str | None) -> pulumi.Output[int]:
        if not arn:  # a new stack, or one that ran ROLLING until now: every task is behind the primary group
            return pulumi.Output.from_input(100)
        actions = aws.lb.get_listener_rule_output(arn=arn).actions
        return pulumi.Output.all(actions, blue_target_group_arn).apply(lambda a: blue_weight_from(a[0], a[1]))

    return pulumi.Output.from_input(previous_rule_arn).apply(weight)


EVERY_PATH = [aws.lb.ListenerRuleConditionArgs(path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"]))]


@dataclass(frozen=True, kw_only=True)
class BlueGreenRoutingArgs:
    load_balancer_arn: pulumi.Input[str]
    alb_security_group_id: pulumi.Input[str]
    production_listener_arn: pulumi.Input[str]
    blue_target_group: aws.lb.TargetGroup
    target_group_settings: dict[str, Any]
    """The primary target group's arguments, repeated for the green one."""
    test_port: int
    test_cidrs: Sequence[str] = ()
    certificate_arn: str | None = None
    """With a certificate, the test listener speaks HTTPS too."""
    tls_policy: str
    partition: pulumi.Input[str]
    previous_production_rule_arn: pulumi.Input[str | None] = None
    """The production rule the previous deployment exported, whose live weights the rule keeps."""
    green_target_group_name: str | None = None
    """Logical name of the green target group (the provider adds 8 characters; AWS allows 32)."""
    permissions_boundary: str | None = None
    """Managed policy every role of the stack carries as its permissions boundary (bootstrap's, for CI)."""


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
        # ECS rewrites the test rule's weights on every deployment; putting them back would cut the test traffic.
        ecs_owns_weights = pulumi.ResourceOptions(parent=self, ignore_changes=["actions"])
        blue = args.blue_target_group.arn

        green_name = args.green_target_group_name or f"{name}-green"
        # Stacks created before the shorter name keep their target group: same resource, same physical name.
        renamed = [pulumi.Alias(name=f"{name}-green")] if green_name != f"{name}-green" else None
        self.green_target_group = aws.lb.TargetGroup(
            green_name, **args.target_group_settings, opts=pulumi.ResourceOptions(parent=self, aliases=renamed)
        )
        green = self.green_target_group.arn
        self.production_rule = aws.lb.ListenerRule(
            f"{name}-production",
            listener_arn=args.production_listener_arn,
            priority=1,
            conditions=EVERY_PATH,
            actions=[weighted_forward(blue, green, live_blue_weight(args.previous_production_rule_arn, blue))],
            opts=child,
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
            permissions_boundary=args.permissions_boundary,
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
