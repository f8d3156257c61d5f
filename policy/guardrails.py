"""library-infra's guardrails: CrossGuard policies that refuse the console deployment's mistakes and the usual ECS ones.

Each check is a plain function of the engine's view of a resource (its type and inputs, with the engine's property
names) or of the whole stack, so tests run them without the CLI. Unknown values (outputs not yet known during a
preview) make the SDK skip a check for that resource rather than guess.

Exceptions: a resource that carries the tag ``policy-exception/<policy-name>`` with a reason is exempt from that
policy (the reason shows in the pull request's diff). A whole policy can be made advisory or disabled per stack
with ``--policy-pack-config``; see the README.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
# The program tags its load balancer with this in a stack with `production: true` (the policy pack sees no config).
PRODUCTION_TAG = "library:production"
LISTENER = "aws:lb/listener:Listener"
IAM_POLICY_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
EXCEPTION_TAG = "policy-exception/"

SECRET_NAME = re.compile(r"(^|_)(PASSWORD|PASSWD|PWD|SECRET|TOKEN|CREDENTIALS?|APIKEY|PRIVATE_KEY)(_|$)|(^|_)KEY$")
SECRET_VALUE = re.compile(
    r"AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|gh[pousr]_[A-Za-z0-9]{36}"  # GitHub token
    r"|://[^/\s:@]+:[^/\s@]+@"  # URL with user:password@
    r"|[?&;](password|pwd)=[^&;\s]+",
    re.IGNORECASE,
)
HEALTH_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1):(\d+)(/[^\s'\"|]*)?")


# --- helpers ------------------------------------------------------------------------------------------------------


def _exempt(props: Mapping[str, Any], policy: str) -> bool:
    tags = props.get("tags") or {}
    return bool(str(tags.get(EXCEPTION_TAG + policy, "")).strip())


def _containers(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    definitions = props.get("containerDefinitions") or "[]"
    parsed = json.loads(definitions) if isinstance(definitions, str) else definitions
    return list(parsed)


def _statements(document: Any) -> list[dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_policy(
    name: str,
    description: str,
    types: Iterable[str],
    check: Callable[[str, Mapping[str, Any]], Iterable[str]],
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A policy over resources of ``types``; ``check(type, props)`` yields one message per violation. The engine
    reports each against the resource's URN ("the urn of the resource being validated is always used", pulumi_policy's
    ReportViolation), so a message need not name the resource."""
    wanted = set(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in wanted or _exempt(args.props, name):
            return
        for message in check(args.resource_type, args.props):
            report(message, None)

    policy = ResourceValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level)
    return policy


def _linked(resource: PolicyResource, prop: str, type_: str) -> list[PolicyResource]:
    """Resources of ``type_`` whose outputs flow into ``resource``'s ``prop``."""
    return [r for r in resource.property_dependencies.get(prop, []) if r.resource_type == type_]


# --- mandatory ----------------------------------------------------------------------------------------------------


