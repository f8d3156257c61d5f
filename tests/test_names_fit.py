"""Names fit: every name the program gives AWS, explicit or the provider's auto-name, is within AWS's limit for it.

Limits and character rules are read from AWS's own API models (botocore), not copied from the code: a length
constraint where the model has one, else the documented "maximum of N" or "Up to N" in the member's text. The
program runs with the longest ``appName`` the settings accept, a stack name of Pulumi's longest (100 characters),
and every option that adds resources.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from typing import Any

import pytest

from stack_support.settings import ConfigError, parse_settings
from tests.harness import DB_INSTANCE, Deployment, Registered, run_program, service_model

# Pulumi refuses longer stack names: "stack names are limited to 100 characters" (pulumi/pulumi, backend references).
LONGEST_STACK = 100
CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
TOPIC = "arn:aws:sns:ap-northeast-2:123456789012:library-alerts"

# Resource type -> where AWS's API model states the limit of its name: (service, operation, member).
NAMED: dict[str, tuple[str, str, str]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("elbv2", "CreateLoadBalancer", "Name"),
    "aws:lb/targetGroup:TargetGroup": ("elbv2", "CreateTargetGroup", "Name"),
    "aws:iam/role:Role": ("iam", "CreateRole", "RoleName"),
    "aws:iam/rolePolicy:RolePolicy": ("iam", "PutRolePolicy", "PolicyName"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "CreateSecurityGroup", "GroupName"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "PutMetricAlarm", "AlarmName"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "CreateLogGroup", "logGroupName"),
    "aws:kms/alias:Alias": ("kms", "CreateAlias", "AliasName"),
    "aws:ecs/cluster:Cluster": ("ecs", "CreateCluster", "clusterName"),
    "aws:ecs/service:Service": ("ecs", "CreateService", "serviceName"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "RegisterTaskDefinition", "family"),
    "aws:ecr/repository:Repository": ("ecr", "CreateRepository", "repositoryName"),
    "aws:ssm/parameter:Parameter": ("ssm", "PutParameter", "Name"),
    "aws:appautoscaling/policy:Policy": ("application-autoscaling", "PutScalingPolicy", "PolicyName"),
}
# Types whose API model states no limit: the rule from AWS's documentation instead.
DOCUMENTED: dict[str, NameRule] = {}
# Types AWS gives no name of ours (ids and ARNs only).
UNNAMED = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/key:Key",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    "aws:appautoscaling/target:Target",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "docker:index/image:Image",
    "docker:index/remoteImage:RemoteImage",
    "docker:index/tag:Tag",
    "docker:index/registryImage:RegistryImage",
    "pulumi:providers:docker",
    "pulumi:pulumi:StackReference",
}


@dataclass(frozen=True)
class NameRule:
    source: str
    max_length: int
    pattern: str | None
    documentation: str

    def problems(self, name: str) -> list[str]:
        found = []
        if len(name) > self.max_length:
            found.append(f"{len(name)} characters, over {self.max_length}")
        if self.pattern and not re.fullmatch(_python_regex(self.pattern), name):
            found.append(f"does not match {self.pattern}")
        text = self.documentation
        if "only alphanumeric characters or hyphens" in text and not re.fullmatch(r"[A-Za-z0-9-]+", name):
            found.append("holds characters other than letters, digits and '-'")
        if "must not begin or end with a hyphen" in text and (name.startswith("-") or name.endswith("-")):
            found.append("begins or ends with '-'")
        if 'must not begin with "internal-"' in text and name.startswith("internal-"):
            found.append("begins with 'internal-'")
        if "letters (uppercase and lowercase), numbers, underscores, and hyphens" in text and not re.fullmatch(
            r"[A-Za-z0-9_-]+", name
        ):
            found.append("holds characters other than letters, digits, '_' and '-'")
        # EC2's "Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (the symbols vary by member).
        if (listed := re.search(r"characters(?: are|:) a-z, A-Z, 0-9, spaces, and (\S+)", text)) and not re.fullmatch(
            f"[A-Za-z0-9 {re.escape(listed.group(1))}]*", name
        ):
            found.append(f"holds characters outside a-z, A-Z, 0-9, spaces and {listed.group(1)}")
        return found


# S3 general purpose bucket naming rules (the CreateBucket model points there and states no limit): "between 3
# (min) and 63 (max) characters long", "only lowercase letters, numbers, periods (.), and hyphens (-)", "begin and
# end with a letter or number". https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
DOCUMENTED["aws:s3/bucket:Bucket"] = NameRule(
    "S3 bucket naming rules", 63, r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "bucket names must be 3-63 characters"
)


def _python_regex(pattern: str) -> str:
    """AWS's models write patterns in Java's dialect; ``\\p{Print}`` is printable ASCII there."""
    return pattern.strip("^$").replace("\\p{Print}", "[\\x20-\\x7e]")


@functools.cache
def rule_for(service: str, operation: str, member: str) -> NameRule:
    """AWS's rule for ``member`` of ``operation``'s request."""
    return member_rule(service, service_model(service).operation_model(operation).input_shape.name, member)


@functools.cache
def member_rule(service: str, shape_name: str, member: str) -> NameRule:
    """AWS's rule for ``member`` of a shape of ``service``'s model: the model's length and pattern, and the limits its
    documentation states ("maximum of N", "Up to N")."""
    shape = service_model(service).shape_for(shape_name).members[member]
    text = re.sub(r"<[^>]+>", "", shape.documentation or "").replace("&quot;", '"').replace("&amp;", "&")
    limit = shape.metadata.get("max")
    stated = re.search(r"(?:maximum of|Up to) (\d+)", text)
    specified = re.search(r"maximum length for a parameter name that you specify is (\d+)", text)
    limits = [int(m.group(1)) for m in (stated, specified) if m] + ([int(limit)] if limit else [])
    assert limits, f"AWS's model states no length limit for {service} {shape_name}.{member}"
    return NameRule(f"{service} {shape_name}.{member}", min(limits), shape.metadata.get("pattern"), text)


def name_of(resource: Registered) -> str:
    """The name AWS receives: the explicit one, or the provider's ``<logical name>-<7 random characters>``."""
    if resource.type == "aws:ecs/taskDefinition:TaskDefinition":
        return str(resource.inputs["family"])
    if resource.type == "aws:s3/bucket:Bucket":
        return str(resource.inputs.get("bucket") or resource.state["bucket"])
    return str(resource.inputs.get("name") or resource.state["name"])


