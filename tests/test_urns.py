"""Pinned identities (issue 14, point 3): every URN each stack registers is snapshotted; a rename ships with aliases.

The engine finds a resource's state by its URN: ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``, the
qualified type being the parent's whole chain of types and the resource's own (``A$B$type``). A component's type
token renamed, a child's ``parent`` dropped or a name changed makes every URN under it new, and ``pulumi up`` on a
running stack then plans to create the new URNs and delete the old ones: a replacement of the ALB, the service or the
alarms. So ``tests/snapshots/urns-<variant>.txt`` holds, sorted, one per line, every URN the program registers for
the dev, prod and local stacks and for every option on, and any difference fails with what was added and removed.

URNs are the engine's, not the mocks'. Pulumi's Python mocks build a URN from the parent's own type only, and count
the root stack as a parent (``pulumi:pulumi:Stack$library:ecs:LoadBalancedService``); the engine leaves the root
stack out and chains every ancestor's type (``deploy.generateURN``). Both differ for every top-level resource and
for grandchildren such as the rollback alarms, so the snapshots hold ``Registered.engine_urn``, the URN the state
keeps, which the harness computes from the parent's engine URN the way the engine does.

A deliberate rename ships with ``aliases`` and a line in ``tests/snapshots/renamed.txt``: the retired URN and the
URN of the resource that now answers for it. The harness resolves each alias to the old URN the engine would look
for (``Registered.alias_urns``); the tests prove every retired URN is answered by exactly the listed resource and
that no alias of the program goes unlisted. Regenerate the URN snapshots after a deliberate change with
``UPDATE_URN_SNAPSHOTS=1 venv/bin/pytest tests/test_urns.py``; without that variable the tests never write.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests import cfn_mapping
from tests.harness import (
    ACCOUNT,
    DB_INSTANCE,
    PRIVATE_SUBNETS,
    PRIVATE_VPC,
    PROJECT,
    PUBLIC_SUBNETS,
    ROOT,
    Deployment,
    Registered,
    line_changes,
    pinned_lines,
    run,
    run_program,
)
from tests.test_names_fit import CERTIFICATE, TOPIC

SNAPSHOTS = ROOT / "tests" / "snapshots"
RENAMED = SNAPSHOTS / "renamed.txt"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
UPDATE = "UPDATE_URN_SNAPSHOTS"
REGENERATE = f"{UPDATE}=1 venv/bin/pytest tests/test_urns.py"
DEV_STACK = f"organization/{PROJECT}/dev"

# Every option on at once. The mocks' database is in the default VPC, so the database rule and a VPC of one's own
# cannot be on together: two variants, each with one of them.
FULL_OPTIONS: dict[str, Any] = {
    "deploymentStrategy": "BLUE_GREEN",
    "certificateArn": CERTIFICATE,
    "testListenerCidrs": ["203.0.113.0/24"],
    "autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 60, "memoryTarget": 70},
    "alarmTopicArn": TOPIC,
    "secretValues": {"SPRING_DATASOURCE_PASSWORD": "a-password-for-urns"},
    "permissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/ci/library-infra-boundary",
    "cpuArchitecture": "ARM64",
    "capacityProvider": "FARGATE_SPOT",
    "accessLogs": True,
    "kmsEncryption": True,
}
PRIVATE_NETWORK: dict[str, Any] = {
    "vpcId": PRIVATE_VPC,
    "subnetIds": PRIVATE_SUBNETS,
    "loadBalancerSubnetIds": PUBLIC_SUBNETS,
    "assignPublicIp": False,
}
VARIANTS = ["dev", "prod", "local", "full-options", "full-options-private"]


@pytest.fixture(scope="module")
def stacks(dev: Deployment) -> dict[str, Deployment]:
    """Each variant's run; dev, prod and local are runs other modules make too (a worker makes the same run once)."""
    secret = ("secretValues",)
    return {
        "dev": dev,
        "prod": run_program("prod", stack_outputs={DEV_STACK: dev.outputs}),
        "local": run_program("local"),
        "full-options": run_program("dev", {**FULL_OPTIONS, "databaseInstance": DB_INSTANCE}, secret_keys=secret),
        "full-options-private": run_program("dev", {**FULL_OPTIONS, **PRIVATE_NETWORK}, secret_keys=secret),
    }


def urns(deployment: Deployment) -> list[str]:
    return sorted(r.engine_urn for r in deployment.resources)


