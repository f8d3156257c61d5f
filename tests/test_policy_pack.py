"""The policy pack passes every stack the program makes, and fires on each mistake it exists to refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from guardrails import POLICIES
from tests.harness import Deployment, run_program

DEV = "organization/library-infra/dev"
CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
POLICY = {p.name: p for p in POLICIES}


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def policy_resources(deployment: Deployment) -> list[PolicyResource]:
    """The stack as the policy engine sees it: custom resources, inputs by engine names, property dependencies."""
    custom = [r for r in deployment.resources if not r.type.startswith("library:")]
    built = {r.urn: PolicyResource(r.type, r.inputs, r.urn, r.name, _options(), None, None, [], {}) for r in custom}
    for r in custom:
        built[r.urn].property_dependencies = {
            prop: [built[u] for u in urns if u in built] for prop, urns in r.property_dependencies.items()
        }
        built[r.urn].dependencies = [built[u] for u in r.dependencies if u in built]
    return list(built.values())


def violations(resources: list[PolicyResource], config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(policy, message) for every violation any policy reports on ``resources``."""
    found: list[tuple[str, str]] = []
    for policy in POLICIES:

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.append((name, message))

        policy_config = (config or {}).get(policy.name, {})
        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, _options(), None, policy_config)
                policy.validate(args, report)
        else:
            assert isinstance(policy, StackValidationPolicy)
            policy.validate(StackValidationArgs(resources, policy_config), report)
    return found


def resource(type_: str, props: dict[str, Any], name: str = "bad", **deps: list[PolicyResource]) -> PolicyResource:
    return PolicyResource(type_, props, f"urn:pulumi:test::p::{type_}::{name}", name, _options(), None, None, [], deps)


@pytest.fixture(scope="module")
def stacks(dev: Deployment) -> dict[str, Deployment]:
    return {
        "dev": dev,
        "prod": run_program("prod", stack_outputs={DEV: dev.outputs}),
        "local": run_program("local"),
        "dev, blue/green with HTTPS": run_program(
            "dev",
            {
                "deploymentStrategy": "BLUE_GREEN",
                "certificateArn": CERTIFICATE,
                "testListenerCidrs": ["203.0.113.0/24"],
            },
        ),
        "dev, autoscaling on Spot": run_program(
            "dev", {"autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 60}, "capacityProvider": "FARGATE_SPOT"}
        ),
        "dev on ARM64": run_program("dev", {"cpuArchitecture": "ARM64"}),
    }


@pytest.mark.parametrize(
    "stack", ["dev", "prod", "local", "dev, blue/green with HTTPS", "dev, autoscaling on Spot", "dev on ARM64"]
)
def test_every_policy_passes_the_stacks_the_program_makes(stacks: dict[str, Deployment], stack: str) -> None:
    resources = policy_resources(stacks[stack])
    assert len(resources) > 20
    assert violations(resources) == []


def test_the_pack_has_the_mandatory_and_advisory_policies_a_reviewer_expects() -> None:
    levels = {p.name: p.enforcement_level for p in POLICIES}
    assert {n for n, level in levels.items() if level == EnforcementLevel.MANDATORY} == {
        "task-secrets-need-execution-role",
        "iam-ssm-kms-name-resources",
        "no-plain-text-secrets",
        "images-by-digest",
        "service-ingress-from-security-groups",
        "deployment-circuit-breaker",
        "health-check-ports-agree",
        "log-retention",
        "ecr-scan-on-push",
    }
    assert {n for n, level in levels.items() if level == EnforcementLevel.ADVISORY} == {
        "https-redirect",
        "read-only-root-filesystem",
        "container-insights",
        "arm64-where-possible",
        "no-public-ip-behind-nat",
    }
    assert all(len(p.description) > 40 for p in POLICIES)


def task(containers: list[dict[str, Any]], **props: Any) -> PolicyResource:
    return resource("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps(containers), **props})


GOOD_CONTAINER = {
    "name": "app",
    "image": "repo@sha256:" + "a" * 64,
    "portMappings": [{"containerPort": 8081}],
    "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8081/actuator/health || exit 1"]},
    "readonlyRootFilesystem": True,
}


