"""Bad configuration stops the program before any resource is registered, with a message that says how to fix it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from stack_support.settings import FARGATE_SIZES, LOG_RETENTION_DAYS, ConfigError, Settings, config_keys, parse_settings
from tests import harness
from tests.conftest import PASSWORD
from tests.harness import ROOT, run_program, service_model

BAD_INPUTS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "invalid cpu/memory pair",
        {"cpu": 256, "memory": 4096},
        ["cpu=256, memory=4096 is not a Fargate size", "cpu=256: memory 512, 1024, 2048", "cpu=1024: memory 2048-8192"],
    ),
    ("cpu not a Fargate size", {"cpu": 300}, ["cpu=300 is not a Fargate size; use one of 256, 512, 1024"]),
    ("port above 65535", {"containerPort": 70000}, ["containerPort=70000 is not a TCP port; use 1-65535"]),
    ("port zero", {"containerPort": 0}, ["containerPort=0 is not a TCP port; use 1-65535"]),
    ("port not a number", {"containerPort": "http"}, ["library-infra:containerPort='http' must be a whole number"]),
    (
        "health path without a leading slash",
        {"healthCheckPath": "actuator/health"},
        ["healthCheckPath='actuator/health' must start with '/'"],
    ),
    (
        "health path with shell characters",
        {"healthCheckPath": "/health;reboot"},
        ["healthCheckPath='/health;reboot' may hold only letters"],
    ),
    ("negative desired count", {"desiredCount": -1}, ["desiredCount=-1 is outside what ECS runs in one service"]),
    # ECS service quotas: 5,000 tasks per service.
    ("desired count over ECS's quota", {"desiredCount": 5001}, ["desiredCount=5001", "use 0-5000 tasks"]),
    (
        "autoscaling above ECS's quota",
        {"autoscaling": {"minCount": 1, "maxCount": 100000, "cpuTarget": 50}},
        ["autoscaling.maxCount=100000 is more than ECS runs in one service; use at most 5000"],
    ),
    (
        "no public IP in the default VPC",
        {"assignPublicIp": False},
        ["assignPublicIp=false in the default VPC", "cannot pull the image"],
    ),
    ("a boolean written as yes", {"assignPublicIp": "yes"}, ["assignPublicIp='yes' must be true or false"]),
    (
        "SSM parameter deeper than 15 levels",
        {"secrets": {"DEEP": "/" + "/".join(["l"] * 16)}},
        ["is 16 levels deep; SSM allows at most 15"],
    ),
    (
        "two stack-owned variables on one parameter",
        {
            "secrets": {"A_PASSWORD": "/library/db/shared", "B_PASSWORD": "/library/db/shared"},
            "secretValues": {"A_PASSWORD": "one-value", "B_PASSWORD": "other-value"},
        },
        ["secretValues A_PASSWORD, B_PASSWORD all map to the parameter /library/db/shared"],
    ),
    (
        "task definition over 64 KiB",
        {"environment": {f"VAR_{i}": "v" * 1000 for i in range(70)}},
        ["make the task definition about", "ECS registers at most 65536 (64 KiB)"],
    ),
    (
        "image with an upper-case repository",
        {"imageUri": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/Library@sha256:" + "a" * 64},
        ["imageUri='123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/Library@sha256:"],
    ),
    (
        "image with a scheme",
        {"imageUri": "https://public.ecr.aws/library/app@sha256:" + "a" * 64},
        ["imageUri='https://public.ecr.aws/library/app@sha256:"],
    ),
    (
        "parameter name without a leading slash",
        {"secrets": {"SPRING_DATASOURCE_URL": "library/db/url"}},
        ["secrets.SPRING_DATASOURCE_URL='library/db/url' must be an SSM parameter name starting with '/'"],
    ),
    (
        "parameter name under a reserved prefix",
        {"secrets": {"DB": "/aws/reference/db"}},
        ["secrets.DB='/aws/reference/db' uses a prefix reserved by AWS"],
    ),
    (
        "invalid variable name in secrets",
        {"secrets": {"1DB-URL": "/library/db/url"}},
        ["secrets has variable name '1DB-URL'; use letters, digits and '_'"],
    ),
    (
        "invalid variable name in environment",
        {"environment": {"SPRING PROFILE": "prod"}},
        ["environment has variable name 'SPRING PROFILE'"],
    ),
    (
        "credential in plain environment",
        {"environment": {"SPRING_DATASOURCE_PASSWORD": "hunter2"}},
        ["environment.SPRING_DATASOURCE_PASSWORD looks like a credential", "Put it in secrets"],
    ),
    (
        "variable both plain and secret",
        {"environment": {"SPRING_DATASOURCE_URL": "jdbc:h2:mem:x"}},
        ["environment.SPRING_DATASOURCE_URL and secrets.SPRING_DATASOURCE_URL both set SPRING_DATASOURCE_URL"],
    ),
    (
        "retention CloudWatch does not accept",
        {"logRetentionDays": 45},
        ["logRetentionDays=45 is not accepted by CloudWatch Logs; use one of 1, 3, 5, 7, 14, 30, 60"],
    ),
    ("retention of zero (never expire)", {"logRetentionDays": 0}, ["logRetentionDays=0 is not accepted"]),
    (
        "secretValues entry with no secrets entry",
        {"secretValues": {"API_TOKEN": "x-not-echoed"}},
        ["secretValues.API_TOKEN has no matching secrets entry; add secrets.API_TOKEN"],
    ),
    ("start period beyond ECS's limit", {"healthCheckStartPeriod": 301}, ["use 0-300 seconds"]),
    ("app name with capitals", {"appName": "Library"}, ["appName='Library' must be 1-20 lowercase letters"]),
    ("app name too long", {"appName": "library-management-sys"}, ["must be 1-20 lowercase"]),
    ("repository name with capitals", {"repositoryName": "Library"}, ["repositoryName='Library' is not a valid ECR"]),
    ("image by tag", {"imageUri": "nginx:latest"}, ["imageUri='nginx:latest' must be pinned by digest"]),
    ("alias instead of key ARN", {"kmsKeyArn": "alias/aws/ssm"}, ["kmsKeyArn='alias/aws/ssm' must be a KMS key ARN"]),
    ("vpc without subnets", {"vpcId": "vpc-07dd414387be45a0f"}, ["vpcId and subnetIds go together"]),
    (
        "one subnet",
        {"vpcId": "vpc-07dd414387be45a0f", "subnetIds": ["subnet-0eb8d0b96a8e96f23"]},
        ["must list at least two subnets in different Availability Zones"],
    ),
    ("malformed subnet", {"vpcId": "vpc-07dd414387be45a0f", "subnetIds": ["subnet-1", "x"]}, ["'subnet-1'"]),
    (
        "malformed load balancer subnet",
        {
            "vpcId": "vpc-07dd414387be45a0f",
            "subnetIds": ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"],
            "loadBalancerSubnetIds": ["subnet-0b0b0b0b0b0b0b0b1", "igw-1"],
        },
        ["loadBalancerSubnetIds has 'igw-1', which is not a subnet id"],
    ),
    (
        "one load balancer subnet",
        {
            "vpcId": "vpc-07dd414387be45a0f",
            "subnetIds": ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"],
            "loadBalancerSubnetIds": ["subnet-0b0b0b0b0b0b0b0b1"],
        },
        ["loadBalancerSubnetIds=['subnet-0b0b0b0b0b0b0b0b1'] must list at least two subnets"],
    ),
    (
        "load balancer subnets in the default VPC",
        {"loadBalancerSubnetIds": ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b3"]},
        ["loadBalancerSubnetIds needs vpcId and subnetIds"],
    ),
    (
        "SERVER_PORT that disagrees with containerPort",
        {"environment": {"SERVER_PORT": "8080"}},
        ["environment.SERVER_PORT='8080' differs from containerPort=8081"],
    ),
    (
        "misspelt key",
        {"desiredcount": 2},
        ["library-infra:desiredcount is not a setting", "did you mean desiredCount?"],
    ),
    ("missing Dockerfile", {"dockerfile": "docker/Dockerfile.app"}, ["dockerfile='docker/Dockerfile.app' does not"]),
    (
        "imageFromStack not fully qualified",
        {"imageFromStack": "dev"},
        ["imageFromStack='dev' must be a fully qualified stack name, <organization>/<project>/<stack>"],
    ),
    (
        "imageFromStack naming the stack itself",
        {"imageFromStack": "organization/library-infra/dev"},
        ["imageFromStack='organization/library-infra/dev' names this stack"],
    ),
    (
        "certificate that is not an ACM ARN",
        {"certificateArn": "arn:aws:iam::123456789012:server-certificate/x"},
        ["certificateArn='arn:aws:iam::123456789012:server-certificate/x' must be an ACM certificate ARN"],
    ),
    (
        "unknown deployment strategy",
        {"deploymentStrategy": "CANARY"},
        ["deploymentStrategy='CANARY'", "'ROLLING' or 'BLUE_GREEN'"],
    ),
    (
        "bake time beyond ECS's limit",
        {"bakeTimeMinutes": 21},
        ["bakeTimeMinutes=21 is more than a deploy can wait; use 0-20 minutes"],
    ),
    (
        "test listener on the production port",
        {"testListenerPort": 80},
        ["testListenerPort=80 must be a TCP port (1-65535) other than 80 and 443"],
    ),
    (
        "test listener CIDR with host bits",
        {"testListenerCidrs": ["10.0.0.1/8"]},
        ["testListenerCidrs has '10.0.0.1/8', which is not an IPv4 CIDR"],
    ),
    (
        "autoscaling minCount above maxCount",
        {"autoscaling": {"minCount": 3, "maxCount": 2, "cpuTarget": 50}, "desiredCount": 3},
        ["autoscaling.minCount=3 is above autoscaling.maxCount=2"],
    ),
    (
        "autoscaling CPU target above 100",
        {"autoscaling": {"minCount": 1, "maxCount": 2, "cpuTarget": 120}},
        ["autoscaling.cpuTarget=120 is not a utilization percentage; use 1-100"],
    ),
    (
        "autoscaling memory target of 0",
        {"autoscaling": {"minCount": 1, "maxCount": 2, "memoryTarget": 0}},
        ["autoscaling.memoryTarget=0 is not a utilization percentage; use 1-100"],
    ),
    (
        "autoscaling request target below 1",
        {"autoscaling": {"minCount": 1, "maxCount": 2, "requestsPerTarget": 0}},
        ["autoscaling.requestsPerTarget=0 must be at least 1"],
    ),
    (
        "autoscaling without a goal",
        {"autoscaling": {"minCount": 1, "maxCount": 2}},
        ["autoscaling needs at least one of cpuTarget, memoryTarget, requestsPerTarget"],
    ),
    (
        "desired count outside the autoscaling bounds",
        {"autoscaling": {"minCount": 2, "maxCount": 4, "cpuTarget": 50}},
        ["desiredCount=1 is outside autoscaling's minCount=2 and maxCount=4"],
    ),
    (
        "Spot in production",
        {"capacityProvider": "FARGATE_SPOT", "production": True},
        ["capacityProvider='FARGATE_SPOT' with production=true"],
    ),
    ("unknown CPU architecture", {"cpuArchitecture": "ARM"}, ["cpuArchitecture='ARM'", "'X86_64' or 'ARM64'"]),
    (
        "alarm topic that is not SNS",
        {"alarmTopicArn": "arn:aws:sqs:ap-northeast-2:123456789012:q"},
        ["alarmTopicArn='arn:aws:sqs:ap-northeast-2:123456789012:q' must be an SNS topic ARN"],
    ),
    (
        "requests per target with blue/green",
        {"deploymentStrategy": "BLUE_GREEN", "autoscaling": {"minCount": 1, "maxCount": 4, "requestsPerTarget": 100}},
        ["autoscaling.requestsPerTarget with deploymentStrategy=BLUE_GREEN", "Use cpuTarget or memoryTarget"],
    ),
    (
        "database named twice",
        {"databaseInstance": "library-db", "databaseSecurityGroupId": "sg-0db0db0db0db0db0d"},
        ["databaseSecurityGroupId and databaseInstance both name the database; set only one"],
    ),
    (
        "database group that is not a group id",
        {"databaseSecurityGroupId": "library-db-sg"},
        ["databaseSecurityGroupId='library-db-sg' is not a security group id"],
    ),
    (
        "database instance identifier RDS refuses",
        {"databaseInstance": "library--db"},
        ["databaseInstance='library--db' is not an RDS DB instance identifier"],
    ),
    ("database port out of range", {"databasePort": 70000}, ["databasePort=70000 is not a TCP port"]),
    (
        "stack-owned secret longer than SSM's standard tier",
        {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "p" * 4097}},
        ["secretValues.SPRING_DATASOURCE_PASSWORD is 4097 bytes; a standard SSM parameter holds at most 4096"],
    ),
    ("environment not an object", {"environment": "SPRING_PROFILES_ACTIVE=prod"}, ["environment is not valid JSON"]),
    # S3 lifecycle expiration: "The value must be a non-zero positive integer" (API_LifecycleExpiration).
    (
        "access-log retention of zero days",
        {"accessLogsRetentionDays": 0},
        ["accessLogsRetentionDays=0 is not a number of days S3 lifecycle expiration accepts; use a positive"],
    ),
    (
        "access-log retention past S3's 32-bit Days",
        {"accessLogsRetentionDays": 2**31},
        ["accessLogsRetentionDays=2147483648", "(1-2147483647)"],
    ),
    # S3 bucket naming rules (bucketnamingrules.html): lowercase, no '..', not an IP address, no reserved prefix.
    (
        "access-log bucket in capitals",
        {"accessLogsBucket": "My-Logs"},
        ["accessLogsBucket='My-Logs' is not a valid S3"],
    ),
    ("access-log bucket with two periods", {"accessLogsBucket": "logs..alb"}, ["two adjacent periods"]),
    ("access-log bucket like an IP address", {"accessLogsBucket": "192.168.5.4"}, ["formatted as an IP address"]),
    ("access-log bucket with a reserved prefix", {"accessLogsBucket": "xn--logs"}, ["a prefix AWS reserves"]),
    ("access-log bucket too short", {"accessLogsBucket": "ab"}, ["accessLogsBucket='ab' is not a valid S3 bucket"]),
    (
        "an alias instead of the logs key",
        {"logsKmsKeyArn": "arn:aws:kms:ap-northeast-2:123456789012:alias/logs"},
        ["logsKmsKeyArn='arn:aws:kms:ap-northeast-2:123456789012:alias/logs' must be a KMS key ARN"],
    ),
    (
        "a logs key of another region",
        {"logsKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666"},
        ["logsKmsKeyArn='arn:aws:kms:us-east-1:", "is in aws/us-east-1, but the stack deploys to aws/ap-northeast-2"],
    ),
    ("access logs written as on", {"accessLogs": "on"}, ["accessLogs='on' must be true or false"]),
    ("KMS encryption written as 1", {"kmsEncryption": "1"}, ["kmsEncryption='1' must be true or false"]),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_before_any_resource_with_a_message_naming_key_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as error:
        run_program("dev", overrides, secret_keys=("secretValues",) if "secretValues" in overrides else ())
    for text in expected:
        assert text in str(error.value)
    assert harness.last_monitor is not None
    assert harness.last_monitor.registered == []


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"cpu": "300", "containerPort": "0", "logRetentionDays": "45"}, "dev")
    message = str(error.value)
    assert "cpu=300" in message
    assert "containerPort=0" in message
    assert "logRetentionDays=45" in message


def test_secret_values_are_never_echoed_in_errors() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"secretValues": json.dumps({"BAD NAME": PASSWORD, "ORPHAN": PASSWORD})}, "dev")
    assert "BAD NAME" in str(error.value)
    assert PASSWORD not in str(error.value)


def test_settings_repr_hides_secret_values() -> None:
    settings = parse_settings({"secretValues": json.dumps({"SPRING_DATASOURCE_PASSWORD": PASSWORD})}, "dev")
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)


def test_a_stack_name_that_cannot_be_a_task_family_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"stack 'feature\.x' makes the task family 'library-feature\.x'"):
        parse_settings({}, "feature.x")


def fargate_sizes_documented() -> dict[int, set[int]]:
    """cpu -> memory (MiB) as AWS documents RegisterTaskDefinition's ``memory`` for Fargate, read from the ECS model
    botocore ships ("512 (0.5 GB), 1024 (1 GB), 2048 (2 GB) - Available cpu values: 256 (.25 vCPU)", "Between 16 GB
    and 60 GB in 4 GB increments - Available cpu values: 8192 (8 vCPU)", ...)."""
    operation = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition")
    table: dict[int, set[int]] = {}
    for item in re.findall(r"<li>(.*?)</li>", operation.input_shape.members["memory"].documentation, flags=re.S):
        spec, _, cpu = re.sub(r"<[^>]+>", "", item).partition(" - Available cpu values: ")
        if not cpu:
            continue
        if m := re.search(r"Between (\d+) \(\d+ GB\) and (\d+) \(\d+ GB\) in increments of (\d+)", spec):
            low, high, step = map(int, m.groups())
        elif m := re.search(r"Between (\d+) ?GB and (\d+) ?GB in (\d+) ?GB increments", spec):
            low, high, step = (int(g) * 1024 for g in m.groups())
        else:
            table[int(cpu.split()[0])] = {int(v) for v in re.findall(r"(\d+) \(\d*\.?\d+ GB\)", spec)}
            continue
        table[int(cpu.split()[0])] = set(range(low, high + 1, step))
    return table


def test_settings_accept_exactly_the_fargate_sizes_aws_documents() -> None:
    documented = fargate_sizes_documented()
    assert len(documented) == 7  # .25 to 16 vCPU: the documentation was read whole
    assert {cpu: set(memories) for cpu, memories in FARGATE_SIZES.items()} == documented
    for cpu, memories in documented.items():
        for memory in (min(memories), max(memories)):
            assert parse_settings({"cpu": str(cpu), "memory": str(memory)}, "dev").memory == memory
        for memory in (min(memories) - 1024, max(memories) + 1024):
            with pytest.raises(ConfigError, match="memory"):
                parse_settings({"cpu": str(cpu), "memory": str(memory)}, "dev")


def test_environment_numbers_and_booleans_become_strings() -> None:
    settings = parse_settings({"environment": json.dumps({"SPRING_JPA_SHOW_SQL": True, "POOL": 5})}, "dev")
    assert settings.environment == {"SPRING_JPA_SHOW_SQL": "true", "POOL": "5"}


def test_empty_optional_strings_mean_unset_and_the_keys_after_them_are_still_read() -> None:
    # Pulumi.yaml declares these keys with "" (a declared key without a default is required), so the CLI passes ""
    # for every one not set; the keys that come after it in the config must still count.
    raw = {
        "kmsKeyArn": "",
        "appName": "catalog",
        "desiredCount": "3",
        "imageUri": "",
        "vpcId": "",
        "subnetIds": "[]",
        "logRetentionDays": "14",
        "alarmTopicArn": "",
        "cpuArchitecture": "ARM64",
    }
    settings = parse_settings(raw, "dev")
    assert (settings.kms_key_arn, settings.image_uri, settings.vpc_id, settings.alarm_topic_arn) == (None,) * 4
    assert settings.subnet_ids == ()
    defaults = Settings(stack="dev")
    read = (settings.app_name, settings.desired_count, settings.log_retention_days, settings.cpu_architecture)
    unset = (defaults.app_name, defaults.desired_count, defaults.log_retention_days, defaults.cpu_architecture)
    assert read == ("catalog", 3, 14, "ARM64")
    assert all(r != u for r, u in zip(read, unset, strict=True))  # each read value tells "read" from "default"


def test_pulumi_yaml_declares_every_scalar_key_with_the_programs_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    defaults = Settings(stack="dev")
    objects = {"environment", "secrets", "secretValues", "autoscaling"}
    assert set(declared) == set(config_keys()) - objects
    for key, declaration in declared.items():
        assert {"type", "description", "default"} <= set(declaration), key
        field = next(n for n, f in Settings.model_fields.items() if f.alias == key)
        value = getattr(defaults, field)
        if value is None:
            assert declaration["default"] == "", key  # declared optional keys default to "" (unset)
        else:
            assert declaration["default"] == (list(value) if isinstance(value, tuple) else value), key


# Pulumi's JSON schema for Pulumi.yaml (pulumi/pulumi, sdk/go/common/workspace/project.json). The repository does
# not vendor it: the test reads it from PULUMI_PROJECT_SCHEMA, or from the shared schemas beside the checkout (or
# beside the one it was cloned from).
PROJECT_SCHEMA_VARIABLE = "PULUMI_PROJECT_SCHEMA"
SHARED_SCHEMA = Path("shared") / "schemas" / "pulumi-project.json"


def _checkouts() -> list[Path]:
    """This checkout, and the one it was cloned from when that is a local path (CI clones the working copy)."""
    origin = subprocess.run(
        ["git", "config", "--get", "remote.origin.url"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return [ROOT] + ([Path(origin)] if origin.startswith("/") else [])


def pulumi_project_schema() -> Path:
    configured = os.environ.get(PROJECT_SCHEMA_VARIABLE)
    if configured:
        assert Path(configured).is_file(), f"{PROJECT_SCHEMA_VARIABLE}={configured} is not a file"
        return Path(configured)
    places = [checkout.parent / SHARED_SCHEMA for checkout in _checkouts()]
    for place in places:
        if place.is_file():
            return place
    pytest.skip(
        f"Pulumi's project schema is not on this machine: not at {', '.join(map(str, places))} and "
        f"{PROJECT_SCHEMA_VARIABLE} is unset; set {PROJECT_SCHEMA_VARIABLE} to a copy of pulumi/pulumi's "
        "sdk/go/common/workspace/project.json to run this check"
    )


def test_project_files_are_valid_against_pulumis_project_schema() -> None:
    schema = json.loads(pulumi_project_schema().read_text())
    for project in (ROOT / "Pulumi.yaml", ROOT / "bootstrap" / "Pulumi.yaml"):
        jsonschema.validate(yaml.safe_load(project.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError, match="'runtime' is a required property"):
        jsonschema.validate({"name": "library-infra"}, schema)  # the schema is the real one, and it bites


def test_log_retention_values_are_the_ones_cloudwatch_documents() -> None:
    model = service_model("logs")
    documented = model.shape_for("Days").documentation
    listed = documented.split("Possible values are:")[1].split(".")[0]
    values = tuple(int(v) for v in listed.replace("and", ",").replace(" ", "").split(",") if v)
    assert values == LOG_RETENTION_DAYS


def test_dev_stack_holds_the_values_from_the_log() -> None:
    stack = yaml.safe_load(Path(ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert stack["aws:region"] == "ap-northeast-2"
    settings = parse_settings(
        {k.split(":", 1)[1]: v for k, v in stack.items() if k.startswith("library-infra:")}, "dev"
    )
    assert settings.environment == {"SPRING_PROFILES_ACTIVE": "prod", "SPRING_JPA_HIBERNATE_DDL_AUTO": "update"}
    assert settings.secrets == {
        "SPRING_DATASOURCE_URL": "/library/db/url",
        "SPRING_DATASOURCE_USERNAME": "/library/db/username",
        "SPRING_DATASOURCE_PASSWORD": "/library/db/password",
    }
    assert (settings.container_port, settings.cpu, settings.memory, settings.desired_count) == (8081, 256, 512, 1)
    assert settings.repository_name == "library-management-system"
    assert settings.family == "library-dev"
    assert settings.container_name == "library-app"


def test_readme_documents_every_config_key() -> None:
    readme = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \| (?:string|integer|boolean|object|array)", readme, flags=re.MULTILINE))
    assert set(config_keys()) <= documented


def test_an_image_from_another_project_of_the_same_stack_name_is_accepted() -> None:
    settings = parse_settings({"imageFromStack": "organization/other-project/dev"}, "dev")
    assert settings.image_from_stack == "organization/other-project/dev"
    with pytest.raises(ConfigError, match="names this stack"):
        parse_settings({"imageFromStack": "organization/library-infra/dev"}, "dev")


def test_a_public_ecr_image_pinned_by_digest_is_accepted() -> None:
    image = "public.ecr.aws/docker/library/eclipse-temurin@sha256:" + "b" * 64
    assert parse_settings({"imageUri": image}, "dev").image_uri == image


def test_type_errors_say_what_is_allowed_in_the_programs_words() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"autoscaling": json.dumps({"minCount": 1, "maxcount": 2, "cpuTarget": "high"})}, "dev")
    message = str(error.value)
    assert "autoscaling.maxCount is required" in message  # not the whole object as its value
    assert "autoscaling.maxcount is not a setting of autoscaling; did you mean autoscaling.maxCount?" in message
    assert "autoscaling.cpuTarget='high' must be a number" in message
    assert "Autoscaling" not in message  # no class names


def test_a_huge_value_is_shown_cut_to_120_characters() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"appName": "x" * 100_000}, "dev")
    [line] = [line for line in str(error.value).splitlines() if "appName=" in line]
    assert len(line) < 400
    assert "(100002 characters)" in line


def test_one_bad_key_hides_no_check_that_involves_the_others() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"containerPort": "http", "capacityProvider": "FARGATE_SPOT", "production": True}, "dev")
    message = str(error.value)
    assert "containerPort='http' must be a whole number" in message
    assert "capacityProvider='FARGATE_SPOT' with production=true" in message


