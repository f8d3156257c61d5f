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
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "rds:DescribeDBInstances",
    "rds:ListTagsForResource",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "ecr:GetAuthorizationToken",
]
UNSCOPABLE_ACTIONS += [a for a in PROGRAM_LOOKUPS if a not in UNSCOPABLE_ACTIONS]
# The CI roles and the boundary live under their own IAM path. A role's ARN holds its path
# (arn:aws:iam::<account>:role/ci/<name>), and no `role/<appName>-*` the deploy role manages can match `role/ci/...`,
# because '/' follows "ci" where the pattern needs '-'. An explicit Deny backs that up.
CI_PATH = "/ci/"
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


def _state_bucket_statements(partition: str, bucket: str | None, write_prefix: str) -> list[dict[str, Any]]:
    if bucket is None:
        return []
    return [
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
        {
            "Sid": "WriteState",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:{partition}:s3:::{bucket}/{write_prefix}*",
        },
    ]


def preview_policy(
    partition: str, region: str, account: str, parameter_prefix: str, state_bucket: str | None
) -> dict[str, Any]:
    """What ``pulumi preview`` of library-infra reads: its lookups, and the state (plus its lock)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Lookups",
            "Effect": "Allow",
            "Action": PROGRAM_LOOKUPS,
            "Resource": "*",
        },
        {
            "Sid": "FindParametersWithoutDecrypting",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{partition}:ssm:{region}:{account}:parameter{parameter_prefix}*",
        },
    ]
    statements += _state_bucket_statements(partition, state_bucket, ".pulumi/locks/")
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
) -> dict[str, Any]:
    """What ``pulumi up`` of library-infra changes, limited to this account, region and the app's names.

    Roles it creates or changes must carry ``boundary_arn``; it can touch nothing under :data:`CI_PATH`.
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
            "Resource": f"{arn}:ecr:{here}:repository/{repository_name}",
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
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
            ],
            "Resource": [f"{arn}:kms:{here}:key/*", f"{arn}:kms:{here}:alias/{app_name}-*"],
        },
        {
            "Sid": "TheLogGroups",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
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
    prod_environment: str
    app_name: str
    parameter_prefix: str
    repository_name: str
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    existing_provider_arn: pulumi.Input[str] | None = None
    state_bucket: pulumi.Input[str] | None = None


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
            "preview": ["pull_request"],
            "deploy": [f"ref:refs/heads/{args.deploy_branch}", f"environment:{args.prod_environment}"],
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

        where = pulumi.Output.all(args.partition, args.region, args.account_id, args.state_bucket, self.boundary.arn)
        aws.iam.RolePolicy(
            f"{name}-preview",
            role=self.preview_role.id,
            policy=where.apply(
                lambda w: json.dumps(preview_policy(w[0], w[1], w[2], args.parameter_prefix, w[3] or None))
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-deploy",
            role=self.deploy_role.id,
            policy=where.apply(
                lambda w: json.dumps(
                    deploy_policy(
                        w[0],
                        w[1],
                        w[2],
                        args.app_name,
                        args.parameter_prefix,
                        args.repository_name,
                        w[3] or None,
                        w[4],
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
