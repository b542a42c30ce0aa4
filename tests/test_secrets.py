"""The secrets registry and the settings layer's knowledge of where secrets are."""

from __future__ import annotations

import logging

import pytest
from pydantic import Field, SecretStr

from framescribe import BackendSettings, ConfigError, secret
from framescribe.config import parse_config
from framescribe.errors import BackendError
from framescribe.secrets import MASK, Redactor, redact, register, secret_forms
from framescribe.settings import validate_settings


class Demo(BackendSettings):
    api_url: str = Field("http://localhost", description="where")
    api_key: SecretStr | None = secret("FS_TEST_DEMO_KEY")
    regions: list[tuple[float, float, float, float]] = Field(default_factory=list, description="areas")


@pytest.mark.parametrize("text", [
    "plain sk-demo-123456\r here", "escaped 'sk-demo-123456\\r' here", "bytes b'sk-demo-123456\\r'",
    "json \"sk-demo-123456\\r\"", "url sk-demo-123456%0D here",
])
def test_every_form_of_a_key_with_a_carriage_return_is_masked(text: str) -> None:
    redactor = Redactor(["sk-demo-123456\r"])
    assert "sk-demo-123456" not in redactor.redact(text)
    assert MASK in redactor.redact(text)


def test_url_encoded_and_non_ascii_forms_are_listed() -> None:
    forms = secret_forms("ké+y/ab=cd")
    assert "k%C3%A9%2By%2Fab%3Dcd" in forms and "k\\xe9+y/ab=cd" in forms and "k\\xc3\\xa9+y/ab=cd" in forms


def test_short_values_are_not_secrets_of_the_whole_process() -> None:
    assert Redactor(["abc"]).redact("abc abc") == "abc abc"


def test_errors_and_log_records_mask_registered_secrets(caplog: pytest.LogCaptureFixture) -> None:
    register("sk-registered-778899")
    error = BackendError("server said sk-registered-778899", hint="not sk-registered-778899")
    assert "sk-registered" not in str(error)
    with caplog.at_level(logging.INFO):
        logging.getLogger("framescribe.test").info("key %s", "sk-registered-778899")
    assert "sk-registered" not in caplog.text and MASK in caplog.text
    assert "sk-registered" not in redact("x sk-registered-778899")


def test_public_dict_keeps_lists_as_lists_and_masks_the_key() -> None:
    settings = validate_settings(Demo, "demo", {"regions": [[0, 0, 0.5, 0.5]], "api_key": "sk-demo-public-1"}, "test")
    assert settings.public_dict() == {"api_url": "http://localhost", "api_key": "********",
                                      "regions": [[0.0, 0.0, 0.5, 0.5]]}


def test_a_variable_inside_a_setting_shows_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FS_TEST_ROUTE", "route-key-445566")
    config = parse_config({"backends": {"demo": {"api_url": "http://host/${FS_TEST_ROUTE}/v1"}}}, None)
    settings = validate_settings(Demo, "demo", config.backends["demo"], "test", config.env_refs["demo"],
                                 config.templates["demo"])
    assert settings.api_url == "http://host/route-key-445566/v1"
    assert settings.public_dict()["api_url"] == "http://host/${FS_TEST_ROUTE}/v1"
    assert "route-key-445566" not in str(BackendError(f"GET {settings.api_url} failed"))
    # Another value is another cache identity, though neither value is kept.
    monkeypatch.setenv("FS_TEST_ROUTE", "route-key-other-1")
    other = parse_config({"backends": {"demo": {"api_url": "http://host/${FS_TEST_ROUTE}/v1"}}}, None)
    again = validate_settings(Demo, "demo", other.backends["demo"], "test", other.env_refs["demo"], other.templates["demo"])
    assert again.fingerprint() != settings.fingerprint()
    assert "route-key" not in str(settings.fingerprint())


@pytest.mark.parametrize("bad", ["sk-demo-key-1\r\n", " sk-demo-key-1", "sk-demo\x1bkey-1", "sk-démo-key-1"])
def test_malformed_keys_are_config_errors_naming_the_setting_not_the_value(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_settings(Demo, "demo", {"api_key": bad}, "test")
    assert "api_key" in str(info.value) and "FS_TEST_DEMO_KEY" in str(info.value)
    assert "sk-d" not in str(info.value)
