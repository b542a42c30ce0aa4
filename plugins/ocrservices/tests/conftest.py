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
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from framescribe import Framescribe

API_KEY = "ocrs-test-key-8d41c2e7b3"
AWS_KEY_ID = "AKIATESTKEYID4OCRS"
AWS_SECRET = "s3cret-aws-test-value-91f0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAKE_PLUGIN = Path(__file__).resolve().parents[3] / "tests" / "plugins" / "fake_backends.py"
KEY_FORMAT = re.compile(r"^ocr/[A-Za-z0-9_-]+/[A-Za-z0-9._-]+\.(png|jpe?g|gif|bmp|tiff?|webp)$")


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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


class OcrServer:
    """State and failure knobs of the fake OCR Services API."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.requests: list[dict[str, Any]] = []
        self.failures: deque[str] = deque()
        self.tokens = 1000
        self.port = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, kind: str, times: int = 1) -> None:
        """Answer the next ``times`` requests with: 429, 500, 500-now, drop, malformed, no_text."""
        self.failures.extend([kind] * times)


def make_handler(server: OcrServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            with server.lock:
                failure = server.failures.popleft() if server.failures else None
            if failure == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if failure == "429":
                self.send_json(429, {"error": "Too many requests"}, {"Retry-After": "1"})
                return
            if failure in ("500", "500-now"):  # "500-now" also says when to retry: at once
                self.send_json(500, {"error": "Internal server error"}, {"Retry-After": "0"} if failure == "500-now" else None)
                return
            if failure == "malformed":
                self.send_json(200, None, raw=b"<html>upstream timed out</html>")
                return
            if self.path != "/api/ocr/process":
                self.send_json(404, {"error": "Not found"})
                return
            if self.headers.get("X-API-Key") != API_KEY:
                self.send_json(401, {"error": "Invalid API key"})
                return
            try:
                key = json.loads(body)["key"]
            except (ValueError, KeyError, TypeError):
                self.send_json(400, {"error": "Missing or malformed field: key"})
                return
            if not isinstance(key, str) or not KEY_FORMAT.match(key):
                self.send_json(400, {"error": "Invalid file key format"})
                return
            if server.tokens <= 0:
                self.send_json(402, {"error": "Insufficient token balance"})
                return
            try:
                content = server.s3.get_object(Bucket=server.bucket, Key=key)["Body"].read()
            except server.s3.exceptions.NoSuchKey:
                self.send_json(404, {"error": f"File not found: {key}"})
                return
            try:
                spec = json.loads(content[len(PNG_SIGNATURE):] or b"{}")
            except (ValueError, UnicodeDecodeError):  # a real image: no directives
                spec = {"text": "text of a real image"}
            if "error" in spec:  # the service's documented error shape, sent with 200
                self.send_json(200, {"error": spec["error"]})
                return
            text = spec.get("text", "")
            server.tokens -= 1
            record = {"id": f"ocr-{len(server.requests)}", "text": text, "key": key,
                      "fileUrl": f"https://storage.example.invalid/{server.bucket}/{key}",
                      "createdAt": "2026-11-23T10:30:00Z", "wordCount": spec.get("wordCount", len(text.split())),
                      "tokensUsed": 3, "language": spec.get("language", "en")}
            if failure == "no_text":
                del record["text"]
            self.send_json(200, record)

    return Handler


@pytest.fixture
def ocr_server(s3: Any, bucket: str) -> Iterator[OcrServer]:
    server = OcrServer(s3, bucket)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


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
def make_fs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Framescribe]]:
    """A Framescribe with only this plugin (and the fake backends file) loaded."""
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "ocrservices")
    made: list[Framescribe] = []

    def make(settings: dict[str, Any], chain: list[str] | None = None) -> Framescribe:
        config: dict[str, Any] = {"backends": {"ocrservices": settings}}
        if chain is not None:
            config["capabilities"] = {"image_ocr": chain}
        fs = Framescribe(config, plugins=[str(FAKE_PLUGIN)], use_cache=False)
        made.append(fs)
        return fs

    yield make
    for fs in made:
        fs.state.close()
    sys.modules.pop("framescribe_extra_fake_backends", None)


@pytest.fixture
def free_port() -> int:
    """A port that was just free: nothing listens there."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
