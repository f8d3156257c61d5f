"""AppTaskDefinition: the Fargate task that runs the application container, and its log group.

Creates:
- cloudwatch.LogGroup ``<name>-logs`` named ``/ecs/<family>`` with the configured retention (kept on destroy
  in production), encrypted with ``kms_key_arn`` when given (created after the key, whose policy must admit
  CloudWatch Logs for this group);
- ecs.TaskDefinition ``<name>``: Fargate, awsvpc, the task size, the execution and task roles, and one container
  built by :func:`container_definitions`: the port, plain variables, secrets as SSM ARNs, awslogs to that group
  in the stack's region, ``SERVER_PORT`` = the container port, and a health check that curls ``http://localhost:<port><path>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# Container health check timing. Interval and retries bound how long a broken task keeps running; the start
# period (configured) is the JVM's boot time, during which failures do not count.
HEALTH_INTERVAL = 15
HEALTH_TIMEOUT = 5
HEALTH_RETRIES = 3


def health_check_command(port: int, path: str) -> list[str]:
    # curl is installed in the image for this; -f turns HTTP errors (503 DOWN) into a failing exit code.
    return ["CMD-SHELL", f"curl -fsS -o /dev/null http://localhost:{port}{path} || exit 1"]


def container_definitions(
    *,
    name: str,
    image: str,
    port: int,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    log_group: str,
    region: str,
    health_check_path: str,
    start_period: int,
) -> list[dict[str, Any]]:
    """The exact ``containerDefinitions`` ECS receives (ECS API field names).

    ``SERVER_PORT`` is set to the container port, so Spring Boot listens where the port mapping, the target group
    and both health checks look.
    """
    environment = {**environment, "SERVER_PORT": str(port)}
    return [
        {
            "name": name,
            "image": image,
            "essential": True,
            "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "ecs",
                },
            },
            "healthCheck": {
                "command": health_check_command(port, health_check_path),
                "interval": HEALTH_INTERVAL,
                "timeout": HEALTH_TIMEOUT,
                "retries": HEALTH_RETRIES,
                "startPeriod": start_period,
            },
        }
    ]


def policy_tags(image_platforms: tuple[str, ...], enable_execute_command: bool) -> dict[str, str]:
    """Facts the policy pack (policy/) cannot see otherwise, and the exceptions this program takes."""
    tags = {}
    if image_platforms:
        tags["library:image-platforms"] = " ".join(image_platforms)  # tag values allow no commas
    if enable_execute_command:
        tags["policy-exception/read-only-root-filesystem"] = "ECS Exec needs a writable root filesystem"
    return tags


@dataclass(frozen=True, kw_only=True)
class AppTaskDefinitionArgs:
    family: str
    container_name: str
    image: pulumi.Input[str]
    cpu: int
    memory: int
    container_port: int
    environment: Mapping[str, str]
    secrets: Mapping[str, pulumi.Input[str]]
    """Variable name -> SSM parameter ARN."""
    health_check_path: str
    health_check_start_period: int
    log_retention_days: int
    region: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    cpu_architecture: str
    retain_logs: bool
    kms_key_arn: pulumi.Input[str] | None = None
    """The customer managed key that encrypts the log group; None: CloudWatch Logs' own encryption."""
    image_platforms: tuple[str, ...] = ()
    """Platforms the image is known to be built for (the program's own build); shown to the policy pack."""
    enable_execute_command: bool = True


class AppTaskDefinition(pulumi.ComponentResource):
    log_group: aws.cloudwatch.LogGroup
    task_definition: aws.ecs.TaskDefinition
    arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: AppTaskDefinitionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:ecs:AppTaskDefinition", name, None, opts)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{args.family}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_logs),
        )
        secret_names = sorted(args.secrets)
        definitions = pulumi.Output.all(
            args.image,
            self.log_group.name,
            args.region,
            *[args.secrets[k] for k in secret_names],
        ).apply(
            lambda a: json.dumps(
                container_definitions(
                    name=args.container_name,
                    image=a[0],
                    port=args.container_port,
                    environment=args.environment,
                    secrets=dict(zip(secret_names, a[3:], strict=True)),
                    log_group=a[1],
                    region=a[2],
                    health_check_path=args.health_check_path,
                    start_period=args.health_check_start_period,
                )
            )
        )
        self.task_definition = aws.ecs.TaskDefinition(
            name,
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture=args.cpu_architecture
            ),
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            container_definitions=definitions,
            tags=policy_tags(args.image_platforms, args.enable_execute_command),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.task_definition.arn
        self.log_group_name = self.log_group.name
        self.register_outputs({"arn": self.arn, "logGroupName": self.log_group_name})
