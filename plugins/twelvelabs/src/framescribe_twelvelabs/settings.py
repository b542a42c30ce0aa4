"""Settings of the ``twelvelabs`` backend (``[backends.twelvelabs]`` in the config file).

The input limits are settings, not constants: the vendor has changed them
between API versions, and an account can have others agreed with support.
Defaults are those of the v1.2 guide "Providing transcriptions from the local
file system": resolution at least 360p and below 1080p, duration 10 s to 2 h.
"""

from __future__ import annotations

import importlib.util

from pydantic import Field, SecretStr, model_validator

from framescribe import BackendSettings, missing_secret_reason, secret

DEFAULT_API_URL = "https://api.twelvelabs.io/v1.2"


class TwelveLabsSettings(BackendSettings):
    api_url: str = Field(DEFAULT_API_URL, description="base URL of the API, version included")
    api_key: SecretStr | None = secret("TWELVE_LABS_API_KEY", "sent as the x-api-key header; defaults to $TWELVE_LABS_API_KEY")
    index_id: str | None = Field(None, description="the index videos are uploaded to (create it in the Twelve Labs dashboard)")
    language: str = Field("en", description="language of the video, when the request names none")
    poll_interval: float = Field(10.0, gt=0, description="seconds between the first task status checks (backs off to 30 s)")
    timeout: float = Field(3600.0, gt=0, description="seconds the whole job (upload, indexing, retrieval) may take")
    max_retries: int = Field(3, ge=0, le=10, description="retries of a request after a timeout, dropped connection, 429 or 5xx")
    min_duration: float = Field(10.0, ge=0, description="shortest video the API accepts, seconds")
    max_duration: float = Field(7200.0, gt=0, description="longest video the API accepts, seconds")
    min_resolution: int = Field(360, ge=0, description="smallest shorter side the API accepts, pixels (360p)")
    max_resolution: int = Field(1080, gt=0, description="the shorter side must be below this, pixels (1080p excluded)")

    @model_validator(mode="after")
    def _limits_in_order(self) -> TwelveLabsSettings:
        if self.min_duration > self.max_duration:
            raise ValueError(f"min_duration ({self.min_duration}) is above max_duration ({self.max_duration})")
        if self.min_resolution >= self.max_resolution:
            raise ValueError(f"min_resolution ({self.min_resolution}) must be below max_resolution ({self.max_resolution})")
        if not self.api_url.startswith(("https://", "http://")):
            raise ValueError(f"api_url must be an http(s) URL, not {self.api_url!r}")
        return self


def check(settings: TwelveLabsSettings) -> str | None:
    """Why the backend cannot run here, or None. Cheap: no network, no imports."""
    for module, package in (("httpx", "httpx"), ("av", "av")):
        if importlib.util.find_spec(module) is None:
            return f"{package} not installed: pip install framescribe-twelvelabs"
    reason = missing_secret_reason(settings, "twelvelabs")
    if reason is not None:
        return reason
    if not settings.index_id:
        return "needs index_id in [backends.twelvelabs] (the index videos are uploaded to)"
    return None