def urn_changes(pinned: Sequence[str], registered: Sequence[str], snapshot: str) -> str:
    """What changed between the pinned URNs and those registered now, and what to do about it; "" when nothing."""
    changes = line_changes(pinned, registered)
    if not changes:
        return ""
    lines = [
        f"The URNs differ from {snapshot}: `pulumi up` on a running stack would delete each removed URN's resource and "
        "create each added one (a replacement), unless the new resource carries an alias to the old URN.",
        *changes,
        "If the change is deliberate (a new resource, or a rename that ships with aliases and a line in "
        f"tests/snapshots/renamed.txt), regenerate the snapshots: {REGENERATE}",
    ]
    return "\n".join(lines)


def answering(deployment: Deployment, old_urn: str) -> list[str]:
    """The resources whose aliases make the engine give them the state of ``old_urn``."""
    return [r.engine_urn for r in deployment.resources if old_urn in r.alias_urns]


def renamed() -> list[tuple[str, str, str]]:
    """(variant, retired URN, URN that answers for it) of every line of tests/snapshots/renamed.txt."""
    entries = []
    for line in RENAMED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            variant, retired, current = line.split()
            entries.append((variant, retired, current))
    return entries


def _provider_retyping(resource: Registered, alias: str) -> bool:
    """pulumi_aws and pulumi_docker alias their resources from the type tokens of earlier releases (an alias of the
    type only, as ``aws:lb`` from ``aws:elasticloadbalancingv2``): the provider's business, not a rename of ours."""
    if resource.type.startswith("library:"):
        return False
    old, current = alias.split("::", 3), resource.engine_urn.split("::", 3)
    same_place = old[:2] == current[:2] and old[2].split("$")[:-1] == current[2].split("$")[:-1]
    return same_place and old[3] == current[3]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_stack_registers_exactly_its_pinned_urns(variant: str, stacks: dict[str, Deployment]) -> None:
    snapshot = SNAPSHOTS / f"urns-{variant}.txt"
    registered = urns(stacks[variant])
    changes = urn_changes(pinned_lines(snapshot, registered, UPDATE), registered, str(snapshot.relative_to(ROOT)))
    assert not changes, changes


def test_every_snapshot_belongs_to_a_variant_so_none_goes_stale() -> None:
    for kind in ("urns", "replaced-on-change"):
        assert sorted(p.name for p in SNAPSHOTS.glob(f"{kind}-*.txt")) == sorted(f"{kind}-{v}.txt" for v in VARIANTS)


# A task definition is immutable by ECS's design: every change registers a new revision, which the service rolls to.
NEW_REVISION_ON_CHANGE = {"AWS::ECS::TaskDefinition"}


@functools.cache
def _create_only(cfn_type: str) -> list[str]:
    """CloudFormation's createOnlyProperties of ``cfn_type``: what AWS cannot change without a new resource, from
    the resource schemas cfn-lint ships (providers/<region>.json names each type's schema file)."""
    spec = importlib.util.find_spec("cfnlint")  # its data only: importing cfn-lint takes a second
    assert spec is not None
    assert spec.submodule_search_locations is not None
    schemas = Path(spec.submodule_search_locations[0]) / "data" / "schemas"
    files = json.loads((schemas / "providers" / "ap-northeast-2.json").read_text())
    return list(
        json.loads((schemas / "resources" / f"{files[cfn_type]}.json").read_text()).get("createOnlyProperties", [])
    )


