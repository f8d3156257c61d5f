"""prod passes the outside ruleset's controls (issue 15): ALB access logs, logs and images encrypted with KMS.

What AWS needs for each, and the day-one failures they avoid: ELB checks the bucket when logging is turned on
("Access Denied for bucket" without the policy), CloudWatch Logs checks the key when the group is created (its key
policy must admit the service for that group), and access logs support only SSE-S3.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from components.access_logs import LOG_DELIVERY_PRINCIPAL, LOG_ENCRYPTION
from stack_support import app_source
from tests.harness import ACCOUNT, APP_FIXTURE, ROOT, Deployment, Registered, run_program

DEV = "organization/library-infra/dev"
REGION = "ap-northeast-2"
BUCKET = "aws:s3/bucket:Bucket"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666"


@pytest.fixture(scope="module")
def prod(dev: Deployment) -> Deployment:
    return run_program("prod", stack_outputs={DEV: dev.outputs})


@pytest.fixture(scope="module")
def dev_with_existing_bucket_and_key() -> Deployment:
    return run_program("dev", {"accessLogsBucket": "team-alb-logs", "logsKmsKeyArn": KEY})


def _one(deployment: Deployment, kind: str) -> Registered:
    return deployment.one(f"aws:s3/{kind}")


def _policy(deployment: Deployment) -> dict[str, Any]:
    return dict(json.loads(_one(deployment, "bucketPolicy:BucketPolicy").inputs["policy"]))


def test_production_writes_alb_access_logs_to_a_private_sse_s3_bucket_it_keeps(prod: Deployment) -> None:
    bucket = prod.one(BUCKET)
    logs = prod.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]
    assert logs == {"bucket": bucket.state["bucket"], "prefix": "library-prod", "enabled": True}
    block = _one(prod, "bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    ownership = _one(prod, "bucketOwnershipControls:BucketOwnershipControls").inputs["rule"]
    assert ownership == {"objectOwnership": "BucketOwnerEnforced"}
    [rule] = _one(prod, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ]
    # "The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)."
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"} == {"sseAlgorithm": LOG_ENCRYPTION}
    assert bucket.retain_on_delete
    assert bucket.inputs["forceDestroy"] is False  # destroying prod leaves the bucket and its logs


def test_only_elbs_log_delivery_may_write_and_only_this_accounts_logs_under_the_prefix(prod: Deployment) -> None:
    bucket = prod.one(BUCKET).state["bucket"]
    allow, deny = _policy(prod)["Statement"]
    assert allow["Principal"] == {"Service": LOG_DELIVERY_PRINCIPAL}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"arn:aws:s3:::{bucket}/library-prod/AWSLogs/{ACCOUNT}/*"
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_load_balancer_waits_for_the_bucket_policy_elb_checks(prod: Deployment) -> None:
    balancer = prod.one("aws:lb/loadBalancer:LoadBalancer")
    assert prod.depends_on(balancer, _one(prod, "bucketPolicy:BucketPolicy"))


def test_log_objects_expire_after_the_retention_and_a_dev_bucket_goes_with_the_stack(
    prod: Deployment, dev_opted_in: Deployment
) -> None:
    for deployment, days, prefix in ((prod, 90, "library-prod/"), (dev_opted_in, 30, "library-dev/")):
        [rule] = _one(deployment, "bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
        assert (rule["status"], rule["filter"], rule["expiration"]) == ("Enabled", {"prefix": prefix}, {"days": days})
    bucket = dev_opted_in.one(BUCKET)
    assert bucket.inputs["forceDestroy"] is True  # pulumi destroy of dev empties it first
    assert not bucket.retain_on_delete


def test_dev_writes_no_access_logs_and_creates_no_key_unless_asked(dev: Deployment) -> None:
    assert dev.of_type(BUCKET) == []
    assert "accessLogs" not in dev.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert dev.of_type("aws:kms/key:Key") == []
    assert "kmsKeyId" not in dev.one("aws:cloudwatch/logGroup:LogGroup").inputs


def test_an_existing_bucket_gets_the_logs_and_the_stack_creates_no_bucket(
    dev_with_existing_bucket_and_key: Deployment,
) -> None:
    deployment = dev_with_existing_bucket_and_key
    assert deployment.of_type(BUCKET) == []
    logs = deployment.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]
    assert logs == {"bucket": "team-alb-logs", "prefix": "library-dev", "enabled": True}


def test_logs_kms_key_arn_encrypts_the_log_group_and_the_stack_makes_no_key_of_its_own(
    dev_with_existing_bucket_and_key: Deployment,
) -> None:
    assert dev_with_existing_bucket_and_key.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == KEY
    assert dev_with_existing_bucket_and_key.of_type("aws:kms/key:Key") == []


def test_the_stacks_key_lets_cloudwatch_logs_use_it_for_exactly_its_log_group(prod: Deployment) -> None:
    key = prod.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    account, logs = json.loads(key.inputs["policy"])["Statement"]
    # Without the account statement nobody could manage the key; IAM policies decide who uses it.
    assert account["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert account["Action"] == "kms:*"
    # encrypt-log-data-kms.html: the service principal of the region, these actions, this log group's ARN.
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Action"] == ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    group = prod.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/library-prod"
        }
    }
    assert group.inputs["name"] == "/ecs/library-prod"
    assert prod.one("aws:kms/alias:Alias").inputs["name"] == "alias/library-data-prod"


def test_the_log_group_is_created_after_its_key_and_the_keys_policy(prod: Deployment) -> None:
    key, group = prod.one("aws:kms/key:Key"), prod.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == key.state["arn"]
    assert prod.depends_on(group, key)  # CreateLogGroup fails on a key whose policy does not admit CloudWatch Logs


def test_production_repositories_are_kms_encrypted_and_keep_their_encryption_once_created(prod: Deployment) -> None:
    repository = prod.one("aws:ecr/repository:Repository")
    key = prod.one("aws:kms/key:Key")
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key.state["arn"]}]
    # ECR cannot change encryption: a diff would replace a repository full of images. Existing ones keep theirs.
    assert repository.ignore_changes == ["encryptionConfigurations"]
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"


def test_a_dev_stack_that_asks_gets_the_same_controls(dev_opted_in: Deployment) -> None:
    key = dev_opted_in.one("aws:kms/key:Key")
    assert dev_opted_in.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == key.state["arn"]
    encryption = dev_opted_in.one("aws:ecr/repository:Repository").inputs["encryptionConfigurations"]
    assert encryption == [{"encryptionType": "KMS", "kmsKey": key.state["arn"]}]
    assert dev_opted_in.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]["enabled"] is True


# --- the build's identity, which names the tag ------------------------------------------------------------------------


@pytest.fixture
def context(tmp_path: Path) -> Path:
    copy = tmp_path / "app"
    shutil.copytree(ROOT / APP_FIXTURE, copy)
    return copy


def _hash(context: Path, dockerfile: Path = ROOT / "Dockerfile", platform: str = "linux/amd64") -> str:
    return app_source.content_hash(context, dockerfile, platform)


def test_the_same_sources_give_the_same_identity_and_a_changed_source_another(context: Path) -> None:
    before = _hash(context)
    assert _hash(context) == before
    source = next((context / "src").rglob("*.java"))
    source.write_text(source.read_text() + "\n// changed\n")
    assert _hash(context) != before
    source.write_text(source.read_text().removesuffix("\n// changed\n"))
    assert _hash(context) == before  # reverted: the same identity (the tag still moves on: next_tag)


def test_any_file_pulumi_docker_hashes_changes_the_identity_so_no_rebuild_reuses_a_tag(context: Path) -> None:
    # pulumi-docker builds and pushes again whenever its hash of the context changes (provider/provider.go,
    # hashContext: every file but those of <context>/.dockerignore); an unchanged tag would then be refused.
    before = _hash(context)
    (context / "NOTES.md").write_text("not copied by the Dockerfile, but in the context pulumi-docker hashes")
    assert _hash(context) != before


def test_what_the_contexts_dockerignore_leaves_out_does_not_change_the_identity(context: Path) -> None:
    (context / ".dockerignore").write_text(".git\nbuild\n**/__pycache__\n")
    before = _hash(context)
    (context / ".git").mkdir()
    (context / ".git" / "index").write_bytes(b"changes with every checkout")
    (context / "build").mkdir()
    (context / "build" / "out.jar").write_bytes(b"build output")
    (context / "src" / "__pycache__").mkdir()
    (context / "src" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert _hash(context) == before


def test_an_ignore_file_with_an_exception_counts_every_file_to_be_safe(context: Path) -> None:
    # A '!' pattern brings files back in; rather than risk leaving out one pulumi-docker hashes, everything counts.
    (context / ".dockerignore").write_text("build\n!build/keep.txt\n")
    before = _hash(context)
    (context / "build").mkdir()
    (context / "build" / "other.txt").write_text("x")
    assert _hash(context) != before


def test_the_dockerfile_and_the_platform_are_part_of_the_identity(context: Path, tmp_path: Path) -> None:
    other = tmp_path / "Dockerfile"
    other.write_text((ROOT / "Dockerfile").read_text() + "\nLABEL changed=true\n")
    assert _hash(context, other) != _hash(context)
    assert _hash(context, platform="linux/arm64") != _hash(context)


def test_the_buckets_settings_are_put_one_at_a_time(prod: Deployment) -> None:
    # S3 refuses a configuration change of a bucket while another is in progress (409 OperationAborted,
    # terraform-provider-aws#7628): no two of the bucket's settings may run at once.
    bucket = prod.one(BUCKET)
    assert len([r for r in prod.resources if r.inputs.get("bucket") == bucket.id]) == 5
    assert prod.bucket_settings_in_sequence(bucket) == []
