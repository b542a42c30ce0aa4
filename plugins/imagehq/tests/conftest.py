"""A real ImageHQ OCR server on 127.0.0.1 (stdlib http.server) implementing the seed's contract and its failures.

How each job behaves is written in the test image itself: the bytes after the
PNG signature are JSON directives, e.g. ``{"text": "Hi", "delay": 0.3,
"fail": "unreadable"}``, so the images of one concurrent batch can each do
something different. Server-wide failures (429, 500, dropped connections,
malformed JSON) are queued with :meth:`ImageHqServer.fail_next`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.testing.loopback import LoopbackServer, LoopbackService, Recorded, Reply

API_KEY = "ihq-test-key-5f2a9c0d7e1b"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
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


class ImageHqServer(LoopbackService):
    """The fake service: state, knobs for failures, and the request log of the loopback server it runs on."""

    def __init__(self, http: LoopbackServer) -> None:
        super().__init__(http)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.active: set[str] = set()
        self.peak_active = 0
        self.submitted: list[dict[str, Any]] = []
        self.auth = ("Authorization", f"Bearer {API_KEY}")  # the header and value the server expects
        http.route("POST", "/", self.post)
        http.route("GET", "/", self.get)

    def fail_next(self, kind: str, times: int = 1, path: str = "/") -> None:
        """Answer the next ``times`` requests under ``path`` with: 429, 500, drop, malformed."""
        self.http.script("*", path, FAILURES[kind], times=times)

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

    def authorized(self, request: Recorded) -> bool:
        name, value = self.auth
        return request.header(name) == value

    def post(self, rec: Recorded) -> Reply:
        if rec.path != "/v1/ocr":
            return error(404, "not_found", "no such endpoint")
        if not self.authorized(rec):
            return UNAUTHORIZED
        if not (rec.header("content-type") or "").startswith("multipart/form-data"):
            return error(415, "unsupported_media_type", "send multipart/form-data")
        fields, files = rec.form()
        try:
            request = json.loads(fields["request"])
        except (KeyError, ValueError):
            return error(400, "invalid_request", "the request field must be JSON")
        if "files[]" not in files:
            return error(400, "invalid_request", "files[] is required")
        if request.get("operation") not in OPERATIONS or not isinstance(request.get("options"), dict):
            return error(422, "invalid_request", f"unsupported operation {request.get('operation')!r}")
        filename, content = files["files[]"]
        if not content.startswith(PNG_SIGNATURE):
            return error(415, "unsupported_format", "the file is not a supported image format")
        spec = directives(content)
        self.submitted.append({"request": request, "filename": filename})
        job = self.new_job(spec, request, filename or "", len(content))
        queued = {"client_reference_id": request.get("client_reference_id"), "created_at": iso(job.created_at),
                  "current_stage": "queued", "expires_at": iso(job.expires_at), "id": job.id, "operation": "ocr",
                  "poll_url": f"{spec.get('poll_host', '')}/v1/jobs/{job.id}", "progress": 0, "status": "queued",
                  "tool_slug": request.get("tool_slug")}
        return Reply.json(202, queued)

    def get(self, rec: Recorded) -> Reply:
        parts = rec.path.strip("/").split("/")
        job = self.jobs.get(parts[2]) if len(parts) >= 3 and parts[:2] == ["v1", "jobs"] else None
        if job is None:
            return error(404, "not_found", "no such job")
        if len(parts) == 4 and parts[3] == "download":
            return self.download(rec, job)
        if not self.authorized(rec):
            return UNAUTHORIZED
        if job.spec.get("poll_malformed"):
            return Reply(200, b'{"id": "job_1", "status": ')
        record = job.record("")
        if record["status"] in ("succeeded", "failed", "expired"):
            self.job_seen_final(job)
        return Reply.json(200, record)

    def download(self, rec: Recorded, job: Job) -> Reply:
        host = job.spec.get("download_host")
        if not host and not self.authorized(rec):
            return UNAUTHORIZED
        if job.spec.get("download_gone") or datetime.now(UTC) >= job.expires_at:
            return error(410, "gone", "the outputs of this job have expired")
        if job.request["operation"] == "extract_text_with_layout":
            return Reply.json(200, {"text": job.spec.get("text", ""), "blocks": job.spec.get("layout", [])})
        return Reply.text(200, job.spec.get("text", ""))


def error(status: int, code: str, message: str) -> Reply:
    return Reply.json(status, {"error": {"code": code, "message": message}})


UNAUTHORIZED = error(401, "unauthorized", "missing or invalid API key")
FAILURES = {
    "drop": Reply.drop(),
    "429": Reply.json(429, {"error": {"code": "rate_limited", "message": "slow down"}}, {"Retry-After": "1"}),
    "500": error(500, "internal", "internal error"),
    "malformed": Reply.malformed(),
}


@pytest.fixture
def imagehq(framescribe_http_server: LoopbackServer) -> ImageHqServer:
    return ImageHqServer(framescribe_http_server)


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
def make_fs(framescribe_factory: Callable[..., Framescribe], fake_plugin: str,
            monkeypatch: pytest.MonkeyPatch) -> Callable[..., Framescribe]:
    """A Framescribe with only this plugin (and the fake backends file) loaded."""
    monkeypatch.delenv("IMAGEHQ_API_KEY", raising=False)

    def make(settings: dict[str, Any], chain: list[str] | None = None) -> Framescribe:
        config: dict[str, Any] = {"backends": {"imagehq": settings}}
        if chain is not None:
            config["capabilities"] = {"image_ocr": chain}
        return framescribe_factory(config, only=["imagehq"], plugins=[fake_plugin])

    return make
