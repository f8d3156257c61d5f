"""Read-only preflight of the AWS account, the tools and the backend for one stack (``make doctor``).

    python -m stack_support.doctor [--stack dev]

Prints one line per check, ``✓ <what>`` or ``✗ <what>: <fix>``, and exits 1 when any check failed. It only reads:
boto3 Describe/Get/List/Head calls with the user's credentials, in the stack's ``aws:region`` (``AWS_ENDPOINT_URL``,
which boto3 honours, points them elsewhere), and ``pulumi version``, ``docker info`` and ``docker buildx ls``.
The settings are Pulumi.yaml's defaults overlaid with ``Pulumi.<stack>.yaml``, validated by
:func:`settings.parse_settings` as the CLI would pass them; a ``secure:`` value cannot be decrypted without the
CLI, so it counts as set but unknown and is never printed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from components.access_logs import LOG_DELIVERY_PRINCIPAL, LOG_ENCRYPTION
from stack_support import app_source
from stack_support.settings import NAMESPACE, ConfigError, Settings, parse_settings

ROOT = Path(__file__).resolve().parent.parent  # the project: Pulumi.yaml and the stack files
# Short timeouts and few retries: the whole run should take seconds, and a hung endpoint is itself a finding.
BOTO_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"})
COMMAND_TIMEOUT = 5.0
SECURE = "[secret]"
"""Stands in for a ``secure:`` config value: present, but unknown without the CLI."""
PULUMI_CLOUD = "https://api.pulumi.com"
SERVICE_LINKED_ROLES = (
    ("AWSServiceRoleForECS", "ecs.amazonaws.com"),
    ("AWSServiceRoleForElasticLoadBalancing", "elasticloadbalancing.amazonaws.com"),
    ("AWSServiceRoleForApplicationAutoScaling_ECSService", "ecs.application-autoscaling.amazonaws.com"),
)
# What tasks in subnets without a public IP or NAT gateway need endpoints for: image pulls (ECR API, registry, and
# S3 for the layers), logs and the SSM parameters.
PRIVATE_ENDPOINTS = ("ecr.api", "ecr.dkr", "s3", "logs", "ssm")
ARCHITECTURES = {"x86_64": "linux/amd64", "amd64": "linux/amd64", "aarch64": "linux/arm64", "arm64": "linux/arm64"}
EMULATION_FIX = "enable emulation (docker run --privileged --rm tonistiigi/binfmt --install all)"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed, and a detail (a fix when it failed)."""

    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        if self.ok:
            return f"✓ {self.name}" + (f" ({self.detail})" if self.detail else "")
        return f"✗ {self.name}: {self.detail}"


class Aws:
    """boto3 clients of one session and region, made once each."""

    def __init__(self, session: Any, region: str) -> None:
        self.session = session
        self.region = region
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1], config=BOTO_CONFIG)
        return self._clients[key]


def _error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# --- stack configuration -----------------------------------------------------------------------


def _masked(value: Any) -> tuple[Any, bool]:
    """``value`` with every ``secure:`` leaf replaced by :data:`SECURE`; and whether there was one."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _masked(v)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_masked(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def cli_string(value: Any) -> str:
    """A value as the CLI puts it in PULUMI_CONFIG: strings as they are, booleans in lower case, the rest JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def stack_config(stack: str, project_dir: Path = ROOT) -> tuple[str | None, dict[str, str], frozenset[str]]:
    """The stack's ``aws:region``, its ``library-infra`` keys as the CLI passes them, and the keys set as secrets.

    A top-level secure value of a key other than ``secretValues`` is left out (unknown: its checks are skipped)."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    raw: dict[str, Any] = {
        key: decl["default"]
        for key, decl in (project.get("config") or {}).items()
        if isinstance(decl, dict) and "default" in decl
    }
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path.name} does not exist; create the stack with `pulumi stack init {stack}`")
    document = yaml.safe_load(path.read_text()) or {}
    region: str | None = None
    secret_keys: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        if key == "aws:region":
            region = str(value)
        namespace, _, bare = key.partition(":")
        if namespace != NAMESPACE:
            continue
        masked, secret = _masked(value)
        if secret:
            secret_keys.add(bare)
            if masked == SECURE and bare != "secretValues":
                raw.pop(bare, None)
                continue
        raw[bare] = masked
    return region, {k: cli_string(v) for k, v in raw.items()}, frozenset(secret_keys)


def load(stack: str, project_dir: Path = ROOT) -> tuple[str | None, Settings]:
    """The stack's region and validated settings (the build context is checked by :func:`check_build`)."""
    region, raw, secret_keys = stack_config(stack, project_dir)
    return region, parse_settings(raw, stack, None, secret_keys)


