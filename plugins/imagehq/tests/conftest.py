"""A real ImageHQ OCR server on 127.0.0.1 (stdlib http.server) implementing the seed's contract and its failures.

How each job behaves is written in the test image itself: the bytes after the
PNG signature are JSON directives, e.g. ``{"text": "Hi", "delay": 0.3,
"fail": "unreadable"}``, so the images of one concurrent batch can each do
something different. Server-wide failures (429, 500, dropped connections,
malformed JSON) are queued with :meth:`ImageHqServer.fail_next`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe

API_KEY = "ihq-test-key-5f2a9c0d7e1b"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAKE_PLUGIN = Path(__file__).resolve().parents[3] / "tests" / "plugins" / "fake_backends.py"
OPERATIONS = {"extract_text", "extract_text_with_layout"}
REAL_IMAGE_TEXT = "text of a real image"


def directives(content: bytes) -> dict[str, Any]:
    """The JSON after the PNG signature; a real PNG (no JSON) reads as a fixed one-line text with its layout."""
    try:
        spec = json.loads(content[len(PNG_SIGNATURE):] or b"{}")
    except (ValueError, UnicodeDecodeError):
        words = [{"text": t, "box": {"x": 10 + 60 * i, "y": 10, "width": 50, "height": 20}} for i, t in enumerate(REAL_IMAGE_TEXT.split())]
        return {"text": REAL_IMAGE_TEXT, "layout": [{"lines": [{"words": words}]}]}
    return spec if isinstance(spec, dict) else {}


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Job:
    def __init__(self, job_id: str, spec: dict[str, Any], request: dict[str, Any], filename: str, size: int) -> None:
        self.id = job_id
        self.spec = spec
        self.request = request
        self.filename = filename
        self.size = size
        self.created = time.monotonic()
        self.created_at = datetime.now(UTC)
        self.expires_at = self.created_at + timedelta(seconds=float(spec.get("expires_in", 86400)))
        self.finished = False  # the client has seen the terminal state

    def elapsed(self) -> float:
        return time.monotonic() - self.created

    def record(self, base: str) -> dict[str, Any]:
        delay = float(self.spec.get("delay", 0.05))
        t = self.elapsed()
        common = {"id": self.id, "expires_at": iso(self.expires_at), "created_at": iso(self.created_at),
                  "client_reference_id": self.request.get("client_reference_id"), "operation": "ocr",
                  "tool_slug": self.request.get("tool_slug")}
        if t < delay * 0.3:
            return {**common, "status": "queued", "current_stage": "queued", "progress": 0, "poll_url": f"{base}/v1/jobs/{self.id}",
                    "stages": [{"name": "queued", "progress": 0, "status": "running"}]}
        if t < delay:
            pct = int(100 * t / delay)
            return {**common, "status": "running", "current_stage": "processing", "progress": pct,
                    "poll_url": f"{base}/v1/jobs/{self.id}",
                    "stages": [{"name": "queued", "progress": 100, "status": "succeeded"},
                               {"name": "processing", "progress": pct, "status": "running"}]}
        if "fail" in self.spec:
            error = self.spec["fail"]
            return {**common, "status": "failed", "progress": 100, "error": error,
                    "stages": [{"name": "queued", "progress": 100, "status": "succeeded"},
                               {"name": "processing", "progress": 100, "status": "failed"}]}
        if self.spec.get("expire"):
            return {**common, "status": "expired", "progress": 40, "reason": "job expired in the queue after its time-to-live"}
        if self.spec.get("hang"):
            return {**common, "status": "running", "current_stage": "processing", "progress": 50, "poll_url": f"/v1/jobs/{self.id}"}
        result: dict[str, Any] = {"confidence": self.spec.get("confidence", 0.91)}
        if not self.spec.get("omit_text"):
            result["text"] = self.spec.get("text", "")
        if self.spec.get("inline_layout") and self.request["operation"] == "extract_text_with_layout":
            result["blocks"] = self.spec["layout"]
        download = f"/v1/jobs/{self.id}/download"
        if self.spec.get("download_host"):
            download = f"{self.spec['download_host']}{download}"
        fmt = self.request["options"].get("output_format", "txt")
        return {**common, "status": "succeeded", "progress": 100, "download_url": download,
                "completed_at": iso(self.created_at + timedelta(seconds=delay)),
                "inputs": [{"filename": self.filename, "format": "png", "mime_type": "image/png", "size_bytes": self.size}],
                "outputs": [{"filename": f"output.{fmt}", "format": fmt, "id": "0",
                             "mime_type": "application/json" if fmt == "json" else "text/plain", "size_bytes": 10}],
                "result_json": result,
                "retention_policy": {"clamp": True, "ttl_hours": self.spec.get("ttl_hours", 24)},
                "stages": [{"name": "queued", "progress": 100, "status": "succeeded"},
                           {"name": "processing", "progress": 100, "status": "succeeded"}],
                "warnings": self.spec.get("warnings", [])}


class ImageHqServer:
    """The fake service: state, a log of requests, and knobs for failures."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.requests: list[dict[str, Any]] = []
        self.failures: deque[tuple[str, str]] = deque()  # (kind, path prefix)
        self.lock = threading.Lock()
        self.active: set[str] = set()
        self.peak_active = 0
        self.submitted: list[dict[str, Any]] = []
        self.auth = ("Authorization", f"Bearer {API_KEY}")  # the header and value the server expects
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, kind: str, times: int = 1, path: str = "/") -> None:
        """Answer the next ``times`` requests under ``path`` with: 429, 500, drop, malformed."""
        with self.lock:
            self.failures.extend([(kind, path)] * times)

    def take_failure(self, path: str) -> str | None:
        with self.lock:
            for i, (kind, prefix) in enumerate(self.failures):
                if path.startswith(prefix):
                    del self.failures[i]
                    return kind
        return None

    def new_job(self, spec: dict[str, Any], request: dict[str, Any], filename: str, size: int) -> Job:
        with self.lock:
            job = Job(f"job_{len(self.jobs) + 1}", spec, request, filename, size)
            self.jobs[job.id] = job
            self.active.add(job.id)
            self.peak_active = max(self.peak_active, len(self.active))
            return job

    def job_seen_final(self, job: Job) -> None:
        with self.lock:
            self.active.discard(job.id)


