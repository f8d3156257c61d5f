"""The CloudFormation equivalent of what the program registers, for cfn-lint to check against AWS's own schemas.

One small mapping per Pulumi type: the CloudFormation resource type and its property names, from the inputs the
provider receives. A mapping reads its inputs through :class:`Inputs`, and an input it does not read fails the
translation (:class:`UnmappedInputError`), so a new input is either mapped or named here as the provider's own,
with the reason, never dropped in silence. A type with no mapping fails too, unless :data:`NO_EQUIVALENT` says why.

Values that are another registered resource's name, id or ARN become ``Ref``/``Fn::GetAtt`` to that resource, so
that cfn-lint can follow them (a service's load balancer to its target group and task definition, say); values
from outside the stack (SSM parameters it reads, the database's security group, the default VPC) stay literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.harness import Registered

# Registered types that CloudFormation has nothing for, and why.
NO_EQUIVALENT: dict[str, str] = {
    "docker:index/image:Image": "built on the deploying machine and pushed to ECR; no AWS resource of its own",
    "docker:index/remoteImage:RemoteImage": "an image pulled into the deploying machine's Docker engine",
    "docker:index/tag:Tag": "a tag in the deploying machine's Docker engine",
    "docker:index/registryImage:RegistryImage": "a push of a local image to ECR; no AWS resource of its own",
    "pulumi:providers:docker": "the Docker provider's configuration (the registry login), nothing in AWS",
    "pulumi:pulumi:Stack": "Pulumi's own root of the resource tree",
    "pulumi:pulumi:StackReference": "reads another stack's outputs from the Pulumi backend; nothing in AWS",
}
# Every component (library:*) only groups the resources under it: nothing is created in AWS for it.
COMPONENT_PREFIX = "library:"


class UnmappedTypeError(KeyError):
    """A registered type that has neither a mapping nor a reason in NO_EQUIVALENT."""


class UnmappedInputError(ValueError):
    """An input that a type's mapping neither translates nor names as the provider's own."""


@dataclass(frozen=True)
class Resource:
    """A CloudFormation resource: its type, properties (None values left out) and metadata."""

    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fold:
    """A Pulumi resource that CloudFormation declares as a property of another resource (the ``target``, which
    Pulumi names by ``target_name``: the value CloudFormation's ``Ref`` to it returns)."""

    target_type: str
    target_name: str
    property: str
    value: Any
    append: bool = False
    """Add ``value`` to a list property, rather than set the property to it."""


class Inputs:
    """A resource's inputs, read one by one; :meth:`unread` is what no mapping took."""

    def __init__(self, registered: Registered) -> None:
        self.registered = registered
        self._unread = set(registered.inputs)

    def take(self, key: str) -> Any:
        """The input ``key`` (None when not set), marked as translated."""
        self._unread.discard(key)
        return self.registered.inputs.get(key)

    def name(self) -> Any:
        """The resource's name as the provider receives it: the one given, else Pulumi's auto-name."""
        given = self.take("name")
        return given if given is not None else self.registered.state.get("name")

    def unread(self) -> set[str]:
        return set(self._unread)


def _compact(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if v is not None}


def _rename(value: Mapping[str, Any] | None, names: Mapping[str, str], where: str) -> dict[str, Any] | None:
    """A nested input object with its keys renamed to CloudFormation's; a key not in ``names`` fails."""
    if value is None:
        return None
    unknown = set(value) - set(names)
    if unknown:
        raise UnmappedInputError(f"{where}: no CloudFormation property for {sorted(unknown)}")
    return _compact({names[k]: v for k, v in value.items()})


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _tags(tags: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    return None if not tags else [{"Key": k, "Value": v} for k, v in tags.items()]


def _bool(value: bool | None) -> str | None:
    """A boolean as ELB's attribute strings spell it."""
    return None if value is None else str(value).lower()


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


# Keys in an ECS container definition whose values are maps of the user's own keys (left as they are).
_USER_MAPS = {"options", "dockerLabels"}


def _container(value: Any) -> Any:
    """An ECS container definition (the API's camelCase JSON) in CloudFormation's PascalCase; the names match
    one to one, so a key cfn-lint does not know shows up as its own finding."""
    if isinstance(value, list):
        return [_container(v) for v in value]
    if isinstance(value, dict):
        return {_pascal(k): (v if k in _USER_MAPS else _container(v)) for k, v in value.items()}
    return value


# --- one mapping per Pulumi type ---------------------------------------------------------------------------------


def kms_key(r: Inputs) -> Resource:
    return Resource(
        "AWS::KMS::Key",
        _compact(
            {
                "Description": r.take("description"),
                "EnableKeyRotation": r.take("enableKeyRotation"),
                "PendingWindowInDays": r.take("deletionWindowInDays"),
                "RotationPeriodInDays": r.take("rotationPeriodInDays"),
                "KeyPolicy": _json(r.take("policy")),
                "KeyUsage": r.take("keyUsage"),
                "KeySpec": r.take("customerMasterKeySpec"),
                "MultiRegion": r.take("multiRegion"),
                "Enabled": r.take("isEnabled"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def kms_alias(r: Inputs) -> Resource:
    return Resource("AWS::KMS::Alias", _compact({"AliasName": r.take("name"), "TargetKeyId": r.take("targetKeyId")}))


def iam_role(r: Inputs) -> Resource:
    return Resource(
        "AWS::IAM::Role",
        _compact(
            {
                "RoleName": r.name(),
                "AssumeRolePolicyDocument": _json(r.take("assumeRolePolicy")),
                "Description": r.take("description"),
                "Path": r.take("path"),
                "MaxSessionDuration": r.take("maxSessionDuration"),
                "PermissionsBoundary": r.take("permissionsBoundary"),
                "ManagedPolicyArns": r.take("managedPolicyArns"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def iam_role_policy(r: Inputs) -> Resource:
    return Resource(
        "AWS::IAM::RolePolicy",
        _compact({"PolicyName": r.name(), "RoleName": r.take("role"), "PolicyDocument": _json(r.take("policy"))}),
    )


def iam_role_policy_attachment(r: Inputs) -> Fold:
    # CloudFormation attaches a managed policy through the role's own ManagedPolicyArns.
    return Fold("AWS::IAM::Role", r.take("role"), "ManagedPolicyArns", r.take("policyArn"), append=True)


def ecr_repository(r: Inputs) -> Resource:
    [encryption] = r.take("encryptionConfigurations") or [None]
    return Resource(
        "AWS::ECR::Repository",
        _compact(
            {
                "RepositoryName": r.name(),
                "EncryptionConfiguration": _rename(
                    encryption, {"encryptionType": "EncryptionType", "kmsKey": "KmsKey"}, "encryptionConfigurations"
                ),
                "ImageScanningConfiguration": _rename(
                    r.take("imageScanningConfiguration"), {"scanOnPush": "ScanOnPush"}, "imageScanningConfiguration"
                ),
                "ImageTagMutability": r.take("imageTagMutability"),
                "EmptyOnDelete": r.take("forceDelete"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def ecr_lifecycle_policy(r: Inputs) -> Fold:
    # CloudFormation declares the lifecycle policy on the repository (LifecyclePolicy.LifecyclePolicyText).
    return Fold(
        "AWS::ECR::Repository", r.take("repository"), "LifecyclePolicy", {"LifecyclePolicyText": r.take("policy")}
    )


def log_group(r: Inputs) -> Resource:
    return Resource(
        "AWS::Logs::LogGroup",
        _compact(
            {
                "LogGroupName": r.take("name"),
                "RetentionInDays": r.take("retentionInDays"),
                "KmsKeyId": r.take("kmsKeyId"),
                "LogGroupClass": r.take("logGroupClass"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    renamed = _rename(
        query,
        {
            "id": "Id",
            "expression": "Expression",
            "label": "Label",
            "returnData": "ReturnData",
            "period": "Period",
            "accountId": "AccountId",
            "metric": "MetricStat",
        },
        "metricQueries",
    )
    assert renamed is not None
    metric = query.get("metric")
    if metric is not None:
        unknown = set(metric) - {"namespace", "metricName", "dimensions", "stat", "period", "unit"}
        if unknown:
            raise UnmappedInputError(f"metricQueries.metric: no CloudFormation property for {sorted(unknown)}")
        renamed["MetricStat"] = _compact(
            {
                "Metric": _compact(
                    {
                        "Namespace": metric.get("namespace"),
                        "MetricName": metric.get("metricName"),
                        "Dimensions": [{"Name": k, "Value": v} for k, v in (metric.get("dimensions") or {}).items()]
                        or None,
                    }
                ),
                "Stat": metric.get("stat"),
                "Period": metric.get("period"),
                "Unit": metric.get("unit"),
            }
        )
    return renamed


def metric_alarm(r: Inputs) -> Resource:
    queries = r.take("metricQueries")
    dimensions = r.take("dimensions")
    return Resource(
        "AWS::CloudWatch::Alarm",
        _compact(
            {
                "AlarmName": r.name(),
                "AlarmDescription": r.take("alarmDescription"),
                "ActionsEnabled": r.take("actionsEnabled"),
                "AlarmActions": r.take("alarmActions"),
                "OKActions": r.take("okActions"),
                "InsufficientDataActions": r.take("insufficientDataActions"),
                "ComparisonOperator": r.take("comparisonOperator"),
                "EvaluationPeriods": r.take("evaluationPeriods"),
                "DatapointsToAlarm": r.take("datapointsToAlarm"),
                "Threshold": r.take("threshold"),
                "ThresholdMetricId": r.take("thresholdMetricId"),
                "TreatMissingData": r.take("treatMissingData"),
                "Metrics": None if queries is None else [_metric_query(q) for q in queries],
                "Namespace": r.take("namespace"),
                "MetricName": r.take("metricName"),
                "Statistic": r.take("statistic"),
                "ExtendedStatistic": r.take("extendedStatistic"),
                "Period": r.take("period"),
                "Unit": r.take("unit"),
                "Dimensions": None if dimensions is None else [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def security_group(r: Inputs) -> Resource:
    if r.take("ingress") or r.take("egress"):
        raise UnmappedInputError("SecurityGroup: inline rules are not mapped; the program declares rules apart")
    r.take("revokeRulesOnDelete")  # the provider's own: revoke rules before deleting (CloudFormation always does)
    return Resource(
        "AWS::EC2::SecurityGroup",
        _compact(
            {
                "GroupName": r.name(),
                "GroupDescription": r.take("description"),
                "VpcId": r.take("vpcId"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def _rule(r: Inputs, cfn_type: str, peer: str) -> Resource:
    if r.take("tags"):
        raise UnmappedInputError(f"{cfn_type} has no Tags")
    return Resource(
        cfn_type,
        _compact(
            {
                "GroupId": r.take("securityGroupId"),
                "IpProtocol": r.take("ipProtocol"),
                "FromPort": r.take("fromPort"),
                "ToPort": r.take("toPort"),
                "CidrIp": r.take("cidrIpv4"),
                "CidrIpv6": r.take("cidrIpv6"),
                f"{peer}SecurityGroupId": r.take("referencedSecurityGroupId"),
                f"{peer}PrefixListId": r.take("prefixListId"),
                "Description": r.take("description"),
            }
        ),
    )


def ingress_rule(r: Inputs) -> Resource:
    return _rule(r, "AWS::EC2::SecurityGroupIngress", "Source")


def egress_rule(r: Inputs) -> Resource:
    return _rule(r, "AWS::EC2::SecurityGroupEgress", "Destination")


def load_balancer(r: Inputs) -> Resource:
    internal = r.take("internal")
    attributes = {
        "deletion_protection.enabled": _bool(r.take("enableDeletionProtection")),
        "routing.http.drop_invalid_header_fields.enabled": _bool(r.take("dropInvalidHeaderFields")),
        "routing.http2.enabled": _bool(r.take("enableHttp2")),
        "idle_timeout.timeout_seconds": None if (t := r.take("idleTimeout")) is None else str(t),
    }
    logs = _rename(r.take("accessLogs"), {"bucket": "bucket", "prefix": "prefix", "enabled": "enabled"}, "accessLogs")
    if logs:
        # CloudFormation declares access logs as load balancer attributes (access_logs.s3.*).
        attributes["access_logs.s3.enabled"] = _bool(logs.get("enabled"))
        attributes["access_logs.s3.bucket"] = logs.get("bucket")
        attributes["access_logs.s3.prefix"] = logs.get("prefix")
    return Resource(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        _compact(
            {
                "Name": r.name(),
                "Type": r.take("loadBalancerType"),
                "Scheme": None if internal is None else ("internal" if internal else "internet-facing"),
                "IpAddressType": r.take("ipAddressType"),
                "Subnets": r.take("subnets"),
                "SecurityGroups": r.take("securityGroups"),
                "LoadBalancerAttributes": [{"Key": k, "Value": v} for k, v in attributes.items() if v is not None]
                or None,
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def target_group(r: Inputs) -> Resource:
    check = _rename(
        r.take("healthCheck"),
        {
            "enabled": "HealthCheckEnabled",
            "path": "HealthCheckPath",
            "port": "HealthCheckPort",
            "protocol": "HealthCheckProtocol",
            "interval": "HealthCheckIntervalSeconds",
            "timeout": "HealthCheckTimeoutSeconds",
            "healthyThreshold": "HealthyThresholdCount",
            "unhealthyThreshold": "UnhealthyThresholdCount",
            "matcher": "Matcher",
        },
        "healthCheck",
    )
    if check and "Matcher" in check:
        check["Matcher"] = {"HttpCode": check["Matcher"]}
    attributes = {
        "deregistration_delay.timeout_seconds": r.take("deregistrationDelay"),
        "slow_start.duration_seconds": r.take("slowStart"),
        "load_balancing.algorithm.type": r.take("loadBalancingAlgorithmType"),
    }
    return Resource(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        _compact(
            {
                "Name": r.name(),
                "Port": r.take("port"),
                "Protocol": r.take("protocol"),
                "ProtocolVersion": r.take("protocolVersion"),
                "TargetType": r.take("targetType"),
                "VpcId": r.take("vpcId"),
                **(check or {}),
                "TargetGroupAttributes": [{"Key": k, "Value": str(v)} for k, v in attributes.items() if v is not None]
                or None,
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def _action(action: Mapping[str, Any]) -> dict[str, Any]:
    renamed = _rename(
        action,
        {
            "type": "Type",
            "order": "Order",
            "targetGroupArn": "TargetGroupArn",
            "redirect": "RedirectConfig",
            "forward": "ForwardConfig",
            "fixedResponse": "FixedResponseConfig",
        },
        "action",
    )
    assert renamed is not None
    if "RedirectConfig" in renamed:
        renamed["RedirectConfig"] = _rename(
            renamed["RedirectConfig"],
            {
                "protocol": "Protocol",
                "port": "Port",
                "host": "Host",
                "path": "Path",
                "query": "Query",
                "statusCode": "StatusCode",
            },
            "redirect",
        )
    if "FixedResponseConfig" in renamed:
        renamed["FixedResponseConfig"] = _rename(
            renamed["FixedResponseConfig"],
            {"contentType": "ContentType", "messageBody": "MessageBody", "statusCode": "StatusCode"},
            "fixedResponse",
        )
    if "ForwardConfig" in renamed:
        forward = renamed["ForwardConfig"]
        if set(forward) - {"targetGroups"}:
            raise UnmappedInputError(f"forward: no CloudFormation property for {sorted(set(forward))}")
        renamed["ForwardConfig"] = {
            "TargetGroups": [
                _rename(g, {"arn": "TargetGroupArn", "weight": "Weight"}, "forward.targetGroups")
                for g in forward["targetGroups"]
            ]
        }
    return renamed


def listener(r: Inputs) -> Resource:
    certificate = r.take("certificateArn")
    return Resource(
        "AWS::ElasticLoadBalancingV2::Listener",
        _compact(
            {
                "LoadBalancerArn": r.take("loadBalancerArn"),
                "Port": r.take("port"),
                "Protocol": r.take("protocol"),
                "SslPolicy": r.take("sslPolicy"),
                "Certificates": None if certificate is None else [{"CertificateArn": certificate}],
                "DefaultActions": [_action(a) for a in r.take("defaultActions") or []],
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


_CONDITIONS = {
    "pathPattern": ("path-pattern", "PathPatternConfig"),
    "hostHeader": ("host-header", "HostHeaderConfig"),
    "sourceIp": ("source-ip", "SourceIpConfig"),
}


def _condition(condition: Mapping[str, Any]) -> dict[str, Any]:
    [(key, config)] = condition.items()
    if key not in _CONDITIONS or set(config) != {"values"}:
        raise UnmappedInputError(f"listener rule condition {condition} is not mapped")
    field_name, config_name = _CONDITIONS[key]
    return {"Field": field_name, config_name: {"Values": config["values"]}}


def listener_rule(r: Inputs) -> Resource:
    return Resource(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        _compact(
            {
                "ListenerArn": r.take("listenerArn"),
                "Priority": r.take("priority"),
                "Actions": [_action(a) for a in r.take("actions") or []],
                "Conditions": [_condition(c) for c in r.take("conditions") or []],
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def ecs_cluster(r: Inputs) -> Resource:
    return Resource(
        "AWS::ECS::Cluster",
        _compact(
            {
                "ClusterName": r.name(),
                "ClusterSettings": [_rename(s, {"name": "Name", "value": "Value"}, "settings") for s in settings]
                if (settings := r.take("settings"))
                else None,
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


_STRATEGY = {"capacityProvider": "CapacityProvider", "weight": "Weight", "base": "Base"}


def cluster_capacity_providers(r: Inputs) -> Resource:
    strategy = r.take("defaultCapacityProviderStrategies") or []
    return Resource(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {
            "Cluster": r.take("clusterName"),
            "CapacityProviders": r.take("capacityProviders") or [],
            # Required by ECS's PutClusterCapacityProviders as by CloudFormation: none set is the empty list.
            "DefaultCapacityProviderStrategy": [_rename(s, _STRATEGY, "strategy") for s in strategy],
        },
    )


def task_definition(r: Inputs) -> Resource:
    platform = _rename(
        r.take("runtimePlatform"),
        {"operatingSystemFamily": "OperatingSystemFamily", "cpuArchitecture": "CpuArchitecture"},
        "runtimePlatform",
    )
    storage = _rename(r.take("ephemeralStorage"), {"sizeInGib": "SizeInGiB"}, "ephemeralStorage")
    if r.take("volumes"):
        raise UnmappedInputError("TaskDefinition: volumes are not mapped")
    # The provider's own: keep old revisions registered on delete / follow the latest revision in the state.
    r.take("skipDestroy")
    r.take("trackLatest")
    return Resource(
        "AWS::ECS::TaskDefinition",
        _compact(
            {
                "Family": r.take("family"),
                "Cpu": r.take("cpu"),
                "Memory": r.take("memory"),
                "NetworkMode": r.take("networkMode"),
                "RequiresCompatibilities": r.take("requiresCompatibilities"),
                "ExecutionRoleArn": r.take("executionRoleArn"),
                "TaskRoleArn": r.take("taskRoleArn"),
                "RuntimePlatform": platform,
                "EphemeralStorage": storage,
                "ContainerDefinitions": _container(_json(r.take("containerDefinitions"))),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def _load_balancer(entry: Mapping[str, Any]) -> dict[str, Any]:
    renamed = _rename(
        entry,
        {
            "containerName": "ContainerName",
            "containerPort": "ContainerPort",
            "targetGroupArn": "TargetGroupArn",
            "elbName": "LoadBalancerName",
            "advancedConfiguration": "AdvancedConfiguration",
        },
        "loadBalancers",
    )
    assert renamed is not None
    if "AdvancedConfiguration" in renamed:
        renamed["AdvancedConfiguration"] = _rename(
            renamed["AdvancedConfiguration"],
            {
                "alternateTargetGroupArn": "AlternateTargetGroupArn",
                "productionListenerRule": "ProductionListenerRule",
                "testListenerRule": "TestListenerRule",
                "roleArn": "RoleArn",
            },
            "advancedConfiguration",
        )
    return renamed


def ecs_service(r: Inputs) -> Resource:
    # The provider's own: wait for the deployment to settle before `pulumi up` returns (CloudFormation always does).
    r.take("waitForSteadyState")
    deployment = _rename(
        r.take("deploymentConfiguration"),
        {"strategy": "Strategy", "bakeTimeInMinutes": "BakeTimeInMinutes"},
        "deploymentConfiguration",
    )
    if deployment and "BakeTimeInMinutes" in deployment:
        # A string in Pulumi's schema, sent to the ECS API as the integer CloudFormation declares.
        deployment["BakeTimeInMinutes"] = int(deployment["BakeTimeInMinutes"])
    deployment = _compact(
        {
            **(deployment or {}),
            "MaximumPercent": r.take("deploymentMaximumPercent"),
            "MinimumHealthyPercent": r.take("deploymentMinimumHealthyPercent"),
            "DeploymentCircuitBreaker": _rename(
                r.take("deploymentCircuitBreaker"), {"enable": "Enable", "rollback": "Rollback"}, "circuitBreaker"
            ),
            "Alarms": _rename(
                r.take("alarms"), {"alarmNames": "AlarmNames", "enable": "Enable", "rollback": "Rollback"}, "alarms"
            ),
        }
    )
    network = r.take("networkConfiguration")
    awsvpc = _rename(
        network,
        {"subnets": "Subnets", "securityGroups": "SecurityGroups", "assignPublicIp": "AssignPublicIp"},
        "networkConfiguration",
    )
    if awsvpc and "AssignPublicIp" in awsvpc:
        awsvpc["AssignPublicIp"] = "ENABLED" if awsvpc["AssignPublicIp"] else "DISABLED"
    force = r.take("forceNewDeployment")
    controller = _rename(r.take("deploymentController"), {"type": "Type"}, "deploymentController")
    return Resource(
        "AWS::ECS::Service",
        _compact(
            {
                "ServiceName": r.name(),
                "Cluster": r.take("cluster"),
                "TaskDefinition": r.take("taskDefinition"),
                "DesiredCount": r.take("desiredCount"),
                "LaunchType": r.take("launchType"),
                "PlatformVersion": r.take("platformVersion"),
                "CapacityProviderStrategy": [_rename(s, _STRATEGY, "strategy") for s in strategies]
                if (strategies := r.take("capacityProviderStrategies"))
                else None,
                "AvailabilityZoneRebalancing": r.take("availabilityZoneRebalancing"),
                "PropagateTags": r.take("propagateTags"),
                "EnableECSManagedTags": r.take("enableEcsManagedTags"),
                "EnableExecuteCommand": r.take("enableExecuteCommand"),
                "HealthCheckGracePeriodSeconds": r.take("healthCheckGracePeriodSeconds"),
                "SchedulingStrategy": r.take("schedulingStrategy"),
                "DeploymentController": controller,
                "DeploymentConfiguration": deployment or None,
                "LoadBalancers": [_load_balancer(lb) for lb in lbs] if (lbs := r.take("loadBalancers")) else None,
                "NetworkConfiguration": None if awsvpc is None else {"AwsvpcConfiguration": awsvpc},
                "ForceNewDeployment": None if force is None else {"EnableForceNewDeployment": force},
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def scalable_target(r: Inputs) -> Resource:
    return Resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        _compact(
            {
                "ServiceNamespace": r.take("serviceNamespace"),
                "ScalableDimension": r.take("scalableDimension"),
                "ResourceId": r.take("resourceId"),
                "MinCapacity": r.take("minCapacity"),
                "MaxCapacity": r.take("maxCapacity"),
                "RoleARN": r.take("roleArn"),
                "Tags": _tags(r.take("tags")),
            }
        ),
    )


def scaling_policy(r: Inputs) -> Resource:
    tracking = _rename(
        r.take("targetTrackingScalingPolicyConfiguration"),
        {
            "targetValue": "TargetValue",
            "scaleInCooldown": "ScaleInCooldown",
            "scaleOutCooldown": "ScaleOutCooldown",
            "disableScaleIn": "DisableScaleIn",
            "predefinedMetricSpecification": "PredefinedMetricSpecification",
        },
        "targetTrackingScalingPolicyConfiguration",
    )
    if tracking and "PredefinedMetricSpecification" in tracking:
        tracking["PredefinedMetricSpecification"] = _rename(
            tracking["PredefinedMetricSpecification"],
            {"predefinedMetricType": "PredefinedMetricType", "resourceLabel": "ResourceLabel"},
            "predefinedMetricSpecification",
        )
    return Resource(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        _compact(
            {
                "PolicyName": r.name(),
                "PolicyType": r.take("policyType"),
                "ServiceNamespace": r.take("serviceNamespace"),
                "ScalableDimension": r.take("scalableDimension"),
                "ResourceId": r.take("resourceId"),
                "TargetTrackingScalingPolicyConfiguration": tracking,
            }
        ),
    )


def s3_bucket(r: Inputs) -> Resource:
    # The provider's own: empty the bucket before deleting it (CloudFormation refuses to delete a bucket with objects).
    r.take("forceDestroy")
    return Resource(
        "AWS::S3::Bucket",
        _compact({"BucketName": r.take("bucket") or r.registered.state.get("bucket"), "Tags": _tags(r.take("tags"))}),
    )


def _on_bucket(r: Inputs, property_name: str, value: Any) -> Fold:
    """A bucket setting Pulumi declares as its own resource and CloudFormation as a property of AWS::S3::Bucket."""
    r.take("expectedBucketOwner")  # the provider's own: a check of the bucket's owner on each request
    return Fold("AWS::S3::Bucket", r.take("bucket"), property_name, value)


def s3_public_access_block(r: Inputs) -> Fold:
    names = {
        "blockPublicAcls": "BlockPublicAcls",
        "blockPublicPolicy": "BlockPublicPolicy",
        "ignorePublicAcls": "IgnorePublicAcls",
        "restrictPublicBuckets": "RestrictPublicBuckets",
    }
    r.take("skipDestroy")  # the provider's own: leave the block in place on delete
    return _on_bucket(r, "PublicAccessBlockConfiguration", _compact({v: r.take(k) for k, v in names.items()}))


def s3_ownership_controls(r: Inputs) -> Fold:
    rule = _rename(r.take("rule"), {"objectOwnership": "ObjectOwnership"}, "rule")
    return _on_bucket(r, "OwnershipControls", {"Rules": [rule]})


def s3_encryption(r: Inputs) -> Fold:
    rules = []
    for rule in r.take("rules") or []:
        default = _rename(
            rule.get("applyServerSideEncryptionByDefault"),
            {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"},
            "applyServerSideEncryptionByDefault",
        )
        extra = set(rule) - {"applyServerSideEncryptionByDefault", "bucketKeyEnabled"}
        if extra:
            raise UnmappedInputError(f"rules: no CloudFormation property for {sorted(extra)}")
        rules.append(
            _compact({"ServerSideEncryptionByDefault": default, "BucketKeyEnabled": rule.get("bucketKeyEnabled")})
        )
    return _on_bucket(r, "BucketEncryption", {"ServerSideEncryptionConfiguration": rules})


def s3_lifecycle(r: Inputs) -> Fold:
    rules = []
    for rule in r.take("rules") or []:
        extra = set(rule) - {"id", "status", "filter", "expiration", "abortIncompleteMultipartUpload"}
        if extra:
            raise UnmappedInputError(f"rules: no CloudFormation property for {sorted(extra)}")
        prefix = _rename(rule.get("filter"), {"prefix": "Prefix"}, "filter") or {}
        expiration = _rename(rule.get("expiration"), {"days": "ExpirationInDays"}, "expiration") or {}
        abort = _rename(
            rule.get("abortIncompleteMultipartUpload"),
            {"daysAfterInitiation": "DaysAfterInitiation"},
            "abortIncompleteMultipartUpload",
        )
        rules.append(
            _compact(
                {
                    "Id": rule.get("id"),
                    "Status": rule.get("status"),
                    **prefix,
                    **expiration,
                    "AbortIncompleteMultipartUpload": abort,
                }
            )
        )
    r.take("transitionDefaultMinimumObjectSize")  # S3's default, not a property of the rules
    return _on_bucket(r, "LifecycleConfiguration", {"Rules": rules})


def s3_bucket_policy(r: Inputs) -> Resource:
    return Resource("AWS::S3::BucketPolicy", {"Bucket": r.take("bucket"), "PolicyDocument": _json(r.take("policy"))})


# CloudFormation cannot create a SecureString parameter (its Type allows String and StringList only), which is all
# this program creates; the provider calls SSM's PutParameter, which can. cfn-lint's E3030 (allowed values) is
# ignored on these resources alone, and KeyId (which CloudFormation therefore has no property for) is left out.
SECURE_STRING_IGNORES = ["E3030"]


def ssm_parameter(r: Inputs) -> Resource:
    r.take("keyId")
    r.take("overwrite")  # the provider's own: adopt a parameter that already exists
    kind = r.take("type")
    value = r.take("value")
    insecure = r.take("insecureValue")
    return Resource(
        "AWS::SSM::Parameter",
        _compact(
            {
                "Name": r.take("name"),
                "Type": kind,
                "Value": value if value is not None else insecure,
                "Description": r.take("description"),
                "Tier": r.take("tier"),
                "AllowedPattern": r.take("allowedPattern"),
                "DataType": r.take("dataType"),
                "Tags": r.take("tags"),  # a map here, as CloudFormation declares it for this type
            }
        ),
        metadata={"cfn-lint": {"config": {"ignore_checks": SECURE_STRING_IGNORES}}} if kind == "SecureString" else {},
    )


MAPPINGS: dict[str, Callable[[Inputs], Resource | Fold]] = {
    "aws:kms/key:Key": kms_key,
    "aws:kms/alias:Alias": kms_alias,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": iam_role_policy_attachment,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ecr_lifecycle_policy,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ingress_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": egress_rule,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/listener:Listener": listener,
    "aws:lb/listenerRule:ListenerRule": listener_rule,
    "aws:ecs/cluster:Cluster": ecs_cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": cluster_capacity_providers,
    "aws:ecs/taskDefinition:TaskDefinition": task_definition,
    "aws:ecs/service:Service": ecs_service,
    "aws:appautoscaling/target:Target": scalable_target,
    "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:ssm/parameter:Parameter": ssm_parameter,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3_ownership_controls,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3_encryption,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3_lifecycle,
    "aws:s3/bucketPolicy:BucketPolicy": s3_bucket_policy,
}

# How CloudFormation refers to each type: the Pulumi id or state key whose value another resource's input would
# carry -> the attribute of Fn::GetAtt that returns it (None: Ref returns it).
REFERENCES: dict[str, dict[str, str | None]] = {
    "AWS::KMS::Key": {"id": None, "arn": "Arn"},
    "AWS::IAM::Role": {"name": None, "arn": "Arn"},
    "AWS::ECR::Repository": {"name": None, "arn": "Arn", "repositoryUrl": "RepositoryUri"},
    # Not the ARN: CloudFormation's Arn of a log group ends in ":*", unlike the one a key policy's encryption context
    # names, so a log group's ARN in a document stays literal.
    "AWS::Logs::LogGroup": {"name": None},
    "AWS::CloudWatch::Alarm": {"name": None, "arn": "Arn"},
    "AWS::EC2::SecurityGroup": {"id": None},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {"arn": None, "arnSuffix": "LoadBalancerFullName"},
    "AWS::ElasticLoadBalancingV2::TargetGroup": {"arn": None, "arnSuffix": "TargetGroupFullName"},
    "AWS::ElasticLoadBalancingV2::Listener": {"arn": None},
    "AWS::ElasticLoadBalancingV2::ListenerRule": {"arn": None},
    "AWS::ECS::Cluster": {"name": None, "arn": "Arn"},
    "AWS::ECS::TaskDefinition": {"arn": None},
    "AWS::ECS::Service": {"arn": None},
    "AWS::S3::Bucket": {"bucket": None, "arn": "Arn"},
}


def has_equivalent(type_: str) -> bool:
    return type_ in MAPPINGS


def without_equivalent(type_: str) -> str | None:
    """Why ``type_`` has no CloudFormation equivalent, or None if it should have one."""
    if type_.startswith(COMPONENT_PREFIX):
        return "a component: it only groups the resources under it"
    return NO_EQUIVALENT.get(type_)


def unmapped_types(resources: Sequence[Registered]) -> set[str]:
    return {r.type for r in resources if not has_equivalent(r.type) and without_equivalent(r.type) is None}


def translate(registered: Registered) -> Resource | Fold:
    """The CloudFormation equivalent of one registered resource."""
    if registered.type not in MAPPINGS:
        raise UnmappedTypeError(registered.type)
    inputs = Inputs(registered)
    mapped = MAPPINGS[registered.type](inputs)
    if unread := inputs.unread():
        raise UnmappedInputError(f"{registered.type} {registered.name}: no mapping for inputs {sorted(unread)}")
    return mapped


def logical_id(registered: Registered, cfn_type: str) -> str:
    """An alphanumeric logical id: the Pulumi name in PascalCase, then the CloudFormation type's last part."""
    words = re.split(r"[^A-Za-z0-9]+", registered.name)
    return "".join(_pascal(w) for w in words) + cfn_type.rsplit("::", 1)[-1]


def _references(resources: Mapping[str, tuple[Registered, Resource]]) -> dict[str, tuple[str, str | None]]:
    """Each value that names a resource of the stack -> (its logical id, the GetAtt attribute or None for Ref)."""
    index: dict[str, tuple[str, str | None]] = {}
    for logical, (registered, resource) in resources.items():
        for key, attribute in REFERENCES.get(resource.type, {}).items():
            value = registered.id if key == "id" else registered.state.get(key, registered.inputs.get(key))
            if not isinstance(value, str) or not value:
                continue
            if value in index and index[value] != (logical, attribute):
                raise ValueError(f"{value!r} names both {index[value][0]} and {logical}")
            index[value] = (logical, attribute)
    return index


def _link(value: Any, index: Mapping[str, tuple[str, str | None]], own: str) -> Any:
    if isinstance(value, dict):
        return {k: _link(v, index, own) for k, v in value.items()}
    if isinstance(value, list):
        return [_link(v, index, own) for v in value]
    if isinstance(value, str) and value in index and index[value][0] != own:
        logical, attribute = index[value]
        return {"Ref": logical} if attribute is None else {"Fn::GetAtt": [logical, attribute]}
    return value


def template(resources: Sequence[Registered]) -> dict[str, Any]:
    """A CloudFormation template declaring what ``resources`` declare; fails on a type or input it cannot map."""
    mapped: dict[str, tuple[Registered, Resource]] = {}
    folds: list[Fold] = []
    for registered in resources:
        if without_equivalent(registered.type) is not None:
            continue
        result = translate(registered)
        if isinstance(result, Fold):
            folds.append(result)
            continue
        logical = logical_id(registered, result.type)
        if logical in mapped:
            raise ValueError(f"two resources would be {logical}")
        mapped[logical] = (registered, result)
    index = _references(mapped)
    for fold in folds:
        logical, attribute = index.get(fold.target_name, ("", "?"))
        if attribute is not None or logical not in mapped or mapped[logical][1].type != fold.target_type:
            raise ValueError(f"no {fold.target_type} named {fold.target_name} for {fold.property}")
        properties = mapped[logical][1].properties
        if fold.append:
            properties[fold.property] = [*properties.get(fold.property, []), fold.value]
        else:
            properties[fold.property] = fold.value
    out: dict[str, Any] = {}
    for logical, (_, resource) in mapped.items():
        body: dict[str, Any] = {"Type": resource.type, "Properties": _link(resource.properties, index, logical)}
        if resource.metadata:
            body["Metadata"] = resource.metadata
        out[logical] = body
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": out}
