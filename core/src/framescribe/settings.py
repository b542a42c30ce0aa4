"""Settings models for backends, and secrets read from the environment.

A backend declares a subclass of :class:`BackendSettings`; the core fills it
from ``[backends.NAME]`` of the config file and rejects unknown keys. A secret
is a :class:`pydantic.SecretStr` field made with :func:`secret`, which falls
back to an environment variable and never shows its value in a repr.

Settings know where their secrets are: every ``SecretStr`` field, and every
value a ``${VAR}`` of the config file put into another setting (``api_url =
"http://host/${KEY}/v1"``). All of them are registered with
:mod:`framescribe.secrets` when the settings are built, so errors, logs and
results mask them, and :meth:`BackendSettings.public_dict` shows such a setting
as written (``${KEY}``), never filled in. A key with surrounding whitespace, a
control character or a non-ASCII character is a config error naming the
setting, never the value.
"""

from __future__ import annotations

import hashlib
import json
import os
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationInfo, field_validator, model_validator

from . import secrets
from .errors import ConfigError

if TYPE_CHECKING:
    from .config import EnvRef

SECRET_MASK = "********"


class BackendSettings(BaseModel):
    """Base class of every backend's settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True, frozen=True)

    # Setting name -> the value as written in the config, for settings a ${VAR} was put into.
    _templates: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("*", mode="after")
    @classmethod
    def _secrets_are_clean(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or "?"
        if isinstance(value, SecretStr):
            problem = key_problem(value.get_secret_value())
            if problem is not None:
                env = cls.secret_env_vars().get(name)
                where = f" (or ${env})" if env else ""
                raise ValueError(f"the key in {name}{where} {problem}; fix the value where it is set")
        for ref in _env_refs(info).get(name, ()):
            problem = key_problem(ref.value)
            if problem is not None:
                raise ValueError(f"${{{ref.var}}} used in {name} {problem}; fix the environment variable")
        return value

    @model_validator(mode="after")
    def _register_secrets(self, info: ValidationInfo) -> BackendSettings:
        refs = _env_refs(info)
        templates = info.context.get("templates", {}) if isinstance(info.context, Mapping) else {}
        self._templates = {name: templates[name] for name in refs if name in templates}
        secrets.register(*self.secret_values(), *(ref.value for group in refs.values() for ref in group))
        return self

    def secret_values(self) -> list[str]:
        """Every secret these settings hold (for redaction; never show them)."""
        return [v.get_secret_value() for _, v in self if isinstance(v, SecretStr) and v.get_secret_value()]

    def public_dict(self) -> dict[str, Any]:
        """Settings as plain data with secrets masked, for display and cache keys.

        A setting filled from ``${VAR}`` shows as written (the variable's name, not its value).
        """
        out: dict[str, Any] = {}
        dumped = self.model_dump(mode="json")
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name] = SECRET_MASK if value.get_secret_value() else None
            elif name in self._templates:
                out[name] = self._templates[name]
            else:
                out[name] = secrets.redact_data(dumped[name])
        return out

    def fingerprint(self) -> dict[str, Any]:
        """Settings as plain data for cache keys: :meth:`public_dict`, except that a setting filled from
        ``${VAR}`` is the SHA-256 of its value, so another value (another host in ``api_url``) is another key,
        while no value is stored."""
        out = self.public_dict()
        dumped = self.model_dump(mode="json")
        for name in self._templates:
            out[name] = "sha256:" + hashlib.sha256(json.dumps(dumped[name], sort_keys=True).encode()).hexdigest()
        return out

    @classmethod
    def secret_env_vars(cls) -> dict[str, str]:
        """Field name -> environment variable, for every field made with :func:`secret`."""
        out = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and isinstance(extra.get("env"), str):
                out[name] = str(extra["env"])
        return out


class NoSettings(BackendSettings):
    """For backends that take no settings."""


def secret(env: str, description: str = "") -> Any:
    """A secret field whose default is read from ``env`` when the settings are built.

    ``api_key: SecretStr | None = secret("TWELVE_LABS_API_KEY")``
    """

    def from_env() -> SecretStr | None:
        value = os.environ.get(env)
        return SecretStr(value) if value else None

    return Field(
        default_factory=from_env,
        description=description or f"secret; defaults to ${env}",
        json_schema_extra={"env": env},
        repr=False,
    )


def key_problem(value: str) -> str | None:
    """What is wrong with a key's characters, never quoting it; None when it looks sane.

    HTTP header values carry ASCII only, and a key copied with a line break (a
    key file with Windows line endings) or a typographic character fails far
    from the cause, or is printed escaped where a redaction may miss it.
    """
    if value != value.strip():
        return "has surrounding whitespace or a line break (a key file with Windows line endings?)"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "holds a control character"
    if not value.isascii():
        return "holds a non-ASCII character (copied with a typographic quote or dash?)"
    return None


def validate_settings(model: type[BackendSettings], backend: str, raw: Mapping[str, Any], where: str,
                      env_refs: Mapping[str, list[EnvRef]] | None = None,
                      templates: Mapping[str, Any] | None = None) -> BackendSettings:
    """``[backends.BACKEND]`` as ``model``; a ConfigError naming every bad key (never a value) otherwise.

    ``env_refs``/``templates``: the ``${VAR}`` each setting was filled from, and the setting as written.
    """
    allowed = ", ".join(model.model_fields) or "none"
    # Registered before validating, so a validator's message that quotes a value is masked too.
    secrets.register(*(ref.value for group in (env_refs or {}).values() for ref in group))
    secrets.register(*(os.environ.get(env) for env in model.secret_env_vars().values()))
    secrets.register(*(value for name, value in raw.items() if name in secret_fields(model) and isinstance(value, str)))
    try:
        return model.model_validate(dict(raw), context={"env_refs": dict(env_refs or {}), "templates": dict(templates or {})})
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(table)"
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key {key!r}")
            else:
                problems.append(f"{key}: {err['msg']}")
        raise ConfigError(f"{where}: [backends.{backend}] {'; '.join(problems)}; allowed keys: {allowed}") from None


def secret_fields(model: type[BaseModel]) -> set[str]:
    """Names of the fields of ``model`` that hold a :class:`SecretStr`."""
    return {name for name, info in model.model_fields.items()
            if info.annotation is SecretStr or SecretStr in typing.get_args(info.annotation)}


def _env_refs(info: ValidationInfo) -> Mapping[str, list[EnvRef]]:
    context = info.context
    return context.get("env_refs", {}) if isinstance(context, Mapping) else {}


def missing_secret_reason(settings: BackendSettings, backend: str = "NAME") -> str | None:
    """"needs VAR" for the first secret of ``settings`` that has no value, else None."""
    for name, env in type(settings).secret_env_vars().items():
        value = getattr(settings, name)
        if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
            return f"needs {env} (or {name} in [backends.{backend}])"
    return None
