"""A monthly cost estimate of a stack, from a price table kept in code.

Prices are AWS on-demand list prices in USD, read on PRICES_READ: us-east-1 from AWS's pricing pages and the
figures they quote; ap-northeast-2 (Seoul) from the AWS Price List for that region, cross-checked against a Seoul
bill for the ALB hour and public IPv4 charges. Regions not in the table get no number, and say so.

What is counted, per month of 730 hours:
- Fargate: tasks x (vCPU x vCPU-hour + GB x GB-hour), at the x86 or ARM (Graviton) price; Spot is assumed at
  SPOT_DISCOUNT off, the low end of what users report (AWS says "up to 70%"; the real discount varies);
- the ALB: its hours plus a baseline of ALB_BASELINE_LCU load balancer capacity unit (a quiet service's traffic);
- public IPv4 addresses: one per task with a public IP, and one per ALB subnet (each ALB node has one);
- CloudWatch Logs ingestion at LOG_GB_PER_TASK_MONTH GB per task (storage and data transfer are not counted);
- with the stack's access-log bucket: S3 Standard storage of ACCESS_LOG_GB_PER_MONTH GB of ALB access logs a month
  (a quiet service's; each request is a line of about 400 bytes, gzipped) kept for the bucket's retention, and the
  PUTs of ELB's delivery (each ALB node writes a file every 5 minutes);
- each customer managed KMS key the stack creates ($1 a month, any region) and KMS_REQUESTS_PER_KEY_MONTH requests
  to it (CloudWatch Logs and ECR asking for data keys).
S3: https://aws.amazon.com/s3/pricing/ (Standard, first 50 TB; PUT requests). KMS: https://aws.amazon.com/kms/pricing/.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PRICES_READ = "2026-11-26"
HOURS_PER_MONTH = 730
SPOT_DISCOUNT = 0.50
ALB_BASELINE_LCU = 1
LOG_GB_PER_TASK_MONTH = 1.0
ACCESS_LOG_GB_PER_MONTH = 1.0
DAYS_PER_MONTH = 30
# "Elastic Load Balancing publishes a log file for each load balancer node every 5 minutes" (enable-access-logging).
ACCESS_LOG_FILES_PER_NODE_HOUR = 12
KMS_KEY_MONTH = 1.00  # "$1/month (prorated hourly)" per customer managed key, every region
KMS_REQUESTS_PER_KEY_MONTH = 10_000
KMS_PER_10K_REQUESTS = 0.03


@dataclass(frozen=True)
class RegionPrices:
    fargate_x86_vcpu_hour: float
    fargate_x86_gb_hour: float
    fargate_arm_vcpu_hour: float
    fargate_arm_gb_hour: float
    alb_hour: float
    alb_lcu_hour: float
    public_ipv4_hour: float
    logs_ingestion_gb: float
    s3_standard_gb_month: float
    s3_put_per_1000: float


PRICES: dict[str, RegionPrices] = {
    "us-east-1": RegionPrices(
        fargate_x86_vcpu_hour=0.04048,
        fargate_x86_gb_hour=0.004445,
        fargate_arm_vcpu_hour=0.03238,
        fargate_arm_gb_hour=0.00356,
        alb_hour=0.0225,
        alb_lcu_hour=0.008,
        public_ipv4_hour=0.005,
        logs_ingestion_gb=0.50,
        s3_standard_gb_month=0.023,
        s3_put_per_1000=0.005,
    ),
    "ap-northeast-2": RegionPrices(
        fargate_x86_vcpu_hour=0.04656,
        fargate_x86_gb_hour=0.00511,
        fargate_arm_vcpu_hour=0.03725,
        fargate_arm_gb_hour=0.00409,
        alb_hour=0.0225,
        alb_lcu_hour=0.008,
        public_ipv4_hour=0.005,
        logs_ingestion_gb=0.76,
        s3_standard_gb_month=0.025,
        s3_put_per_1000=0.0045,
    ),
}


@dataclass(frozen=True)
class CostEstimate:
    region: str
    monthly_usd: float | None
    """None for a region without prices."""
    lines: dict[str, float]
    note: str
    prices_read: str = PRICES_READ

    def as_output(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "region": data["region"],
            "monthlyUsd": data["monthly_usd"],
            "lines": data["lines"],
            "note": data["note"],
            "pricesRead": data["prices_read"],
        }


def estimate(
    *,
    region: str,
    cpu: int,
    memory: int,
    tasks: int,
    architecture: str = "X86_64",
    capacity_provider: str = "FARGATE",
    task_public_ip: bool = True,
    alb_subnets: int = 2,
    access_log_retention_days: int | None = None,
    kms_keys: int = 0,
) -> CostEstimate:
    """``access_log_retention_days``: the stack's access-log bucket keeps logs that long (None: no bucket of its own);
    ``kms_keys``: customer managed keys the stack creates."""
    prices = PRICES.get(region)
    if prices is None:
        known = ", ".join(sorted(PRICES))
        return CostEstimate(region, None, {}, f"unknown region {region!r}: prices are kept for {known}")
    arm = architecture == "ARM64"
    vcpu_hour = prices.fargate_arm_vcpu_hour if arm else prices.fargate_x86_vcpu_hour
    gb_hour = prices.fargate_arm_gb_hour if arm else prices.fargate_x86_gb_hour
    spot = capacity_provider == "FARGATE_SPOT"
    task_hour = (cpu / 1024) * vcpu_hour + (memory / 1024) * gb_hour
    if spot:
        task_hour *= 1 - SPOT_DISCOUNT
    public_ips = (tasks if task_public_ip else 0) + alb_subnets
    lines = {
        "fargate": tasks * task_hour * HOURS_PER_MONTH,
        "loadBalancer": (prices.alb_hour + ALB_BASELINE_LCU * prices.alb_lcu_hour) * HOURS_PER_MONTH,
        "publicIpv4": public_ips * prices.public_ipv4_hour * HOURS_PER_MONTH,
        "logs": tasks * LOG_GB_PER_TASK_MONTH * prices.logs_ingestion_gb,
    }
    extras = ""
    if access_log_retention_days is not None:
        stored_gb = ACCESS_LOG_GB_PER_MONTH * access_log_retention_days / DAYS_PER_MONTH
        puts = alb_subnets * ACCESS_LOG_FILES_PER_NODE_HOUR * HOURS_PER_MONTH
        lines["accessLogBucket"] = stored_gb * prices.s3_standard_gb_month + puts / 1000 * prices.s3_put_per_1000
        extras += f", {ACCESS_LOG_GB_PER_MONTH:g} GB of access logs a month kept {access_log_retention_days} days"
    if kms_keys:
        lines["kmsKeys"] = kms_keys * (KMS_KEY_MONTH + KMS_REQUESTS_PER_KEY_MONTH / 10_000 * KMS_PER_10K_REQUESTS)
        extras += f", {kms_keys} KMS key(s) with {KMS_REQUESTS_PER_KEY_MONTH:,} requests each"
    lines = {k: round(v, 2) for k, v in lines.items()}
    note = (
        f"{tasks} task(s) of {cpu / 1024:g} vCPU / {memory / 1024:g} GB on {'ARM' if arm else 'x86'}"
        f"{' Spot (assumed ' + format(SPOT_DISCOUNT, '.0%') + ' off)' if spot else ''}, an ALB with "
        f"{ALB_BASELINE_LCU} LCU, {public_ips} public IPv4 address(es), {LOG_GB_PER_TASK_MONTH:g} GB of logs per task"
        f"{extras}"
    )
    return CostEstimate(region, round(sum(lines.values()), 2), lines, note)
