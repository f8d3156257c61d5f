"""DataKey: the stack's customer managed KMS key for its logs and its image repository.

Creates:
- kms.Key ``<name>-key`` (rotation on, 30-day deletion window) with the key policy of :func:`data_key_policy`: the
  account administers and uses it through IAM, and CloudWatch Logs may use it for exactly the stack's log group;
- kms.Alias ``<name>-alias``, ``alias/<name>-<stack>``.

CloudWatch Logs checks the key when the log group is created with it ("CreateLogGroup fails" without the service's
permission in the key policy), so the log group takes ``arn``, and with it waits for the key and its policy. ECR
needs nothing in the key policy: it creates grants with the caller's kms:CreateGrant, which the account statement
lets IAM allow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# The actions CloudWatch Logs needs on a key that encrypts a log group.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def log_group_arn(partition: str, region: str, account: str, log_group: str) -> str:
    """The log group's ARN as CloudWatch Logs puts it in the encryption context (no ``:*``)."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}"


def data_key_policy(partition: str, region: str, account: str, log_groups: Sequence[str] = ()) -> dict[str, Any]:
    """The key policy: the account's IAM policies decide who uses the key (AWS's default key policy statement), and
    CloudWatch Logs of this region may use it only for ``log_groups`` (kms:EncryptionContext:aws:logs:arn)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "TheAccountAdministersTheKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if log_groups:
        arns = [log_group_arn(partition, region, account, name) for name in log_groups]
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsTheStacksLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": LOGS_KEY_ACTIONS,
                "Resource": "*",
                "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arns[0] if len(arns) == 1 else arns}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class DataKeyArgs:
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    log_groups: Sequence[str] = field(default_factory=tuple)
    """Log groups (names) this key encrypts: CloudWatch Logs may use the key for exactly these."""


class DataKey(pulumi.ComponentResource):
    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: DataKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:kms:DataKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        log_groups = list(args.log_groups)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the logs and images of {pulumi.get_project()}/{pulumi.get_stack()}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda a: json.dumps(data_key_policy(str(a[0]), str(a[1]), str(a[2]), log_groups))
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias", name=f"alias/{name}-{pulumi.get_stack()}", target_key_id=self.key.key_id, opts=child
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
