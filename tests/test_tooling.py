"""The checks stay complete: mypy reads every pulumi_aws service the code uses (pyproject.toml skips the rest)."""

from __future__ import annotations

import re
import tomllib

from tests.harness import ROOT

SOURCES = [
    "*.py",
    "components/*.py",
    "stack_support/*.py",
    "bootstrap/*.py",
    "examples/consumer/*.py",
    "policy/*.py",
    "tests/*.py",
]


def test_mypy_reads_every_pulumi_aws_service_the_code_uses() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    read = {m for o in config if o.get("follow_imports") == "silent" for m in o["module"]}
    used = set()
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            # `aws.<service>.` as code, not inside a host name such as docs.aws.amazon.com
            used |= set(re.findall(r"(?<![\w./-])aws\.([a-z][a-z0-9_]*)\.[A-Za-z_]", path.read_text()))
    missing = sorted(s for s in used if f"pulumi_aws.{s}" not in read or f"pulumi_aws.{s}.*" not in read)
    assert missing == [], f"add these to the mypy override that reads pulumi_aws services: {missing}"


def test_make_byte_compiles_the_same_pulumi_aws_services_mypy_reads() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [line] = re.findall(r"^AWS_SERVICES := (.+)$", makefile, flags=re.MULTILINE)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    read = {m for o in config if o.get("follow_imports") == "silent" for m in o["module"]}
    services = {m.split(".")[1] for m in read if m.endswith(".*")}
    assert set(line.split()) == services
