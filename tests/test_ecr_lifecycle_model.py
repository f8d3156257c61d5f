"""The ECR lifecycle model gives the user guide's own worked examples their documented outcome, protects images
selected by a higher-priority rule, and refuses the policies the guide says ECR refuses (see the model's sources)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.ecr_lifecycle_model import StoredImage, expired, validate

Selector = dict[str, Any]

ANY: Selector = {"tagStatus": "any"}
UNTAGGED: Selector = {"tagStatus": "untagged"}
TO_ARCHIVE = {"type": "transition", "targetStorageClass": "archive"}


def prefixes(*values: str) -> Selector:
    return {"tagStatus": "tagged", "tagPrefixList": list(values)}


def patterns(*values: str) -> Selector:
    return {"tagStatus": "tagged", "tagPatternList": list(values)}


def rule(priority: int, select: Selector, count: Selector, action: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "rulePriority": priority,
        "description": f"Rule {priority}",
        "selection": {**select, **count},
        "action": action or {"type": "expire"},
    }


def keep(priority: int, count: int, select: Selector) -> dict[str, Any]:
    """Expire the selected images beyond the newest ``count``."""
    return rule(priority, select, {"countType": "imageCountMoreThan", "countNumber": count})


def older_than(priority: int, days: int, select: Selector, action: dict[str, str] | None = None) -> dict[str, Any]:
    """Expire (or archive) the selected images pushed more than ``days`` ago."""
    return rule(priority, select, {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": days}, action)


def archived_for(priority: int, days: int, select: Selector, action: dict[str, str] | None = None) -> dict[str, Any]:
    """Expire the selected archived images archived more than ``days`` ago."""
    count = {"storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": days}
    return rule(priority, select, count, action)


def policy(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(rules)}


def repo(*images: tuple[str, list[str], float]) -> list[StoredImage]:
    """Images named by a letter, as the examples name them, listed in push order as the examples list them."""
    return [StoredImage(digest=name, tags=tuple(tags), pushed_days_ago=days) for name, tags, days in images]


# Examples of lifecycle policies, "Filtering on multiple rules" (examples A and B share the repository).
MULTIPLE_RULES_REPO = repo(("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8))
# "Filtering on multiple tags in a single rule", example A.
MULTIPLE_TAGS_REPO = repo(
    ("A", ["alpha-1"], 12),
    ("B", ["beta-1"], 11),
    ("C", ["alpha-2", "beta-2"], 10),
    ("D", ["alpha-3"], 4),
    ("E", ["beta-3"], 3),
    ("F", ["alpha-4", "beta-4"], 2),
)
# "Filtering on multiple tags in a single rule", example B ("tags are not exclusive").
NOT_EXCLUSIVE_REPO = repo(
    ("A", ["alpha-1", "beta-1", "gamma-1"], 10),
    ("B", ["alpha-2", "beta-2"], 9),
    ("C", ["alpha-3", "beta-3", "gamma-2"], 8),
)
# "Filtering on all images", examples A and B.
ALL_IMAGES_A_REPO = repo(("A", ["alpha-1"], 4), ("B", ["beta-1"], 3), ("C", [], 2), ("D", ["alpha-2"], 1))
ALL_IMAGES_B_REPO = repo(
    ("A", ["alpha-1", "beta-1"], 4), ("B", [], 3), ("C", ["alpha-2"], 2), ("D", ["git hash"], 1), ("E", [], 1)
)

# The guide first gave these examples with tagPrefixList ["prod"], and now with tagPatternList ["prod*"]: run both.
Tagged = Callable[..., Selector]
FILTER_KINDS = [pytest.param(prefixes, "", id="tagPrefixList"), pytest.param(patterns, "*", id="tagPatternList")]


@pytest.mark.parametrize(("tagged", "star"), FILTER_KINDS)
def test_multiple_rules_example_a(tagged: Tagged, star: str) -> None:
    # Rule 1 (prod) marks A. Rule 2 (beta) would mark A and B, but both match Rule 1's tagging requirements, so
    # expiring B "would violate Rule 1 and thus is skipped".
    document = policy(keep(1, 1, tagged(f"prod{star}")), keep(2, 1, tagged(f"beta{star}")))
    assert expired(MULTIPLE_RULES_REPO, document) == {"A"}


@pytest.mark.parametrize(("tagged", "star"), FILTER_KINDS)
def test_multiple_rules_example_b(tagged: Tagged, star: str) -> None:
    # Rule 1 (beta) sees all three images and marks A and B; Rule 2 (prod) sees nothing left to mark.
    document = policy(keep(1, 1, tagged(f"beta{star}")), keep(2, 1, tagged(f"prod{star}")))
    assert expired(MULTIPLE_RULES_REPO, document) == {"A", "B"}


def test_rules_apply_by_rule_priority_not_by_position_in_the_list() -> None:
    # Example A's policy with the rules listed the other way round and priorities that are not sequential.
    document = policy(keep(20, 1, patterns("beta*")), keep(7, 1, patterns("prod*")))
    assert expired(MULTIPLE_RULES_REPO, document) == {"A"}


@pytest.mark.parametrize(("tagged", "star"), FILTER_KINDS)
def test_multiple_tags_in_a_single_rule_example_a(tagged: Tagged, star: str) -> None:
    # Only C and F carry both an alpha and a beta tag, and only C is older than five days. A and B (12 and 11 days
    # old) carry one of the two and stay: an image must match *all* the listed prefixes/patterns.
    document = policy(older_than(1, 5, tagged(f"alpha{star}", f"beta{star}")))
    assert expired(MULTIPLE_TAGS_REPO, document) == {"C"}


@pytest.mark.parametrize(("tagged", "star"), FILTER_KINDS)
def test_multiple_tags_in_a_single_rule_example_b(tagged: Tagged, star: str) -> None:
    # Every image has an alpha and a beta tag (the gamma tags do not get in the way): keep the newest, C.
    document = policy(keep(1, 1, tagged(f"alpha{star}", f"beta{star}")))
    assert expired(NOT_EXCLUSIVE_REPO, document) == {"A", "B"}


def test_all_images_example_a() -> None:
    assert expired(ALL_IMAGES_A_REPO, policy(keep(1, 1, ANY))) == {"A", "B", "C"}


@pytest.mark.parametrize(("tagged", "star"), FILTER_KINDS)
def test_all_images_example_b(tagged: Tagged, star: str) -> None:
    # Rule 1 (alpha) marks A, Rule 2 (untagged, older than a day) marks B. Rule 3 (any, keep 1) counts all five
    # images, keeps the newest (E, pushed after D though both are "1 day ago") and may only mark D: A, B, C and E
    # matched the tagging requirements of higher-priority rules. A model where Rule 3 counted only the images no
    # earlier rule selected would keep D; one where it could expire those images would expire C as well.
    document = policy(keep(1, 1, tagged(f"alpha{star}")), older_than(2, 1, UNTAGGED), keep(3, 1, ANY))
    assert expired(ALL_IMAGES_B_REPO, document) == {"A", "B", "D"}


def test_filtering_on_image_age_example() -> None:
    # tagPatternList ["prod*"], older than 14 days: the tag must *begin* with prod; untagged images are not selected.
    images = repo(
        ("old-prod", ["prod"], 15),
        ("young-prod", ["prod1"], 13),
        ("old-team", ["production-team1"], 40),
        ("not-prod", ["preprod", "stage"], 40),
        ("untagged", [], 40),
    )
    assert expired(images, policy(older_than(1, 14, patterns("prod*")))) == {"old-prod", "old-team"}


def test_filtering_on_image_age_example_untagged() -> None:
    # The guide's earlier version of that example: untagged images older than 14 days ("older than": 14 stays).
    images = repo(("tagged", ["v1"], 90), ("old", [], 15), ("day-14", [], 14), ("newest", [], 0.5))
    assert expired(images, policy(older_than(1, 14, UNTAGGED))) == {"old"}


def test_filtering_on_image_count_example() -> None:
    # Keep only one untagged image: the newest untagged one stays, and tagged images are not this rule's business.
    images = repo(("u1", [], 30), ("t1", ["v1"], 20), ("u2", [], 10), ("u3", [], 5), ("t2", ["v2"], 1))
    assert expired(images, policy(keep(1, 1, UNTAGGED))) == {"u1", "u2"}


def test_wildcards_match_the_whole_tag() -> None:
    # "*prod*" matches tags containing prod ("repo-production", "prod-team"); "prod*" only tags beginning with it.
    images = repo(("a", ["repo-production"], 9), ("b", ["prod-team"], 8), ("c", ["pro-d"], 7), ("d", ["PROD"], 6))
    assert expired(images, policy(older_than(1, 1, patterns("*prod*")))) == {"a", "b"}
    assert expired(images, policy(older_than(1, 1, patterns("prod*")))) == {"b"}
    assert expired(images, policy(older_than(1, 1, patterns("p*d-t*m")))) == {"b"}
    assert expired(images, policy(older_than(1, 1, patterns("prod")))) == set()


def test_only_the_star_is_a_wildcard() -> None:
    # The guide names only * as a wildcard: "." is a literal dot, and ? or [...] (as fnmatch reads them) match no tag.
    images = repo(("dotted", ["1.2.0"], 9), ("plain", ["102"], 9), ("v1", ["v1"], 9))
    assert expired(images, policy(older_than(1, 1, patterns("1.2*")))) == {"dotted"}
    assert expired(images, policy(older_than(1, 1, prefixes("1.2")))) == {"dotted"}
    assert expired(images, policy(older_than(1, 1, patterns("v?")))) == set()
    assert expired(images, policy(older_than(1, 1, patterns("v[0-9]")))) == set()


def test_a_higher_priority_keep_rule_protects_its_images_from_later_rules() -> None:
    # The "keep what is running" idiom: a priority-1 rule selecting the running images with a count they never
    # reach. Those images are then out of reach of every later rule, however old they are.
    images = repo(("run-old", ["running-2024"], 400), ("v1", ["v1"], 200), ("v2", ["v2"], 100), ("loose", [], 50))
    document = policy(keep(1, 9999, prefixes("running")), older_than(2, 30, ANY))
    assert expired(images, document) == {"v1", "v2", "loose"}
    # Without the keep rule, the same catch-all expires it: the protection comes from the priority order.
    assert "run-old" in expired(images, policy(older_than(1, 30, ANY)))
    # A keep rule after the catch-all could protect nothing, and ECR refuses it (`any` must come last).
    with pytest.raises(ValueError, match="highest"):
        expired(images, policy(older_than(1, 30, ANY), keep(2, 9999, prefixes("running"))))


def test_protected_images_still_count_towards_a_later_rule() -> None:
    # Rule 2 keeps "the newest two": it counts every image it selects, the protected running one included, so only
    # one other image is kept (as in "Filtering on all images" example B, where Rule 3 counts images A to E).
    images = repo(("x1", ["v1"], 40), ("x2", ["v2"], 30), ("x3", ["v3"], 20), ("run", ["running"], 1))
    document = policy(keep(1, 9999, patterns("running*")), keep(2, 2, ANY))
    assert expired(images, document) == {"x1", "x2"}


def test_protection_holds_even_when_the_higher_rule_marks_nothing() -> None:
    # The higher rule selects the image but keeps it (young enough); the lower rule would mark it; it stays.
    images = repo(("rel", ["release-1", "beta-7"], 10), ("b", ["beta-8"], 9), ("c", ["beta-9"], 8))
    document = policy(older_than(1, 365, prefixes("release")), keep(2, 1, prefixes("beta")))
    assert expired(images, document) == {"b"}


def test_a_transition_rule_archives_rather_than_expires_and_protects_what_it_selects() -> None:
    # Archiving is not expiring; and an image matching an archive rule's tagging requirements "cannot be expired or
    # archived by a rule with a lower priority", even the young prod image the archive rule leaves alone.
    images = repo(
        ("p-old", ["prod-1"], 60), ("p-new", ["prod-2"], 2), ("d-old", ["dev-1"], 50), ("d-new", ["dev-2"], 1)
    )
    document = policy(older_than(1, 30, patterns("prod*"), TO_ARCHIVE), keep(2, 1, ANY))
    assert expired(images, document) == {"d-old"}


def test_combining_archive_and_expire_rules_example_expires_no_active_image() -> None:
    # Rule 1 archives images older than 30 days; Rule 2 expires images archived for more than 365 days. Every image
    # here is active (standard storage class), so none is expired, however old it is.
    images = repo(("ancient", ["v1"], 3000), ("untagged", [], 3000), ("new", ["v2"], 1))
    document = policy(older_than(1, 30, ANY, TO_ARCHIVE), archived_for(2, 365, ANY))
    assert expired(images, document) == set()


def test_an_image_no_rule_selects_is_kept() -> None:
    images = repo(("a", ["feature-x"], 500), ("b", [], 500))
    assert expired(images, policy(older_than(1, 1, prefixes("release")))) == set()


def test_expired_refuses_a_policy_ecr_would_refuse_and_repeated_digests() -> None:
    with pytest.raises(ValueError, match="unique"):
        expired(MULTIPLE_RULES_REPO, policy(keep(1, 1, prefixes("prod")), keep(1, 1, prefixes("beta"))))
    twice = [*MULTIPLE_RULES_REPO, StoredImage("A", ("other",), 1)]
    with pytest.raises(ValueError, match="digest"):
        expired(twice, policy(keep(1, 1, ANY)))


PULLED_90_DAYS = {"countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90}

# Every policy the guide shows (its examples page and earlier versions of it) is one ECR accepts.
DOCUMENTED = [
    policy(older_than(1, 14, patterns("prod*"))),
    policy(older_than(1, 14, UNTAGGED)),
    policy(keep(1, 1, UNTAGGED)),
    policy(keep(1, 1, patterns("prod*")), keep(2, 1, patterns("beta*"))),
    policy(keep(1, 1, prefixes("beta")), keep(2, 1, prefixes("prod"))),
    policy(older_than(1, 5, patterns("alpha*", "beta*"))),
    policy(keep(1, 1, prefixes("alpha", "beta"))),
    policy(keep(1, 1, ANY)),
    policy(keep(1, 1, patterns("alpha*")), older_than(2, 1, UNTAGGED), keep(3, 1, ANY)),
    policy(older_than(1, 30, patterns("prod*"), TO_ARCHIVE)),
    policy(rule(1, ANY, PULLED_90_DAYS, TO_ARCHIVE)),
    policy(archived_for(1, 365, ANY)),
    policy(older_than(1, 30, ANY, TO_ARCHIVE), archived_for(2, 365, ANY)),
    policy(keep(1, 1, patterns("*test*1*2*3", "test*1*2*3*"))),
]


@pytest.mark.parametrize("document", DOCUMENTED)
def test_documented_policies_are_valid(document: dict[str, Any]) -> None:
    validate(document)


GOOD = policy(keep(1, 1, prefixes("prod")), older_than(2, 14, UNTAGGED), keep(3, 5, ANY))
FIRST, SECOND, THIRD = ("rules", 0, "selection"), ("rules", 1, "selection"), ("rules", 2, "selection")


def changed(path: tuple[Any, ...], value: Any = None, *, drop: bool = False) -> dict[str, Any]:
    """GOOD with one value set (or dropped) at ``path``."""
    document = copy.deepcopy(GOOD)
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    if drop:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


REFUSED = [
    pytest.param(changed(("rules", 1, "rulePriority"), 1), "unique", id="duplicate-priority"),
    pytest.param(changed(("rules", 2, "rulePriority"), 0), "highest", id="any-not-last"),
    pytest.param(changed((*SECOND, "tagStatus"), "any"), "highest", id="two-any-rules"),
    pytest.param(
        changed((*FIRST, "tagPrefixList"), drop=True), "tagPrefixList or a tagPatternList", id="tagged-no-list"
    ),
    pytest.param(changed((*FIRST, "tagPrefixList"), []), "non-empty", id="tagged-empty-list"),
    pytest.param(changed((*FIRST, "tagPrefixList"), "prod"), "list of strings", id="tagged-list-is-a-string"),
    pytest.param(changed((*SECOND, "tagPrefixList"), ["x"]), "only allowed", id="untagged-with-list"),
    pytest.param(changed((*THIRD, "tagPatternList"), ["x*"]), "only allowed", id="any-with-list"),
    pytest.param(changed((*FIRST, "tagPatternList"), ["prod*"]), "both", id="both-lists"),
    pytest.param(changed((*FIRST, "countUnit"), "days"), "countUnit", id="countUnit-with-imageCountMoreThan"),
    pytest.param(changed((*SECOND, "countUnit"), drop=True), "countUnit", id="sinceImagePushed-without-countUnit"),
    pytest.param(changed((*SECOND, "countUnit"), "hours"), "countUnit", id="countUnit-hours"),
    pytest.param(changed((*FIRST, "countNumber"), 0), "positive", id="countNumber-zero"),
    pytest.param(changed((*FIRST, "countNumber"), -3), "positive", id="countNumber-negative"),
    pytest.param(changed((*FIRST, "countNumber"), 1.5), "positive", id="countNumber-float"),
    pytest.param(changed((*FIRST, "countNumber"), True), "positive", id="countNumber-bool"),
    pytest.param(changed((*FIRST, "countNumber"), drop=True), "positive", id="countNumber-missing"),
    pytest.param(changed((*FIRST, "tagStatus"), "TAGGED"), "tagStatus", id="tagStatus-unknown"),
    pytest.param(changed((*FIRST, "countType"), "imageCountLessThan"), "countType", id="countType-unknown"),
    pytest.param(changed(("rules", 0, "action"), {"type": "delete"}), "unknown action type", id="action-delete"),
    pytest.param(changed(("rules", 0, "action"), {"type": "Expire"}), "unknown action type", id="action-capitalised"),
    pytest.param(changed(("rules", 0, "action"), {}), "unknown action type", id="action-without-type"),
    pytest.param(
        changed(("rules", 0, "action"), {"type": "transition"}), "targetStorageClass", id="transition-no-target"
    ),
    pytest.param(
        changed(("rules", 0, "action"), {"type": "transition", "targetStorageClass": "glacier"}),
        "targetStorageClass",
        id="transition-to-glacier",
    ),
    pytest.param(
        policy(rule(1, ANY, PULLED_90_DAYS)), "only be used with action transition", id="sinceImagePulled-expire"
    ),
    pytest.param(
        policy(archived_for(1, 365, ANY, TO_ARCHIVE)),
        "only be used with action expire",
        id="sinceImageTransitioned-transition",
    ),
    pytest.param(
        policy(rule(1, ANY, {"countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365})),
        "storageClass 'archive'",
        id="sinceImageTransitioned-without-archive",
    ),
    pytest.param(policy(archived_for(1, 30, ANY)), "90 days", id="archived-less-than-90-days"),
    pytest.param(
        changed((*FIRST, "storageClass"), "archive"), "must be 'standard'", id="archive-with-imageCountMoreThan"
    ),
    pytest.param(policy(keep(1, 1, patterns("test*1*2*3*4*5*6"))), "wildcards", id="six-wildcards"),
    pytest.param(policy(keep(1, 1, patterns("a*b*c*d*e*"))), "wildcards", id="five-wildcards"),
    pytest.param(policy(keep(1, 1, UNTAGGED), older_than(2, 3, UNTAGGED)), "untagged", id="two-untagged-rules"),
    pytest.param(
        policy(keep(1, 1, prefixes("a", "b")), older_than(2, 3, prefixes("b", "a"))), "unique", id="same-prefixes"
    ),
    pytest.param(policy(keep(1, 1, patterns("a*")), older_than(2, 3, patterns("a*"))), "unique", id="same-patterns"),
    pytest.param(changed(("rules", 0, "rulePriority"), "1"), "integer", id="priority-string"),
    pytest.param(changed(("rules", 0, "rulePriority"), drop=True), "integer", id="priority-missing"),
    pytest.param(changed(("rules", 0, "selection"), drop=True), "required", id="selection-missing"),
    pytest.param(changed(("rules", 0, "action"), drop=True), "required", id="action-missing"),
    pytest.param({"rules": []}, "non-empty", id="no-rules"),
    pytest.param({}, "non-empty", id="no-rules-key"),
    pytest.param(policy(*(keep(i, 1, prefixes(f"p{i}")) for i in range(1, 52))), "at most 50", id="51-rules"),
]


@pytest.mark.parametrize(("document", "message"), REFUSED)
def test_validate_refuses(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate(document)


def test_each_refusal_is_one_change_from_a_valid_policy() -> None:
    # GOOD passes, so each refusal above comes from its one change; rules with a prefix list and rules with a
    # pattern list may share a policy ("different rules use both pattern and prefix lists"); 50 rules is the quota.
    validate(GOOD)
    validate(policy(keep(1, 1, prefixes("prod")), keep(2, 1, patterns("prod*")), keep(3, 1, ANY)))
    validate(policy(*(keep(i, 1, prefixes(f"p{i}")) for i in range(1, 51))))
