"""The monthly cost estimate: pinned arithmetic from the documented price table."""

from __future__ import annotations

import re

import pytest

from stack_support.cost import HOURS_PER_MONTH, PRICES, SPOT_DISCOUNT, estimate
from tests.harness import ROOT, Deployment, run_program

SEOUL = PRICES["ap-northeast-2"]


def test_dev_defaults_in_seoul() -> None:
    result = estimate(region="ap-northeast-2", cpu=256, memory=512, tasks=1, alb_subnets=2)
    fargate = (0.25 * 0.04656 + 0.5 * 0.00511) * 730  # 10.36
    alb = (0.0225 + 0.008) * 730  # 22.27
    ipv4 = 3 * 0.005 * 730  # one task + two ALB nodes: 10.95
    logs = 1 * 0.76
    assert result.lines == {"fargate": 10.36, "loadBalancer": 22.27, "publicIpv4": 10.95, "logs": 0.76}
    assert result.monthly_usd == pytest.approx(fargate + alb + ipv4 + logs, abs=0.01)
    assert result.monthly_usd == 44.34


def test_arm_uses_graviton_prices() -> None:
    result = estimate(region="ap-northeast-2", cpu=256, memory=512, tasks=1, architecture="ARM64", alb_subnets=2)
    assert result.lines["fargate"] == round(
        (0.25 * SEOUL.fargate_arm_vcpu_hour + 0.5 * SEOUL.fargate_arm_gb_hour) * 730, 2
    )
    assert result.lines["fargate"] == 8.29
    assert result.monthly_usd == 42.27


def test_spot_takes_the_assumed_discount_off_fargate_only() -> None:
    on_demand = estimate(region="ap-northeast-2", cpu=256, memory=512, tasks=1, alb_subnets=2)
    spot = estimate(
        region="ap-northeast-2", cpu=256, memory=512, tasks=1, capacity_provider="FARGATE_SPOT", alb_subnets=2
    )
    assert spot.lines["fargate"] == pytest.approx(on_demand.lines["fargate"] * (1 - SPOT_DISCOUNT), abs=0.01)
    assert {k: v for k, v in spot.lines.items() if k != "fargate"} == {
        k: v for k, v in on_demand.lines.items() if k != "fargate"
    }
    assert spot.monthly_usd == 39.16


def test_us_east_1_is_priced_too() -> None:
    assert estimate(region="us-east-1", cpu=256, memory=512, tasks=1, alb_subnets=2).monthly_usd == 42.73


def test_unknown_region_gives_no_number_and_says_why() -> None:
    result = estimate(region="eu-west-3", cpu=256, memory=512, tasks=1)
    assert result.monthly_usd is None
    assert result.note == "unknown region 'eu-west-3': prices are kept for ap-northeast-2, us-east-1"


def test_private_tasks_pay_no_public_ip() -> None:
    result = estimate(region="us-east-1", cpu=256, memory=512, tasks=2, task_public_ip=False, alb_subnets=2)
    assert result.lines["publicIpv4"] == round(2 * 0.005 * HOURS_PER_MONTH, 2)


def test_the_stack_exports_the_estimate_for_its_region_and_size(dev: Deployment) -> None:
    assert dev.outputs["estimatedMonthlyCostUsd"] == 44.34  # the mocks' default VPC has two subnets
    assert dev.outputs["costEstimate"]["region"] == "ap-northeast-2"
    assert dev.outputs["costEstimate"]["pricesRead"] == "2026-11-26"


def test_a_stack_in_an_unpriced_region_exports_null_with_the_reason() -> None:
    deployment = run_program("dev", {"aws:region": "eu-west-3"})
    assert deployment.outputs["estimatedMonthlyCostUsd"] is None
    assert deployment.outputs["costEstimate"]["note"].startswith("unknown region 'eu-west-3'")


def test_readme_cost_table_matches_the_code() -> None:
    readme = (ROOT / "docs" / "deployments.md").read_text()
    for region in ("ap-northeast-2", "us-east-1"):
        row = re.search(rf"^\| {region} \| \$([\d.]+) \| \$([\d.]+) \| \$([\d.]+) \|$", readme, flags=re.MULTILINE)
        assert row is not None, region
        expected = [
            estimate(region=region, cpu=256, memory=512, tasks=1, architecture=a, capacity_provider=c, alb_subnets=2)
            for a, c in (("X86_64", "FARGATE"), ("ARM64", "FARGATE"), ("X86_64", "FARGATE_SPOT"))
        ]
        assert [float(v) for v in row.groups()] == [e.monthly_usd for e in expected]


def test_the_access_log_bucket_and_kms_keys_are_counted_from_their_price_pages() -> None:
    from stack_support.cost import (
        ACCESS_LOG_FILES_PER_NODE_HOUR,
        ACCESS_LOG_GB_PER_MONTH,
        KMS_KEY_MONTH,
        KMS_PER_10K_REQUESTS,
        KMS_REQUESTS_PER_KEY_MONTH,
    )

    plain = estimate(region="ap-northeast-2", cpu=512, memory=1024, tasks=2, alb_subnets=2)
    prod = estimate(
        region="ap-northeast-2", cpu=512, memory=1024, tasks=2, alb_subnets=2, access_log_retention_days=90, kms_keys=1
    )
    seoul = PRICES["ap-northeast-2"]
    # Steady state: 90 days of logs stored; each of the two ALB nodes puts a file every 5 minutes.
    stored = ACCESS_LOG_GB_PER_MONTH * 90 / 30 * seoul.s3_standard_gb_month
    puts = 2 * ACCESS_LOG_FILES_PER_NODE_HOUR * HOURS_PER_MONTH / 1000 * seoul.s3_put_per_1000
    assert prod.lines["accessLogBucket"] == round(stored + puts, 2)
    assert prod.lines["kmsKeys"] == round(KMS_KEY_MONTH + KMS_REQUESTS_PER_KEY_MONTH / 10_000 * KMS_PER_10K_REQUESTS, 2)
    assert {k: v for k, v in prod.lines.items() if k in plain.lines} == plain.lines
    assert "90 days" in prod.note
    assert "1 KMS key(s)" in prod.note


def test_prod_exports_the_cost_of_its_log_bucket_and_its_key(dev: Deployment) -> None:
    prod = run_program("prod", stack_outputs={"organization/library-infra/dev": dev.outputs})
    lines = prod.outputs["costEstimate"]["lines"]
    assert {"accessLogBucket", "kmsKeys"} <= set(lines)
    assert lines["kmsKeys"] >= 1.0
    assert "accessLogBucket" not in dev.outputs["costEstimate"]["lines"]
