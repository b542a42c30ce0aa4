"""The ``[serve]`` table of the config file, plus ``FRAMESCRIBE_SERVE_API_KEYS``.

    [serve]
    api_keys = ["${TEAM_A_KEY}", "${TEAM_B_KEY}"]   # ${VAR} read from the environment
    data_dir = "/var/lib/framescribe"
    max_upload_mb = 2048

Command-line options (``--host``, ``--port``, ``--data-dir``, ``--library``) win over the table.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from framescribe import ConfigError

KEYS_ENV = "FRAMESCRIBE_SERVE_API_KEYS"
MIN_KEY_LENGTH = 16


class ServeSettings(BaseModel):
    """``[serve]``; unknown keys are errors, as in ``[backends.NAME]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="address to listen on; anything but loopback needs api_keys")
    port: int = Field(8000, ge=0, le=65535, description="TCP port")
    data_dir: str | None = Field(None, description="where the SQLite records and uploads live (default: the user data dir)")
    library: str | None = Field(None, description="a framescribe library file finished videos and images are added to")
    api_keys: list[SecretStr] = Field(default_factory=list, repr=False,
                                      description=f"accepted keys (use ${{VAR}}); ${KEYS_ENV} (comma-separated) adds more")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64,
                         description="jobs run at once (the bounded pool); default: the CPU count")
    isolation: Literal["process", "thread"] = Field(
        "process", description='where the chains run: "process" (worker processes; a crash fails one job) or "thread"')
    max_jobs_per_key: int = Field(8, ge=1, description="queued + running jobs one key may have; more get 429 with Retry-After")
    auth_max_failures: int = Field(10, ge=1, description="wrong API keys one client address may send within "
                                   "auth_window_seconds; then its attempts get 429 with Retry-After, keys unchecked")
    auth_window_seconds: float = Field(60.0, gt=0, description="the window failed keys are counted in, and how long "
                                       "an address is then refused, seconds")
    max_upload_mb: float = Field(2048.0, gt=0, description="largest request body, MB; larger uploads get 413")
    retention_hours: float = Field(168.0, ge=0, description="hours jobs, tasks, videos and their results are kept (0: forever)")
    upload_retention_hours: float = Field(0.0, ge=0, description="hours an upload is kept after its job ends (0: deleted at once)")
    download_ttl_hours: float = Field(24.0, gt=0, description="hours an ImageHQ job's output can be downloaded (expires_at)")
    shutdown_grace: float = Field(30.0, ge=0, description="seconds SIGTERM waits for running jobs before checkpointing them")
    video_min_duration: float | None = Field(None, ge=0, description="shortest video /tasks accepts, seconds (off by default)")
    video_max_duration: float | None = Field(None, gt=0, description="longest video /tasks accepts, seconds (off by default)")
    video_min_resolution: int | None = Field(None, ge=0, description="smallest shorter side /tasks accepts, pixels (off by default)")
    video_max_resolution: int | None = Field(None, gt=0, description="the shorter side must be below this, pixels (off by default)")
    s3_bucket: str | None = Field(None, description="bucket /api/ocr/process reads images from (OCR Services API)")
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (default: AWS)")
    s3_region: str | None = Field(None, description="S3 region (default: boto3's chain)")
    s3_access_key_id: SecretStr | None = Field(None, repr=False, description="optional; else boto3's chain")
    s3_secret_access_key: SecretStr | None = Field(None, repr=False, description="optional; else boto3's chain")
    s3_public_url: str | None = Field(None, description="base of the fileUrl field (default: endpoint/bucket)")

    @model_validator(mode="after")
    def _checks(self) -> ServeSettings:
        for key in self.api_keys:
            if len(key.get_secret_value()) < MIN_KEY_LENGTH:
                raise ValueError(f"every API key must have at least {MIN_KEY_LENGTH} characters (one is shorter)")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("give both s3_access_key_id and s3_secret_access_key, or neither (boto3's chain)")
        return self

    def keys(self) -> list[str]:
        return [k.get_secret_value() for k in self.api_keys]

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def load_settings(table: dict[str, Any], where: str, **overrides: Any) -> ServeSettings:
    """``[serve]`` plus the keys of ``FRAMESCRIBE_SERVE_API_KEYS`` plus command-line ``overrides`` (None: not given)."""
    raw = dict(table)
    env_keys = [k.strip() for k in os.environ.get(KEYS_ENV, "").split(",") if k.strip()]
    if env_keys:
        raw["api_keys"] = [*raw.get("api_keys", []), *env_keys]
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServeSettings.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(table)"
            problems.append(f"unknown key {key!r}" if err["type"] == "extra_forbidden" else f"{key}: {err['msg']}")
        allowed = ", ".join(ServeSettings.model_fields)
        raise ConfigError(f"{where}: [serve] {'; '.join(problems)}; allowed keys: {allowed}") from None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: ServeSettings) -> None:
    """Refuse to listen beyond loopback with no keys: anyone who can reach the port could use it."""
    if not settings.api_keys and not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve on {settings.host} without API keys: with none, framescribe serve answers only on loopback",
            hint=f"set api_keys in [serve] (e.g. [\"${{MY_KEY}}\"]) or {KEYS_ENV}=key1,key2, or use --host 127.0.0.1",
        )


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("framescribe")) / "server"
