"""Where the stack deploys: account, region, partition, network and database, looked up through provider invokes.

With no ``vpcId``/``subnetIds`` configured, the account's default VPC and its default subnets (one per
Availability Zone, all public) are used, as in the console deployment this program replaces.

The database (``databaseSecurityGroupId`` or ``databaseInstance``) and the default VPC are looked up synchronously,
before any resource is registered, so that a database in another VPC or a misspelt instance stops ``pulumi preview``
with a message naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings import ConfigError, Settings, mask


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
    database: Database | None


def lookup(settings: Settings) -> AwsEnvironment:
    identity = aws.get_caller_identity_output()
    region = aws.get_region_output().region
    partition = aws.get_partition_output().partition
    if settings.vpc_id is not None:
        vpc = settings.vpc_id
        subnet_ids = pulumi.Output.from_input(list(settings.subnet_ids))
    else:
        vpc = aws.ec2.get_vpc(default=True).id
        subnet_ids = aws.ec2.get_subnets_output(
            filters=[
                aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc]),
                aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
            ]
        ).ids.apply(sorted)  # AWS returns them in no fixed order; sorting keeps diffs quiet
    return AwsEnvironment(
        account_id=identity.account_id,
        region=region,
        partition=partition,
        vpc_id=pulumi.Output.from_input(vpc),
        subnet_ids=subnet_ids,
        database=find_database(settings, vpc),
    )


def find_database(settings: Settings, vpc_id: str) -> Database | None:
    """The database named by the settings, checked to be in ``vpc_id`` (a rule can only name a group of its VPC).

    A refusal never shows a value that was set as a secret, nor the provider's message quoting it.
    """
    hidden = [
        str(value)
        for key, value in (
            ("databaseInstance", settings.database_instance),
            ("databaseSecurityGroupId", settings.database_security_group_id),
        )
        if value is not None and key in settings.secret_keys
    ]
    try:
        return _find_database(settings, vpc_id)
    except ConfigError as refusal:
        raise ConfigError(mask(str(refusal), hidden)) from None


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
