"""The service behind the ALB: rollouts that roll back, fail `pulumi up` loudly, and finish quickly."""

from __future__ import annotations

from typing import Any

from components.service import rollout_overhead_seconds
from tests.harness import DEFAULT_SUBNETS, DEFAULT_VPC, Deployment, run_program, stack_config


def test_failed_rollouts_roll_back_and_fail_pulumi_up(dev: Deployment) -> None:
    service = dev.one("aws:ecs/service:Service")
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["waitForSteadyState"] is True
    assert service.inputs["deploymentMinimumHealthyPercent"] == 100
    assert service.inputs["deploymentMaximumPercent"] == 200


def test_service_runs_the_task_definition_on_fargate_behind_the_target_group(dev: Deployment) -> None:
    service = dev.one("aws:ecs/service:Service")
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition")
    target_group = dev.one("aws:lb/targetGroup:TargetGroup")
    assert service.inputs["taskDefinition"] == task.state["arn"]
    assert service.inputs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert "launchType" not in service.inputs
    assert service.inputs["desiredCount"] == 1
    assert service.inputs["loadBalancers"] == [
        {"targetGroupArn": target_group.state["arn"], "containerName": "library-app", "containerPort": 8081}
    ]
    assert service.inputs["enableExecuteCommand"] is True


def test_service_is_created_after_the_listener_that_uses_its_target_group(dev: Deployment) -> None:
    # ECS rejects a target group that no load balancer listener uses yet.
    assert dev.depends_on(dev.one("aws:ecs/service:Service"), dev.one("aws:lb/listener:Listener"))


def test_listener_forwards_http_80_to_the_target_group(dev: Deployment) -> None:
    listener = dev.one("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"] == [
        {"type": "forward", "targetGroupArn": dev.one("aws:lb/targetGroup:TargetGroup").state["arn"]}
    ]
    assert listener.inputs["loadBalancerArn"] == dev.one("aws:lb/loadBalancer:LoadBalancer").state["arn"]


def test_target_group_is_tuned_for_quick_safe_rollouts(dev: Deployment) -> None:
    target_group = dev.one("aws:lb/targetGroup:TargetGroup")
    health = target_group.inputs["healthCheck"]
    assert target_group.inputs["targetType"] == "ip"
    assert target_group.inputs["deregistrationDelay"] <= 30
    assert health["healthyThreshold"] == 2  # still two consecutive good checks
    assert health["interval"] <= 15
    assert health["matcher"] == "200"
    overhead = health["healthyThreshold"] * health["interval"] + target_group.inputs["deregistrationDelay"]
    assert overhead == rollout_overhead_seconds() < 60  # AWS's defaults add 5 * 30 + 300 = 450 s


def test_cluster_has_container_insights(dev: Deployment) -> None:
    assert dev.one("aws:ecs/cluster:Cluster").inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_default_vpc_public_subnets_with_public_ips(dev: Deployment) -> None:
    service = dev.one("aws:ecs/service:Service")
    network = service.inputs["networkConfiguration"]
    assert network["subnets"] == sorted(DEFAULT_SUBNETS)
    assert network["assignPublicIp"] is True
    assert dev.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == sorted(DEFAULT_SUBNETS)
    assert dev.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == DEFAULT_VPC


def test_configured_vpc_and_subnets_replace_the_default_vpc() -> None:
    subnets = ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"]
    deployment = run_program(
        "dev", {"vpcId": "vpc-07dd414387be45a0f", "subnetIds": subnets, "assignPublicIp": False, "desiredCount": 3}
    )
    # The configured VPC and each subnet are looked up (two zones, not the default VPC); never the default VPC.
    looked_up = [(t, a) for t, a in deployment.calls if t.startswith("aws:ec2/get")]
    assert ("aws:ec2/getVpc:getVpc", {"id": "vpc-07dd414387be45a0f"}) in looked_up
    assert sorted(a["id"] for t, a in looked_up if t == "aws:ec2/getSubnet:getSubnet") == sorted(subnets)
    assert not any(a.get("default") for t, a in looked_up)
    service = deployment.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["subnets"] == subnets
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is False
    assert service.inputs["desiredCount"] == 3
    assert deployment.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == "vpc-07dd414387be45a0f"