# --- checks --------------------------------------------------------------------------------------


def check_identity(aws: Aws) -> tuple[Check, str | None]:
    """1. Credentials, account and region; returns the account id for the later checks."""
    try:
        identity = aws.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        fix = "configure credentials for the target account (aws configure, aws sso login or AWS_PROFILE)"
        return Check("AWS credentials", False, f"{fix} ({_error(exc)})"), None
    account = str(identity["Account"])
    return Check(f"AWS credentials: account {account} as {identity['Arn']}, region {aws.region}", True), account


def _version(executable: str) -> str | None:
    try:
        done = subprocess.run(
            [executable, "version"], capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip().removeprefix("v") if done.returncode == 0 else None


def check_pulumi_cli(project_dir: Path = ROOT) -> Check:
    """2. The Pulumi CLI of .pulumi.version, on the PATH or in .pulumi-cli/ (tools/pulumi's choice)."""
    want = (project_dir / ".pulumi.version").read_text().strip()
    name = f"Pulumi CLI {want}"
    seen = []
    for candidate in (shutil.which("pulumi"), project_dir / ".pulumi-cli" / "bin" / "pulumi"):
        if candidate is None or not Path(candidate).is_file():
            continue
        version = _version(str(candidate))
        if version == want:
            return Check(name, True, str(candidate))
        seen.append(f"{candidate} is {version or 'not working'}")
    found = "; ".join(seen) or "none on the PATH or in .pulumi-cli/"
    return Check(name, False, f"{found}; `make deploy` installs it via tools/pulumi")


def _pulumi_credentials() -> dict[str, Any]:
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    try:
        data = json.loads((home / "credentials.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_backend(aws: Aws) -> Check:
    """3. The state backend: PULUMI_BACKEND_URL, or the current `pulumi login`, or Pulumi Cloud."""
    credentials = _pulumi_credentials()
    url = os.environ.get("PULUMI_BACKEND_URL") or str(credentials.get("current") or "") or PULUMI_CLOUD
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        region = parse_qs(parsed.query).get("region", [aws.region])[0]
        name = f"backend s3://{parsed.netloc} ({region})"
        try:
            aws.client("s3", region).head_bucket(Bucket=parsed.netloc)
        except (ClientError, BotoCoreError) as exc:
            return Check(
                name,
                False,
                f"the bucket cannot be read ({_error(exc)}); create it with the bootstrap program or fix "
                "PULUMI_BACKEND_URL and its region",
            )
        return Check(name, True)
    if parsed.scheme == "file":
        directory = Path(os.path.expanduser(parsed.netloc + parsed.path))
        name = f"backend {url}"
        if directory.is_dir():
            return Check(name, True)
        return Check(name, False, f"{directory} is not a directory; create it (mkdir -p) or fix PULUMI_BACKEND_URL")
    if parsed.scheme in ("http", "https"):
        tokens = credentials.get("accessTokens") or {}
        if os.environ.get("PULUMI_ACCESS_TOKEN") or (isinstance(tokens, dict) and tokens.get(url)):
            return Check(f"backend {url} (access token set)", True)
        return Check(
            f"backend {url}",
            False,
            "set PULUMI_ACCESS_TOKEN or run `pulumi login`; or set PULUMI_BACKEND_URL (s3://<bucket>?region=<region>)",
        )
    return Check(f"backend {url}", False, "unsupported backend URL; use s3://, file:// or Pulumi Cloud")


def _root_may_decrypt(policy: Mapping[str, Any], account: str) -> bool:
    root = {f"arn:aws:iam::{account}:root", account}
    statements = policy.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow" or "Condition" in statement:
            continue
        principal = statement.get("Principal")
        principals = principal.get("AWS") if isinstance(principal, dict) else principal
        principals = principals if isinstance(principals, list) else [principals]
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        # Partitions other than aws: compare the account and the "root" suffix.
        named = any(p in root or (isinstance(p, str) and p.endswith(f":{account}:root")) for p in principals)
        if named and any(a in ("kms:*", "kms:Decrypt", "*") for a in actions):
            return True
    return False


def _key_problem(aws: Aws, key_id: str, settings: Settings, account: str) -> str | None:
    if key_id == "alias/aws/ssm":
        return None
    kms = aws.client("kms")
    try:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if metadata.get("KeyManager") == "AWS" or metadata["Arn"] == settings.kms_key_arn:
            return None
        policy = json.loads(kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
    except (ClientError, BotoCoreError) as exc:
        return f"its KMS key {key_id} cannot be read ({_error(exc)}); set kmsKeyArn to the key's ARN"
    if _root_may_decrypt(policy, account):
        return None
    return (
        f"its KMS key {metadata['Arn']} does not let the account's roles decrypt: set kmsKeyArn to it, or allow "
        f"arn:aws:iam::{account}:root kms:Decrypt in the key's policy"
    )


def check_parameters(aws: Aws, settings: Settings, account: str) -> list[Check]:
    """4. Each SSM parameter the stack reads (not created by it) exists as a SecureString with a usable key."""
    names = sorted({name for var, name in settings.secrets.items() if var not in settings.secret_values})
    if not names:
        return []
    ssm = aws.client("ssm")
    found: dict[str, dict[str, Any]] = {}
    try:
        for start in range(0, len(names), 50):
            filters = [{"Key": "Name", "Option": "Equals", "Values": names[start : start + 50]}]
            for page in ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters):
                found.update({p["Name"]: p for p in page["Parameters"]})
    except (ClientError, BotoCoreError) as exc:
        return [Check("SSM parameters", False, f"cannot be listed ({_error(exc)})")]
    checks = []
    for name in names:
        what = f"SSM parameter {name}"
        parameter = found.get(name)
        if parameter is None:
            fix = f"create it: aws ssm put-parameter --region {aws.region} --type SecureString --name {name} --value …"
            checks.append(Check(what, False, f"{fix}; or give its value in secretValues"))
        elif parameter.get("Type") != "SecureString":
            checks.append(
                Check(
                    what,
                    False,
                    f"it is a {parameter.get('Type')}; recreate it as a SecureString (aws ssm put-parameter "
                    "--type SecureString --overwrite)",
                )
            )
        else:
            problem = _key_problem(aws, str(parameter.get("KeyId") or "alias/aws/ssm"), settings, account)
            checks.append(Check(what, problem is None, problem or "SecureString"))
    return checks


def _vpc(ec2: Any, settings: Settings) -> str | None:
    if settings.vpc_id is not None:
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [settings.vpc_id]}])["Vpcs"]
    else:
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    return str(vpcs[0]["VpcId"]) if vpcs else None


