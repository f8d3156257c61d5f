"""Reachability computed from the security groups and rules the program registers, not from what the code means.

The internet reaches only the load balancer, on its listener ports (and the test listener only from
``testListenerCidrs``); only the load balancer reaches the tasks, only on ``containerPort``; the tasks reach the
database on its port and AWS's HTTPS endpoints; nothing else is open. Any loosened rule changes the computed map.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import harness
from tests.harness import DB_PORT, DB_SECURITY_GROUPS, DEFAULT_VPC, Deployment, Registered, run_program
from tests.network_model import INGRESS, Endpoint, Reach, groups_of, reachability

CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
OFFICE = "203.0.113.0/24"
# Addresses as data only: documentation ranges (RFC 5737, RFC 3849) and hosts of the mocked default VPC.
INTERNET, INTERNET6, OFFICE_HOST, VPC_HOST = "198.51.100.20", "2001:db8::20", "203.0.113.7", "172.31.9.9"
HTTPS = ((443, 443),)


def endpoints(deployment: Deployment) -> list[Endpoint]:
    alb, tasks = deployment.group("library-alb").id, deployment.group("library-tasks").id
    points = [
        Endpoint("internet", INTERNET),
        Endpoint("internet (IPv6)", INTERNET6),
        Endpoint("office", OFFICE_HOST),
        Endpoint("VPC host", VPC_HOST),
        Endpoint("alb", "172.31.1.10", alb),
        Endpoint("tasks", "172.31.2.20", tasks),
    ]
    groups = groups_of(deployment)
    points += [Endpoint("database", "172.31.3.30", g) for g in groups if g not in (alb, tasks)]
    lists = {r.prefix_list for g in groups.values() for r in [*g.ingress, *g.egress] if r.prefix_list}
    return points + [Endpoint(f"prefix list {p}", prefix_list=p) for p in sorted(lists)]


def reach_of(deployment: Deployment) -> Reach:
    return reachability(groups_of(deployment), endpoints(deployment))


def one(port: int) -> tuple[tuple[int, int], ...]:
    return ((port, port),)


def ports(*numbers: int) -> tuple[tuple[int, int], ...]:
    return tuple((p, p) for p in sorted(numbers))


@pytest.fixture(scope="module")
def guarded() -> Deployment:
    """Every option that opens something: HTTPS, blue/green's test listener for an office, the database rule."""
    return run_program(
        "dev",
        {
            "deploymentStrategy": "BLUE_GREEN",
            "certificateArn": CERTIFICATE,
            "testListenerCidrs": [OFFICE],
            "testListenerPort": 8443,
            "containerPort": 9000,
            "databaseInstance": "library-db",
        },
    )


def test_dev_without_a_database_setting_opens_only_the_alb_and_lets_the_tasks_out_on_https_and_3306(
    dev: Deployment,
) -> None:
    web = {"tcp": one(80)}
    assert reach_of(dev) == {
        ("internet", "alb"): web,
        ("office", "alb"): web,
        ("VPC host", "alb"): web,
        ("alb", "tasks"): {"tcp": one(8081)},
        # The database is somewhere unknown: its port, and AWS's HTTPS endpoints, to any IPv4 address.
        ("tasks", "internet"): {"tcp": ports(443, 3306)},
        ("tasks", "office"): {"tcp": ports(443, 3306)},
        ("tasks", "VPC host"): {"tcp": ports(443, 3306)},
    }


def test_with_every_option_only_the_intended_paths_exist(guarded: Deployment) -> None:
    web = {"tcp": ports(80, 443)}
    assert reach_of(guarded) == {
        ("internet", "alb"): web,
        ("office", "alb"): {"tcp": ports(80, 443, 8443)},  # the test listener only from testListenerCidrs
        ("VPC host", "alb"): web,
        # The load balancer is public: any IPv4 host, the database too, and the tasks on HTTPS (their only way out).
        ("database", "alb"): web,
        ("tasks", "alb"): {"tcp": HTTPS},
        ("alb", "tasks"): {"tcp": one(9000)},
        ("tasks", "database"): {"tcp": one(DB_PORT)},
        ("tasks", "internet"): {"tcp": HTTPS},
        ("tasks", "office"): {"tcp": HTTPS},
        ("tasks", "VPC host"): {"tcp": HTTPS},
    }


