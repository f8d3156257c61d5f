"""The IAM model agrees with moto wherever moto follows AWS's documentation, and with the documentation elsewhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from tests.iam_model import UnsupportedConditionError, evaluate, trusts

ROLE = "arn:aws:iam::123456789012:role/library-execution-1a2b3c4"


def allow(action: Any, resource: Any = "*", condition: dict[str, Any] | None = None, sid: str = "A") -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def deny(action: Any, resource: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    document = allow(action, resource, condition, sid="D")
    document["Statement"][0]["Effect"] = "Deny"
    return document


def moto(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    verdict = IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource, incoming_condition_values=context)
    return bool(verdict == PermissionResult.PERMITTED)


# Cases moto evaluates as AWS documents: no condition, or StringEquals with the key present in the request.
AGREED = [
    (allow("ecs:UpdateService", "arn:aws:ecs:*:*:service/*"), "ecs:UpdateService", "arn:aws:ecs:r:1:service/c/s", {}),
    (allow("ecs:*", "arn:aws:ecs:r:1:*"), "ecs:DeleteService", "arn:aws:ecs:r:2:service/c/s", {}),
    (allow("iam:*Role*", ROLE), "iam:GetRole", ROLE, {}),
    (allow("iam:GetRole", "arn:aws:iam::123456789012:role/library-*"), "iam:GetRole", ROLE, {}),
    (allow("iam:GetRole", "arn:aws:iam::123456789012:role/other-*"), "iam:GetRole", ROLE, {}),
    (allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"), "s3:PutObject", "arn:aws:s3:::b/.pulumi/x", {}),
    (
        allow("iam:PassRole", ROLE, {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}}),
        "iam:PassRole",
        ROLE,
        {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
    ),
    (deny("iam:*", "*"), "iam:CreateRole", ROLE, {}),
]


@pytest.mark.parametrize(("policy", "action", "resource", "context"), AGREED)
def test_the_model_agrees_with_moto_where_moto_follows_the_documentation(
    policy: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> None:
    assert bool(evaluate([policy], action, resource, context)) == moto(policy, action, resource, context)


def test_a_key_missing_from_the_request_fails_a_condition_where_moto_lets_it_pass() -> None:
    # "If the key that you specify in a policy condition is not present in the request context, the values do not
    # match and the condition is false" (condition operators page).
    policy = allow("iam:CreateRole", ROLE, {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}})
    assert moto(policy, "iam:CreateRole", ROLE, {})
    assert not evaluate([policy], "iam:CreateRole", ROLE, {})
    assert evaluate([policy], "iam:CreateRole", ROLE, {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"})


def test_negated_operators_and_if_exists_hold_when_the_key_is_missing() -> None:
    negated = deny("iam:CreateRole", "*", {"StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}})
    assert not evaluate([allow("iam:*"), negated], "iam:CreateRole", ROLE, {})
    if_exists = allow("iam:PassRole", "*", {"StringEqualsIfExists": {"iam:PassedToService": "ecs.amazonaws.com"}})
    assert evaluate([if_exists], "iam:PassRole", ROLE, {})
    assert not evaluate([if_exists], "iam:PassRole", ROLE, {"iam:PassedToService": "ec2.amazonaws.com"})


def test_operators_moto_ignores_are_enforced() -> None:
    attach = allow(
        "iam:AttachRolePolicy",
        ROLE,
        {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}},
    )
    admin = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert moto(attach, "iam:AttachRolePolicy", ROLE, admin)
    assert not evaluate([attach], "iam:AttachRolePolicy", ROLE, admin)
    like = allow("sts:AssumeRoleWithWebIdentity", "*", {"StringLike": {"t:sub": "repo:o/n:*"}})
    assert evaluate([like], "sts:AssumeRoleWithWebIdentity", "*", {"t:sub": "repo:o/n:pull_request"})
    assert not evaluate([like], "sts:AssumeRoleWithWebIdentity", "*", {"t:sub": "repo:o/n-fork:pull_request"})
    secure = deny("s3:*", "*", {"Bool": {"aws:SecureTransport": "false"}})
    assert not evaluate([allow("s3:*"), secure], "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"})
    assert evaluate([allow("s3:*"), secure], "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "true"})


def test_an_unmet_condition_on_an_allow_is_no_deny() -> None:
    # Documented: a statement whose condition is false does not apply; moto instead returns an explicit Deny.
    conditional = allow("iam:PassRole", ROLE, {"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}})
    other = allow("iam:PassRole", ROLE, sid="B")
    context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    assert not moto({"Statement": conditional["Statement"] + other["Statement"]}, "iam:PassRole", ROLE, context)
    assert evaluate([conditional, other], "iam:PassRole", ROLE, context)


def test_a_deny_in_any_policy_wins_and_a_boundary_must_allow_too() -> None:
    assert not evaluate([allow("iam:*"), deny("iam:PutRolePolicy", ROLE)], "iam:PutRolePolicy", ROLE)
    boundary = allow(["logs:*", "ssm:GetParameters"])
    assert evaluate([allow("*")], "logs:PutLogEvents", "*", boundary=boundary)
    verdict = evaluate([allow("*")], "iam:CreateUser", "*", boundary=boundary)
    assert not verdict
    assert "boundary" in verdict.reason
    assert not evaluate([allow("logs:*")], "ssm:GetParameters", "*", boundary=boundary)


def test_actions_ignore_case_and_resources_do_not() -> None:
    assert evaluate([allow("IAM:getrole", ROLE)], "iam:GetRole", ROLE)
    assert not evaluate([allow("iam:GetRole", ROLE.upper())], "iam:GetRole", ROLE)


def test_wildcards_are_only_star_and_question_mark_and_may_span_segments() -> None:
    assert evaluate(
        [allow("iam:GetRole", "arn:aws:iam::1:role/library-*")], "iam:GetRole", "arn:aws:iam::1:role/library-ci/x"
    )
    assert evaluate(
        [allow("iam:GetRole", "arn:aws:iam::1:role/librar?-x")], "iam:GetRole", "arn:aws:iam::1:role/library-x"
    )
    assert not evaluate(
        [allow("iam:GetRole", "arn:aws:iam::1:role/[l]ibrary")], "iam:GetRole", "arn:aws:iam::1:role/library"
    )
    assert not evaluate([allow("iam:GetRole", "arn:aws:iam::1:role/a.c")], "iam:GetRole", "arn:aws:iam::1:role/abc")


def test_not_action_and_not_resource_exclude() -> None:
    boundary = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert not evaluate([boundary], "iam:CreateRole", ROLE)
    assert evaluate([boundary], "ecs:RunTask", "*")
    guard = {"Statement": [{"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::b/*"}]}
    assert not evaluate([allow("s3:*"), guard], "s3:GetObject", "arn:aws:s3:::c/k")


def test_an_operator_the_model_does_not_know_fails_loudly() -> None:
    with pytest.raises(UnsupportedConditionError, match="NumericLessThan"):
        evaluate(
            [allow("s3:*", "*", {"NumericLessThan": {"s3:max-keys": "10"}})], "s3:ListBucket", "*", {"s3:max-keys": "5"}
        )


def test_a_trust_statement_applies_only_to_the_principals_it_names() -> None:
    ecs = ("Service", "ecs.amazonaws.com")
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ecs.amazonaws.com"]}, "Action": "sts:AssumeRole"}]
    }
    assert trusts(trust, ecs)
    assert not trusts(trust, ("Service", "ec2.amazonaws.com"))
    assert not trusts(trust, ("AWS", "arn:aws:iam::123456789012:root"))
    assert not trusts(trust, ecs, "sts:AssumeRoleWithWebIdentity")  # the action must match too
    everyone = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    assert trusts(everyone, ("Service", "ec2.amazonaws.com"))
    denied = {"Statement": [*trust["Statement"], {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]}
    assert not trusts(denied, ecs)
