"""The policy pack passes every stack the program makes, and fires on each mistake it exists to refuse."""

from __future__ import annotations

import json
from pathlib import Path
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

from guardrails import POLICIES, is_production
from tests.harness import Deployment, line_changes, pinned_lines, run_program

DEV = "organization/library-infra/dev"
CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
POLICY = {p.name: p for p in POLICIES}
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LISTENER = "aws:lb/listener:Listener"
SERVICE = "aws:ecs/service:Service"


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
    # Outside production, access logs and KMS are advice (accessLogs, kmsEncryption); the rest passes.
    found = [(policy, message) for policy, message in violations(resources) if policy != "security-controls"]
    assert found == []
    advice = {message.split(" ", 1)[0] for policy, message in violations(resources) if policy == "security-controls"}
    assert advice <= {"load", "log", "ECR"}
    assert not (stack == "prod" and advice)


def test_production_is_held_to_the_outside_controls_and_other_stacks_are_advised(
    stacks: dict[str, Deployment], dev_opted_in: Deployment
) -> None:
    prod = policy_resources(stacks["prod"])
    assert is_production(prod)
    assert violations(prod) == []
    dev = fired(policy_resources(stacks["dev"]))
    assert sorted(dev["security-controls"]) == [
        "ECR repository library-management-system is not encrypted with a KMS key",
        "load balancer library-alb writes no access logs (FSBP ELB.5); set accessLogs",
        "log group /ecs/library-dev is not encrypted with a KMS key; set kmsEncryption",
    ]
    assert "production-security-controls" not in dev
    assert violations(policy_resources(dev_opted_in)) == []  # a dev stack that asks for them passes


