"""The deploy role cannot be turned against the account: every known path to administrator is refused.

Each test makes the request an attacker holding the deploy role's credentials (a compromised workflow on ``main``)
would make, and asks the IAM model (``tests/iam_model.py``, AWS's evaluation logic) for the verdict on the policies
bootstrap registers. A role of the app is judged together with the permissions boundary it must carry.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness import ACCOUNT, Deployment, run_bootstrap, run_program
from tests.iam_model import evaluate

REGION = "ap-northeast-2"
IAM = f"arn:aws:iam::{ACCOUNT}"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def account() -> Deployment:
    return run_bootstrap({"githubRepository": "my-org/library-infra"})


def _policy(account: Deployment, name: str) -> dict[str, Any]:
    [found] = [r for r in account.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == name]
    return dict(json.loads(found.inputs["policy"]))


def _role_arn(account: Deployment, purpose: str) -> str:
    [found] = [r for r in account.of_type("aws:iam/role:Role") if r.name == f"library-infra-ci-{purpose}"]
    return str(found.state["arn"])


@pytest.fixture(scope="module")
def deploy(account: Deployment) -> list[dict[str, Any]]:
    return [_policy(account, "library-infra-ci-deploy")]


@pytest.fixture(scope="module")
def boundary(account: Deployment) -> dict[str, Any]:
    return dict(json.loads(account.one("aws:iam/policy:Policy").inputs["policy"]))


@pytest.fixture(scope="module")
def boundary_arn(account: Deployment) -> str:
    return str(account.outputs["permissionsBoundaryArn"])


def test_the_ci_roles_and_the_boundary_live_where_the_deploy_role_manages_nothing(account: Deployment) -> None:
    for purpose in ("deploy", "preview"):
        assert _role_arn(account, purpose).startswith(f"{IAM}:role/ci/")
    assert account.outputs["permissionsBoundaryArn"].startswith(f"{IAM}:policy/ci/")


@pytest.mark.parametrize("purpose", ["deploy", "preview"])
@pytest.mark.parametrize(
    "action",
    [
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PassRole",
        "iam:TagRole",
    ],
)
def test_the_deploy_role_cannot_change_or_pass_a_ci_role(
    account: Deployment, deploy: list[dict[str, Any]], boundary_arn: str, purpose: str, action: str
) -> None:
    context = {
        "iam:PermissionsBoundary": boundary_arn,
        "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        "iam:PassedToService": "ecs-tasks.amazonaws.com",
    }
    assert not evaluate(deploy, action, _role_arn(account, purpose), context)


def test_a_role_named_like_the_app_under_the_ci_path_is_still_out_of_reach(
    deploy: list[dict[str, Any]], boundary_arn: str
) -> None:
    bounded = {"iam:PermissionsBoundary": boundary_arn}
    assert not evaluate(deploy, "iam:CreateRole", f"{IAM}:role/ci/library-x", bounded)


@pytest.mark.parametrize(
    "action", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"]
)
def test_the_deploy_role_cannot_edit_the_boundary(deploy: list[dict[str, Any]], boundary_arn: str, action: str) -> None:
    assert not evaluate(deploy, action, boundary_arn)


def test_a_new_role_of_the_app_must_carry_the_boundary(deploy: list[dict[str, Any]], boundary_arn: str) -> None:
    role = f"{IAM}:role/library-x"
    assert evaluate(deploy, "iam:CreateRole", role, {"iam:PermissionsBoundary": boundary_arn})
    assert not evaluate(deploy, "iam:CreateRole", role)
    assert not evaluate(deploy, "iam:CreateRole", role, {"iam:PermissionsBoundary": f"{IAM}:policy/wide-open"})


def test_no_role_of_the_app_loses_or_swaps_its_boundary(deploy: list[dict[str, Any]], boundary_arn: str) -> None:
    role = f"{IAM}:role/library-x"
    assert not evaluate(deploy, "iam:DeleteRolePermissionsBoundary", role, {"iam:PermissionsBoundary": boundary_arn})
    other = {"iam:PermissionsBoundary": f"{IAM}:policy/wide-open"}
    assert not evaluate(deploy, "iam:PutRolePermissionsBoundary", role, other)
    assert evaluate(deploy, "iam:PutRolePermissionsBoundary", role, {"iam:PermissionsBoundary": boundary_arn})


def test_an_unbounded_role_made_before_the_boundary_cannot_be_given_a_policy(deploy: list[dict[str, Any]]) -> None:
    role = f"{IAM}:role/library-execution-1a2b3c4"
    assert not evaluate(deploy, "iam:PutRolePolicy", role)
    assert not evaluate(deploy, "iam:UpdateAssumeRolePolicy", role)


def test_administrator_access_cannot_be_attached(deploy: list[dict[str, Any]], boundary_arn: str) -> None:
    context = {"iam:PermissionsBoundary": boundary_arn, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert not evaluate(deploy, "iam:AttachRolePolicy", f"{IAM}:role/library-x", context)


def test_a_bounded_role_given_every_permission_still_cannot_escalate(
    account: Deployment, boundary: dict[str, Any]
) -> None:
    # The deploy role may write any inline policy into a bounded role of the app; the boundary caps what it grants.
    bucket = account.outputs["stateBucketName"]
    for action, resource in (
        ("iam:PutRolePolicy", _role_arn(account, "deploy")),
        ("iam:CreateUser", f"{IAM}:user/backdoor"),
        ("iam:CreateAccessKey", f"{IAM}:user/admin"),
        ("iam:AttachRolePolicy", f"{IAM}:role/library-x"),
        ("sts:AssumeRole", _role_arn(account, "deploy")),
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/library-infra/prod.json"),
        ("ec2:RunInstances", "*"),
        ("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/other/secret"),
        ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/other/secret"),
        ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/any"),
        ("secretsmanager:GetSecretValue", "*"),
    ):
        assert not evaluate([ADMIN_POLICY], action, resource, boundary=boundary), action


@pytest.mark.parametrize(
    ("role", "service"),
    [
        (f"{IAM}:role/library-execution-1a2b3c4", "ec2.amazonaws.com"),
        (f"{IAM}:role/library-execution-1a2b3c4", "lambda.amazonaws.com"),
        (f"{IAM}:role/admin", "ecs-tasks.amazonaws.com"),
        (f"{IAM}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "ecs.amazonaws.com"),
    ],
)
def test_roles_pass_only_the_apps_roles_only_to_ecs(deploy: list[dict[str, Any]], role: str, service: str) -> None:
    assert not evaluate(deploy, "iam:PassRole", role, {"iam:PassedToService": service})


@pytest.mark.parametrize(
    "action",
    [
        "iam:UpdateOpenIDConnectProviderThumbprint",
        "iam:AddClientIDToOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider",
        "iam:CreateUser",
        "iam:CreatePolicy",
        "iam:CreateServiceLinkedRole",
    ],
)
def test_the_deploy_role_cannot_touch_the_oidc_provider_or_make_principals(
    deploy: list[dict[str, Any]], action: str
) -> None:
    resource = f"{IAM}:oidc-provider/token.actions.githubusercontent.com" if "OpenID" in action else f"{IAM}:user/x"
    context = {"iam:AWSServiceName": "lambda.amazonaws.com"}
    assert not evaluate(deploy, action, resource, context)


# What the AWS managed policies the program attaches grant (AWS Managed Policy Reference:
# AmazonECSTaskExecutionRolePolicy; AmazonECSInfrastructureRolePolicyForLoadBalancers, main actions).
TASK_EXECUTION_MANAGED = [
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
]
LOAD_BALANCER_INFRASTRUCTURE = [
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule",
]


def test_the_boundary_leaves_the_program_s_roles_what_they_need(boundary: dict[str, Any]) -> None:
    deployment = run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "databaseInstance": "library-db"})
    [execution_policy] = [
        json.loads(p.inputs["policy"])
        for p in deployment.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "library-execution-secrets"
    ]
    for parameter in deployment.outputs["secretParameterArns"].values():
        assert evaluate([execution_policy], "ssm:GetParameters", parameter, boundary=boundary)
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    via_ssm = {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}
    assert evaluate([execution_policy], "kms:Decrypt", key, via_ssm, boundary=boundary)
    managed = {"Statement": [{"Effect": "Allow", "Action": TASK_EXECUTION_MANAGED, "Resource": "*"}]}
    for action in TASK_EXECUTION_MANAGED:
        assert evaluate([managed], action, "*", boundary=boundary), action
    exec_channels = [
        json.loads(p.inputs["policy"])
        for p in deployment.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.startswith("library-task")
    ]
    assert exec_channels
    assert evaluate(exec_channels, "ssmmessages:OpenDataChannel", "*", boundary=boundary)
    listener = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/library-alb-1a2b3c4/50dc6c495c0c9188/1"
    infrastructure = {"Statement": [{"Effect": "Allow", "Action": LOAD_BALANCER_INFRASTRUCTURE, "Resource": "*"}]}
    for action in LOAD_BALANCER_INFRASTRUCTURE:
        assert evaluate([infrastructure], action, listener, boundary=boundary), action


def test_a_stack_given_bootstraps_boundary_puts_it_on_every_role_so_the_deploy_role_may_create_them(
    deploy: list[dict[str, Any]], boundary_arn: str
) -> None:
    variants = {"deploymentStrategy": "BLUE_GREEN", "databaseInstance": "library-db"}
    bounded = run_program("dev", {**variants, "permissionsBoundaryArn": boundary_arn})
    roles = bounded.of_type("aws:iam/role:Role")
    assert {r.name for r in roles} == {"library-execution", "library-task", "library-bg-infrastructure"}
    for role in roles:
        assert role.inputs["permissionsBoundary"] == boundary_arn
        context = {"iam:PermissionsBoundary": role.inputs["permissionsBoundary"]}
        assert evaluate(deploy, "iam:CreateRole", role.state["arn"], context), role.name
    for role in run_program("dev", variants).of_type("aws:iam/role:Role"):
        assert "permissionsBoundary" not in role.inputs
        assert not evaluate(deploy, "iam:CreateRole", role.state["arn"]), role.name


def test_a_boundary_that_is_not_a_policy_arn_is_refused() -> None:
    from stack_support.settings import ConfigError

    with pytest.raises(ConfigError, match=r"permissionsBoundaryArn='arn:aws:iam::123456789012:role/x' must be an IAM"):
        run_program("dev", {"permissionsBoundaryArn": f"{IAM}:role/x"}, cached=False)
