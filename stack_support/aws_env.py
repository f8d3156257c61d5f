"""Where the stack deploys: account, region, partition, network and database, looked up through provider invokes.

With no ``vpcId``/``subnetIds`` configured, the account's default VPC and its default subnets (one per
Availability Zone, all public) are used, as in the console deployment this program replaces.

The database (``databaseSecurityGroupId`` or ``databaseInstance``) and the default VPC are looked up synchronously,
before any resource is registered, so that a database in another VPC or a misspelt instance stops ``pulumi preview``
with a message naming the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.execution_role import secrets_read_policy
from components.secrets import account_keys_arn
from stack_support.settings import ConfigError, Settings, mask, refusal

# PutParameter: "The maximum length for a parameter name that you specify is 1011 characters. This includes the
# characters in the ARN that precede the name you specify".
MAX_PARAMETER_ARN = 1011
# IAM quotas: the inline policies of a role add up to at most 10,240 characters (whitespace not counted).
MAX_ROLE_POLICY_CHARACTERS = 10240
# ELB CreateLoadBalancer: an Application Load Balancer needs subnets "from at least two Availability Zones".
MIN_LOAD_BALANCER_ZONES = 2


@dataclass(frozen=True)
class Database:
    """The existing database the tasks must reach: the security group that admits them, and the port."""

    security_group_id: str
    port: int
    described_as: str
    """How the user named it, for messages: ``databaseInstance 'library-db'`` or ``databaseSecurityGroupId ...``."""


@dataclass(frozen=True)
class AwsEnvironment:
    account_id: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    """The tasks' subnets."""
    load_balancer_subnet_ids: pulumi.Output[list[str]]
    """The internet-facing ALB's subnets: ``loadBalancerSubnetIds``, else the tasks' subnets."""
    database: Database | None


def lookup(settings: Settings) -> AwsEnvironment:
    """Where the stack deploys, with every check that needs AWS made before any resource is registered."""
    account = aws.get_caller_identity().account_id
    region = aws.get_region().region
    partition = aws.get_partition().partition
    problems = arn_problems(settings, partition, region)
    problems += parameter_problems(settings, partition, region, account)
    if settings.vpc_id is not None:
        vpc = settings.vpc_id
        problems += network_problems(settings)
        subnet_ids = pulumi.Output.from_input(list(settings.subnet_ids))
    else:
        vpc = aws.ec2.get_vpc(default=True).id
        subnet_ids = aws.ec2.get_subnets_output(
            filters=[
                aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc]),
                aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
            ]
        ).ids.apply(sorted)  # AWS returns them in no fixed order; sorting keeps diffs quiet
    if problems:
        raise refusal(problems, settings.secret_texts())
    return AwsEnvironment(
        account_id=pulumi.Output.from_input(account),
        region=pulumi.Output.from_input(region),
        partition=pulumi.Output.from_input(partition),
        vpc_id=pulumi.Output.from_input(vpc),
        subnet_ids=subnet_ids,
        load_balancer_subnet_ids=pulumi.Output.from_input(list(settings.load_balancer_subnet_ids))
        if settings.load_balancer_subnet_ids
        else subnet_ids,
        database=find_database(settings, vpc),
    )


def arn_problems(settings: Settings, partition: str, region: str) -> list[str]:
    """ARNs in another partition or region than the stack's: SSM decrypts only with a key of its own region, an ALB
    takes only an ACM certificate of its region, an alarm notifies only an SNS topic of its region, and CloudWatch
    Logs encrypts a log group only with a key of its region."""
    problems = []
    for key, arn in (
        ("kmsKeyArn", settings.kms_key_arn),
        ("logsKmsKeyArn", settings.logs_kms_key_arn),
        ("certificateArn", settings.certificate_arn),
        ("alarmTopicArn", settings.alarm_topic_arn),
    ):
        if arn is None:
            continue
        _, arn_partition, _, arn_region, *_ = arn.split(":")
        if (arn_partition, arn_region) != (partition, region):
            problems.append(
                f"library-infra:{key}={arn!r} is in {arn_partition}/{arn_region}, but the stack deploys to "
                f"{partition}/{region}; use one of that region"
            )
    return problems


def parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:ssm:{region}:{account}:parameter{name}"


def parameter_problems(settings: Settings, partition: str, region: str, account: str) -> list[str]:
    """SSM names too long once their ARN is counted, and secrets too many for the execution role's inline policy."""
    problems = []
    for variable, name in sorted(settings.secrets.items()):
        arn = parameter_arn(partition, region, account, name)
        if len(arn) > MAX_PARAMETER_ARN:
            problems.append(
                f"library-infra:secrets.{variable}={name!r} is {len(name)} characters; with its ARN prefix it is "
                f"{len(arn)}, over the {MAX_PARAMETER_ARN} SSM allows"
            )
    size = execution_policy_characters(settings, partition, region, account)
    if size > MAX_ROLE_POLICY_CHARACTERS:
        problems.append(
            f"library-infra:secrets: {len(settings.secrets)} parameters make the execution role's policy {size} "
            f"characters; IAM allows {MAX_ROLE_POLICY_CHARACTERS} per role. Group them under fewer, shorter names"
        )
    return problems