# The keys of a route (DescribeRouteTables) that name its target; a route has one.
ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "VpcPeeringConnectionId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


@dataclass(frozen=True)
class DefaultRoute:
    """A subnet's 0.0.0.0/0 route, in the route table the subnet uses."""

    table: str | None
    """The route table: the one explicitly associated with the subnet, else the VPC's main table."""
    target: str | None = None
    """The target of an active 0.0.0.0/0 route (igw-…, nat-…, tgw-…); None without one."""
    blackhole: str | None = None
    """The target of a blackhole 0.0.0.0/0 route: it is gone (a deleted NAT gateway, a detached gateway)."""

    @property
    def internet_gateway(self) -> bool:
        return self.target is not None and self.target.startswith("igw-")

    @property
    def nat_gateway(self) -> bool:
        return self.target is not None and self.target.startswith("nat-")

    def of(self, subnet: str) -> str:
        """``subnet`` and where its default route leads, for a fix."""
        table = f" ({self.table})" if self.table else ""
        if self.target is not None:
            return f"{subnet}{table} routes 0.0.0.0/0 to {self.target}"
        if self.blackhole is not None:
            return f"{subnet}{table} has a blackhole 0.0.0.0/0 route (its target {self.blackhole} is gone)"
        return f"{subnet}{table} has no 0.0.0.0/0 route"