@functools.cache
def longest_app_name() -> str:
    """The longest appName the settings accept, found by asking them."""
    accepted = ""
    for length in range(1, 65):
        candidate = (string.ascii_lowercase * 3)[:length]
        try:
            parse_settings({"appName": candidate, "dockerContext": "tests/fixtures/app"}, "dev")
        except ConfigError:
            continue
        accepted = candidate
    assert accepted, "the settings accept no appName"
    return accepted


def everything_on(extra: dict[str, Any]) -> Deployment:
    stack = ("s" * LONGEST_STACK)[:LONGEST_STACK]
    overrides = {
        "aws:region": "ap-northeast-2",
        "appName": longest_app_name(),
        "certificateArn": CERTIFICATE,
        "alarmTopicArn": TOPIC,
        "databaseInstance": DB_INSTANCE,
        "secretValues": {"SPRING_DATASOURCE_PASSWORD": "a-password-for-names"},
        "accessLogs": True,
        "kmsEncryption": True,
        **extra,
    }
    return run_program(stack, overrides, secret_keys=("secretValues",))


@pytest.fixture(scope="module")
def configurations() -> dict[str, Deployment]:
    return {
        "BLUE_GREEN, HTTPS, CPU and memory scaling": everything_on(
            {
                "deploymentStrategy": "BLUE_GREEN",
                "testListenerCidrs": ["203.0.113.0/24"],
                "autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 60, "memoryTarget": 70},
            }
        ),
        "ROLLING, request scaling": everything_on(
            {"autoscaling": {"minCount": 1, "maxCount": 4, "requestsPerTarget": 500}}
        ),
    }


def test_names_fit_awss_limits_at_the_longest_app_name_with_every_option_on(
    configurations: dict[str, Deployment],
) -> None:
    assert len(longest_app_name()) >= 7  # "library" itself must fit
    problems = []
    for label, deployment in configurations.items():
        for resource in deployment.resources:
            if resource.type.startswith("library:") or resource.type in UNNAMED:
                continue
            assert resource.type in NAMED or resource.type in DOCUMENTED, (
                f"{resource.type}: add where AWS states the limit of its name"
            )
            rule = DOCUMENTED.get(resource.type) or rule_for(*NAMED[resource.type])
            name = name_of(resource)
            problems += [f"{label}: {resource.type} {name!r} ({rule.source}): {p}" for p in rule.problems(name)]
        container_rule = NameRule("ecs ContainerDefinition.name", 255, None, _container_name_text())
        problems += [f"{label}: container: {p}" for p in container_rule.problems(deployment.container()["name"])]
    assert problems == []


def _container_name_text() -> str:
    model = service_model("ecs")
    return re.sub(r"<[^>]+>", "", model.shape_for("ContainerDefinition").members["name"].documentation)


def test_every_named_type_is_seen_so_no_limit_goes_unchecked(configurations: dict[str, Deployment]) -> None:
    seen = {r.type for d in configurations.values() for r in d.resources}
    assert (set(NAMED) | set(DOCUMENTED)) - seen == set()


