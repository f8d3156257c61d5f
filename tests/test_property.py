"""A property of the whole program (issue 10, point 4): any configuration is refused, or deploys what AWS accepts.

Hypothesis generates configurations of the public keys, valid and invalid. The program is held to one rule: it
raises ConfigError and every problem line names a key (``library-infra:<key>``, possibly with a ``.path``), or it
runs under the mocks and everything it registers passes the existing AWS oracles: the container definition against
botocore's ECS model, AWS's name limits, the task definition size, and cfn-lint. Any other exception fails.

Derandomized, so CI sees the same examples every run. PROPERTY_EXAMPLES sets how many (default 6, for
``make test``); ``PROPERTY_EXAMPLES=500`` runs a longer search.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack_support.settings import (
    FARGATE_SIZES,
    LOG_RETENTION_DAYS,
    MAX_BAKE_MINUTES,
    MAX_TASK_DEFINITION_BYTES,
    NAMESPACE,
    ConfigError,
    config_keys,
    parse_settings,
    task_definition_bytes,
)
from tests.harness import (
    DB_INSTANCE,
    PROBLEM_KEY,
    Deployment,
    as_cli_strings,
    problem_lines,
    run_program,
    stack_config,
)
from tests.test_aws_models import api_errors, register_task_definition_request
from tests.test_cloudformation_schemas import lint_deployment
from tests.test_names_fit import name_problems

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "6"))
STACK = "dev"
ACCOUNT = "123456789012"
REGION = "ap-northeast-2"  # the dev stack's

# --- what is generated ---------------------------------------------------------------------------------------
# Any character, those beyond U+FFFF included (PROPERTY_EXAMPLES=400 once found that the cfn-lint oracle refused
# them as surrogate pairs; the oracle now lints the template as UTF-8).
ANY_TEXT = st.characters()
WRONG_STRINGS = st.sampled_from(["", "abc", "1.5", "yes", " 1", "TRUE", "null"])


def ints(valid: st.SearchStrategy[int], invalid: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, invalid, WRONG_STRINGS)


BOOLEANS = st.sampled_from([True, False, "true", "false", "True", "False", "yes", "TRUE", "1", "on", ""])

# Names of variables: a pool shared by environment and secrets (so they can meet), plus any the regex allows.
VARIABLE_NAMES = st.one_of(
    st.sampled_from(
        [
            "SPRING_PROFILES_ACTIVE",
            "JAVA_OPTS",
            "SERVER_PORT",
            "_X",
            "a1",
            "CACHE_KEY_PREFIX",
            "SPRING_DATASOURCE_URL",  # also one of the dev stack's secrets
            "DB_PASSWORD",
            "API_KEY",
            "1BAD",
            "BAD-NAME",
            "has space",
            "",
        ]
    ),
    st.from_regex(r"[A-Z_][A-Z0-9_]{0,30}", fullmatch=True),
)
ENV_VALUES = st.one_of(
    st.text(ANY_TEXT, max_size=20),
    st.integers(-5, 70_000).map(lambda n: "v" * n),
    st.booleans(),
    st.integers(-10, 10),
    st.sampled_from(["8081", "9000"]),  # for SERVER_PORT
    st.none(),
    st.just({"nested": "x"}),
)
PARAMETER_NAMES = st.one_of(
    st.from_regex(r"/[A-Za-z0-9_.-]{1,20}(/[A-Za-z0-9_.-]{1,20}){0,3}", fullmatch=True),
    st.integers(1, 20).map(lambda depth: "/l" * depth),  # SSM allows 15 levels
    st.integers(1, 2100).map(lambda n: "/" + "p" * n),  # names up to 1011 characters, ARNs up to 2048
    st.sampled_from(["/library/db/url", "relative/name", "/aws/x", "/ssm/x", "/a b", "/a//b", "/", "", "/x/"]),
    st.sampled_from([None, 123]),
)
TEST_CIDRS = st.lists(
    st.sampled_from(["203.0.113.0/24", "0.0.0.0/0", "10.0.0.1/24", "::/0", "bad", "198.51.100.7/32"]), max_size=3
)
AUTOSCALING = st.one_of(
    st.fixed_dictionaries(
        {"minCount": st.integers(-2, 10), "maxCount": st.integers(-1, 5010)},
        optional={
            "cpuTarget": st.one_of(st.integers(-1, 120), st.floats(0, 120, allow_nan=False)),
            "memoryTarget": st.integers(0, 101),
            "requestsPerTarget": st.integers(-1, 5000),
            "maxCapacity": st.just(3),
        },
    ),
    st.sampled_from(["x", "[]", "{}"]),
)
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:library-alerts"

# Each public key: what is valid alone, then what is not (or not always).
VALID: dict[str, st.SearchStrategy[Any]] = {
    "appName": st.one_of(st.sampled_from(["library", "a", "app-1", "x" * 20]), st.from_regex(r"[a-z][a-z0-9]{0,19}")),
    "containerPort": st.integers(1024, 65535),
    "desiredCount": st.integers(0, 10),
    "healthCheckPath": st.sampled_from(["/actuator/health", "/", "/a.b_c~d%20-e/", "/" + "h" * 1023]),
    "healthCheckStartPeriod": st.integers(0, 300),
    "logRetentionDays": st.sampled_from(LOG_RETENTION_DAYS),
    "environment": st.dictionaries(
        st.sampled_from(["SPRING_PROFILES_ACTIVE", "JAVA_OPTS", "_X", "a1"]), st.text(ANY_TEXT, max_size=30), max_size=3
    ),
    "secrets": st.dictionaries(
        st.sampled_from(["SPRING_DATASOURCE_PASSWORD", "DB_URL", "TOKEN"]),
        st.from_regex(r"/[A-Za-z0-9_.-]{1,20}(/[A-Za-z0-9_.-]{1,20}){0,3}", fullmatch=True).filter(
            lambda p: not p.lower().startswith(("/aws", "/ssm"))
        ),
        max_size=3,
    ),
    "deploymentStrategy": st.sampled_from(["ROLLING", "BLUE_GREEN"]),
    "bakeTimeMinutes": st.integers(0, MAX_BAKE_MINUTES),
    "testListenerPort": st.sampled_from([8080, 9443, 1, 65535]),
    "testListenerCidrs": st.lists(st.sampled_from(["203.0.113.0/24", "0.0.0.0/0"]), max_size=2, unique=True),
    "autoscaling": st.integers(1, 4).map(lambda n: {"minCount": 1, "maxCount": n, "cpuTarget": 60}),
    "cpuArchitecture": st.sampled_from(["X86_64", "ARM64"]),
    "capacityProvider": st.sampled_from(["FARGATE", "FARGATE_SPOT"]),
    "production": st.sampled_from([True, False, "true", "false"]),
    "assignPublicIp": st.sampled_from([True, "true", "True"]),
    "certificateArn": st.sampled_from([CERTIFICATE, ""]),
    "alarmTopicArn": st.sampled_from([TOPIC, "", f"arn:aws:sns:{REGION}:{ACCOUNT}:{'t' * 256}"]),
    "databasePort": st.integers(1, 65535),
    "databaseInstance": st.sampled_from([DB_INSTANCE, ""]),
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "appName": st.one_of(
        st.sampled_from(["", "internal", "internal-x", "x" * 21, "Library", "1app", "app-", "a_b", "ä"]),
        st.text(alphabet="abz09-_A.", max_size=25),
    ),
    "containerPort": ints(st.integers(-10, 1023), st.integers(65536, 70_000)),
    "desiredCount": ints(st.integers(-5, -1), st.integers(4990, 6000)),
    "healthCheckPath": st.sampled_from(["health", "/a b", "/x;rm", "/" + "h" * 1024, ""]),
    "healthCheckStartPeriod": ints(st.integers(-10, -1), st.integers(250, 400)),
    "logRetentionDays": ints(st.integers(-1, 4000), st.sampled_from([0, 2, 4000])),
    "environment": st.one_of(st.dictionaries(VARIABLE_NAMES, ENV_VALUES, max_size=4), st.just("not json")),
    "secrets": st.one_of(st.dictionaries(VARIABLE_NAMES, PARAMETER_NAMES, max_size=4), st.just([])),
    "deploymentStrategy": st.sampled_from(["rolling", "CANARY", "", "BLUE-GREEN"]),
    "bakeTimeMinutes": ints(st.integers(-5, -1), st.integers(MAX_BAKE_MINUTES + 1, 1500)),
    "testListenerPort": ints(st.sampled_from([80, 443, 0, 65536]), st.integers(-1, 70_000)),
    "testListenerCidrs": TEST_CIDRS,
    "autoscaling": AUTOSCALING,
    "cpuArchitecture": st.sampled_from(["arm64", "x86", "AMD64", ""]),
    "capacityProvider": st.sampled_from(["SPOT", "fargate", "EC2"]),
    "production": BOOLEANS,
    "assignPublicIp": BOOLEANS,
    "certificateArn": st.sampled_from(
        [
            "not-an-arn",
            f"arn:aws:acm:{REGION}:{ACCOUNT}:cert/x",
            f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc",
            f"arn:aws-cn:acm:{REGION}:{ACCOUNT}:certificate/abc",
        ]
    ),
    "alarmTopicArn": st.sampled_from(
        [f"arn:aws:sns:{REGION}:{ACCOUNT}:a b", "topic", f"arn:aws:sns:eu-west-1:{ACCOUNT}:t", TOPIC + "x" * 300]
    ),
    "databasePort": ints(st.integers(-1, 0), st.integers(65536, 70_000)),
    "databaseInstance": st.sampled_from(["no-such-db", "1bad", "a--b", "x" * 64]),
}


@st.composite
def cpu_and_memory(draw: st.DrawFn) -> dict[str, Any]:
    """A size from Fargate's table, often; else any pair, a cpu alone or memory alone."""
    cpu = draw(st.sampled_from(sorted(FARGATE_SIZES)))
    choice = draw(st.sampled_from(["table", "table", "any", "cpu", "memory", "wrong"]))
    if choice == "table":
        return {"cpu": cpu, "memory": draw(st.sampled_from(FARGATE_SIZES[cpu]))}
    if choice == "any":
        return {"cpu": draw(st.integers(0, 20_000)), "memory": draw(st.integers(0, 130_000))}
    if choice == "cpu":
        return {"cpu": cpu}
    if choice == "memory":
        return {"memory": draw(st.sampled_from([512, 1024, 3072, 4096, 122_880, 123_000]))}
    return {"cpu": draw(WRONG_STRINGS), "memory": draw(st.sampled_from([512, "1 GB"]))}


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    """Overrides of the dev stack: some keys set to values valid alone, then up to three keys set to values that
    are bad (or may be), so that about half of the examples deploy and the rest are refused."""
    overrides: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=VALID))
    overrides.update(draw(cpu_and_memory()))
    if draw(st.booleans()):
        for key in draw(st.lists(st.sampled_from(sorted(INVALID)), min_size=1, max_size=3, unique=True)):
            overrides[key] = draw(INVALID[key])
    return overrides


