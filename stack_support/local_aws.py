"""Starts and stops the moto server the local stack talks to (``make local`` / ``make local-down``).

The address comes from ``Pulumi.local.yaml``'s ``aws:endpoints``, so the stack and the server cannot disagree.
The server reports services as running their desired number of tasks (``MOTO_ECS_SERVICE_RUNNING``), so the
program's ``wait_for_steady_state`` completes without containers.

    python -m stack_support.local_aws start [--port N] [--state-dir DIR]
    python -m stack_support.local_aws stop [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent  # the project: Pulumi.yaml and the stack files
STATE_DIR = ROOT / ".pulumi-local"


def stack_config() -> dict[str, object]:
    config: dict[str, object] = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
    return config


def endpoint_port() -> int:
    endpoints = stack_config()["aws:endpoints"]
    assert isinstance(endpoints, list)
    ports = {urlparse(url).port for url in endpoints[0].values()}
    if len(ports) != 1 or None in ports:
        raise SystemExit(
            f"Pulumi.local.yaml: every aws:endpoints entry must use one http://127.0.0.1:<port>, got {ports}"
        )
    return int(ports.pop())


def wait_until_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"moto server did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def start(port: int, state_dir: Path) -> int:
    """Start moto on 127.0.0.1:``port`` in the background; return its pid (also written to ``moto.pid``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"127.0.0.1:{port} is already in use; run `make local-down` or free the port")
    running = str(stack_config().get("library-infra:desiredCount", 1))
    # Fargate needs no AMIs: without moto's default AMI catalogue EC2's first answer takes milliseconds, not a second.
    env = {**os.environ, "MOTO_ECS_SERVICE_RUNNING": running, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    moto = Path(sys.executable).with_name("moto_server")
    log = (state_dir / "moto.log").open("ab")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env, start_new_session=True
    )
    (state_dir / "moto.pid").write_text(str(process.pid))
    wait_until_listening(port)
    return process.pid


def stop(state_dir: Path) -> None:
    pid_file = state_dir / "moto.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    args = parser.parse_args()
    if args.command == "start":
        port = args.port or endpoint_port()
        pid = start(port, args.state_dir)
        print(f"moto server (pid {pid}) listening on http://127.0.0.1:{port}")
    else:
        stop(args.state_dir)


if __name__ == "__main__":
    main()
