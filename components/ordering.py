"""Ordering helpers shared by the components."""

from __future__ import annotations

import pulumi


def once_created(value: pulumi.Output[str], *resources: pulumi.Resource) -> pulumi.Output[str]:
    """``value``, resolved only after ``resources`` exist, so whatever consumes it also waits for them.

    A role's ARN is known before its policies are attached; handing out this instead means no task (or ECS
    deployment) can use the role half-built.
    """
    return pulumi.Output.all(value, *[r.urn for r in resources]).apply(lambda values: str(values[0]))