def test_alb_drops_invalid_headers_and_is_protected_only_in_production(dev: Deployment) -> None:
    alb = dev.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is False
    production = run_program("dev", {"production": True})
    assert production.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True


CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def test_without_a_certificate_there_is_only_http(dev: Deployment) -> None:
    assert [r.inputs["port"] for r in dev.of_type("aws:lb/listener:Listener")] == [80]
    assert dev.outputs["url"].startswith("http://")
    assert sorted(r.name for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) == [
        "library-alb-http-in",
        "library-tasks-from-alb",
    ]


def test_a_certificate_adds_https_and_redirects_http_to_it() -> None:
    deployment = run_program("dev", {"certificateArn": CERTIFICATE})
    listeners = {r.inputs["port"]: r for r in deployment.of_type("aws:lb/listener:Listener")}
    assert set(listeners) == {80, 443}
    https = listeners[443].inputs
    assert (https["protocol"], https["certificateArn"]) == ("HTTPS", CERTIFICATE)
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    target_group = deployment.one("aws:lb/targetGroup:TargetGroup").state["arn"]
    assert https["defaultActions"] == [{"type": "forward", "targetGroupArn": target_group}]
    [redirect] = listeners[80].inputs["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"statusCode": "HTTP_301", "protocol": "HTTPS", "port": "443"}
    https_in = deployment.named("library-alb-https-in").inputs
    assert (https_in["cidrIpv4"], https_in["fromPort"], https_in["toPort"]) == ("0.0.0.0/0", 443, 443)
    assert deployment.outputs["url"].startswith("https://")
    service = deployment.one("aws:ecs/service:Service")
    for listener in listeners.values():
        assert deployment.depends_on(service, listener)


def test_tasks_are_rebalanced_across_availability_zones(dev: Deployment) -> None:
    assert dev.one("aws:ecs/service:Service").inputs["availabilityZoneRebalancing"] == "ENABLED"


def tags_ecs_puts_on_a_task(
    service: dict[str, Any], service_tags: dict[str, str], task_definition_tags: dict[str, str]
) -> dict[str, str]:
    """The tags ECS gives each task the service starts: the user tags of the service or the task definition, as
    propagateTags says ("If no value is specified, the tags aren't propagated"), and with enableECSManagedTags the
    cluster's and the service's names (aws:ecs:clusterName, aws:ecs:serviceName) (ECS API reference, CreateService;
    ECS developer guide, "Amazon ECS managed tags")."""
    source = {"SERVICE": service_tags, "TASK_DEFINITION": task_definition_tags}.get(str(service.get("propagateTags")))
    managed = {"aws:ecs:clusterName": "<cluster>", "aws:ecs:serviceName": "<service>"}
    return {**(source or {}), **(managed if service.get("enableEcsManagedTags") else {})}


def test_the_stacks_default_tags_reach_every_task_for_cost_allocation(dev: Deployment) -> None:
    # aws:defaultTags (Pulumi.<stack>.yaml) are what Cost Explorer groups by, and Fargate bills the task, so the task
    # must carry them. The provider adds them to the tags of every taggable resource, service and task definition too.
    stacks = {"dev": dev, "prod": run_program("prod", stack_outputs={"organization/library-infra/dev": dev.outputs})}
    for stack, deployment in stacks.items():
        default_tags = stack_config(stack)["aws:defaultTags"]["tags"]
        service = deployment.one("aws:ecs/service:Service")
        task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
        on_task = tags_ecs_puts_on_a_task(
            service.inputs,
            {**default_tags, **service.inputs.get("tags", {})},
            {**default_tags, **task.inputs.get("tags", {})},
        )
        assert default_tags, stack
        assert default_tags.items() <= on_task.items(), stack
        # Cost Explorer and the CUR split Fargate's bill by service with the managed tag.
        assert "aws:ecs:serviceName" in on_task, stack
