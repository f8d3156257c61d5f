"""What AWS would receive, checked against AWS's own API models (botocore) and registered in moto."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from moto import mock_aws

from stack_support.settings import ConfigError, parse_settings
from tests.conftest import REGION, execution_role
from tests.harness import Deployment, service_model

TASK_FIELDS = [
    "family",
    "cpu",
    "memory",
    "networkMode",
    "requiresCompatibilities",
    "executionRoleArn",
    "taskRoleArn",
    "runtimePlatform",
]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def register_task_definition_request(deployment: Deployment) -> dict[str, Any]:
    """The RegisterTaskDefinition call the provider makes from the registered inputs."""
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
    request = {k: task.inputs[k] for k in TASK_FIELDS}
    request["containerDefinitions"] = json.loads(task.inputs["containerDefinitions"])
    return request


def api_errors(service: str, operation: str, params: dict[str, Any]) -> str:
    shape = service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return str(report.generate_report()) if report.has_errors() else ""


def test_task_definition_matches_the_ecs_api_model(dev: Deployment) -> None:
    assert api_errors("ecs", "RegisterTaskDefinition", register_task_definition_request(dev)) == ""


def test_the_ecs_api_model_check_catches_a_wrong_field() -> None:
    bad = {"family": "x", "containerDefinitions": [{"name": "x", "portMappings": [{"containerPort": "8081"}]}]}
    assert "containerPort" in api_errors("ecs", "RegisterTaskDefinition", bad)


def test_task_definition_registers_in_ecs(dev: Deployment, aws: None) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    registered = ecs.register_task_definition(**register_task_definition_request(dev))["taskDefinition"]
    [container] = registered["containerDefinitions"]
    assert registered["family"] == "library-dev"
    assert container["healthCheck"]["command"] == dev.container()["healthCheck"]["command"]
    assert {s["name"] for s in container["secrets"]} == {s["name"] for s in dev.container()["secrets"]}


def test_iam_documents_are_accepted_by_iam(dev: Deployment, aws: None) -> None:
    iam = boto3.client("iam", region_name=REGION)
    for role in dev.of_type("aws:iam/role:Role"):
        iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=role.inputs["assumeRolePolicy"])
    names = {r.state["name"]: r.name for r in dev.of_type("aws:iam/role:Role")}
    for policy in dev.of_type("aws:iam/rolePolicy:RolePolicy"):
        iam.put_role_policy(
            RoleName=names[policy.inputs["role"]], PolicyName=policy.name, PolicyDocument=policy.inputs["policy"]
        )
    stored = iam.get_role_policy(RoleName=execution_role(dev).name, PolicyName="library-execution-secrets")
    assert stored["PolicyDocument"]["Statement"][0]["Action"] == "ssm:GetParameters"


def test_the_iam_check_catches_a_malformed_document(aws: None) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameters"}]}
    with pytest.raises(ClientError, match="MalformedPolicyDocument"):
        iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=json.dumps(bad))


def test_target_group_settings_are_accepted_by_elbv2(dev: Deployment, aws: None) -> None:
    target_group = dev.one("aws:lb/targetGroup:TargetGroup").inputs
    health = target_group["healthCheck"]
    request = {
        "Name": "library-tg",
        "Protocol": target_group["protocol"],
        "Port": target_group["port"],
        "VpcId": boto3.client("ec2", region_name=REGION).describe_vpcs()["Vpcs"][0]["VpcId"],
        "TargetType": target_group["targetType"],
        "HealthCheckPath": health["path"],
        "HealthCheckPort": health["port"],
        "HealthCheckIntervalSeconds": health["interval"],
        "HealthCheckTimeoutSeconds": health["timeout"],
        "HealthyThresholdCount": health["healthyThreshold"],
        "UnhealthyThresholdCount": health["unhealthyThreshold"],
        "Matcher": {"HttpCode": health["matcher"]},
    }
    assert api_errors("elbv2", "CreateTargetGroup", request) == ""
    elbv2 = boto3.client("elbv2", region_name=REGION)
    arn = elbv2.create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"]
    delay = {"Key": "deregistration_delay.timeout_seconds", "Value": str(target_group["deregistrationDelay"])}
    elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[delay])


def test_ecr_lifecycle_policy_is_accepted(dev: Deployment, aws: None) -> None:
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="library-management-system", imageScanningConfiguration={"scanOnPush": True})
    policy = dev.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"]
    ecr.put_lifecycle_policy(repositoryName="library-management-system", lifecyclePolicyText=policy)
    stored = ecr.get_lifecycle_policy(repositoryName="library-management-system")["lifecyclePolicyText"]
    assert json.loads(stored) == json.loads(policy)


def documented_retention_days() -> list[int]:
    """The retentions CloudWatch Logs' PutRetentionPolicy accepts, as its API model (botocore) documents them (moto
    accepts any number, so it cannot tell)."""
    documented = service_model("logs").operation_model("PutRetentionPolicy").input_shape.members["retentionInDays"]
    listed = re.search(r"Possible values are: ([\d, and]+)\.", documented.documentation)
    assert listed is not None, "the logs model no longer lists the retention values"
    return [int(v) for v in re.findall(r"\d+", listed.group(1))]


def test_settings_accept_exactly_the_retentions_cloudwatch_logs_documents() -> None:
    documented = documented_retention_days()
    assert len(documented) > 10
    for days in documented:
        assert parse_settings({"logRetentionDays": str(days)}, "dev").log_retention_days == days
    undocumented = sorted({0, -1, max(documented) + 1} | {d + step for d in documented for step in (-1, 1)})
    for days in (d for d in undocumented if d not in documented):
        with pytest.raises(ConfigError, match=rf"logRetentionDays={days} is not accepted by CloudWatch Logs"):
            parse_settings({"logRetentionDays": str(days)}, "dev")


def test_every_attached_managed_policy_exists_at_that_arn() -> None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    from tests.harness import run_bootstrap, run_program

    known = {name: body["Path"] for name, body in json.loads(aws_managed_policies_data).items()}
    blue_green = run_program("dev", {"deploymentStrategy": "BLUE_GREEN"})
    arns = {a.inputs["policyArn"] for a in blue_green.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    deploy_policy = next(
        json.loads(p.inputs["policy"])
        for p in run_bootstrap({"githubRepository": "my-org/library-infra"}).of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.endswith("deploy")
    )
    [attach] = [s for s in deploy_policy["Statement"] if s["Sid"] == "OnlyTheEcsManagedPolicies"]
    assert arns <= set(attach["Condition"]["ArnEquals"]["iam:PolicyARN"])  # the deploy role may attach them
    assert len(arns) == 2
    for arn in arns:
        path_and_name = arn.split(":policy", 1)[1]
        name = path_and_name.rsplit("/", 1)[1]
        assert name in known, arn
        assert path_and_name == f"{known[name]}{name}", f"{arn}: AWS keeps {name} under {known[name]}"


def put_metric_alarm_request(alarm: dict[str, Any]) -> dict[str, Any]:
    """The PutMetricAlarm call the provider makes from a MetricAlarm's inputs."""
    queries = []
    for query in alarm["metricQueries"]:
        item: dict[str, Any] = {"Id": query["id"], "ReturnData": query.get("returnData", False)}
        if "expression" in query:
            item |= {"Expression": query["expression"], "Label": query["label"]}
        else:
            metric = query["metric"]
            dimensions = [{"Name": k, "Value": v} for k, v in sorted(metric["dimensions"].items())]
            item["MetricStat"] = {
                "Metric": {
                    "Namespace": metric["namespace"],
                    "MetricName": metric["metricName"],
                    "Dimensions": dimensions,
                },
                "Period": metric["period"],
                "Stat": metric["stat"],
            }
        queries.append(item)
    return {
        "AlarmName": alarm["name"],
        "AlarmDescription": alarm["alarmDescription"],
        "Metrics": queries,
        "ComparisonOperator": alarm["comparisonOperator"],
        "Threshold": float(alarm["threshold"]),
        "EvaluationPeriods": alarm["evaluationPeriods"],
        "DatapointsToAlarm": alarm["datapointsToAlarm"],
        "TreatMissingData": alarm["treatMissingData"],
    }


def test_rollback_alarms_match_the_cloudwatch_api_and_register(dev: Deployment, aws: None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for alarm in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        request = put_metric_alarm_request({**alarm.inputs, "name": alarm.state["name"]})
        assert api_errors("cloudwatch", "PutMetricAlarm", request) == ""
        cloudwatch.put_metric_alarm(**request)
    names = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
    assert sorted(names) == sorted(dev.one("aws:ecs/service:Service").inputs["alarms"]["alarmNames"])
