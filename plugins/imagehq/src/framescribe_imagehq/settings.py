"""Settings of the ``imagehq`` backend and the cheap check of whether it can run."""

from __future__ import annotations

import importlib.util
import re

from pydantic import Field, SecretStr, field_validator

from framescribe import BackendSettings, missing_secret_reason, secret

HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class ImageHqSettings(BackendSettings):
    """``[backends.imagehq]``."""

    api_url: str = Field(default="https://api.imagehq.io", description="base URL of the ImageHQ API")
    api_key: SecretStr | None = secret("IMAGEHQ_API_KEY", "defaults to $IMAGEHQ_API_KEY")
    auth_header: str = Field(
        default="Authorization: Bearer",
        description='how the key is sent: "Header: Scheme" (value "Scheme KEY") or "Header" (value "KEY")',
    )
    poll_interval: float = Field(default=1.0, gt=0, le=60, description="seconds before the first poll; later polls back off")
    timeout: float = Field(default=300.0, gt=0, description="seconds one image may take: upload, job and download")
    max_retries: int = Field(default=3, ge=0, le=10, description="retries of one request on timeouts, 429 and 5xx")
    max_in_flight: int = Field(default=4, ge=1, le=64, description="jobs this process keeps open at once")

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http(s):// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("auth_header")
    @classmethod
    def _auth_header(cls, value: str) -> str:
        name, _, scheme = value.partition(":")
        if not HEADER_NAME.match(name.strip()) or any(c in scheme for c in "\r\n"):
            raise ValueError(f'must look like "Authorization: Bearer" or "X-API-Key", got {value!r}')
        return value

    def auth_headers(self) -> dict[str, str]:
        """The header that carries the key, e.g. ``{"Authorization": "Bearer KEY"}``."""
        name, _, scheme = self.auth_header.partition(":")
        key = self.api_key.get_secret_value() if self.api_key else ""
        return {name.strip(): f"{scheme.strip()} {key}" if scheme.strip() else key}


def check(settings: ImageHqSettings) -> str | None:
    reason = missing_secret_reason(settings, "imagehq")
    if reason is not None:
        return reason
    if importlib.util.find_spec("httpx") is None:
        return "httpx not installed: pip install framescribe-imagehq"
    return None
