"""Promotion: deploy the exact image another stack runs, read through a StackReference, without rebuilding it.

With ``imageUri`` set as well, that digest is the one an approver saw (the deploy workflow passes the dev job's
``imageUri`` to prod): it is deployed only while the source stack still exports it, so a later dev deploy can never
slip into an approved prod deploy.
"""

from __future__ import annotations

import pulumi

from stack_support.settings import DIGEST_IMAGE


class PromotionError(ValueError):
    pass


def not_deployed_yet(stack_name: str) -> str:
    return f"<the imageUri of {stack_name}, once it is deployed>"


def checked_image(value: object, stack_name: str, approved: str | None = None, *, preview: bool = False) -> str:
    """The source stack's ``imageUri`` if it is a digest-pinned image (and the approved one); a clear error otherwise.

    A preview of a stack whose source was never deployed (the first pull request of a new project) warns and shows a
    placeholder instead of failing; ``pulumi up`` still refuses.
    """
    if not value:
        message = (
            f"imageFromStack: stack {stack_name!r} exports no imageUri; deploy it first "
            f"(`pulumi up --stack {stack_name}`) or check the name"
        )
        if preview:
            pulumi.log.warn(message + "; this preview shows the image as a placeholder")
            return approved or not_deployed_yet(stack_name)
        raise PromotionError(message)
    if not isinstance(value, str) or not DIGEST_IMAGE.match(value):
        raise PromotionError(
            f"imageFromStack: stack {stack_name!r} exports imageUri={value!r}, not repo@sha256:<digest>"
        )
    if approved is not None and value != approved:
        raise PromotionError(
            f"imageUri={approved!r} is the image approved for this deploy, but stack {stack_name!r} now exports "
            f"{value!r}: it was deployed again since. Run the deploy again and approve the image it shows"
        )
    return value


def promoted_image(stack_name: str, approved: str | None = None) -> pulumi.Output[str]:
    source = pulumi.StackReference(f"image-from-{stack_name.replace('/', '-')}", stack_name=stack_name)
    preview = pulumi.runtime.is_dry_run()
    return source.get_output("imageUri").apply(
        lambda value: checked_image(value, stack_name, approved, preview=preview)
    )
