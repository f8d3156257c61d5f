"""The image has its source: a build context without the application is refused at preview, saying where it goes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stack_support.app_source import copy_sources, missing_sources
from stack_support.settings import ConfigError, parse_settings
from tests.harness import APP_FIXTURE, ROOT, stack_config

GRADLE_DOCKERFILE = (ROOT / "Dockerfile").read_text()
MAVEN_DOCKERFILE = """\
FROM eclipse-temurin:17-jdk-jammy AS build
WORKDIR /workspace
COPY mvnw pom.xml ./
COPY .mvn ./.mvn
RUN ./mvnw -B dependency:go-offline
COPY src ./src
RUN ./mvnw -B -DskipTests package
FROM eclipse-temurin:17-jre-jammy
COPY --from=build /workspace/target/app.jar /app/app.jar
"""


def _project(tmp_path: Path, dockerfile: str = GRADLE_DOCKERFILE) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return tmp_path


def _dev_settings(project: Path) -> None:
    raw = {k.split(":", 1)[1]: v for k, v in stack_config("dev").items() if k.startswith("library-infra:")}
    raw["dockerContext"] = "app"
    parse_settings(raw, "dev", project)


def test_the_dev_stack_builds_from_app_which_git_ignores() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert config["library-infra:dockerContext"] == "app"
    assert "/app/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_image_without_its_source_is_refused_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    with pytest.raises(ConfigError) as error:
        _dev_settings(_project(tmp_path))
    message = str(error.value)
    assert "library-infra:dockerContext='app' does not hold the application that Dockerfile builds" in message
    assert "git clone <application repository> app" in message
    assert "pulumi config set dockerContext" in message


def test_in_ci_the_missing_source_error_names_app_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with pytest.raises(ConfigError) as error:
        _dev_settings(_project(tmp_path))
    assert "set the repository variable APP_REPOSITORY" in str(error.value)


def test_each_file_the_dockerfile_copies_is_named_when_missing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shutil.copytree(ROOT / APP_FIXTURE, project / "app")
    assert missing_sources(project / "app", project / "Dockerfile") == []
    shutil.rmtree(project / "app" / "src")
    (project / "app" / "build.gradle").unlink()
    assert missing_sources(project / "app", project / "Dockerfile") == ["src", "build.gradle or build.gradle.kts"]


def test_the_dockerfile_copies_the_gradle_wrapper_build_files_and_sources() -> None:
    copied = [source for sources in copy_sources(GRADLE_DOCKERFILE) for source in sources]
    assert {"gradlew", "gradle", "src"} <= set(copied)
    assert "/workspace/app.jar" not in copied  # copied from the build stage, not from the context


def test_the_maven_variant_is_accepted_with_its_wrapper_and_pom(tmp_path: Path) -> None:
    project = _project(tmp_path, MAVEN_DOCKERFILE)
    app = project / "app"
    (app / ".mvn" / "wrapper").mkdir(parents=True)
    (app / "src").mkdir()
    (app / "mvnw").write_text("#!/bin/sh\n")
    assert missing_sources(app, project / "Dockerfile") == ["pom.xml"]
    (app / "pom.xml").write_text("<project/>\n")
    assert missing_sources(app, project / "Dockerfile") == []
    _dev_settings(project)


def test_stacks_that_build_nothing_need_no_source(tmp_path: Path) -> None:
    raw = {k.split(":", 1)[1]: v for k, v in stack_config("prod").items() if k.startswith("library-infra:")}
    parse_settings(raw, "prod", _project(tmp_path))


def test_a_privileged_port_is_refused_for_the_non_root_image(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shutil.copytree(ROOT / APP_FIXTURE, project / "app")
    raw = {k.split(":", 1)[1]: v for k, v in stack_config("dev").items() if k.startswith("library-infra:")}
    with pytest.raises(ConfigError, match=r"containerPort=443: Dockerfile runs the app as a non-root user"):
        parse_settings({**raw, "dockerContext": "app", "containerPort": 443}, "dev", project)
    (project / "Dockerfile").write_text(GRADLE_DOCKERFILE.replace("USER 10001", "USER root"))
    assert parse_settings({**raw, "dockerContext": "app", "containerPort": 443}, "dev", project).container_port == 443
