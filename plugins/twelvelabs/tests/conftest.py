"""A real HTTP server on 127.0.0.1 speaking the Twelve Labs v1.2 API of the seeds, plus test videos.

The server implements ``POST /tasks`` (multipart), ``GET /tasks/{id}`` and
``GET /indexes/{index}/videos/{video}/transcription|text-in-video`` with the
``start``/``end`` query parameters, answering with the seeds' example payloads
(shared/seeds 000, 001, 003). Failure modes are queued per endpoint with
:meth:`FakeTwelveLabs.fault`; every request is recorded for assertions.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.formats import read_timed_text
from framescribe.media import ffmpeg_exe
from framescribe.testing.loopback import LoopbackServer, Recorded, Reply, free_port

API_KEY = "tlk_TEST0SECRET0KEY0f3a9c1e77d2"
INDEX_ID = "629deb409ea24f052b971993"  # the index of the seeds' examples
SEED_VIDEO_ID = "6391c8a669ff3402ec515aba"  # already indexed on the server (seed 003's video_id)

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


class FakeTwelveLabs:
    """The server's state and knobs; ``url`` is the base URL (version included)."""

    api_key = API_KEY
    index_id = INDEX_ID
    seed_video_id = SEED_VIDEO_ID
    seed_text_in_video = SEED_TEXT_IN_VIDEO
    seed_transcription = SEED_TRANSCRIPTION

    def __init__(self, http: LoopbackServer) -> None:
        self.http = http
        self.tasks: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {SEED_VIDEO_ID: {"index_id": INDEX_ID, "transcript": None}}
        # Each GET of a task moves it one status on; "ready" (or "failed") ends it.
        self.statuses = ["validating", "pending", "queued", "indexing"]
        self.fail_reason: str | None = None
        self.echo_key_in_errors = False
        self._lock = threading.Lock()
        self._next_id = 0
        self.url = f"{http.url}/v1.2"
        http.route("*", "/", self.serve)

    # -- knobs ----------------------------------------------------------------

    def fault(self, method: str, path_prefix: str, kind: str, times: int = 1, *, status: int = 500, body: Any = None,
              headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_prefix`` with a failure.

        Kinds: ``status`` (``status``, ``body``, ``headers``), ``drop``, ``malformed``, ``truncated``
        (JSON cut short), ``slow`` (the normal answer after ``delay`` seconds).
        """
        reply: Reply | Callable[[Recorded], Reply]
        if kind == "slow":
            def reply(rec: Recorded) -> Reply:
                time.sleep(delay)
                return self.serve(rec)
        elif kind == "status":
            reply = Reply.json(status, body or {"code": "internal_error", "message": "Internal error."}, headers)
        else:
            reply = {"drop": Reply.drop(), "malformed": Reply.malformed(body=b"<html>Bad gateway</html>"),
                     "truncated": Reply(200, b'{"_id": "62aff6da154f59c87660ce9a", "data": [{"end": 28')}[kind]
        if isinstance(reply, Reply):
            reply.delay = delay
        self.http.script(method, path_prefix, reply, times=times)

    # -- views for assertions -------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        return self.http.requests

    def calls(self, method: str, path_prefix: str = "") -> list[Recorded]:
        return self.http.calls(method, path_prefix)

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

    def serve(self, rec: Recorded) -> Reply:
        if rec.method == "POST" and rec.header("content-length") is None:
            return Reply.json(411, {"code": "length_required", "message": "Content-Length is required."})
        key = rec.header("x-api-key")
        if key != API_KEY:
            message = "API Key is either invalid or expired. Please check your API key or generate a new one."
            if self.echo_key_in_errors:
                message = f"API key {key} is invalid or expired."
            return Reply.json(401, {"code": "api_key_invalid", "message": message})
        segs = rec.path.split("/")
        # /v1.2/tasks, /v1.2/tasks/{id}, /v1.2/indexes/{index}/videos/{video}/{kind}
        if rec.method == "POST" and segs[2:] == ["tasks"]:
            return Reply.json(*self.create_task(rec))
        if rec.method == "GET" and len(segs) == 4 and segs[2] == "tasks":
            return Reply.json(*self.task_view(segs[3]))
        if (rec.method == "GET" and len(segs) == 7 and segs[2] == "indexes" and segs[4] == "videos"
                and segs[6] in ("transcription", "text-in-video")):
            return Reply.json(*self.segments(segs[3], segs[5], segs[6], rec.query))
        return Reply.json(404, {"code": "not_found", "message": f"no route {rec.method} {rec.path}"})


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@pytest.fixture
def server(framescribe_http_server: LoopbackServer, tmp_path: Path) -> FakeTwelveLabs:
    api = FakeTwelveLabs(framescribe_http_server)
    api.tmpdir = str(tmp_path)
    return api


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWELVE_LABS_API_KEY", API_KEY)


def settings_for(server: FakeTwelveLabs, **overrides: Any) -> dict[str, Any]:
    """``[backends.twelvelabs]`` for the test server: small poll interval and timeouts so tests stay fast."""
    return {"api_url": server.url, "index_id": INDEX_ID, "poll_interval": 0.01, "timeout": 20.0, "max_retries": 2,
            **overrides}


@pytest.fixture
def make_fs(server: FakeTwelveLabs, fake_plugin: str) -> Any:
    """Framescribe(config=...) against the test server; ``chain`` names backends tried in order."""

    def make(chain: tuple[str, ...] = ("twelvelabs",), use_cache: bool = False, **overrides: Any) -> Framescribe:
        config = {
            "capabilities": {"transcribe": list(chain), "video_text": list(chain)},
            "backends": {"twelvelabs": settings_for(server, **overrides)},
        }
        return Framescribe(config=config, plugins=[fake_plugin], use_cache=use_cache)

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
    return f"http://127.0.0.1:{free_port()}/v1.2"
