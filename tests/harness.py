"""Runs the real program (``__main__.py``) under Pulumi's mocks and records what it would send to the engine.

The config is what the Pulumi CLI would pass for a stack: the defaults declared in ``Pulumi.yaml`` overlaid with
``Pulumi.<stack>.yaml``, as the JSON strings the CLI hands the program in ``PULUMI_CONFIG``. The mocks play AWS:
they answer the program's invokes for an account in the stack's region and give each resource the outputs AWS
would (ARNs, names, DNS names, the pushed image's digest).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import json
import os
import re
import runpy
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format  # type: ignore[import-untyped]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.proto import source_pb2

from tests.passphrase import Crypter

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "library-infra"
ORGANIZATION = "organization"  # what a DIY backend calls the only organization
ACCOUNT = "123456789012"
DEFAULT_VPC = "vpc-0a1b2c3d4e5f60718"
DEFAULT_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0ccccccccccccccc3"]
# Subnets the mocks know: id -> (VPC, Availability Zone letter). A private VPC with two zones and a one-zone extra.
PRIVATE_VPC = "vpc-07dd414387be45a0f"
PRIVATE_SUBNETS = ["subnet-0eb8d0b96a8e96f23", "subnet-08580256bc5bd0ab1"]
PUBLIC_SUBNETS = ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b3"]
SUBNETS = {
    DEFAULT_SUBNETS[0]: (DEFAULT_VPC, "a"),
    DEFAULT_SUBNETS[1]: (DEFAULT_VPC, "c"),
    "subnet-0eb8d0b96a8e96f23": (PRIVATE_VPC, "a"),
    "subnet-08580256bc5bd0ab1": (PRIVATE_VPC, "c"),
    "subnet-0a0a0a0a0a0a0a0a2": (PRIVATE_VPC, "a"),
    # Public subnets of the private VPC, for loadBalancerSubnetIds.
    PUBLIC_SUBNETS[0]: (PRIVATE_VPC, "a"),
    PUBLIC_SUBNETS[1]: (PRIVATE_VPC, "c"),
    "subnet-0b0b0b0b0b0b0b0b2": (PRIVATE_VPC, "b"),
}
# The existing database the mocks know: an RDS instance in the default VPC, and a group in another VPC.
DB_INSTANCE = "library-db"
DB_SECURITY_GROUPS = ["sg-0db1db1db1db1db1d", "sg-0db0db0db0db0db0d"]
DB_PORT = 3306
OTHER_VPC_GROUP = "sg-0e1e2e3e4e5e6e7e8"
# Stands in for app/, the git-ignored clone of the application that stacks build from.
APP_FIXTURE = "tests/fixtures/app"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AliasSpec:
    """One alias of a resource as the engine receives it: a whole old URN, or the fields that changed (an empty field
    means "as the resource is now"; ``no_parent``: it used to have no parent)."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent_urn: str = ""
    no_parent: bool = False


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    id: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    secret_inputs: set[str]
    parent_type: str
    parent: str
    """The parent's URN (the stack's for top-level resources)."""
    dependencies: set[str]
    property_dependencies: dict[str, list[str]]
    retain_on_delete: bool
    ignore_changes: list[str]
    custom_timeouts: dict[str, str]
    aliases: list[str] = field(default_factory=list)
    """Aliases as the engine receives them: URNs, or the names of alias specs."""
    alias_specs: list[AliasSpec] = field(default_factory=list)
    """Every alias in full, as the engine receives it (a parent given by its engine URN, see ``engine_urn``)."""
    alias_urns: list[str] = field(default_factory=list)
    """The old URNs the engine would look for in the stack's state when this resource's own URN is not there, in the
    engine's format (see ``engine_urn``): each alias collapsed as its step generator does (unset fields are the
    resource's own), then those inherited from the parent's aliases."""
    engine_urn: str = ""
    """The URN the engine gives the resource, which the state keeps: the parent's whole chain of types and no
    ``pulumi:pulumi:Stack`` (``urn`` is the mocks' URN, which has only the parent's own type, the root stack's too)."""