def _default_routes(ec2: Any, vpc: str, subnets: list[str]) -> dict[str, DefaultRoute]:
    """Each subnet's :class:`DefaultRoute`, from one look-up of the VPC's route tables.

    A subnet uses the route table explicitly associated with it, otherwise (implicitly) the VPC's main route table:
    Amazon VPC User Guide, "Route tables" and "Subnet route tables",
    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html and
    https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html. A route in the ``blackhole`` state
    leads nowhere: its target is not available, e.g. a gateway no longer attached or a deleted NAT gateway (the
    ``State`` of https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html)."""
    if not subnets:
        return {}
    filters = [{"Name": "vpc-id", "Values": [vpc]}]
    main: dict[str, Any] | None = None
    explicit: dict[str, dict[str, Any]] = {}
    for page in ec2.get_paginator("describe_route_tables").paginate(Filters=filters):
        for table in page["RouteTables"]:
            for association in table.get("Associations", []):
                if (association.get("AssociationState") or {}).get("State", "associated") != "associated":
                    continue
                if association.get("Main"):
                    main = table
                elif association.get("SubnetId"):
                    explicit[association["SubnetId"]] = table
    routes = {}
    for subnet in subnets:
        table = explicit.get(subnet, main)
        if table is None:
            routes[subnet] = DefaultRoute(None)
            continue
        default = [r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        target = next((str(default[0][k]) for k in ROUTE_TARGETS if default and default[0].get(k)), None)
        if default and default[0].get("State", "active") == "active":
            routes[subnet] = DefaultRoute(table["RouteTableId"], target=target)
        else:
            routes[subnet] = DefaultRoute(table["RouteTableId"], blackhole=target if default else None)
    return routes


def _placement(
    ids: tuple[str, ...], described: Mapping[str, Mapping[str, Any]], vpc: str
) -> tuple[list[str], list[str]]:
    """Of the subnets ``ids``: those in ``vpc``; and the problems (not found, in another VPC)."""
    problems = [f"{s} not found" for s in ids if s not in described]
    problems += [f"{s} is in {described[s]['VpcId']}" for s in ids if s in described and described[s]["VpcId"] != vpc]
    return [s for s in ids if s in described and described[s]["VpcId"] == vpc], problems


def _zones(subnets: list[str], described: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted({str(described[s]["AvailabilityZone"]) for s in subnets})


def _through(routes: Mapping[str, DefaultRoute], subnets: list[str]) -> str:
    """Where ``subnets`` route 0.0.0.0/0, by target: ``0.0.0.0/0 to igw-1: subnet-a, subnet-b``."""
    by_target: dict[str, list[str]] = {}
    for subnet in subnets:
        by_target.setdefault(str(routes[subnet].target), []).append(subnet)
    return "; ".join(f"0.0.0.0/0 to {target}: {', '.join(s)}" for target, s in sorted(by_target.items()))


def check_network(aws: Aws, settings: Settings) -> list[Check]:
    """5. The network paths: the VPC; the tasks' subnets, of it, in two zones; the ALB's subnets, public and in every
    zone of the tasks; and the tasks' way out to the image registry, SSM and CloudWatch Logs.

    Each subnet routes by its route table (:func:`_default_routes`), looked up once for the VPC. The ALB's subnets
    are loadBalancerSubnetIds, else the tasks' (subnetIds, else the default VPC's default subnets)."""
    ec2 = aws.client("ec2")
    try:
        vpc = _vpc(ec2, settings)
        if vpc is None:
            if settings.vpc_id is not None:
                return [Check(f"VPC {settings.vpc_id}", False, f"not found in {aws.region}; fix vpcId")]
            return [
                Check(
                    "default VPC",
                    False,
                    f"{aws.region} has none; set vpcId and subnetIds, or run `aws ec2 create-default-vpc`",
                )
            ]
        checks = [Check(f"VPC {vpc}", True, "configured" if settings.vpc_id else "the default VPC")]
        alb_ids = settings.load_balancer_subnet_ids
        if settings.subnet_ids:
            task_ids = settings.subnet_ids
            wanted = sorted({*task_ids, *alb_ids})
            found = ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": wanted}])["Subnets"]
        else:  # the default VPC's default subnets (loadBalancerSubnetIds needs subnetIds)
            filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]
            found = ec2.describe_subnets(Filters=filters)["Subnets"]
            task_ids = tuple(sorted(s["SubnetId"] for s in found))
        described = {str(s["SubnetId"]): s for s in found}

        # 5a. The tasks' subnets: of the VPC, in two zones.
        tasks, problems = _placement(task_ids, described, vpc)
        task_zones = _zones(tasks, described)
        if len(task_zones) < 2:
            problems.append(f"{len(task_zones)} zone(s) only")
        what = f"subnets in two Availability Zones ({', '.join(task_zones) or 'none'})"
        fix = "; set subnetIds to subnets of the VPC in two or more zones"
        checks.append(Check(what, not problems, "; ".join(problems) + fix if problems else ""))

        albs, alb_problems = _placement(alb_ids, described, vpc) if alb_ids else (tasks, [])
        routes = _default_routes(ec2, vpc, sorted({*tasks, *albs}))

        # 5b. The ALB's subnets: an internet-facing load balancer needs public subnets (a 0.0.0.0/0 route to an
        # internet gateway) in two or more zones,
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
        alb_zones = _zones(albs, described)
        if alb_ids and len(alb_zones) < 2:
            alb_problems.append(f"{len(alb_zones)} zone(s) only")
        private = [routes[s].of(s) for s in albs if not routes[s].internet_gateway]
        if alb_ids:
            what = f"ALB subnets public, in two Availability Zones ({', '.join(alb_zones) or 'none'})"
        else:
            what = "ALB subnets public (the tasks' subnets)"
        if alb_problems or private:
            if settings.vpc_id is None:
                fix = (
                    "an internet-facing ALB needs public subnets: add a 0.0.0.0/0 route to the VPC's internet gateway "
                    "to their route table, or set vpcId, subnetIds and loadBalancerSubnetIds"
                )
            else:
                fix = (
                    "an internet-facing ALB needs public subnets: set loadBalancerSubnetIds to public subnets of the "
                    "VPC in two or more zones (routing 0.0.0.0/0 to an internet gateway), or add that route"
                )
            checks.append(Check(what, False, "; ".join([*alb_problems, *private, fix])))
        elif albs:
            checks.append(Check(what, True, _through(routes, albs)))

        # 5c. The ALB's zones hold every zone of the tasks: the ALB routes to no target in a zone not enabled for it
        # (its health stays `unused`, Target.NotInUse). ELB User Guide, "Availability Zones and load balancer nodes",
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/how-elastic-load-balancing-works.html#availability-zones
        # and the API's TargetHealth, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
        # Without loadBalancerSubnetIds the ALB has the tasks' subnets, so their zones too.
        if alb_ids:
            missing = [z for z in task_zones if z not in alb_zones]
            what = f"ALB enabled in the tasks' zones ({', '.join(task_zones) or 'none'})"
            fix = (
                f"the ALB has no subnet in {', '.join(missing)}, so its tasks there get no traffic (their targets stay "
                "unused: Target.NotInUse); add a public subnet of each to loadBalancerSubnetIds, or take those zones' "
                "subnets out of subnetIds"
            )
            checks.append(Check(what, not missing, fix if missing else ""))

        # 5d. The tasks' way out.
        if tasks:
            checks.append(_egress(ec2, aws.region, vpc, {s: routes[s] for s in tasks}, settings.assign_public_ip))
    except (ClientError, BotoCoreError) as exc:
        return [Check("VPC and subnets", False, f"cannot be described ({_error(exc)})")]
    return checks


def _egress(ec2: Any, region: str, vpc: str, routes: Mapping[str, DefaultRoute], public_ip: bool) -> Check:
    """Whether the tasks reach the registry, SSM and CloudWatch Logs from their subnets (``routes``).

    A task on Fargate pulls its image over a route to the internet: with a public IP in a public subnet, or from a
    private subnet through a NAT gateway; or over VPC endpoints ("Amazon ECS task networking options for Fargate",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html). So with public IPs
    each subnet routes 0.0.0.0/0 to an internet gateway (the IP reaches nothing without that route); without, each
    routes it to an available NAT gateway, or the VPC has every endpoint of PRIVATE_ENDPOINTS. A subnet routing to
    an internet gateway fails without public IPs even so: its tasks reach nothing outside through it."""
    subnets = list(routes)
    if public_ip:
        what = "tasks with public IPs reach the internet"
        private = [routes[s].of(s) for s in subnets if not routes[s].internet_gateway]
        if not private:
            return Check(what, True, _through(routes, subnets))
        return Check(
            what,
            False,
            "; ".join(private) + ": a public IP reaches nothing without a 0.0.0.0/0 route to an internet gateway; "
            "add that route, or set assignPublicIp false with private subnets routing to a NAT gateway",
        )
    what = "tasks without public IPs reach AWS"
    public = [s for s in subnets if routes[s].internet_gateway]
    if public:
        return Check(
            what,
            False,
            "; ".join(routes[s].of(s) for s in public) + ": a task without a public IP reaches nothing through an "
            "internet gateway; set assignPublicIp true, or use private subnets with a NAT gateway route",
        )
    nat_ids = sorted({str(routes[s].target) for s in subnets if routes[s].nat_gateway})
    states: dict[str, str] = {}
    if nat_ids:
        filters = [{"Name": "nat-gateway-id", "Values": nat_ids}]
        for nat in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]:
            # A private NAT gateway reaches other VPCs and on-premises networks, never the internet ("NAT gateways",
            # Connectivity type: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html).
            private_nat = nat.get("ConnectivityType") == "private"
            states[nat["NatGatewayId"]] = "private (it has no route to the internet)" if private_nat else nat["State"]
    unrouted = []
    for subnet in subnets:
        route = routes[subnet]
        if route.nat_gateway and states.get(str(route.target)) != "available":
            state = states.get(str(route.target)) or "not found"
            unrouted.append(f"{route.of(subnet)}, which is {state}")
        elif not route.nat_gateway:
            unrouted.append(route.of(subnet))
    if not unrouted:
        return Check(what, True, f"NAT gateway {', '.join(nat_ids)}")
    wanted = {f"com.amazonaws.{region}.{x}": x for x in PRIVATE_ENDPOINTS}
    endpoints = ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "service-name", "Values": list(wanted)}]
    )["VpcEndpoints"]
    have = {e["ServiceName"] for e in endpoints if e.get("State", "available").lower() == "available"}
    missing = [x for service, x in wanted.items() if service not in have]
    if not missing:
        return Check(what, True, "VPC endpoints " + ", ".join(PRIVATE_ENDPOINTS))
    return Check(
        what,
        False,
        f"{'; '.join(unrouted)}; and {vpc} has no VPC endpoint for {', '.join(missing)}: route each task subnet's "
        "0.0.0.0/0 to an available NAT gateway, or add the endpoints, or set assignPublicIp true with public subnets",
    )