def test_the_readme_promises_what_a_refusal_holds() -> None:
    """README: "a message that names the key, the value and what is allowed, and a misspelt key is reported with a
    suggestion". Held here on one refusal of each kind."""
    readme = (ROOT / "docs" / "configuration.md").read_text()
    assert "names the key, the value and what is allowed" in readme
    assert "a misspelt key is reported with a suggestion" in readme
    with pytest.raises(ConfigError) as error:
        parse_settings({"cpu": "300", "contanerPort": "8081"}, "dev")
    lines = str(error.value).splitlines()[1:]
    assert any("library-infra:cpu=300 is not a Fargate size; use one of 256, 512, 1024" in line for line in lines)
    assert any("contanerPort is not a setting of this program; did you mean containerPort?" in line for line in lines)


def test_production_holds_no_credential_a_pull_request_preview_could_decrypt() -> None:
    with pytest.raises(ConfigError, match="secretValues cannot be used with production: true") as refused:
        parse_settings(
            {"production": "true", "secretValues": '{"SPRING_DATASOURCE_PASSWORD": "x"}'},
            stack="prod",
            secret_keys=frozenset({"secretValues"}),
        )
    assert "put-parameter --type SecureString" in str(refused.value)


def test_the_settings_cannot_be_changed_once_validated() -> None:
    # Validated settings are passed to the components (STYLE.md): none of them may change what another reads later.
    settings = parse_settings({"autoscaling": '{"minCount": 1, "maxCount": 3, "cpuTarget": 60}'}, "dev")
    with pytest.raises(ValidationError, match="frozen"):
        settings.cpu = 512  # type: ignore[misc]
    assert settings.autoscaling is not None
    with pytest.raises(ValidationError, match="frozen"):
        settings.autoscaling.max_count = 9  # type: ignore[misc]
