"""Real servers on 127.0.0.1 for the ocrservices tests: S3 (moto in server mode) and an OCR Services API.

The OCR server implements the seed's contract: ``POST /api/ocr/process`` with
``X-API-Key`` and ``{"key": ...}``; it reads the object from the S3 server
(so a test passes only if the upload really happened) and answers with the
documented record or ``{"error": ...}``. The text it "recognises" is the JSON
written after the PNG signature of the test image, e.g. ``{"text": "Hi"}``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from framescribe import Framescribe
from framescribe.testing import loopback
from framescribe.testing.loopback import LoopbackServer, LoopbackService, Recorded, Reply, s3_server

API_KEY = "ocrs-test-key-8d41c2e7b3"
AWS_KEY_ID = "AKIATESTKEYID4OCRS"
AWS_SECRET = "s3cret-aws-test-value-91f0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEY_FORMAT = re.compile(r"^ocr/[A-Za-z0-9_-]+/[A-Za-z0-9._-]+\.(png|jpe?g|gif|bmp|tiff?|webp)$")


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(autouse=True)
def _no_host_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3 must see only what a test gives it: no ~/.aws, no instance metadata, no ambient keys."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION",
                 "AWS_REGION", "OCR_SERVICES_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def s3_client(s3_url: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                        aws_access_key_id=AWS_KEY_ID, aws_secret_access_key=AWS_SECRET)


@pytest.fixture(scope="session")
def s3(s3_url: str) -> Any:
    """A boto3 client of the loopback S3, to set up and look at what the backend stored."""
    return s3_client(s3_url)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"ocr-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


class OcrServer(LoopbackService):
    """State and failure knobs of the fake OCR Services API, on a loopback server that logs every request."""

    def __init__(self, http: LoopbackServer, s3: Any, bucket: str) -> None:
        super().__init__(http)
        self.s3 = s3
        self.bucket = bucket
        self.tokens = 1000
        self.no_text = 0  # answers still to send without their "text" field
        http.route("POST", "/", self.process)

    def fail_next(self, kind: str, times: int = 1) -> None:
        """Answer the next ``times`` requests with: 429, 500, 500-now, drop, malformed, no_text."""
        if kind == "no_text":
            self.no_text += times
        else:
            self.http.script("POST", "/", FAILURES[kind], times=times)

    def process(self, request: Recorded) -> Reply:
        if request.path != "/api/ocr/process":
            return Reply.json(404, {"error": "Not found"})
        if request.header("X-API-Key") != API_KEY:
            return Reply.json(401, {"error": "Invalid API key"})
        try:
            key = request.json()["key"]
        except (ValueError, KeyError, TypeError):
            return Reply.json(400, {"error": "Missing or malformed field: key"})
        if not isinstance(key, str) or not KEY_FORMAT.match(key):
            return Reply.json(400, {"error": "Invalid file key format"})
        if self.tokens <= 0:
            return Reply.json(402, {"error": "Insufficient token balance"})
        try:
            content = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return Reply.json(404, {"error": f"File not found: {key}"})
        try:
            spec = json.loads(content[len(PNG_SIGNATURE):] or b"{}")
        except (ValueError, UnicodeDecodeError):  # a real image: no directives
            spec = {"text": "text of a real image"}
        if "error" in spec:  # the service's documented error shape, sent with 200
            return Reply.json(200, {"error": spec["error"]})
        text = spec.get("text", "")
        self.tokens -= 1
        record = {"id": f"ocr-{len(self.requests)}", "text": text, "key": key,
                  "fileUrl": f"https://storage.example.invalid/{self.bucket}/{key}",
                  "createdAt": "2026-11-23T10:30:00Z", "wordCount": spec.get("wordCount", len(text.split())),
                  "tokensUsed": 3, "language": spec.get("language", "en")}
        if self.no_text:
            self.no_text -= 1
            del record["text"]
        return Reply.json(200, record)


FAILURES = {
    "drop": Reply.drop(),
    "429": Reply.json(429, {"error": "Too many requests"}, {"Retry-After": "1"}),
    "500": Reply.json(500, {"error": "Internal server error"}),
    "500-now": Reply.json(500, {"error": "Internal server error"}, {"Retry-After": "0"}),  # also says: retry at once
    "malformed": Reply.malformed(body=b"<html>upstream timed out</html>"),
}


@pytest.fixture
def ocr_server(framescribe_http_server: LoopbackServer, s3: Any, bucket: str) -> OcrServer:
    return OcrServer(framescribe_http_server, s3, bucket)


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "receipt.png", **spec: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG_SIGNATURE + json.dumps(spec).encode())
        return path

    return make


@pytest.fixture
def settings_for(ocr_server: OcrServer, s3_url: str, bucket: str) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        return {"api_url": ocr_server.url, "api_key": API_KEY, "bucket": bucket, "user_id": "user-1", "s3_endpoint_url": s3_url,
                "region": "us-east-1", "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET, **overrides}

    return make


@pytest.fixture
def make_fs(framescribe_factory: Callable[..., Framescribe], fake_plugin: str) -> Callable[..., Framescribe]:
    """A Framescribe with only this plugin (and the fake backends file) loaded."""

    def make(settings: dict[str, Any], chain: list[str] | None = None) -> Framescribe:
        config: dict[str, Any] = {"backends": {"ocrservices": settings}}
        if chain is not None:
            config["capabilities"] = {"image_ocr": chain}
        return framescribe_factory(config, only=["ocrservices"], plugins=[fake_plugin])

    return make


@pytest.fixture
def free_port() -> int:
    """A port that was just free: nothing listens there."""
    return loopback.free_port()