def check_secrets_need_execution_role(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    with_secrets = [c["name"] for c in _containers(props) if c.get("secrets")]
    if with_secrets and not props.get("executionRoleArn"):
        yield (
            f"container(s) {', '.join(with_secrets)} read secrets, but the task definition has no executionRoleArn: "
            "ECS needs an execution role to fetch them (the log's first failure)"
        )


def check_ssm_kms_name_resources(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    documents = [props.get(key) for key in ("policy",) if props.get(key)]
    documents += [p.get("policy") for p in props.get("inlinePolicies") or [] if p.get("policy")]
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            actions = [a for a in _as_list(statement.get("Action", [])) if a.split(":")[0].lower() in ("ssm", "kms")]
            if not actions:
                continue
            sid = statement.get("Sid", "(no Sid)")
            if "*" in _as_list(statement.get("Resource", [])):
                yield f"statement {sid} allows {', '.join(actions)} on every resource; name the parameters and keys"
            decrypt = [a for a in actions if a.lower() in ("kms:decrypt", "kms:*")]
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            if decrypt and not all(str(v).startswith("ssm.") for v in _as_list(via or "")):
                yield (
                    f"statement {sid} allows kms:Decrypt without limiting it to SSM (kms:ViaService = ssm.<region>...)"
                )


def check_no_plain_secrets(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    for container in _containers(props):
        for variable in container.get("environment") or []:
            name, value = variable.get("name", ""), str(variable.get("value", ""))
            if SECRET_NAME.search(name.upper()):
                yield (
                    f"container {container['name']}: {name} looks like a secret but is a plain environment value; "
                    "use secrets (SSM)"
                )
            elif SECRET_VALUE.search(value):
                yield f"container {container['name']}: the value of {name} looks like a credential; use secrets (SSM)"


def check_images_by_digest(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    for container in _containers(props):
        image = container.get("image", "")
        if "@sha256:" not in image:
            yield (
                f"container {container['name']} runs {image!r}, a tag that can move; reference the image by digest "
                "(repo@sha256:...) so the task runs exactly what was pushed and tested"
            )


def check_circuit_breaker(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    breaker = props.get("deploymentCircuitBreaker") or {}
    if not (breaker.get("enable") and breaker.get("rollback")):
        yield "the service has no deployment circuit breaker with rollback: a broken revision would keep restarting"


def check_log_retention(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    if not props.get("retentionInDays"):
        yield "the log group keeps logs forever; set retentionInDays"


def check_scan_on_push(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    if not (props.get("imageScanningConfiguration") or {}).get("scanOnPush"):
        yield "the ECR repository does not scan images on push"


# What admits an address range: vpc.SecurityGroupIngressRule's cidrIpv4, cidrIpv6 and prefixListId, and
# ec2.SecurityGroupRule's cidrBlocks, ipv6CidrBlocks and prefixListIds.
ADDRESS_RANGE_PROPERTIES = ("cidrIpv4", "cidrIpv6", "prefixListId", "cidrBlocks", "ipv6CidrBlocks", "prefixListIds")


def check_service_ingress_only_from_groups(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """(urn, message) for each way traffic from an address range can reach an ECS service's tasks."""
    task_groups = {
        group.urn
        for service in resources
        if service.resource_type == SERVICE
        for group in _linked(service, "networkConfiguration", SECURITY_GROUP)
    }
    for resource in resources:
        if resource.resource_type == SECURITY_GROUP and resource.urn in task_groups:
            for rule in resource.props.get("ingress") or []:
                if rule.get("cidrBlocks") or rule.get("ipv6CidrBlocks") or rule.get("prefixListIds"):
                    yield resource.urn, f"security group {resource.name} of an ECS service admits address ranges"
        elif resource.resource_type in (INGRESS_RULE, SECURITY_GROUP_RULE):
            if resource.resource_type == SECURITY_GROUP_RULE and resource.props.get("type") != "ingress":
                continue
            targets = {g.urn for g in _linked(resource, "securityGroupId", SECURITY_GROUP)}
            if not targets & task_groups:
                continue
            if any(resource.props.get(key) for key in ADDRESS_RANGE_PROPERTIES):
                yield (
                    resource.urn,
                    (
                        f"{resource.name} lets an address range reach an ECS service's tasks; admit only the load "
                        "balancer's security group"
                    ),
                )


def check_health_ports_agree(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """The container port, its port mapping, the container health check and the target group must agree."""
    for service in (r for r in resources if r.resource_type == SERVICE):
        task_definitions = _linked(service, "taskDefinition", TASK_DEFINITION)
        target_groups = _linked(service, "loadBalancers", TARGET_GROUP)
        containers = {c["name"]: c for t in task_definitions for c in _containers(t.props)}
        for balancer in service.props.get("loadBalancers") or []:
            port, name = balancer.get("containerPort"), balancer.get("containerName")
            container = containers.get(name)
            if container is None:
                continue
            mapped = [m.get("containerPort") for m in container.get("portMappings") or []]
            if port not in mapped:
                yield service.urn, f"the load balancer sends to port {port} of {name}, which maps {mapped}"
            command = " ".join(container.get("healthCheck", {}).get("command") or [])
            checked = HEALTH_URL.search(command)
            if checked is None or int(checked.group(1)) != port:
                yield service.urn, f"{name}'s health check ({command!r}) does not check port {port}"
            for group in target_groups:
                health_port = (group.props.get("healthCheck") or {}).get("port", "traffic-port")
                if group.props.get("port") != port:
                    yield group.urn, f"target group {group.name} uses port {group.props.get('port')}, not {port}"
                if health_port not in ("traffic-port", str(port)):
                    yield group.urn, f"target group {group.name} checks health on port {health_port}, not {port}"


# --- advisory -----------------------------------------------------------------------------------------------------


def check_read_only_root(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    for container in _containers(props):
        if not container.get("readonlyRootFilesystem"):
            yield f"container {container['name']} can write to its root filesystem"


def check_container_insights(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    settings = {s.get("name"): s.get("value") for s in props.get("settings") or []}
    if settings.get("containerInsights") not in ("enabled", "enhanced"):
        yield "Container Insights is off: no per-task CPU, memory and restart metrics"


def check_arm64(_: str, props: Mapping[str, Any]) -> Iterable[str]:
    platforms = str((props.get("tags") or {}).get("library:image-platforms", "")).split()
    architecture = (props.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")
    if "linux/arm64" in platforms and architecture != "ARM64":
        yield "the image is built for linux/arm64 too: run on ARM64 (Graviton) for about 20% less"


def check_https_redirect(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    listeners = [r for r in resources if r.resource_type == LISTENER]
    secured = {r.props.get("loadBalancerArn") for r in listeners if r.props.get("certificateArn")}
    for listener in listeners:
        if listener.props.get("protocol") != "HTTP" or listener.props.get("loadBalancerArn") not in secured:
            continue
        actions = listener.props.get("defaultActions") or []
        redirects = [
            a for a in actions if a.get("type") == "redirect" and a.get("redirect", {}).get("protocol") == "HTTPS"
        ]
        if not redirects:
            yield listener.urn, f"{listener.name} serves plain HTTP next to an HTTPS listener; redirect it to HTTPS"


def check_no_public_ip_behind_nat(resources: list[PolicyResource], nat_subnets: set[str]) -> Iterable[tuple[str, str]]:
    for service in (r for r in resources if r.resource_type == SERVICE):
        network = service.props.get("networkConfiguration") or {}
        subnets = set(network.get("subnets") or [])
        if network.get("assignPublicIp") and subnets and subnets <= nat_subnets:
            yield service.urn, "tasks in private subnets with a NAT gateway need no public IP; set assignPublicIp false"


# --- outside ruleset: FSBP and checkov's controls, advisory everywhere, mandatory in production -------------------


def is_production(resources: list[PolicyResource]) -> bool:
    """A stack with ``production: true``: the program tags its load balancer so."""
    return any(
        str((r.props.get("tags") or {}).get(PRODUCTION_TAG, "")).lower() == "true"
        for r in resources
        if r.resource_type == LOAD_BALANCER
    )


def security_control_findings(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """(urn, message) for each control of issue 15 a resource misses: ALB access logs (FSBP ELB.5, CKV_AWS_91), a log
    group encrypted with a KMS key (CKV_AWS_158), ECR tags IMMUTABLE (FSBP ECR.2, CKV_AWS_51) and ECR encrypted with
    KMS (CKV_AWS_136)."""
    for r in resources:
        props = r.props
        if r.resource_type == LOAD_BALANCER and props.get("loadBalancerType", "application") == "application":
            logs = props.get("accessLogs") or {}
            if not (logs.get("enabled") and logs.get("bucket")):
                yield r.urn, f"load balancer {r.name} writes no access logs (FSBP ELB.5); set accessLogs"
        elif r.resource_type == LOG_GROUP and not props.get("kmsKeyId"):
            yield r.urn, f"log group {props.get('name', r.name)} is not encrypted with a KMS key; set kmsEncryption"
        elif r.resource_type == REPOSITORY:
            if props.get("imageTagMutability") != "IMMUTABLE":
                yield r.urn, f"ECR repository {props.get('name', r.name)} lets tags be overwritten (FSBP ECR.2)"
            encryption = (props.get("encryptionConfigurations") or [{}])[0] or {}
            if encryption.get("encryptionType") != "KMS":
                yield r.urn, f"ECR repository {props.get('name', r.name)} is not encrypted with a KMS key"


def check_production_security_controls(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    return security_control_findings(resources) if is_production(resources) else []


def check_security_controls(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    return [] if is_production(resources) else security_control_findings(resources)


def _stack_policy(
    name: str,
    description: str,
    check: Callable[..., Iterable[tuple[str, str]]],
    level: EnforcementLevel,
    config_schema: PolicyConfigSchema | None = None,
    config: Callable[[Mapping[str, Any]], tuple[Any, ...]] = lambda _: (),
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        exempt = {r.urn for r in args.resources if _exempt(r.props, name)}
        for urn, message in check(args.resources, *config(args.get_config())):
            if urn not in exempt:
                report(message, urn)

    policy = StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level, config_schema=config_schema
    )
    return policy


MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

POLICIES: list[Policy] = [
    _resource_policy(
        "task-secrets-need-execution-role",
        "A task definition whose containers read secrets must name an execution role; without one ECS cannot fetch "
        "them and the task never starts.",
        [TASK_DEFINITION],
        check_secrets_need_execution_role,
    ),
    _resource_policy(
        "iam-ssm-kms-name-resources",
        "IAM policies name the SSM parameters and KMS keys they allow (no '*'), and kms:Decrypt is limited to use "
        "through SSM with kms:ViaService.",
        IAM_POLICY_DOCUMENTS.keys() | {"aws:iam/role:Role"},
        check_ssm_kms_name_resources,
    ),
    _resource_policy(
        "no-plain-text-secrets",
        "Container environment variables hold no secrets (names like PASSWORD, SECRET, TOKEN, KEY, or values that "
        "look like credentials); secrets come from SSM.",
        [TASK_DEFINITION],
        check_no_plain_secrets,
    ),
    _resource_policy(
        "images-by-digest",
        "Containers run images by digest (repo@sha256:...), never a tag such as :latest that can move.",
        [TASK_DEFINITION],
        check_images_by_digest,
    ),
    _resource_policy(
        "deployment-circuit-breaker",
        "ECS services roll back failed deployments with the deployment circuit breaker instead of retrying forever.",
        [SERVICE],
        check_circuit_breaker,
    ),
    _resource_policy(
        "log-retention",
        "Log groups have a retention period, so logs neither pile up cost forever nor vanish unnoticed.",
        [LOG_GROUP],
        check_log_retention,
    ),
    _resource_policy(
        "ecr-scan-on-push",
        "ECR repositories scan every pushed image for known vulnerabilities, so a reviewer sees them before a deploy.",
        [REPOSITORY],
        check_scan_on_push,
    ),
    _stack_policy(
        "service-ingress-from-security-groups",
        "An ECS service's security group admits traffic only from other security groups (the load balancer's), "
        "never from an address range.",
        check_service_ingress_only_from_groups,
        MANDATORY,
    ),
    _stack_policy(
        "health-check-ports-agree",
        "The container port, its port mapping, the container health check and the target group all use one port.",
        check_health_ports_agree,
        MANDATORY,
    ),
    _stack_policy(
        "production-security-controls",
        "A production stack's load balancer writes access logs, its log groups and repositories are encrypted with KMS "
        "keys, and its repositories' tags are immutable (FSBP ELB.5 and ECR.2; checkov CKV_AWS_91, 158, 136, 51).",
        check_production_security_controls,
        MANDATORY,
    ),
    _stack_policy(
        "security-controls",
        "Outside production, the same controls as production-security-controls, as advice: access logs, KMS for logs "
        "and images, immutable tags (accessLogs and kmsEncryption turn them on).",
        check_security_controls,
        ADVISORY,
    ),
    _stack_policy(
        "https-redirect",
        "With an HTTPS listener, plain HTTP on the same load balancer redirects to HTTPS.",
        check_https_redirect,
        ADVISORY,
    ),
    _resource_policy(
        "read-only-root-filesystem",
        "Containers cannot write to their root filesystem, so a compromised process cannot change the image's files.",
        [TASK_DEFINITION],
        check_read_only_root,
        ADVISORY,
    ),
    _resource_policy(
        "container-insights",
        "ECS clusters have Container Insights on, for per-task CPU, memory and restart metrics.",
        [CLUSTER],
        check_container_insights,
        ADVISORY,
    ),
    _resource_policy(
        "arm64-where-possible",
        "Tasks whose image is built for linux/arm64 run on ARM64 (Graviton), which costs less.",
        [TASK_DEFINITION],
        check_arm64,
        ADVISORY,
    ),
    _stack_policy(
        "no-public-ip-behind-nat",
        "Tasks in private subnets with a NAT gateway (listed in this policy's natSubnetIds) get no public IP.",
        check_no_public_ip_behind_nat,
        ADVISORY,
        config_schema=PolicyConfigSchema(
            properties={"natSubnetIds": {"type": "array", "items": {"type": "string"}, "default": []}}
        ),
        config=lambda c: (set(c.get("natSubnetIds") or []),),
    ),
]
