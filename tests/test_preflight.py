"""Checks that need AWS run at preview, before any resource is registered, and name the key, value and rule."""

from __future__ import annotations

from typing import Any

import pytest

from stack_support.aws_env import MAX_PARAMETER_ARN, MAX_ROLE_POLICY_CHARACTERS
from stack_support.settings import ConfigError
from tests import harness
from tests.harness import DEFAULT_VPC, PRIVATE_VPC, run_program

OTHER_REGION_KEY = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-1234-4abc-9def-0123456789ab"
CHINA_CERTIFICATE = "arn:aws-cn:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
OTHER_REGION_TOPIC = "arn:aws:sns:eu-west-1:123456789012:library-alerts"


def refused(overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        run_program("dev", overrides)
    assert harness.last_monitor is not None
    assert harness.last_monitor.registered == []  # nothing was registered, so nothing is created
    return str(error.value)


@pytest.mark.parametrize(
    ("key", "arn", "where"),
    [
        ("kmsKeyArn", OTHER_REGION_KEY, "aws/us-east-1"),
        ("certificateArn", CHINA_CERTIFICATE, "aws-cn/ap-northeast-2"),
        ("alarmTopicArn", OTHER_REGION_TOPIC, "aws/eu-west-1"),
    ],
)
def test_an_arn_of_another_region_or_partition_is_refused_at_preview(key: str, arn: str, where: str) -> None:
    message = refused({key: arn})
    assert f"{key}='{arn}' is in {where}, but the stack deploys to aws/ap-northeast-2" in message


def test_no_public_ip_in_the_default_vpc_named_by_id_is_refused() -> None:
    subnets = harness.DEFAULT_SUBNETS
    message = refused({"vpcId": DEFAULT_VPC, "subnetIds": subnets, "assignPublicIp": False})
    assert f"assignPublicIp=false in {DEFAULT_VPC}, the default VPC" in message


def test_subnets_in_one_availability_zone_are_refused() -> None:
    message = refused({"vpcId": PRIVATE_VPC, "subnetIds": ["subnet-0eb8d0b96a8e96f23", "subnet-0a0a0a0a0a0a0a0a2"]})
    assert "cover 1 Availability Zone(s) (ap-northeast-2a)" in message
    assert "needs subnets in at least 2" in message


def test_subnets_of_another_vpc_or_none_at_all_are_refused() -> None:
    message = refused({"vpcId": PRIVATE_VPC, "subnetIds": [harness.DEFAULT_SUBNETS[0], "subnet-0fffffffffffffff9"]})
    assert f"which is in {DEFAULT_VPC}, not vpcId='{PRIVATE_VPC}'" in message
    assert "'subnet-0fffffffffffffff9', which does not exist" in message


def test_private_subnets_in_two_zones_are_accepted() -> None:
    deployment = run_program(
        "dev",
        {
            "vpcId": PRIVATE_VPC,
            "subnetIds": ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"],
            "assignPublicIp": False,
        },
    )
    assert deployment.one("aws:ecs/service:Service").inputs["networkConfiguration"]["assignPublicIp"] is False


def test_private_tasks_sit_behind_an_alb_in_the_public_subnets() -> None:
    deployment = run_program(
        "dev",
        {
            "vpcId": PRIVATE_VPC,
            "subnetIds": harness.PRIVATE_SUBNETS,
            "loadBalancerSubnetIds": harness.PUBLIC_SUBNETS,
            "assignPublicIp": False,
        },
    )
    network = deployment.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert network["subnets"] == harness.PRIVATE_SUBNETS
    assert deployment.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == harness.PUBLIC_SUBNETS
    # One public address per ALB subnet, none per task.
    assert "2 public IPv4 address(es)" in deployment.outputs["costEstimate"]["note"]


def test_without_load_balancer_subnets_the_alb_shares_the_tasks_subnets() -> None:
    deployment = run_program("dev", {"vpcId": PRIVATE_VPC, "subnetIds": harness.PRIVATE_SUBNETS})
    assert deployment.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == harness.PRIVATE_SUBNETS


def test_an_alb_whose_zones_miss_a_zone_of_the_tasks_is_refused() -> None:
    # ALB in a and b, tasks in a and c: the ALB would never send traffic to the task in c.
    alb = [harness.PUBLIC_SUBNETS[0], "subnet-0b0b0b0b0b0b0b0b2"]
    message = refused({"vpcId": PRIVATE_VPC, "subnetIds": harness.PRIVATE_SUBNETS, "loadBalancerSubnetIds": alb})
    assert f"subnetIds has {harness.PRIVATE_SUBNETS[1]} in an Availability Zone that no subnet of" in message
    assert "(ap-northeast-2a, ap-northeast-2b)" in message


def test_load_balancer_subnets_in_one_zone_or_another_vpc_are_refused() -> None:
    one_zone = [harness.PUBLIC_SUBNETS[0], "subnet-0a0a0a0a0a0a0a0a2"]
    message = refused({"vpcId": PRIVATE_VPC, "subnetIds": harness.PRIVATE_SUBNETS, "loadBalancerSubnetIds": one_zone})
    assert f"loadBalancerSubnetIds={one_zone} cover 1 Availability Zone(s)" in message
    other_vpc = [harness.PUBLIC_SUBNETS[0], harness.DEFAULT_SUBNETS[1]]
    message = refused({"vpcId": PRIVATE_VPC, "subnetIds": harness.PRIVATE_SUBNETS, "loadBalancerSubnetIds": other_vpc})
    assert f"loadBalancerSubnetIds has '{harness.DEFAULT_SUBNETS[1]}', which is in {DEFAULT_VPC}" in message


def test_a_parameter_name_too_long_once_its_arn_is_counted_is_refused() -> None:
    prefix = "arn:aws:ssm:ap-northeast-2:123456789012:parameter"
    fits = "/" + "n" * (MAX_PARAMETER_ARN - len(prefix) - 1)
    run_program("dev", {"secrets": {"LONG_NAME": fits}})
    message = refused({"secrets": {"LONG_NAME": fits + "n"}})
    assert f"with its ARN prefix it is {MAX_PARAMETER_ARN + 1}, over the {MAX_PARAMETER_ARN} SSM allows" in message


def test_so_many_secrets_that_the_inline_policy_is_too_large_are_refused() -> None:
    secrets = {f"VAR_{i:03}": f"/library/db/some-quite-long-parameter-name-{i:03}" for i in range(140)}
    message = refused({"secrets": secrets})
    assert "make the execution role's policy" in message
    assert f"IAM allows {MAX_ROLE_POLICY_CHARACTERS} per role" in message


@pytest.mark.parametrize("owned", [False, True])
def test_the_policy_size_checked_is_the_size_of_the_policy_the_role_gets(owned: bool) -> None:
    import json

    from stack_support.aws_env import execution_policy_characters
    from stack_support.settings import parse_settings
    from tests.conftest import execution_role, role_policies

    overrides = {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "a-password-1"}} if owned else {}
    deployment = run_program("dev", overrides, secret_keys=("secretValues",) if owned else ())
    [policy] = role_policies(deployment, execution_role(deployment))
    settings = parse_settings({"secretValues": json.dumps(overrides.get("secretValues", {}))}, "dev")
    expected = execution_policy_characters(settings, "aws", "ap-northeast-2", harness.ACCOUNT)
    assert len(json.dumps(policy, separators=(",", ":"))) == expected
