"""Every numeric and length bound of the settings, at its edges, held to the AWS rule it serves.

For each bound the lowest and the highest value are accepted, and one below and one above are refused with a
message that names the key. Each expectation is written here from the AWS page cited beside it, never read from
``stack_support.settings``: a bound that drifts from AWS's by one fails. Then the limits that are not one key's
range: reserved S3 bucket names, the 64 KiB task definition, the task family, privileged ports, the bake time a CI
deploy can wait, and the size estimate of the task definition against the longest request AWS could receive.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest
import yaml

from stack_support.settings import (
    ConfigError,
    Settings,
    _steps,
    parse_settings,
    task_definition_bytes,
    task_definition_request,
)
from tests.conftest import BOTOCORE_LOADER
from tests.harness import ROOT, Deployment, as_cli_strings, problem_lines, run_program, stack_config
from tests.test_ci_budget import _deploy_session_minutes, _steady_state_timeout

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"
VPC = "vpc-07dd414387be45a0f"
SUBNETS = ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"]
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/library@sha256:{'a' * 64}"


def parse(config: Mapping[str, Any], stack: str = "dev", project_dir: Path | None = None) -> Settings:
    return parse_settings(as_cli_strings(config), stack, project_dir)


def problems_of(config: Mapping[str, Any], stack: str = "dev", project_dir: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        parse(config, stack, project_dir)
    return problem_lines(str(refused.value))


def names(key: str, problems: list[str]) -> bool:
    """Whether a problem line names ``key`` (``library-infra:<key>...``, or the key path inside the line)."""
    return any(
        line.startswith("library-infra:") and re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", line)
        for line in problems
    )


# --- the longest names AWS gives, from botocore's endpoint data ----------------------------------------------------
def _partitions() -> list[dict[str, Any]]:
    return list(BOTOCORE_LOADER.load_data("endpoints")["partitions"])


def longest_region() -> str:
    return max((str(region) for p in _partitions() for region in p["regions"]), key=len)


def longest_partition() -> str:
    return max((str(p["partition"]) for p in _partitions()), key=len)


def longest_dns_suffix() -> str:
    return max((str(p["dnsSuffix"]) for p in _partitions()), key=len)


# SSM PutParameter, Name (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html):
# "The maximum length for a parameter name that you specify is 1011 characters. This count of 1011 characters
# includes the characters in the ARN that precede the name you specify": the longest prefix leaves the least.
SSM_NAME_ANYWHERE = 1011 - len(f"arn:{longest_partition()}:ssm:{longest_region()}:{ACCOUNT}:parameter")


def autoscaling(desired: int | None = None, **values: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 50, **values}}
    if desired is not None:
        config["desiredCount"] = str(desired)
    return config


def within(low: int, high: int, value: int) -> int:
    return min(max(value, low), high)


@dataclass(frozen=True)
class Bound:
    key: str
    """The key (with its path) a refusal names."""
    config: Callable[[int], dict[str, Any]]
    """The configuration with the bounded quantity (a number, a length, a count) set to the given value."""
    lowest: int | None
    highest: int | None
    below: int | None = None
    above: int | None = None


BOUNDS: list[Bound] = [
    # ELB CreateTargetGroup, Port: "Minimum value of 1. Maximum value of 65535" (the tasks are the targets, on
    # containerPort). https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
    Bound("containerPort", lambda v: {"containerPort": str(v)}, 1, 65535, 0, 65536),
    # ELB CreateListener, Port: "Minimum value of 1. Maximum value of 65535".
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html
    Bound("testListenerPort", lambda v: {"testListenerPort": str(v)}, 1, 65535, 0, 65536),
    # EC2 security group rules take TCP ports 0-65535, and no database listens on port 0: 1-65535.
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html
    Bound("databasePort", lambda v: {"databasePort": str(v)}, 1, 65535, 0, 65536),
    # ECS service quotas, "Tasks per service": 5,000.
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html
    Bound("desiredCount", lambda v: {"desiredCount": str(v)}, 0, 5000, -1, 5001),
    # ECS HealthCheck, startPeriod: "You can specify between 0 and 300 seconds".
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
    Bound("healthCheckStartPeriod", lambda v: {"healthCheckStartPeriod": str(v)}, 0, 300, -1, 301),
    # Application Auto Scaling RegisterScalableTarget: a task count is 0 or more, and ECS runs at most 5,000 tasks
    # per service (service-quotas.html above); minCount up to maxCount, desiredCount between them.
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
    Bound(
        "autoscaling.minCount",
        lambda v: autoscaling(within(0, 5000, v), minCount=v, maxCount=5000),
        0,
        5000,
        -1,
        5001,
    ),
    Bound("autoscaling.maxCount", lambda v: autoscaling(0, minCount=0, maxCount=v), 0, 5000, -1, 5001),
    # Target tracking on ECSServiceAverageCPUUtilization and ECSServiceAverageMemoryUtilization: the target value is
    # the service's average utilization, a percentage: 1-100.
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
    Bound("autoscaling.cpuTarget", lambda v: autoscaling(cpuTarget=v), 1, 100, 0, 101),
    Bound("autoscaling.memoryTarget", lambda v: autoscaling(memoryTarget=v), 1, 100, 0, 101),
    # ALBRequestCountPerTarget: a number of requests per target, at least one; no ceiling.
    Bound("autoscaling.requestsPerTarget", lambda v: autoscaling(requestsPerTarget=v), 1, 10**9, 0, None),
    # S3 LifecycleExpiration, Days: "must be a non-zero positive integer", a 32-bit Integer.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html
    Bound("accessLogsRetentionDays", lambda v: {"accessLogsRetentionDays": str(v)}, 1, 2**31 - 1, 0, 2**31),
    # ELB CreateLoadBalancer and CreateTargetGroup, Name: at most 32 characters. The program names them
    # <appName>-alb and <appName>-grn, and Pulumi adds an 8-character suffix ("-" and 7 random characters):
    # 32 - 4 - 8. https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
    Bound("appName", lambda n: {"appName": "a" * n}, 1, 32 - 4 - 8, 0, 32 - 4 - 8 + 1),
    # ELB CreateTargetGroup, HealthCheckPath: "Minimum length of 1. Maximum length of 1024".
    Bound("healthCheckPath", lambda n: {"healthCheckPath": ("/" + "h" * n)[:n]}, 1, 1024, 0, 1025),
    # ECR CreateRepository, repositoryName: "Minimum length of 2. Maximum length of 256".
    # https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
    Bound("repositoryName", lambda n: {"repositoryName": "r" * n}, 2, 256, 1, 257),
    # SSM PutParameter, Name: at most 1011 characters with the ARN's prefix (SSM_NAME_ANYWHERE above): a name that
    # fits in every region is accepted; 1012 fits in none. (The program allows up to 1011 whatever the region.)
    Bound("secrets.DB_URL", lambda n: {"secrets": {"DB_URL": "/" + "p" * (n - 1)}}, 2, SSM_NAME_ANYWHERE, None, 1012),
    # SSM PutParameter, Name: "Parameter hierarchies are limited to a maximum depth of fifteen levels".
    Bound("secrets.DB_URL", lambda n: {"secrets": {"DB_URL": "/l" * n}}, 1, 15, None, 16),
    # Systems Manager quotas: a standard parameter's value holds at most 4 KB (4,096 bytes), and SSM stores no
    # empty value (PutParameter, Value). https://docs.aws.amazon.com/general/latest/gr/ssm.html
    Bound(
        "secretValues.SPRING_DATASOURCE_PASSWORD",
        lambda n: {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "p" * n}},
        1,
        4096,
        0,
        4097,
    ),
    # ...in bytes of UTF-8, not characters: "é" is two.
    Bound(
        "secretValues.SPRING_DATASOURCE_PASSWORD",
        lambda n: {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "é" * (n // 2) + "p" * (n % 2)}},
        2,
        4096,
        None,
        4097,
    ),
    # SNS CreateTopic: topic names "must be between 1 and 256 characters long".
    # https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
    Bound("alarmTopicArn", lambda n: {"alarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{'t' * n}"}, 1, 256, 0, 257),
    # IAM CreatePolicy, PolicyName: "Minimum length of 1. Maximum length of 128".
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
    Bound(
        "permissionsBoundaryArn",
        lambda n: {"permissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/{'p' * n}"},
        1,
        128,
        0,
        129,
    ),
    # EC2 resource IDs: a prefix, a hyphen and 8 or 17 hexadecimal characters.
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html
    Bound("vpcId", lambda n: {"vpcId": "vpc-" + "0" * n, "subnetIds": SUBNETS}, 8, 17, 7, 18),
    Bound("subnetIds", lambda n: {"vpcId": VPC, "subnetIds": ["subnet-" + "0" * n, "subnet-" + "1" * n]}, 8, 17, 7, 18),
    Bound("databaseSecurityGroupId", lambda n: {"databaseSecurityGroupId": "sg-" + "0" * n}, 8, 17, 7, 18),
    # RDS DB instance identifier: "1 to 63 letters, numbers, or hyphens".
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
    Bound("databaseInstance", lambda n: {"databaseInstance": "d" * n}, 1, 63, None, 64),
    # S3 general purpose bucket names: "between 3 (min) and 63 (max) characters long".
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    Bound("accessLogsBucket", lambda n: {"accessLogsBucket": "b" * n}, 3, 63, 2, 64),
    # ELB CreateLoadBalancer, Subnets: "[Application Load Balancers] You must specify subnets from at least two
    # Availability Zones"; the tasks' subnets carry the ALB unless loadBalancerSubnetIds is set.
    Bound("subnetIds", lambda n: {"vpcId": VPC, "subnetIds": [f"subnet-{i:017x}" for i in range(n)]}, 2, 6, 1),
    Bound(
        "loadBalancerSubnetIds",
        lambda n: {"vpcId": VPC, "subnetIds": SUBNETS, "loadBalancerSubnetIds": [f"subnet-{i:017x}" for i in range(n)]},
        2,
        6,
        1,
    ),
]
EDGES = [
    pytest.param(bound, edge, id=f"{bound.key}-{edge}-{getattr(bound, edge)}")
    for bound in BOUNDS
    for edge in ("lowest", "highest", "below", "above")
    if getattr(bound, edge) is not None
]


@pytest.mark.parametrize(("bound", "edge"), EDGES)
def test_each_bound_accepts_its_edges_and_refuses_one_past_them_naming_the_key(bound: Bound, edge: str) -> None:
    config = bound.config(getattr(bound, edge))
    if edge in ("lowest", "highest"):
        parse(config)
    else:
        problems = problems_of(config)
        assert names(bound.key, problems), problems


def test_the_table_builds_the_lengths_it_says() -> None:
    for bound in BOUNDS:
        if bound.key == "appName":
            assert len(bound.config(20)["appName"]) == 20
        if bound.key.startswith("secretValues"):
            assert len(bound.config(4097)["secretValues"]["SPRING_DATASOURCE_PASSWORD"].encode()) == 4097
    assert 900 < SSM_NAME_ANYWHERE < 1011


@pytest.mark.parametrize("port", [79, 81, 442, 444, 8080])
def test_a_test_listener_may_use_any_port_but_the_production_listeners(port: int) -> None:
    assert parse({"testListenerPort": str(port)}).test_listener_port == port


@pytest.mark.parametrize("port", [80, 443])
def test_the_test_listener_cannot_take_a_production_listeners_port(port: int) -> None:
    # The ALB's production listeners are HTTP on 80 and, with a certificate, HTTPS on 443.
    assert names("testListenerPort", problems_of({"testListenerPort": str(port)}))


# S3 user guide, "General purpose bucket naming rules": names must not start with these prefixes or end with these
# suffixes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
RESERVED_PREFIXES = ["xn--", "sthree-", "sthree-configurator", "amzn-s3-demo-"]
RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]


@pytest.mark.parametrize(
    ("name", "reserved"),
    [(f"{p}logs", p) for p in RESERVED_PREFIXES] + [(f"logs{s}", s) for s in RESERVED_SUFFIXES],
)
def test_a_bucket_name_s3_reserves_is_refused_for_the_access_logs(name: str, reserved: str) -> None:
    problems = problems_of({"accessLogsBucket": name})
    assert names("accessLogsBucket", problems), problems
    assert any("AWS reserves" in line for line in problems), problems
    rest = name.replace(reserved, "", 1)
    assert parse({"accessLogsBucket": rest}).access_logs_bucket == rest  # without the reserved part it is fine


def test_a_task_definition_of_64_kib_is_accepted_and_one_byte_more_refused() -> None:
    # ECS service quotas, "Task definition size": 64 KiB, 65,536 bytes.
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html
    limit = 64 * 1024

    def config(padding: int) -> dict[str, Any]:
        return {"environment": {"SPRING_PROFILES_ACTIVE": "prod", "PADDING": "p" * padding}}

    padding = limit - task_definition_bytes(parse(config(0)))
    at_limit = parse(config(padding))
    assert task_definition_bytes(at_limit) == limit
    problems = problems_of(config(padding + 1))
    assert names("environment", problems), problems
    assert any(f"about {limit + 1} bytes" in line for line in problems), problems


def test_a_task_family_of_255_characters_is_accepted_and_256_refused() -> None:
    # RegisterTaskDefinition, family: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
    # hyphens are allowed". The family is <appName>-<stack>. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
    longest = "s" * (255 - len("library-"))
    assert parse({}, stack=longest).family == f"library-{longest}"
    assert names("appName", problems_of({}, stack=longest + "s"))


def _project(directory: Path, user: str | None) -> Path:
    directory.mkdir()
    dockerfile = "FROM eclipse-temurin:17-jre-jammy\nCOPY gradlew build.gradle ./\nCOPY src ./src\n"
    (directory / "Dockerfile").write_text(dockerfile + (f"USER {user}\n" if user else ""))
    (directory / "app").symlink_to(ROOT / "tests" / "fixtures" / "app")
    return directory


def test_a_non_root_image_listens_from_port_1024_and_a_root_one_below(tmp_path: Path) -> None:
    # Linux: binding a port below 1024 needs root or CAP_NET_BIND_SERVICE (capabilities(7)), and a task on Fargate
    # can add no capability but SYS_PTRACE (KernelCapabilities), so a non-root user cannot get it.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KernelCapabilities.html
    non_root = _project(tmp_path / "non-root", "10001")
    assert parse({"containerPort": "1024"}, project_dir=non_root).container_port == 1024
    assert names("containerPort", problems_of({"containerPort": "1023"}, project_dir=non_root))
    root = _project(tmp_path / "root", None)
    assert parse({"containerPort": "80"}, project_dir=root).container_port == 80


def test_the_bake_time_is_what_a_ci_deploy_can_still_wait() -> None:
    """ECS bakes for 0-1440 minutes (DeploymentConfiguration, bakeTimeInMinutes), but `pulumi up` must end while
    the deploy job and its AWS session last. The budget, as settings.py's comment derives it: the job's and the
    session's minutes (deploy.yml's timeout-minutes, configure-aws-credentials' role-duration-seconds and the deploy
    role's MaxSessionDuration, as tests/test_ci_budget.py reads them), less the 10 minutes settings.py allows for the
    steps before `pulumi up` (checkout, installs, refresh, the image build), less the service's own wait for a
    steady state (its registered timeout without a bake). https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
    """
    steady = _steady_state_timeout(run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "bakeTimeMinutes": 0}))
    longest = _deploy_session_minutes() - 10 - steady
    bake = {"deploymentStrategy": "BLUE_GREEN"}
    assert parse({**bake, "bakeTimeMinutes": "0"}).bake_time_minutes == 0
    assert parse({**bake, "bakeTimeMinutes": str(longest)}).bake_time_minutes == longest
    assert names("bakeTimeMinutes", problems_of({**bake, "bakeTimeMinutes": "-1"}))
    assert names("bakeTimeMinutes", problems_of({**bake, "bakeTimeMinutes": str(longest + 1)}))


def test_a_variable_with_key_inside_its_name_is_plain_and_one_ending_in_key_is_not() -> None:
    assert "CACHE_KEY_PREFIX" in parse({"environment": {"CACHE_KEY_PREFIX": "app"}}).environment
    assert names("environment.CACHE_KEY", problems_of({"environment": {"CACHE_KEY": "x"}}))


def test_the_fargate_table_steps_include_both_bounds_and_refuse_a_bound_off_the_step() -> None:
    assert _steps(1024, 4096, 1024) == (1024, 2048, 3072, 4096)
    with pytest.raises(ValueError, match="30721 is not a whole number of steps of 1024 above 8192"):
        _steps(8192, 30721, 1024)


# --- which key the stack makes -------------------------------------------------------------------------------------
def test_a_kms_encrypted_stack_that_deploys_a_pushed_image_still_encrypts_its_logs_with_its_own_key() -> None:
    """No repository to encrypt (imageUri: the stack pushes nothing), but the log group still needs a customer
    managed key, and without logsKmsKeyArn the stack makes it."""
    deployment = run_program("dev", {"kmsEncryption": True, "imageUri": IMAGE})
    assert deployment.of_type("aws:ecr/repository:Repository") == []
    [key] = deployment.of_type("aws:kms/key:Key")
    assert deployment.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == key.state["arn"]


def test_with_a_logs_key_given_and_no_repository_the_stack_makes_no_key() -> None:
    logs_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666"
    deployment = run_program("dev", {"kmsEncryption": True, "imageUri": IMAGE, "logsKmsKeyArn": logs_key})
    assert deployment.of_type("aws:kms/key:Key") == []
    assert deployment.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == logs_key


# --- the task definition's size estimate ----------------------------------------------------------------------------
def dev_settings() -> Settings:
    prefix = "library-infra:"
    config = stack_config("dev")
    return parse({k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)})


def longest_request(deployment: Deployment) -> dict[str, Any]:
    """The RegisterTaskDefinition request of ``deployment``, with every value that is only known at deploy time
    as long as AWS allows it: the longest partition, region and registry DNS suffix in botocore's endpoint data,
    a 12-digit account, role names of 64 characters (IAM CreateRole, RoleName: "Maximum length of 64"), a digest of
    64 hex characters, and the task definition's tags at ECS's limits (Tag: key "Maximum length of 128", value
    "Maximum length of 256"; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html)."""
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
    request = dict(task.inputs)
    partition, region, suffix, account = longest_partition(), longest_region(), longest_dns_suffix(), "9" * 12
    for member in ("executionRoleArn", "taskRoleArn"):
        assert re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+", request[member])  # no path: all is the name
        request[member] = f"arn:{partition}:iam::{account}:role/{'r' * 64}"
    [container] = json.loads(request["containerDefinitions"])
    built = re.fullmatch(
        r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/([^@]+)@sha256:[0-9a-f]{64}", container["image"]
    )
    assert built is not None, container["image"]
    container["image"] = f"{account}.dkr.ecr.{region}.{suffix}/{built[1]}@sha256:{'f' * 64}"
    container["logConfiguration"]["options"]["awslogs-region"] = region
    for secret in container["secrets"]:
        parameter = re.fullmatch(r"arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter(/.+)", secret["valueFrom"])
        assert parameter is not None, secret["valueFrom"]
        secret["valueFrom"] = f"arn:{partition}:ssm:{region}:{account}:parameter{parameter[1]}"
    request["containerDefinitions"] = [container]
    request["tags"] = [{"key": "k" * 128, "value": "v" * 256} for _ in request["tags"]]
    return request


def shape(value: Any) -> Any:
    """The members of a request, recursively, with the type of each value: what two requests of one shape share."""
    if isinstance(value, dict):
        return {key: shape(v) for key, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def test_the_size_estimate_is_exactly_the_longest_request_aws_could_receive(dev: Deployment) -> None:
    settings = dev_settings()
    worst = longest_request(dev)
    assert task_definition_bytes(settings) == len(json.dumps(worst).encode())
    assert shape(task_definition_request(settings)) == shape(worst)


def test_the_estimate_sends_exactly_the_members_the_registered_task_definition_does(dev: Deployment) -> None:
    sent = set(dev.one("aws:ecs/taskDefinition:TaskDefinition").inputs)
    assert set(task_definition_request(dev_settings())) == sent


def test_the_longest_names_are_read_from_botocore_whole() -> None:
    # The endpoint data lists every partition (aws, aws-cn, aws-us-gov and the isolated ones) and their regions.
    assert {"aws", "aws-cn", "aws-us-gov"} <= {p["partition"] for p in _partitions()}
    assert len(longest_region()) >= len("ap-southeast-1")
    assert longest_dns_suffix().endswith((".com", ".cn", ".gov", ".uk", ".eu"))


# --- values as the Pulumi CLI passes them -----------------------------------------------------------------------
BOOLEAN_KEYS = ["assignPublicIp", "production", "accessLogs", "kmsEncryption"]
SPELLINGS = ["true", "True", "false", "False", "TRUE", "FALSE", "yes", "no", "1", "0", "on", ""]


@contextmanager
def pulumi_config(values: Mapping[str, str]) -> Iterator[None]:
    """The config the engine would pass, as PULUMI_CONFIG (what tests/harness.py's runs set)."""
    saved = os.environ.get("PULUMI_CONFIG")
    os.environ["PULUMI_CONFIG"] = json.dumps(values)
    pulumi.runtime.set_all_config({}, [])
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PULUMI_CONFIG", None)
        else:
            os.environ["PULUMI_CONFIG"] = saved
        pulumi.runtime.set_all_config({}, [])


def pulumi_reads(text: str) -> bool | None:
    """What Pulumi's own Config.get_bool makes of ``text``: True, False, or None for a refusal."""
    with pulumi_config({"library-infra:probe": text}):
        try:
            return pulumi.Config("library-infra").get_bool("probe")
        except pulumi.ConfigTypeError:
            return None


@pytest.mark.parametrize("key", BOOLEAN_KEYS)
def test_a_boolean_reads_as_pulumis_get_bool_reads_it_or_is_refused(key: str) -> None:
    for text in SPELLINGS:
        expected = pulumi_reads(text)
        config: dict[str, Any] = {"assignPublicIp": "true", key: text}
        if key == "assignPublicIp" and expected is False:
            config |= {"vpcId": VPC, "subnetIds": SUBNETS}  # no public IP needs subnets with a NAT gateway
        if expected is None:
            assert names(key, problems_of(config)), text
        else:
            settings = parse(config)
            read = {"assignPublicIp": settings.assign_public_ip, "production": settings.production}
            read |= {"accessLogs": settings.access_logs, "kmsEncryption": settings.kms_encryption}
            assert read[key] is expected, text


def test_environment_values_reach_ecs_as_the_strings_they_were_written_as() -> None:
    # ECS KeyValuePair, value: a String. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KeyValuePair.html
    written = {"ON": True, "OFF": False, "POOL": 5, "RATIO": 1.5, "ZERO": 0, "NAME": "library"}
    settings = parse({"environment": written})
    assert settings.environment == {k: json.dumps(v) if not isinstance(v, str) else v for k, v in written.items()}


def declared_optional_strings() -> list[str]:
    """The keys Pulumi.yaml declares with the default "": the CLI passes "" for each one the stack does not set."""
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    return sorted(key for key, declaration in declared.items() if declaration.get("default") == "")


@pytest.mark.parametrize("key", declared_optional_strings())
def test_an_empty_optional_string_means_unset(key: str) -> None:
    settings = parse({key: ""})
    field = next(name for name, info in Settings.model_fields.items() if info.alias == key)
    assert getattr(settings, field) is None


def test_the_optional_strings_are_the_ones_expected_to_be_empty() -> None:
    assert "repositoryName" in declared_optional_strings()
    assert "appName" not in declared_optional_strings()  # a key with a real default is no optional string


# ECR CreateRepository, repositoryName: the pattern and the length ECR's API model gives.
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
# Stack names: letters, digits, "-" and "_" (a "." would not fit the task family, which refuses it).
@pytest.mark.parametrize("stack", ["dev", "Feature_X_2", "prod--eu", "___", "-_-", "a" * 200])
def test_every_stack_gets_a_repository_name_ecr_accepts_and_a_name_of_its_own(stack: str) -> None:
    member = BOTOCORE_LOADER.load_service_model("ecr", "service-2")["shapes"]["RepositoryName"]
    name = parse({}, stack=stack).repository
    assert re.fullmatch(member["pattern"], name), name
    assert member["min"] <= len(name) <= member["max"]
    assert name != parse({}, stack="other").repository


# --- what is accepted -----------------------------------------------------------------------------------------------
# A value AWS accepts for every key that names something of AWS's, all at once.
VALID: dict[str, Any] = {
    "kmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666",
    "logsKmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1f1f1f1f-1111-2222-3333-444455556666",
    "permissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/ci/library-infra-boundary",
    "certificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666",
    "alarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:library-alerts",
    # distribution/reference: a registry host with a port, then the repository path (ECS pulls from any registry).
    "imageUri": f"registry.example.com:5000/team/library@sha256:{'b' * 64}",
    "vpcId": VPC,
    "subnetIds": SUBNETS,
    "loadBalancerSubnetIds": ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b3"],
    "assignPublicIp": "false",
    "databaseSecurityGroupId": "sg-0db0db0db0db0db0d",
    "accessLogsBucket": "team-alb-logs.example",
    "testListenerCidrs": ["203.0.113.0/24", "0.0.0.0/0"],
    "deploymentStrategy": "BLUE_GREEN",
    "repositoryName": "team/library",
}


def test_a_valid_value_of_every_key_is_accepted_and_read_as_given() -> None:
    settings = parse(VALID)
    for key, value in VALID.items():
        field = next(name for name, info in Settings.model_fields.items() if info.alias == key)
        read = getattr(settings, field)
        expected = tuple(value) if isinstance(value, list) else {"false": False}.get(value, value)
        assert read == expected, key


def test_an_unset_object_key_means_what_the_configuration_reference_documents() -> None:
    """docs/configuration.md: environment defaults to `{SPRING_PROFILES_ACTIVE: prod}`, secrets to the three
    database parameters (each ``NAME: /parameter``)."""
    documentation = (ROOT / "docs" / "configuration.md").read_text()

    def documented_default(key: str) -> dict[str, str]:
        row = re.search(rf"^\| `{key}` \| object \| (.+?) \|", documentation, flags=re.M)
        assert row is not None, key
        return {k: v for item in re.findall(r"`([^`]+)`", row[1]) for k, v in yaml.safe_load(item).items()}

    settings = parse({})
    assert settings.environment == documented_default("environment")
    assert settings.secrets == documented_default("secrets")
