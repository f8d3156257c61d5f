"""The bootstrap stack: only this repository's pull requests may preview, only main and prod may deploy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bootstrap_settings import BootstrapConfigError, BootstrapSettings
from github_access import UNSCOPABLE_ACTIONS
from tests.conftest import permits, permits_any
from tests.harness import ACCOUNT, Deployment, Registered, run_bootstrap

REPO = "my-org/library-infra"
HOST = "token.actions.githubusercontent.com"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"


@pytest.fixture(scope="module")
def account() -> Deployment:
    return run_bootstrap({"githubRepository": REPO})


def role(deployment: Deployment, purpose: str) -> Registered:
    [found] = [r for r in deployment.of_type("aws:iam/role:Role") if r.name == f"library-infra-ci-{purpose}"]
    return found


def trust(deployment: Deployment, purpose: str) -> dict[str, Any]:
    return dict(json.loads(role(deployment, purpose).inputs["assumeRolePolicy"]))


def policy(deployment: Deployment, purpose: str) -> dict[str, Any]:
    [found] = [
        r for r in deployment.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == f"library-infra-ci-{purpose}"
    ]
    return dict(json.loads(found.inputs["policy"]))


def may_assume(document: dict[str, Any], sub: str, aud: str = "sts.amazonaws.com") -> bool:
    context = {f"{HOST}:aud": aud, f"{HOST}:sub": sub}
    return permits(document, "sts:AssumeRoleWithWebIdentity", "*", **context)


def test_pull_requests_of_this_repository_may_only_preview(account: Deployment) -> None:
    sub = f"repo:{REPO}:pull_request"
    assert may_assume(trust(account, "preview"), sub)
    assert not may_assume(trust(account, "deploy"), sub)
    # main may read too (the deploy workflow reads dev's image before a manual prod deploy); other branches may not.
    assert may_assume(trust(account, "preview"), f"repo:{REPO}:ref:refs/heads/main")
    assert not may_assume(trust(account, "preview"), f"repo:{REPO}:ref:refs/heads/feature")


def test_a_pull_request_from_another_repository_can_assume_neither_role(account: Deployment) -> None:
    for sub in ("repo:someone/library-infra:pull_request", "repo:my-org/library-infra-fork:pull_request"):
        assert not may_assume(trust(account, "preview"), sub)
        assert not may_assume(trust(account, "deploy"), sub)


def test_only_jobs_in_the_dev_and_prod_environments_may_deploy(account: Deployment) -> None:
    # Deploy jobs run in environments, whose deployment branch policy admits only main; their token's subject is
    # `environment:<name>` (GitHub, OpenID Connect reference, "Filtering for a specific environment").
    deploy = trust(account, "deploy")
    assert may_assume(deploy, f"repo:{REPO}:environment:dev")
    assert may_assume(deploy, f"repo:{REPO}:environment:prod")
    for sub in (
        f"repo:{REPO}:ref:refs/heads/main",  # a job on main outside the environments holds no deploy secrets
        f"repo:{REPO}:ref:refs/heads/feature",
        f"repo:{REPO}:ref:refs/heads/main-copy",
        f"repo:{REPO}:ref:refs/tags/v1",
        f"repo:{REPO}:environment:staging",
        "repo:someone/library-infra:ref:refs/heads/main",
        "repo:someone/library-infra:environment:prod",
    ):
        assert not may_assume(deploy, sub), sub


IMMUTABLE = "my-org@123456/library-infra@456789"


def test_a_repository_with_immutable_subject_claims_is_trusted_in_exactly_that_form() -> None:
    # GitHub, OpenID Connect reference, "Immutable subject claims": the owner's and the repository's numeric ids are
    # appended to their names with '@' in the default `sub` of repositories created or renamed since mid-2026.
    deployment = run_bootstrap({"githubRepository": IMMUTABLE})
    preview, deploy = trust(deployment, "preview"), trust(deployment, "deploy")
    assert may_assume(preview, f"repo:{IMMUTABLE}:pull_request")
    assert may_assume(deploy, f"repo:{IMMUTABLE}:environment:dev")
    assert may_assume(deploy, f"repo:{IMMUTABLE}:environment:prod")
    for sub in (
        f"repo:{REPO}:environment:prod",  # the name-only form: a recycled name would match it
        "repo:my-org@123456/library-infra@999999:environment:prod",  # same names, another repository
        "repo:my-org@777777/library-infra@456789:environment:prod",
    ):
        assert not may_assume(deploy, sub), sub


def test_a_name_only_repository_refuses_tokens_in_the_immutable_form(account: Deployment) -> None:
    # A repository that switched to immutable claims must be bootstrapped again with ids; the README says how.
    assert not may_assume(trust(account, "deploy"), f"repo:{IMMUTABLE}:environment:prod")


def test_tokens_for_another_audience_are_refused(account: Deployment) -> None:
    assert not may_assume(trust(account, "deploy"), f"repo:{REPO}:environment:prod", aud="https://example.com")


def test_trust_compares_exact_claims_without_wildcards(account: Deployment) -> None:
    for purpose in ("preview", "deploy"):
        [statement] = trust(account, purpose)["Statement"]
        assert statement["Principal"] == {"Federated": PROVIDER}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert set(statement["Condition"]) == {"StringEquals"}
        assert not any("*" in s for s in statement["Condition"]["StringEquals"][f"{HOST}:sub"])


def test_oidc_provider_is_githubs_for_sts(account: Deployment) -> None:
    provider = account.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_an_existing_oidc_provider_is_adopted_not_created() -> None:
    deployment = run_bootstrap({"githubRepository": REPO, "adoptOidcProvider": True})
    assert deployment.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert deployment.outputs["oidcProviderArn"] == PROVIDER
    assert trust(deployment, "deploy")["Statement"][0]["Principal"] == {"Federated": PROVIDER}


def test_preview_role_cannot_change_anything(account: Deployment) -> None:
    preview = policy(account, "preview")
    bucket = account.outputs["stateBucketName"]
    assert permits(preview, "ec2:DescribeSubnets", "*")
    assert permits(preview, "ssm:GetParameter", f"arn:aws:ssm:ap-northeast-2:{ACCOUNT}:parameter/library/db/url")
    assert permits(preview, "s3:GetObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/library-infra/dev.json")
    # Only update, refresh and destroy take the lock; a preview writes nothing (pulumi/pulumi, pkg/backend/diy).
    for key in (".pulumi/locks/organization/library-infra/dev/x.json", ".pulumi/stacks/library-infra/dev.json"):
        for action in ("s3:PutObject", "s3:DeleteObject"):
            assert not permits(preview, action, f"arn:aws:s3:::{bucket}/{key}"), (action, key)
    for action, resource in (
        ("ecs:UpdateService", "*"),
        ("iam:CreateRole", "*"),
        ("ssm:PutParameter", f"arn:aws:ssm:ap-northeast-2:{ACCOUNT}:parameter/library/db/url"),
        ("kms:Decrypt", "*"),
        ("ecr:PutImage", "*"),
    ):
        assert not permits(preview, action, resource), action


def test_deploy_role_manages_only_the_apps_roles_and_passes_them_only_to_ecs(account: Deployment) -> None:
    deploy = policy(account, "deploy")
    bounded = {"iam:PermissionsBoundary": account.outputs["permissionsBoundaryArn"]}
    app_role = f"arn:aws:iam::{ACCOUNT}:role/library-execution-1a2b3c4"
    assert permits(deploy, "iam:CreateRole", app_role, **bounded)
    assert not permits(deploy, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **bounded)
    assert permits(deploy, "iam:PassRole", app_role, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert not permits(deploy, "iam:PassRole", app_role, **{"iam:PassedToService": "ec2.amazonaws.com"})
    execution = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert permits(deploy, "iam:AttachRolePolicy", app_role, **bounded, **{"iam:PolicyARN": execution})
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert not permits(deploy, "iam:AttachRolePolicy", app_role, **bounded, **{"iam:PolicyARN": admin})


def test_deploy_role_stays_in_its_account_region_and_names(account: Deployment) -> None:
    deploy = [policy(account, "deploy")]
    assert permits_any(deploy, "ecs:UpdateService", f"arn:aws:ecs:ap-northeast-2:{ACCOUNT}:service/c/s")
    assert not permits_any(deploy, "ecs:UpdateService", f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/c/s")
    assert permits_any(deploy, "ssm:PutParameter", f"arn:aws:ssm:ap-northeast-2:{ACCOUNT}:parameter/library/db/x")
    assert not permits_any(deploy, "ssm:PutParameter", f"arn:aws:ssm:ap-northeast-2:{ACCOUNT}:parameter/other/x")
    repository = f"arn:aws:ecr:ap-northeast-2:{ACCOUNT}:repository/library-management-system"
    assert permits_any(deploy, "ecr:PutImage", repository)
    assert not permits_any(deploy, "ecr:PutImage", repository.replace("library-management-system", "other"))
    assert permits_any(
        deploy, "logs:CreateLogGroup", f"arn:aws:logs:ap-northeast-2:{ACCOUNT}:log-group:/ecs/library-dev"
    )
    assert not permits_any(deploy, "logs:DeleteLogGroup", f"arn:aws:logs:ap-northeast-2:{ACCOUNT}:log-group:/aws/x")
    alarm = f"arn:aws:cloudwatch:ap-northeast-2:{ACCOUNT}:alarm:library-rollback-5xx-rate-1a2b3c4"
    assert permits_any(deploy, "cloudwatch:PutMetricAlarm", alarm)
    assert not permits_any(deploy, "cloudwatch:DeleteAlarms", alarm.replace("library-", "billing-"))
    target = f"arn:aws:application-autoscaling:ap-northeast-2:{ACCOUNT}:scalable-target/0ec1"
    assert permits_any(deploy, "application-autoscaling:RegisterScalableTarget", target)


def test_ssm_and_kms_wildcards_only_where_aws_offers_no_resource(account: Deployment) -> None:
    for purpose in ("preview", "deploy"):
        for statement in policy(account, purpose)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                scoped = [a for a in actions if a.split(":")[0] in ("ssm", "kms")]
                assert set(scoped) <= set(UNSCOPABLE_ACTIONS), statement["Sid"]
    assert {"kms:CreateKey", "kms:ListAliases", "ssm:DescribeParameters"} == {
        a for a in UNSCOPABLE_ACTIONS if a.split(":")[0] in ("ssm", "kms")
    }


def test_state_bucket_is_versioned_encrypted_private_and_tls_only(account: Deployment) -> None:
    assert account.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    [rule] = account.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    block = account.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    [deny] = json.loads(account.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The region rides in the URL (Pulumi, state and backends: s3://<bucket>?region=<region>).
    assert account.outputs["backendUrl"] == f"s3://{account.outputs['stateBucketName']}?region=ap-northeast-2"


def test_the_state_buckets_settings_are_put_one_at_a_time(account: Deployment) -> None:
    # S3 refuses a configuration change of a bucket while another is in progress (409 OperationAborted,
    # terraform-provider-aws#7628): no two of the bucket's settings may run at once.
    bucket = account.one("aws:s3/bucket:Bucket")
    assert len([r for r in account.resources if r.inputs.get("bucket") == bucket.id]) == 5
    assert account.bucket_settings_in_sequence(bucket) == []


def test_without_a_state_bucket_no_role_gets_s3_access() -> None:
    deployment = run_bootstrap({"githubRepository": REPO, "createStateBucket": False})
    assert deployment.of_type("aws:s3/bucket:Bucket") == []
    assert deployment.outputs["stateBucketName"] == ""
    for purpose in ("preview", "deploy"):
        assert not any(s["Sid"].endswith("State") for s in policy(deployment, purpose)["Statement"])


def test_outputs_the_workflows_need(account: Deployment) -> None:
    assert set(account.outputs) == {
        "oidcProviderArn",
        "previewRoleArn",
        "deployRoleArn",
        "permissionsBoundaryArn",
        "secretsProviders",
        "stateBucketName",
        "backendUrl",
    }
    assert account.outputs["deployRoleArn"] == role(account, "deploy").state["arn"]
    assert account.outputs["previewRoleArn"] == role(account, "preview").state["arn"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("github_repository", "library-infra", "githubRepository='library-infra' must be owner/name"),
        ("github_repository", "my-org@123/library-infra", "must be owner/name .* or, .*owner@<owner id>/name@<"),
        ("github_repository", "my-org@x/library-infra@1", "githubRepository='my-org@x/library-infra@1' must be"),
        ("github_repository", "my-org@0/library-infra@1", "githubRepository='my-org@0/library-infra@1' must be"),
        ("deploy_branch", "release/*", r"deployBranch='release/\*' must be a plain name"),
        ("prod_environment", "prod env", "prodEnvironment='prod env' must be a plain name"),
        ("parameter_prefix", "/library", "parameterPrefix='/library' must start and end with '/'"),
    ],
)
def test_bad_bootstrap_config_is_refused(field: str, value: str, message: str) -> None:
    arguments: dict[str, Any] = {"github_repository": REPO, field: value}
    with pytest.raises(BootstrapConfigError, match=message):
        BootstrapSettings(**arguments)


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def test_bootstrap_iam_documents_are_accepted_by_iam(account: Deployment, iam: Any) -> None:
    iam.create_open_id_connect_provider(Url=f"https://{HOST}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=[])
    boundary = account.one("aws:iam/policy:Policy").inputs
    iam.create_policy(PolicyName=boundary["name"], Path=boundary["path"], PolicyDocument=boundary["policy"])
    for purpose in ("preview", "deploy"):
        name = f"library-infra-ci-{purpose}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(account, purpose)))
        iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy(account, purpose)))


def test_each_stack_gets_its_own_rotating_secrets_key_named_in_its_secrets_provider(account: Deployment) -> None:
    keys = {k.name: k for k in account.of_type("aws:kms/key:Key")}
    assert set(keys) == {"library-infra-ci-secrets-dev", "library-infra-ci-secrets-prod"}
    for key in keys.values():
        assert key.inputs["enableKeyRotation"] is True
    aliases = {a.inputs["name"] for a in account.of_type("aws:kms/alias:Alias")}
    assert aliases == {"alias/library-infra-dev", "alias/library-infra-prod"}
    assert account.outputs["secretsProviders"] == {
        stack: f"awskms://alias/library-infra-{stack}?region=ap-northeast-2" for stack in ("dev", "prod")
    }


def test_a_preview_may_open_the_stacks_secrets_but_never_encrypt_and_nothing_else(account: Deployment) -> None:
    preview, deploy = policy(account, "preview"), policy(account, "deploy")
    for key in account.of_type("aws:kms/key:Key"):
        arn = key.state["arn"]
        assert permits(preview, "kms:Decrypt", arn)
        for action in ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo", "kms:ScheduleKeyDeletion"):
            assert not permits(preview, action, arn), action
        for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
            assert permits(deploy, action, arn), action
    assert not permits(preview, "kms:Decrypt", f"arn:aws:kms:ap-northeast-2:{ACCOUNT}:key/another")


def test_the_two_environments_must_differ_and_stacks_must_name_aliases() -> None:
    with pytest.raises(BootstrapConfigError, match="devEnvironment and prodEnvironment must differ"):
        BootstrapSettings(github_repository=REPO, dev_environment="prod")
    with pytest.raises(BootstrapConfigError, match=r"stacks: 'my stack' must be a stack name"):
        BootstrapSettings(github_repository=REPO, stacks=("dev", "my stack"))


def test_bootstrap_declares_every_key_it_reads_with_the_defaults_it_applies() -> None:
    import dataclasses
    import re

    from tests.harness import ROOT, read_yaml

    source = (ROOT / "bootstrap" / "bootstrap_settings.py").read_text()
    read = set(re.findall(r'config\.(?:get|require|get_bool|get_object)\("(\w+)"\)', source))
    declared = read_yaml(ROOT / "bootstrap" / "Pulumi.yaml")["config"]
    assert read == set(declared)
    defaults = {f.name: f.default for f in dataclasses.fields(BootstrapSettings)}
    for key, spec in declared.items():
        field = re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), key)
        if "default" in spec:
            expected = defaults[field]
            assert spec["default"] == (list(expected) if isinstance(expected, tuple) else expected), key
