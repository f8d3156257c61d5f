"""library-infra: library-management-system on ECS Fargate behind an Application Load Balancer.

settings -> where (account, region, network) -> secrets -> roles -> data key -> image -> task definition ->
access-log bucket -> service -> outputs.
"""

from pathlib import Path

import pulumi

from components.access_logs import AccessLogBucket, AccessLogBucketArgs
from components.data_key import DataKey, DataKeyArgs
from components.execution_role import ExecutionRole, ExecutionRoleArgs
from components.image import AppImage, AppImageArgs
from components.secrets import AppSecrets, AppSecretsArgs
from components.service import AutoscalingGoals, LoadBalancedService, LoadBalancedServiceArgs
from components.task_definition import AppTaskDefinition, AppTaskDefinitionArgs
from components.task_role import TaskRole, TaskRoleArgs
from stack_support import app_source, aws_env, cost, live_traffic, promotion
from stack_support.settings import load_settings, stacks_promoting_from

settings = load_settings(Path(__file__).parent)  # raises before any resource exists
where = aws_env.lookup(settings)
if where.database is None:
    port = settings.shown("databasePort", settings.database_port)
    pulumi.log.warn(
        f"No databaseInstance or databaseSecurityGroupId is set: the database's security group must admit "
        f"serviceSecurityGroupId (an output of this stack) on TCP {port}, or the health check answers DOWN and the "
        "deployment rolls back. Set databaseInstance to have the stack add that rule."
    )
app = settings.app_name

secrets = AppSecrets(
    f"{app}-secrets",
    AppSecretsArgs(
        parameters=settings.secrets,
        values={k: v.get_secret_value() for k, v in settings.secret_values.items()},
        kms_key_arn=settings.kms_key_arn,
        account_id=where.account_id,
        region=where.region,
        partition=where.partition,
    ),
)
execution_role = ExecutionRole(
    f"{app}-execution",
    ExecutionRoleArgs(
        account_id=where.account_id,
        region=where.region,
        partition=where.partition,
        parameter_arns=list(secrets.parameter_arns.values()),
        decrypt_key_arns=secrets.decrypt_key_arns,
        permissions_boundary=settings.permissions_boundary_arn,
    ),
)
task_role = TaskRole(
    f"{app}-task",
    TaskRoleArgs(
        account_id=where.account_id,
        region=where.region,
        partition=where.partition,
        permissions_boundary=settings.permissions_boundary_arn,
    ),
)
# The stack's customer managed key for its logs and repository (production, or kmsEncryption).
data_key = (
    DataKey(
        f"{app}-data",
        DataKeyArgs(
            account_id=where.account_id,
            region=where.region,
            partition=where.partition,
            log_groups=[settings.log_group_name] if settings.logs_kms_key_arn is None else [],
        ),
    )
    if settings.creates_data_key
    else None
)
logs_key_arn = settings.logs_kms_key_arn or (data_key.arn if data_key else None)
previous = live_traffic.previous_deployment() if settings.blue_green or settings.creates_repository else None
image = AppImage(
    app,
    AppImageArgs(
        repository_name=settings.repository,
        stack=pulumi.get_stack(),
        content_hash=app_source.content_hash(
            Path(__file__).parent / settings.docker_context,
            Path(__file__).parent / settings.dockerfile,
            settings.platform,
        )
        if settings.builds_image
        else "",
        previous_tag=live_traffic.previous_image_tag(previous) if previous else None,
        kms_key_arn=data_key.arn if data_key else None,
        context=settings.docker_context,
        dockerfile=settings.dockerfile,
        platform=settings.platform,
        image_uri=None if settings.image_from_stack else settings.image_uri,
        # Promotion copies the source stack's digest into this stack's own repository.
        promote_from=promotion.promoted_image(settings.image_from_stack, approved=settings.image_uri)
        if settings.image_from_stack
        else None,
        force_delete=not settings.production and not stacks_promoting_from(pulumi.get_stack(), Path(__file__).parent),
    ),
)
task = AppTaskDefinition(
    app,
    AppTaskDefinitionArgs(
        family=settings.family,
        container_name=settings.container_name,
        image=image.image_ref,
        cpu=settings.cpu,
        memory=settings.memory,
        container_port=settings.container_port,
        environment=settings.environment,
        secrets=secrets.parameter_arns,
        health_check_path=settings.health_check_path,
        health_check_start_period=settings.health_check_start_period,
        log_retention_days=settings.log_retention_days,
        region=where.region,
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        retain_logs=settings.production,
        kms_key_arn=logs_key_arn,
        cpu_architecture=settings.cpu_architecture,
        image_platforms=(settings.platform,) if settings.builds_image else (),
    ),
)
access_log_bucket = (
    AccessLogBucket(
        f"{app}-access-logs",
        AccessLogBucketArgs(
            prefix=settings.family,
            retention_days=settings.access_logs_retention_days,
            account_id=where.account_id,
            partition=where.partition,
            production=settings.production,
        ),
    )
    if settings.creates_access_log_bucket
    else None
)
service = LoadBalancedService(
    app,
    LoadBalancedServiceArgs(
        vpc_id=where.vpc_id,
        subnet_ids=where.subnet_ids,
        load_balancer_subnet_ids=where.load_balancer_subnet_ids,
        task_definition_arn=task.arn,
        container_name=settings.container_name,
        container_port=settings.container_port,
        health_check_path=settings.health_check_path,
        health_check_grace_period=settings.health_check_start_period,
        desired_count=settings.desired_count,
        assign_public_ip=settings.assign_public_ip,
        deletion_protection=settings.production,
        # The policy pack's production-security-controls are mandatory on the stack whose ALB says so.
        load_balancer_tags={"library:production": "true"} if settings.production else {},
        access_logs_bucket=access_log_bucket.name if access_log_bucket else settings.access_logs_bucket,
        access_logs_prefix=settings.family,
        access_logs_ready=access_log_bucket.policy if access_log_bucket else None,
        certificate_arn=settings.certificate_arn,
        deployment_strategy=settings.deployment_strategy,
        bake_time_minutes=settings.bake_time_minutes,
        test_listener_port=settings.test_listener_port,
        test_listener_cidrs=settings.test_listener_cidrs,
        capacity_provider=settings.capacity_provider,
        autoscaling=AutoscalingGoals(**settings.autoscaling.model_dump()) if settings.autoscaling else None,
        alarm_topic_arn=settings.alarm_topic_arn,
        partition=where.partition,
        database_security_group_id=where.database.security_group_id if where.database else None,
        database_port=where.database.port if where.database else settings.database_port,
        previous_production_rule_arn=live_traffic.previous_production_rule(previous)
        if previous and settings.blue_green
        else None,
        permissions_boundary=settings.permissions_boundary_arn,
    ),
)

