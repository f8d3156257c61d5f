"""LoadBalancedService: the ECS cluster and Fargate service, reachable only through an Application Load Balancer.

Creates:
- ecs.Cluster ``<name>-cluster`` with Container Insights, and ecs.ClusterCapacityProviders offering FARGATE and
  FARGATE_SPOT (the service runs on the one configured);
- ec2.SecurityGroup ``<name>-alb`` (HTTP 80, and HTTPS 443 with a certificate, from anywhere; out only to the tasks,
  on the container port) and ``<name>-tasks`` (in only from the ALB's group, on the container port; out on HTTPS
  for ECR, SSM and CloudWatch Logs, and on the database port to the database), their rules as separate
  ``vpc.SecurityGroup*Rule`` resources;
- with a database security group, vpc.SecurityGroupIngressRule ``<name>-db-from-tasks`` on that (existing) group:
  the tasks' group on the database port, nothing else; the service waits for it, and destroy removes only it;
- lb.LoadBalancer ``<name>-alb`` (drops invalid header fields; with ``access_logs_bucket``, writes access logs there
  under ``access_logs_prefix``, created or changed only after ``access_logs_ready``, the bucket's policy, since ELB
  checks it can write), lb.TargetGroup ``<name>-tg`` (ip targets on the
  container port, the app's health path) and lb.Listener ``<name>-http`` on port 80 forwarding to it; with a
  certificate, lb.Listener ``<name>-https`` on 443 (TLS 1.2/1.3 policy) forwards instead and port 80 answers with a
  permanent redirect to HTTPS;
- with ``BLUE_GREEN``, a BlueGreenRouting ``<name>-bg`` (green target group, production and test listener rules,
  ECS's infrastructure role);
- RollbackAlarms ``<name>-rollback`` (target 5xx rate, unhealthy targets), wired into the deployment with rollback;
- ecs.Service ``<name>``: Fargate in the given subnets, the deployment circuit breaker with rollback, the alarms,
  a health check grace period no shorter than the container's start period, ECS Exec, and
  ``wait_for_steady_state`` so that ``pulumi up`` fails when the tasks do not become healthy;
- with ``autoscaling``, a ServiceAutoscaling ``<name>-scaling``; the service then ignores later changes to its
  desired count, so a deploy never undoes what the scaler decided.

Target group timings are tuned for quick rollouts that still need two consecutive good checks; see
:func:`rollout_overhead_seconds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.autoscaling import ServiceAutoscaling, ServiceAutoscalingArgs
from components.blue_green import BlueGreenRouting, BlueGreenRoutingArgs
from components.rollback_alarms import RollbackAlarms, RollbackAlarmsArgs

# How long `pulumi up` waits for the service to settle, beyond a blue/green bake (settings.MAX_BAKE_MINUTES keeps the
# sum inside a CI job and its AWS session).
STEADY_STATE_MINUTES = 30

HTTP_PORT = 80
HTTPS_PORT = 443
ANYWHERE = "0.0.0.0/0"
# AWS's recommended policy for new HTTPS listeners: TLS 1.3 and 1.2 with forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Target group health check: a new task serves after HEALTHY_THRESHOLD good checks HEALTH_INTERVAL apart;
# a draining task gets DEREGISTRATION_DELAY seconds to finish its requests (Spring Boot answers in well under that).
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 3
HEALTH_INTERVAL = 10
HEALTH_TIMEOUT = 5
DEREGISTRATION_DELAY = 20


def rollout_overhead_seconds(strategy: str = "ROLLING", bake_time_minutes: int = 0) -> int:
    """Seconds a rollout waits on top of the app's own start: the target group seeing the new task healthy (at
    worst HEALTHY_THRESHOLD checks after the app answers), the old task draining, and with blue/green the bake time
    during which both revisions run."""
    overhead = HEALTHY_THRESHOLD * HEALTH_INTERVAL + DEREGISTRATION_DELAY
    return overhead + (bake_time_minutes * 60 if strategy == "BLUE_GREEN" else 0)


def alb_dimension(load_balancer_arn: str) -> str:
    """CloudWatch's LoadBalancer dimension: the ARN after ``loadbalancer/``."""
    return load_balancer_arn.split(":loadbalancer/", 1)[1]


