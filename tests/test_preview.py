"""`pulumi preview` (and the pull-request previews) run the same program with unknown outputs."""

from __future__ import annotations

from tests.harness import Deployment, run_program


def test_preview_registers_the_same_resources_as_up(dev: Deployment) -> None:
    preview = run_program("dev", preview=True)
    assert sorted((r.type, r.name) for r in preview.resources) == sorted((r.type, r.name) for r in dev.resources)


def test_preview_with_stack_owned_secrets_registers_the_same_resources() -> None:
    overrides = {"secretValues": {"SPRING_DATASOURCE_PASSWORD": "preview-secret"}}
    up = run_program("dev", overrides, secret_keys=("secretValues",))
    preview = run_program("dev", overrides, preview=True, secret_keys=("secretValues",))
    assert sorted((r.type, r.name) for r in preview.resources) == sorted((r.type, r.name) for r in up.resources)
