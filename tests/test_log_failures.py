"""The five failures of the 2025-10-29 console deployment, each proven impossible with this program."""

from __future__ import annotations

import json
from pathlib import Path

import dockerfile

from tests.conftest import REGION, execution_role, permits_any, role_policies
from tests.harness import ACCOUNT, ROOT, Deployment

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
VIA_SSM = {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}


def test_failure_1_no_execution_role__task_definition_names_a_role_ecs_tasks_can_assume(dev: Deployment) -> None:
    task = dev.one(TASK_DEFINITION)
    role = execution_role(dev)
    assert role.type == "aws:iam/role:Role"
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    managed = [
        a
        for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    ]
    assert [a.inputs["policyArn"] for a in managed] == [
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    ]
    # The role and every policy on it exist before the task definition is registered.
    assert dev.depends_on(task, role)
    for policy in managed + dev.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs["role"] == role.state["name"]:
            assert dev.depends_on(task, policy), policy.name


def test_failure_2_ssm_get_parameters_denied__execution_role_may_read_every_secret_the_container_names(
    dev: Deployment,
) -> None:
    policies = role_policies(dev, execution_role(dev))
    secrets = dev.container()["secrets"]
    assert {s["name"] for s in secrets} == {
        "SPRING_DATASOURCE_URL",
        "SPRING_DATASOURCE_USERNAME",
        "SPRING_DATASOURCE_PASSWORD",
    }
    for secret in secrets:
        assert permits_any(policies, "ssm:GetParameters", secret["valueFrom"]), secret


def test_failure_3_secure_string_not_decryptable__execution_role_may_decrypt_through_ssm(
    dev: Deployment, dev_owning_password: Deployment
) -> None:
    # Existing parameters (no kmsKeyArn): any key of this account and region, but only when SSM asks.
    policies = role_policies(dev, execution_role(dev))
    some_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert permits_any(policies, "kms:Decrypt", some_key, **VIA_SSM)
    # A parameter the stack creates: encrypted with the stack's key, which the role may use.
    [key] = dev_owning_password.of_type("aws:kms/key:Key")
    [parameter] = dev_owning_password.of_type("aws:ssm/parameter:Parameter")
    assert parameter.inputs["type"] == "SecureString"
    assert parameter.inputs["keyId"] == key.state["arn"]
    owning = role_policies(dev_owning_password, execution_role(dev_owning_password))
    assert permits_any(owning, "kms:Decrypt", key.state["arn"], **VIA_SSM)


def test_failure_4_image_never_pushed__task_runs_the_digest_the_push_produced(dev: Deployment) -> None:
    image = dev.one("docker:index/image:Image")
    repository = dev.one("aws:ecr/repository:Repository")
    task = dev.one(TASK_DEFINITION)
    # Pushed (not only built) to this stack's repository, with a token for that registry.
    assert image.inputs.get("skipPush") is not True
    assert image.inputs["registry"]["server"] == repository.state["repositoryUrl"]
    assert image.inputs["imageName"].startswith(repository.state["repositoryUrl"] + ":")
    # The task definition names the digest the push reported, so it cannot be registered before the push.
    assert dev.container()["image"] == image.state["repoDigest"]
    assert "@sha256:" in dev.container()["image"]
    assert dev.depends_on(task, image)


def test_failure_5_task_unhealthy__health_checks_can_pass_where_the_app_listens(dev: Deployment) -> None:
    container = dev.container()
    port = container["portMappings"][0]["containerPort"]
    target_group = dev.one("aws:lb/targetGroup:TargetGroup")
    health = container["healthCheck"]
    # The container check curls the port and path the app serves, and the image has curl.
    assert health["command"] == [
        "CMD-SHELL",
        f"curl -fsS -o /dev/null http://localhost:{port}/actuator/health || exit 1",
    ]
    final_stage = _final_stage(ROOT / "Dockerfile")
    assert any("apt-get install" in c and " curl" in c for c in final_stage.get("RUN", []))
    # Spring Boot listens on that port; the ALB checks the same port and path.
    assert {"name": "SERVER_PORT", "value": str(port)} in container["environment"]
    assert target_group.inputs["port"] == port
    assert target_group.inputs["healthCheck"]["path"] == "/actuator/health"
    assert target_group.inputs["healthCheck"]["port"] == "traffic-port"
    # A JVM on 0.25 vCPU gets two minutes before failures count, on the container and at the load balancer.
    assert health["startPeriod"] >= 120
    service = dev.one("aws:ecs/service:Service")
    assert service.inputs["healthCheckGracePeriodSeconds"] >= health["startPeriod"]
    # The ALB may reach the task on that port.
    ingress = dev.named("library-tasks-from-alb")
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (port, port)


def _final_stage(path: Path) -> dict[str, list[str]]:
    stage: dict[str, list[str]] = {}
    for command in dockerfile.parse_file(str(path)):
        if command.cmd.upper() == "FROM":
            stage = {}
        stage.setdefault(command.cmd.upper(), []).append(" ".join(command.value))
    return stage
