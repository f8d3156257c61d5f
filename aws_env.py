"""Where the stack deploys: account, region, partition and network, looked up once through provider invokes.

With no ``vpcId``/``subnetIds`` configured, the account's default VPC and its default subnets (one per
Availability Zone, all public) are used, as in the console deployment this program replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings import Settings


@dataclass(frozen=True)
class AwsEnvironment:
    account_id: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]


def lookup(settings: Settings) -> AwsEnvironment:
    identity = aws.get_caller_identity_output()
    region = aws.get_region_output().region
    partition = aws.get_partition_output().partition
    if settings.vpc_id is not None:
        vpc_id = pulumi.Output.from_input(settings.vpc_id)
        subnet_ids = pulumi.Output.from_input(list(settings.subnet_ids))
    else:
        vpc_id = aws.ec2.get_vpc_output(default=True).id
        subnet_ids = aws.ec2.get_subnets_output(
            filters=vpc_id.apply(
                lambda vpc: [
                    aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc]),
                    aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
                ]
            )
        ).ids.apply(sorted)  # AWS returns them in no fixed order; sorting keeps diffs quiet
    return AwsEnvironment(
        account_id=identity.account_id,
        region=region,
        partition=partition,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
    )
