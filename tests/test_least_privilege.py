"""Who may do what: the execution role reads exactly the configured secrets, and only the ALB reaches the tasks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import REGION, execution_role, permits_any, role_policies
from tests.harness import ACCOUNT, Deployment, run_program
from tests.iam_model import trusts

VIA_SSM = {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}
CONFIGURED = [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/library/db/{name}" for name in ("url", "username", "password")]


def test_execution_role_may_read_exactly_the_configured_parameters(dev: Deployment) -> None:
    policies = role_policies(dev, execution_role(dev))
    for arn in CONFIGURED:
        assert permits_any(policies, "ssm:GetParameters", arn)
    others = [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/library/db/other",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/library/admin/password",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/other/db/password",
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/library/db/password",
        f"arn:aws:ssm:{REGION}:210987654321:parameter/library/db/password",
    ]
    for arn in others:
        assert not permits_any(policies, "ssm:GetParameters", arn), arn
    for action in ("ssm:GetParameter", "ssm:GetParametersByPath", "ssm:PutParameter", "ssm:DescribeParameters"):
        assert not permits_any(policies, action, CONFIGURED[0]), action


def test_no_ssm_or_kms_action_is_allowed_on_every_resource(dev: Deployment, dev_owning_password: Deployment) -> None:
    for deployment in (dev, dev_owning_password):
        for policy in deployment.of_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                actions = _as_list(statement["Action"])
                if any(a.split(":")[0] in ("ssm", "kms") for a in actions):
                    assert "*" not in _as_list(statement["Resource"]), (policy.name, statement)


def test_secrets_can_be_decrypted_only_through_ssm(dev: Deployment) -> None:
    policies = role_policies(dev, execution_role(dev))
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert permits_any(policies, "kms:Decrypt", key, **VIA_SSM)
    assert not permits_any(policies, "kms:Decrypt", key, **{"kms:ViaService": f"s3.{REGION}.amazonaws.com"})
    for policy in policies:
        for statement in policy["Statement"]:
            if statement["Action"] == "kms:Decrypt":  # a direct call carries no kms:ViaService, so it fails
                assert statement["Condition"] == {"StringEquals": VIA_SSM}
    assert not permits_any(policies, "kms:Decrypt", f"arn:aws:kms:{REGION}:210987654321:key/x", **VIA_SSM)
    assert not permits_any(policies, "kms:Encrypt", key, **VIA_SSM)


def test_kms_key_arn_limits_decryption_to_that_key() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666"
    deployment = run_program("dev", {"kmsKeyArn": key})
    policies = role_policies(deployment, execution_role(deployment))
    assert permits_any(policies, "kms:Decrypt", key, **VIA_SSM)
    assert not permits_any(policies, "kms:Decrypt", key.replace("0f0f0f0f", "abababab"), **VIA_SSM)


def test_stack_owned_secrets_decrypt_only_with_the_stack_key(dev_owning_password: Deployment) -> None:
    policies = role_policies(dev_owning_password, execution_role(dev_owning_password))
    [key] = dev_owning_password.of_type("aws:kms/key:Key")
    assert permits_any(policies, "kms:Decrypt", key.state["arn"], **VIA_SSM)
    # The other two parameters still exist outside the stack, so account keys (via SSM) remain allowed for them.
    statement = next(s for p in policies for s in p["Statement"] if s["Action"] == "kms:Decrypt")
    assert sorted(statement["Resource"]) == sorted([key.state["arn"], f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"])


def test_all_secrets_owned_by_the_stack_leave_only_the_stack_key() -> None:
    values = {"SPRING_DATASOURCE_URL": "jdbc:mysql://db/library", "SPRING_DATASOURCE_USERNAME": "library"}
    values["SPRING_DATASOURCE_PASSWORD"] = "another-secret-value"
    deployment = run_program("dev", {"secretValues": values}, secret_keys=("secretValues",))
    [key] = deployment.of_type("aws:kms/key:Key")
    policies = role_policies(deployment, execution_role(deployment))
    statement = next(s for p in policies for s in p["Statement"] if s["Action"] == "kms:Decrypt")
    assert statement["Resource"] == [key.state["arn"]]
    assert not any(c[0] == "aws:ssm/getParameter:getParameter" for c in deployment.calls)


def test_task_role_is_separate_and_cannot_read_the_secrets(dev: Deployment) -> None:
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["taskRoleArn"] != task.inputs["executionRoleArn"]
    task_role = dev.by_state("arn", task.inputs["taskRoleArn"])
    policies = role_policies(dev, task_role)
    for arn in CONFIGURED:
        assert not permits_any(policies, "ssm:GetParameters", arn)
    assert not any(
        a.inputs["role"] == task_role.state["name"]
        for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    [trust] = json.loads(task_role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"}


# ECS assumes a task's execution role and task role as the service principal ecs-tasks.amazonaws.com, and names the
# account and task the request is for in aws:SourceAccount and aws:SourceArn (ECS developer guide, "Amazon ECS task
# execution IAM role" and "Amazon ECS task IAM role"; IAM user guide, "The confused deputy problem").
ECS_TASKS = ("Service", "ecs-tasks.amazonaws.com")
OTHER_ACCOUNT = "210987654321"


def test_only_ecs_tasks_of_this_account_may_assume_the_execution_and_task_roles(dev: Deployment) -> None:
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    cluster = dev.one("aws:ecs/cluster:Cluster").state["name"]
    ours = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/0f1e2d3c"}
    theirs = {"aws:SourceAccount": OTHER_ACCOUNT, "aws:SourceArn": f"arn:aws:ecs:{REGION}:{OTHER_ACCOUNT}:task/c/1"}
    for role_arn in (task["executionRoleArn"], task["taskRoleArn"]):
        trust = json.loads(dev.by_state("arn", role_arn).inputs["assumeRolePolicy"])
        assert trusts(trust, ECS_TASKS, context=ours), role_arn
        assert not trusts(trust, ECS_TASKS, context=theirs), role_arn
        for other in (("Service", "ecs.amazonaws.com"), ("Service", "ec2.amazonaws.com"), ("AWS", ACCOUNT)):
            assert not trusts(trust, other, context=ours), (role_arn, other)


def test_only_the_alb_reaches_the_tasks_and_only_on_the_container_port(dev: Deployment) -> None:
    alb_group, task_group = dev.group("library-alb"), dev.group("library-tasks")
    service = dev.one("aws:ecs/service:Service")
    [task_group_id] = service.inputs["networkConfiguration"]["securityGroups"]
    assert task_group_id == task_group.id
    ingress = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == task_group_id
    ]
    assert len(ingress) == 1
    [rule] = ingress
    assert rule.inputs["referencedSecurityGroupId"] == alb_group.id
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 8081, 8081)
    assert "cidrIpv4" not in rule.inputs
    assert "cidrIpv6" not in rule.inputs
    # Nothing else in the group's definition lets traffic in.
    assert "ingress" not in task_group.inputs or not task_group.inputs["ingress"]


def test_alb_takes_http_from_anywhere_and_sends_only_to_the_tasks(dev: Deployment) -> None:
    alb_group, task_group = dev.group("library-alb"), dev.group("library-tasks")
    alb_id = alb_group.id
    [ingress] = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == alb_id
    ]
    assert (ingress.inputs["cidrIpv4"], ingress.inputs["fromPort"], ingress.inputs["toPort"]) == ("0.0.0.0/0", 80, 80)
    [egress] = [
        r
        for r in dev.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == alb_id
    ]
    assert egress.inputs["referencedSecurityGroupId"] == task_group.id
    assert (egress.inputs["fromPort"], egress.inputs["toPort"]) == (8081, 8081)


@pytest.mark.parametrize("port", [9090, 1024])
def test_the_task_port_follows_container_port(port: int) -> None:
    deployment = run_program("dev", {"containerPort": port})
    rule = deployment.named("library-tasks-from-alb")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (port, port)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
