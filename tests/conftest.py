"""Shared runs of the program: each is a full `pulumi up` under mocks, made once per test session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from tests.harness import Deployment, Registered, run_program

# A value that must never show up in plain text anywhere the engine or a user could see it.
PASSWORD = "s3cr3t-Pa55word-from-config"
REGION = "ap-northeast-2"


@pytest.fixture(scope="session")
def dev() -> Deployment:
    """The dev stack exactly as committed: existing SSM parameters, image built from the Dockerfile."""
    return run_program("dev")


@pytest.fixture(scope="session")
def dev_owning_password() -> Deployment:
    """The dev stack with the password given in config: the stack creates that parameter and its key."""
    return run_program(
        "dev",
        {"secretValues": {"SPRING_DATASOURCE_PASSWORD": PASSWORD}},
        secret_keys=("secretValues",),
    )


def role_policies(deployment: Deployment, role: Registered) -> list[dict[str, Any]]:
    """The inline policy documents attached to ``role``."""
    return [
        json.loads(p.inputs["policy"])
        for p in deployment.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] == role.state["name"]
    ]


def execution_role(deployment: Deployment) -> Registered:
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
    return deployment.by_state("arn", task.inputs["executionRoleArn"])


def permits(policy: dict[str, Any], action: str, resource: str, **context: str) -> bool:
    """IAM's verdict (as moto evaluates it) on one request against one identity policy."""
    verdict = IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource, incoming_condition_values=context)
    return bool(verdict == PermissionResult.PERMITTED)


def permits_any(policies: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    return any(permits(p, action, resource, **context) for p in policies)
