"""AWS's own resource schemas as a second oracle (issue 10, point 5).

cfn-lint, which AWS maintains, ships CloudFormation's resource schemas and AWS's rules for ECS, ELB, Logs and the
rest, and runs offline. Every resource the program registers, in every stack variant, is translated into its
CloudFormation equivalent (tests/cfn_mapping.py) and the template is linted for the stack's region: what AWS's
schemas refuse (a Fargate size that does not exist, a hostPort unlike the containerPort in awsvpc, a log
retention AWS does not offer, a bake time over a day) fails here before it fails in a deployment.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tests import cfn_mapping
from tests.harness import ORGANIZATION, PROJECT, Deployment, run_program, stack_config

CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def _prod() -> Deployment:
    dev = run_program("dev")
    return run_program("prod", stack_outputs={f"{ORGANIZATION}/{PROJECT}/dev": dev.outputs})


# Variant -> (stack, the run).
VARIANTS: dict[str, tuple[str, Callable[[], Deployment]]] = {
    "dev": ("dev", lambda: run_program("dev")),
    "prod": ("prod", _prod),
    "local": ("local", lambda: run_program("local")),
    "dev-blue-green": (
        "dev",
        lambda: run_program(
            "dev",
            {
                "deploymentStrategy": "BLUE_GREEN",
                "certificateArn": CERTIFICATE,
                "testListenerCidrs": ["203.0.113.0/24"],
                "databaseInstance": "library-db",
                "autoscaling": {"minCount": 1, "maxCount": 4, "cpuTarget": 60},
                "secretValues": {"SPRING_DATASOURCE_PASSWORD": "x-password-1"},
            },
            secret_keys=("secretValues",),
        ),
    ),
    "dev-rolling-arm": (
        "dev",
        lambda: run_program(
            "dev",
            {
                "autoscaling": {"minCount": 1, "maxCount": 4, "requestsPerTarget": 100},
                "alarmTopicArn": "arn:aws:sns:ap-northeast-2:123456789012:alerts",
                "cpuArchitecture": "ARM64",
            },
        ),
    ),
}

# (rule id, logical id of the resource or "" for the template, message)
Finding = tuple[str, str, str]

# What cfn-lint reports on the program's own resources, by variant, each with the reason it is accepted for now.
# None: cfn-lint accepts every variant as it stands.
KNOWN_FINDINGS: dict[str, list[Finding]] = {}


def _findings(matches: Any) -> list[Finding]:
    found = []
    for match in matches:
        path = list(getattr(match, "path", None) or [])
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else ""
        found.append((str(match.rule.id), resource, str(match.message)))
    return sorted(found)


class Oracle:
    """cfn-lint with its rules loaded once; templates and their findings made once per variant."""

    def __init__(self) -> None:
        # cfn-lint (and the sympy it loads) is imported here, by the worker that lints, not by every worker.
        from cfnlint.core import get_rules  # type: ignore[import-untyped]

        self.rules = get_rules([], [], [])
        self._templates: dict[str, dict[str, Any]] = {}
        self._findings: dict[str, list[Finding]] = {}

    def deployment(self, variant: str) -> Deployment:
        return VARIANTS[variant][1]()

    def region(self, variant: str) -> str:
        return str(stack_config(VARIANTS[variant][0])["aws:region"])

    def template(self, variant: str) -> dict[str, Any]:
        if variant not in self._templates:
            self._templates[variant] = cfn_mapping.template(self.deployment(variant).resources)
        return copy.deepcopy(self._templates[variant])

    def check(self, template: dict[str, Any], region: str) -> list[Finding]:
        from cfnlint.api import lint  # type: ignore[import-untyped]
        from cfnlint.config import ManualArgs  # type: ignore[import-untyped]

        # cfn-lint parses templates as YAML, which refuses both the surrogate-pair escapes json.dumps writes for
        # characters beyond U+FFFF and raw C1 control characters; ECS takes either in a variable. So: UTF-8 text,
        # with only the characters YAML cannot hold raw written as JSON escapes.
        text = YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(template, ensure_ascii=False))
        return _findings(lint(text, rules=self.rules, config=ManualArgs(regions=[region])))

    def findings(self, variant: str) -> list[Finding]:
        if variant not in self._findings:
            self._findings[variant] = self.check(self.template(variant), self.region(variant))
        return self._findings[variant]


# Characters YAML 1.1 does not allow unescaped in a stream (YAML spec, "Character Set").
YAML_UNPRINTABLE = re.compile("[\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return shared_oracle()


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_registered_type_has_a_cloudformation_equivalent_or_a_reason(oracle: Oracle, variant: str) -> None:
    deployment = oracle.deployment(variant)
    assert cfn_mapping.unmapped_types(deployment.resources) == set()
    skipped = {r.type for r in deployment.resources if cfn_mapping.without_equivalent(r.type) is not None}
    assert all(t.startswith(cfn_mapping.COMPONENT_PREFIX) or t in cfn_mapping.NO_EQUIVALENT for t in skipped)
    # Each mapped resource is in the template, or folded into the one CloudFormation declares it on.
    declared = [
        r
        for r in deployment.resources
        if cfn_mapping.has_equivalent(r.type) and isinstance(cfn_mapping.translate(r), cfn_mapping.Resource)
    ]
    assert len(oracle.template(variant)["Resources"]) == len(declared)


@pytest.mark.parametrize("variant", VARIANTS)
def test_aws_resource_schemas_accept_every_resource(oracle: Oracle, variant: str) -> None:
    assert oracle.findings(variant) == KNOWN_FINDINGS.get(variant, [])


def test_the_oracle_refuses_what_aws_refuses(oracle: Oracle) -> None:
    template = oracle.template("dev")
    resources = template["Resources"]
    task = resources["LibraryTaskDefinition"]["Properties"]
    assert (task["Cpu"], task["Memory"]) == ("256", "512")
    task["Memory"] = "4096"  # Fargate has no 256 CPU units with 4 GB
    mapping = task["ContainerDefinitions"][0]["PortMappings"][0]
    mapping["HostPort"] = mapping["ContainerPort"] + 1  # awsvpc maps a container port to the same port only
    resources["LibraryLogsLogGroup"]["Properties"]["RetentionInDays"] = 2  # CloudWatch Logs offers 1, 3, 5, ...
    resources["LibraryService"]["Properties"]["DeploymentConfiguration"]["BakeTimeInMinutes"] = 1441  # over a day

    found = {(rule, resource) for rule, resource, _ in oracle.check(template, oracle.region("dev"))}

    assert found == {
        ("E3047", "LibraryTaskDefinition"),
        ("E3053", "LibraryTaskDefinition"),
        ("E3030", "LibraryLogsLogGroup"),
        ("E3034", "LibraryService"),
    }


def test_the_only_rule_skipped_is_cloudformations_own_limit_on_secure_strings(oracle: Oracle) -> None:
    """CloudFormation cannot create a SecureString parameter; SSM's API, which the provider calls, can. The skip
    (E3030 on those parameters alone) is needed, and is all that is skipped."""
    template = oracle.template("local")
    parameters = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::SSM::Parameter"}
    assert len(parameters) == 3
    skips = {k: v.get("Metadata") for k, v in template["Resources"].items() if v.get("Metadata")}
    assert skips == {k: {"cfn-lint": {"config": {"ignore_checks": ["E3030"]}}} for k in parameters}

    bare = {k: {key: v for key, v in body.items() if key != "Metadata"} for k, body in parameters.items()}
    found = oracle.check({"Resources": bare}, oracle.region("local"))

    assert found == [("E3030", k, "'SecureString' is not one of ['String', 'StringList']") for k in sorted(bare)]


def test_references_inside_the_stack_are_refs_and_the_rest_stays_literal(oracle: Oracle) -> None:
    resources = oracle.template("dev-blue-green")["Resources"]
    service = resources["LibraryService"]["Properties"]
    assert service["TaskDefinition"] == {"Ref": "LibraryTaskDefinition"}
    assert service["Cluster"] == {"Fn::GetAtt": ["LibraryClusterCluster", "Arn"]}
    [balancer] = service["LoadBalancers"]
    assert balancer["TargetGroupArn"] == {"Ref": "LibraryTgTargetGroup"}
    assert balancer["AdvancedConfiguration"]["TestListenerRule"] == {"Ref": "LibraryBgTestListenerRule"}
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": "LibraryTasksSecurityGroup"}]
    assert all(s.startswith("subnet-") for s in network["Subnets"])  # the default VPC's
    into_db = resources["LibraryDbFromTasksSecurityGroupIngress"]["Properties"]
    assert into_db["GroupId"].startswith("sg-")  # the database's group, not the stack's
    assert into_db["SourceSecurityGroupId"] == {"Ref": "LibraryTasksSecurityGroup"}
    [container] = resources["LibraryTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert {s["ValueFrom"] for s in container["Secrets"]} >= {
        "arn:aws:ssm:ap-northeast-2:123456789012:parameter/library/db/url"  # read, not created, by the stack
    }


def test_a_type_without_a_mapping_fails(oracle: Oracle) -> None:
    deployment = oracle.deployment("dev")
    queue = replace(deployment.resources[-1], type="aws:sqs/queue:Queue", name="library-queue")

    assert cfn_mapping.unmapped_types([*deployment.resources, queue]) == {"aws:sqs/queue:Queue"}
    with pytest.raises(cfn_mapping.UnmappedTypeError, match="aws:sqs/queue:Queue"):
        cfn_mapping.template([*deployment.resources, queue])


def test_an_input_without_a_mapping_fails(oracle: Oracle) -> None:
    deployment = oracle.deployment("dev")
    logs = deployment.one("aws:cloudwatch/logGroup:LogGroup")
    changed = replace(logs, inputs={**logs.inputs, "dataProtectionPolicy": "{}"})

    with pytest.raises(cfn_mapping.UnmappedInputError, match="dataProtectionPolicy"):
        cfn_mapping.translate(changed)


@functools.cache
def shared_oracle() -> Oracle:
    """One Oracle per process, for modules that lint runs of their own: cfn-lint's rules are loaded once."""
    return Oracle()


def lint_deployment(deployment: Deployment, region: str) -> list[Finding]:
    """cfn-lint's findings on everything ``deployment`` registered, translated to CloudFormation, in ``region``."""
    return shared_oracle().check(cfn_mapping.template(deployment.resources), region)