def test_the_tasks_reach_the_database_on_its_port_through_one_rule_on_its_group(guarded: Deployment) -> None:
    [rule] = [r for r in guarded.of_type(INGRESS) if r.inputs["securityGroupId"] in DB_SECURITY_GROUPS]
    assert rule.inputs["securityGroupId"] == sorted(DB_SECURITY_GROUPS)[0]
    assert rule.inputs["referencedSecurityGroupId"] == guarded.group("library-tasks").id
    service = guarded.one("aws:ecs/service:Service")
    assert guarded.depends_on(service, rule)  # tasks start only once the database admits them


def test_a_database_group_names_the_rule_directly() -> None:
    group = "sg-0abcdefabcdefabcd"
    deployment = run_program("dev", {"databaseSecurityGroupId": group, "databasePort": 5432})
    assert reach_of(deployment)[("tasks", "database")] == {"tcp": one(5432)}
    [rule] = [r for r in deployment.of_type(INGRESS) if r.inputs["securityGroupId"] == group]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (5432, 5432, "tcp")


def test_without_a_database_setting_the_preview_says_what_the_database_must_admit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_program("dev", preview=True, cached=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("must admit serviceSecurityGroupId" in w and "TCP 3306" in w for w in warnings), warnings


def test_a_database_in_another_vpc_is_refused_before_anything_is_created() -> None:
    with pytest.raises(Exception, match="databaseSecurityGroupId") as error:
        run_program("dev", {"databaseSecurityGroupId": harness.OTHER_VPC_GROUP})
    assert DEFAULT_VPC in str(error.value)
    assert harness.last_monitor is not None
    assert harness.last_monitor.registered == []


def test_an_unknown_database_instance_is_refused_naming_the_key() -> None:
    with pytest.raises(Exception, match="databaseInstance='no-such-db': no RDS DB instance"):
        run_program("dev", {"databaseInstance": "no-such-db"})


def _loosen(deployment: Deployment, changes: dict[str, dict[str, Any]]) -> Deployment:
    loosened = copy.deepcopy(deployment)
    for name, fields in changes.items():
        rule: Registered = loosened.named(name)
        for key, value in fields.items():
            if value is None:
                rule.inputs.pop(key, None)
            else:
                rule.inputs[key] = value
    return loosened


ANYWHERE, VPC = "0.0.0.0/0", "172.31.0.0/16"
LOOSENINGS: dict[str, dict[str, dict[str, Any]]] = {
    "tasks open to the internet": {"library-tasks-from-alb": {"referencedSecurityGroupId": None, "cidrIpv4": ANYWHERE}},
    "tasks open to the VPC": {"library-tasks-from-alb": {"referencedSecurityGroupId": None, "cidrIpv4": VPC}},
    "ALB to tasks on a port range": {
        "library-tasks-from-alb": {"fromPort": 8000, "toPort": 9100},
        "library-alb-to-tasks": {"fromPort": 8000, "toPort": 9100},
    },
    "ALB open over IPv6": {"library-alb-http-in": {"cidrIpv4": None, "cidrIpv6": "::/0"}},
    "ALB open on every protocol": {"library-alb-http-in": {"ipProtocol": "-1"}},
    "ALB admits a prefix list": {"library-alb-https-in": {"cidrIpv4": None, "prefixListId": "pl-0123456789abcdef0"}},
    "tasks out on every port": {"library-tasks-https-out": {"ipProtocol": "-1"}},
    "database open to the VPC": {"library-db-from-tasks": {"referencedSecurityGroupId": None, "cidrIpv4": VPC}},
    "database on a port range": {"library-db-from-tasks": {"fromPort": 0, "toPort": 65535}},
    "test listener open to all": {"library-bg-test-in-0": {"cidrIpv4": ANYWHERE}},
}


@pytest.mark.parametrize("loosening", list(LOOSENINGS), ids=list(LOOSENINGS))
def test_any_loosened_rule_changes_who_reaches_whom(guarded: Deployment, loosening: str) -> None:
    assert reach_of(_loosen(guarded, LOOSENINGS[loosening])) != reach_of(guarded)


def test_a_hand_made_database_rule_is_adopted_into_the_urn_the_program_declares(guarded: Deployment) -> None:
    """Following the old README, a team may have added the rule by hand; AWS then refuses the stack's copy as a
    duplicate, and the README's import command must put the existing rule exactly where the program declares it."""
    rule = guarded.named("library-db-from-tasks")
    command = guarded.import_command(rule, "dev", "<sgr-id>")
    assert command in (harness.ROOT / "docs" / "troubleshooting.md").read_text()
