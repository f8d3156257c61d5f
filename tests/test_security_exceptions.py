"""The outside ruleset's exceptions are written down and honest (issue 15, point 4).

``make security`` runs checkov itself (its own virtualenv, ~7 s: too slow and too heavy for pytest), and it fails on
a failure the exceptions file does not list and on an exception that no longer fails. These tests keep the file and
that comparison right without checkov: every entry is complete and names a variant the gate runs, the gate reads
checkov's report as checkov writes it, and a new failure or a stale entry is reported, not let through.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.harness import ROOT


def _load() -> ModuleType:
    """tools/security.py, loaded from its file (tools/ is not a package), as tests/test_mutation_tool.py does."""
    spec = importlib.util.spec_from_file_location("security_gate", ROOT / "tools" / "security.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


security = _load()
Finding = security.Finding

CHECKOV_ID = re.compile(r"^CKV2?_AWS_\d+$")


def test_every_exception_names_a_check_stacks_a_resource_and_a_reason() -> None:
    exceptions = security.load_exceptions()
    assert exceptions
    for exception in exceptions:
        assert CHECKOV_ID.match(exception.check), exception.check
        assert exception.stacks
        assert set(exception.stacks) <= set(security.VARIANT_NAMES)
        assert re.match(r"^AWS::\w+::\w+(::\w+)?\.\w+$", exception.resource), exception.resource
        assert len(exception.reason) > 80, f"{exception.check}: say why a reviewer can accept it"


def test_production_is_excepted_from_no_encryption_or_logging_control() -> None:
    # What the issue requires of prod: ALB access logs, encrypted logs and images, immutable tags.
    required = {"CKV_AWS_91", "CKV_AWS_158", "CKV_AWS_136", "CKV_AWS_51"}
    excepted_on_prod = {e.check for e in security.load_exceptions() if "prod" in e.stacks}
    assert required & excepted_on_prod == set()


def test_a_failure_nobody_listed_fails_the_gate_and_a_listed_one_does_not() -> None:
    exceptions = security.load_exceptions()
    listed = exceptions[0]
    expected = Finding(listed.check, listed.stacks[0], listed.resource)
    new = Finding("CKV_AWS_91", "prod", "AWS::ElasticLoadBalancingV2::LoadBalancer.LibraryAlbLoadBalancer")
    assert security.unexpected([expected, new], exceptions) == [new]
    elsewhere = Finding(listed.check, listed.stacks[0], "AWS::S3::Bucket.SomethingElse")  # same check, new resource
    assert security.unexpected([elsewhere], exceptions) == [elsewhere]


def test_an_exception_that_no_longer_fails_is_reported_as_stale() -> None:
    exceptions = security.load_exceptions()
    every = [Finding(e.check, stack, e.resource) for e in exceptions for stack in e.stacks]
    assert security.stale(every, exceptions) == []
    gone = every[0]
    assert security.stale(every[1:], exceptions) == [f"{gone.check} on {gone.variant} ({gone.resource})"]


def test_the_gate_reads_checkovs_json_report_by_template(tmp_path: Path) -> None:
    report = {
        "check_type": "cloudformation",
        "results": {
            "failed_checks": [
                {"check_id": "CKV_AWS_2", "resource": "AWS::X::Y.Z", "file_path": "/prod.json"},
                {"check_id": "CKV_AWS_2", "resource": "AWS::X::Y.Z", "file_path": "/dev.json"},
            ]
        },
        "summary": {"passed": 3, "failed": 2},
    }
    found = security.findings_of(report, {"prod.json": "prod", "dev.json": "dev"})
    assert found == [Finding("CKV_AWS_2", "dev", "AWS::X::Y.Z"), Finding("CKV_AWS_2", "prod", "AWS::X::Y.Z")]
    assert security.findings_of([report], {"prod.json": "prod", "dev.json": "dev"}) == found


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- {id: CKV_AWS_2, stacks: [dev], resource: AWS::A::B.C}", "missing ['reason']"),
        ("- {id: CKV_AWS_2, stacks: [qa], resource: AWS::A::B.C, reason: x}", "unknown stacks ['qa']"),
        ("- {id: CKV_AWS_2, stacks: [dev], resource: AWS::A::B.C, reason: ' '}", "needs its reason"),
    ],
)
def test_an_incomplete_exception_is_refused(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "exceptions.yaml"
    path.write_text(entry)
    with pytest.raises(ValueError, match=re.escape(message)):
        security.load_exceptions(path)


def test_make_security_runs_in_ci_and_checkov_is_pinned_in_its_own_requirements() -> None:
    assert "make security" in (ROOT / ".github" / "workflows" / "test.yml").read_text()
    assert "make security" in (ROOT / ".ci" / "run").read_text()
    pins = (ROOT / "requirements-security.txt").read_text().splitlines()
    assert "checkov==3.3.30" in pins
    assert all("==" in line for line in pins if line and not line.startswith("#"))
    assert "checkov" not in (ROOT / "requirements-dev.txt").read_text()  # its pins conflict with the test tools'