def fired(resources: list[PolicyResource], config: dict[str, Any] | None = None) -> dict[str, list[str]]:
    by_policy: dict[str, list[str]] = {}
    for name, message in violations(resources, config):
        by_policy.setdefault(name, []).append(message)
    return by_policy


def test_log_failure_1_secrets_without_an_execution_role_are_refused() -> None:
    bad = task([{**GOOD_CONTAINER, "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:r:1:parameter/x"}]}])
    assert fired([bad])["task-secrets-need-execution-role"] == [
        "container(s) app read secrets, but the task definition has no executionRoleArn: ECS needs an execution role "
        "to fetch them (the log's first failure)"
    ]


def test_log_failures_2_and_3_wildcard_ssm_and_kms_grants_are_refused() -> None:
    # The inline policy the console deployment ended with.
    console = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowKMSDecrypt",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "AllowSSMParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": "arn:aws:ssm:r:1:parameter/library/*",
            },
        ],
    }
    messages = fired([resource("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(console)})])[
        "iam-ssm-kms-name-resources"
    ]
    assert messages == [
        "statement AllowKMSDecrypt allows kms:Decrypt, kms:DescribeKey on every resource; name the parameters and keys",
        "statement AllowKMSDecrypt allows kms:Decrypt without limiting it to SSM (kms:ViaService = ssm.<region>...)",
    ]


def test_ssmmessages_for_ecs_exec_is_not_ssm() -> None:
    exec_policy = {"Statement": [{"Effect": "Allow", "Action": ["ssmmessages:OpenDataChannel"], "Resource": "*"}]}
    assert fired([resource("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(exec_policy)})]) == {}


def test_secrets_in_plain_environment_are_refused() -> None:
    bad = task(
        [
            {
                **GOOD_CONTAINER,
                "environment": [
                    {"name": "SPRING_DATASOURCE_PASSWORD", "value": "hunter2"},
                    {"name": "SPRING_DATASOURCE_URL", "value": "jdbc:mysql://db/library?user=app&password=hunter2"},
                    {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"},
                ],
            }
        ]
    )
    assert fired([bad])["no-plain-text-secrets"] == [
        "container app: SPRING_DATASOURCE_PASSWORD looks like a secret but is a plain environment value; "
        "use secrets (SSM)",
        "container app: the value of SPRING_DATASOURCE_URL looks like a credential; use secrets (SSM)",
    ]


def test_log_failure_4_images_by_tag_are_refused() -> None:
    image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/library-management-system:latest"  # as in the log
    messages = fired([task([{**GOOD_CONTAINER, "image": image}])])["images-by-digest"]
    assert messages == [
        f"container app runs {image!r}, a tag that can move; reference the image by digest (repo@sha256:...) so the "
        "task runs exactly what was pushed and tested"
    ]


def test_a_service_without_rollback_is_refused() -> None:
    bad = resource("aws:ecs/service:Service", {"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    assert fired([bad])["deployment-circuit-breaker"] == [
        "the service has no deployment circuit breaker with rollback: a broken revision would keep restarting"
    ]


def test_log_groups_without_retention_and_unscanned_repositories_are_refused() -> None:
    found = fired(
        [
            resource("aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/library-task"}),
            resource("aws:ecr/repository:Repository", {"name": "library-management-system"}),
        ]
    )
    assert found["log-retention"] == ["log group /ecs/library-task keeps logs forever; set retentionInDays"]
    assert found["ecr-scan-on-push"] == ["ECR repository library-management-system does not scan images on push"]


def service_with(groups: list[PolicyResource], **props: Any) -> PolicyResource:
    return resource("aws:ecs/service:Service", props, name="svc", networkConfiguration=groups)


def test_a_cidr_rule_on_the_tasks_security_group_is_refused() -> None:
    tasks = resource("aws:ec2/securityGroup:SecurityGroup", {}, name="library-ecs-task-sg")
    open_rule = resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"cidrIpv4": "0.0.0.0/0", "fromPort": 8081, "toPort": 8081},
        name="open",
        securityGroupId=[tasks],
    )
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    assert fired([tasks, open_rule, service_with([tasks], **breaker)])["service-ingress-from-security-groups"] == [
        "open lets an address range reach an ECS service's tasks; admit only the load balancer's security group"
    ]
    inline = resource(
        "aws:ec2/securityGroup:SecurityGroup", {"ingress": [{"cidrBlocks": ["0.0.0.0/0"]}]}, name="inline"
    )
    assert fired([inline, service_with([inline], **breaker)])["service-ingress-from-security-groups"] == [
        "security group inline of an ECS service admits address ranges"
    ]


def test_log_failure_5_health_checks_on_another_port_are_refused() -> None:
    container = {**GOOD_CONTAINER, "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health"]}}
    definition = task([container])
    group = resource("aws:lb/targetGroup:TargetGroup", {"port": 8080, "healthCheck": {"port": "8080"}}, name="tg")
    service = resource(
        "aws:ecs/service:Service",
        {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "loadBalancers": [{"containerName": "app", "containerPort": 8081}],
        },
        name="svc",
        taskDefinition=[definition],
        loadBalancers=[group],
    )
    assert fired([definition, group, service])["health-check-ports-agree"] == [
        "app's health check ('CMD-SHELL curl -f http://localhost:8080/health') does not check port 8081",
        "target group tg uses port 8080, not 8081",
        "target group tg checks health on port 8080, not 8081",
    ]


def test_advisories_fire_on_their_mistakes() -> None:
    found = fired(
        [
            task(
                [{**GOOD_CONTAINER, "readonlyRootFilesystem": False}],
                tags={"library:image-platforms": "linux/amd64 linux/arm64"},
            ),
            resource("aws:ecs/cluster:Cluster", {"settings": []}),
            resource(
                "aws:lb/listener:Listener",
                {"loadBalancerArn": "lb", "protocol": "HTTPS", "certificateArn": "c"},
                name="https",
            ),
            resource(
                "aws:lb/listener:Listener",
                {"loadBalancerArn": "lb", "protocol": "HTTP", "defaultActions": [{"type": "forward"}]},
                name="http",
            ),
            resource(
                "aws:ecs/service:Service",
                {
                    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                    "networkConfiguration": {"subnets": ["subnet-a", "subnet-b"], "assignPublicIp": True},
                },
            ),
        ],
        config={"no-public-ip-behind-nat": {"natSubnetIds": ["subnet-a", "subnet-b"]}},
    )
    assert found["read-only-root-filesystem"] == ["container app can write to its root filesystem"]
    assert found["container-insights"] == ["Container Insights is off: no per-task CPU, memory and restart metrics"]
    assert found["arm64-where-possible"] == [
        "the image is built for linux/arm64 too: run on ARM64 (Graviton) for about 20% less"
    ]
    assert found["https-redirect"] == ["http serves plain HTTP next to an HTTPS listener; redirect it to HTTPS"]
    assert found["no-public-ip-behind-nat"] == [
        "tasks in private subnets with a NAT gateway need no public IP; set assignPublicIp false"
    ]


def test_a_tagged_exception_exempts_that_resource_from_that_policy_only() -> None:
    writable = {**GOOD_CONTAINER, "readonlyRootFilesystem": False, "image": "repo:latest"}
    tags = {"policy-exception/read-only-root-filesystem": "ECS Exec needs a writable root filesystem"}
    found = fired([task([writable], tags=tags)])
    assert "read-only-root-filesystem" not in found
    assert "images-by-digest" in found  # the exception names one policy


def test_the_program_takes_the_ecs_exec_exception_with_its_reason(dev: Deployment) -> None:
    tags = dev.one("aws:ecs/taskDefinition:TaskDefinition").inputs["tags"]
    assert tags["policy-exception/read-only-root-filesystem"] == "ECS Exec needs a writable root filesystem"
    assert tags["library:image-platforms"] == "linux/amd64"


def test_readme_lists_every_policy_with_its_level() -> None:
    from tests.harness import ROOT

    readme = (ROOT / "docs" / "guardrails.md").read_text()
    for policy in POLICIES:
        level = "mandatory" if policy.enforcement_level == EnforcementLevel.MANDATORY else "advisory"
        assert f"| `{policy.name}` | {level} |" in readme, policy.name
