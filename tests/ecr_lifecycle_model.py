"""Which images an Amazon ECR lifecycle policy expires, as AWS's documentation describes the evaluator.

Nothing local runs ECR's evaluator (moto's ``put_lifecycle_policy`` only stores the text), so this model is written
from the user guide; ``tests/test_ecr_lifecycle_model.py`` holds it to the guide's own worked examples.

Sources (each rule below carries a one-line citation, by the short names on the left):
- [properties] https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
- [evaluation] https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html#lp_evaluation_rules
- [examples]   https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html
- [archive]    https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html
- [quotas]     https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html

Scope: every ``StoredImage`` is an active image in the ``standard`` storage class, never archived or restored, and
no manifest list refers to it. So rules selecting the ``archive`` storage class select nothing here, and a
``transition`` (archive) rule expires nothing but, like any rule, still shields the images it selects from the
rules after it. ``sinceImagePulled`` needs pull times the model does not have; it is only allowed with
``transition``, so its count never decides an expiry.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TAG_STATUSES = ("tagged", "untagged", "any")  # [properties] tagStatus: tagged, untagged or any
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")  # [properties]
AGE_COUNT_TYPES = ("sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")  # [properties] countUnit
ACTION_TYPES = ("expire", "transition")  # [properties] action type: expire (delete) or transition (to archive)
MAX_RULES = 50  # [quotas] "Rules per lifecycle policy: 50", not adjustable
MAX_WILDCARDS = 4  # [properties] "a maximum limit of four wildcards (*) per string"
MIN_ARCHIVED_DAYS = (
    90  # [archive] "cannot configure lifecycle policies that delete images ... in archive for less than 90 days"
)


@dataclass(frozen=True)
class StoredImage:
    digest: str
    tags: tuple[str, ...]
    pushed_days_ago: float


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tag_filters(selection: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """("tagPrefixList" | "tagPatternList", its strings), or None for a rule without either."""
    for key in ("tagPrefixList", "tagPatternList"):
        if key in selection:
            return key, tuple(selection[key])
    return None


def _storage_class(selection: Mapping[str, Any]) -> str:
    return str(selection.get("storageClass", "standard"))  # [properties] "If you omit this, ... standard"


def _validate_rule(rule: Any) -> None:
    if not isinstance(rule, Mapping):
        raise ValueError(f"a rule must be a JSON object, not {rule!r}")
    priority = rule.get("rulePriority")
    where = f"rule with rulePriority {priority!r}"
    if not _is_int(priority):
        raise ValueError(f"{where}: rulePriority is required and must be an integer")  # [properties] Type: integer
    if "description" in rule and not isinstance(rule["description"], str):
        raise ValueError(f"{where}: description must be a string")  # [properties] description: Type: string
    selection, action = rule.get("selection"), rule.get("action")
    if not isinstance(selection, Mapping) or not isinstance(action, Mapping):
        raise ValueError(f"{where}: selection and action are required objects")  # [properties] template

    tag_status = selection.get("tagStatus")
    if tag_status not in TAG_STATUSES:
        raise ValueError(f"{where}: tagStatus must be one of {TAG_STATUSES}, not {tag_status!r}")
    has_prefixes, has_patterns = "tagPrefixList" in selection, "tagPatternList" in selection
    if has_prefixes and has_patterns:
        # [evaluation] "may specify either tagPatternList or tagPrefixList, but not both"
        raise ValueError(f"{where}: tagPrefixList and tagPatternList cannot both be given")
    if tag_status == "tagged" and not (has_prefixes or has_patterns):
        # [properties] "If you specify tagged, then you must also specify a tagPrefixList value or a tagPatternList"
        raise ValueError(f"{where}: tagStatus tagged needs a tagPrefixList or a tagPatternList")
    if tag_status != "tagged" and (has_prefixes or has_patterns):
        # [evaluation] "The tagPatternList or tagPrefixList parameters may only used if the tagStatus is tagged"
        raise ValueError(f"{where}: tagPrefixList/tagPatternList are only allowed with tagStatus tagged")
    filters = _tag_filters(selection)
    if filters is not None:
        key, _ = filters
        values = selection[key]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{where}: {key} must be a non-empty list of strings")  # [properties] list[string]
        for pattern in values if key == "tagPatternList" else ():
            if pattern.count("*") > MAX_WILDCARDS:
                # [properties] "["test*1*2*3*4*5*6"] is invalid"
                raise ValueError(f"{where}: {pattern!r} has more than {MAX_WILDCARDS} wildcards")

    count_type = selection.get("countType")
    if count_type not in COUNT_TYPES:
        raise ValueError(f"{where}: countType must be one of {COUNT_TYPES}, not {count_type!r}")
    count_number: Any = selection.get("countNumber")
    if not _is_int(count_number) or count_number < 1:
        # [properties] countNumber: "Acceptable values are positive integers (0 is not an accepted value)"
        raise ValueError(f"{where}: countNumber must be a positive integer, not {count_number!r}")
    if count_type in AGE_COUNT_TYPES:
        if selection.get("countUnit") != "days":
            # [properties] countUnit: required for the since* count types; "Specify a count unit of days"
            raise ValueError(f"{where}: countType {count_type} needs countUnit 'days'")
    elif "countUnit" in selection:
        # [properties] "an error will occur if you specify a count unit when countType is any other value"
        raise ValueError(f"{where}: countUnit is only allowed with {AGE_COUNT_TYPES}, not with {count_type}")

    storage_class = _storage_class(selection)
    if count_type == "sinceImageTransitioned" and selection.get("storageClass") != "archive":
        # [properties] storageClass, with sinceImageTransitioned: "required, and the only supported value is archive"
        raise ValueError(f"{where}: countType sinceImageTransitioned needs storageClass 'archive'")
    if count_type != "sinceImageTransitioned" and storage_class != "standard":
        # [properties] storageClass: with the other count types "the only supported value is standard"
        raise ValueError(f"{where}: storageClass must be 'standard' with countType {count_type}")

    action_type = action.get("type")
    if action_type not in ACTION_TYPES:
        # [properties] Action type: "The supported values are expire ... and transition"
        raise ValueError(f"{where}: unknown action type {action_type!r}; ECR accepts only {ACTION_TYPES}")
    if action_type == "transition" and action.get("targetStorageClass") != "archive":
        # [properties] targetStorageClass: required if type is transition; "archive is the only supported value"
        raise ValueError(f"{where}: action transition needs targetStorageClass 'archive'")
    if count_type == "sinceImagePulled" and action_type != "transition":
        # [examples] "The sinceImagePulled count type must be used with the transition action"
        raise ValueError(f"{where}: countType sinceImagePulled can only be used with action transition")
    if count_type == "sinceImageTransitioned":
        if action_type != "expire":
            # [examples] "The sinceImageTransitioned count type must be used with the expire action"
            raise ValueError(f"{where}: countType sinceImageTransitioned can only be used with action expire")
        if count_number < MIN_ARCHIVED_DAYS:
            # [archive] no lifecycle deletion of images archived for less than 90 days
            raise ValueError(f"{where}: archived images can only be expired after {MIN_ARCHIVED_DAYS} days or more")


def validate(policy: Mapping[str, Any]) -> None:
    """Raise ValueError for a policy ECR would refuse (duplicate priorities, `any` not last, tagged without a
    prefix/pattern list, untagged with one, both lists, countUnit with imageCountMoreThan, ...)."""
    if not isinstance(policy, Mapping):
        raise ValueError(f"a lifecycle policy must be a JSON object, not {type(policy).__name__}")
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ValueError("a lifecycle policy needs a non-empty 'rules' list")  # [evaluation] "one or more rules"
    if len(rules) > MAX_RULES:
        raise ValueError(f"a lifecycle policy holds at most {MAX_RULES} rules, not {len(rules)}")  # [quotas]
    for rule in rules:
        _validate_rule(rule)

    priorities = [rule["rulePriority"] for rule in rules]
    duplicates = sorted({p for p in priorities if priorities.count(p) > 1})
    if duplicates:
        # [properties] rulePriority: "you must give them each a unique value for rulePriority"
        raise ValueError(f"rulePriority values must be unique; repeated: {duplicates}")

    by_class: dict[str, list[Mapping[str, Any]]] = {}
    for rule in rules:
        by_class.setdefault(_storage_class(rule["selection"]), []).append(rule)
    for storage_class, members in by_class.items():
        highest = max(rule["rulePriority"] for rule in members)
        for rule in members:
            if rule["selection"]["tagStatus"] == "any" and rule["rulePriority"] != highest:
                # [properties] "A rule with a tagStatus value of any must have the highest value for rulePriority"
                raise ValueError(
                    f"rule with rulePriority {rule['rulePriority']}: a tagStatus 'any' rule must have the highest "
                    f"rulePriority (of the rules selecting storageClass {storage_class!r}); {highest} is higher"
                )
        untagged = [rule["rulePriority"] for rule in members if rule["selection"]["tagStatus"] == "untagged"]
        if len(untagged) > 1:
            # [evaluation] "Only one rule selecting a specific storage class is allowed to select untagged images"
            raise ValueError(f"only one rule may select untagged images (storageClass {storage_class!r}): {untagged}")
        seen: dict[tuple[str, frozenset[str]], int] = {}
        for rule in members:
            filters = _tag_filters(rule["selection"])
            if filters is None:
                continue
            key = (filters[0], frozenset(filters[1]))
            if key in seen:
                # [evaluation] "rules selecting a specific storage class must contain a unique set of prefixes"
                raise ValueError(
                    f"rules with rulePriority {seen[key]} and {rule['rulePriority']} have the same {filters[0]} "
                    f"{sorted(key[1])}; each rule's set of tag prefixes/patterns must be unique"
                )
            seen[key] = rule["rulePriority"]


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    # [evaluation] "prod*" matches tags beginning with prod ("prod", "prod1"), "*prod*" tags containing prod:
    # * stands for any run of characters (none included) and the pattern must match the whole tag.
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern), re.DOTALL)


def _selects(selection: Mapping[str, Any], image: StoredImage) -> bool:
    """Whether the rule's tagging requirements match the image (its storage class is checked by the caller)."""
    status = selection["tagStatus"]
    if status == "any":
        return True  # [properties] "If you specify any, then all images have the rule evaluated against them"
    if status == "untagged":
        return not image.tags  # [properties] tagStatus untagged: images without a tag
    key, filters = _tag_filters(selection) or ("", ())
    if key == "tagPrefixList":
        # [evaluation] matched if all the tagPrefixList values "are matched against any of the image's tags"
        return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in filters)
    # [properties] "If you specify multiple tags, only the images with all specified tags are selected"
    return all(any(_pattern(pattern).fullmatch(tag) for tag in image.tags) for pattern in filters)


