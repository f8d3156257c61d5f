"""LoadBalancedService: the ECS cluster and Fargate service, reachable only through an Application Load Balancer.

Creates:
- ecs.Cluster ``<name>-cluster`` with Container Insights;
- ec2.SecurityGroup ``<name>-alb`` (HTTP 80, and HTTPS 443 with a certificate, from anywhere; out only to the tasks,
  on the container port) and
  ``<name>-tasks`` (in only from the ALB's group, on the container port; out to anywhere for ECR, SSM, logs and
  the database), their rules as separate ``vpc.SecurityGroup*Rule`` resources;
- lb.LoadBalancer ``<name>-alb`` (drops invalid header fields), lb.TargetGroup ``<name>-tg`` (ip targets on the
  container port, the app's health path) and lb.Listener ``<name>-http`` on port 80 forwarding to it; with a
  certificate, lb.Listener ``<name>-https`` on 443 (TLS 1.2/1.3 policy) forwards instead and port 80 answers with a
  permanent redirect to HTTPS;
- ecs.Service ``<name>``: Fargate in the given subnets, the deployment circuit breaker with rollback, a health
  check grace period no shorter than the container's start period, ECS Exec, and ``wait_for_steady_state`` so
  that ``pulumi up`` fails when the tasks do not become healthy.

Target group timings are tuned for quick rollouts that still need two consecutive good checks; see
:func:`rollout_overhead_seconds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

HTTP_PORT = 80
HTTPS_PORT = 443
# AWS's recommended policy for new HTTPS listeners: TLS 1.3 and 1.2 with forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Target group health check: a new task serves after HEALTHY_THRESHOLD good checks HEALTH_INTERVAL apart;
# a draining task gets DEREGISTRATION_DELAY seconds to finish its requests (Spring Boot answers in well under that).
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 3
HEALTH_INTERVAL = 10
HEALTH_TIMEOUT = 5
DEREGISTRATION_DELAY = 30


def rollout_overhead_seconds() -> int:
    """Seconds each rollout waits on top of the app's own start: turning healthy, then draining the old task."""
    return HEALTHY_THRESHOLD * HEALTH_INTERVAL + DEREGISTRATION_DELAY


@dataclass(frozen=True)
class LoadBalancedServiceArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    task_definition_arn: pulumi.Input[str]
    container_name: str
    container_port: int
    health_check_path: str
    health_check_grace_period: int
    desired_count: int = 1
    assign_public_ip: bool = True
    deletion_protection: bool = False
    enable_execute_command: bool = True
    certificate_arn: str | None = None
    """ACM certificate: adds HTTPS on 443 and turns port 80 into a redirect to it."""


class LoadBalancedService(pulumi.ComponentResource):
    cluster: aws.ecs.Cluster
    alb_security_group: aws.ec2.SecurityGroup
    service_security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    """The listener that forwards to the target group (HTTPS with a certificate, else HTTP)."""
    service: aws.ecs.Service
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
                cidr_ipv4="0.0.0.0/0",
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
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-tasks-out",
            security_group_id=self.service_security_group.id,
            description="ECR, SSM, CloudWatch Logs and the database",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            opts=child,
        )

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[self.alb_security_group.id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            opts=child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=DEREGISTRATION_DELAY,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
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
            opts=child,
        )
        forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)
        if args.certificate_arn:
            self.listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=args.certificate_arn,
                default_actions=[forward],
                opts=child,
            )
            redirect = aws.lb.ListenerDefaultActionRedirectArgs(
                status_code="HTTP_301", protocol="HTTPS", port=str(HTTPS_PORT)
            )
            http_action = aws.lb.ListenerDefaultActionArgs(type="redirect", redirect=redirect)
        else:
            http_action = forward
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[http_action],
            opts=child,
        )
        if not args.certificate_arn:
            self.listener = http

        self.service = aws.ecs.Service(
            name,
            cluster=self.cluster.arn,
            task_definition=args.task_definition_arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.subnet_ids,
                security_groups=[self.service_security_group.id],
                assign_public_ip=args.assign_public_ip,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=self.target_group.arn,
                    container_name=args.container_name,
                    container_port=port,
                )
            ],
            health_check_grace_period_seconds=args.health_check_grace_period,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=args.enable_execute_command,
            enable_ecs_managed_tags=True,
            availability_zone_rebalancing="ENABLED",
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            # ECS refuses a target group that no listener uses yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.listener, http]),
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
