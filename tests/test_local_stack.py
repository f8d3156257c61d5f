"""The local stack: the whole program against a moto server on loopback, no AWS account, no Pulumi Cloud, no Docker."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pulumi_aws.config.outputs as aws_config
import pytest
import yaml

from stack_support import local_aws
from tests.conftest import boto3_session
from tests.harness import PASSPHRASES, ROOT, Deployment, run_program
from tests.passphrase import Crypter

LOCAL = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())
ENDPOINTS: dict[str, str] = LOCAL["config"]["aws:endpoints"][0]
# The pulumi-aws endpoint key of each resource module or invoke the program uses.
SERVICE_OF_MODULE = {
    "cloudwatch/logGroup": "logs",
    "cloudwatch": "cloudwatch",
    "ec2": "ec2",
    "vpc": "ec2",
    "ecr": "ecr",
    "ecs": "ecs",
    "iam": "iam",
    "kms": "kms",
    "appautoscaling": "applicationautoscaling",
    "lb": "elbv2",
    "ssm": "ssm",
    "index/getCallerIdentity": "sts",
}
NO_SERVICE = {"index/getRegion", "index/getPartition"}  # answered by the provider itself


def services_used(deployment: Deployment) -> set[str]:
    modules = [r.type.split(":")[1] for r in deployment.resources if r.type.startswith("aws:")]
    modules += [token.split(":")[1] for token, _ in deployment.calls if token.startswith("aws:")]
    used = set()
    for module in modules:
        if module in NO_SERVICE:
            continue
        key = module if module in SERVICE_OF_MODULE else module.split("/")[0]
        assert key in SERVICE_OF_MODULE, f"the program uses {module}: add its endpoint key to SERVICE_OF_MODULE"
        used.add(SERVICE_OF_MODULE[key])
    return used


@pytest.fixture(scope="module")
def local() -> Deployment:
    return run_program("local")


def test_pulumi_passphrase_encryption_matches_pulumis_own_test_vectors() -> None:
    # From pulumi/pulumi's passphrase secrets-manager tests: these salts were made for "password" and "".
    assert Crypter("password", "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==")
    assert Crypter("", "v1:LVuDkcjhUns=:v1:WPbL+tmbxnqWswQ2:lebZxStyHT3IZkmbN+3xCx9zqtoPog==")
    with pytest.raises(ValueError, match="incorrect passphrase"):
        Crypter("wrong", "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==")


def test_committed_secrets_open_with_the_passphrase_the_makefile_passes() -> None:
    assert "PULUMI_CONFIG_PASSPHRASE=local" in (ROOT / "Makefile").read_text()
    crypter = Crypter(PASSPHRASES["local"], LOCAL["encryptionsalt"])
    values = LOCAL["config"]["library-infra:secretValues"]
    assert all(crypter.decrypt(v["secure"]) for v in values.values())


def test_every_endpoint_key_is_one_the_pinned_pulumi_aws_accepts() -> None:
    accepted = set(inspect.signature(aws_config.Endpoints.__init__).parameters) - {"__self__", "self"}
    assert set(ENDPOINTS) <= accepted, set(ENDPOINTS) - accepted


def test_every_aws_service_the_program_uses_has_an_endpoint(local: Deployment, dev: Deployment) -> None:
    scaled = run_program("local", {"autoscaling": {"minCount": 1, "maxCount": 3, "cpuTarget": 60}})
    used = services_used(local) | services_used(dev) | services_used(scaled)  # dev builds an image (ECR)
    assert used <= set(ENDPOINTS), used - set(ENDPOINTS)
    assert {
        "sts",
        "ec2",
        "ecs",
        "elbv2",
        "iam",
        "ssm",
        "kms",
        "logs",
        "ecr",
        "cloudwatch",
        "applicationautoscaling",
    } <= used


def test_all_endpoints_point_at_the_one_loopback_server() -> None:
    urls = {urlparse(url) for url in ENDPOINTS.values()}
    assert {(u.scheme, u.hostname, u.port) for u in urls} == {("http", "127.0.0.1", local_aws.endpoint_port())}


def test_local_stack_needs_no_docker_and_no_real_credentials(local: Deployment) -> None:
    assert local.of_type("docker:index/image:Image") == []
    assert "@sha256:" in local.container()["image"]
    config = LOCAL["config"]
    assert config["aws:skipCredentialsValidation"] is True
    assert config["aws:skipRequestingAccountId"] is True
    assert config["aws:skipMetadataApiCheck"] is True
    assert (config["aws:accessKey"], config["aws:secretKey"]) == ("test", "test")


def test_local_stack_creates_its_own_database_parameters(local: Deployment) -> None:
    parameters = {p.inputs["name"] for p in local.of_type("aws:ssm/parameter:Parameter")}
    assert parameters == {"/library/local/db/url", "/library/local/db/username", "/library/local/db/password"}
    assert not any(token == "aws:ssm/getParameter:getParameter" for token, _ in local.calls)


def test_make_local_uses_a_file_backend_in_the_project_and_a_passphrase() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "PULUMI_BACKEND_URL=file://$(CURDIR)/$(LOCAL_STATE)" in makefile
    assert "stack select --create local --secrets-provider passphrase" in makefile
    assert "up --yes --stack local" in makefile
    assert "stack output --stack local" in makefile
    assert "destroy --yes --stack local" in makefile
    assert "/.pulumi-local/" in (ROOT / ".gitignore").read_text().splitlines()


def client(service: str, endpoint: str) -> Any:
    return boto3_session("us-east-1").client(
        "application-autoscaling" if service == "applicationautoscaling" else service,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_moto_server_answers_every_service_the_stack_uses(moto_endpoint: str) -> None:
    calls: dict[str, Callable[[Any], Any]] = {
        "sts": lambda c: c.get_caller_identity()["Account"],
        "ec2": lambda c: c.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
        "ecs": lambda c: c.list_clusters(),
        "elbv2": lambda c: c.describe_load_balancers(),
        "iam": lambda c: c.list_roles(),
        "ssm": lambda c: c.describe_parameters(),
        "kms": lambda c: c.list_keys(),
        "logs": lambda c: c.describe_log_groups(),
        "ecr": lambda c: c.describe_repositories(),
        "cloudwatch": lambda c: c.describe_alarms(),
        "applicationautoscaling": lambda c: c.describe_scalable_targets(ServiceNamespace="ecs"),
    }
    assert set(calls) == set(ENDPOINTS)
    for service, call in calls.items():
        assert call(client(service, moto_endpoint)) is not None, service
    vpcs = client("ec2", moto_endpoint).describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1  # the program's default-VPC lookup finds one


def test_moto_runs_the_local_stacks_service_steady_so_pulumi_up_finishes(moto_endpoint: str, local: Deployment) -> None:
    """The program's own task definition and service settings, sent to the server as the provider sends them."""
    ec2, ecs = client("ec2", moto_endpoint), client("ecs", moto_endpoint)
    subnets = [
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    ][:2]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    cluster = local.one("aws:ecs/cluster:Cluster").inputs
    ecs.create_cluster(clusterName="steady", settings=cluster["settings"])
    providers = local.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs["capacityProviders"]
    ecs.put_cluster_capacity_providers(
        cluster="steady", capacityProviders=providers, defaultCapacityProviderStrategy=[]
    )
    task = local.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    ecs.register_task_definition(
        family=task["family"],
        containerDefinitions=json.loads(task["containerDefinitions"]),
        cpu=task["cpu"],
        memory=task["memory"],
        networkMode=task["networkMode"],
        requiresCompatibilities=task["requiresCompatibilities"],
        runtimePlatform=task["runtimePlatform"],
    )
    service = local.one("aws:ecs/service:Service").inputs
    ecs.create_service(
        cluster="steady",
        serviceName="library",
        taskDefinition=task["family"],
        desiredCount=service["desiredCount"],
        capacityProviderStrategy=service["capacityProviderStrategies"],
        deploymentConfiguration={
            "deploymentCircuitBreaker": service["deploymentCircuitBreaker"],
            "alarms": service["alarms"],
            "maximumPercent": service["deploymentMaximumPercent"],
            "minimumHealthyPercent": service["deploymentMinimumHealthyPercent"],
        },
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}
        },
        enableExecuteCommand=service["enableExecuteCommand"],
    )
    [running] = ecs.describe_services(cluster="steady", services=["library"])["services"]
    assert running["runningCount"] == running["desiredCount"] == LOCAL["config"]["library-infra:desiredCount"]
    assert [d["rolloutState"] for d in running["deployments"]] == ["COMPLETED"]
