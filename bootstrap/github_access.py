"""GithubActionsAccess: lets this repository's workflows reach AWS through GitHub's OIDC provider, with no stored keys.

Creates:
- iam.OpenIdConnectProvider ``<name>-github`` for ``token.actions.githubusercontent.com`` (audience
  ``sts.amazonaws.com``), unless an existing provider ARN is passed in (an account holds one per URL);
- iam.Policy ``<name>-workload-boundary`` (path ``/ci/``): the permissions boundary every role of the app must carry;
- iam.Role ``<name>-preview`` (path ``/ci/``) + iam.RolePolicy: assumable only by pull-request workflows of the
  repository, allowed only what ``pulumi preview`` reads;
- iam.Role ``<name>-deploy`` (path ``/ci/``) + iam.RolePolicy: assumable only by workflows on the deploy branch and
  jobs in the production environment, allowed to manage what library-infra creates (names starting with
  ``appName``); roles only with the boundary, and nothing under ``/ci/``.

Both trust policies compare the token's ``sub`` with exact strings (StringEquals, no wildcards), so a fork, another
repository, another branch or a pull request cannot assume the deploy role. The documents come from the pure
functions below.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The only actions library-infra needs that AWS offers no resource-level permission for.
UNSCOPABLE_ACTIONS = [
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeNetworkInterfaces",
    "ecr:GetAuthorizationToken",
    "ecs:CreateCluster",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:ListClusters",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetHealth",
    "kms:CreateKey",
    "kms:ListAliases",
    "logs:DescribeLogGroups",
    "ssm:DescribeParameters",
    "cloudwatch:DescribeAlarms",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScalingActivities",
]
# Read-only look-ups the program makes at every preview (provider data sources) that AWS offers no resource for:
# the default VPC (aws_vpc also reads DNS attributes), its subnets, the database's instance and security group, and
# a blue/green stack's live production rule.
PROGRAM_LOOKUPS = [
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeRouteTables",  # aws_vpc reads the main route table (it only warns when refused)
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "rds:DescribeDBInstances",
    "rds:ListTagsForResource",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "ecr:GetAuthorizationToken",
]
# Elastic Load Balancing checks these EC2 permissions on the caller of CreateLoadBalancer and CreateTargetGroup
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-permissions.html); reading a load
# balancer also asks for its capacity reservation.
LOAD_BALANCING_CALLER_CHECKS = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeInternetGateways",
    "elasticloadbalancing:DescribeCapacityReservation",
]
# What `pulumi preview --refresh` reads of resources AWS offers no resource-level permission for.
REFRESH_READS_WITHOUT_RESOURCE = [
    "ec2:DescribeSecurityGroupRules",
    "ecs:DescribeTaskDefinition",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "logs:DescribeLogGroups",
    "ssm:DescribeParameters",
    "kms:ListAliases",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
]
UNSCOPABLE_ACTIONS += [a for a in PROGRAM_LOOKUPS + LOAD_BALANCING_CALLER_CHECKS if a not in UNSCOPABLE_ACTIONS]
# The CI roles and the boundary live under their own IAM path. A role's ARN holds its path
# (arn:aws:iam::<account>:role/ci/<name>), and no `role/<appName>-*` the deploy role manages can match `role/ci/...`,
# because '/' follows "ci" where the pattern needs '-'. An explicit Deny backs that up.
CI_PATH = "/ci/"
# What the provider reads of the stacks' access-log buckets on a refresh (aws_s3_bucket's Read and its settings').
ACCESS_LOG_BUCKET_READS = [
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
]


def access_log_buckets(partition: str, app_name: str) -> str:
    """The stacks' access-log buckets: auto-named ``<appName>-access-logs-<random>`` (components/access_logs.py)."""
    return f"arn:{partition}:s3:::{app_name}-access-logs-*"


MANAGED_POLICIES_THE_STACKS_ATTACH = [
    "service-role/AmazonECSTaskExecutionRolePolicy",
    "AmazonECSInfrastructureRolePolicyForLoadBalancers",
]


def subject(repository: str, claim: str) -> str:
    return f"repo:{repository}:{claim}"