def _production_stack(**changes: dict[str, Any]) -> list[PolicyResource]:
    lb = {"loadBalancerType": "application", "tags": {"library:production": "true"}}
    lb |= {"accessLogs": {"enabled": True, "bucket": "logs", "prefix": "library-prod"}}
    repository = {
        "name": "repo",
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:r:1:key/k"}],
    }
    logs = {"name": "/ecs/library-prod", "retentionInDays": 365, "kmsKeyId": "arn:aws:kms:r:1:key/k"}
    props: dict[str, dict[str, Any]] = {"lb": lb, "repository": repository, "logs": logs}
    for name, change in changes.items():
        props[name] = {**props[name], **change}
    return [
        resource("aws:lb/loadBalancer:LoadBalancer", props["lb"], name="alb"),
        resource("aws:ecr/repository:Repository", props["repository"], name="repository"),
        resource("aws:cloudwatch/logGroup:LogGroup", props["logs"], name="logs"),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lb": {"accessLogs": {"enabled": False, "bucket": "logs"}}}, "load balancer alb writes no access logs"),
        ({"lb": {"accessLogs": None}}, "load balancer alb writes no access logs"),
        ({"logs": {"kmsKeyId": None}}, "log group /ecs/library-prod is not encrypted with a KMS key"),
        ({"repository": {"imageTagMutability": "MUTABLE"}}, "ECR repository repo lets tags be overwritten"),
        (
            {"repository": {"encryptionConfigurations": [{"encryptionType": "AES256"}]}},
            "ECR repository repo is not encrypted with a KMS key",
        ),
    ],
)
def test_each_outside_control_is_mandatory_in_production_and_advice_elsewhere(
    changes: dict[str, Any], message: str
) -> None:
    assert violations(_production_stack()) == []
    found = fired(_production_stack(**changes))
    assert list(found) == ["production-security-controls"]
    assert [m for m in found["production-security-controls"] if message in m]
    not_production = {**changes, "lb": {**changes.get("lb", {}), "tags": {}}}
    elsewhere = fired(_production_stack(**not_production))  # the same mistake where production is false
    assert list(elsewhere) == ["security-controls"]
    assert [m for m in elsewhere["security-controls"] if message in m]


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
        "production-security-controls",
    }
    assert {n for n, level in levels.items() if level == EnforcementLevel.ADVISORY} == {
        "https-redirect",
        "read-only-root-filesystem",
        "container-insights",
        "arm64-where-possible",
        "no-public-ip-behind-nat",
        "security-controls",
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
    # The shortcut that would have hidden failure two: every SSM action on every parameter.
    every_parameter = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AllowAllSSM", "Effect": "Allow", "Action": "ssm:*", "Resource": "*"}],
    }
    messages = fired(
        [
            resource("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(console)}),
            resource("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(every_parameter)}, name="ssm-star"),
        ]
    )["iam-ssm-kms-name-resources"]
    assert messages == [
        "statement AllowKMSDecrypt allows kms:Decrypt, kms:DescribeKey on every resource; name the parameters and keys",
        "statement AllowKMSDecrypt allows kms:Decrypt without limiting it to SSM (kms:ViaService = ssm.<region>...)",
        "statement AllowAllSSM allows ssm:* on every resource; name the parameters and keys",
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


# Credentials by their published formats, built here so that no scanner mistakes the repository for a leak.
CREDENTIAL_VALUES = {
    "AWS access key id (IAM user guide, 'Understanding unique ID prefixes': AKIA)": "AKIA" + "A" * 16,
    "PEM private key": "-----BEGIN RSA PRIVATE KEY-----",
    **{
        f"GitHub token {prefix}_ (GitHub Docs, 'About authentication to GitHub', token formats)": f"{prefix}_"
        + "a" * 36
        for prefix in ("ghp", "gho", "ghu", "ghs", "ghr")
    },
    "URL with user:password@": "mysql://app:hunter2@db.internal:3306/library",
    "password query parameter": "jdbc:mysql://db/library?user=app&password=hunter2",
}


@pytest.mark.parametrize("kind", sorted(CREDENTIAL_VALUES))
def test_a_credential_in_any_plain_variable_is_refused_whatever_its_name(kind: str) -> None:
    value = CREDENTIAL_VALUES[kind]
    bad = task([{**GOOD_CONTAINER, "environment": [{"name": "APP_SETTINGS", "value": f"x {value} y"}]}])
    assert fired([bad])["no-plain-text-secrets"] == [
        "container app: the value of APP_SETTINGS looks like a credential; use secrets (SSM)"
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
    # The engine reports a resource policy's violation against the resource's URN ("the urn of the resource being
    # validated is always used", pulumi_policy's ReportViolation), so the message need not name it.
    assert found["log-retention"] == ["the log group keeps logs forever; set retentionInDays"]
    assert found["ecr-scan-on-push"] == ["the ECR repository does not scan images on push"]


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


TASKS_SG = "aws:ec2/securityGroup:SecurityGroup"
BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


@pytest.mark.parametrize(
    ("kind", "props", "name"),
    [
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv6": "::/0"}, "ipv6"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"prefixListId": "pl-0a1b2c3d"}, "prefix-list"),
        ("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "ipv6CidrBlocks": ["::/0"]}, "ipv6"),
        ("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "prefixListIds": ["pl-0a1b"]}, "prefix"),
    ],
)
def test_ipv6_and_prefix_list_rules_on_the_tasks_security_group_are_refused(
    kind: str, props: dict[str, Any], name: str
) -> None:
    """An IPv6 range (``::/0`` is the whole IPv6 internet) or a managed prefix list (a named set of CIDR blocks) is
    an address range like 0.0.0.0/0 (VPC user guide, "Security group rules": source or destination)."""
    tasks = resource(TASKS_SG, {}, name="tasks")
    rule = resource(kind, {**props, "fromPort": 8081, "toPort": 8081}, name=name, securityGroupId=[tasks])
    assert fired([tasks, rule, service_with([tasks], **BREAKER)])["service-ingress-from-security-groups"] == [
        f"{name} lets an address range reach an ECS service's tasks; admit only the load balancer's security group"
    ]


@pytest.mark.parametrize("ingress", [{"ipv6CidrBlocks": ["::/0"]}, {"prefixListIds": ["pl-0a1b2c3d"]}])
def test_inline_ipv6_and_prefix_list_ingress_on_the_tasks_security_group_is_refused(ingress: dict[str, Any]) -> None:
    inline = resource(TASKS_SG, {"ingress": [ingress]}, name="inline")
    assert fired([inline, service_with([inline], **BREAKER)])["service-ingress-from-security-groups"] == [
        "security group inline of an ECS service admits address ranges"
    ]


# Each loop of the pack that scans several items must look at all of them: below, the mistake comes after an item
# the policy passes (or skips), so a scan that stops at the first item misses it.
def _statement_after(harmless: dict[str, Any]) -> list[PolicyResource]:
    bad = {"Sid": "Bad", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}
    return [resource("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({"Statement": [harmless, bad]})})]


def _inline_policy_after_a_harmless_one() -> list[PolicyResource]:
    harmless = {"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:r:1:*"}]}
    bad = {"Statement": [{"Sid": "Bad", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}]}
    policies = [{"name": "logs", "policy": json.dumps(harmless)}, {"name": "ssm", "policy": json.dumps(bad)}]
    return [resource("aws:iam/role:Role", {"inlinePolicies": policies})]


def _ingress_after(harmless: PolicyResource | None, tasks: PolicyResource) -> list[PolicyResource]:
    bad = resource(INGRESS, {"cidrIpv4": "0.0.0.0/0"}, name="open", securityGroupId=[tasks])
    return [tasks, *([harmless] if harmless else []), bad, service_with([tasks], **BREAKER)]


def _egress_rule_first() -> list[PolicyResource]:
    tasks = resource(TASKS_SG, {}, name="tasks")
    egress = {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]}  # tasks reaching out is not the internet reaching in
    return _ingress_after(resource(RULE, egress, name="egress", securityGroupId=[tasks]), tasks)


def _another_groups_rule_first() -> list[PolicyResource]:
    tasks, alb = resource(TASKS_SG, {}, name="tasks"), resource(TASKS_SG, {}, name="alb")
    public = resource(INGRESS, {"cidrIpv4": "0.0.0.0/0"}, name="alb-http", securityGroupId=[alb])
    return [alb, *_ingress_after(public, tasks)]


def _inline_rule_after_a_group_rule() -> list[PolicyResource]:
    inline = resource(TASKS_SG, {"ingress": [{"securityGroups": ["sg-alb"]}, {"cidrBlocks": ["0.0.0.0/0"]}]})
    return [inline, service_with([inline], **BREAKER)]


def _ports_after(entries: list[dict[str, Any]], groups: list[dict[str, Any]]) -> list[PolicyResource]:
    definition = task([GOOD_CONTAINER])
    targets = [resource("aws:lb/targetGroup:TargetGroup", g, name=f"tg{i}") for i, g in enumerate(groups)]
    service = resource(
        "aws:ecs/service:Service",
        {**BREAKER, "loadBalancers": entries},
        name="svc",
        taskDefinition=[definition],
        loadBalancers=targets,
    )
    return [definition, *targets, service]


GOOD_ENTRY = {"containerName": "app", "containerPort": 8081}
GOOD_GROUP = {"port": 8081, "healthCheck": {"port": "traffic-port"}}
ENVIRONMENT_SECRET = [{"name": "SPRING_PROFILES_ACTIVE", "value": "prod"}, {"name": "DB_PASSWORD", "value": "x"}]
HTTPS = {"loadBalancerArn": "lb", "protocol": "HTTPS", "certificateArn": "c"}
REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS"}}
PRIVATE = {"subnets": ["subnet-a"], "assignPublicIp": True}

NAMED = "iam-ssm-kms-name-resources"
GRANT_ON_STAR = "statement Bad allows ssm:GetParameters on every resource; name the parameters and keys"
FROM_GROUPS = "service-ingress-from-security-groups"
OPEN = "open lets an address range reach an ECS service's tasks; admit only the load balancer's security group"
PLAIN = "DB_PASSWORD looks like a secret but is a plain environment value; use secrets (SSM)"
AFTER_A_HARMLESS_ITEM: dict[str, tuple[list[PolicyResource], str, list[str]]] = {
    "a grant after a Deny": (
        _statement_after({"Effect": "Deny", "Action": "ssm:DeleteParameter", "Resource": "*"}),
        NAMED,
        [GRANT_ON_STAR],
    ),
    "a grant after one of another service": (
        _statement_after({"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"}),
        NAMED,
        [GRANT_ON_STAR],
    ),
    "an inline policy after a harmless one": (_inline_policy_after_a_harmless_one(), NAMED, [GRANT_ON_STAR]),
    "a secret variable after a plain one": (
        [task([{**GOOD_CONTAINER, "environment": ENVIRONMENT_SECRET}])],
        "no-plain-text-secrets",
        [f"container app: {PLAIN}"],
    ),
    "a container with a secret after a clean one": (
        [task([GOOD_CONTAINER, {**GOOD_CONTAINER, "name": "side", "environment": ENVIRONMENT_SECRET}])],
        "no-plain-text-secrets",
        [f"container side: {PLAIN}"],
    ),
    "a tagged image after one by digest": (
        [task([GOOD_CONTAINER, {**GOOD_CONTAINER, "name": "side", "image": "repo:latest"}])],
        "images-by-digest",
        [
            "container side runs 'repo:latest', a tag that can move; reference the image by digest "
            "(repo@sha256:...) so the task runs exactly what was pushed and tested"
        ],
    ),
    "an open ingress rule after an egress rule": (_egress_rule_first(), FROM_GROUPS, [OPEN]),
    "an open ingress rule after one on another group": (_another_groups_rule_first(), FROM_GROUPS, [OPEN]),
    "an open inline rule after a group rule": (
        _inline_rule_after_a_group_rule(),
        FROM_GROUPS,
        ["security group bad of an ECS service admits address ranges"],
    ),
    "a wrong port after a container the task does not have": (
        _ports_after([{"containerName": "gone", "containerPort": 9000}, {**GOOD_ENTRY, "containerPort": 8080}], []),
        "health-check-ports-agree",
        [
            "the load balancer sends to port 8080 of app, which maps [8081]",
            "app's health check ('CMD-SHELL curl -f http://localhost:8081/actuator/health || exit 1') does not check "
            "port 8080",
        ],
    ),
    "a wrong target group after a right one": (
        _ports_after([GOOD_ENTRY], [GOOD_GROUP, {**GOOD_GROUP, "port": 8080}]),
        "health-check-ports-agree",
        ["target group tg1 uses port 8080, not 8081"],
    ),
    "plain HTTP after a redirecting listener": (
        [
            resource(LISTENER, HTTPS, name="https"),
            resource(LISTENER, {**HTTPS, "protocol": "HTTP", "defaultActions": [REDIRECT]}, name="redirects"),
            resource(LISTENER, {**HTTPS, "protocol": "HTTP", "defaultActions": [{"type": "forward"}]}, name="http"),
        ],
        "https-redirect",
        ["http serves plain HTTP next to an HTTPS listener; redirect it to HTTPS"],
    ),
    "a redirect to plain HTTP, or a forward, after a redirect to HTTPS": (
        [
            resource(LISTENER, HTTPS, name="https"),
            resource(LISTENER, {**HTTPS, "protocol": "HTTP", "defaultActions": [REDIRECT]}, name="redirects"),
            resource(
                LISTENER,
                {
                    **HTTPS,
                    "protocol": "HTTP",
                    "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTP"}}],
                },
                name="loops",
            ),
            resource(
                LISTENER, {**HTTPS, "protocol": "HTTP", "defaultActions": [{**REDIRECT, "type": "forward"}]}, name="fwd"
            ),
        ],
        "https-redirect",
        [
            "loops serves plain HTTP next to an HTTPS listener; redirect it to HTTPS",
            "fwd serves plain HTTP next to an HTTPS listener; redirect it to HTTPS",
        ],
    ),
    "a public IP behind NAT after a service without one": (
        [
            resource(SERVICE, {**BREAKER, "networkConfiguration": {**PRIVATE, "assignPublicIp": False}}, name="a"),
            resource(SERVICE, {**BREAKER, "networkConfiguration": PRIVATE}, name="b"),
        ],
        "no-public-ip-behind-nat",
        ["tasks in private subnets with a NAT gateway need no public IP; set assignPublicIp false"],
    ),
}


@pytest.mark.parametrize("case", list(AFTER_A_HARMLESS_ITEM))
def test_a_mistake_after_a_harmless_item_is_still_refused(case: str) -> None:
    resources, policy, messages = AFTER_A_HARMLESS_ITEM[case]
    found = fired(resources, config={"no-public-ip-behind-nat": {"natSubnetIds": ["subnet-a"]}})
    assert found.get(policy) == messages


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


def test_good_containers_in_a_task_definition_fire_no_policy() -> None:
    # The other side of each mistake below: a container as the pack wants it (by digest, read-only root, one port
    # for the mapping and the health check) passes every policy, advisory ones included.
    assert fired([task([GOOD_CONTAINER])]) == {}


POLICY_SNAPSHOT = Path(__file__).parent / "snapshots" / "policies.txt"
UPDATE_POLICIES = "UPDATE_POLICY_SNAPSHOTS"


def test_what_the_pack_tells_a_reviewer_changes_only_with_the_snapshot() -> None:
    # Each policy's name, level and description are what `pulumi preview --policy-pack` prints beside a violation,
    # and the preview comment shows on a pull request; a changed word is reviewed as a diff of the snapshot.
    found = [
        f"{p.name} | {'mandatory' if p.enforcement_level == EnforcementLevel.MANDATORY else 'advisory'} | "
        f"{p.description}"
        for p in POLICIES
    ]
    changed = line_changes(pinned_lines(POLICY_SNAPSHOT, found, UPDATE_POLICIES), found)
    assert not changed, "\n".join(
        [
            f"The policy pack differs from {POLICY_SNAPSHOT.name} (- pinned, + now):",
            *changed,
            f"If the change is deliberate: {UPDATE_POLICIES}=1 venv/bin/pytest tests/test_policy_pack.py",
        ]
    )


def test_readme_lists_every_policy_with_its_level() -> None:
    from tests.harness import ROOT

    readme = (ROOT / "docs" / "guardrails.md").read_text()
    for policy in POLICIES:
        level = "mandatory" if policy.enforcement_level == EnforcementLevel.MANDATORY else "advisory"
        assert f"| `{policy.name}` | {level} |" in readme, policy.name
