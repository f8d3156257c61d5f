"""The previous deployment's production listener rule of a blue/green stack, read with a StackReference to this stack.

ECS moves that rule's weights on every blue/green deployment, so the live tasks may sit in either target group.
:class:`components.blue_green.BlueGreenRouting` reads the rule's current weights from AWS and declares them, so a rule
created anew (on the HTTPS listener when ``certificateArn`` is added, say) starts where the traffic is instead of
sending everything to a target group that may be empty.
"""

from __future__ import annotations

import pulumi

RULE_OUTPUT = "productionListenerRuleArn"


def this_stack() -> str:
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"


def previous_production_rule() -> pulumi.Output[str | None]:
    """The ``productionListenerRuleArn`` this stack exported last time; None on a new stack or after ROLLING."""
    previous = pulumi.StackReference("previous-deployment", stack_name=this_stack())
    return pulumi.Output.from_input(previous.get_output(RULE_OUTPUT))
