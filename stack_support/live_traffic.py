"""What this stack's previous deployment exported, read with a StackReference to this stack: the production listener
rule of a blue/green stack, and the tag of the image it pushed.

ECS moves that rule's weights on every blue/green deployment, so the live tasks may sit in either target group.
:class:`components.blue_green.BlueGreenRouting` reads the rule's current weights from AWS and declares them, so a rule
created anew (on the HTTPS listener when ``certificateArn`` is added, say) starts where the traffic is instead of
sending everything to a target group that may be empty.
"""

from __future__ import annotations

import pulumi

RULE_OUTPUT = "productionListenerRuleArn"
TAG_OUTPUT = "imageTag"


def this_stack() -> str:
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"


def previous_deployment() -> pulumi.StackReference:
    """This stack's last outputs (none on a new stack); the program makes one per run."""
    return pulumi.StackReference("previous-deployment", stack_name=this_stack())


def previous_production_rule(previous: pulumi.StackReference) -> pulumi.Output[str | None]:
    """The ``productionListenerRuleArn`` this stack exported last time; None on a new stack or after ROLLING."""
    return pulumi.Output.from_input(previous.get_output(RULE_OUTPUT))


def previous_image_tag(previous: pulumi.StackReference) -> pulumi.Output[str | None]:
    """The ``imageTag`` this stack pushed last time; None on a new stack."""
    return pulumi.Output.from_input(previous.get_output(TAG_OUTPUT))
