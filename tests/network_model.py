"""Who reaches whom, on which ports, computed from the security groups and rules a deployment registers.

AWS's semantics, as the VPC user guide states them ("Security group rules"): security groups only allow, rules are
unioned; a flow between two groups needs the source group's egress and the destination group's ingress to allow it
(a rule names a peer by CIDR, by security group or by prefix list); responses are allowed whatever the rules
(stateful), so only the side that opens the connection counts. A group created through the provider has no rules
but the ones declared: the provider removes the allow-all egress rule that EC2 adds to a new group (Terraform AWS
provider, aws_security_group, "NOTE on Egress rules"). A group the program does not own (the database's) is only
modelled through the rules the program adds to it; its own egress is not needed to answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.harness import Deployment

ALL_PORTS = (0, 65535)
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"


@dataclass(frozen=True)
class Rule:
    protocol: str  # "tcp", "udp", "icmp" or "-1" (all)
    ports: tuple[int, int]
    cidr: str | None = None
    group: str | None = None
    prefix_list: str | None = None


@dataclass
class Group:
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)
    owned: bool = True


@dataclass(frozen=True)
class Endpoint:
    """Something that opens or accepts connections: an address, a member of a security group, or a prefix list."""

    name: str
    address: str | None = None
    group: str | None = None
    prefix_list: str | None = None


def _rule(inputs: Mapping[str, Any]) -> Rule:
    protocol = str(inputs.get("ipProtocol", "-1"))
    every_port = protocol in ("-1", "icmp", "icmpv6")
    ports = ALL_PORTS if every_port else (int(inputs["fromPort"]), int(inputs["toPort"]))
    return Rule(
        protocol=protocol,
        ports=ports,
        cidr=inputs.get("cidrIpv4") or inputs.get("cidrIpv6"),
        group=inputs.get("referencedSecurityGroupId"),
        prefix_list=inputs.get("prefixListId"),
    )


def _inline(rules: Iterable[Mapping[str, Any]]) -> Iterable[Rule]:
    for rule in rules:
        common = {"ipProtocol": rule.get("protocol"), "fromPort": rule.get("fromPort"), "toPort": rule.get("toPort")}
        for cidr in [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]:
            yield _rule({**common, "cidrIpv4": cidr})
        for group in rule.get("securityGroups") or []:
            yield _rule({**common, "referencedSecurityGroupId": group})
        for prefix_list in rule.get("prefixListIds") or []:
            yield _rule({**common, "prefixListId": prefix_list})


def groups_of(deployment: Deployment) -> dict[str, Group]:
    """Every security group the deployment registers or adds rules to, with its rules, by id."""
    groups: dict[str, Group] = {}
    for resource in deployment.of_type(GROUP):
        group = groups.setdefault(resource.id, Group())
        group.ingress.extend(_inline(resource.inputs.get("ingress") or []))
        group.egress.extend(_inline(resource.inputs.get("egress") or []))
    for type_, direction in ((INGRESS, "ingress"), (EGRESS, "egress")):
        for resource in deployment.of_type(type_):
            group_id = resource.inputs["securityGroupId"]
            group = groups.setdefault(group_id, Group(owned=False))
            getattr(group, direction).append(_rule(resource.inputs))
    return groups


def _matches(rule: Rule, peer: Endpoint) -> bool:
    if rule.group is not None:
        return rule.group == peer.group
    if rule.prefix_list is not None:
        return rule.prefix_list == peer.prefix_list
    if rule.cidr is not None and peer.address is not None:
        network, address = ipaddress.ip_network(rule.cidr), ipaddress.ip_address(peer.address)
        return network.version == address.version and address in network
    return False


def _ports(rules: Iterable[Rule], peer: Endpoint) -> dict[str, set[tuple[int, int]]]:
    allowed: dict[str, set[tuple[int, int]]] = {}
    for rule in rules:
        if _matches(rule, peer):
            protocols = ("tcp", "udp", "icmp") if rule.protocol == "-1" else (rule.protocol,)
            for protocol in protocols:
                allowed.setdefault(protocol, set()).add(rule.ports)
    return allowed


def _intersect(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> set[tuple[int, int]]:
    return {(max(x[0], y[0]), min(x[1], y[1])) for x in a for y in b if max(x[0], y[0]) <= min(x[1], y[1])}


def _merge(ranges: set[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


Reach = dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]]


def reachability(groups: Mapping[str, Group], endpoints: Iterable[Endpoint]) -> Reach:
    """(source, destination) -> protocol -> merged port ranges that a connection from source to destination may use.

    A source inside a group needs its group's egress to allow the flow; a destination inside a group needs its
    group's ingress to. An address outside every group (the internet, an office) has no egress rules to pass.
    """
    points = list(endpoints)
    reach: Reach = {}
    for source in points:
        for target in points:
            if source == target:
                continue
            allowed: dict[str, set[tuple[int, int]]] | None = None
            if target.group is not None:
                allowed = _ports(groups[target.group].ingress, source)
            if source.group is not None and groups[source.group].owned:
                out = _ports(groups[source.group].egress, target)
                allowed = out if allowed is None else {p: _intersect(allowed[p], out[p]) for p in allowed if p in out}
            if allowed is None:
                continue  # neither side is ours: nothing the program decides
            found = {protocol: _merge(ranges) for protocol, ranges in allowed.items() if ranges}
            if found:
                reach[(source.name, target.name)] = found
    return reach
