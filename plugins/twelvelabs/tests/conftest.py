"""A real HTTP server on 127.0.0.1 speaking the Twelve Labs v1.2 API of the seeds, plus test videos.

The server implements ``POST /tasks`` (multipart), ``GET /tasks/{id}`` and
``GET /indexes/{index}/videos/{video}/transcription|text-in-video`` with the
``start``/``end`` query parameters, answering with the seeds' example payloads
(shared/seeds 000, 001, 003). Failure modes are queued per endpoint with
:meth:`FakeTwelveLabs.fault`; every request is recorded for assertions.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from framescribe import Framescribe
from framescribe.formats import read_timed_text
from framescribe.media import ffmpeg_exe

API_KEY = "tlk_TEST0SECRET0KEY0f3a9c1e77d2"
INDEX_ID = "629deb409ea24f052b971993"  # the index of the seeds' examples
SEED_VIDEO_ID = "6391c8a669ff3402ec515aba"  # already indexed on the server (seed 003's video_id)
FAKE_PLUGIN = Path(__file__).resolve().parents[3] / "tests" / "plugins" / "fake_backends.py"

# Seed 000 (text-in-video) and seed 001 (transcription) example "data".
SEED_TEXT_IN_VIDEO: list[dict[str, Any]] = [
    {"end": 77, "start": 76, "value": "DID YOU GET THAT ON VIDEO?"},
    {"end": 79, "start": 78, "value": "YEAH"},
    {"end": 102, "start": 101, "value": "ALRIGHTY HERE WE GO"},
    {"end": 295, "start": 294, "value": "GOT LIKE A BIG STICK OR SOMETHING"},
]
SEED_TRANSCRIPTION: list[dict[str, Any]] = [
    {"end": 287.05, "start": 280.94, "value": " Oh I'm so glad I was recording it."},
    {"end": 295.66, "start": 287.44, "value": " Ah ha ha ha got like a big stick or something."},
    {"end": 299.85, "start": 299.04, "value": " Big stick,"},
    {"end": 302.81, "start": 301.54, "value": " it's heavy whatever it is."},
    {"end": 309.11, "start": 306.55, "value": " Ah that is not a stick."},
    {"end": 313.86, "start": 309.12, "value": " Oh my God that's not a stick at all."},
]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    client: str
    at: float
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class Fault:
    kind: str  # status | drop | malformed | truncated | slow
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeTwelveLabs:
    """The server's state and knobs; ``url`` is the base URL (version included)."""

    api_key = API_KEY
    index_id = INDEX_ID
    seed_video_id = SEED_VIDEO_ID
    seed_text_in_video = SEED_TEXT_IN_VIDEO
    seed_transcription = SEED_TRANSCRIPTION

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {SEED_VIDEO_ID: {"index_id": INDEX_ID, "transcript": None}}
        # Each GET of a task moves it one status on; "ready" (or "failed") ends it.
        self.statuses = ["validating", "pending", "queued", "indexing"]
        self.fail_reason: str | None = None
        self.echo_key_in_errors = False
        self._faults: list[tuple[str, str, Fault]] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self.url = ""

    # -- knobs ----------------------------------------------------------------

    def fault(self, method: str, path_prefix: str, kind: str, times: int = 1, **kw: Any) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_prefix`` with a failure."""
        with self._lock:
            self._faults.extend((method, path_prefix, Fault(kind, **kw)) for _ in range(times))

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for i, (m, prefix, f) in enumerate(self._faults):
                if m == method and path.startswith(prefix):
                    del self._faults[i]
                    return f
        return None

    # -- views for assertions -------------------------------------------------

    def calls(self, method: str, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    @property
    def uploads(self) -> list[Recorded]:
        """Accepted uploads (a POST /tasks the server created a task for)."""
        return [r for r in self.calls("POST", "/v1.2/tasks") if r.fields.get("_created")]

    # -- the API ----------------------------------------------------------------

    def new_id(self) -> str:
        with self._lock:
            self._next_id += 1
            return f"{self._next_id:024x}"

    def create_task(self, rec: Recorded) -> tuple[int, Any]:
        if rec.fields.get("index_id") != INDEX_ID:
            return 400, {"code": "parameter_invalid", "message": "The index_id parameter is invalid."}
        if "video_file" not in rec.files and "video_url" not in rec.fields:
            return 400, {"code": "parameter_not_provided", "message": "The video_file parameter is required but was not provided."}
        transcript = None
        if rec.fields.get("provide_transcription") == "true":
            if "transcription_file" not in rec.files:
                return 400, {"code": "parameter_not_provided", "message": "The transcription_file parameter is required."}
            transcript = rec.files["transcription_file"]
        task_id = self.new_id()
        filename = rec.files["video_file"][0] if "video_file" in rec.files else rec.fields["video_url"].rsplit("/", 1)[-1]
        self.tasks[task_id] = {"polls": 0, "transcript": transcript, "filename": filename,
                               "created_at": datetime.now(UTC)}
        rec.fields["_created"] = task_id
        return 201, {"_id": task_id}

    def task_view(self, task_id: str) -> tuple[int, Any]:
        task = self.tasks.get(task_id)
        if task is None:
            return 404, {"code": "resource_not_exist", "message": f"Resource with id {task_id} does not exist in tasks."}
        polls = task["polls"]
        task["polls"] += 1
        created: datetime = task["created_at"]
        body: dict[str, Any] = {
            "_id": task_id, "index_id": INDEX_ID, "type": "index_task_info",
            "created_at": _iso(created), "updated_at": _iso(datetime.now(UTC)),
            "estimated_time": _iso(datetime.now(UTC) + timedelta(seconds=30)),
            "metadata": {"filename": task["filename"]},
        }
        if polls < len(self.statuses):
            body["status"] = self.statuses[polls]
        elif self.fail_reason is not None:
            body["status"] = "failed"
            body["error"] = {"code": "video_file_broken", "message": self.fail_reason}
        else:
            video_id = task.setdefault("video_id", self.new_id())
            self.videos.setdefault(video_id, {"index_id": INDEX_ID, "transcript": task["transcript"]})
            body["status"] = "ready"
            body["video_id"] = video_id
        return 200, body

    def segments(self, index_id: str, video_id: str, kind: str, query: dict[str, str]) -> tuple[int, Any]:
        video = self.videos.get(video_id)
        if index_id != INDEX_ID or video is None:
            return 404, {"code": "resource_not_exist", "message": f"Resource with id {video_id} does not exist in videos."}
        data: list[dict[str, Any]]
        if kind == "transcription" and video["transcript"] is not None:
            # The user's own transcript, as the platform would return it.
            name, content = video["transcript"]
            tmp = Path(self.tmpdir) / name
            tmp.write_bytes(content)
            data = [{"start": s.start, "end": s.end, "value": " " + s.value} for s in read_timed_text(tmp).segments]
        else:
            data = SEED_TRANSCRIPTION if kind == "transcription" else SEED_TEXT_IN_VIDEO
        lo = float(query.get("start", 0))
        hi = float(query.get("end", "inf"))
        data = [d for d in data if d["end"] > lo and d["start"] < hi]
        return 200, {"_id": video_id, "index_id": index_id, "data": data}

    tmpdir = ""


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _handler(api: FakeTwelveLabs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            rec = Recorded(method, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                           {k.lower(): v for k, v in self.headers.items()}, self.client_address[0], time.monotonic())
            body = b""
            if method == "POST":
                length = self.headers.get("Content-Length")
                if length is None:
                    return self._send(411, {"code": "length_required", "message": "Content-Length is required."})
                body = self.rfile.read(int(length))
                if self.headers.get_content_type() == "multipart/form-data":
                    _parse_multipart(self.headers["Content-Type"], body, rec)
            api.requests.append(rec)
            fault = api.take_fault(method, parts.path)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.kind == "drop":
                    self.close_connection = True
                    return
                if fault.kind == "malformed":
                    return self._send_raw(200, b"<html>Bad gateway</html>", "application/json")
                if fault.kind == "truncated":
                    return self._send_raw(200, b'{"_id": "62aff6da154f59c87660ce9a", "data": [{"end": 28', "application/json")
                if fault.kind == "status":
                    return self._send(fault.status, fault.body or {"code": "internal_error", "message": "Internal error."},
                                      fault.headers)
            key = self.headers.get("x-api-key")
            if key != API_KEY:
                message = "API Key is either invalid or expired. Please check your API key or generate a new one."
                if api.echo_key_in_errors:
                    message = f"API key {key} is invalid or expired."
                return self._send(401, {"code": "api_key_invalid", "message": message})
            segs = parts.path.split("/")
            # /v1.2/tasks, /v1.2/tasks/{id}, /v1.2/indexes/{index}/videos/{video}/{kind}
            if method == "POST" and segs[2:] == ["tasks"]:
                return self._send(*api.create_task(rec))
            if method == "GET" and len(segs) == 4 and segs[2] == "tasks":
                return self._send(*api.task_view(segs[3]))
            if (method == "GET" and len(segs) == 7 and segs[2] == "indexes" and segs[4] == "videos"
                    and segs[6] in ("transcription", "text-in-video")):
                return self._send(*api.segments(segs[3], segs[5], segs[6], rec.query))
            return self._send(404, {"code": "not_found", "message": f"no route {method} {parts.path}"})

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _send_raw(self, status: int, raw: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _parse_multipart(content_type: str, body: bytes, rec: Recorded) -> None:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is not None:
            rec.files[str(name)] = (filename, payload)
        else:
            rec.fields[str(name)] = payload.decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeTwelveLabs]:
    api = FakeTwelveLabs()
    api.tmpdir = str(tmp_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1.2"
    try:
        yield api
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWELVE_LABS_API_KEY", API_KEY)


def settings_for(server: FakeTwelveLabs, **overrides: Any) -> dict[str, Any]:
    """``[backends.twelvelabs]`` for the test server: small poll interval and timeouts so tests stay fast."""
    return {"api_url": server.url, "index_id": INDEX_ID, "poll_interval": 0.01, "timeout": 20.0, "max_retries": 2,
            **overrides}


@pytest.fixture
def make_fs(server: FakeTwelveLabs) -> Any:
    """Framescribe(config=...) against the test server; ``chain`` names backends tried in order."""

    def make(chain: tuple[str, ...] = ("twelvelabs",), use_cache: bool = False, **overrides: Any) -> Framescribe:
        config = {
            "capabilities": {"transcribe": list(chain), "video_text": list(chain)},
            "backends": {"twelvelabs": settings_for(server, **overrides)},
        }
        return Framescribe(config=config, plugins=[str(FAKE_PLUGIN)], use_cache=use_cache)

    return make


def _ffmpeg(out: Path, size: str, seconds: float) -> Path:
    # lavfi test sources: a moving test pattern and a tone, so the files are real, playable videos.
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "mpeg4", "-q:v", "12", "-c:a", "aac", "-b:a", "32k", "-shortest", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    return out


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``ok``: 640x360, 11 s (inside the API's limits); ``bad``: 320x240, 4 s (outside both)."""
    root = tmp_path_factory.mktemp("twelvelabs-media")
    return {"ok": _ffmpeg(root / "clip-360p.mp4", "640x360", 11), "bad": _ffmpeg(root / "tiny-240p.mp4", "320x240", 4)}


@pytest.fixture
def video(videos: dict[str, Path]) -> Path:
    return videos["ok"]


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1.2"