def check_database(aws: Aws, settings: Settings) -> list[Check]:
    """6. The database's security group exists and is in the tasks' VPC."""
    if settings.database_security_group_id is None and settings.database_instance is None:
        return []
    ec2 = aws.client("ec2")
    try:
        vpc = _vpc(ec2, settings)
        if settings.database_instance is not None:
            what = f"database instance {settings.database_instance}"
            try:
                [instance] = aws.client("rds").describe_db_instances(DBInstanceIdentifier=settings.database_instance)[
                    "DBInstances"
                ]
            except ClientError as exc:
                if _code(exc) == "DBInstanceNotFound":
                    return [Check(what, False, f"not found in {aws.region}; fix databaseInstance")]
                raise
            groups = sorted(g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", []))
            instance_vpc = (instance.get("DBSubnetGroup") or {}).get("VpcId")
        else:
            what = f"database security group {settings.database_security_group_id}"
            groups = [str(settings.database_security_group_id)]
            instance_vpc = None
        described = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": groups}])["SecurityGroups"]
    except (ClientError, BotoCoreError) as exc:
        return [Check("database", False, f"cannot be described ({_error(exc)})")]
    if not described:
        return [Check(what, False, f"security group {', '.join(groups) or '(none)'} not found; fix the setting")]
    group_vpc = instance_vpc or described[0]["VpcId"]
    if group_vpc != vpc:
        return [Check(what, False, f"it is in {group_vpc}, the tasks in {vpc}; use the database's VPC (vpcId)")]
    return [Check(what, True, f"{described[0]['GroupId']} in {vpc}")]


def check_certificate_and_topic(aws: Aws, settings: Settings) -> list[Check]:
    """7. certificateArn is ISSUED and in the stack's region; alarmTopicArn exists."""
    checks = []
    if settings.certificate_arn is not None:
        arn = settings.certificate_arn
        what = f"certificate {arn}"
        region = arn.split(":")[3]
        if region != aws.region:
            checks.append(Check(what, False, f"it is in {region}; the ALB needs one in {aws.region}"))
        else:
            try:
                status = aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
                ok = status == "ISSUED"
                checks.append(
                    Check(what, ok, "ISSUED" if ok else f"it is {status}; validate it, or fix certificateArn")
                )
            except (ClientError, BotoCoreError) as exc:
                checks.append(Check(what, False, f"cannot be described ({_error(exc)}); fix certificateArn"))
    if settings.alarm_topic_arn is not None:
        arn = settings.alarm_topic_arn
        what = f"alarm topic {arn}"
        try:
            aws.client("sns", arn.split(":")[3]).get_topic_attributes(TopicArn=arn)
            checks.append(Check(what, True))
        except (ClientError, BotoCoreError) as exc:
            checks.append(Check(what, False, f"cannot be read ({_error(exc)}); create it or fix alarmTopicArn"))
    return checks


def _run(*command: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def check_build(settings: Settings, project_dir: Path = ROOT) -> list[Check]:
    """8. For a stack that builds: the application's source, a Docker engine, and the task's platform."""
    if not settings.builds_image:
        return []
    checks = []
    dockerfile = project_dir / settings.dockerfile
    if not dockerfile.is_file():
        checks.append(Check(f"Dockerfile {settings.dockerfile}", False, "it does not exist; fix dockerfile"))
    else:
        missing = app_source.missing_sources(project_dir / settings.docker_context, dockerfile)
        what = f"application source in {settings.docker_context}/"
        fix = f"missing: {', '.join(missing)}. {app_source.how_to_provide(settings.docker_context)}"
        checks.append(Check(what, not missing, fix if missing else ""))
    if shutil.which("docker") is None:
        return [*checks, Check("Docker engine", False, "install Docker (https://docs.docker.com/get-docker/)")]
    info = _run("docker", "info", "--format", "{{.Architecture}}")
    if info is None or info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1] if info else "no answer within 5 s"
        return [*checks, Check("Docker engine", False, f"start Docker ({reason})")]
    architecture = info.stdout.strip()
    checks.append(Check("Docker engine", True, architecture))
    what = f"Docker builds for {settings.platform}"
    if ARCHITECTURES.get(architecture) == settings.platform:
        checks.append(Check(what, True, "native"))
        return checks
    buildx = _run("docker", "buildx", "ls")
    if buildx is not None and buildx.returncode == 0 and settings.platform in buildx.stdout:
        checks.append(Check(what, True, "emulated, listed by docker buildx ls"))
    else:
        checks.append(Check(what, False, f"the engine is {architecture}; {EMULATION_FIX}"))
    return checks


def check_service_linked_roles(aws: Aws) -> list[Check]:
    """9. The service-linked roles ECS, ELB and Application Auto Scaling use: present, or made on first use."""
    iam = aws.client("iam")
    checks = []
    for role, _service in SERVICE_LINKED_ROLES:
        try:
            iam.get_role(RoleName=role)
            checks.append(Check(f"service-linked role {role}", True))
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                checks.append(Check(f"service-linked role {role}", True, "created on first use"))
            else:
                checks.append(Check(f"service-linked role {role}", False, f"cannot be read ({_error(exc)})"))
        except BotoCoreError as exc:
            checks.append(Check(f"service-linked role {role}", False, f"cannot be read ({_error(exc)})"))
    return checks


def check_access_log_bucket(aws: Aws, settings: Settings, account: str) -> list[Check]:
    """10. ``accessLogsBucket``, a bucket the stack does not create: in the stack's region, encrypted with SSE-S3, and
    with a policy that lets ELB's log delivery write this account's logs under the stack's prefix. ELB checks all of
    this when logging is turned on and refuses the deploy otherwise ("Access Denied for bucket")."""
    bucket = settings.access_logs_bucket
    if bucket is None:
        return []
    what = f"access-log bucket {bucket}"
    s3 = aws.client("s3")
    try:
        # GetBucketLocation answers null for us-east-1.
        region = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except (ClientError, BotoCoreError) as exc:
        return [Check(what, False, f"cannot be read ({_error(exc)}); create it or fix accessLogsBucket")]
    # "The bucket must be located in the same Region as the load balancer" (enable-access-logging.html, requirements).
    if region != aws.region:
        return [Check(what, False, f"is in {region}; an ALB in {aws.region} writes only to a bucket of its region")]
    problems = []
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithms = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    except ClientError as exc:
        algorithms = set() if _code(exc) == "ServerSideEncryptionConfigurationNotFoundError" else {_error(exc)}
    if algorithms - {LOG_ENCRYPTION, None}:
        problems.append(
            f"default encryption is {', '.join(sorted(a for a in algorithms if a))}: ALB access logs support only "
            f"SSE-S3 ({LOG_ENCRYPTION})"
        )
    prefix = settings.family
    key = f"{prefix}/AWSLogs/{account}/elasticloadbalancing/{aws.region}/x.log.gz"
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        policy = {"Statement": []} if _code(exc) == "NoSuchBucketPolicy" else None
        if policy is None:
            problems.append(f"its policy cannot be read ({_error(exc)})")
    if policy is not None and not _allows_log_delivery(policy, f"arn:aws:s3:::{bucket}/{key}"):
        problems.append(
            f"its policy does not let {LOG_DELIVERY_PRINCIPAL} s3:PutObject on {bucket}/{prefix}/AWSLogs/{account}/*; "
            "add that statement (docs/configuration.md, accessLogsBucket)"
        )
    if problems:
        return [Check(what, False, "; ".join(problems))]
    return [Check(what, True, f"in {region}, SSE-S3, ELB may write under {prefix}/")]


def _allows_log_delivery(policy: Mapping[str, Any], object_arn: str) -> bool:
    """Some Allow statement without conditions grants ELB's log delivery s3:PutObject on ``object_arn``."""
    statements = policy.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if LOG_DELIVERY_PRINCIPAL not in _listed(services):
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        if any(fnmatch.fnmatchcase("s3:putobject", a.lower()) for a in _listed(actions)) and any(
            fnmatch.fnmatchcase(object_arn.split(":", 5)[5], r.split(":", 5)[-1]) for r in _listed(resources)
        ):
            return True
    return False


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def run_checks(aws: Aws, settings: Settings, project_dir: Path = ROOT) -> list[Check]:
    """Every check, in order; those that need the account are skipped when the credentials fail."""
    identity, account = check_identity(aws)
    checks = [identity, check_pulumi_cli(project_dir), check_backend(aws)]
    if account is not None:
        checks += check_parameters(aws, settings, account)
        checks += check_network(aws, settings)
        checks += check_database(aws, settings)
        checks += check_certificate_and_topic(aws, settings)
        checks += check_access_log_bucket(aws, settings, account)
    checks += check_build(settings, project_dir)
    if account is not None:
        checks += check_service_linked_roles(aws)
    return checks


def new_session(region: str) -> Any:
    return boto3.session.Session(region_name=region)


def main(argv: list[str] | None = None, session_factory: Callable[[str], Any] = new_session) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        region, settings = load(args.stack, args.project_dir)
    except ConfigError as exc:
        print(Check(f"settings of stack {args.stack}", False, str(exc)).line())
        return 1
    if region is None:
        print(Check("aws:region", False, f"set it: pulumi config set aws:region <region> --stack {args.stack}").line())
        return 1
    checks = run_checks(Aws(session_factory(region), region), settings, args.project_dir)
    for check in checks:
        print(check.line(), flush=True)
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