def execution_policy_characters(settings: Settings, partition: str, region: str, account: str) -> int:
    """Characters of the execution role's inline policy as IAM counts them (no whitespace), built as the role's."""
    keys = []
    if settings.secret_values:
        keys.append(f"arn:{partition}:kms:{region}:{account}:key/{'0' * 36}")  # the stack's own key: a UUID
    if set(settings.secrets) - set(settings.secret_values):
        keys.append(settings.kms_key_arn or account_keys_arn(partition, region, account))
    arns = [parameter_arn(partition, region, account, name) for name in settings.secrets.values()]
    return len(json.dumps(secrets_read_policy(arns, keys, region), separators=(",", ":")))


def network_problems(settings: Settings) -> list[str]:
    """The configured VPC and subnets as AWS sees them: an ALB needs subnets of the VPC in two Availability Zones and
    reaches tasks only in its own zones, and the default VPC has no NAT gateway for tasks without a public IP."""
    try:
        default = aws.ec2.get_vpc(id=settings.vpc_id).default
    except Exception as exc:
        return [f"library-infra:vpcId={settings.vpc_id!r}: no such VPC in this region ({_first_line(exc)})"]
    problems = []
    if default and not settings.assign_public_ip:
        problems.append(
            f"library-infra:assignPublicIp=false in {settings.vpc_id}, the default VPC: it has no NAT gateway, so "
            "tasks without a public IP cannot pull the image, read their secrets or send logs"
        )
    task_zones = _subnet_zones("subnetIds", settings.subnet_ids, settings.vpc_id, problems)
    alb_key, alb_subnets = "subnetIds", settings.subnet_ids
    if settings.load_balancer_subnet_ids:
        alb_key, alb_subnets = "loadBalancerSubnetIds", settings.load_balancer_subnet_ids
        alb_zones = _subnet_zones(alb_key, alb_subnets, settings.vpc_id, problems)
    else:
        alb_zones = task_zones
    if problems:
        return problems
    enabled = sorted(set(alb_zones.values()))  # the zones the ALB is enabled in
    if len(enabled) < MIN_LOAD_BALANCER_ZONES:
        problems.append(
            f"library-infra:{alb_key}={list(alb_subnets)} cover {len(enabled)} Availability Zone(s) "
            f"({', '.join(enabled)}); an Application Load Balancer needs subnets in at least "
            f"{MIN_LOAD_BALANCER_ZONES}"
        )
    # ELB: "If you register targets in an Availability Zone but do not enable the Availability Zone, these registered
    # targets do not receive traffic".
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/how-elastic-load-balancing-works.html
    outside = sorted(s for s, zone in task_zones.items() if zone not in enabled)
    if outside:
        problems.append(
            f"library-infra:subnetIds has {', '.join(outside)} in an Availability Zone that no subnet of "
            f"loadBalancerSubnetIds is in ({', '.join(enabled)}); the ALB sends no traffic to "
            "tasks there, so they never pass a health check. Add a public subnet of that zone to loadBalancerSubnetIds"
        )
    return problems


def _subnet_zones(key: str, subnet_ids: tuple[str, ...], vpc_id: str | None, problems: list[str]) -> dict[str, str]:
    """Each subnet's Availability Zone; a subnet missing or outside ``vpc_id`` is a problem instead."""
    zones = {}
    for subnet_id in subnet_ids:
        try:
            subnet = aws.ec2.get_subnet(id=subnet_id)
        except Exception as exc:
            problems.append(f"library-infra:{key} has {subnet_id!r}, which does not exist ({_first_line(exc)})")
            continue
        if subnet.vpc_id != vpc_id:
            problems.append(f"library-infra:{key} has {subnet_id!r}, which is in {subnet.vpc_id}, not vpcId={vpc_id!r}")
        else:
            zones[subnet_id] = subnet.availability_zone
    return zones


def find_database(settings: Settings, vpc_id: str) -> Database | None:
    """The database named by the settings, checked to be in ``vpc_id`` (a rule can only name a group of its VPC).

    A refusal never shows a value that was set as a secret, nor the provider's message quoting it.
    """
    try:
        return _find_database(settings, vpc_id)
    except ConfigError as refused:
        raise ConfigError(mask(str(refused), settings.secret_texts())) from None


def _find_database(settings: Settings, vpc_id: str) -> Database | None:
    if settings.database_instance is not None:
        key = f"databaseInstance={settings.database_instance!r}"
        try:
            instance = aws.rds.get_instance(db_instance_identifier=settings.database_instance)
        except Exception as exc:
            raise ConfigError(
                f"library-infra:{key}: no RDS DB instance of that identifier in this stack's region "
                f"({_first_line(exc)}); check the name with `aws rds describe-db-instances`"
            ) from None
        if not instance.vpc_security_groups:
            raise ConfigError(f"library-infra:{key}: the instance has no VPC security group to admit the tasks")
        # One rule on one of the instance's groups admits the tasks; the lowest id keeps the choice stable.
        group, port = sorted(instance.vpc_security_groups)[0], int(instance.db_instance_port)
    elif settings.database_security_group_id is not None:
        key = f"databaseSecurityGroupId={settings.database_security_group_id!r}"
        group, port = settings.database_security_group_id, settings.database_port
    else:
        return None
    try:
        group_vpc = aws.ec2.get_security_group(id=group).vpc_id
    except Exception as exc:
        raise ConfigError(f"library-infra:{key}: security group {group} not found ({_first_line(exc)})") from None
    if group_vpc != vpc_id:
        raise ConfigError(
            f"library-infra:{key}: the database's security group {group} is in {group_vpc}, but the tasks run in "
            f"{vpc_id}; a security group rule can only admit a group of its own VPC. Set vpcId and subnetIds to "
            "the database's VPC"
        )
    return Database(security_group_id=group, port=port, described_as=key)


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
