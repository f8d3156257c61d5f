"""The stacks as committed: prod is dev's tested image with production protections."""

from __future__ import annotations

import pytest

from tests.harness import DEFAULT_SUBNETS, ROOT, Deployment, run_program

DEV = "organization/library-infra/dev"


@pytest.fixture(scope="module")
def prod(dev: Deployment) -> Deployment:
    return run_program("prod", stack_outputs={DEV: dev.outputs})


def test_prod_runs_the_exact_image_dev_exported_from_its_own_repository(prod: Deployment, dev: Deployment) -> None:
    repository = prod.one("aws:ecr/repository:Repository")
    digest = dev.outputs["imageUri"].split("@")[1]
    assert prod.container()["image"] == f"{repository.state['repositoryUrl']}@{digest}"
    assert repository.inputs["name"] == "library-management-system-prod"
    assert repository.inputs["forceDelete"] is False
    assert prod.of_type("docker:index/image:Image") == []  # copied, never built
    assert prod.one("docker:index/remoteImage:RemoteImage").inputs["name"] == dev.outputs["imageUri"]
    # dev's outputs, and prod's own last ones (the tag it pushed): nothing else is read
    assert sorted(i for _, _, i in prod.reads) == [DEV, "organization/library-infra/prod"]


def test_prod_runs_two_tasks_across_availability_zones(prod: Deployment) -> None:
    service = prod.one("aws:ecs/service:Service")
    assert service.inputs["desiredCount"] >= 2
    assert len(service.inputs["networkConfiguration"]["subnets"]) >= 2  # the default subnets: one per zone
    assert sorted(service.inputs["networkConfiguration"]["subnets"]) == sorted(DEFAULT_SUBNETS)
    assert service.inputs["availabilityZoneRebalancing"] == "ENABLED"


def test_prod_is_protected(prod: Deployment, dev: Deployment) -> None:
    assert prod.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True
    assert prod.one("aws:cloudwatch/logGroup:LogGroup").retain_on_delete is True
    retention = prod.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"]
    assert retention > dev.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"]


def test_prod_reads_its_own_database_settings(prod: Deployment) -> None:
    assert {s["valueFrom"].split("parameter", 1)[1] for s in prod.container()["secrets"]} == {
        "/library/prod/db/url",
        "/library/prod/db/username",
        "/library/prod/db/password",
    }
    assert {"name": "SPRING_JPA_HIBERNATE_DDL_AUTO", "value": "validate"} in prod.container()["environment"]


def test_prod_and_dev_names_do_not_collide(prod: Deployment, dev: Deployment) -> None:
    assert prod.one("aws:ecs/taskDefinition:TaskDefinition").inputs["family"] == "library-prod"
    assert prod.outputs["logGroupName"] == "/ecs/library-prod"
    explicit = {
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ecr/repository:Repository",
    }
    prod_names = {
        (r.type, r.inputs.get("name") or r.inputs.get("family")) for r in prod.resources if r.type in explicit
    }
    dev_names = {(r.type, r.inputs.get("name") or r.inputs.get("family")) for r in dev.resources if r.type in explicit}
    assert prod_names.isdisjoint(dev_names)


def test_prod_with_a_certificate_serves_https(dev: Deployment) -> None:
    certificate = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
    deployment = run_program("prod", {"certificateArn": certificate}, stack_outputs={DEV: dev.outputs})
    assert deployment.outputs["url"].startswith("https://")


def test_prod_can_be_recreated_because_the_readme_imports_its_kept_log_group_into_the_right_urn() -> None:
    """prod keeps its log group on destroy, so a new prod finds it; the README's command must adopt it exactly
    where the program declares it (same type, logical name, parent URN and AWS name), or the next up fails again."""
    dev = run_program("dev")
    prod = run_program("prod", stack_outputs={DEV: dev.outputs})
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.retain_on_delete
    command = prod.import_command(log_group, "prod", log_group.inputs["name"])
    assert command in (ROOT / "docs" / "troubleshooting.md").read_text()