def make_handler(server: ImageHqServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def error(self, status: int, code: str, message: str) -> None:
            self.send_json(status, {"error": {"code": code, "message": message}})

        def injected_failure(self) -> bool:
            kind = server.take_failure(self.path)
            if kind is None:
                return False
            if kind == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
            elif kind == "429":
                self.send_json(429, {"error": {"code": "rate_limited", "message": "slow down"}}, {"Retry-After": "1"})
            elif kind == "500":
                self.error(500, "internal", "internal error")
            elif kind == "malformed":
                data = b"<html>502 Bad Gateway</html>"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            return True

        def authorized(self) -> bool:
            name, value = server.auth
            if self.headers.get(name) == value:
                return True
            self.error(401, "unauthorized", "missing or invalid API key")
            return False

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            body = self.body()
            server.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers)})
            if self.injected_failure():
                return
            if self.path != "/v1/ocr":
                self.error(404, "not_found", "no such endpoint")
                return
            if not self.authorized():
                return
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("multipart/form-data"):
                self.error(415, "unsupported_media_type", "send multipart/form-data")
                return
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + body)
            fields: dict[str, list[tuple[str | None, bytes]]] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                fields.setdefault(str(name), []).append((part.get_filename(), payload if isinstance(payload, bytes) else b""))
            try:
                request = json.loads(fields["request"][0][1])
            except (KeyError, ValueError):
                self.error(400, "invalid_request", "the request field must be JSON")
                return
            if "files[]" not in fields:
                self.error(400, "invalid_request", "files[] is required")
                return
            if request.get("operation") not in OPERATIONS or not isinstance(request.get("options"), dict):
                self.error(422, "invalid_request", f"unsupported operation {request.get('operation')!r}")
                return
            filename, content = fields["files[]"][0]
            if not content.startswith(PNG_SIGNATURE):
                self.error(415, "unsupported_format", "the file is not a supported image format")
                return
            spec = directives(content)
            server.submitted.append({"request": request, "filename": filename})
            job = server.new_job(spec, request, filename or "", len(content))
            queued = {"client_reference_id": request.get("client_reference_id"), "created_at": iso(job.created_at),
                      "current_stage": "queued", "expires_at": iso(job.expires_at), "id": job.id, "operation": "ocr",
                      "poll_url": f"{spec.get('poll_host', '')}/v1/jobs/{job.id}", "progress": 0, "status": "queued",
                      "tool_slug": request.get("tool_slug")}
            self.send_json(202, queued)

        def do_GET(self) -> None:
            server.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
            if self.injected_failure():
                return
            parts = self.path.strip("/").split("/")
            job = server.jobs.get(parts[2]) if len(parts) >= 3 and parts[:2] == ["v1", "jobs"] else None
            if job is None:
                self.error(404, "not_found", "no such job")
                return
            if len(parts) == 4 and parts[3] == "download":
                self.download(job)
                return
            if not self.authorized():
                return
            if job.spec.get("poll_malformed"):
                data = b'{"id": "job_1", "status": '
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            record = job.record("")
            if record["status"] in ("succeeded", "failed", "expired"):
                server.job_seen_final(job)
            self.send_json(200, record)

        def download(self, job: Job) -> None:
            host = job.spec.get("download_host")
            if not host and not self.authorized():
                return
            if job.spec.get("download_gone") or datetime.now(UTC) >= job.expires_at:
                self.error(410, "gone", "the outputs of this job have expired")
                return
            if job.request["operation"] == "extract_text_with_layout":
                self.send_json(200, {"text": job.spec.get("text", ""), "blocks": job.spec.get("layout", [])})
                return
            data = job.spec.get("text", "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def imagehq() -> Iterator[ImageHqServer]:
    server = ImageHqServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(server))
    httpd.daemon_threads = True
    server.httpd = httpd
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    """A test image whose trailing JSON tells the fake server how to behave."""

    def make(name: str = "page.png", **spec: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(PNG_SIGNATURE + json.dumps(spec).encode())
        return path

    return make


@pytest.fixture
def settings_for(imagehq: ImageHqServer) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        return {"api_url": imagehq.url, "api_key": API_KEY, "poll_interval": 0.02, "timeout": 10, "max_retries": 2,
                **overrides}

    return make


@pytest.fixture
def make_fs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Framescribe]]:
    """A Framescribe with only this plugin (and the fake backends file) loaded."""
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "imagehq")
    monkeypatch.delenv("IMAGEHQ_API_KEY", raising=False)
    made: list[Framescribe] = []

    def make(settings: dict[str, Any], chain: list[str] | None = None) -> Framescribe:
        config: dict[str, Any] = {"backends": {"imagehq": settings}}
        if chain is not None:
            config["capabilities"] = {"image_ocr": chain}
        fs = Framescribe(config, plugins=[str(FAKE_PLUGIN)], use_cache=False)
        made.append(fs)
        return fs

    yield make
    for fs in made:
        fs.state.close()
    sys.modules.pop("framescribe_extra_fake_backends", None)
