"""Secrets stay secret: owned parameters are encrypted SecureStrings, and no value leaks anywhere in plain text."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD, REGION
from tests.harness import ACCOUNT, Deployment, run_program


def test_given_secret_value_becomes_a_securestring_the_stack_owns(dev_owning_password: Deployment) -> None:
    [parameter] = dev_owning_password.of_type("aws:ssm/parameter:Parameter")
    assert parameter.inputs["name"] == "/library/db/password"
    assert parameter.inputs["type"] == "SecureString"
    assert parameter.secret_inputs >= {"value"}
    assert dev_owning_password.outputs["secretParameterArns"]["SPRING_DATASOURCE_PASSWORD"] == (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/library/db/password"
    )


def test_the_owned_parameter_holds_exactly_the_secret_given_in_config(dev_owning_password: Deployment) -> None:
    """ECS hands the task the parameter's value (PutParameter's Value): an empty or missing one starts the app without
    its password. Compared as a bare boolean, so a failure never prints the secret."""
    [parameter] = dev_owning_password.of_type("aws:ssm/parameter:Parameter")
    holds_the_secret = parameter.inputs.get("value") == PASSWORD
    assert holds_the_secret, "the SecureString's value is not the configured secretValues entry (values not shown)"
    assert "value" in parameter.secret_inputs


def test_what_the_stack_owns_says_which_stack_owns_it(dev_owning_password: Deployment) -> None:
    # Someone who finds the parameter or its key in the console must learn that a stack manages it: a value changed
    # by hand is overwritten by the next `pulumi up`. SSM takes descriptions of up to 1024 characters (PutParameter).
    for resource in dev_owning_password.of_type("aws:ssm/parameter:Parameter") + dev_owning_password.of_type(
        "aws:kms/key:Key"
    ):
        description = resource.inputs["description"]
        assert "library-infra/dev" in description, resource.name
        assert len(description) <= 1024, resource.name


def test_stack_key_rotates_and_has_an_alias_per_stack(dev_owning_password: Deployment) -> None:
    key = dev_owning_password.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    alias = dev_owning_password.one("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/library-secrets-dev"


def test_secret_value_appears_nowhere_in_plain_text(dev_owning_password: Deployment) -> None:
    for resource in dev_owning_password.resources:
        visible = {k: v for k, v in resource.inputs.items() if k not in resource.secret_inputs}
        assert PASSWORD not in json.dumps(visible, default=str), resource.name
    assert PASSWORD not in json.dumps(dev_owning_password.outputs, default=str)
    assert PASSWORD not in json.dumps(dev_owning_password.calls, default=str)


def test_container_gets_secrets_by_reference_never_as_plain_values(dev_owning_password: Deployment) -> None:
    container = dev_owning_password.container()
    assert PASSWORD not in json.dumps(container)
    assert all(s["valueFrom"].startswith("arn:aws:ssm:") for s in container["secrets"])


def test_existing_parameters_are_looked_up_without_decryption(dev: Deployment) -> None:
    lookups = [args for token, args in dev.calls if token == "aws:ssm/getParameter:getParameter"]
    assert sorted(a["name"] for a in lookups) == ["/library/db/password", "/library/db/url", "/library/db/username"]
    assert all(a["withDecryption"] is False for a in lookups)
    assert dev.of_type("aws:ssm/parameter:Parameter") == []
    assert dev.of_type("aws:kms/key:Key") == []


def test_a_missing_parameter_stops_the_preview() -> None:
    with pytest.raises(Exception, match=r"/library/db/url.*ParameterNotFound"):
        run_program("dev", preview=True, missing_parameters=frozenset({"/library/db/url"}))


def test_registry_password_is_secret(dev: Deployment) -> None:
    image = dev.one("docker:index/image:Image")
    assert "registry" in image.secret_inputs or "registry.password" in image.secret_inputs
