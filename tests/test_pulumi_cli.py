"""tools/pulumi: the pinned CLI from the PATH, or installed once into .pulumi-cli/, or one clear sentence.

The tests run the real script against stand-ins: a `pulumi` on the PATH that prints its version, and an installer
(given as a file:// URL, as curl reads it) that accepts install.sh's options and lays a CLI into --install-root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.harness import ROOT

PINNED = (ROOT / ".pulumi.version").read_text().strip()
BASH = shutil.which("bash") or "bash"


def _fake_cli(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nif [ "$1" = version ]; then echo v{version}; exit 0; fi\necho "ran {path} with: $*"\n')
    path.chmod(0o755)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the parts of the project the script reads: tools/pulumi and .pulumi.version."""
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "pulumi", tmp_path / "tools" / "pulumi")
    shutil.copy(ROOT / ".pulumi.version", tmp_path / ".pulumi.version")
    return tmp_path


def _installer(tmp_path: Path, version: str) -> str:
    script = tmp_path / "install.sh"
    script.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do case "$1" in --version) v=$2; shift 2;; --install-root) r=$2; shift 2;; '
        '--no-edit-path|--silent) shift;; *) echo "unknown option $1" >&2; exit 1;; esac; done\n'
        f'mkdir -p "$r/bin"\nprintf \'#!/bin/sh\\nif [ "$1" = version ]; then echo v{version}; exit 0; fi\\n'
        'echo "ran the installed CLI with: $*"\\n\' > "$r/bin/pulumi"\nchmod +x "$r/bin/pulumi"\n'
    )
    return script.as_uri()


def _run(project: Path, path_dir: Path | None, installer: str) -> subprocess.CompletedProcess[str]:
    tools = [
        shutil.which(t) for t in ("curl", "sh", "tr", "sed", "mktemp", "dirname", "rm", "mkdir", "chmod", "printf")
    ]
    bin_dir = project / "system-bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        assert tool, "the script needs curl and POSIX tools"
        link = bin_dir / Path(tool).name
        if not link.exists():
            link.symlink_to(tool)
    path = os.pathsep.join([str(p) for p in (path_dir, bin_dir) if p is not None])
    env = {"PATH": path, "PULUMI_INSTALLER_URL": installer, "HOME": str(project)}
    return subprocess.run(
        [BASH, str(project / "tools" / "pulumi"), "preview", "--stack", "dev"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_pinned_cli_on_the_path_is_used_as_it_is(project: Path, tmp_path: Path) -> None:
    _fake_cli(tmp_path / "path" / "pulumi", PINNED)
    result = _run(project, tmp_path / "path", (tmp_path / "no-installer").as_uri())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("with: preview --stack dev")
    assert result.stderr == ""
    assert not (project / ".pulumi-cli").exists()


def test_another_version_on_the_path_makes_it_install_the_pinned_one_and_say_so(project: Path, tmp_path: Path) -> None:
    _fake_cli(tmp_path / "path" / "pulumi", "3.100.0")
    result = _run(project, tmp_path / "path", _installer(tmp_path, PINNED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran the installed CLI with: preview --stack dev"
    [line] = result.stderr.strip().splitlines()
    assert f"Installing the pinned Pulumi CLI {PINNED} into .pulumi-cli/" in line
    assert "is 3.100.0" in line
    # The next run uses the installed copy without installing again.
    again = _run(project, tmp_path / "path", (tmp_path / "no-installer").as_uri())
    assert again.returncode == 0
    assert again.stderr == ""


def test_without_the_cli_and_without_network_it_stops_with_one_sentence(project: Path, tmp_path: Path) -> None:
    result = _run(project, None, (tmp_path / "unreachable" / "install.sh").as_uri())
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        f"The Pulumi CLI {PINNED} is not installed and could not be installed (no network?): install version "
        f"{PINNED} from https://www.pulumi.com/docs/install/ and run again."
    )


def test_an_installer_that_lays_down_another_version_is_not_trusted(project: Path, tmp_path: Path) -> None:
    result = _run(project, None, _installer(tmp_path, "3.1.0"))
    assert result.returncode == 1
    assert "could not be installed" in result.stderr


def test_every_make_target_that_runs_pulumi_goes_through_the_wrapper() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipes = [line for line in makefile.splitlines() if line.startswith("\t")]
    for line in recipes:
        words = line.replace("\t", " ").split()
        assert "pulumi" not in words, f"call $(PULUMI), not pulumi: {line.strip()}"
    assert "PULUMI := tools/pulumi" in makefile
    assert "/.pulumi-cli/" in (ROOT / ".gitignore").read_text().splitlines()


def test_make_local_stops_its_emulator_when_a_later_step_fails(tmp_path: Path) -> None:
    # A CLI of the pinned version whose `up` fails, as a real one does on a broken program.
    fake = tmp_path / "pulumi"
    fake.write_text(
        f'#!/bin/sh\ncase "$1" in version) echo v{PINNED};; up) echo "error: up failed" >&2; exit 1;; esac\nexit 0\n'
    )
    fake.chmod(0o755)
    port = free_port()
    state = tmp_path / "state"
    result = subprocess.run(
        ["make", "-s", "local", f"PULUMI={fake}", f"LOCAL_STATE={state}", f"LOCAL_PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "up failed" in result.stderr
    assert not (state / "moto.pid").exists(), "the emulator was left running"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "something still listens on the emulator's port"
