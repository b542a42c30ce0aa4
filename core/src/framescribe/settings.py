"""Settings models for backends, and secrets read from the environment.

A backend declares a subclass of :class:`BackendSettings`; the core fills it
from ``[backends.NAME]`` of the config file and rejects unknown keys. A secret
is a :class:`pydantic.SecretStr` field made with :func:`secret`, which falls
back to an environment variable and never shows its value in a repr.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class BackendSettings(BaseModel):
    """Base class of every backend's settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True, frozen=True)

    def public_dict(self) -> dict[str, Any]:
        """Settings as plain data with secrets masked, for display and cache keys."""
        out: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name] = "********" if value.get_secret_value() else None
            elif isinstance(value, BaseModel):
                out[name] = value.model_dump(mode="json")
            else:
                out[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
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


def missing_secret_reason(settings: BackendSettings, backend: str = "NAME") -> str | None:
    """"needs VAR" for the first secret of ``settings`` that has no value, else None."""
    for name, env in type(settings).secret_env_vars().items():
        value = getattr(settings, name)
        if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
            return f"needs {env} (or {name} in [backends.{backend}])"
    return None
