"""`make doctor`: every AWS check against the moto server of the local stack (real boto3 calls, AWS_ENDPOINT_URL),
the CLI and Docker checks against stand-in executables on the PATH."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import stat
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.access_logs import LOG_DELIVERY_PRINCIPAL, access_log_bucket_policy
from stack_support import doctor
from stack_support.settings import Settings, parse_settings
from tests.conftest import boto3_session, free_port
from tests.harness import APP_FIXTURE, ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
IMAGE = "public.ecr.aws/docker/library/eclipse-temurin@sha256:" + "0" * 64
WANTED = (ROOT / ".pulumi.version").read_text().strip()


@pytest.fixture
def env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """boto3 pointed at moto with dummy credentials; an empty PATH of stand-ins (returned) and PULUMI_HOME."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def stand_in(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def docker(bin_dir: Path, architecture: str = "x86_64", buildx: str = "default  docker  linux/amd64") -> None:
    stand_in(
        bin_dir,
        "docker",
        f'case "$1" in\n  info) echo {architecture} ;;\n  buildx) echo "{buildx}" ;;\n  *) exit 1 ;;\nesac',
    )


def session(region: str = REGION) -> Any:
    return boto3_session(region)


def client(service: str, region: str = REGION) -> Any:
    return session(region).client(service)


def aws() -> doctor.Aws:
    return doctor.Aws(session(), REGION)


def settings(**config: Any) -> Settings:
    config.setdefault("imageUri", IMAGE)
    return parse_settings({k: doctor.cli_string(v) for k, v in config.items()}, "t")


def unique(prefix: str) -> str:
    return f"/{prefix}/{uuid.uuid4().hex[:8]}"


def by_name(checks: list[doctor.Check], start: str) -> doctor.Check:
    [found] = [c for c in checks if c.name.startswith(start)]
    return found


# --- 1. identity -------------------------------------------------------------------------------------------------


def test_identity_names_the_account_and_region(env: Path) -> None:
    check, account = doctor.check_identity(aws())
    assert check.ok
    assert account == ACCOUNT
    assert ACCOUNT in check.line()
    assert REGION in check.line()


