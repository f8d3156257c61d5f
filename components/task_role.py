"""TaskRole: the identity of the application itself, separate from the execution role.

Creates:
- iam.Role ``<name>``, trusted by ``ecs-tasks.amazonaws.com`` for tasks of this account and region only;
- iam.RolePolicy ``<name>-exec``, only with ECS Exec on: the ``ssmmessages:*Channel`` actions
  ``aws ecs execute-command`` needs (AWS offers no resource-level permissions for them).

The application gets no other AWS permissions: it reaches its database with the credentials the execution role
injected. Grant more by attaching policies to ``role`` in a consuming program.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.execution_role import ecs_tasks_trust_policy
from components.ordering import once_created

ECS_EXEC_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def ecs_exec_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "EcsExec", "Effect": "Allow", "Action": ECS_EXEC_ACTIONS, "Resource": "*"}],
    }


@dataclass(frozen=True)
class TaskRoleArgs:
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    enable_execute_command: bool = True
    permissions_boundary: str | None = None
    """Managed policy every role of the stack carries as its permissions boundary (bootstrap's, for CI)."""


class TaskRole(pulumi.ComponentResource):
    role: aws.iam.Role
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: TaskRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:iam:TaskRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(
            name,
            description="Identity of the library-management-system application",
            assume_role_policy=pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda a: json.dumps(ecs_tasks_trust_policy(str(a[2]), f"arn:{a[0]}:ecs:{a[1]}:{a[2]}:*"))
            ),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        self.arn = self.role.arn
        if args.enable_execute_command:
            exec_policy = aws.iam.RolePolicy(
                f"{name}-exec", role=self.role.id, policy=json.dumps(ecs_exec_policy()), opts=child
            )
            # Tasks that start before the policy exists could not be reached with `aws ecs execute-command`.
            self.arn = once_created(self.role.arn, exec_policy)
        self.register_outputs({"arn": self.arn})