@dataclass
class Deployment:
    resources: list[Registered]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs_registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Component resource URN -> the outputs it passed to register_outputs, resolved."""
    reads: list[tuple[str, str, str]] = field(default_factory=list)

    def get(self, type_: str, name: str) -> Registered:
        """The resource of ``type_`` registered as ``name``."""
        [found] = [r for r in self.of_type(type_) if r.name == name]
        return found

    def group(self, name: str) -> Registered:
        """The security group registered as ``name``."""
        [found] = [r for r in self.of_type("aws:ec2/securityGroup:SecurityGroup") if r.name == name]
        return found

    def depends_on(self, dependent: Registered, dependency: Registered) -> bool:
        """True when the engine must finish ``dependency`` before it starts ``dependent``."""
        return dependency.urn in dependent.dependencies

    def waits_for(self, dependent: Registered, dependency: Registered) -> bool:
        """True when ``dependency`` is among everything ``dependent`` depends on, directly or through others."""
        by_urn = {r.urn: r for r in self.resources}
        seen: set[str] = set()
        todo = list(dependent.dependencies)
        while todo:
            urn = todo.pop()
            if urn == dependency.urn:
                return True
            if urn not in seen:
                seen.add(urn)
                todo.extend(by_urn[urn].dependencies if urn in by_urn else ())
        return False

    def bucket_settings_in_sequence(self, bucket: Registered) -> list[tuple[str, str]]:
        """The pairs of ``bucket``'s settings (resources naming it) that the engine may put at the same time."""
        settings = [r for r in self.resources if r.inputs.get("bucket") == bucket.id and r is not bucket]
        return [
            (a.name, b.name)
            for i, a in enumerate(settings)
            for b in settings[i + 1 :]
            if not (self.waits_for(a, b) or self.waits_for(b, a))
        ]

    def import_command(self, resource: Registered, stack: str, physical_id: str) -> str:
        """The ``pulumi import`` that adopts an existing AWS resource exactly where the program declares it."""
        [parent] = [r for r in self.resources if r.urn == resource.parent]
        # The engine adds no parent type for the root stack (pulumi/pulumi deploy/source_eval.go); the mocks do.
        parent_urn = parent.urn.replace("::pulumi:pulumi:Stack$", "::")
        return (
            f"pulumi import --stack {stack} {resource.type} {resource.name} {physical_id} "
            f"--parent '{parent.name}={parent_urn}' --protect=false"
        )

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registered:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def by_state(self, key: str, value: Any) -> Registered:
        found = [r for r in self.resources if r.state.get(key) == value]
        assert len(found) == 1, f"expected one resource with {key}={value!r}, found {[r.name for r in found]}"
        return found[0]

    def container(self) -> dict[str, Any]:
        definitions = json.loads(self.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
        assert len(definitions) == 1
        container: dict[str, Any] = definitions[0]
        return container


def _secret_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            yield path
            return
        for k, v in value.items():
            yield from _secret_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _secret_paths(v, f"{path}[{i}]")


def _plain(value: Any) -> Any:
    """Inputs as the provider sees them: secrets unwrapped, whole numbers as int (protobuf has only doubles)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class AwsMocks(pulumi.runtime.Mocks):
    """Answers like AWS would for an account in ``region``."""

    def __init__(
        self,
        region: str,
        missing_parameters: frozenset[str] = frozenset(),
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
        own_stack: str = "",
        listener_rules: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        self.region = region
        self.own_stack = own_stack
        """This stack's fully qualified name: a StackReference to it reads its previous outputs (none if new)."""
        self.listener_rules = dict(listener_rules or {})
        """Listener rules that exist in AWS: rule ARN -> forward weights by target group ARN."""
        self.missing_parameters = missing_parameters
        self.stack_outputs = dict(stack_outputs or {})
        """Outputs of other stacks, by fully qualified name, for StackReferences to read."""
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(  # type: ignore[override]
        self, args: pulumi.runtime.MockCallArgs
    ) -> dict[str, Any] | tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        region = self.region
        match args.token:
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "userId": "AIDA"}
            case "aws:index/getRegion:getRegion":
                return {"region": region, "name": region, "id": region}
            case "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
            case "aws:ec2/getVpc:getVpc":
                vpc = args.args.get("id") or DEFAULT_VPC
                if vpc not in (DEFAULT_VPC, *{v for v, _ in SUBNETS.values()}):
                    return {}, [("id", "no matching EC2 VPC found")]
                return {"id": vpc, "default": vpc == DEFAULT_VPC, "cidrBlock": "172.31.0.0/16"}
            case "aws:ec2/getSubnet:getSubnet":
                subnet = args.args["id"]
                if subnet not in SUBNETS:
                    return {}, [("id", f"reading EC2 Subnet ({subnet}): couldn't find resource")]
                vpc, zone = SUBNETS[subnet]
                return {"id": subnet, "vpcId": vpc, "availabilityZone": f"{region}{zone}"}
            case "aws:ec2/getSubnets:getSubnets":
                return {"ids": list(reversed(DEFAULT_SUBNETS)), "id": region}
            case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
                return {"userName": "AWS", "password": "ecr-token", "id": region}
            case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
                host = args.args["url"].removeprefix("https://")
                return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}", "url": args.args["url"], "id": host}
            case "aws:rds/getInstance:getInstance":
                if args.args["dbInstanceIdentifier"] != DB_INSTANCE:
                    return {}, [("dbInstanceIdentifier", "couldn't find resource (DBInstanceNotFound)")]
                return {
                    "dbInstanceIdentifier": DB_INSTANCE,
                    "vpcSecurityGroups": DB_SECURITY_GROUPS,
                    "dbInstancePort": DB_PORT,
                    "port": DB_PORT,
                    "id": DB_INSTANCE,
                }
            case "aws:ec2/getSecurityGroup:getSecurityGroup":
                group = args.args["id"]
                vpc = "vpc-0ffffffffffffffff" if group == OTHER_VPC_GROUP else DEFAULT_VPC
                return {"id": group, "vpcId": vpc, "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group}"}
            case "aws:lb/getListenerRule:getListenerRule":
                arn = args.args["arn"]
                if arn not in self.listener_rules:
                    return {}, [("arn", f"reading ELBv2 Listener Rule ({arn}): couldn't find resource")]
                groups = [{"arn": group, "weight": w} for group, w in self.listener_rules[arn].items()]
                return {"arn": arn, "actions": [{"type": "forward", "forwards": [{"targetGroups": groups}]}]}
            case "aws:ssm/getParameter:getParameter":
                name = args.args["name"]
                if name in self.missing_parameters:
                    return {}, [("name", f"reading SSM Parameter ({name}): ParameterNotFound")]
                arn = f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{name}"
                return {"arn": arn, "name": name, "type": "SecureString", "id": name}
        raise NotImplementedError(f"the program made an invoke the mocks do not know: {args.token}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        region, typ, inputs = self.region, args.typ, dict(args.inputs)
        state = dict(inputs)
        name = inputs.get("name") or f"{args.name}-1a2b3c4"  # Pulumi's auto-naming
        physical_id = name
        match typ:
            case "pulumi:pulumi:StackReference":
                stack_name = inputs["name"]
                if stack_name == self.own_stack and stack_name not in self.stack_outputs:
                    return stack_name, {"name": stack_name, "outputs": {}}  # a new stack has no outputs yet
                if stack_name not in self.stack_outputs:
                    raise Exception(f"unknown stack {stack_name}: no such stack in this backend")
                return stack_name, {"name": stack_name, "outputs": dict(self.stack_outputs[stack_name])}
            case "aws:iam/role:Role":
                path = inputs.get("path") or "/"
                state.update(name=name, path=path, arn=f"arn:aws:iam::{ACCOUNT}:role{path}{name}")
            case "aws:iam/policy:Policy":
                path = inputs.get("path") or "/"
                state.update(name=name, path=path, arn=f"arn:aws:iam::{ACCOUNT}:policy{path}{name}")
            case "aws:iam/rolePolicy:RolePolicy":
                physical_id = f"{inputs['role']}:{name}"
            case "aws:kms/key:Key":
                # KMS gives each key a UUID; one per logical name keeps keys apart (and runs repeatable).
                physical_id = str(uuid.UUID(hashlib.md5(args.name.encode()).hexdigest()))
                state.update(keyId=physical_id, arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/{physical_id}")
            case "aws:ssm/parameter:Parameter":
                state.update(arn=f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{name}")
            case "aws:ecr/repository:Repository":
                state.update(
                    registryId=ACCOUNT,
                    arn=f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}",
                    repositoryUrl=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}",
                )
            case "docker:index/image:Image":
                repository = inputs["imageName"].rsplit(":", 1)[0]
                state.update(repoDigest=f"{repository}@{digest_of(inputs['imageName'])}")
                physical_id = state["repoDigest"]
            case "docker:index/remoteImage:RemoteImage":
                # A pull by digest: the local image carries that repo digest.
                state.update(repoDigest=inputs["name"], imageId="sha256:" + digest_of(inputs["name"])[7:])
                physical_id = state["imageId"] + inputs["name"]
            case "docker:index/tag:Tag":
                state.update(sourceImageId="sha256:" + digest_of(inputs["sourceImage"])[7:])
                physical_id = f"{inputs['sourceImage']}.{inputs['targetImage']}"
            case "docker:index/registryImage:RegistryImage":
                # The push of a pulled manifest to the same registry keeps its digest (the program checks it).
                state.update(sha256Digest=inputs["triggers"]["digest"])
                physical_id = f"{inputs['name']}@{state['sha256Digest']}"
            case "aws:cloudwatch/logGroup:LogGroup":
                state.update(arn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}")
            case "aws:ecs/taskDefinition:TaskDefinition":
                state.update(arn=f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{inputs['family']}:1", revision=1)
                physical_id = inputs["family"]
            case "aws:ecs/cluster:Cluster":
                state.update(name=name, arn=f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{name}")
            case "aws:ecs/service:Service":
                state.update(name=name, arn=f"arn:aws:ecs:{region}:{ACCOUNT}:service/{name}")
            case "aws:ec2/securityGroup:SecurityGroup":
                physical_id = "sg-" + hashlib.sha256(args.name.encode()).hexdigest()[:17]
                state.update(arn=f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{physical_id}")
            case "aws:lb/loadBalancer:LoadBalancer":
                suffix = f"app/{name}/50dc6c495c0c9188"
                state.update(
                    name=name,
                    arn=f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/{suffix}",
                    arnSuffix=suffix,
                    dnsName=f"{name}-1234567890.{region}.elb.amazonaws.com",
                )
            case "aws:lb/targetGroup:TargetGroup":
                suffix = f"targetgroup/{name}/73e2d6bc24d8a067"
                state.update(
                    name=name,
                    arn=f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:{suffix}",
                    arnSuffix=suffix,
                )
            case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
                host = inputs["url"].removeprefix("https://")
                state.update(arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}")
            case "aws:s3/bucket:Bucket":
                bucket = inputs.get("bucket") or f"{args.name}-1a2b3c4"
                state.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
                physical_id = bucket
            case "aws:lb/listener:Listener":
                state.update(arn=f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:listener/app/{name}")
        if typ.startswith("aws:"):
            state.setdefault("name", name)  # auto-named resources report the name Pulumi chose
        if "arn" not in state and typ.startswith("aws:"):
            state["arn"] = f"arn:aws:{typ.split(':')[1].split('/')[0]}:{region}:{ACCOUNT}:{name}"
        return (physical_id if args.custom else None), state


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """pulumi/pulumi's ``resource.CreateURN``: a child's qualified type extends its parent's (taken from the parent's
    URN); a resource without a parent starts at its stack and project."""
    if parent:
        return f"{parent[: parent.rindex('::')]}${type_}::{name}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def _top_level(parent: str) -> bool:
    """The engine gives no parent type to children of the root stack (``deploy.generateURN``)."""
    return not parent or _qualified_type(parent) == ROOT_STACK_TYPE


def _collapse_alias(alias: AliasSpec, name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """The engine's ``stepGenerator.collapseAliasToUrn``; ``parent``: the resource's parent, as the engine's URN."""
    if alias.urn:
        return alias.urn
    old_parent = alias.parent_urn or parent
    if alias.no_parent or _top_level(old_parent):
        old_parent = ""
    return create_urn(
        alias.name or name, alias.type or type_, old_parent, alias.project or project, alias.stack or stack
    )


def _inherited_alias(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
    """The engine's ``stepGenerator.inheritedChildAlias``: a child of a resource found under an old URN was under it
    too, its name's prefix being the parent's old name when it was built from the parent's."""
    stack, project = parent_alias.removeprefix("urn:pulumi:").split("::")[:2]
    if child_name.startswith(parent_name):
        child_name = parent_alias.split("::", 3)[3] + child_name[len(parent_name) :]
    parent_type = _qualified_type(parent_alias)
    qualified = child_type if parent_type == ROOT_STACK_TYPE else f"{parent_type}${child_type}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{child_name}"


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps every registration with its inputs as the engine would receive them, noting which are secret."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.reads: list[tuple[str, str, str]] = []
        """(type, name, id) of every resource read rather than created, such as StackReferences."""
        self.outputs_registered: dict[str, dict[str, Any]] = {}
        self._types_by_urn: dict[str, str] = {}
        self._engine_urns: dict[str, str] = {}
        """Mock URN -> the engine's URN, of every resource so far and of the root stack."""
        self._alias_urns: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (engine RPC name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        engine_urn, alias_specs, alias_urns = self._identity(request, response.urn)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            registration = self.resources[response.urn]
            self._types_by_urn[response.urn] = request.type
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    id=registration.id or "",
                    inputs=_plain(pulumi.runtime.rpc.deserialize_properties(request.object)),
                    state=dict(registration.state),
                    secret_inputs=set(_secret_paths(raw)),
                    parent_type=self._types_by_urn.get(request.parent, ""),
                    parent=request.parent,
                    dependencies=set(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    retain_on_delete=request.retainOnDelete,
                    ignore_changes=list(request.ignoreChanges),
                    aliases=list(request.aliasURNs)
                    + [a.spec.name or a.urn for a in request.aliases if a.HasField("spec") or a.urn],
                    alias_specs=alias_specs,
                    alias_urns=alias_urns,
                    engine_urn=engine_urn,
                    custom_timeouts={
                        k: v
                        for k, v in (
                            ("create", request.customTimeouts.create),
                            ("update", request.customTimeouts.update),
                            ("delete", request.customTimeouts.delete),
                        )
                        if v
                    },
                )
            )
        return response

    def _identity(self, request: Any, urn: str) -> tuple[str, list[AliasSpec], list[str]]:
        """The engine's URN of a registration, its aliases in full, and the old URNs they stand for (the engine's
        ``stepGenerator.generateAliases``). The engine multiplies in only the parent's alias that matched the old
        state; without a state, every alias of the parent counts. A parent URN the program passes is a mock URN,
        read as the engine's URN of that resource: what the program would have had from the engine."""
        stack, project = urn.removeprefix("urn:pulumi:").split("::")[:2]
        parent = self._engine_urns.get(request.parent, request.parent)
        engine_urn = create_urn(request.name, request.type, "" if _top_level(parent) else parent, project, stack)
        self._engine_urns[urn] = engine_urn
        specs = [AliasSpec(urn=u) for u in request.aliasURNs]
        for alias in request.aliases:
            if not alias.HasField("spec"):
                specs += [AliasSpec(urn=alias.urn)] if alias.urn else []
                continue
            spec = alias.spec
            specs.append(
                AliasSpec(
                    name=spec.name,
                    type=spec.type,
                    stack=spec.stack,
                    project=spec.project,
                    parent_urn=self._engine_urns.get(spec.parentUrn, spec.parentUrn),
                    no_parent=spec.noParent,
                )
            )
        own = [_collapse_alias(a, request.name, request.type, parent, project, stack) for a in specs]
        found = list(own)
        parent_name = parent.split("::", 3)[3] if parent else ""
        for parent_alias in self._alias_urns.get(request.parent, []):
            found.append(_inherited_alias(request.type, request.name, parent_name, parent_alias))
            for old in own:
                old_type = _qualified_type(old).split("$")[-1]
                found.append(_inherited_alias(old_type, old.split("::", 3)[3], parent_name, parent_alias))
        alias_urns = list(dict.fromkeys(found))
        self._alias_urns[urn] = alias_urns
        return engine_urn, specs, alias_urns

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (engine RPC name)
        self.reads.append((request.type, request.name, request.id))
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (engine RPC name)
        self.outputs_registered[request.urn] = _plain(pulumi.runtime.rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


# For every registration the SDK sends the engine the Python stack (some 50 frames under pytest, each through
# traceback.extract_stack and pathlib): a quarter to a third of each program run. The mock monitor ignores it and no
# test reads it, so the harness sends an empty one. The SDK must still have the function it replaces.
assert callable(pulumi_resource._get_stack_trace), "pulumi renamed _get_stack_trace: update tests/harness.py"
pulumi_resource._get_stack_trace = source_pb2.StackTrace

last_monitor: RecordingMonitor | None = None
"""The monitor of the latest run, kept so that a test can look at a run that raised."""


# Passphrases of stacks whose secrets are committed (the local stack's, which the Makefile passes too).
PASSPHRASES = {"local": "local"}


@functools.lru_cache
def _crypter(passphrase: str, salt: str) -> Crypter:
    return Crypter(passphrase, salt)


def _is_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_is_secure(v) for v in value.values())
    return isinstance(value, list) and any(_is_secure(v) for v in value)


def _decrypted(value: Any, crypter: Callable[[], Crypter]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return crypter().decrypt(value["secure"])
        return {k: _decrypted(v, crypter) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypted(v, crypter) for v in value]
    return value


@functools.cache
def _parsed_yaml(path: Path, modified: float) -> Any:
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


REFUSAL_HEADER = "invalid stack configuration:\n  - "
"""How stack_support.settings.refusal starts the error that stops the program; a problem per "\n  - " line."""
PROBLEM_KEY = re.compile(rf"^{PROJECT}:([A-Za-z]+)(\.[^\s=:]+)?(?=[\s=:;,.]|$)")
"""The public key a problem line starts with (group 1), and the path inside it (group 2)."""


def problem_lines(message: str) -> list[str]:
    """The problems of a refusal, one per line; a message without the header is one problem (aws_env's look-ups)."""
    if message.startswith(REFUSAL_HEADER):
        return message.removeprefix(REFUSAL_HEADER).split("\n  - ")
    return [message]


def pinned_lines(snapshot: Path, found: Sequence[str], update: str) -> list[str]:
    """The lines ``snapshot`` pins. With the environment variable ``update`` set (a deliberate change), ``found`` is
    written there first."""
    if os.environ.get(update):
        snapshot.write_text("".join(f"{line}\n" for line in found))
    return snapshot.read_text().splitlines() if snapshot.exists() else []


def line_changes(pinned: Sequence[str], found: Sequence[str]) -> list[str]:
    """``  - <line>`` for each pinned line no longer found, then ``  + <line>`` for each new one (a line counted as
    often as it occurs)."""
    removed = sorted((Counter(pinned) - Counter(found)).elements())
    added = sorted((Counter(found) - Counter(pinned)).elements())
    return [f"  - {line}" for line in removed] + [f"  + {line}" for line in added]


def read_yaml(path: Path) -> Any:
    """``path`` parsed once per version of the file; each caller gets its own copy."""
    return copy.deepcopy(_parsed_yaml(path, path.stat().st_mtime))


@functools.cache
def service_model(service: str) -> Any:
    """AWS's API model of ``service`` as botocore ships it, loaded once (a new session reloads it each time)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _stack_file(stack: str, project_dir: Path) -> dict[str, Any]:
    path = project_dir / f"Pulumi.{stack}.yaml"
    return dict(read_yaml(path) or {}) if path.exists() else {}


def stack_secret_keys(stack: str, project_dir: Path = ROOT) -> tuple[str, ...]:
    """Keys of ``Pulumi.<stack>.yaml`` holding ``secure:`` values, which the CLI passes as secret."""
    return tuple(k for k, v in _stack_file(stack, project_dir).get("config", {}).items() if _is_secure(v))


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None, project_dir: Path = ROOT) -> dict[str, Any]:
    """Config for a stack as the CLI passes it: Pulumi.yaml defaults, then Pulumi.<stack>.yaml (``secure:`` values
    decrypted with the stack's passphrase), then overrides."""
    project = read_yaml(project_dir / "Pulumi.yaml")
    name = project["name"]
    config: dict[str, Any] = {
        f"{name}:{key}": decl["default"]
        for key, decl in project.get("config", {}).items()
        if isinstance(decl, dict) and "default" in decl
    }
    document = _stack_file(stack, project_dir)
    for key, value in document.get("config", {}).items():
        config[key] = _decrypted(value, lambda: _crypter(PASSPHRASES[stack], document["encryptionsalt"]))
    if config.get(f"{name}:dockerContext") == "app" and project_dir == ROOT:
        config[f"{name}:dockerContext"] = APP_FIXTURE
    for key, value in (overrides or {}).items():
        config[key if ":" in key else f"{name}:{key}"] = value
    return config


def as_cli_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """What the CLI puts in PULUMI_CONFIG (stack_support/doctor.py reads stack files the same way)."""
    from stack_support.doctor import cli_string

    return {key: cli_string(value) for key, value in config.items()}


def run_program(
    stack: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    *,
    preview: bool = False,
    secret_keys: tuple[str, ...] = (),
    missing_parameters: frozenset[str] = frozenset(),
    config: Mapping[str, Any] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    listener_rules: Mapping[str, Mapping[str, int]] | None = None,
    cached: bool = True,
) -> Deployment:
    """Run ``__main__.py`` for ``stack`` as ``pulumi up`` (or ``pulumi preview``) would; return what it registered.

    The same run asked for twice is made once: the program is deterministic under the mocks, and each caller gets
    its own copy. ``cached=False`` runs it again, for a test that watches the run itself (its log, say).
    """

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    effective = stack_config(stack, overrides) if config is None else dict(config)
    key = json.dumps(
        [stack, effective, preview, secret_keys, sorted(missing_parameters), stack_outputs, listener_rules],
        sort_keys=True,
        default=str,
    )
    if cached and key in _runs:
        return copy.deepcopy(_runs[key])
    deployment = run(
        program,
        stack,
        effective,
        preview=preview,
        secret_keys=secret_keys + stack_secret_keys(stack),
        missing_parameters=missing_parameters,
        stack_outputs=stack_outputs,
        listener_rules=listener_rules,
    )
    _runs[key] = deployment
    return copy.deepcopy(deployment)


_runs: dict[str, Deployment] = {}
"""Successful runs of the program, by everything that went into them."""


_reported_failures: list[str] = []
"""Messages of the failures ``run`` has already raised to a test."""


def _quiet_about_reported_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A program that fails leaves futures nobody awaits, which asyncio reports when they are collected (often at
    exit, after pytest's summary). A report of a failure the test already received says nothing new; others stay."""
    text = str(context.get("exception", ""))
    if any(message in text for message in _reported_failures):
        return
    loop.default_exception_handler(context)


def run_project(
    directory: Path,
    overrides: Mapping[str, Any],
    *,
    stack: str,
    preview: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Deployment:
    """Run another Pulumi project of this repository (``bootstrap/``, ``examples/consumer/``) as its CLI would."""
    project = read_yaml(directory / "Pulumi.yaml")["name"]

    def program() -> None:
        sys.path.insert(0, str(directory))  # the CLI puts the program's directory on sys.path
        try:
            runpy.run_path(str(directory / "__main__.py"), run_name="__main__")
        finally:
            sys.path.remove(str(directory))

    config = {"aws:region": "ap-northeast-2", **stack_config(stack, overrides, directory)}
    return run(
        program, stack, config, preview=preview, project=project, directory=directory, stack_outputs=stack_outputs
    )


def run_bootstrap(overrides: Mapping[str, Any], *, stack: str = "account", preview: bool = False) -> Deployment:
    """Run ``bootstrap/__main__.py`` as ``pulumi up`` in ``bootstrap/`` would."""
    return run_project(ROOT / "bootstrap", overrides, stack=stack, preview=preview)


def run(
    program: Callable[[], None],
    stack: str,
    config: Mapping[str, Any],
    *,
    preview: bool = False,
    secret_keys: tuple[str, ...] = (),
    missing_parameters: frozenset[str] = frozenset(),
    project: str = PROJECT,
    directory: Path = ROOT,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    listener_rules: Mapping[str, Mapping[str, int]] | None = None,
) -> Deployment:
    """Run ``program`` (the whole stack, or one component) under the mocks in the project directory."""
    values = as_cli_strings(config)
    region = values.get("aws:region", "us-east-1")
    own_stack = f"{ORGANIZATION}/{project}/{stack}"
    mocks = AwsMocks(region, missing_parameters, stack_outputs, own_stack, listener_rules)
    monitor = RecordingMonitor(mocks)
    global last_monitor
    last_monitor = monitor
    saved = {k: os.environ.get(k) for k in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")}
    os.environ["PULUMI_CONFIG"] = json.dumps(values)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps([k if ":" in k else f"{project}:{k}" for k in secret_keys])
    pulumi.runtime.set_all_config({}, [])
    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    cwd = Path.cwd()
    try:
        os.chdir(directory)  # the CLI runs the program in the project directory
        pulumi.runtime.settings.ROOT.set(None)  # a fresh root stack per run, so outputs do not carry over
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=preview, monitor=monitor, organization=ORGANIZATION
        )
        asyncio.get_event_loop().set_exception_handler(_quiet_about_reported_failures)

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def body() -> pulumi.Output[Any]:
            program()
            root = pulumi.runtime.settings.get_root_resource()
            exported: dict[str, Any] = getattr(root, "outputs", {})

            async def collect() -> None:
                for key, out in exported.items():
                    output = pulumi.Output.from_input(out)
                    outputs[key] = await output.future(with_unknowns=True)
                    if await output.is_secret():
                        secret_outputs.add(key)

            return pulumi.Output.from_input(collect())

        body()
    except Exception as failure:
        _reported_failures.append(str(failure).strip().splitlines()[-1])
        raise
    finally:
        os.chdir(cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Deployment(
        monitor.registered, outputs, secret_outputs, mocks.calls, monitor.outputs_registered, monitor.reads
    )