def test_identity_fails_with_a_fix_when_aws_does_not_answer(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    check, account = doctor.check_identity(aws())
    assert not check.ok
    assert account is None
    assert "aws configure" in check.line()


# --- 2. the Pulumi CLI -------------------------------------------------------------------------------------------


def test_pulumi_cli_of_the_pinned_version_on_the_path_passes(env: Path) -> None:
    stand_in(env, "pulumi", f"echo v{WANTED}")
    assert doctor.check_pulumi_cli(ROOT).ok


def test_pulumi_cli_of_another_version_or_none_fails_with_the_make_deploy_fix(env: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / ".pulumi.version", project)
    missing = doctor.check_pulumi_cli(project)
    assert not missing.ok
    assert "`make deploy` installs it via tools/pulumi" in missing.line()
    stand_in(env, "pulumi", "echo v3.0.0")
    other = doctor.check_pulumi_cli(project)
    assert not other.ok
    assert "is 3.0.0" in other.detail
    # The copy tools/pulumi installs into .pulumi-cli/ counts too.
    installed = project / ".pulumi-cli" / "bin"
    installed.mkdir(parents=True)
    stand_in(installed, "pulumi", f"echo v{WANTED}")
    assert doctor.check_pulumi_cli(project).ok


# --- 3. the backend ----------------------------------------------------------------------------------------------


def test_s3_backend_passes_when_the_bucket_exists_and_fails_when_not(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"state-{uuid.uuid4().hex[:8]}"
    client("s3", "eu-west-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"s3://{bucket}?region=eu-west-1&awssdk=v2")
    assert doctor.check_backend(aws()).ok
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"s3://{bucket}-missing?region=eu-west-1")
    assert not doctor.check_backend(aws()).ok


def test_file_backend_needs_its_directory(env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}")
    assert doctor.check_backend(aws()).ok
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}/missing")
    assert not doctor.check_backend(aws()).ok


def test_pulumi_cloud_needs_a_token_which_is_never_printed(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without = doctor.check_backend(aws())
    assert not without.ok
    assert "PULUMI_ACCESS_TOKEN" in without.line()
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-0123456789")
    with_token = doctor.check_backend(aws())
    assert with_token.ok
    assert "pul-0123456789" not in with_token.line()


# --- 4. SSM parameters and their keys ----------------------------------------------------------------------------


def test_parameters_pass_as_secure_strings_with_a_usable_key_and_fail_otherwise(env: Path) -> None:
    ssm, kms = client("ssm"), client("kms")
    names = {k: unique(k) for k in ("managed", "root", "named", "plain", "missing", "closed", "owned")}
    ssm.put_parameter(Name=names["managed"], Value="v", Type="SecureString")
    root_key = kms.create_key()["KeyMetadata"]  # moto's default policy: the account root may kms:*
    ssm.put_parameter(Name=names["root"], Value="v", Type="SecureString", KeyId=root_key["KeyId"])
    closed_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}, "Action": "kms:*"}
        ],
    }
    closed_key = kms.create_key(Policy=json.dumps(closed_policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    ssm.put_parameter(Name=names["closed"], Value="v", Type="SecureString", KeyId=closed_key["Arn"])
    named_key = kms.create_key(Policy=json.dumps(closed_policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    ssm.put_parameter(Name=names["named"], Value="v", Type="SecureString", KeyId=named_key["Arn"])
    ssm.put_parameter(Name=names["plain"], Value="v", Type="String")
    stack = settings(
        secrets={k.upper(): v for k, v in names.items()},
        secretValues={"OWNED": "value"},
        kmsKeyArn=named_key["Arn"],
    )
    checks = doctor.check_parameters(aws(), stack, ACCOUNT)
    results = {c.name.removeprefix("SSM parameter "): c for c in checks}
    assert names["owned"] not in results  # the stack creates it
    assert {n for n, c in results.items() if c.ok} == {names["managed"], names["root"], names["named"]}
    assert "SecureString" in results[names["plain"]].detail
    assert "put-parameter" in results[names["missing"]].detail
    assert f"arn:aws:iam::{ACCOUNT}:root kms:Decrypt" in results[names["closed"]].detail


# --- 5. network ----------------------------------------------------------------------------------------------------
# Real EC2 resources in moto: VPCs, subnets, internet and NAT gateways, route tables and their associations; most made
# once (Layout) for the tests that only read them, as each call to moto costs time. Two things moto does not model: a
# route whose target is gone stays `active` (AWS marks it `blackhole`), so the blackhole case rewrites moto's answer
# as AWS gives it; and its default VPC has no internet gateway, so the default_vpc fixture adds one as AWS has.


def private_vpc(ec2: Any, zones: tuple[str, ...]) -> tuple[str, list[str]]:
    """A VPC and one subnet per zone, all on its main route table, which has no 0.0.0.0/0 route."""
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    return vpc, subnets


def internet_gateway(ec2: Any, vpc: str) -> str:
    gateway = str(ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"])
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return gateway


def nat_gateway(ec2: Any, subnet: str) -> str:
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return str(ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"])


def main_route_table(ec2: Any, vpc: str) -> dict[str, Any]:
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    [table] = ec2.describe_route_tables(Filters=filters)["RouteTables"]
    return dict(table)


def default_route(ec2: Any, table: str, **target: str) -> None:
    """0.0.0.0/0 to ``target`` (GatewayId=igw-… or NatGatewayId=nat-…) in ``table``."""
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **target)


def route_table(ec2: Any, vpc: str, subnets: list[str], **target: str) -> str:
    """A route table explicitly associated with ``subnets``, with 0.0.0.0/0 to ``target``."""
    table = str(ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"])
    default_route(ec2, table, **target)
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return table


def moto_client(endpoint: str, service: str) -> Any:
    """A client for a module-scoped fixture, which cannot use ``env``."""
    return session().client(service, endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")


class Layout(NamedTuple):
    """The usual network of a custom VPC, in zones a, b and c: public subnets for the ALB and private ones for the
    tasks; and a pair routing to a NAT gateway since deleted."""

    vpc: str
    public: list[str]
    """With their own route table ``public_table``: 0.0.0.0/0 to the internet gateway ``igw``."""
    private: list[str]
    """With no route table of their own: the main one, ``main_table``, 0.0.0.0/0 to the NAT gateway ``nat``."""
    stale: list[str]
    """Zones a and b, with their own route table ``stale_table``: 0.0.0.0/0 to ``deleted_nat``."""
    igw: str
    nat: str
    deleted_nat: str
    main_table: str
    public_table: str
    stale_table: str
    elsewhere: str
    """A subnet of another VPC, the default one."""


@pytest.fixture(scope="module")
def layout(moto_endpoint: str) -> Layout:
    ec2 = moto_client(moto_endpoint, "ec2")
    vpc, subnets = private_vpc(ec2, ("a", "b", "c", "a", "b", "c", "a", "b"))
    public, private, stale = subnets[:3], subnets[3:6], subnets[6:]
    igw = internet_gateway(ec2, vpc)
    public_table = route_table(ec2, vpc, public, GatewayId=igw)
    main_table = main_route_table(ec2, vpc)["RouteTableId"]
    nat, deleted_nat = nat_gateway(ec2, public[0]), nat_gateway(ec2, public[1])
    default_route(ec2, main_table, NatGatewayId=nat)
    stale_table = route_table(ec2, vpc, stale, NatGatewayId=deleted_nat)
    ec2.delete_nat_gateway(NatGatewayId=deleted_nat)
    filters = [{"Name": "default-for-az", "Values": ["true"]}, {"Name": "availability-zone", "Values": [f"{REGION}b"]}]
    elsewhere = ec2.describe_subnets(Filters=filters)["Subnets"][0]["SubnetId"]
    return Layout(vpc, public, private, stale, igw, nat, deleted_nat, main_table, public_table, stale_table, elsewhere)


@pytest.fixture(scope="module")
def default_vpc(moto_endpoint: str) -> str:
    """moto's default VPC made as AWS makes it: an internet gateway, and a 0.0.0.0/0 route to it in the main route
    table, which the default subnets use (they have no route table of their own)."""
    ec2 = moto_client(moto_endpoint, "ec2")
    vpc = str(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"])
    default_route(ec2, main_route_table(ec2, vpc)["RouteTableId"], GatewayId=internet_gateway(ec2, vpc))
    return vpc


@pytest.fixture(scope="module")
def doctors() -> doctor.Aws:
    """One doctor.Aws for the network tests, so one EC2 client: made in the first of them (under ``env``), reused."""
    return aws()


def network(doctors: doctor.Aws, **config: Any) -> dict[str, doctor.Check]:
    """check_network's lines for ``config``, by name up to any parenthesis."""
    return {c.name.split(" (")[0]: c for c in doctor.check_network(doctors, settings(**config))}


def test_the_default_vpc_and_its_default_subnets_pass(env: Path, default_vpc: str, doctors: doctor.Aws) -> None:
    checks = doctor.check_network(doctors, settings())
    assert all(c.ok for c in checks), checks
    assert checks[0] == doctor.Check(f"VPC {default_vpc}", True, "the default VPC")
    assert [c.name.split(" (")[0] for c in checks[2:]] == [
        "ALB subnets public",
        "tasks with public IPs reach the internet",
    ]
    # The default subnets have no route table of their own: the main one's route counts.
    assert checks[2].detail.startswith("0.0.0.0/0 to igw-")


def test_subnets_in_one_zone_or_another_vpc_fail(env: Path, layout: Layout, doctors: doctor.Aws) -> None:
    subnets = network(doctors, vpcId=layout.vpc, subnetIds=[layout.public[0], layout.private[0]])[
        "subnets in two Availability Zones"
    ]
    assert not subnets.ok
    assert "1 zone(s) only" in subnets.detail
    subnets = network(doctors, vpcId=layout.vpc, subnetIds=[layout.public[0], layout.elsewhere])[
        "subnets in two Availability Zones"
    ]
    assert f"{layout.elsewhere} is in" in subnets.detail


def test_public_alb_subnets_and_private_task_subnets_with_a_nat_gateway_pass(
    env: Path, layout: Layout, doctors: doctor.Aws
) -> None:
    checks = network(
        doctors, vpcId=layout.vpc, subnetIds=layout.private, loadBalancerSubnetIds=layout.public, assignPublicIp=False
    )
    assert all(c.ok for c in checks.values()), checks
    assert list(checks)[1:] == [
        "subnets in two Availability Zones",
        "ALB subnets public, in two Availability Zones",
        "ALB enabled in the tasks' zones",
        "tasks without public IPs reach AWS",
    ]
    assert (
        checks["ALB subnets public, in two Availability Zones"].detail
        == f"0.0.0.0/0 to {layout.igw}: {', '.join(layout.public)}"
    )
    assert checks["tasks without public IPs reach AWS"].detail == f"NAT gateway {layout.nat}"


def test_alb_subnets_without_a_route_to_an_internet_gateway_fail(
    env: Path, layout: Layout, doctors: doctor.Aws
) -> None:
    # The tasks' private subnets are the ALB's too without loadBalancerSubnetIds: what a custom VPC gave before it.
    checks = network(doctors, vpcId=layout.vpc, subnetIds=layout.private)
    alb = checks["ALB subnets public"]
    assert not alb.ok
    for subnet in layout.private:  # with no route table of their own, they route by the main one
        assert f"{subnet} ({layout.main_table}) routes 0.0.0.0/0 to {layout.nat}" in alb.detail
    assert alb.detail.endswith(
        "an internet-facing ALB needs public subnets: set loadBalancerSubnetIds to public subnets of the VPC in two "
        "or more zones (routing 0.0.0.0/0 to an internet gateway), or add that route"
    )
    # They are the same subnets, so the same zones: no comparison.
    assert "ALB enabled in the tasks' zones" not in checks


def test_alb_subnets_must_exist_in_the_vpc_and_cover_two_zones(env: Path, layout: Layout, doctors: doctor.Aws) -> None:
    missing = "subnet-0123456789abcdef0"
    alb_subnets = [layout.public[0], layout.private[0], layout.elsewhere, missing]
    checks = network(doctors, vpcId=layout.vpc, subnetIds=layout.private, loadBalancerSubnetIds=alb_subnets)
    alb = checks["ALB subnets public, in two Availability Zones"]
    assert not alb.ok
    assert f"{missing} not found" in alb.detail
    assert f"{layout.elsewhere} is in " in alb.detail
    assert "1 zone(s) only" in alb.detail  # of the VPC's: a only
    assert f"{layout.private[0]} ({layout.main_table})" in alb.detail  # of the VPC, but private
    assert f"{layout.public[0]} " not in alb.detail


def test_the_alb_must_have_a_subnet_in_every_zone_of_the_tasks(env: Path, layout: Layout, doctors: doctor.Aws) -> None:
    checks = network(
        doctors,
        vpcId=layout.vpc,
        subnetIds=layout.private,
        loadBalancerSubnetIds=layout.public[:2],
        assignPublicIp=False,
    )
    zones = checks["ALB enabled in the tasks' zones"]
    assert not zones.ok
    assert zones.name == f"ALB enabled in the tasks' zones ({REGION}a, {REGION}b, {REGION}c)"
    assert zones.detail.startswith(f"the ALB has no subnet in {REGION}c, so its tasks there get no traffic")
    assert "Target.NotInUse" in zones.detail
    assert "loadBalancerSubnetIds" in zones.detail


def test_tasks_with_public_ips_need_a_route_to_an_internet_gateway(
    env: Path, layout: Layout, doctors: doctor.Aws
) -> None:
    checks = network(doctors, vpcId=layout.vpc, subnetIds=layout.private, loadBalancerSubnetIds=layout.public)
    tasks = checks["tasks with public IPs reach the internet"]
    assert not tasks.ok
    assert all(f"{s} ({layout.main_table}) routes 0.0.0.0/0 to {layout.nat}" in tasks.detail for s in layout.private)
    assert "a public IP reaches nothing without a 0.0.0.0/0 route to an internet gateway" in tasks.detail


def test_private_tasks_in_subnets_routed_to_an_internet_gateway_fail(
    env: Path, layout: Layout, doctors: doctor.Aws
) -> None:
    checks = network(
        doctors, vpcId=layout.vpc, subnetIds=layout.public, loadBalancerSubnetIds=layout.public, assignPublicIp=False
    )
    assert checks["ALB subnets public, in two Availability Zones"].ok
    egress = checks["tasks without public IPs reach AWS"]
    assert not egress.ok
    # Their own route table wins over the main one (which routes to the NAT gateway).
    assert all(f"{s} ({layout.public_table}) routes 0.0.0.0/0 to {layout.igw}" in egress.detail for s in layout.public)
    assert egress.detail.endswith("set assignPublicIp true, or use private subnets with a NAT gateway route")


def test_private_tasks_fail_through_a_deleted_nat_gateway_or_a_blackhole_route(
    env: Path, layout: Layout, doctors: doctor.Aws
) -> None:
    # Each subnet of the tasks needs its own way out: the available NAT gateway of the first does not serve the second.
    config = {
        "vpcId": layout.vpc,
        "subnetIds": [layout.private[0], layout.stale[1]],
        "loadBalancerSubnetIds": layout.public,
        "assignPublicIp": False,
    }
    egress = network(doctors, **config)["tasks without public IPs reach AWS"]
    assert not egress.ok
    assert layout.private[0] not in egress.detail
    # moto keeps the route to a deleted NAT gateway active, and describes the gateway deleted.
    assert (
        f"{layout.stale[1]} ({layout.stale_table}) routes 0.0.0.0/0 to {layout.deleted_nat}, which is deleted"
        in egress.detail
    )
    assert "no VPC endpoint for ecr.api, ecr.dkr, s3, logs, ssm:" in egress.detail
    # AWS marks such a route blackhole, which is no route: moto's answer rewritten so.

    def blackhole(parsed: dict[str, Any], **_: Any) -> None:
        for table in parsed["RouteTables"]:
            for route in table["Routes"]:
                if route.get("NatGatewayId") == layout.deleted_nat:
                    route["State"] = "blackhole"

    as_aws = session()
    as_aws.events.register("after-call.ec2.DescribeRouteTables", blackhole)
    egress = network(doctor.Aws(as_aws, REGION), **config)["tasks without public IPs reach AWS"]
    assert not egress.ok
    gone = f"has a blackhole 0.0.0.0/0 route (its target {layout.deleted_nat} is gone)"
    assert f"{layout.stale[1]} ({layout.stale_table}) {gone}" in egress.detail
    assert "which is deleted" not in egress.detail


def test_private_tasks_behind_a_private_nat_gateway_do_not_reach_aws(env: Path, doctors: doctor.Aws) -> None:
    ec2 = client("ec2")
    vpc, subnets = private_vpc(ec2, ("a", "b"))
    nat = str(ec2.create_nat_gateway(SubnetId=subnets[0], ConnectivityType="private")["NatGateway"]["NatGatewayId"])
    ec2.create_route(
        RouteTableId=main_route_table(ec2, vpc)["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat
    )
    egress = network(doctors, vpcId=vpc, subnetIds=subnets, assignPublicIp=False)["tasks without public IPs reach AWS"]
    assert not egress.ok
    assert f"routes 0.0.0.0/0 to {nat}, which is private (it has no route to the internet)" in egress.detail


def test_private_tasks_without_a_nat_gateway_route_need_the_endpoints(env: Path, doctors: doctor.Aws) -> None:
    ec2 = client("ec2")
    vpc, subnets = private_vpc(ec2, ("a", "b"))
    config = {"vpcId": vpc, "subnetIds": subnets, "assignPublicIp": False}
    egress = network(doctors, **config)["tasks without public IPs reach AWS"]
    assert not egress.ok
    for subnet in subnets:  # by the main route table, which has none
        assert re.search(rf"{subnet} \(rtb-\w+\) has no 0\.0\.0\.0/0 route;", egress.detail), egress.detail
    assert f"{vpc} has no VPC endpoint for ecr.api, ecr.dkr, s3, logs, ssm:" in egress.detail
    for service in doctor.PRIVATE_ENDPOINTS:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.{service}")
    egress = network(doctors, **config)["tasks without public IPs reach AWS"]
    assert egress == doctor.Check(
        "tasks without public IPs reach AWS", True, "VPC endpoints ecr.api, ecr.dkr, s3, logs, ssm"
    )


def test_a_missing_vpc_fails(env: Path) -> None:
    [check] = doctor.check_network(
        aws(),
        settings(vpcId="vpc-0123456789abcdef0", subnetIds=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]),
    )
    assert not check.ok
    assert "fix vpcId" in check.detail


# --- 6. the database ---------------------------------------------------------------------------------------------


def test_database_group_must_be_in_the_tasks_vpc(env: Path) -> None:
    ec2 = client("ec2")
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    here = ec2.create_security_group(GroupName=uuid.uuid4().hex, Description="db", VpcId=default_vpc)["GroupId"]
    elsewhere_vpc, _ = private_vpc(ec2, ("a",))
    elsewhere = ec2.create_security_group(GroupName=uuid.uuid4().hex, Description="db", VpcId=elsewhere_vpc)["GroupId"]
    assert doctor.check_database(aws(), settings(databaseSecurityGroupId=here))[0].ok
    [wrong] = doctor.check_database(aws(), settings(databaseSecurityGroupId=elsewhere))
    assert not wrong.ok
    assert elsewhere_vpc in wrong.detail
    [missing] = doctor.check_database(aws(), settings(databaseInstance="no-such-db"))
    assert not missing.ok
    assert "fix databaseInstance" in missing.detail
    assert doctor.check_database(aws(), settings()) == []


# --- 7. certificate and alarm topic ---------------------------------------------------------------------------------


def self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "library.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key


def test_certificate_must_be_issued_and_in_the_region_and_the_topic_must_exist(env: Path) -> None:
    certificate, key = self_signed()
    issued = client("acm").import_certificate(Certificate=certificate, PrivateKey=key)["CertificateArn"]
    pending = client("acm").request_certificate(DomainName="library.example.com")["CertificateArn"]
    abroad = client("acm", "eu-west-1").import_certificate(Certificate=certificate, PrivateKey=key)["CertificateArn"]
    topic = client("sns").create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    ok = doctor.check_certificate_and_topic(aws(), settings(certificateArn=issued, alarmTopicArn=topic))
    assert [c.ok for c in ok] == [True, True]
    [not_issued, no_topic] = doctor.check_certificate_and_topic(
        aws(), settings(certificateArn=pending, alarmTopicArn=topic + "-missing")
    )
    assert not not_issued.ok
    assert "PENDING_VALIDATION" in not_issued.detail
    assert not no_topic.ok
    [wrong_region] = doctor.check_certificate_and_topic(aws(), settings(certificateArn=abroad))
    assert not wrong_region.ok
    assert "eu-west-1" in wrong_region.detail


def log_bucket(region: str = REGION, *, policy_prefix: str | None = None, sse: str = "AES256") -> str:
    """A bucket of ``region`` as docs/configuration.md asks for accessLogsBucket (``policy_prefix`` None: no policy)."""
    name = f"logs-{uuid.uuid4().hex[:12]}"
    s3 = client("s3", region)
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **where)
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": sse}}
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
    if policy_prefix is not None:
        policy = access_log_bucket_policy("aws", name, policy_prefix, ACCOUNT)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def test_an_existing_access_log_bucket_must_let_elb_write_in_the_region_with_sse_s3(env: Path) -> None:
    family = settings().family  # the stack's log prefix
    good = log_bucket(policy_prefix=family)
    [ok] = doctor.check_access_log_bucket(aws(), settings(accessLogsBucket=good), ACCOUNT)
    assert ok.ok, ok.detail
    for bucket, expected in (
        (log_bucket(policy_prefix="another-app"), f"does not let {LOG_DELIVERY_PRINCIPAL} s3:PutObject"),
        (log_bucket(), f"does not let {LOG_DELIVERY_PRINCIPAL} s3:PutObject"),
        (log_bucket(policy_prefix=family, sse="aws:kms"), "default encryption is aws:kms"),
        (log_bucket("eu-west-1", policy_prefix=family), "is in eu-west-1"),
        (f"missing-{uuid.uuid4().hex[:8]}", "cannot be read"),
    ):
        [refused] = doctor.check_access_log_bucket(aws(), settings(accessLogsBucket=bucket), ACCOUNT)
        assert not refused.ok, bucket
        assert expected in refused.detail, refused.detail
    assert doctor.check_access_log_bucket(aws(), settings(), ACCOUNT) == []  # the stack's own bucket: nothing to check


# --- 8. the image build ----------------------------------------------------------------------------------------------


def builds(**config: Any) -> Settings:
    return parse_settings({"dockerContext": APP_FIXTURE, **config}, "t")


def test_build_passes_with_the_source_and_an_engine_of_the_platform(env: Path) -> None:
    docker(env, "x86_64")
    checks = doctor.check_build(builds(), ROOT)
    assert [c.ok for c in checks] == [True, True, True], checks
    assert doctor.check_build(settings(), ROOT) == []  # imageUri: nothing is built


def test_build_for_another_architecture_needs_emulation_unless_buildx_lists_it(env: Path) -> None:
    docker(env, "aarch64", buildx="default  docker  linux/arm64")
    platform = by_name(doctor.check_build(builds(), ROOT), "Docker builds for linux/amd64")
    assert not platform.ok
    assert doctor.EMULATION_FIX in platform.detail
    docker(env, "aarch64", buildx="default  docker  linux/arm64, linux/amd64")
    assert by_name(doctor.check_build(builds(), ROOT), "Docker builds for").ok
    assert by_name(doctor.check_build(builds(cpuArchitecture="ARM64"), ROOT), "Docker builds for linux/arm64").ok


def test_build_fails_without_source_without_docker_or_with_a_stopped_engine(env: Path, tmp_path: Path) -> None:
    checks = doctor.check_build(builds(dockerContext=str(tmp_path / "empty")), ROOT)
    assert not by_name(checks, "application source").ok
    assert "install Docker" in by_name(checks, "Docker engine").detail
    stand_in(env, "docker", "echo 'Cannot connect to the Docker daemon' >&2; exit 1")
    engine = by_name(doctor.check_build(builds(), ROOT), "Docker engine")
    assert not engine.ok
    assert "Cannot connect to the Docker daemon" in engine.detail


# --- 9. service-linked roles -----------------------------------------------------------------------------------------


def test_service_linked_roles_pass_present_or_missing_and_fail_when_unreadable(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = doctor.check_service_linked_roles(aws())
    assert all(c.ok for c in checks)
    assert {c.detail for c in checks} == {"created on first use"}
    # moto's create_service_linked_role names ECS's role AWSServiceRoleForecs: made as AWS names it instead.
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    client("iam").create_role(
        RoleName="AWSServiceRoleForECS",
        Path="/aws-service-role/ecs.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )
    ecs = by_name(doctor.check_service_linked_roles(aws()), "service-linked role AWSServiceRoleForECS")
    assert ecs.ok
    assert ecs.detail == ""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    assert not any(c.ok for c in doctor.check_service_linked_roles(aws()))


# --- the whole run -----------------------------------------------------------------------------------------------


def project(tmp_path: Path, config: dict[str, Any]) -> Path:
    directory = tmp_path / "project"
    directory.mkdir(parents=True)
    for name in ("Pulumi.yaml", ".pulumi.version"):
        shutil.copy(ROOT / name, directory)
    stack = {"aws:region": REGION, **{f"library-infra:{k}": v for k, v in config.items()}}
    (directory / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": stack}))
    return directory


CIPHER = "v1:XzzuNultOgz9dqCg:Soj7xtArE6l6eg694tVdd+cC6LzVRGd9S3Rm02QkH0SO6yUiTvexlsKVtYE6jyavSCr9"


@pytest.mark.usefixtures("default_vpc")
def test_main_prints_one_line_per_check_and_exits_by_the_result(
    env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in(env, "pulumi", f"echo v{WANTED}")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}")
    present, owned = unique("main"), unique("main")
    client("ssm").put_parameter(Name=present, Value="v", Type="SecureString")
    config = {
        "imageUri": IMAGE,
        "secrets": {"DB_URL": present, "DB_PASSWORD": owned},
        "secretValues": {"DB_PASSWORD": {"secure": CIPHER}},
    }
    directory = project(tmp_path, config)
    assert doctor.main(["--stack", "t", "--project-dir", str(directory)], session) == 0
    lines = capsys.readouterr().out.splitlines()
    _, stack = doctor.load("t", directory)
    assert len(lines) == len(doctor.run_checks(aws(), stack, directory))
    assert all(line.startswith("✓ ") for line in lines)
    assert not any(owned in line or CIPHER in line for line in lines)

    (directory / "Pulumi.t.yaml").unlink()
    config["secrets"] = {"DB_URL": present + "-missing", "DB_PASSWORD": owned}
    directory = project(tmp_path / "again", config)
    assert doctor.main(["--stack", "t", "--project-dir", str(directory)], session) == 1
    out = capsys.readouterr().out
    assert f"✗ SSM parameter {present}-missing: create it" in out
    assert CIPHER not in out


def test_main_reports_bad_settings_and_a_missing_stack_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = project(tmp_path, {"cpu": 3})
    assert doctor.main(["--stack", "t", "--project-dir", str(directory)]) == 1
    assert capsys.readouterr().out.startswith("✗ settings of stack t: ")
    assert doctor.main(["--stack", "nope", "--project-dir", str(directory)]) == 1
    assert "Pulumi.nope.yaml does not exist" in capsys.readouterr().out


def test_doctor_only_reads(env: Path, layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(env, "pulumi", f"echo v{WANTED}")
    docker(env)
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"s3://state-{uuid.uuid4().hex[:8]}?region={REGION}")
    group = client("ec2").create_security_group(GroupName=uuid.uuid4().hex, Description="db", VpcId=layout.vpc)[
        "GroupId"
    ]
    key = client("kms").create_key()["KeyMetadata"]["KeyId"]
    parameter = unique("read")
    client("ssm").put_parameter(Name=parameter, Value="v", Type="SecureString", KeyId=key)
    stack = builds(
        secrets=json.dumps({"A": parameter, "B": unique("read")}),
        vpcId=layout.vpc,
        subnetIds=json.dumps([layout.private[0], layout.stale[1]]),  # every network look-up: NAT, then endpoints
        loadBalancerSubnetIds=json.dumps(layout.public),
        assignPublicIp="false",
        databaseSecurityGroupId=group,
        certificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0000-1111",
        alarmTopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms",
    )
    recorded = session()
    operations: list[str] = []
    recorded.events.register("before-call", lambda model, **_: operations.append(model.name))
    checks = doctor.run_checks(doctor.Aws(recorded, REGION), stack, ROOT)
    assert len(checks) > 10
    assert {"GetCallerIdentity", "DescribeParameters", "GetKeyPolicy", "HeadBucket", "GetRole"} <= set(operations)
    assert {"DescribeSubnets", "DescribeNatGateways", "DescribeVpcEndpoints"} <= set(operations)
    assert operations.count("DescribeRouteTables") == 1  # one look-up for the VPC, not one per subnet
    assert all(op.startswith(("Describe", "Get", "List", "Head")) for op in operations), operations
    assert os.environ["PATH"] == str(env)
