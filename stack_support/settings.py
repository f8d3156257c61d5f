"""Stack settings: every ``library-infra:*`` config key, read once and validated before any resource exists.

The program calls :func:`load_settings` first; components receive the frozen :class:`Settings` (or values
taken from it) and never read ``pulumi.Config`` themselves. Every problem found is reported at once: a key that
fails on its own does not hide the checks across the other keys. Each line names the key (with its path, such as
``autoscaling.maxCount``), the bad value (cut to 120 characters) and what is allowed; a misspelt key, at the top
or inside ``autoscaling``, gets a "did you mean". A key the engine holds as secret shows ``[secret]`` instead of
its value. Checks that need AWS (regions of ARNs, subnets and their zones, the database) are in ``aws_env``, which
makes them before any resource is registered.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from stack_support import app_source

NAMESPACE = "library-infra"


def _steps(low: int, high: int, step: int) -> tuple[int, ...]:
    """``low``, ``low + step``, ... ``high``, both bounds included. ``high`` must be a whole number of steps above
    ``low``: a bound off by one would otherwise vanish in the step (``range(8192, 30721 + 1, 1024)`` still ends at
    30720), so it stops the import instead."""
    count, rest = divmod(high - low, step)
    if rest:
        raise ValueError(f"{high} is not a whole number of steps of {step} above {low}")
    return tuple(low + i * step for i in range(count + 1))


# Fargate task sizes: cpu units -> allowed memory (MiB). From the ECS developer guide, "Task CPU and memory".
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}

# The only values CloudWatch Logs' PutRetentionPolicy accepts (tests check this against botocore's model).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

DEFAULT_SECRETS: dict[str, str] = {
    "SPRING_DATASOURCE_URL": "/library/db/url",
    "SPRING_DATASOURCE_USERNAME": "/library/db/username",
    "SPRING_DATASOURCE_PASSWORD": "/library/db/password",
}

# ECS service quotas, "Tasks per service": 5,000 (ECS developer guide, "Amazon ECS service quotas").
MAX_TASKS_PER_SERVICE = 5000
# ECS service quotas, "Task definition size": 64 KiB (same page).
MAX_TASK_DEFINITION_BYTES = 64 * 1024
# Parameter Store quotas: a standard parameter's value holds at most 4 KB (Systems Manager endpoints and quotas).
MAX_STANDARD_PARAMETER_BYTES = 4096
# PutParameter: "Parameter hierarchies are limited to a maximum depth of fifteen levels."
MAX_PARAMETER_DEPTH = 15
# Ports below 1024 need root (or CAP_NET_BIND_SERVICE) to listen on, which a non-root image does not have.
FIRST_UNPRIVILEGED_PORT = 1024
# Pulumi's config.get_bool accepts exactly these (pulumi/config.py).
BOOLEANS = {"true": True, "True": True, "false": False, "False": False}
# How much of a bad value a message shows.
SHOWN_VALUE_CHARS = 120

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# SSM hierarchy: "/a/b/c", each level letters, digits, "_", ".", "-" (SSM's own character set).
PARAMETER_NAME = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
# Also lands in a CMD-SHELL health check, so shell metacharacters are refused.
HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/%-]*$")
APP_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$")
TASK_FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
DEFAULT_REPOSITORY_PREFIX = "library-management-system"
ECR_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
# An image reference Docker and ECS can pull, pinned by digest (the grammar of distribution/reference: an optional
# registry host[:port], then lower-case path components separated by '/', then @sha256:<64 hex>).
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]+)?/)"
DIGEST_IMAGE = re.compile(rf"^{_REGISTRY}?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*@sha256:[0-9a-f]{{64}}$")
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
# General purpose bucket naming rules: 3-63 lowercase letters, digits, '.' and '-', beginning and ending with a letter
# or digit, no two adjacent periods, not formatted as an IP address, none of AWS's reserved prefixes and suffixes.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# S3 lifecycle Expiration Days: "The value must be a non-zero positive integer" (Amazon S3 API Reference,
# LifecycleExpiration); the API's Days is a 32-bit Integer, so that is its ceiling.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html
MAX_S3_LIFECYCLE_DAYS = 2**31 - 1
# A deploy must end, even by timing out, while its job runs and its AWS credentials last, or it leaves the stack
# locked and half-changed. The deploy jobs' timeout-minutes and configure-aws-credentials' role-duration-seconds
# (default 3600, within the deploy role's MaxSessionDuration) give CI_SESSION_MINUTES; checkout, installs, refresh and
# the image build take up to CI_SETUP_MINUTES; the service's wait for a steady state (components/service.py) is
# STEADY_STATE_MINUTES plus the bake time. tests/test_ci_budget.py reads the first and last from the workflows, the
# bootstrap and the registered service.
CI_SESSION_MINUTES = 60
CI_SETUP_MINUTES = 10
STEADY_STATE_MINUTES = 30
MAX_BAKE_MINUTES = CI_SESSION_MINUTES - CI_SETUP_MINUTES - STEADY_STATE_MINUTES
# IAM API reference, Policy: path "/" or "/.../" and a name of 1-128 of [\w+=,.@-].
IAM_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# RDS DB instance identifier: 1-63 letters, digits or hyphens, a letter first, no "--", no hyphen last
# (RDS user guide, "Naming constraints in Amazon RDS").
DB_INSTANCE_ID = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
# Name segments that mark a credential; KEY only as the last segment (API_KEY yes, CACHE_KEY_PREFIX no).
SECRET_WORDS = {"PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "CREDENTIALS", "APIKEY"}


class ConfigError(ValueError):
    """Raised for bad stack configuration; the message lists every problem found."""


def _fargate_table() -> str:
    rows = []
    for cpu, memories in FARGATE_SIZES.items():
        span = (
            ", ".join(map(str, memories))
            if len(memories) <= 3
            else f"{memories[0]}-{memories[-1]} in steps of {memories[1] - memories[0]}"
        )
        rows.append(f"cpu={cpu}: memory {span}")
    return "; ".join(rows)


def _shown(value: object) -> str:
    """A bad value as a message shows it: its repr, cut to SHOWN_VALUE_CHARS characters."""
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else f"{text[:SHOWN_VALUE_CHARS]}… ({len(text)} characters)"


def task_definition_request(settings: Settings) -> dict[str, Any]:
    """The RegisterTaskDefinition request the stack will send, with the longest ARNs and image reference any
    partition and region give (the real ones are not known before the look-ups): partition aws-us-gov, a region
    of 15 characters (us-isof-south-1), the registry suffix amazonaws.com.cn, role names of 64 characters (IAM's
    limit), and the task definition's two tags at ECS's limits (keys of 128 characters, values of 256)."""
    from components.task_definition import container_definitions

    account, region = "0" * 12, "x" * 15
    image = settings.image_uri or (
        f"{account}.dkr.ecr.{region}.amazonaws.com.cn/{settings.repository}@sha256:{'0' * 64}"
    )
    role = f"arn:aws-us-gov:iam::{account}:role/{'x' * 64}"
    request = {
        "family": settings.family,
        "taskRoleArn": role,
        "executionRoleArn": role,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(settings.cpu),
        "memory": str(settings.memory),
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": settings.cpu_architecture},
        "containerDefinitions": container_definitions(
            name=settings.container_name,
            image=image,
            port=settings.container_port,
            environment=settings.environment,
            secrets={k: f"arn:aws-us-gov:ssm:{region}:{account}:parameter{v}" for k, v in settings.secrets.items()},
            log_group=f"/ecs/{settings.family}",
            region=region,
            health_check_path=settings.health_check_path,
            start_period=settings.health_check_start_period,
        ),
        "tags": [{"key": "k" * 128, "value": "v" * 256}] * 2,
    }
    return request


def task_definition_bytes(settings: Settings) -> int:
    """Size of :func:`task_definition_request`, as JSON."""
    return len(json.dumps(task_definition_request(settings)).encode())


def _check_env_name(name: str, key: str) -> None:
    if not ENV_NAME.match(name):
        raise ValueError(
            f"{key} has variable name {_shown(name)}; use letters, digits and '_' and do not start with a digit"
        )


def looks_like_secret_name(name: str) -> bool:
    parts = name.upper().split("_")
    return bool(SECRET_WORDS.intersection(parts)) or parts[-1] == "KEY"


class Autoscaling(BaseModel):
    """``autoscaling``: task count bounds and target-tracking goals (each goal optional, at least one given)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel)

    min_count: int
    max_count: int
    cpu_target: float | None = None
    memory_target: float | None = None
    requests_per_target: int | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        problems = []
        if self.min_count < 0:
            problems.append(f"autoscaling.minCount={self.min_count} is negative; use 0 or more")
        if self.max_count > MAX_TASKS_PER_SERVICE:
            problems.append(
                f"autoscaling.maxCount={self.max_count} is more than ECS runs in one service; use at most "
                f"{MAX_TASKS_PER_SERVICE}"
            )
        if self.min_count > self.max_count:
            problems.append(
                f"autoscaling.minCount={self.min_count} is above autoscaling.maxCount={self.max_count}; "
                "minCount must be at most maxCount"
            )
        for key, value in (("cpuTarget", self.cpu_target), ("memoryTarget", self.memory_target)):
            if value is not None and not 1 <= value <= 100:
                problems.append(f"autoscaling.{key}={value:g} is not a utilization percentage; use 1-100")
        if self.requests_per_target is not None and self.requests_per_target < 1:
            problems.append(
                f"autoscaling.requestsPerTarget={self.requests_per_target} must be at least 1 request per target"
            )
        if self.cpu_target is None and self.memory_target is None and self.requests_per_target is None:
            problems.append("autoscaling needs at least one of cpuTarget, memoryTarget, requestsPerTarget")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Settings(BaseModel):
    """The validated configuration of one stack. Field aliases are the public config keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
    )

    stack: str = Field(exclude=True)
    secret_keys: frozenset[str] = Field(default=frozenset(), exclude=True)
    """Keys the engine holds as secret; :meth:`shown` masks their values."""
    app_name: str = "library"
    container_port: int = 8081
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1
    health_check_path: str = "/actuator/health"
    health_check_start_period: int = 120
    environment: dict[str, str] = Field(default_factory=lambda: {"SPRING_PROFILES_ACTIVE": "prod"})
    secrets: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SECRETS))
    secret_values: dict[str, SecretStr] = Field(default_factory=dict)
    kms_key_arn: str | None = None
    permissions_boundary_arn: str | None = None
    repository_name: str | None = None
    """Explicit ECR repository; unset, each stack that builds gets its own (:func:`default_repository_name`)."""
    image_uri: str | None = None
    image_from_stack: str | None = None
    docker_context: str = "app"
    dockerfile: str = "Dockerfile"
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    load_balancer_subnet_ids: tuple[str, ...] = ()
    """The internet-facing ALB's subnets (public: a route to an internet gateway); unset, the tasks' subnetIds."""
    assign_public_ip: bool = True
    log_retention_days: int = 30
    production: bool = False
    certificate_arn: str | None = None
    deployment_strategy: Literal["ROLLING", "BLUE_GREEN"] = "ROLLING"
    bake_time_minutes: int = 5
    test_listener_port: int = 8080
    test_listener_cidrs: tuple[str, ...] = ()
    autoscaling: Autoscaling | None = None
    alarm_topic_arn: str | None = None
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = "FARGATE"
    database_security_group_id: str | None = None
    database_port: int = 3306
    database_instance: str | None = None
    access_logs: bool = False
    """ALB access logs to S3 for a stack that is not production (production always writes them)."""
    access_logs_bucket: str | None = None
    """An existing bucket for the ALB's access logs (implies accessLogs); the stack then creates none."""
    access_logs_retention_days: int = 90
    kms_encryption: bool = False
    """Customer managed KMS encryption of the logs and the repository for a stack that is not production."""
    logs_kms_key_arn: str | None = None
    """An existing key for the log group (implies its KMS encryption)."""

    def secret_texts(self) -> set[str]:
        """Every value, as text, of the keys the engine holds as secret: what a message must never show."""
        values = self.model_dump(by_alias=True, mode="json")
        return {text for key in self.secret_keys for text in secret_strings(values.get(key))}

    def shown(self, key: str, value: object) -> str:
        """``value`` of ``key`` as a message may show it: ``[secret]`` for a key set with ``--secret``."""
        return SECRET if key in self.secret_keys else str(value)

    # --- derived names -------------------------------------------------------------------------
    @property
    def family(self) -> str:
        return f"{self.app_name}-{self.stack}"

    @property
    def container_name(self) -> str:
        return f"{self.app_name}-app"

    @property
    def platform(self) -> str:
        """The Docker platform the image is built for, matching the task's CPU architecture."""
        return "linux/arm64" if self.cpu_architecture == "ARM64" else "linux/amd64"

    @property
    def blue_green(self) -> bool:
        return self.deployment_strategy == "BLUE_GREEN"

    @property
    def repository(self) -> str:
        """The ECR repository this stack pushes to: ``repositoryName``, or one of its own."""
        return self.repository_name or default_repository_name(self.stack)

    @property
    def creates_repository(self) -> bool:
        """A stack that builds pushes to its own repository, and so does one that promotes (it copies the image)."""
        return self.builds_image or self.image_from_stack is not None

    @property
    def builds_image(self) -> bool:
        return self.image_uri is None and self.image_from_stack is None

    @property
    def writes_access_logs(self) -> bool:
        """Production always writes ALB access logs (FSBP ELB.5); other stacks when asked to."""
        return self.production or self.access_logs or self.access_logs_bucket is not None

    @property
    def creates_access_log_bucket(self) -> bool:
        return self.writes_access_logs and self.access_logs_bucket is None

    @property
    def encrypts_with_kms(self) -> bool:
        """Customer managed KMS keys for the logs and the repository: production always, others when asked."""
        return self.production or self.kms_encryption

    @property
    def log_group_name(self) -> str:
        return f"/ecs/{self.family}"

    @property
    def creates_data_key(self) -> bool:
        """The stack's own key: when the repository it creates is KMS-encrypted, or the logs are and no
        ``logsKmsKeyArn`` is given."""
        return self.encrypts_with_kms and (self.logs_kms_key_arn is None or self.creates_repository)

    # --- single keys ---------------------------------------------------------------------------
    @field_validator("assign_public_ip", "production", "access_logs", "kms_encryption", mode="before")
    @classmethod
    def _boolean(cls, v: object, info: Any) -> bool:
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v in BOOLEANS:
            return BOOLEANS[v]
        key = to_camel(info.field_name)
        raise ValueError(f"{key}={_shown(v)} must be true or false")

    @field_validator("app_name")
    @classmethod
    def _app_name(cls, v: str) -> str:
        if not APP_NAME.match(v):
            raise ValueError(
                f"appName={_shown(v)} must be 1-20 lowercase letters, digits or '-', start with a letter and not end "
                "with '-' (it prefixes ALB and target group names, which AWS limits to 32 characters)"
            )
        # ELB CreateLoadBalancer: a name "must not begin with 'internal-'"; the ALB is named <appName>-alb-….
        if v == "internal" or v.startswith("internal-"):
            raise ValueError(
                f"appName={_shown(v)} would name the load balancer internal-…, which AWS refuses; rename it"
            )
        return v

    @field_validator("container_port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"containerPort={v} is not a TCP port; use 1-65535")
        return v

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: int) -> int:
        if v not in FARGATE_SIZES:
            allowed = ", ".join(map(str, FARGATE_SIZES))
            raise ValueError(f"cpu={v} is not a Fargate size; use one of {allowed}")
        return v

    @field_validator("desired_count")
    @classmethod
    def _desired(cls, v: int) -> int:
        if not 0 <= v <= MAX_TASKS_PER_SERVICE:
            raise ValueError(
                f"desiredCount={v} is outside what ECS runs in one service; use 0-{MAX_TASKS_PER_SERVICE} tasks"
            )
        return v

    @field_validator("health_check_path")
    @classmethod
    def _health_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"healthCheckPath={_shown(v)} must start with '/', for example '/actuator/health'")
        if not HEALTH_PATH.match(v) or len(v) > 1024:
            raise ValueError(
                f"healthCheckPath={_shown(v)} may hold only letters, digits and . _ ~ / % - (at most 1024 characters)"
            )
        return v

    @field_validator("health_check_start_period")
    @classmethod
    def _start_period(cls, v: int) -> int:
        if not 0 <= v <= 300:
            raise ValueError(f"healthCheckStartPeriod={v} is outside what ECS allows; use 0-300 seconds")
        return v

    @field_validator("environment", mode="before")
    @classmethod
    def _environment_values(cls, v: Any) -> Any:
        if not isinstance(v, Mapping):
            return v
        out: dict[str, Any] = {}
        for name, value in v.items():
            if isinstance(value, bool):
                out[name] = "true" if value else "false"
            elif isinstance(value, int | float):
                out[name] = str(value)
            elif value is None or isinstance(value, Mapping | list):
                raise ValueError(f"environment.{name} must be a string, number or boolean, not {_shown(value)}")
            else:
                out[name] = value
        return out

    @field_validator("environment")
    @classmethod
    def _environment_names(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            _check_env_name(name, "environment")
            if looks_like_secret_name(name):
                raise ValueError(
                    f"environment.{name} looks like a credential; plain variables are visible to anyone who can "
                    f"describe the task definition. Put it in secrets (SSM parameter) and, to let this stack "
                    f"create it, in secretValues"
                )
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        for name, parameter in v.items():
            _check_env_name(name, "secrets")
            if not isinstance(parameter, str) or not parameter.startswith("/"):
                raise ValueError(
                    f"secrets.{name}={_shown(parameter)} must be an SSM parameter name starting with '/', "
                    "for example '/library/db/password'"
                )
            if not PARAMETER_NAME.match(parameter) or len(parameter) > 1011:
                raise ValueError(
                    f"secrets.{name}={_shown(parameter)} is not a valid SSM parameter name; use '/'-separated levels "
                    "of letters, digits, '_', '.' and '-' (at most 1011 characters)"
                )
            if parameter.count("/") > MAX_PARAMETER_DEPTH:
                raise ValueError(
                    f"secrets.{name}={_shown(parameter)} is {parameter.count('/')} levels deep; SSM allows at most "
                    f"{MAX_PARAMETER_DEPTH}"
                )
            if parameter.lower().startswith(("/aws", "/ssm")):
                raise ValueError(f"secrets.{name}={_shown(parameter)} uses a prefix reserved by AWS (aws, ssm)")
        return v

    @field_validator("secret_values")
    @classmethod
    def _secret_values(cls, v: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in v.items():
            _check_env_name(name, "secretValues")
            if not value.get_secret_value():
                raise ValueError(f"secretValues.{name} is empty; SSM cannot store an empty value")
            size = len(value.get_secret_value().encode())
            if size > MAX_STANDARD_PARAMETER_BYTES:
                raise ValueError(
                    f"secretValues.{name} is {size} bytes; a standard SSM parameter holds at most "
                    f"{MAX_STANDARD_PARAMETER_BYTES}"
                )
        return v

    @field_validator("kms_key_arn")
    @classmethod
    def _kms_key(cls, v: str | None) -> str | None:
        if v is not None and not KMS_KEY_ARN.match(v):
            raise ValueError(
                f"kmsKeyArn={_shown(v)} must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key-id> "
                "(an alias ARN cannot be named in an IAM policy)"
            )
        return v

    @field_validator("logs_kms_key_arn")
    @classmethod
    def _logs_kms_key(cls, v: str | None) -> str | None:
        if v is not None and not KMS_KEY_ARN.match(v):
            raise ValueError(
                f"logsKmsKeyArn={_shown(v)} must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key-id>, in the "
                "stack's region (CloudWatch Logs takes a key ARN, not an alias)"
            )
        return v

    @field_validator("access_logs_bucket")
    @classmethod
    def _access_logs_bucket(cls, v: str | None) -> str | None:
        if v is None:
            return v
        problem = s3_bucket_name_problem(v)
        if problem:
            raise ValueError(
                f"accessLogsBucket={_shown(v)} is not a valid S3 bucket name: {problem} (3-63 lowercase letters, "
                "digits, '.' and '-', starting and ending with a letter or digit)"
            )
        return v

    @field_validator("access_logs_retention_days")
    @classmethod
    def _access_logs_retention(cls, v: int) -> int:
        if not 1 <= v <= MAX_S3_LIFECYCLE_DAYS:
            raise ValueError(
                f"accessLogsRetentionDays={v} is not a number of days S3 lifecycle expiration accepts; use a positive "
                f"whole number (1-{MAX_S3_LIFECYCLE_DAYS})"
            )
        return v

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary(cls, v: str | None) -> str | None:
        if v is not None and not IAM_POLICY_ARN.match(v):
            raise ValueError(
                f"permissionsBoundaryArn={_shown(v)} must be an IAM managed policy ARN, "
                "arn:aws:iam::<account>:policy/<path><name> (bootstrap's output permissionsBoundaryArn)"
            )
        return v

    @field_validator("repository_name")
    @classmethod
    def _repository(cls, v: str | None) -> str | None:
        if v is not None and not (2 <= len(v) <= 256 and ECR_NAME.match(v)):
            raise ValueError(
                f"repositoryName={_shown(v)} is not a valid ECR repository name; use 2-256 lowercase letters, digits "
                "and '.', '_', '-', '/' separators"
            )
        return v

    @field_validator("image_uri")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        if v is not None and not DIGEST_IMAGE.match(v):
            raise ValueError(
                f"imageUri={_shown(v)} must be pinned by digest, <repository>@sha256:<64 hex digits>, so that what "
                "runs is exactly what was tested (find it with `docker buildx imagetools inspect <image>`)"
            )
        return v

    @field_validator("image_from_stack")
    @classmethod
    def _image_from_stack(cls, v: str | None) -> str | None:
        if v is not None and not STACK_NAME.match(v):
            raise ValueError(
                f"imageFromStack={_shown(v)} must be a fully qualified stack name, <organization>/<project>/<stack>, "
                "for example 'organization/library-infra/dev'"
            )
        return v

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, v: str | None) -> str | None:
        if v is not None and not CERTIFICATE_ARN.match(v):
            raise ValueError(
                f"certificateArn={_shown(v)} must be an ACM certificate ARN, "
                "arn:aws:acm:<region>:<account>:certificate/<id>, in the stack's region"
            )
        return v

    @field_validator("bake_time_minutes")
    @classmethod
    def _bake(cls, v: int) -> int:
        if v < 0:
            raise ValueError(f"bakeTimeMinutes={v} is negative; use 0 (no bake) to {MAX_BAKE_MINUTES} minutes")
        if v > MAX_BAKE_MINUTES:
            raise ValueError(
                f"bakeTimeMinutes={v} is more than a deploy can wait; use 0-{MAX_BAKE_MINUTES} minutes: the deploy "
                f"job and its AWS session last {CI_SESSION_MINUTES} minutes, and `pulumi up` waits up to "
                f"{STEADY_STATE_MINUTES} minutes plus the bake time for the service (ECS itself allows 1440)"
            )
        return v

    @field_validator("test_listener_port")
    @classmethod
    def _test_port(cls, v: int) -> int:
        if not 1 <= v <= 65535 or v in (80, 443):
            raise ValueError(f"testListenerPort={v} must be a TCP port (1-65535) other than 80 and 443")
        return v

    @field_validator("test_listener_cidrs")
    @classmethod
    def _test_cidrs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in v:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(
                    f"testListenerCidrs has {_shown(cidr)}, which is not an IPv4 CIDR such as 203.0.113.0/24 ({exc})"
                ) from None
            if network.version != 4:
                raise ValueError(f"testListenerCidrs has {_shown(cidr)}; the load balancer listens on IPv4 only")
        return v

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, v: str | None) -> str | None:
        if v is not None and not SNS_TOPIC_ARN.match(v):
            raise ValueError(
                f"alarmTopicArn={_shown(v)} must be an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>"
            )
        return v

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, v: str | None) -> str | None:
        if v is not None and not VPC_ID.match(v):
            raise ValueError(f"vpcId={_shown(v)} is not a VPC id such as 'vpc-07dd414387be45a0f'")
        return v

    @field_validator("subnet_ids", "load_balancer_subnet_ids")
    @classmethod
    def _subnets(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        key = to_camel(info.field_name or "")
        for subnet in v:
            if not SUBNET_ID.match(subnet):
                raise ValueError(
                    f"{key} has {_shown(subnet)}, which is not a subnet id such as 'subnet-0eb8d0b96a8e96f23'"
                )
        if len(set(v)) != len(v):
            raise ValueError(f"{key}={list(v)} lists a subnet twice")
        return v

    @field_validator("database_security_group_id")
    @classmethod
    def _database_group(cls, v: str | None) -> str | None:
        if v is not None and not SECURITY_GROUP_ID.match(v):
            raise ValueError(
                f"databaseSecurityGroupId={_shown(v)} is not a security group id such as 'sg-0123456789abcdef0'; "
                "use the group attached to the database"
            )
        return v

    @field_validator("database_port")
    @classmethod
    def _database_port(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"databasePort={v} is not a TCP port; use 1-65535 (MySQL listens on 3306)")
        return v

    @field_validator("database_instance")
    @classmethod
    def _database_instance(cls, v: str | None) -> str | None:
        if v is not None and not DB_INSTANCE_ID.match(v):
            raise ValueError(
                f"databaseInstance={_shown(v)} is not an RDS DB instance identifier; use 1-63 letters, digits or '-', "
                "starting with a letter, without '--' and not ending with '-'"
            )
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise ValueError(f"logRetentionDays={v} is not accepted by CloudWatch Logs; use one of {allowed}")
        return v

    # --- keys that depend on each other --------------------------------------------------------
    @model_validator(mode="after")
    def _together(self) -> Settings:
        problems: list[str] = []
        if self.cpu in FARGATE_SIZES and self.memory not in FARGATE_SIZES[self.cpu]:
            problems.append(
                f"cpu={self.cpu}, memory={self.memory} is not a Fargate size; valid pairs are {_fargate_table()}"
            )
        for name in self.secret_values:
            if name not in self.secrets:
                problems.append(
                    f"secretValues.{name} has no matching secrets entry; add secrets.{name} with the SSM parameter "
                    f"name the stack should create (secrets has {sorted(self.secrets)})"
                )
        server_port = self.environment.get("SERVER_PORT")
        if server_port is not None and server_port != str(self.container_port):
            problems.append(
                f"environment.SERVER_PORT={_shown(server_port)} differs from containerPort={self.container_port}; "
                "the app would listen where no health check looks. Remove it: the program sets it from containerPort"
            )
        for name in sorted(set(self.environment) & set(self.secrets)):
            problems.append(
                f"environment.{name} and secrets.{name} both set {name}; ECS needs each variable in one of them"
            )
        if (self.vpc_id is None) != (not self.subnet_ids):
            problems.append(
                "vpcId and subnetIds go together: set both (subnets of that VPC) or neither (the default VPC)"
            )
        if self.subnet_ids and len(self.subnet_ids) < 2:
            problems.append(
                f"subnetIds={list(self.subnet_ids)} must list at least two subnets in different Availability "
                "Zones; an Application Load Balancer needs two, and tasks spread over two survive a zone's outage"
            )
        if self.load_balancer_subnet_ids and not self.subnet_ids:
            problems.append(
                "loadBalancerSubnetIds needs vpcId and subnetIds: the default VPC's subnets are public, so its ALB "
                "already uses them"
            )
        if self.load_balancer_subnet_ids and len(self.load_balancer_subnet_ids) < 2:
            problems.append(
                f"loadBalancerSubnetIds={list(self.load_balancer_subnet_ids)} must list at least two subnets in "
                "different Availability Zones; an Application Load Balancer needs two"
            )
        if self.capacity_provider == "FARGATE_SPOT" and self.production:
            problems.append(
                "capacityProvider='FARGATE_SPOT' with production=true: Spot tasks can be stopped with two minutes' "
                "notice; use FARGATE for production"
            )
        if self.autoscaling is not None and not (
            self.autoscaling.min_count <= self.desired_count <= self.autoscaling.max_count
        ):
            problems.append(
                f"desiredCount={self.desired_count} is outside autoscaling's minCount={self.autoscaling.min_count} "
                f"and maxCount={self.autoscaling.max_count}; the first deploy starts that many tasks"
            )
        if self.blue_green and self.autoscaling is not None and self.autoscaling.requests_per_target is not None:
            problems.append(
                "autoscaling.requestsPerTarget with deploymentStrategy=BLUE_GREEN: ALB requests per target are "
                "counted for one target group, and once a deployment moves production traffic to the other one "
                "the count reads 0 and the service scales in to minCount. Use cpuTarget or memoryTarget"
            )
        if self.vpc_id is None and not self.assign_public_ip:
            problems.append(
                "assignPublicIp=false in the default VPC: its subnets have no NAT gateway, so tasks without a public "
                "IP cannot pull the image, read their secrets or send logs. Keep it true, or set vpcId and subnetIds "
                "to private subnets with a NAT gateway or VPC endpoints, and loadBalancerSubnetIds to public ones"
            )
        owners: dict[str, list[str]] = {}
        for name in self.secret_values:
            if name in self.secrets:
                owners.setdefault(self.secrets[name], []).append(name)
        for parameter, names in sorted(owners.items()):
            if len(names) > 1:
                problems.append(
                    f"secretValues {', '.join(sorted(names))} all map to the parameter {parameter} (in secrets); the "
                    "stack can create each parameter once. Give each its own parameter name"
                )
        size = task_definition_bytes(self)
        if size > MAX_TASK_DEFINITION_BYTES:
            problems.append(
                f"environment and secrets make the task definition about {size} bytes; ECS registers at most "
                f"{MAX_TASK_DEFINITION_BYTES} (64 KiB). Move large values out of environment"
            )
        if self.database_security_group_id is not None and self.database_instance is not None:
            problems.append(
                "databaseSecurityGroupId and databaseInstance both name the database; set only one of them "
                "(databaseInstance looks up the instance's security group and port)"
            )
        if self.production and self.secret_values:
            problems.append(
                "secretValues cannot be used with production: true: the stack would hold the credential, and every "
                "preview (pull requests run them) decrypts the stack's config and state. Create the SecureString "
                "outside Pulumi (aws ssm put-parameter --type SecureString) and name it in secrets"
            )
        if self.image_from_stack is not None and self.image_from_stack.split("/")[1:] == [NAMESPACE, self.stack]:
            problems.append(
                f"imageFromStack={_shown(self.image_from_stack)} names this stack; promote from another stack"
            )
        if not TASK_FAMILY.match(self.family):
            problems.append(
                f"appName={_shown(self.app_name)} with the stack {_shown(self.stack)} makes the task family "
                f"{_shown(self.family)}, which may hold only letters, digits, '-' and '_'; rename the stack"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


# Keys whose config value is JSON (objects and arrays), as the Pulumi CLI passes them.
_STRUCTURED = {
    "environment",
    "secrets",
    "secretValues",
    "subnetIds",
    "loadBalancerSubnetIds",
    "testListenerCidrs",
    "autoscaling",
}
# Keys declared in Pulumi.yaml with an empty default because a declared key without a default is required.
_OPTIONAL_STRINGS = {
    "kmsKeyArn",
    "permissionsBoundaryArn",
    "repositoryName",
    "imageUri",
    "imageFromStack",
    "vpcId",
    "certificateArn",
    "alarmTopicArn",
    "databaseSecurityGroupId",
    "databaseInstance",
    "accessLogsBucket",
    "logsKmsKeyArn",
}


def config_keys() -> list[str]:
    """The public config keys, in declaration order."""
    return [f.alias or name for name, f in Settings.model_fields.items() if name not in ("stack", "secret_keys")]


# What a type error means, in this program's words (pydantic's error types).
_TYPE_WORDS = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "dict_type": "must be an object (set it with --path, or as a map in YAML)",
    "model_type": "must be an object (set it with --path, or as a map in YAML)",
    "tuple_type": "must be a list (set it with --path, or as a list in YAML)",
}


def _key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _format(errors: Iterable[Any]) -> list[str]:
    lines = []
    for e in errors:
        msg = e["msg"].removeprefix("Value error, ")
        key = _key_path(e["loc"])
        kind = e["type"]
        if not key or kind == "value_error":
            lines.extend(msg.splitlines())
        elif kind == "missing":
            lines.append(f"{key} is required")
        elif kind == "extra_forbidden":
            parent, _, name = key.rpartition(".")
            known = [f.alias or n for n, f in Autoscaling.model_fields.items()] if parent == "autoscaling" else []
            hint = difflib.get_close_matches(name, known, n=1)
            lines.append(
                f"{key} is not a setting of {parent}"
                + (f"; did you mean {parent}.{hint[0]}?" if hint else f"; it takes {', '.join(known)}")
            )
        elif kind == "literal_error":
            allowed = msg.removeprefix("Input should be ")
            lines.append(f"{key}={_shown(e['input'])} must be {allowed}")
        elif key.startswith("secretValues"):
            lines.append(f"{key}: {_TYPE_WORDS.get(kind, msg)}")  # never echo a secret
        else:
            lines.append(f"{key}={_shown(e['input'])} {_TYPE_WORDS.get(kind, msg)}")
    return lines


def _checks_among_the_others(error: ValidationError, values: Mapping[str, Any], stack: str) -> list[str]:
    """The checks across keys, run on the keys that passed alone, so that one bad key hides no other problem.
    A finding that names a key which failed alone is left out: it would judge that key's default."""
    failed = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
    if not failed:
        return []
    try:
        Settings.model_validate({"stack": stack, **{k: v for k, v in values.items() if k not in failed}})
    except ValidationError as again:
        found = [line for line in _format(e for e in again.errors() if not e["loc"]) if line]
        return [line for line in found if not any(re.search(rf"\b{re.escape(k)}\b", line) for k in failed)]
    return []


SECRET = "[secret]"


def secret_strings(value: Any) -> set[str]:
    """Every string (and number, as written) inside a config value, however the CLI passed it."""
    if isinstance(value, str):
        found = {value}
        with contextlib.suppress(json.JSONDecodeError):
            found |= secret_strings(json.loads(value))
        return found
    if isinstance(value, Mapping):
        return {s for v in value.values() for s in secret_strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in secret_strings(v)}
    if isinstance(value, bool | int | float):
        return {json.dumps(value)}
    return set()


def refusal(problems: Sequence[str], secrets: Collection[str]) -> ConfigError:
    """The error that stops the program: every problem on a line of its own, no secret value in any of them."""
    return ConfigError(mask("invalid stack configuration:\n  - " + "\n  - ".join(problems), secrets))


def mask(text: str, secrets: Collection[str]) -> str:
    """``text`` with every secret value, in any quoting, replaced by ``[secret]``. Values under 3 characters are left
    alone: masking every "1" or "on" would garble the message and hide nothing."""
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) < 3:
            continue
        for form in {value, repr(value)[1:-1], json.dumps(value)[1:-1]}:
            text = text.replace(form, SECRET)
    return text