def replaced_on_change(deployment: Deployment) -> list[str]:
    """``<logical id> <type> <property> = <value>`` for each property the stack sets that AWS cannot change in place:
    a different value replaces that resource on a running stack (a security group's description, a target group's
    port, a log group's name)."""
    lines = []
    for logical, resource in cfn_mapping.template(deployment.resources)["Resources"].items():
        if resource["Type"] in NEW_REVISION_ON_CHANGE:
            continue
        for pointer in _create_only(resource["Type"]):
            value: Any = resource.get("Properties", {})
            for part in pointer.split("/")[2:]:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                lines.append(f"{logical} {resource['Type']} {pointer} = {json.dumps(value, sort_keys=True)}")
    return sorted(lines)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_property_aws_cannot_change_in_place_changes_unnoticed(variant: str, stacks: dict[str, Deployment]) -> None:
    snapshot = SNAPSHOTS / f"replaced-on-change-{variant}.txt"
    found = replaced_on_change(stacks[variant])
    changed = line_changes(pinned_lines(snapshot, found, UPDATE), found)
    assert not changed, "\n".join(
        [
            f"Properties that AWS cannot change in place differ from {snapshot.relative_to(ROOT)}: `pulumi up` on a "
            "running stack would replace each resource below (a new security group, target group, log group...).",
            *changed,
            f"If the replacement is deliberate, regenerate the snapshots: {REGENERATE}",
        ]
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_two_resources_share_a_urn_or_claim_the_same_old_one(variant: str, stacks: dict[str, Deployment]) -> None:
    resources = stacks[variant].resources
    current = Counter(r.engine_urn for r in resources)
    assert [urn for urn, n in current.items() if n > 1] == [], "the engine refuses a URN registered twice"
    claimed = Counter(urn for r in resources for urn in set(r.alias_urns))
    assert [urn for urn, n in claimed.items() if n > 1] == [], "the engine refuses an old URN two resources alias"
    assert sorted(set(claimed) & set(current)) == [], "an alias names a URN the stack still registers"


def test_every_retired_urn_is_answered_by_exactly_the_resource_listed_for_it(stacks: dict[str, Deployment]) -> None:
    problems = []
    for variant, retired, current in renamed():
        deployment = stacks[variant]
        if retired in urns(deployment):
            problems.append(f"{variant}: {retired} is still registered, so it is not retired")
        if (found := answering(deployment, retired)) != [current]:
            problems.append(f"{variant}: {retired} is answered by {found or 'no resource'}, not {current}")
    assert problems == []


def test_every_alias_of_the_program_is_listed_as_a_retired_urn(stacks: dict[str, Deployment]) -> None:
    listed = {(variant, retired) for variant, retired, _ in renamed()}
    declared = {
        (variant, alias)
        for variant, deployment in stacks.items()
        for resource in deployment.resources
        for alias in resource.alias_urns
        if not _provider_retyping(resource, alias)
    }
    unlisted = [f"{variant} {alias}" for variant, alias in sorted(declared - listed)]
    assert unlisted == [], f"add each to {RENAMED.relative_to(ROOT)} with the URN of the resource that answers it"
    green = "library:ecs:LoadBalancedService$library:ecs:BlueGreenRouting$aws:lb/targetGroup:TargetGroup"
    assert ("full-options", f"urn:pulumi:dev::{PROJECT}::{green}::library-bg-green") in declared  # the group's rename


# The mechanism on a program of its own, renamed on purpose: a component "box" holding a shelf holding a thing.
def _boxes(
    thing: str,
    thing_aliases: list[pulumi.Alias] | None = None,
    box_type: str = "demo:index:Box",
    box_aliases: list[pulumi.Alias] | None = None,
) -> Callable[[], None]:
    def program() -> None:
        box = pulumi.ComponentResource(box_type, "box", None, pulumi.ResourceOptions(aliases=box_aliases))
        shelf = pulumi.ComponentResource("demo:index:Shelf", "box-shelf", None, pulumi.ResourceOptions(parent=box))
        options = pulumi.ResourceOptions(parent=shelf, aliases=thing_aliases)
        pulumi.ComponentResource("demo:index:Thing", thing, None, options)

    return program


@functools.cache
def _box_run(version: str) -> Deployment:
    programs = {
        "before": _boxes("A"),
        "renamed with an alias": _boxes("B", thing_aliases=[pulumi.Alias(name="A")]),
        "renamed without one": _boxes("B"),
        "retyped with an alias": _boxes(
            "A", box_type="demo:index:Crate", box_aliases=[pulumi.Alias(type_="demo:index:Box")]
        ),
    }
    return run(programs[version], "dev", {})


def test_an_alias_resolves_to_the_urn_the_resource_had_before_its_rename() -> None:
    before, after = _box_run("before"), _box_run("renamed with an alias")
    old = before.named("A").engine_urn
    # The engine's URN chains every ancestor's type and leaves out the root stack (the mocks' has the shelf's only).
    assert old == f"urn:pulumi:dev::{PROJECT}::demo:index:Box$demo:index:Shelf$demo:index:Thing::A"
    assert before.named("A").urn == f"urn:pulumi:dev::{PROJECT}::demo:index:Shelf$demo:index:Thing::A"
    assert after.named("B").alias_urns == [old]
    assert answering(after, old) == [after.named("B").engine_urn]
    assert urn_changes(urns(before), urns(after), "the box") != ""  # the URN changed: only the alias keeps the state


def test_a_rename_without_an_alias_is_reported_with_the_urn_it_retires_and_how_to_regenerate() -> None:
    before, after = _box_run("before"), _box_run("renamed without one")
    old, new = before.named("A").engine_urn, after.named("B").engine_urn
    report = urn_changes(urns(before), urns(after), "the box")
    assert f"  - {old}\n  + {new}\n" in report
    assert REGENERATE in report
    assert answering(after, old) == []  # nothing answers for A: the engine would delete it and create B


def test_a_components_new_type_token_keeps_every_child_through_inherited_aliases() -> None:
    before, after = _box_run("before"), _box_run("retyped with an alias")
    assert sorted(set(urns(before)) & set(urns(after))) == []  # every URN under the box changed
    for old in urns(before):
        [resource] = [r for r in before.resources if r.engine_urn == old]
        assert answering(after, old) == [after.named(resource.name).engine_urn], old


def documented_component_outputs() -> dict[str, list[str]]:
    """Component class -> the outputs docs/architecture.md says it registers (its table's third column)."""
    rows = re.findall(r"^\| `\w+\.py` `(\w+)` \|.*\| ((?:`\w+`(?:, )?)+) \|$", ARCHITECTURE.read_text(), re.M)
    return {component: re.findall(r"`(\w+)`", outputs) for component, outputs in rows}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_component_registers_the_outputs_the_architecture_page_lists(
    stacks: dict[str, Deployment], variant: str
) -> None:
    # register_outputs is what `pulumi stack --show-urns` and the state show under a component; the page is where a
    # reader of the state looks them up. An output without a value (the secrets' key when the stack owns none) is
    # left out of the state; with every option on, all are there.
    documented = documented_component_outputs()
    deployment = stacks[variant]
    for component in (r for r in deployment.resources if r.type.startswith("library:")):
        registered, listed = set(deployment.outputs_registered[component.urn]), documented[component.type.split(":")[2]]
        if variant.startswith("full-options"):
            assert sorted(registered) == sorted(listed), component.type
        else:
            assert registered <= set(listed), component.type


def test_the_full_options_stacks_give_every_component_output_a_value_and_the_stacks_outputs_of_the_same_name(
    stacks: dict[str, Deployment],
) -> None:
    # With every option on, no component output may be empty, and a component output that is also a stack output
    # (url, clusterName, ...) holds what the stack exports: two names for one value in the state would disagree.
    for variant in ("full-options", "full-options-private"):
        deployment = stacks[variant]
        for component in (r for r in deployment.resources if r.type.startswith("library:")):
            for key, value in deployment.outputs_registered[component.urn].items():
                assert value not in (None, "", [], {}), (variant, component.type, key)
                if key in deployment.outputs:
                    assert deployment.outputs[key] == value, (variant, component.type, key)
    assert {"url", "clusterName", "serviceName", "targetGroupArn", "logGroupName", "repositoryUrl"} <= {
        key for outputs in stacks["full-options"].outputs_registered.values() for key in outputs
    } & set(stacks["full-options"].outputs)


DESCRIPTIONS = SNAPSHOTS / "descriptions.txt"
DESCRIPTION_INPUTS = ("description", "alarmDescription")


def test_the_descriptions_operators_read_in_the_console_change_only_with_the_snapshot(
    stacks: dict[str, Deployment],
) -> None:
    # What a security group rule, a role, a key or an alarm says it is for is what an operator acts on in the console
    # and in an alarm's notification; a changed word is reviewed as a diff of tests/snapshots/descriptions.txt.
    # (tests/test_names_fit.py holds each to AWS's length and character rules.)
    found = sorted(
        {
            f"{r.type} {r.name}: {r.inputs[key]}"
            for deployment in stacks.values()
            for r in deployment.resources
            for key in DESCRIPTION_INPUTS
            if r.inputs.get(key)
        }
    )
    changed = line_changes(pinned_lines(DESCRIPTIONS, found, UPDATE), found)
    assert not changed, "\n".join(
        [
            f"Descriptions differ from {DESCRIPTIONS.relative_to(ROOT)} (- pinned, + now):",
            *changed,
            f"If the change is deliberate, regenerate the snapshots: {REGENERATE}",
        ]
    )