def target_group_dimension(target_group_arn: str) -> str:
    """CloudWatch's TargetGroup dimension: ``targetgroup/<name>/<id>``."""
    return target_group_arn.rsplit(":", 1)[1]


@dataclass(frozen=True)
class AutoscalingGoals:
    min_count: int
    max_count: int
    cpu_target: float | None = None
    memory_target: float | None = None
    requests_per_target: int | None = None


@dataclass(frozen=True, kw_only=True)
class LoadBalancedServiceArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    task_definition_arn: pulumi.Input[str]
    container_name: str
    container_port: int
    health_check_path: str
    health_check_grace_period: int
    desired_count: int
    assign_public_ip: bool
    load_balancer_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """The internet-facing ALB's subnets, which need a route to an internet gateway; None: the tasks' subnets."""
    deletion_protection: bool
    load_balancer_tags: Mapping[str, str] = field(default_factory=dict)
    """Facts the policy pack reads from the load balancer (``library:production``)."""
    access_logs_bucket: pulumi.Input[str] | None = None
    """S3 bucket for the ALB's access logs; None: no access logs."""
    access_logs_prefix: str = ""
    access_logs_ready: pulumi.Resource | None = None
    """What must exist before ELB checks the bucket (its policy); None for a bucket the stack does not own."""
    enable_execute_command: bool = True
    certificate_arn: str | None = None
    """ACM certificate: adds HTTPS on 443 and turns port 80 into a redirect to it."""
    deployment_strategy: Literal["ROLLING", "BLUE_GREEN"]
    bake_time_minutes: int
    test_listener_port: int
    test_listener_cidrs: Sequence[str] = ()
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"]
    autoscaling: AutoscalingGoals | None = None
    alarm_topic_arn: str | None = None
    partition: pulumi.Input[str]
    database_security_group_id: str | None = None
    """The existing database's security group: it gets one rule admitting the tasks on ``database_port``."""
    database_port: int
    previous_production_rule_arn: pulumi.Input[str | None] = None
    """BLUE_GREEN: the production listener rule the previous deployment exported; its live weights are kept."""
    permissions_boundary: str | None = None
    """Managed policy every role of the stack carries as its permissions boundary (bootstrap's, for CI)."""

    @property
    def blue_green(self) -> bool:
        return self.deployment_strategy == "BLUE_GREEN"


