"""IAM's verdict on one request, as AWS's policy evaluation logic decides it.

moto's evaluator (``moto.iam.access_control.IAMPolicy``) knows only ``StringEquals``, ignores every other condition
operator (so an ``ArnEquals`` on ``iam:PolicyARN`` or a ``StringEquals`` on ``iam:PermissionsBoundary`` allows
anything), treats a key missing from the request as a match, and turns an unmet condition of an Allow into a Deny.
Those are the very conditions that keep the deploy role from escalating, so the tests decide with this model,
written from AWS's documentation, and ``tests/test_iam_model.py`` holds it to moto's verdict wherever moto follows
the documentation and to the documentation's own examples where moto does not.

Sources:
- evaluation within one account: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  (an explicit Deny wins; otherwise an identity-based Allow is needed, and with a permissions boundary the
  boundary must allow too);
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html (operators;
  a key missing from the request fails a condition, except for negated operators, ``...IfExists`` and ``Null``);
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_logic_multiple_context_keys_or_values.html
  (operators and keys are ANDed, the values of one key ORed; a negated operator with several values matches none);
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html (actions are
  case-insensitive) and ``..._resource.html`` (``*`` and ``?`` wildcards, which may span ARN segments);
- a role's trust policy (``trusts``): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
  (a statement applies to the principals its ``Principal`` names, by type: ``"*"`` is everyone, and a service
  principal is named in full, without wildcards); a service principal assumes a role of the account on the trust
  policy alone, so the same rules decide: an explicit Deny wins, otherwise an Allow is needed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Context = Mapping[str, str | Sequence[str]]


class UnsupportedConditionError(ValueError):
    """A condition operator this model does not implement: failing loudly beats guessing."""


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM's wildcards are only * and ? (fnmatch would also read [...] as a character class).
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, flags=re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _wildcard(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(text) is not None


def _arn_like(pattern: str, arn: str) -> bool:
    # ArnLike compares the six colon-separated parts one by one; wildcards stay inside their part.
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_wildcard(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _bool(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


_MATCHERS = {
    "StringEquals": lambda e, a: str(e) == a,
    "StringEqualsIgnoreCase": lambda e, a: str(e).lower() == a.lower(),
    "StringLike": lambda e, a: _wildcard(str(e), a),
    "ArnEquals": _arn_like,  # AWS documents ArnEquals and ArnLike as the same comparison
    "ArnLike": _arn_like,
    "Bool": _bool,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    present = key in context and context[key] not in (None, [], ())
    if operator == "Null":
        return _bool(_as_list(expected)[0], "false" if present else "true")
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)
    if base not in _MATCHERS:
        raise UnsupportedConditionError(f"condition operator {operator!r} is not modelled")
    if not present:
        if qualifier == "ForAllValues":
            return True  # documented: ForAllValues is true when the key is missing or empty
        return if_exists or negated
    actual = [str(v) for v in _as_list(context[key])]
    values = _as_list(expected)
    matcher = _MATCHERS[base]

    def one(a: str) -> bool:
        matched = any(matcher(e, a) for e in values)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(one(a) for a in actual)
    if qualifier == "ForAnyValue":
        return any(one(a) for a in actual)
    if len(actual) != 1:
        raise UnsupportedConditionError(f"{key} has several values; use ForAnyValue or ForAllValues")
    return one(actual[0])


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, pairs in conditions.items()
        for key, expected in pairs.items()
    )


def _matches(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(_wildcard(p, value, ignore_case=ignore_case) for p in _as_list(patterns))


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    if "Action" in statement:
        if not _matches(statement["Action"], action, ignore_case=True):
            return False
    elif _matches(statement["NotAction"], action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches(statement["Resource"], resource, ignore_case=False):
            return False
    elif "NotResource" in statement and _matches(statement["NotResource"], resource, ignore_case=False):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _statements(policies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [s for p in policies for s in _as_list(p["Statement"])]


def _decide(policies: Iterable[Mapping[str, Any]], action: str, resource: str, context: Context) -> Verdict:
    applying = [s for s in _statements(policies) if _applies(s, action, resource, context)]
    denied = [s.get("Sid", "?") for s in applying if s["Effect"] == "Deny"]
    if denied:
        return Verdict(False, f"explicitly denied by {denied}")
    allowed = [s.get("Sid", "?") for s in applying if s["Effect"] == "Allow"]
    if allowed:
        return Verdict(True, f"allowed by {allowed}")
    return Verdict(False, "implicitly denied: no statement allows it")


def _names(principal: Any, kind: str, name: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    named = _as_list(principal.get(kind, []))
    return name in named or (kind == "AWS" and "*" in named)


def trusts(
    trust_policy: Mapping[str, Any],
    principal: tuple[str, str],
    action: str = "sts:AssumeRole",
    context: Context | None = None,
) -> Verdict:
    """Whether the role's trust policy lets ``principal`` (its type and name, such as ``("Service",
    "ecs.amazonaws.com")``) make the request: only the statements that name the principal apply."""
    kind, name = principal
    statements = _as_list(trust_policy["Statement"])
    if any("NotPrincipal" in s for s in statements):
        raise UnsupportedConditionError("NotPrincipal is not modelled")
    naming = [s for s in statements if _names(s.get("Principal"), kind, name)]
    return _decide([{"Statement": naming}], action, "*", context or {})


def evaluate(
    policies: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
    *,
    boundary: Mapping[str, Any] | None = None,
) -> Verdict:
    """Whether a principal with these identity-based policies (and this permissions boundary) may make the request."""
    context = context or {}
    identity = _decide(policies, action, resource, context)
    if not identity or boundary is None:
        return identity
    limit = _decide([boundary], action, resource, context)
    if not limit:
        return Verdict(False, f"outside the permissions boundary ({limit.reason})")
    return identity
