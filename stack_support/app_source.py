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


def provider_ignore_file(context: Path, dockerfile: Path) -> Path:
    """The ignore file pulumi-docker (5.x) applies when it hashes the build context to decide whether to build again:
    ``<context>/.dockerignore`` for a file named ``Dockerfile``, else ``<context>/<name>.dockerignore`` (its
    ``hashContext`` and ``mapDockerignore``, provider/provider.go). Not the ``<Dockerfile>.dockerignore`` next to a
    Dockerfile outside the context, which BuildKit reads for the build itself."""
    name = dockerfile.name
    return context / (".dockerignore" if name == "Dockerfile" else f"{name}.dockerignore")


def provider_ignore_patterns(context: Path, dockerfile: Path) -> list[str]:
    """The patterns of :func:`provider_ignore_file`, or none when it has a pattern this module cannot match exactly
    as Docker does (a ``!`` exception or a ``[...]`` class): leaving out a file the provider hashes could let it build
    and push again under an unchanged tag, which an IMMUTABLE repository refuses."""
    path = provider_ignore_file(context, dockerfile)
    if not path.is_file():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    if any(p.startswith("!") or "[" in p for p in patterns):
        return []
    return patterns


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
    """Whether ``relative`` (or a directory above it) matches one of ``patterns``."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(_pattern_regex(p).fullmatch(c) for p in patterns for c in candidates)


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """Every file of ``context`` (relative, sorted) pulumi-docker hashes: all but what its ignore file leaves out."""
    patterns = provider_ignore_patterns(context, dockerfile)
    found = []
    for path in context.rglob("*"):
        if path.is_file() or path.is_symlink():
            relative = path.relative_to(context).as_posix()
            if not ignored(relative, patterns):
                found.append(relative)
    return sorted(found)


def content_hash(context: Path, dockerfile: Path, platform: str) -> str:
    """SHA-256 of what makes pulumi-docker build the image again: the platform, the Dockerfile, and every file of the
    context it hashes (path, and bytes or a symlink's target). It changes whenever the provider would build and push,
    so no push reuses a tag, and stays the same when nothing the build reads changed, so nothing is built again."""
    digest = hashlib.sha256()
    digest.update(f"{platform}\0".encode())
    digest.update(dockerfile.read_bytes() + b"\0")
    for relative in context_files(context, dockerfile):
        path = context / relative
        body = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        digest.update(relative.encode() + b"\0" + hashlib.sha256(body).digest())
    return "sha256:" + digest.hexdigest()