def _marked(selection: Mapping[str, Any], selected: Sequence[tuple[int, StoredImage]]) -> set[str]:
    """Digests an expire rule would mark among the images it selects (as if no other rule existed)."""
    count_type, count = selection["countType"], selection["countNumber"]
    if count_type == "imageCountMoreThan":
        # [evaluation] "images are sorted from youngest to oldest based on pushed_at_time and then all images greater
        # than the specified count are expired". Equal push times: the image given later counts as pushed later
        # (the [examples] list repositories in push order; "Filtering on all images", example B, needs that).
        youngest_first = sorted(selected, key=lambda entry: (entry[1].pushed_days_ago, -entry[0]))
        return {image.digest for _, image in youngest_first[count:]}
    if count_type == "sinceImagePushed":
        # [evaluation] "all images whose pushed_at_time is older than the specified number of days ... are expired"
        return {image.digest for _, image in selected if image.pushed_days_ago > count}
    # sinceImagePulled is transition-only and sinceImageTransitioned selects archived images: validate() and the
    # storage-class check in expired() keep both from reaching here.
    raise AssertionError(f"countType {count_type} cannot expire an active image")


def expired(images: Sequence[StoredImage], policy: Mapping[str, Any]) -> set[str]:
    """Digests the policy (the JSON document as given to PutLifecyclePolicy, parsed) expires from these images."""
    validate(policy)  # [examples] "The contents of your lifecycle policy are evaluated before being associated"
    digests = [image.digest for image in images]
    if len(set(digests)) != len(digests):
        raise ValueError("each image in a repository has its own digest; got repeated digests")
    indexed = list(enumerate(images))

    # [properties] rulePriority: "Sets the order in which rules are applied, lowest to highest"
    rules = sorted(policy["rules"], key=lambda rule: rule["rulePriority"])
    claimed: set[str] = set()  # images whose tagging requirements a higher-priority rule matched
    result: set[str] = set()
    for rule in rules:
        selection = rule["selection"]
        if _storage_class(selection) != "standard":
            continue  # [properties] storageClass: "The rule will only select images of this storage class"
        selected = [(i, image) for i, image in indexed if _selects(selection, image)]
        if rule["action"]["type"] == "expire":
            # [evaluation] "All rules are evaluated at the same time, regardless of rule priority": a rule counts
            # every image it selects, and "can still identify them as if they haven't been expired or archived".
            marked = _marked(selection, selected)
            # [evaluation] "An image that matches the tagging requirements of a rule cannot be expired or archived
            # by a rule with a lower priority", so "an image is expired or archived by exactly one or zero rules".
            result |= marked - claimed
        # A transition rule archives (does not expire) what it marks, and shields what it selects all the same.
        claimed |= {image.digest for _, image in selected}
    return result