def github_trust_policy(provider_arn: str, repository: str, claims: Sequence[str]) -> dict[str, Any]:
    """Trust exactly these ``sub`` claims of ``repository`` (e.g. ``pull_request``, ``ref:refs/heads/main``)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GithubActionsOfThisRepository",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": sorted(subject(repository, c) for c in claims),
                    }
                },
            }
        ],
    }


def _state_bucket_statements(partition: str, bucket: str | None, write_prefix: str | None) -> list[dict[str, Any]]:
    """Read the state; write it (under ``write_prefix``) only when given one."""
    if bucket is None:
        return []
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListStateBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
            "Resource": f"arn:{partition}:s3:::{bucket}",
        },
        {
            "Sid": "ReadState",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/*",
        },
    ]
    if write_prefix is not None:
        statements.append(
            {
                "Sid": "WriteState",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:{partition}:s3:::{bucket}/{write_prefix}*",
            }
        )
    return statements


def preview_policy(
    partition: str,
    region: str,
    account: str,
    app_name: str,
    parameter_prefix: str,
    repository_name: str,
    state_bucket: str | None,
    stack_key_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """What ``pulumi preview --refresh`` of library-infra reads: its look-ups, every resource it refreshes, the state,
    and each stack's secrets key to open the stack. Decrypt only: a preview writes no state, takes no lock (only
    update, refresh, destroy and import do) and changes nothing."""
    arn = f"arn:{partition}"
    here = f"{region}:{account}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Lookups",
            "Effect": "Allow",
            "Action": sorted(set(PROGRAM_LOOKUPS + REFRESH_READS_WITHOUT_RESOURCE)),
            "Resource": "*",
        },
        {
            "Sid": "FindParametersWithoutDecrypting",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:ListTagsForResource"],
            "Resource": f"{arn}:ssm:{here}:parameter{parameter_prefix}*",
        },
        {
            "Sid": "RefreshTheAppsRoles",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
            ],
            "Resource": f"{arn}:iam::{account}:role/{app_name}-*",
        },
        {
            "Sid": "RefreshTheRepository",
            "Effect": "Allow",
            "Action": [
                "ecr:DescribeRepositories",
                "ecr:ListTagsForResource",
                "ecr:GetLifecyclePolicy",
                "ecr:DescribeImages",
                "ecr:BatchGetImage",
            ],
            # dev's repository, and the one of each other stack that builds, <repositoryName>-<stack>.
            "Resource": [
                f"{arn}:ecr:{here}:repository/{repository_name}",
                f"{arn}:ecr:{here}:repository/{repository_name}-*",
            ],
        },
        {
            "Sid": "RefreshEcs",
            "Effect": "Allow",
            "Action": ["ecs:DescribeClusters", "ecs:DescribeServices", "ecs:ListTagsForResource"],
            "Resource": f"{arn}:ecs:{here}:*",
        },
        {
            "Sid": "RefreshLogsAlarmsAndScaling",
            "Effect": "Allow",
            "Action": [
                "logs:ListTagsForResource",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "application-autoscaling:ListTagsForResource",
            ],
            "Resource": [
                f"{arn}:logs:{here}:log-group:/ecs/{app_name}-*",
                f"{arn}:cloudwatch:{here}:alarm:{app_name}-*",
                f"{arn}:cloudwatch:{here}:alarm:TargetTracking-service/{app_name}-*",
                f"{arn}:application-autoscaling:{here}:scalable-target/*",
            ],
        },
        {
            "Sid": "RefreshTheAccessLogBuckets",
            "Effect": "Allow",
            "Action": ACCESS_LOG_BUCKET_READS,
            "Resource": access_log_buckets(partition, app_name),
        },
        {
            "Sid": "RefreshKeys",
            "Effect": "Allow",
            "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
            "Resource": f"{arn}:kms:{here}:key/*",
        },
        {
            # Refreshing a stack-owned SecureString reads it decrypted. Only the keys the stacks create for their
            # own parameters (alias/<appName>-secrets-<stack>), only through SSM; production stacks own none.
            "Sid": "RefreshStackOwnedParameters",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": f"{arn}:kms:{here}:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"},
                "ForAnyValue:StringLike": {"kms:ResourceAliases": f"alias/{app_name}-secrets-*"},
            },
        },
    ]
    if stack_key_arns:
        statements.append(
            {
                "Sid": "OpenTheStacksSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": list(stack_key_arns),
            }
        )
    statements += _state_bucket_statements(partition, state_bucket, None)
    statements += never_the_ci_itself(partition, account)
    return {"Version": "2012-10-17", "Statement": statements}


def deploy_policy(
    partition: str,
    region: str,
    account: str,
    app_name: str,
    parameter_prefix: str,
    repository_name: str,
    state_bucket: str | None,
    boundary_arn: str,
    stack_key_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """What ``pulumi up`` of library-infra changes, limited to this account, region and the app's names.

    Roles it creates or changes must carry ``boundary_arn``; it can touch nothing under :data:`CI_PATH`, and neither
    rewrite the policy of, nor delete, the keys that encrypt the stacks' secrets (``stack_key_arns``).
    """
    arn = f"arn:{partition}"
    here = f"{region}:{account}"
    app_roles = f"{arn}:iam::{account}:role/{app_name}-*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ActionsWithoutResourceLevelPermissions",
            "Effect": "Allow",
            "Action": UNSCOPABLE_ACTIONS,
            "Resource": "*",
        },
        {"Sid": "EcsInThisRegion", "Effect": "Allow", "Action": "ecs:*", "Resource": f"{arn}:ecs:{here}:*"},
        {
            "Sid": "LoadBalancingInThisRegion",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:*",
            "Resource": f"{arn}:elasticloadbalancing:{here}:*",
        },
        {
            "Sid": "SecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateSecurityGroup",
                "ec2:DeleteSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifySecurityGroupRules",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            "Resource": [
                f"{arn}:ec2:{here}:security-group/*",
                f"{arn}:ec2:{here}:security-group-rule/*",
                f"{arn}:ec2:{here}:vpc/*",
            ],
        },
        {
            "Sid": "ReadAndTagTheAppsRoles",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ],
            "Resource": app_roles,
        },
        {
            # The boundary caps whatever a role of the app is given; iam:PermissionsBoundary is the boundary the role
            # has (or, for PutRolePermissionsBoundary, gets). Service Authorization Reference, IAM: these actions
            # support the iam:PermissionsBoundary condition key.
            "Sid": "ChangeTheAppsRolesOnlyWithinTheBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            "Resource": app_roles,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "OnlyTheEcsManagedPolicies",
            "Effect": "Allow",
            "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "Resource": app_roles,
            "Condition": {
                "ArnEquals": {
                    "iam:PolicyARN": [f"{arn}:iam::aws:policy/{p}" for p in MANAGED_POLICIES_THE_STACKS_ATTACH]
                },
                "StringEquals": {"iam:PermissionsBoundary": boundary_arn},
            },
        },
        {
            "Sid": "PassTheAppsRolesOnlyToEcs",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": app_roles,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]}},
        },
        {
            "Sid": "FirstUseOfEcsAndLoadBalancing",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"{arn}:iam::{account}:role/aws-service-role/*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "ecs.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com",
                    ]
                }
            },
        },
        {
            "Sid": "TheRollbackAlarms",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ],
            "Resource": f"{arn}:cloudwatch:{here}:alarm:{app_name}-*",
        },
        {
            # A target-tracking policy makes Application Auto Scaling create and delete these alarms with the
            # caller's permissions (Application Auto Scaling user guide, identity-based policy examples); the
            # cluster's name, and so the alarm's, starts with appName.
            "Sid": "TargetTrackingAlarms",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
            "Resource": f"{arn}:cloudwatch:{here}:alarm:TargetTracking-service/{app_name}-*",
        },
        {
            "Sid": "ServiceAutoscaling",
            "Effect": "Allow",
            "Action": [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:TagResource",
                "application-autoscaling:UntagResource",
                "application-autoscaling:ListTagsForResource",
            ],
            "Resource": f"{arn}:application-autoscaling:{here}:scalable-target/*",
        },
        {
            "Sid": "TheRepository",
            "Effect": "Allow",
            "Action": "ecr:*",
            # dev's repository, and the one of each other stack that builds, <repositoryName>-<stack>.
            "Resource": [
                f"{arn}:ecr:{here}:repository/{repository_name}",
                f"{arn}:ecr:{here}:repository/{repository_name}-*",
            ],
        },
        {
            "Sid": "TheParameters",
            "Effect": "Allow",
            "Action": [
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:PutParameter",
                "ssm:DeleteParameter",
                "ssm:AddTagsToResource",
                "ssm:RemoveTagsFromResource",
                "ssm:ListTagsForResource",
            ],
            "Resource": f"{arn}:ssm:{here}:parameter{parameter_prefix}*",
        },
        {
            "Sid": "KeysInThisRegion",
            "Effect": "Allow",
            "Action": [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:ListResourceTags",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ScheduleKeyDeletion",
                "kms:UpdateKeyDescription",
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
                # The stack's data key is created with its policy (CloudWatch Logs' statement); KMS's lockout check
                # lets CreateKey through only when the caller could then PutKeyPolicy.
                "kms:PutKeyPolicy",
            ],
            "Resource": [f"{arn}:kms:{here}:key/*", f"{arn}:kms:{here}:alias/{app_name}-*"],
        },
        {
            # A KMS-encrypted repository: ECR creates a grant on the key for it, through KMS, with the caller's
            # permissions, and retires it when the repository goes (ECR user guide, encryption at rest).
            "Sid": "RepositoryGrantsOnlyThroughEcr",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:RetireGrant"],
            "Resource": f"{arn}:kms:{here}:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": f"ecr.{region}.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        },
        {
            "Sid": "TheAccessLogBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [access_log_buckets(partition, app_name), f"{access_log_buckets(partition, app_name)}/*"],
        },
        {
            "Sid": "TheLogGroups",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
            ],
            "Resource": f"{arn}:logs:{here}:log-group:/ecs/{app_name}-*",
        },
    ]
    statements += _state_bucket_statements(partition, state_bucket, "")
    statements += never_the_ci_itself(partition, account)
    if stack_key_arns:
        statements.append(
            {
                "Sid": "NeverTheStacksSecretsKeys",
                "Effect": "Deny",
                "Action": ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant"],
                "Resource": list(stack_key_arns),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def never_the_ci_itself(partition: str, account: str) -> list[dict[str, Any]]:
    """Denies that hold whatever else a CI role is allowed: no IAM action on the CI's own roles, boundary and OIDC
    provider, and no role of the app loses its boundary."""
    iam = f"arn:{partition}:iam::{account}"
    return [
        {
            "Sid": "NeverTheCiRolesTheBoundaryOrTheOidcProvider",
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": [
                f"{iam}:role{CI_PATH}*",
                f"{iam}:policy{CI_PATH}*",
                f"{iam}:oidc-provider/{GITHUB_OIDC_HOST}",
            ],
        },
        {
            "Sid": "NeverRemoveABoundary",
            "Effect": "Deny",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": "*",
        },
    ]


def workload_boundary(partition: str, region: str, account: str, parameter_prefix: str) -> dict[str, Any]:
    """The most any role of the app may do, whatever policy it is given: what the program's roles need.

    - execution role: AmazonECSTaskExecutionRolePolicy (ECR pulls, log events) and the configured SSM parameters,
      decrypted only through SSM;
    - task role: the ssmmessages channels of ECS Exec;
    - blue/green infrastructure role: AmazonECSInfrastructureRolePolicyForLoadBalancers (listeners, rules and
      targets of this region's load balancers).
    Nothing of IAM, STS or the CI's own path, so a role of the app can never grant, assume or widen anything.
    """
    arn = f"arn:{partition}"
    here = f"{region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PullImagesAndWriteLogs",
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ReadTheAppsParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": f"{arn}:ssm:{here}:parameter{parameter_prefix}*",
            },
            {
                "Sid": "DecryptOnlyThroughSsm",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": f"{arn}:kms:{here}:key/*",
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            },
            {
                "Sid": "EcsExec",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
            {
                "Sid": "BlueGreenTraffic",
                "Effect": "Allow",
                "Action": "elasticloadbalancing:*",
                "Resource": f"{arn}:elasticloadbalancing:{here}:*",
            },
            {
                "Sid": "BlueGreenLookups",
                "Effect": "Allow",
                "Action": "elasticloadbalancing:Describe*",
                "Resource": "*",
            },
            {"Sid": "NoIamOrSts", "Effect": "Deny", "Action": ["iam:*", "sts:*"], "Resource": "*"},
        ],
    }


def _trust_document(provider_arn: pulumi.Output[str], repository: str, claims: list[str]) -> pulumi.Output[str]:
    return provider_arn.apply(lambda arn: json.dumps(github_trust_policy(arn, repository, claims)))


@dataclass(frozen=True)
class GithubActionsAccessArgs:
    github_repository: str
    deploy_branch: str
    dev_environment: str
    prod_environment: str
    app_name: str
    parameter_prefix: str
    repository_name: str
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    existing_provider_arn: pulumi.Input[str] | None = None
    state_bucket: pulumi.Input[str] | None = None
    stacks: Sequence[str] = ("dev", "prod")
    """Stacks of library-infra that get their own secrets key (awskms:// secrets provider)."""


class GithubActionsAccess(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    preview_role: aws.iam.Role
    deploy_role: aws.iam.Role
    boundary: aws.iam.Policy

    def __init__(self, name: str, args: GithubActionsAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:bootstrap:GithubActionsAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        if args.existing_provider_arn is not None:
            self.provider_arn = pulumi.Output.from_input(args.existing_provider_arn)
        else:
            self.provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_lists=[AUDIENCE],
                opts=child,
            ).arn

        repo = args.github_repository
        self.boundary = aws.iam.Policy(
            f"{name}-workload-boundary",
            name=f"{name}-workload-boundary",
            path=CI_PATH,
            description=f"Permissions boundary of every role the {args.app_name} stacks create",
            policy=pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda w: json.dumps(workload_boundary(w[0], w[1], w[2], args.parameter_prefix))
            ),
            opts=child,
        )
        claims = {
            # Pull requests, and the deploy workflow's read of dev's image before a manual prod deploy.
            "preview": ["pull_request", f"ref:refs/heads/{args.deploy_branch}"],
            # Deploy jobs run in the dev and prod environments, whose deployment branch policy admits only the deploy
            # branch (.github/scripts/setup-environments.sh); a job in an environment gets `environment:<name>` as
            # its subject (GitHub, OpenID Connect reference, "Filtering for a specific environment").
            "deploy": [f"environment:{args.dev_environment}", f"environment:{args.prod_environment}"],
        }
        roles: dict[str, aws.iam.Role] = {}
        for purpose, purpose_claims in claims.items():
            roles[purpose] = aws.iam.Role(
                f"{name}-{purpose}",
                path=CI_PATH,
                description=f"GitHub Actions of {repo}: {purpose} library-infra",
                assume_role_policy=_trust_document(self.provider_arn, repo, purpose_claims),
                max_session_duration=3600,
                # The path is part of the ARN; roles created before it moved are replaced, not renamed.
                opts=child,
            )
        self.preview_role, self.deploy_role = roles["preview"], roles["deploy"]

        self.stack_keys: dict[str, aws.kms.Key] = {}
        self.secrets_providers: dict[str, pulumi.Output[str]] = {}
        for stack in args.stacks:
            key = aws.kms.Key(
                f"{name}-secrets-{stack}",
                description=f"Encrypts the secrets of the library-infra stack {stack} (Pulumi awskms:// provider)",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            alias = aws.kms.Alias(
                f"{name}-secrets-{stack}", name=f"alias/library-infra-{stack}", target_key_id=key.key_id, opts=child
            )
            self.stack_keys[stack] = key
            self.secrets_providers[stack] = pulumi.Output.all(alias.name, args.region).apply(
                lambda a: f"awskms://{a[0]}?region={a[1]}"
            )
        key_arns = pulumi.Output.all(*[k.arn for k in self.stack_keys.values()])

        where = pulumi.Output.all(args.partition, args.region, args.account_id, args.state_bucket, self.boundary.arn)
        aws.iam.RolePolicy(
            f"{name}-preview",
            role=self.preview_role.id,
            policy=pulumi.Output.all(where, key_arns).apply(
                lambda a: json.dumps(
                    preview_policy(
                        a[0][0],
                        a[0][1],
                        a[0][2],
                        args.app_name,
                        args.parameter_prefix,
                        args.repository_name,
                        a[0][3] or None,
                        a[1],
                    )
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-deploy",
            role=self.deploy_role.id,
            policy=pulumi.Output.all(where, key_arns).apply(
                lambda a: json.dumps(
                    deploy_policy(
                        a[0][0],
                        a[0][1],
                        a[0][2],
                        args.app_name,
                        args.parameter_prefix,
                        args.repository_name,
                        a[0][3] or None,
                        a[0][4],
                        a[1],
                    )
                )
            ),
            opts=child,
        )
        self.register_outputs(
            {
                "providerArn": self.provider_arn,
                "previewRoleArn": self.preview_role.arn,
                "deployRoleArn": self.deploy_role.arn,
                "permissionsBoundaryArn": self.boundary.arn,
            }
        )
