"""ExecutionRole: the role ECS assumes to start the task (pull the image, write logs, fetch the secrets).

Creates:
- iam.Role ``<name>``, trusted by ``ecs-tasks.amazonaws.com`` only on behalf of this account (``aws:SourceAccount``);
- iam.RolePolicyAttachment ``<name>-ecs``: ``AmazonECSTaskExecutionRolePolicy`` (ECR pull, CloudWatch Logs);
- iam.RolePolicy ``<name>-secrets``, only when there are secrets: ``ssm:GetParameters`` on exactly the configured
  parameter ARNs and ``kms:Decrypt`` on the keys that encrypt them, usable only through SSM (``kms:ViaService``).

Its own resources rather than ``inline_policies=``/``managed_policy_arns=`` on the Role, which would take
exclusive control of the role's policies. The documents are built by the pure functions below.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.ordering import once_created

ECS_TASKS = "ecs-tasks.amazonaws.com"


def ecs_tasks_trust_policy(account_id: str, source_arn: str | None = None) -> dict[str, Any]:
    """Lets ECS tasks of this account (and only this account: no confused deputy) assume the role."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EcsTasksOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ECS_TASKS},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def secrets_read_policy(parameter_arns: Sequence[str], key_arns: Sequence[str], region: str) -> dict[str, Any]:
    """Read exactly these parameters and decrypt them, with nothing else and no ``"Resource": "*"``."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadConfiguredParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": sorted(set(parameter_arns)),
        }
    ]
    if key_arns:
        statements.append(
            {
                "Sid": "DecryptThemThroughSsm",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted(set(key_arns)),
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class ExecutionRoleArgs:
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    parameter_arns: Sequence[pulumi.Input[str]]
    """ARNs of the SSM parameters the container gets as secrets."""
    decrypt_key_arns: Sequence[pulumi.Input[str]]
    """KMS keys (or an account/region key pattern) that encrypt those parameters."""
    permissions_boundary: str | None = None
    """Managed policy every role of the stack carries as its permissions boundary (bootstrap's, for CI)."""


class ExecutionRole(pulumi.ComponentResource):
    role: aws.iam.Role
    arn: pulumi.Output[str]
    secrets_policy: aws.iam.RolePolicy | None

    def __init__(self, name: str, args: ExecutionRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:iam:ExecutionRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(
            name,
            description="ECS task execution role: pulls the image, writes logs, reads the task's secrets",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps(ecs_tasks_trust_policy(account))
            ),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        managed = aws.iam.RolePolicyAttachment(
            f"{name}-ecs",
            role=self.role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(
                lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            ),
            opts=child,
        )
        self.secrets_policy = None
        depends: list[pulumi.Resource] = [managed]
        if args.parameter_arns:
            self.secrets_policy = aws.iam.RolePolicy(
                f"{name}-secrets",
                role=self.role.id,
                policy=pulumi.Output.all(list(args.parameter_arns), list(args.decrypt_key_arns), args.region).apply(
                    lambda a: json.dumps(secrets_read_policy(a[0], a[1], a[2]))
                ),
                opts=child,
            )
            depends.append(self.secrets_policy)

        # Consumers get the ARN only once the policies are attached, so no task starts with a half-built role.
        self.arn = once_created(self.role.arn, *depends)
        self.register_outputs({"arn": self.arn})