# --- the rule ------------------------------------------------------------------------------------------------
def unnamed_problems(message: str) -> list[str]:
    """Problem lines of a refusal that name no public key."""
    keys = set(config_keys())
    return [
        line for line in problem_lines(message) if not ((m := PROBLEM_KEY.match(line)) is not None and m[1] in keys)
    ]


def settings_of(overrides: dict[str, Any]) -> Any:
    config = as_cli_strings(stack_config(STACK, overrides))
    prefix = f"{NAMESPACE}:"
    return parse_settings({k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}, STACK)


def aws_refusals(deployment: Deployment, overrides: dict[str, Any]) -> list[str]:
    """What the existing AWS oracles find wrong with a deployment."""
    request = register_task_definition_request(deployment)
    found = [f"ECS model: {e}" for e in [api_errors("ecs", "RegisterTaskDefinition", request)] if e]
    found += [f"name: {p}" for p in name_problems(deployment)]
    estimate, actual = task_definition_bytes(settings_of(overrides)), len(json.dumps(request).encode())
    if not actual <= estimate <= MAX_TASK_DEFINITION_BYTES:
        found.append(f"task definition: {actual} bytes, estimated {estimate}, ECS allows {MAX_TASK_DEFINITION_BYTES}")
    found += [
        f"cfn-lint: {rule} {resource}: {message}" for rule, resource, message in lint_deployment(deployment, REGION)
    ]
    return found


def holds(overrides: dict[str, Any]) -> None:
    refusal: ConfigError | None = None
    try:
        deployment = run_program(STACK, overrides, cached=False)
    except ConfigError as error:
        refusal = error
    if refusal is not None:
        assert unnamed_problems(str(refusal)) == [], str(refusal)
    else:
        assert aws_refusals(deployment, overrides) == []


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(configurations())
def test_any_configuration_is_refused_by_key_or_deploys_what_aws_accepts(overrides: dict[str, Any]) -> None:
    holds(overrides)


def test_the_region_is_the_dev_stacks() -> None:
    assert stack_config(STACK)["aws:region"] == REGION


def test_the_rule_catches_a_line_without_a_key() -> None:
    message = "invalid stack configuration:\n  - library-infra:cpu=3 is bad\n  - library-infra:FOO is in both"
    assert unnamed_problems(message) == ["library-infra:FOO is in both"]
    assert unnamed_problems("library-infra:autoscaling.minCount=-1 is negative") == []
