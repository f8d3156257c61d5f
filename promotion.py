"""Promotion: deploy the exact image another stack runs, read through a StackReference, without rebuilding it."""

from __future__ import annotations

import pulumi

from settings import DIGEST_IMAGE


class PromotionError(ValueError):
    pass


def checked_image(value: object, stack_name: str) -> str:
    """The source stack's ``imageUri`` if it is a digest-pinned image; a clear error otherwise."""
    if not value:
        raise PromotionError(
            f"imageFromStack: stack {stack_name!r} exports no imageUri; deploy it first "
            f"(`pulumi up --stack {stack_name}`) or check the name"
        )
    if not isinstance(value, str) or not DIGEST_IMAGE.match(value):
        raise PromotionError(
            f"imageFromStack: stack {stack_name!r} exports imageUri={value!r}, not repo@sha256:<digest>"
        )
    return value


def promoted_image(stack_name: str) -> pulumi.Output[str]:
    source = pulumi.StackReference(f"image-from-{stack_name.replace('/', '-')}", stack_name=stack_name)
    return source.get_output("imageUri").apply(lambda value: checked_image(value, stack_name))
