"""Shared runs of the program: each is a full `pulumi up` under mocks, made once per test session."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3.session
import botocore.loaders
import botocore.session
import pytest

from stack_support import local_aws
from tests.harness import ROOT, Deployment, Registered, run_program
from tests.iam_model import evaluate

# A value that must never show up in plain text anywhere the engine or a user could see it.
PASSWORD = "s3cr3t-Pa55word-from-config"
REGION = "ap-northeast-2"


@pytest.fixture(scope="session")
def dev() -> Deployment:
    """The dev stack exactly as committed: existing SSM parameters, image built from the Dockerfile."""
    return run_program("dev")


@pytest.fixture(scope="session")
def dev_owning_password() -> Deployment:
    """The dev stack with the password given in config: the stack creates that parameter and its key."""
    return run_program(
        "dev",
        {"secretValues": {"SPRING_DATASOURCE_PASSWORD": PASSWORD}},
        secret_keys=("secretValues",),
    )


@pytest.fixture(scope="session")
def dev_opted_in() -> Deployment:
    """A dev stack that asks for what production has by default: access logs and KMS (issue 15)."""
    return run_program("dev", {"accessLogs": True, "kmsEncryption": True, "accessLogsRetentionDays": 30})


def role_policies(deployment: Deployment, role: Registered) -> list[dict[str, Any]]:
    """The inline policy documents attached to ``role``."""
    return [
        json.loads(p.inputs["policy"])
        for p in deployment.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] == role.state["name"]
    ]


def execution_role(deployment: Deployment) -> Registered:
    task = deployment.one("aws:ecs/taskDefinition:TaskDefinition")
    return deployment.by_state("arn", task.inputs["executionRoleArn"])


def permits(policy: dict[str, Any], action: str, resource: str, **context: str) -> bool:
    """IAM's verdict on one request against one identity policy (see tests/iam_model.py for why not moto's)."""
    return bool(evaluate([policy], action, resource, context))


def permits_any(policies: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    """IAM's verdict against all of a principal's policies together: a Deny in one wins over an Allow in another."""
    return bool(evaluate(policies, action, resource, context))


# What the tests measured (rollout tables, overheads), gathered from every worker and printed after the summary:
# pytest-xdist does not show what its workers print.
REPORTS = ROOT / ".pytest-reports"
Report = Callable[[str], None]


def pytest_configure(config: pytest.Config) -> None:
    # Before any worker starts: the controller, or a run without workers, begins with no reports.
    if not hasattr(config, "workerinput"):
        shutil.rmtree(REPORTS, ignore_errors=True)
        REPORTS.mkdir()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    """Keeps ``text`` for the end of the run, under the test's name."""
    path = REPORTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid) + ".txt")

    def write(text: str) -> None:
        REPORTS.mkdir(exist_ok=True)
        with path.open("a") as out:
            out.write(text.strip("\n") + "\n\n")

    return write


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not REPORTS.is_dir():
        return
    files = sorted(REPORTS.glob("*.txt"))
    if files:
        terminalreporter.section("what the tests measured")
        for file in files:
            terminalreporter.write(file.read_text())


# Garbage collection. Collecting imports pulumi_aws, botocore, moto and the rest, and the tests load AWS's models
# and schemas and keep program runs: hundreds of thousands of objects that live as long as the process. Every full
# collection walks them all again (several seconds per worker over a run), and so does the interpreter's shutdown
# after the summary (another 3 s a worker, which the controller waits for). So the collector is off while the
# modules are imported, and what is alive after the collection and after each test is frozen: left out of later
# collections. Garbage is collected just before each freeze; what becomes garbage afterwards is freed as before by
# its reference count (only a cycle among objects that outlived a test would stay until the exit).
def _collect_and_freeze() -> None:
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()
        _collect_and_freeze()
        # A young generation of 10,000 objects, not 700: the tests allocate in bulk (AWS models, program runs), and
        # each young collection may start a full one.
        gc.set_threshold(10_000, *gc.get_threshold()[1:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    result = yield
    _collect_and_freeze()  # the test's own fixtures are gone: what is left outlives it
    return result


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # After pytest's own last collection (the unraisable-exception check): what is left lives until the exit.
    gc.freeze()


# Reading botocore's service models is most of a client's cost: the sessions of the tests share one loader.
BOTOCORE_LOADER = botocore.loaders.create_loader()


def boto3_session(region: str) -> Any:
    core = botocore.session.Session()
    core.register_component("data_loader", BOTOCORE_LOADER)
    return boto3.session.Session(botocore_session=core, region_name=region)


# The moto server of `make local` (stack_support/local_aws.py), for the modules that talk to AWS APIs over HTTP: one
# per module, so that what one module creates never meets another's tests.
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same server `make local` starts, on a free loopback port; stopped afterwards."""
    port, state = free_port(), tmp_path_factory.mktemp("local")
    pid = local_aws.start(port, state)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        local_aws.stop(state)
        assert exited_within(pid, seconds=10), "moto server still running after stop"
        assert not (Path(state) / "moto.pid").exists()


def exited_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):  # reaped: it has exited
            return True
        time.sleep(0.1)
    return False
