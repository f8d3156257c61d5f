"""make security: checkov's AWS policies on every stack, as CloudFormation, with every exception written down.

Each variant (the dev, prod and local stack files as committed, and every option on) runs under the tests' mocks
(tests/harness.py), and what it registers is translated to CloudFormation (tests/cfn_mapping.py, the templates
cfn-lint also checks). checkov runs once over all the templates, offline (``--skip-download``), with no check
skipped. Then its failures are compared with ``policy/checkov-exceptions.yaml``:

- a failure the file does not list (check, variant, resource) fails the run: a new finding;
- an exception that no longer fails fails the run too: the file must say what is true, so a stale entry goes.

checkov lives in its own virtualenv (requirements-security.txt); this script runs in the project's and calls it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "policy" / "checkov-exceptions.yaml"
VARIANT_NAMES = ("dev", "prod", "local", "full-options", "full-options-private")


@dataclass(frozen=True, order=True)
class Finding:
    check: str
    variant: str
    resource: str
    """CloudFormation type and logical id, as checkov names it: ``AWS::S3::Bucket.LibraryAccessLogsBucket``."""


@dataclass(frozen=True)
class Waiver:
    check: str
    stacks: tuple[str, ...]
    resource: str
    reason: str

    def covers(self, finding: Finding) -> bool:
        return (finding.check, finding.resource) == (self.check, self.resource) and finding.variant in self.stacks


def load_exceptions(path: Path = EXCEPTIONS) -> list[Waiver]:
    """The exceptions file, refused when an entry lacks its id, stacks, resource or reason, or names an unknown
    variant."""
    entries = yaml.safe_load(path.read_text()) or []
    found = []
    for number, entry in enumerate(entries, start=1):
        missing = {"id", "stacks", "resource", "reason"} - set(entry)
        if missing:
            raise ValueError(f"{path.name} entry {number}: missing {sorted(missing)}")
        unknown = set(entry["stacks"]) - set(VARIANT_NAMES)
        if unknown:
            raise ValueError(f"{path.name} entry {number} ({entry['id']}): unknown stacks {sorted(unknown)}")
        if not str(entry["reason"]).strip():
            raise ValueError(f"{path.name} entry {number} ({entry['id']}): an exception needs its reason")
        found.append(Waiver(entry["id"], tuple(entry["stacks"]), entry["resource"], str(entry["reason"]).strip()))
    return found


def unexpected(findings: Iterable[Finding], exceptions: Iterable[Waiver]) -> list[Finding]:
    """Failures no exception covers: each is a new finding."""
    listed = list(exceptions)
    return sorted(f for f in findings if not any(e.covers(f) for e in listed))


def stale(findings: Iterable[Finding], exceptions: Iterable[Waiver]) -> list[str]:
    """Each (exception, stack) that no failure needs any more."""
    failed = set(findings)
    return [
        f"{e.check} on {stack} ({e.resource})"
        for e in exceptions
        for stack in e.stacks
        if Finding(e.check, stack, e.resource) not in failed
    ]


def findings_of(report: Any, template_variants: Mapping[str, str]) -> list[Finding]:
    """checkov's JSON report (one framework: an object; several: a list) as findings, by the template they are in."""
    reports = report if isinstance(report, list) else [report]
    found = []
    for part in reports:
        for check in part.get("results", {}).get("failed_checks", []):
            variant = template_variants[Path(check["file_path"]).name]
            found.append(Finding(check["check_id"], variant, check["resource"]))
    return sorted(set(found))


def variants() -> dict[str, Callable[[], Any]]:
    """Each variant's program run (imported here: the harness brings in Pulumi and the mocks)."""
    from tests.harness import DB_INSTANCE, run_program
    from tests.test_urns import DEV_STACK, FULL_OPTIONS, PRIVATE_NETWORK

    secret = ("secretValues",)
    return {
        "dev": lambda: run_program("dev"),
        "prod": lambda: run_program("prod", stack_outputs={DEV_STACK: run_program("dev").outputs}),
        "local": lambda: run_program("local"),
        "full-options": lambda: run_program(
            "dev", {**FULL_OPTIONS, "databaseInstance": DB_INSTANCE}, secret_keys=secret
        ),
        "full-options-private": lambda: run_program("dev", {**FULL_OPTIONS, **PRIVATE_NETWORK}, secret_keys=secret),
    }


def write_templates(directory: Path) -> dict[str, str]:
    """One CloudFormation template per variant in ``directory``; file name -> variant."""
    from tests import cfn_mapping

    runs = variants()
    assert tuple(runs) == VARIANT_NAMES
    names = {}
    for variant, run in runs.items():
        path = directory / f"{variant}.json"
        path.write_text(json.dumps(cfn_mapping.template(run().resources), indent=1))
        names[path.name] = variant
    return names


def run_checkov(checkov: str, directory: Path) -> Any:
    """checkov over every template, offline and with nothing skipped (exit 1 just means a check failed)."""
    environment = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    command = [checkov, "-d", str(directory), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise SystemExit(f"checkov failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", default=str(ROOT / ".security-venv" / "bin" / "checkov"))
    args = parser.parse_args(argv)
    exceptions = load_exceptions()
    with tempfile.TemporaryDirectory(prefix="checkov-") as temporary:
        directory = Path(temporary)
        names = write_templates(directory)
        report = run_checkov(args.checkov, directory)
    findings = findings_of(report, names)
    reports = report if isinstance(report, list) else [report]
    passed = sum(part.get("summary", {}).get("passed", 0) for part in reports)
    new, gone = unexpected(findings, exceptions), stale(findings, exceptions)
    print(f"checkov {reports[0].get('summary', {}).get('checkov_version', '?')} on {', '.join(VARIANT_NAMES)}:")
    print(f"  {passed} checks passed, {len(findings)} failed, all {len(findings) - len(new)} expected ones listed")
    for exception in exceptions:
        print(f"  excepted {exception.check} on {', '.join(exception.stacks)}: {exception.reason.split('. ')[0]}")
    for finding in new:
        print(f"NEW FAILURE {finding.check} on {finding.variant}: {finding.resource}", file=sys.stderr)
    for entry in gone:
        print(f"STALE EXCEPTION {entry}: it passes now; remove it from {EXCEPTIONS.name}", file=sys.stderr)
    if new or gone:
        print(f"fix the finding, or add it to policy/{EXCEPTIONS.name} with the reason", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
