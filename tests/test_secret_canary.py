"""No secret value is ever printed: every key, set with ``--secret`` to a bad value, is refused without showing it.

Which keys are secret is what the engine says (PULUMI_CONFIG_SECRET_KEYS, as the CLI passes it), not a guess from
their names. The canary is a value no message would contain by chance.
"""

from __future__ import annotations

from typing import Any

import pytest

from stack_support.settings import SECRET, ConfigError, config_keys
from tests.harness import ROOT, read_yaml, run_program

CANARY = "Canary-5ecr3t-Value-771"
# A bad value for every kind of key, holding the canary (a valid RDS identifier, so databaseInstance reaches AWS).
OBJECT_VALUES: dict[str, Any] = {
    "environment": {"APP_MODE": CANARY},
    "secrets": {"SPRING_DATASOURCE_PASSWORD": CANARY},
    "secretValues": {"NOT_IN_SECRETS": CANARY},
    "autoscaling": {"minCount": CANARY, "maxCount": 2, "cpuTarget": 50},
}


def bad_value(key: str) -> Any:
    declared = read_yaml(ROOT / "Pulumi.yaml")["config"].get(key, {})
    if key in OBJECT_VALUES:
        return OBJECT_VALUES[key]
    if declared.get("type") == "array":
        return [CANARY]
    return CANARY


def refusal(overrides: dict[str, Any], secret_keys: tuple[str, ...], caplog: pytest.LogCaptureFixture) -> str:
    with pytest.raises(ConfigError) as error:
        run_program("dev", overrides, secret_keys=secret_keys, cached=False)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert CANARY not in logged
    return str(error.value)


@pytest.mark.parametrize("key", config_keys())
def test_a_secret_set_to_a_bad_value_is_refused_without_printing_it(key: str, caplog: pytest.LogCaptureFixture) -> None:
    message = refusal({key: bad_value(key)}, (key,), caplog)
    assert CANARY not in message
    assert key in message  # still says which key is wrong


def test_every_key_secret_and_bad_at_once_prints_no_value(caplog: pytest.LogCaptureFixture) -> None:
    keys = config_keys()
    message = refusal({key: bad_value(key) for key in keys}, tuple(keys), caplog)
    assert CANARY not in message
    assert SECRET in message


def test_a_secret_environment_value_is_refused_with_the_way_to_do_it_right(caplog: pytest.LogCaptureFixture) -> None:
    message = refusal({"environment": {"FEATURE_FLAG": "on-" + CANARY}}, ("environment",), caplog)
    assert "environment is set as a secret" in message
    assert "secretValues" in message
    assert "pulumi config set --secret --path secretValues.NAME" in message


def test_a_password_set_in_secrets_by_mistake_is_masked() -> None:
    """`pulumi config set --secret --path secrets.SPRING_DATASOURCE_PASSWORD <password>` confuses secrets with
    secretValues; the refusal says what secrets holds, without the password."""
    with pytest.raises(ConfigError) as error:
        run_program("dev", {"secrets": {"SPRING_DATASOURCE_PASSWORD": CANARY}}, secret_keys=("secrets",))
    assert CANARY not in str(error.value)
    assert "secrets.SPRING_DATASOURCE_PASSWORD='[secret]' must be an SSM parameter name" in str(error.value)


def test_the_same_bad_value_not_set_as_a_secret_is_shown() -> None:
    with pytest.raises(ConfigError) as error:
        run_program("dev", {"appName": CANARY})
    assert f"appName='{CANARY}'" in str(error.value)
