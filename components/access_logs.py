"""AccessLogBucket: the private S3 bucket the Application Load Balancer writes its access logs to.

Creates:
- s3.Bucket ``<name>`` (auto-named ``<name>-<random>``): force-destroy outside production, so `pulumi destroy` of a dev
  stack empties it; kept (retain on delete, no force-destroy) in production, where the logs are evidence;
- s3.BucketPublicAccessBlock ``<name>-public-access`` (all four blocks) and s3.BucketOwnershipControls
  ``<name>-ownership`` (BucketOwnerEnforced: ACLs off, the account owns every log object);
- s3.BucketServerSideEncryptionConfiguration ``<name>-encryption``: SSE-S3 (AES256), the only default encryption ALB
  access logs support;
- s3.BucketLifecycleConfiguration ``<name>-lifecycle``: log objects expire after ``retention_days``;
- s3.BucketPolicy ``<name>-policy`` built by :func:`access_log_bucket_policy`: Elastic Load Balancing's log delivery
  may put objects under ``<prefix>/AWSLogs/<account>/``, and every request without TLS is denied.

``policy`` is the bucket policy resource: the load balancer must depend on it, because ELB writes a test object when
access logging is turned on and refuses the change ("Access Denied for bucket") while the policy is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# "The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)."
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
LOG_ENCRYPTION = "AES256"
# Since 2025-09-10 ELB delivers access logs as this service principal in every Region (ALB document history).
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/doc-history.html
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"


def log_object_arn(partition: str, bucket: str, prefix: str, account: str) -> str:
    """Where ELB writes: ``<bucket>/<prefix>/AWSLogs/<account-id>/...`` (enable-access-logging.html, bucket policy)."""
    return f"arn:{partition}:s3:::{bucket}/{prefix}/AWSLogs/{account}/*"


def access_log_bucket_policy(partition: str, bucket: str, prefix: str, account: str) -> dict[str, Any]:
    """ELB's log delivery may write this account's logs under ``prefix``; nothing reaches the bucket without TLS."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ElbLogDeliveryWritesThisAccountsLogs",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_PRINCIPAL},
                "Action": "s3:PutObject",
                "Resource": log_object_arn(partition, bucket, prefix, account),
            },
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketArgs:
    prefix: str
    """The load balancer's log prefix (no leading or trailing '/'; ELB refuses one holding AWSLogs)."""
    retention_days: int
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    production: bool
    """Keep the bucket and its logs when the stack is destroyed."""


class AccessLogBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    name: pulumi.Output[str]

    def __init__(self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:logs:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            name,
            force_destroy=not args.production,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.production),
        )
        # S3 takes one configuration change of a bucket at a time and refuses another meanwhile with 409
        # OperationAborted (terraform-provider-aws#7628: the policy and the public access block; the ownership
        # controls too), so each of the bucket's settings waits for the one before.
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm=LOG_ENCRYPTION
                    )
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ownership]),
        )
        lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{args.prefix}/"),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[encryption]),
        )
        document = pulumi.Output.all(args.partition, self.bucket.bucket, args.account_id).apply(
            lambda a: json.dumps(access_log_bucket_policy(str(a[0]), str(a[1]), args.prefix, str(a[2])))
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[lifecycle]),
        )
        self.name = self.bucket.bucket
        self.register_outputs({"name": self.name})
