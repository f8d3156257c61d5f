"""Every way the settings refuse a configuration, and the exact words each refusal says.

One bad configuration per refusal of ``stack_support/settings.py``: every ``raise ValueError`` of a validator, every
problem the checks across keys append, every pydantic error type the program words itself (``_TYPE_WORDS``), the
unknown key with and without a "did you mean", JSON that does not parse, a value outside a fixed set, a missing
setting, the build's and the repository's checks, and the masking of secret values. Each runs through
``parse_settings`` as the CLI would pass it (strings; objects and lists as JSON), and the whole refusal is compared
with ``tests/snapshots/refusals.txt``, a block per case: its name, then the message. A changed word anywhere fails,
with the difference and how to regenerate the snapshot after a deliberate change:
``UPDATE_REFUSAL_SNAPSHOTS=1 venv/bin/pytest tests/test_refusal_messages.py`` (without the variable nothing is
written).

What the README promises of every refusal is held for every case as well: each problem is a line of its own that
names the public key, ``library-infra:<key>`` (a misspelt key is named as it was written, with a suggestion).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stack_support import settings as settings_module
from stack_support.settings import ConfigError, parse_settings
from tests.harness import PROBLEM_KEY, REFUSAL_HEADER, ROOT, as_cli_strings, problem_lines

SNAPSHOT = ROOT / "tests" / "snapshots" / "refusals.txt"
UPDATE = "UPDATE_REFUSAL_SNAPSHOTS"
REGENERATE = f"{UPDATE}=1 venv/bin/pytest tests/test_refusal_messages.py"
ACCOUNT = "123456789012"
REGION = "ap-northeast-2"
DIGEST = "a" * 64
VPC = "vpc-07dd414387be45a0f"
SUBNETS = ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"]
# The build the project fixture holds: a non-root image whose context needs the Gradle wrapper, build.gradle, src/.
DOCKERFILE = "FROM eclipse-temurin:17-jdk-jammy\nCOPY gradlew build.gradle ./\nCOPY src ./src\nUSER 10001\n"


@dataclass(frozen=True)
class Case:
    name: str
    config: Mapping[str, Any]
    stack: str = "dev"
    secret_keys: tuple[str, ...] = ()
    project: bool = False
    """Parse with a project directory (the tests' own, see :func:`project`), so the build and the repository are
    checked too."""


def autoscaling(**values: Any) -> dict[str, Any]:
    return {"autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 50, **values}}


CASES: list[Case] = [
    # --- one key at a time: each validator's refusal -------------------------------------------------------------
    Case("assignPublicIp neither true nor false", {"assignPublicIp": "yes"}),
    Case("production neither true nor false", {"production": "TRUE"}),
    Case("accessLogs neither true nor false", {"accessLogs": "on"}),
    Case("kmsEncryption neither true nor false", {"kmsEncryption": "1"}),
    Case("appName with capitals", {"appName": "Library"}),
    Case("appName too long", {"appName": "a" * 21}),
    Case("appName internal", {"appName": "internal"}),
    Case("appName starting internal-", {"appName": "internal-app"}),
    Case("containerPort zero", {"containerPort": "0"}),
    Case("containerPort above 65535", {"containerPort": "65536"}),
    Case("cpu not a Fargate size", {"cpu": "300"}),
    Case("desiredCount negative", {"desiredCount": "-1"}),
    Case("desiredCount over ECS's quota", {"desiredCount": "5001"}),
    Case("healthCheckPath without a leading slash", {"healthCheckPath": "actuator/health"}),
    Case("healthCheckPath with shell characters", {"healthCheckPath": "/health;reboot"}),
    Case("healthCheckPath too long", {"healthCheckPath": "/" + "h" * 1024}),
    Case("healthCheckStartPeriod negative", {"healthCheckStartPeriod": "-1"}),
    Case("healthCheckStartPeriod over 300", {"healthCheckStartPeriod": "301"}),
    Case("environment value null", {"environment": {"APP_MODE": None}}),
    Case("environment value an object", {"environment": {"APP_MODE": {"nested": "x"}}}),
    Case("environment value a list", {"environment": {"APP_MODE": ["x"]}}),
    Case("environment variable name with a space", {"environment": {"SPRING PROFILE": "prod"}}),
    Case("environment variable that looks like a credential", {"environment": {"API_TOKEN": "x"}}),
    Case("environment variable ending in KEY", {"environment": {"STRIPE_KEY": "x"}}),
    Case("environment variable with PASSWORD", {"environment": {"DB_PASSWORD": "x"}}),
    Case("environment variable with PASSWD", {"environment": {"DB_PASSWD": "x"}}),
    Case("environment variable with PWD", {"environment": {"DB_PWD": "x"}}),
    Case("environment variable with SECRET", {"environment": {"CLIENT_SECRET": "x"}}),
    Case("environment variable with CREDENTIALS", {"environment": {"GOOGLE_CREDENTIALS": "x"}}),
    Case("environment variable with APIKEY", {"environment": {"MAPS_APIKEY": "x"}}),
    Case("environment variable in lower case with token", {"environment": {"github_token": "x"}}),
    Case("secrets variable name starting with a digit", {"secrets": {"1DB": "/library/db/url"}}),
    Case("secrets parameter without a leading slash", {"secrets": {"DB_URL": "library/db/url"}}),
    Case("secrets parameter with a space", {"secrets": {"DB_URL": "/library/db url"}}),
    Case("secrets parameter with an empty level", {"secrets": {"DB_URL": "/library//url"}}),
    Case("secrets parameter longer than SSM allows", {"secrets": {"DB_URL": "/" + "p" * 1011}}),
    Case("secrets parameter 16 levels deep", {"secrets": {"DB_URL": "/l" * 16}}),
    Case("secrets parameter under /aws", {"secrets": {"DB_URL": "/aws/reference/db"}}),
    Case("secrets parameter under /SSM", {"secrets": {"DB_URL": "/SSM/db"}}),
    Case("secretValues variable name with a dash", {"secretValues": {"DB-PASSWORD": "x"}}),
    Case("secretValues empty", {"secretValues": {"SPRING_DATASOURCE_PASSWORD": ""}}),
    Case("secretValues over 4096 bytes", {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "é" * 2049}}),
    Case("kmsKeyArn an alias", {"kmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/ssm"}),
    Case("logsKmsKeyArn an alias", {"logsKmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/logs"}),
    Case("accessLogsBucket in capitals", {"accessLogsBucket": "My-Logs"}),
    Case("accessLogsBucket with two periods", {"accessLogsBucket": "logs..alb"}),
    Case("accessLogsBucket like an IP address", {"accessLogsBucket": "192.168.5.4"}),
    Case("accessLogsBucket with a reserved prefix", {"accessLogsBucket": "sthree-logs"}),
    Case("accessLogsBucket with a reserved suffix", {"accessLogsBucket": "logs--table-s3"}),
    Case("accessLogsRetentionDays zero", {"accessLogsRetentionDays": "0"}),
    Case("permissionsBoundaryArn of a role", {"permissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:role/boundary"}),
    Case("repositoryName with capitals", {"repositoryName": "Library"}),
    Case("repositoryName of one character", {"repositoryName": "r"}),
    Case("imageUri by tag", {"imageUri": "nginx:latest"}),
    Case("imageFromStack not fully qualified", {"imageFromStack": "dev"}),
    Case("certificateArn of IAM", {"certificateArn": f"arn:aws:iam::{ACCOUNT}:server-certificate/x"}),
    Case("bakeTimeMinutes negative", {"bakeTimeMinutes": "-1"}),
    Case("bakeTimeMinutes beyond the CI budget", {"bakeTimeMinutes": "21"}),
    Case("testListenerPort 80", {"testListenerPort": "80"}),
    Case("testListenerPort 443", {"testListenerPort": "443"}),
    Case("testListenerPort zero", {"testListenerPort": "0"}),
    Case("testListenerCidrs with host bits", {"testListenerCidrs": ["10.0.0.1/8"]}),
    Case("testListenerCidrs IPv6", {"testListenerCidrs": ["2001:db8::/32"]}),
    Case("alarmTopicArn of SQS", {"alarmTopicArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}),
    Case("vpcId malformed", {"vpcId": "vpc-1", "subnetIds": SUBNETS}),
    Case("subnetIds malformed", {"vpcId": VPC, "subnetIds": ["subnet-1", SUBNETS[0]]}),
    Case("subnetIds listing one twice", {"vpcId": VPC, "subnetIds": [SUBNETS[0], SUBNETS[0]]}),
    Case(
        "loadBalancerSubnetIds malformed",
        {"vpcId": VPC, "subnetIds": SUBNETS, "loadBalancerSubnetIds": ["igw-1", SUBNETS[0]]},
    ),
    Case(
        "loadBalancerSubnetIds listing one twice",
        {"vpcId": VPC, "subnetIds": SUBNETS, "loadBalancerSubnetIds": [SUBNETS[1], SUBNETS[1]]},
    ),
    Case("databaseSecurityGroupId a name", {"databaseSecurityGroupId": "library-db-sg"}),
    Case("databasePort zero", {"databasePort": "0"}),
    Case("databaseInstance with two hyphens", {"databaseInstance": "library--db"}),
    Case("logRetentionDays CloudWatch does not accept", {"logRetentionDays": "45"}),
    # --- autoscaling ---------------------------------------------------------------------------------------------
    Case("autoscaling minCount negative", autoscaling(minCount=-1)),
    Case("autoscaling maxCount over ECS's quota", autoscaling(maxCount=5001)),
    Case("autoscaling minCount above maxCount", {**autoscaling(minCount=3, maxCount=2), "desiredCount": "2"}),
    Case("autoscaling cpuTarget over 100", autoscaling(cpuTarget=100.5)),
    Case("autoscaling memoryTarget zero", autoscaling(memoryTarget=0)),
    Case("autoscaling requestsPerTarget zero", autoscaling(requestsPerTarget=0)),
    Case("autoscaling without a goal", {"autoscaling": {"minCount": 1, "maxCount": 4}}),
    Case("autoscaling with every bound broken", {"autoscaling": {"minCount": -1, "maxCount": -2}}),
    Case("autoscaling missing maxCount", {"autoscaling": {"minCount": 1, "cpuTarget": 50}}),
    Case("autoscaling misspelt key", autoscaling(maxcount=3)),
    Case("autoscaling unknown key", autoscaling(scaleInCooldown=60)),
    # --- the program's words for pydantic's type errors (_TYPE_WORDS) -----------------------------------------------
    Case("int_parsing: containerPort not a number", {"containerPort": "http"}),
    Case("int_type: autoscaling maxCount a list", autoscaling(maxCount=[4])),
    Case("int_from_float: autoscaling minCount 1.5", autoscaling(minCount=1.5)),
    Case("float_parsing: autoscaling cpuTarget a word", autoscaling(cpuTarget="high")),
    Case("float_type: autoscaling memoryTarget an object", autoscaling(memoryTarget={"value": 70})),
    Case("string_type: a secrets parameter a number", {"secrets": {"DB_URL": 5}}),
    Case("string_type: a secretValues value a number", {"secretValues": {"SPRING_DATASOURCE_PASSWORD": 12345}}),
    Case("dict_type: environment a list", {"environment": ["SPRING_PROFILES_ACTIVE=prod"]}),
    Case("dict_type: secretValues a list", {"secretValues": ["x"]}),
    Case("model_type: autoscaling a list", {"autoscaling": [1, 4]}),
    Case("tuple_type: subnetIds an object", {"vpcId": VPC, "subnetIds": {"a": SUBNETS[0]}}),
    # --- a value outside a fixed set, JSON that does not parse, a key that does not exist ---------------------------
    Case("deploymentStrategy unknown", {"deploymentStrategy": "CANARY"}),
    Case("cpuArchitecture unknown", {"cpuArchitecture": "ARM"}),
    Case("capacityProvider unknown", {"capacityProvider": "SPOT"}),
    Case("environment not JSON", {"environment": "SPRING_PROFILES_ACTIVE=prod"}),
    Case("autoscaling not JSON", {"autoscaling": "{minCount: 1}"}),
    Case("misspelt key", {"contanerPort": "8081"}),
    Case("unknown key like none", {"zzz": "1"}),
    # --- checks across keys --------------------------------------------------------------------------------------
    Case("cpu and memory not a Fargate pair", {"cpu": "256", "memory": "4096"}),
    Case("cpu of 4096 with too little memory", {"cpu": "4096", "memory": "4096"}),
    Case("secretValues without a secrets entry", {"secretValues": {"API_TOKEN": "t0ken-value"}}),
    Case("SERVER_PORT that differs from containerPort", {"environment": {"SERVER_PORT": "8080"}}),
    Case("a variable both plain and secret", {"environment": {"SPRING_DATASOURCE_URL": "jdbc:h2:mem:x"}}),
    Case("vpcId without subnetIds", {"vpcId": VPC}),
    Case("subnetIds without vpcId", {"subnetIds": SUBNETS}),
    Case("one subnet", {"vpcId": VPC, "subnetIds": SUBNETS[:1]}),
    Case("loadBalancerSubnetIds in the default VPC", {"loadBalancerSubnetIds": SUBNETS}),
    Case(
        "one loadBalancerSubnetIds subnet",
        {"vpcId": VPC, "subnetIds": SUBNETS, "loadBalancerSubnetIds": SUBNETS[1:]},
    ),
    Case("Spot in production", {"capacityProvider": "FARGATE_SPOT", "production": "true"}),
    Case("desiredCount below autoscaling's minCount", autoscaling(minCount=2)),
    Case("desiredCount above autoscaling's maxCount", {**autoscaling(maxCount=2), "desiredCount": "3"}),
    Case(
        "requestsPerTarget with blue/green",
        {"deploymentStrategy": "BLUE_GREEN", **autoscaling(requestsPerTarget=100)},
    ),
    Case("no public IP in the default VPC", {"assignPublicIp": "false"}),
    Case(
        "two secretValues on one parameter",
        {
            "secrets": {"A_PASSWORD": "/library/db/shared", "B_PASSWORD": "/library/db/shared"},
            "secretValues": {"A_PASSWORD": "one-value", "B_PASSWORD": "other-value"},
        },
    ),
    Case("task definition over 64 KiB", {"environment": {f"VAR_{i}": "v" * 1000 for i in range(70)}}),
    Case("database named twice", {"databaseInstance": "library-db", "databaseSecurityGroupId": "sg-0db0db0db0db0db0d"}),
    Case(
        "secretValues in production",
        {"production": "true", "secretValues": {"SPRING_DATASOURCE_PASSWORD": "pr0d-password"}},
        stack="prod",
        secret_keys=("secretValues",),
    ),
    Case("imageFromStack naming this stack", {"imageFromStack": "organization/library-infra/dev"}),
    Case("a stack name no task family can hold", {}, stack="feature.x"),
    Case(
        "one bad key and a check across two others",
        {"containerPort": "http", "capacityProvider": "FARGATE_SPOT", "production": "true"},
    ),
    Case(
        "a bad autoscaling hides no check across two others",
        {**autoscaling(minCount="one"), "capacityProvider": "FARGATE_SPOT", "production": "true"},
    ),
    Case(
        "two checks across keys at once",
        {"vpcId": VPC, "capacityProvider": "FARGATE_SPOT", "production": "true"},
    ),
    Case("an unknown key hides no other problem", {"zzz": "1", "cpu": "300"}),
    Case("JSON that does not parse hides no other problem", {"environment": "x=1", "cpu": "300"}),
    Case(
        "a check that names a key which failed alone is left out",
        {"vpcId": "vpc-1", "assignPublicIp": "false"},
    ),
    # --- the build and the repository (with a project directory) ---------------------------------------------------
    Case("dockerfile that does not exist", {"dockerfile": "docker/Dockerfile.app"}, project=True),
    Case("containerPort below 1024 for a non-root image", {"containerPort": "80"}, project=True),
    Case("dockerContext that does not exist", {"dockerContext": "no-such-app"}, project=True),
    Case("dockerContext without the Gradle build", {"dockerContext": "half-app"}, project=True),
    Case(
        "repositoryName of another stack's repository",
        {"repositoryName": "library-management-system-staging"},
        project=True,
    ),
    Case("default repository another stack names", {}, stack="qa", project=True),
    # --- secrets stay secret --------------------------------------------------------------------------------------
    Case("environment set as a secret", {"environment": {"APP_MODE": "x"}}, secret_keys=("environment",)),
    Case("a secret appName is masked", {"appName": "Sec-Ret"}, secret_keys=("appName",)),
    Case("a secret is masked as the message quotes it", {"appName": "It's\\me"}, secret_keys=("appName",)),
    Case("a secret of two characters is not masked", {"appName": "AB"}, secret_keys=("appName",)),
    Case("a secret of three characters is masked", {"appName": "ABC"}, secret_keys=("appName",)),
    Case(
        "a secret inside another is masked whole, the longest first",
        {"appName": "hunter2", "secrets": {"DB_PASSWORD": "a-hunter2"}},
        secret_keys=("appName", "secrets"),
    ),
    Case(
        "a secret list is masked",
        {"testListenerCidrs": ["10.0.0.1/8"]},
        secret_keys=("testListenerCidrs",),
    ),
    Case(
        "a secret number is masked",
        autoscaling(minCount=-1234),
        secret_keys=("autoscaling",),
    ),
    Case(
        "secretValues are never echoed",
        {"secretValues": {"BAD NAME": "s3cr3t-value"}},
        secret_keys=("secretValues",),
    ),
    Case("a huge value is cut to 120 characters", {"appName": "x" * 1000}),
    Case("a value of 120 characters is shown whole", {"appName": "X" * 118}),
    Case("a value of 121 characters is cut", {"appName": "X" * 119}),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory of the tests' own: a non-root Dockerfile, the application in app/ and a start of it in
    half-app/, and stack files: dev's own, staging (creates library-management-system-staging), other (creates the
    repository it names, library-management-system-qa) and qa-pushed (deploys a pushed image: creates none)."""
    directory = tmp_path_factory.mktemp("project")
    (directory / "Dockerfile").write_text(DOCKERFILE)
    shutil.copytree(ROOT / "tests" / "fixtures" / "app", directory / "app")
    (directory / "half-app").mkdir()
    (directory / "half-app" / "gradlew").write_text("#!/bin/sh\n")
    (directory / "Pulumi.staging.yaml").write_text("config:\n  library-infra:appName: library\n")
    (directory / "Pulumi.dev.yaml").write_text("config: {}\n")
    (directory / "Pulumi.qa-pushed.yaml").write_text(
        "config:\n  library-infra:imageUri: example.com/app@sha256:" + DIGEST + "\n"
    )
    (directory / "Pulumi.other.yaml").write_text(
        "config:\n  library-infra:repositoryName: library-management-system-qa\n"
    )
    return directory


def refusal_of(case: Case, project_dir: Path | None) -> str:
    raw = as_cli_strings(case.config)
    with pytest.raises(ConfigError) as refused:
        parse_settings(raw, case.stack, project_dir if case.project else None, case.secret_keys)
    return str(refused.value)


@dataclass
class Rendered:
    messages: dict[str, str]
    error_types: set[str]
    """The pydantic error types the program had to word (what ``_format`` was given)."""


@pytest.fixture(scope="module")
def rendered(project: Path) -> Rendered:
    """Every case's refusal, with the pydantic error types seen on the way. Outside GitHub Actions, as on a
    developer's machine: a missing application's advice depends on it (app_source.how_to_provide)."""
    seen: set[str] = set()
    original = settings_module._format

    def recording(errors: Any) -> list[str]:
        errors = list(errors)
        seen.update(e["type"] for e in errors)
        return original(errors)

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GITHUB_ACTIONS", raising=False)
        patch.setattr(settings_module, "_format", recording)
        messages = {case.name: refusal_of(case, project) for case in CASES}
    return Rendered(messages, seen)


def render(messages: Mapping[str, str]) -> str:
    blocks = [f"== {name}\n{message}\n" for name, message in messages.items()]
    intro = (
        "# The refusal of each case of tests/test_refusal_messages.py, exactly as the program stops with it.\n"
        f"# Regenerate after a deliberate change: {REGENERATE}\n"
    )
    return intro + "\n" + "\n".join(blocks)


def blocks_of(text: str) -> dict[str, str]:
    found = {}
    for block in re.split(r"^== ", text, flags=re.MULTILINE)[1:]:
        name, _, message = block.partition("\n")
        found[name] = message.rstrip("\n")
    return found


def snapshot_changes(pinned: str, current: str) -> str:
    """What differs between the snapshot and the refusals now, case by case; "" when nothing."""
    before, after = blocks_of(pinned), blocks_of(current)
    report = []
    for name in list(after) + [n for n in before if n not in after]:
        if before.get(name) != after.get(name):
            diff = difflib.unified_diff(
                (before.get(name) or "").splitlines(),
                (after.get(name) or "").splitlines(),
                f"{name} (snapshot)" if name in before else "(no such case in the snapshot)",
                f"{name} (now)" if name in after else "(no such case any more)",
                lineterm="",
            )
            report.append("\n".join(diff))
    if not report:
        return ""
    return (
        f"The refusals differ from {SNAPSHOT.relative_to(ROOT)}:\n\n"
        + "\n\n".join(report)
        + f"\n\nIf the change is deliberate, regenerate the snapshot: {REGENERATE}"
    )


def test_every_refusal_reads_exactly_as_its_snapshot(rendered: Rendered) -> None:
    current = render(rendered.messages)
    if os.environ.get(UPDATE):
        SNAPSHOT.write_text(current)
    pinned = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    changes = snapshot_changes(pinned, current)
    assert not changes, changes


def test_a_changed_word_is_reported_with_the_case_and_how_to_regenerate() -> None:
    pinned = render({"a case": REFUSAL_HEADER + "library-infra:cpu=300 is not a Fargate size"})
    current = render({"a case": REFUSAL_HEADER + "library-infra:cpu=300 is not a Fargate sise"})
    report = snapshot_changes(pinned, current)
    assert "-  - library-infra:cpu=300 is not a Fargate size" in report
    assert "+  - library-infra:cpu=300 is not a Fargate sise" in report
    assert REGENERATE in report
    assert snapshot_changes(pinned, pinned) == ""
    assert "(no such case any more)" in snapshot_changes(pinned, render({}))


def test_case_names_are_unique_so_no_block_hides_another() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


def public_keys() -> set[str]:
    """The keys docs/configuration.md documents, as the README's promise is about them."""
    documentation = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(r"^\| `(\w+)` \| (?:string|integer|boolean|object|array)", documentation, flags=re.M))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_problem_is_a_line_of_its_own_that_names_the_key(case: Case, rendered: Rendered) -> None:
    message = rendered.messages[case.name]
    assert message.startswith(REFUSAL_HEADER)
    keys = public_keys() | set(case.config)  # a misspelt key is named as the user wrote it
    for line in problem_lines(message):
        named = PROBLEM_KEY.match(line)
        assert named is not None, line
        assert named[1] in keys, line
        assert "\n" not in line


