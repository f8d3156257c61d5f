"""The task definition ECS registers: Fargate size, roles, environment, logs, health check."""

from __future__ import annotations

from tests.conftest import REGION
from tests.harness import Deployment, run_program


def test_task_is_a_fargate_awsvpc_task_of_the_configured_size(dev: Deployment) -> None:
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["family"] == "library-dev"
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]


def test_container_is_named_after_the_app_and_maps_the_container_port(dev: Deployment) -> None:
    container = dev.container()
    assert container["name"] == "library-app"
    assert container["essential"] is True
    assert container["portMappings"] == [{"containerPort": 8081, "hostPort": 8081, "protocol": "tcp"}]


def test_plain_environment_comes_from_config(dev: Deployment) -> None:
    assert dev.container()["environment"] == [
        {"name": "SERVER_PORT", "value": "8081"},
        {"name": "SPRING_JPA_HIBERNATE_DDL_AUTO", "value": "update"},
        {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"},
    ]


def test_logs_go_to_the_family_log_group_in_the_stack_region(dev: Deployment) -> None:
    log_group = dev.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == "/ecs/library-dev"
    assert log_group.inputs["retentionInDays"] == 30
    assert dev.container()["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/library-dev", "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"},
    }
    assert dev.outputs["logGroupName"] == "/ecs/library-dev"


def test_log_group_is_kept_on_destroy_only_in_production(dev: Deployment) -> None:
    assert dev.one("aws:cloudwatch/logGroup:LogGroup").retain_on_delete is False
    production = run_program("dev", {"production": True})
    assert production.one("aws:cloudwatch/logGroup:LogGroup").retain_on_delete is True


def test_container_health_check_gives_the_jvm_its_start_period(dev: Deployment) -> None:
    health = dev.container()["healthCheck"]
    assert (health["interval"], health["timeout"], health["retries"], health["startPeriod"]) == (15, 5, 3, 120)


def test_health_settings_follow_config() -> None:
    deployment = run_program(
        "dev", {"containerPort": 9090, "healthCheckPath": "/healthz", "healthCheckStartPeriod": 200}
    )
    container = deployment.container()
    assert container["healthCheck"]["command"][1].startswith("curl -fsS -o /dev/null http://localhost:9090/healthz ")
    assert container["healthCheck"]["startPeriod"] == 200
    target_group = deployment.one("aws:lb/targetGroup:TargetGroup")
    assert (target_group.inputs["port"], target_group.inputs["healthCheck"]["path"]) == (9090, "/healthz")
    health = target_group.inputs["healthCheck"]
    grace = deployment.one("aws:ecs/service:Service").inputs["healthCheckGracePeriodSeconds"]
    assert grace == 200 + health["healthyThreshold"] * health["interval"]  # the start period, then the target group
