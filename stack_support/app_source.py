"""Does the build context hold what the Dockerfile builds? Checked at settings time, before any resource exists.

The Dockerfile's ``COPY`` instructions from the build context name what it needs (``gradlew``, ``gradle/``, ``src/``
and the build files; or, for the Maven variant, ``mvnw``, ``.mvn/``, ``pom.xml``, ``src/``). A wrapper also needs its
build file: ``build.gradle`` or ``build.gradle.kts`` next to ``gradlew``, ``pom.xml`` next to ``mvnw``. Without this
check ``docker build`` fails inside ``pulumi up``, after the load balancer and the roles were created.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shlex
from pathlib import Path

APP_DIR = "app"
"""Where the application's repository is cloned, next to this program (git-ignored); the dev stack builds it."""

BUILD_FILES = {"gradlew": ("build.gradle", "build.gradle.kts"), "mvnw": ("pom.xml",)}


def copy_sources(dockerfile: str) -> list[list[str]]:
    """The sources of each ``COPY``/``ADD`` from the build context (not ``--from`` a stage), in order."""
    instructions: list[str] = []
    current = ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        instructions.append(current + line)
        current = ""
    sources: list[list[str]] = []
    for instruction in instructions:
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() not in ("COPY", "ADD"):
            continue
        words = json.loads(rest) if rest.lstrip().startswith("[") else shlex.split(rest, comments=False)
        flags = [w for w in words if w.startswith("--")]
        if any(f.startswith("--from=") for f in flags):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources.append(paths[:-1])  # the last word is the destination
    return sources


def runs_as_root(dockerfile: str) -> bool:
    """Whether the image's final stage runs as root: no USER after its last FROM, or USER root/0."""
    user = "root"
    for line in dockerfile.splitlines():
        words = line.strip().split()
        if not words:
            continue
        if words[0].upper() == "FROM":
            user = "root"
        elif words[0].upper() == "USER" and len(words) > 1:
            user = words[1].split(":")[0]
    return user in ("root", "0")


def _matches(context: Path, pattern: str) -> bool:
    pattern = pattern.strip("/") or "."
    if not any(c in pattern for c in "*?["):
        return (context / pattern).exists()
    parent = context / os.path.dirname(pattern)
    return parent.is_dir() and any(fnmatch.fnmatch(p.name, os.path.basename(pattern)) for p in parent.iterdir())


def missing_sources(context: Path, dockerfile: Path) -> list[str]:
    """What the Dockerfile copies from ``context`` that is not there; empty when the build can start."""
    if not context.is_dir():
        return [f"the directory {context.name}/ itself"]
    missing: list[str] = []
    for sources in copy_sources(dockerfile.read_text()):
        plain = [s for s in sources if not any(c in s for c in "*?[")]
        missing.extend(s for s in plain if not _matches(context, s))
        if sources and not plain and not any(_matches(context, s) for s in sources):
            missing.append(" or ".join(sources))  # Docker refuses a COPY whose patterns all match nothing
    for wrapper, build_files in BUILD_FILES.items():
        if (context / wrapper).exists() and not any((context / f).exists() for f in build_files):
            missing.append(" or ".join(build_files))
    return list(dict.fromkeys(missing))  # each once, in the order found


def how_to_provide(docker_context: str) -> str:
    """Where the application must be and how to point the program at it; in GitHub Actions, which variable to set."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return (
            "In GitHub Actions, set the repository variable APP_REPOSITORY to the application's repository "
            "(owner/name; APP_REF picks a branch, tag or commit, default main): deploy.yml and preview.yml check "
            f"it out into {APP_DIR}/ before Pulumi runs"
        )
    return (
        f"This repository holds only the infrastructure: clone the application next to it with "
        f"`git clone <application repository> {APP_DIR}`, or point dockerContext at a checkout "
        "(`pulumi config set dockerContext ../library-management-system`), or deploy an image that is already "
        "pushed with imageUri or imageFromStack"
        + (f" (dockerContext is now {docker_context!r})" if docker_context != APP_DIR else "")
    )


def dockerignore_patterns(context: Path, dockerfile: Path) -> list[str]:
    """The ignore file that applies: ``<Dockerfile>.dockerignore`` next to the Dockerfile, else the context's
    ``.dockerignore`` (BuildKit reads the first that exists;
    https://docs.docker.com/build/concepts/context/#filename-and-location)."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if candidate.is_file():
            lines = (line.strip() for line in candidate.read_text().splitlines())
            return [line for line in lines if line and not line.startswith("#")]
    return []


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match plus ``**``, relative to the context) as a regular expression."""
    out = ""
    i = 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``relative`` out of the context: the last pattern matching it or a directory above it
    decides, a ``!`` pattern bringing it back."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.removeprefix("!"))
        if any(regex.fullmatch(c) for c in candidates):
            verdict = not negated
    return verdict


def copied_files(context: Path, dockerfile: Path) -> list[str]:
    """Every file of ``context`` (relative, sorted) a ``COPY``/``ADD`` of the Dockerfile sends to the build, with
    the ignore file applied."""
    patterns = dockerignore_patterns(context, dockerfile)
    found: set[str] = set()
    for sources in copy_sources(dockerfile.read_text()):
        for source in sources:
            for match in sorted(context.glob(source.strip("/") or ".")):
                paths = [match] if match.is_file() else sorted(p for p in match.rglob("*") if p.is_file())
                for path in paths:
                    relative = path.relative_to(context).as_posix()
                    if not ignored(relative, patterns):
                        found.add(relative)
    return sorted(found)


def content_hash(context: Path, dockerfile: Path, platform: str) -> str:
    """SHA-256 of what decides the image: the platform, the Dockerfile and every file it copies from the context
    (path and bytes). The same sources give the same hash, so an unchanged application is not built again."""
    digest = hashlib.sha256()
    digest.update(f"{platform}\0".encode())
    digest.update(dockerfile.read_bytes() + b"\0")
    for relative in copied_files(context, dockerfile):
        digest.update(relative.encode() + b"\0" + hashlib.sha256((context / relative).read_bytes()).digest())
    return "sha256:" + digest.hexdigest()