def test_the_rule_catches_a_name_one_character_too_long() -> None:
    rule = rule_for(*NAMED["aws:lb/targetGroup:TargetGroup"])
    assert rule.max_length == 32
    assert rule.problems("a" * 32) == []
    assert rule.problems("a" * 33) == ["33 characters, over 32"]
    assert rule.problems("library-tg-") == ["begins or ends with '-'"]
    assert rule.problems("library_tg") == ["holds characters other than letters, digits and '-'"]


def test_an_app_name_that_makes_the_load_balancer_name_invalid_is_refused() -> None:
    # "must not begin with internal-" (ELB CreateLoadBalancer): appName "internal" would name it internal-alb-…
    rule = rule_for(*NAMED["aws:lb/loadBalancer:LoadBalancer"])
    assert rule.problems("internal-alb-1a2b3c4") == ["begins with 'internal-'"]
    with pytest.raises(ConfigError, match="appName='internal'"):
        parse_settings({"appName": "internal", "dockerContext": "tests/fixtures/app"}, "dev")


def name_problems(deployment: Deployment) -> list[str]:
    """Every name ``deployment`` gives AWS that breaks AWS's rule for it (a type without a known rule is a problem
    too), and the container's name; for tests that check runs of their own against the same limits."""
    problems = []
    for resource in deployment.resources:
        if resource.type.startswith("library:") or resource.type in UNNAMED:
            continue
        if resource.type not in NAMED and resource.type not in DOCUMENTED:
            problems.append(f"{resource.type}: add where AWS states the limit of its name")
            continue
        rule = DOCUMENTED.get(resource.type) or rule_for(*NAMED[resource.type])
        name = name_of(resource)
        problems += [f"{resource.type} {name!r} ({rule.source}): {p}" for p in rule.problems(name)]
    container_rule = NameRule("ecs ContainerDefinition.name", 255, None, _container_name_text())
    problems += [f"container: {p}" for p in container_rule.problems(deployment.container()["name"])]
    return problems


# Resource type -> (the input holding its description, where AWS's API model states the description's rule).
DESCRIBED: dict[str, tuple[str, tuple[str, str, str]]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("description", ("ec2", "CreateSecurityGroupRequest", "Description")),
    "aws:iam/role:Role": ("description", ("iam", "CreateRoleRequest", "Description")),
    "aws:kms/key:Key": ("description", ("kms", "CreateKeyRequest", "Description")),
    "aws:ssm/parameter:Parameter": ("description", ("ssm", "PutParameterRequest", "Description")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "alarmDescription",
        ("cloudwatch", "PutMetricAlarmInput", "AlarmDescription"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("description", ("ec2", "", "Description")),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("description", ("ec2", "", "Description")),
}
# The EC2 shape a rule's description travels in, by what the rule names (AuthorizeSecurityGroupIngress's IpPermission).
RULE_PEER_SHAPES = {
    "referencedSecurityGroupId": "UserIdGroupPair",
    "cidrIpv4": "IpRange",
    "cidrIpv6": "Ipv6Range",
    "prefixListId": "PrefixListId",
}


def description_problems(type_: str, name: str, inputs: dict[str, Any]) -> list[str]:
    key, (service, shape, member) = DESCRIBED[type_]
    if not shape:
        [peer] = [p for p in RULE_PEER_SHAPES if inputs.get(p)]
        shape = RULE_PEER_SHAPES[peer]
    text = str(inputs.get(key) or "")
    if not text:
        return ["has no description"]
    rule = member_rule(service, shape, member)
    return [f"{type_} {name}: {text!r} ({rule.source}): {p}" for p in rule.problems(text)]


def test_every_group_rule_role_key_parameter_and_alarm_says_why_it_exists_within_awss_rules(
    configurations: dict[str, Deployment],
) -> None:
    # What an operator reads in the console; a security group rule without one is a finding of checkov's CKV_AWS_23,
    # and a description AWS refuses (a character EC2 does not allow, one too many) fails the create call.
    seen, problems = set(), []
    for deployment in configurations.values():
        for resource in deployment.resources:
            if resource.type in DESCRIBED:
                seen.add(resource.type)
                problems += description_problems(resource.type, resource.name, resource.inputs)
    assert problems == []
    assert seen == set(DESCRIBED)


def test_the_description_rule_catches_a_character_ec2_refuses() -> None:
    rule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    assert description_problems(rule, "r", {"referencedSecurityGroupId": "sg-1", "description": "From the ALB"}) == []
    for text in ("ALB → tasks", "ALB & tasks"):  # '&' is allowed with an address range, not with a group
        [problem] = description_problems(rule, "r", {"referencedSecurityGroupId": "sg-1", "description": text})
        assert "holds characters outside" in problem
    assert description_problems(rule, "r", {"cidrIpv4": "203.0.113.0/24", "description": "ALB & tasks"}) == []
    [missing] = description_problems(rule, "r", {"cidrIpv4": "203.0.113.0/24"})
    assert missing.endswith("has no description")
