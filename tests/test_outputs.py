"""Stack outputs are a public contract: other projects read them by these names."""

from __future__ import annotations

import json
import re

from tests.conftest import PASSWORD, REGION
from tests.harness import ACCOUNT, ROOT, Deployment

CONTRACT = [
    "url",
    "albDnsName",
    "albArn",
    "clusterName",
    "serviceName",
    "taskDefinitionArn",
    "imageUri",
    "repositoryUrl",
    "imageTag",
    "logGroupName",
    "executionRoleArn",
    "taskRoleArn",
    "targetGroupArn",
    "albSecurityGroupId",
    "serviceSecurityGroupId",
    "secretParameterArns",
    "estimatedMonthlyCostUsd",
    "costEstimate",
    "productionListenerRuleArn",
]
# Outputs that are null when the stack does not use what they describe.
NULLABLE = {"productionListenerRuleArn", "imageTag"}


def test_every_contract_output_exists_with_a_value(dev: Deployment) -> None:
    assert sorted(dev.outputs) == sorted(CONTRACT)
    for name in CONTRACT:
        assert dev.outputs[name] or name in NULLABLE, name


def test_outputs_point_at_what_was_deployed(dev: Deployment) -> None:
    alb = dev.one("aws:lb/loadBalancer:LoadBalancer")
    assert dev.outputs["url"] == f"http://{alb.state['dnsName']}"
    assert dev.outputs["albDnsName"] == alb.state["dnsName"]
    assert dev.outputs["albArn"] == alb.state["arn"]
    assert dev.outputs["clusterName"] == dev.one("aws:ecs/cluster:Cluster").state["name"]
    assert dev.outputs["serviceName"] == dev.one("aws:ecs/service:Service").state["name"]
    assert dev.outputs["taskDefinitionArn"] == dev.one("aws:ecs/taskDefinition:TaskDefinition").state["arn"]
    assert dev.outputs["imageUri"] == dev.container()["image"]
    assert dev.outputs["repositoryUrl"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/library-management-system"
    assert dev.outputs["targetGroupArn"] == dev.one("aws:lb/targetGroup:TargetGroup").state["arn"]
    assert dev.outputs["albSecurityGroupId"] == dev.group("library-alb").id
    assert dev.outputs["serviceSecurityGroupId"] == dev.group("library-tasks").id
    assert dev.outputs["secretParameterArns"] == {s["name"]: s["valueFrom"] for s in dev.container()["secrets"]}


def test_no_output_holds_a_secret_value(dev_owning_password: Deployment) -> None:
    assert PASSWORD not in json.dumps(dev_owning_password.outputs)
    assert dev_owning_password.secret_outputs == set()  # nothing secret to hide, so consumers read them plainly


def test_readme_documents_every_output() -> None:
    readme = (ROOT / "docs" / "outputs.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert set(CONTRACT) <= documented


def test_the_output_contract_document_lists_every_output_with_type_example_and_meaning() -> None:
    document = (ROOT / "docs" / "outputs.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", document, flags=re.MULTILINE)}
    assert set(rows) == set(CONTRACT)
    for name, row in rows.items():
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4, name
        assert all(cells), name
    assert "Stability promise" in document


def documented_example(output: str) -> object:
    """The example of ``output`` in docs/outputs.md, as JSON: an elided ``, …`` stands for entries left out."""
    document = (ROOT / "docs" / "outputs.md").read_text()
    row = re.search(rf"^\| `{output}` \| [^|]+ \| `([^`]+)` \|", document, flags=re.MULTILINE)
    assert row is not None, f"docs/outputs.md has no example for {output}"
    return json.loads(re.sub(r",\s*…", "", row.group(1)))


def test_cost_estimate_has_exactly_the_documented_keys(dev: Deployment) -> None:
    documented = documented_example("costEstimate")
    assert isinstance(documented, dict)
    exported = dev.outputs["costEstimate"]
    assert sorted(exported) == sorted(documented)
    # The example names some of the lines and elides the rest: each one it names is exported under that name.
    assert set(documented["lines"]) <= set(exported["lines"])
    assert documented["lines"]