class LoadBalancedService(pulumi.ComponentResource):
    cluster: aws.ecs.Cluster
    alb_security_group: aws.ec2.SecurityGroup
    service_security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    """The production listener: the one that forwards to the service (HTTPS with a certificate, else HTTP)."""
    blue_green: BlueGreenRouting | None
    alarms: RollbackAlarms
    service: aws.ecs.Service
    autoscaling: ServiceAutoscaling | None
    url: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancedServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:ecs:LoadBalancedService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        port = args.container_port

        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=child,
        )
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            opts=child,
        )
        database_rule = self._security_groups(name, args, child)

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[self.alb_security_group.id],
            subnets=args.load_balancer_subnet_ids or args.subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            tags=dict(args.load_balancer_tags) or None,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_logs_bucket, prefix=args.access_logs_prefix, enabled=True
            )
            if args.access_logs_bucket is not None
            else None,
            # ELB writes a test object when logging is turned on and refuses without the bucket's policy.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[args.access_logs_ready] if args.access_logs_ready else None
            ),
        )
        target_group_settings: dict[str, Any] = {
            "port": port,
            "protocol": "HTTP",
            "target_type": "ip",
            "vpc_id": args.vpc_id,
            "deregistration_delay": DEREGISTRATION_DELAY,
            "health_check": aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=args.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                healthy_threshold=HEALTHY_THRESHOLD,
                unhealthy_threshold=UNHEALTHY_THRESHOLD,
                interval=HEALTH_INTERVAL,
                timeout=HEALTH_TIMEOUT,
            ),
        }
        self.target_group = aws.lb.TargetGroup(f"{name}-tg", **target_group_settings, opts=child)
        listeners = self._listeners(name, args, child)

        self.blue_green = None
        load_balancer = aws.ecs.ServiceLoadBalancerArgs(
            target_group_arn=self.target_group.arn, container_name=args.container_name, container_port=port
        )
        target_groups = [self.target_group]
        waits_for: list[pulumi.Resource] = [capacity, *listeners]
        if database_rule is not None:
            waits_for.append(database_rule)  # a task that cannot reach its database never turns healthy
        if args.blue_green:
            self.blue_green = BlueGreenRouting(
                f"{name}-bg",
                BlueGreenRoutingArgs(
                    load_balancer_arn=self.load_balancer.arn,
                    alb_security_group_id=self.alb_security_group.id,
                    production_listener_arn=self.listener.arn,
                    blue_target_group=self.target_group,
                    target_group_settings=target_group_settings,
                    test_port=args.test_listener_port,
                    test_cidrs=args.test_listener_cidrs,
                    certificate_arn=args.certificate_arn,
                    tls_policy=TLS_POLICY,
                    partition=args.partition,
                    previous_production_rule_arn=args.previous_production_rule_arn,
                    # AWS allows 32 characters for a target group and the provider adds 8 to the logical name.
                    green_target_group_name=f"{name}-grn",
                    permissions_boundary=args.permissions_boundary,
                ),
                opts=child,
            )
            load_balancer = aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=self.target_group.arn,
                container_name=args.container_name,
                container_port=port,
                advanced_configuration=aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                    alternate_target_group_arn=self.blue_green.green_target_group.arn,
                    production_listener_rule=self.blue_green.production_rule.arn,
                    test_listener_rule=self.blue_green.test_rule.arn,
                    role_arn=self.blue_green.infrastructure_role_arn,
                ),
            )
            target_groups.append(self.blue_green.green_target_group)
            waits_for.append(self.blue_green)

        lb_dimension = self.load_balancer.arn.apply(alb_dimension)
        self.alarms = RollbackAlarms(
            f"{name}-rollback",
            RollbackAlarmsArgs(
                load_balancer_dimension=lb_dimension,
                target_group_dimensions=[tg.arn.apply(target_group_dimension) for tg in target_groups],
                boot_seconds=args.health_check_grace_period,
                health_check_interval=HEALTH_INTERVAL,
                healthy_threshold=HEALTHY_THRESHOLD,
                topic_arn=args.alarm_topic_arn,
            ),
            opts=child,
        )

        # wait_for_steady_state includes the bake time of a blue/green deployment.
        steady_timeout = f"{STEADY_STATE_MINUTES + (args.bake_time_minutes if args.blue_green else 0)}m"
        self.service = aws.ecs.Service(
            name,
            cluster=self.cluster.arn,
            task_definition=args.task_definition_arn,
            desired_count=args.desired_count,
            capacity_provider_strategies=[
                aws.ecs.ServiceCapacityProviderStrategyArgs(capacity_provider=args.capacity_provider, weight=1)
            ],
            # The provider can change the capacity provider of a running service (FARGATE <-> FARGATE_SPOT) only
            # with a forced deployment; it acts on updates only, so an unchanged service is left alone.
            force_new_deployment=True,
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.subnet_ids,
                security_groups=[self.service_security_group.id],
                assign_public_ip=args.assign_public_ip,
            ),
            load_balancers=[load_balancer],
            # The target group needs HEALTHY_THRESHOLD checks after the app answers; a shorter grace stops a task
            # that boots in the whole start period (tests/test_rollout_timeline.py).
            health_check_grace_period_seconds=args.health_check_grace_period + HEALTHY_THRESHOLD * HEALTH_INTERVAL,
            deployment_configuration=aws.ecs.ServiceDeploymentConfigurationArgs(
                strategy=args.deployment_strategy,
                bake_time_in_minutes=str(args.bake_time_minutes) if args.blue_green else None,
            ),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            alarms=aws.ecs.ServiceAlarmsArgs(alarm_names=self.alarms.alarm_names, enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=args.enable_execute_command,
            enable_ecs_managed_tags=True,
            availability_zone_rebalancing="ENABLED",
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                # ECS refuses a target group that no listener uses yet, and a capacity provider the cluster lacks.
                depends_on=waits_for,
                # With autoscaling, the scaler owns the task count; a deploy must not reset it.
                ignore_changes=["desiredCount"] if args.autoscaling else None,
                custom_timeouts=pulumi.CustomTimeouts(create=steady_timeout, update=steady_timeout),
            ),
        )

        self.autoscaling = None
        if args.autoscaling is not None:
            goals = args.autoscaling
            self.autoscaling = ServiceAutoscaling(
                f"{name}-scaling",
                ServiceAutoscalingArgs(
                    cluster_name=self.cluster.name,
                    service_name=self.service.name,
                    min_count=goals.min_count,
                    max_count=goals.max_count,
                    load_balancer_dimension=lb_dimension,
                    target_group_dimension=self.target_group.arn.apply(target_group_dimension),
                    cpu_target=goals.cpu_target,
                    memory_target=goals.memory_target,
                    requests_per_target=goals.requests_per_target,
                ),
                opts=child,
            )

        scheme = "https" if args.certificate_arn else "http"
        self.url = self.load_balancer.dns_name.apply(lambda dns: f"{scheme}://{dns}")
        self.register_outputs(
            {
                "url": self.url,
                "clusterName": self.cluster.name,
                "serviceName": self.service.name,
                "targetGroupArn": self.target_group.arn,
            }
        )

    def _security_groups(
        self, name: str, args: LoadBalancedServiceArgs, child: pulumi.ResourceOptions
    ) -> aws.vpc.SecurityGroupIngressRule | None:
        port = args.container_port
        self.alb_security_group = aws.ec2.SecurityGroup(
            f"{name}-alb", description="library ALB: HTTP from the internet", vpc_id=args.vpc_id, opts=child
        )
        self.service_security_group = aws.ec2.SecurityGroup(
            f"{name}-tasks", description="library tasks: only from the ALB", vpc_id=args.vpc_id, opts=child
        )
        for listen_port, protocol in [(HTTP_PORT, "http")] + ([(HTTPS_PORT, "https")] if args.certificate_arn else []):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-{protocol}-in",
                security_group_id=self.alb_security_group.id,
                description=f"{protocol.upper()} from anywhere",
                ip_protocol="tcp",
                from_port=listen_port,
                to_port=listen_port,
                cidr_ipv4=ANYWHERE,
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-tasks",
            security_group_id=self.alb_security_group.id,
            description="Requests and health checks to the tasks",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=self.service_security_group.id,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-tasks-from-alb",
            security_group_id=self.service_security_group.id,
            description="Only the ALB, only the container port",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=self.alb_security_group.id,
            opts=child,
        )
        # Image pulls, secrets, logs and ECS Exec all go to AWS's HTTPS endpoints. DNS to the VPC's resolver is
        # not filtered by security groups (VPC user guide, "Security group rules": "Amazon DNS server").
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-tasks-https-out",
            security_group_id=self.service_security_group.id,
            description="HTTPS to AWS APIs: ECR, SSM, CloudWatch Logs, ECS Exec",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4=ANYWHERE,
            opts=child,
        )
        database = args.database_security_group_id
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-tasks-db-out",
            security_group_id=self.service_security_group.id,
            description="The database port, to the database" if database else "The database port, database unknown",
            ip_protocol="tcp",
            from_port=args.database_port,
            to_port=args.database_port,
            referenced_security_group_id=database,
            cidr_ipv4=None if database else ANYWHERE,
            opts=child,
        )
        if database is None:
            return None
        return aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-from-tasks",
            security_group_id=database,
            description=f"{name} tasks (ECS service) to the database",
            ip_protocol="tcp",
            from_port=args.database_port,
            to_port=args.database_port,
            referenced_security_group_id=self.service_security_group.id,
            opts=child,
        )

    def _listeners(
        self, name: str, args: LoadBalancedServiceArgs, child: pulumi.ResourceOptions
    ) -> list[aws.lb.Listener]:
        forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)
        # With blue/green, the production rule routes every request and ECS keeps it current; the default action
        # is then never used and must stay a plain forward, so the program leaves it alone after creation.
        production = pulumi.ResourceOptions(parent=self, ignore_changes=["defaultActions"] if args.blue_green else None)
        http_action = forward
        listeners: list[aws.lb.Listener] = []
        if args.certificate_arn:
            self.listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=args.certificate_arn,
                default_actions=[forward],
                opts=production,
            )
            listeners.append(self.listener)
            redirect = aws.lb.ListenerDefaultActionRedirectArgs(
                status_code="HTTP_301", protocol="HTTPS", port=str(HTTPS_PORT)
            )
            http_action = aws.lb.ListenerDefaultActionArgs(type="redirect", redirect=redirect)
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[http_action],
            opts=child if args.certificate_arn else production,
        )
        listeners.append(http)
        if not args.certificate_arn:
            self.listener = http
        return listeners