def parse_settings(
    raw: Mapping[str, Any], stack: str, project_dir: Path | None = None, secret_keys: Collection[str] = ()
) -> Settings:
    """Validate raw config values (strings as the CLI passes them, keyed by the bare key) into Settings.

    ``secret_keys`` are the bare keys the engine holds as secret: their values never appear in a message.
    """
    problems: list[str] = []
    secret_keys = frozenset(secret_keys)
    secrets = {s for key in secret_keys if key in raw for s in secret_strings(raw[key])}
    if "environment" in secret_keys:
        problems.append(
            f"{NAMESPACE}:environment is set as a secret, but plain variables are written into the task definition "
            "as plain text, for anyone who can describe it to read. Put the variable in secrets (an SSM parameter "
            "name) and its value in secretValues: `pulumi config set --path secrets.NAME /library/NAME` and "
            "`pulumi config set --secret --path secretValues.NAME <value>`"
        )
    known = config_keys()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            hint = difflib.get_close_matches(key, known, n=1)
            problems.append(
                f"{NAMESPACE}:{key} is not a setting of this program"
                + (f"; did you mean {hint[0]}?" if hint else f"; known keys are {', '.join(known)}")
            )
            continue
        if value is None or (key in _OPTIONAL_STRINGS and value == ""):
            continue
        if key in _STRUCTURED and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                problems.append(f"{NAMESPACE}:{key} is not valid JSON ({exc.msg}); set it with --path or in YAML")
                continue
        values[key] = value
    settings: Settings | None = None
    try:
        settings = Settings.model_validate({"stack": stack, "secret_keys": secret_keys, **values})
    except ValidationError as exc:
        problems.extend(f"{NAMESPACE}:{line}" for line in _format(exc.errors()))
        problems.extend(f"{NAMESPACE}:{line}" for line in _checks_among_the_others(exc, values, stack))
    if settings is not None and settings.builds_image and project_dir is not None:
        problems.extend(_build_problems(settings, project_dir))
    if settings is not None and settings.creates_repository and project_dir is not None:
        problems.extend(_repository_problems(settings, project_dir))
    if problems:
        raise refusal(problems, secrets)
    assert settings is not None
    return settings