def test_no_refusal_speaks_pydantic_or_python(rendered: Rendered) -> None:
    """Every type error is worded by the program: pydantic's own words, or a class name, would mean a
    ``_TYPE_WORDS`` entry no longer matches the error it is for."""
    for name, message in rendered.messages.items():
        for words in ("Input should be", "validation error", "Autoscaling", "Settings", "type=", "Value error"):
            assert words not in message, (name, message)


def test_every_type_the_program_words_is_reached_by_a_case(rendered: Rendered) -> None:
    assert sorted(set(settings_module._TYPE_WORDS) - rendered.error_types) == []


def test_no_secret_value_is_shown_and_one_of_two_characters_is(rendered: Rendered) -> None:
    """A value of a secret key never appears, in whatever quoting; values under 3 characters are left alone (masking
    every "1" would garble the message and hide nothing)."""
    masked = rendered.messages["a secret appName is masked"]
    assert "Sec-Ret" not in masked
    assert "appName='[secret]' must be" in masked
    assert 'appName="[secret]" must be' in rendered.messages["a secret is masked as the message quotes it"]
    assert "appName='AB' must be" in rendered.messages["a secret of two characters is not masked"]
    assert "appName='[secret]' must be" in rendered.messages["a secret of three characters is masked"]
    assert "10.0.0.1" not in rendered.messages["a secret list is masked"]
    assert "1234" not in rendered.messages["a secret number is masked"]
    inner = rendered.messages["a secret inside another is masked whole, the longest first"]
    assert "secrets.DB_PASSWORD='[secret]' must be" in inner  # not 'a-[secret]'
    assert "s3cr3t-value" not in rendered.messages["secretValues are never echoed"]
    assert "pr0d-password" not in rendered.messages["secretValues in production"]