pulumi.export("url", service.url)
pulumi.export("albDnsName", service.load_balancer.dns_name)
pulumi.export("albArn", service.load_balancer.arn)
pulumi.export("clusterName", service.cluster.name)
pulumi.export("serviceName", service.service.name)
pulumi.export("taskDefinitionArn", task.arn)
pulumi.export("imageUri", image.image_ref)
pulumi.export("repositoryUrl", image.repository_url)
# Read back by the next deployment of this stack: an unchanged image keeps its tag, a new one takes the next.
pulumi.export(live_traffic.TAG_OUTPUT, image.tag)
pulumi.export("logGroupName", task.log_group_name)
pulumi.export("executionRoleArn", execution_role.arn)
pulumi.export("taskRoleArn", task_role.arn)
pulumi.export("targetGroupArn", service.target_group.arn)
pulumi.export("albSecurityGroupId", service.alb_security_group.id)
pulumi.export("serviceSecurityGroupId", service.service_security_group.id)
pulumi.export("secretParameterArns", secrets.parameter_arns)
# Read back by the next deployment of this stack (stack_support/live_traffic.py); null with ROLLING.
pulumi.export(live_traffic.RULE_OUTPUT, service.blue_green.production_rule.arn if service.blue_green else None)

estimate = pulumi.Output.all(where.region, where.load_balancer_subnet_ids).apply(
    lambda a: cost.estimate(
        region=a[0],
        cpu=settings.cpu,
        memory=settings.memory,
        tasks=settings.desired_count,
        architecture=settings.cpu_architecture,
        capacity_provider=settings.capacity_provider,
        task_public_ip=settings.assign_public_ip,
        alb_subnets=len(a[1]),
        access_log_retention_days=settings.access_logs_retention_days if settings.creates_access_log_bucket else None,
        kms_keys=int(settings.creates_data_key) + int(bool(settings.secret_values)),
    )
)
pulumi.export("estimatedMonthlyCostUsd", estimate.apply(lambda e: e.monthly_usd))
pulumi.export("costEstimate", estimate.apply(lambda e: e.as_output()))
