"""Settings of the ``ocrservices`` backend and the cheap check of whether it can run."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from framescribe import BackendSettings, missing_secret_reason, secret

USER_ID = re.compile(r"^[A-Za-z0-9._-]+$")


class OcrServicesSettings(BackendSettings):
    """``[backends.ocrservices]``. AWS credentials come from boto3's usual chain unless given here."""

    api_url: str | None = Field(default=None, description="base URL of the OCR Services API, e.g. https://ocr.example.com")
    api_key: SecretStr | None = secret("OCR_SERVICES_API_KEY", "sent as X-API-Key; defaults to $OCR_SERVICES_API_KEY")
    bucket: str | None = Field(default=None, description="S3 bucket the service reads images from")
    user_id: str | None = Field(default=None, description="your user id: images go to ocr/{user_id}/...")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint (default: AWS for the region)")
    region: str | None = Field(default=None, description="S3 region (default: boto3's chain, e.g. $AWS_REGION)")
    aws_access_key_id: SecretStr | None = Field(default=None, repr=False, description="optional; else boto3's chain")
    aws_secret_access_key: SecretStr | None = Field(default=None, repr=False, description="optional; else boto3's chain")
    timeout: float = Field(default=120.0, gt=0, description="seconds one image may take in all: upload and OCR call")

    @field_validator("api_url", "s3_endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http(s):// URL, got {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str | None) -> str | None:
        if value is not None and not USER_ID.match(value):
            raise ValueError("may hold only letters, digits, '.', '_' and '-' (it becomes a part of the S3 key)")
        return value

    @model_validator(mode="after")
    def _key_pair(self) -> Any:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ValueError("give both aws_access_key_id and aws_secret_access_key, or neither (boto3's chain)")
        return self


def check(settings: OcrServicesSettings) -> str | None:
    for name in ("api_url", "bucket", "user_id"):
        if not getattr(settings, name):
            return f"needs {name} in [backends.ocrservices]"
    reason = missing_secret_reason(settings, "ocrservices")
    if reason is not None:
        return reason
    for module, dist in (("boto3", "boto3"), ("httpx", "httpx")):
        if importlib.util.find_spec(module) is None:
            return f"{dist} not installed: pip install framescribe-ocrservices"
    return None