def s3_bucket_name_problem(name: str) -> str:
    """Why ``name`` breaks S3's general purpose bucket naming rules, or "" when it does not."""
    if not S3_BUCKET_NAME.match(name):
        return "wrong length or characters"
    if ".." in name:
        return "two adjacent periods"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", name):
        return "formatted as an IP address"
    if name.startswith(S3_RESERVED_PREFIXES):
        return f"a prefix AWS reserves ({', '.join(S3_RESERVED_PREFIXES)})"
    if name.endswith(S3_RESERVED_SUFFIXES):
        return f"a suffix AWS reserves ({', '.join(S3_RESERVED_SUFFIXES)})"
    return ""


def default_repository_name(stack: str) -> str:
    """``library-management-system-<stack>``, the stack's name folded into what ECR allows (lowercase letters and
    digits, single separators), so that two stacks of the project never push to one repository."""
    suffix = re.sub(r"[^a-z0-9]+", "-", stack.lower()).strip("-") or "stack"
    return f"{DEFAULT_REPOSITORY_PREFIX}-{suffix}"


def _stack_files(project_dir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> the ``config`` of its ``Pulumi.<stack>.yaml`` in the project directory."""
    import yaml

    return {
        path.name.removeprefix("Pulumi.").removesuffix(".yaml"): (yaml.safe_load(path.read_text()) or {}).get("config")
        or {}
        for path in sorted(project_dir.glob("Pulumi.*.yaml"))
    }


def _repositories_of_other_stacks(own_stack: str, project_dir: Path) -> dict[str, str]:
    """Repository name -> stack, for the other stack files of the project whose stack creates a repository."""
    found = {}
    for stack, config in _stack_files(project_dir).items():
        if stack == own_stack:
            continue
        if config.get(f"{NAMESPACE}:imageUri") and not config.get(f"{NAMESPACE}:imageFromStack"):
            continue  # deploys a pushed image as it is: creates no repository
        found[config.get(f"{NAMESPACE}:repositoryName") or default_repository_name(stack)] = stack
    return found


def stacks_promoting_from(stack: str, project_dir: Path) -> list[str]:
    """The other stacks of the project whose ``imageFromStack`` names this one: while they may copy from it, its
    repository must not be force-deleted."""
    return [
        other
        for other, config in _stack_files(project_dir).items()
        if str(config.get(f"{NAMESPACE}:imageFromStack") or "").split("/")[-1] == stack and other != stack
    ]


def _repository_problems(settings: Settings, project_dir: Path) -> list[str]:
    """Two stacks that create one repository collide (RepositoryAlreadyExistsException), or worse, one destroys the
    other's images."""
    owner = _repositories_of_other_stacks(settings.stack, project_dir).get(settings.repository)
    if owner is None:
        return []
    how = (
        f"remove the key to get this stack's own, {default_repository_name(settings.stack)}, or choose another name"
        if settings.repository_name
        else "set repositoryName to another name"
    )
    return [
        f"{NAMESPACE}:repositoryName={_shown(settings.repository)} is the repository the stack {owner!r} creates "
        f"(Pulumi.{owner}.yaml); two stacks cannot own one repository: {how}"
    ]


def _build_problems(settings: Settings, project_dir: Path) -> list[str]:
    """What stops ``docker build`` before it starts: no Dockerfile, or a context without the application."""
    dockerfile = project_dir / settings.dockerfile
    if not dockerfile.is_file():
        return [
            f"{NAMESPACE}:dockerfile={_shown(settings.dockerfile)} does not exist (paths are relative to the project "
            "directory); or set imageUri or imageFromStack to deploy an image that is already pushed"
        ]
    problems = []
    if settings.container_port < FIRST_UNPRIVILEGED_PORT and not app_source.runs_as_root(dockerfile.read_text()):
        problems.append(
            f"{NAMESPACE}:containerPort={settings.container_port}: {settings.dockerfile} runs the app as a non-root "
            f"user, which cannot listen below port {FIRST_UNPRIVILEGED_PORT}; use {FIRST_UNPRIVILEGED_PORT} or "
            "above (8081 is the app's own)"
        )
    missing = app_source.missing_sources(project_dir / settings.docker_context, dockerfile)
    if missing:
        problems.append(
            f"{NAMESPACE}:dockerContext={_shown(settings.docker_context)} does not hold the application that "
            f"{settings.dockerfile} builds (missing: {', '.join(missing)}). "
            + app_source.how_to_provide(settings.docker_context)
        )
    return problems


def load_settings(project_dir: Path) -> Settings:
    """Read every ``library-infra:*`` key the Pulumi engine passed to this program and validate it."""
    import pulumi
    import pulumi.runtime.config as runtime_config

    prefix = f"{NAMESPACE}:"
    full_keys = set(pulumi.runtime.get_config_env()) | set(runtime_config.CONFIG.get())
    raw = {k[len(prefix) :]: pulumi.runtime.get_config(k) for k in full_keys if k.startswith(prefix)}
    # Which keys are secret is the engine's word, not a guess from their names.
    secret = set(runtime_config.get_config_secret_keys_env()) | {
        k for k in full_keys if runtime_config.is_config_secret(k)
    }
    secret_keys = {k[len(prefix) :] for k in secret if k.startswith(prefix)}
    return parse_settings(raw, pulumi.get_stack(), project_dir, secret_keys)
