"""Each component on its own, as another program would use it, and the rules every component follows."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.execution_role import ExecutionRole, ExecutionRoleArgs
from components.image import AppImage, AppImageArgs
from components.secrets import AppSecrets, AppSecretsArgs
from components.service import LoadBalancedService, LoadBalancedServiceArgs
from components.task_definition import AppTaskDefinition, AppTaskDefinitionArgs
from components.task_role import TaskRole, TaskRoleArgs
from tests.harness import ACCOUNT, Deployment, run

CONFIG = {"aws:region": "us-east-1"}


def test_every_resource_belongs_to_a_library_component(dev: Deployment) -> None:
    for resource in dev.resources:
        if not resource.type.startswith("library:"):
            assert resource.parent_type.startswith("library:"), resource.name


def test_every_component_registers_its_outputs(dev: Deployment) -> None:
    components = [r for r in dev.resources if r.type.startswith("library:")]
    assert len(components) == 7  # six top-level components and the service's RollbackAlarms
    for component in components:
        assert component.urn in dev.outputs_registered, component.type


def test_execution_role_without_secrets_gets_no_secrets_policy() -> None:
    def program() -> None:
        ExecutionRole(
            "bare",
            ExecutionRoleArgs(
                parameter_arns=[], decrypt_key_arns=[], account_id=ACCOUNT, region="us-east-1", partition="aws"
            ),
        )

    deployment = run(program, "test", CONFIG)
    assert deployment.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert len(deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")) == 1


def test_secrets_with_a_customer_key_reference_parameters_and_name_that_key() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666"
    found: dict[str, object] = {}

    def program() -> None:
        secrets = AppSecrets(
            "s",
            AppSecretsArgs(
                parameters={"DB_URL": "/app/db/url"},
                kms_key_arn=key,
                account_id=ACCOUNT,
                region="us-east-1",
                partition="aws",
            ),
        )
        pulumi.Output.all(secrets.decrypt_key_arns, secrets.parameter_arns).apply(lambda a: found.update(keys=a[0]))

    deployment = run(program, "test", CONFIG)
    assert found["keys"] == [key]
    assert deployment.of_type("aws:kms/key:Key") == []


def test_task_role_without_ecs_exec_has_no_policy() -> None:
    def program() -> None:
        TaskRole(
            "t", TaskRoleArgs(enable_execute_command=False, account_id=ACCOUNT, region="us-east-1", partition="aws")
        )

    deployment = run(program, "test", CONFIG)
    assert deployment.of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_task_role_with_ecs_exec_may_open_session_channels() -> None:
    def program() -> None:
        TaskRole("t", TaskRoleArgs(account_id=ACCOUNT, region="us-east-1", partition="aws"))

    [policy] = run(program, "test", CONFIG).of_type("aws:iam/rolePolicy:RolePolicy")
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert all(a.startswith("ssmmessages:") for a in statement["Action"])


def test_image_for_another_platform_and_repository() -> None:
    def program() -> None:
        args = AppImageArgs(
            repository_name="team/app",
            stack="qa",
            content_hash="sha256:" + "c" * 64,
            previous_tag="qa-6-" + "d" * 12,
            context=".",
            dockerfile="Dockerfile",
            platform="linux/arm64",
            force_delete=True,
            keep_images=5,
        )
        AppImage("img", args)

    deployment = run(program, "qa", CONFIG)
    image = deployment.one("docker:index/image:Image")
    assert image.inputs["build"]["platform"] == "linux/arm64"
    assert image.inputs["imageName"].endswith("/team/app:qa-7-" + "c" * 12)  # another build: the next number
    rules = json.loads(deployment.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    assert rules[0]["selection"]["tagPrefixList"] == ["qa-"]
    assert rules[1]["selection"]["countNumber"] == 5


def test_task_definition_on_its_own() -> None:
    def program() -> None:
        AppTaskDefinition(
            "td",
            AppTaskDefinitionArgs(
                family="svc-test",
                container_name="svc",
                image="repo@sha256:" + "b" * 64,
                cpu=1024,
                memory=2048,
                container_port=3000,
                environment={"MODE": "x"},
                secrets={"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/t"},
                health_check_path="/ping",
                health_check_start_period=30,
                log_retention_days=7,
                region="us-east-1",
                execution_role_arn="arn:aws:iam::123456789012:role/exec",
                task_role_arn="arn:aws:iam::123456789012:role/task",
                cpu_architecture="ARM64",
                retain_logs=False,
            ),
        )

    deployment = run(program, "test", CONFIG)
    container = deployment.container()
    assert container["secrets"] == [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/t"}]
    assert container["healthCheck"]["command"][1].startswith("curl -fsS -o /dev/null http://localhost:3000/ping ")
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert deployment.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 7


def test_service_on_its_own() -> None:
    def program() -> None:
        LoadBalancedService(
            "web",
            LoadBalancedServiceArgs(
                vpc_id="vpc-0123456789abcdef0",
                subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                task_definition_arn="arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
                container_name="web",
                container_port=3000,
                health_check_path="/ping",
                health_check_grace_period=45,
                desired_count=2,
                assign_public_ip=True,
                deletion_protection=True,
                enable_execute_command=False,
                deployment_strategy="ROLLING",
                bake_time_minutes=5,
                test_listener_port=8080,
                capacity_provider="FARGATE",
                partition="aws",
                database_port=3306,
            ),
        )

    deployment = run(program, "test", CONFIG)
    service = deployment.one("aws:ecs/service:Service")
    assert service.inputs["desiredCount"] == 2
    assert service.inputs["enableExecuteCommand"] is False
    health = deployment.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    # The start period, and the target group's healthy threshold after it (tests/test_rollout_timeline.py).
    assert service.inputs["healthCheckGracePeriodSeconds"] == 45 + health["healthyThreshold"] * health["interval"]
    assert deployment.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True
    assert deployment.named("web-tasks-from-alb").inputs["fromPort"] == 3000


def test_no_component_can_change_the_settings_it_was_given() -> None:
    # Validated settings are passed in (STYLE.md): a component that assigned to its arguments would change what
    # another component, or the outputs, read later.
    import dataclasses
    import importlib
    import pkgutil

    import components

    frozen = []
    for module_info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                first = dataclasses.fields(value)[0].name
                with pytest.raises(dataclasses.FrozenInstanceError):
                    setattr(object.__new__(value), first, None)
                frozen.append(value.__name__)
    assert "LoadBalancedServiceArgs" in frozen
    assert "AutoscalingGoals" in frozen
