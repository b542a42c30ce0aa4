"""The Twelve Labs v1.2 endpoints this backend uses, over one shared :class:`framescribe.http.HttpClient`.

* ``POST /tasks`` (multipart: ``index_id``, ``language``, ``video_file`` or
  ``video_url``, optionally ``provide_transcription`` + ``transcription_file``)
  -> ``{"_id": task id}``;
* ``GET /tasks/{id}`` -> the task object: ``status`` (validating, pending,
  queued, indexing, ready, failed), ``estimated_time``, ``video_id``, ``metadata``;
* ``GET /indexes/{index}/videos/{video}/transcription`` and ``/text-in-video``,
  with ``start``/``end`` query parameters -> ``{"data": [{"start", "end", "value"}]}``.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from framescribe import BackendError, Segment
from framescribe.http import HttpClient, require

from . import NAME
from .settings import TwelveLabsSettings

# Per-request limit; the whole job is bounded by the ``timeout`` setting instead.
REQUEST_TIMEOUT = 60.0
PENDING_STATUSES = ("validating", "pending", "queued", "indexing")
FINAL_STATUSES = ("ready", "failed")
Kind = Literal["transcription", "text-in-video"]

_clients: dict[tuple[str, str, float, int], HttpClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: TwelveLabsSettings) -> HttpClient:
    """The plugin's one HTTP client for these settings, made on first use and reused after."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    # The key itself stays out of the cache key, so no dict repr can show it.
    cache_key = (settings.api_url, hashlib.sha256(key.encode()).hexdigest(), settings.timeout, settings.max_retries)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = HttpClient(
                settings.api_url.rstrip("/") + "/",
                backend=NAME,
                headers={"x-api-key": key, "accept": "application/json"},
                timeout=min(settings.timeout, REQUEST_TIMEOUT),
                max_retries=settings.max_retries,
                secrets=[key],
            )
            _clients[cache_key] = client
        return client


@atexit.register
def close_clients() -> None:
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def create_task(
    client: HttpClient,
    *,
    index_id: str,
    language: str,
    video: Path | None = None,
    video_url: str | None = None,
    transcript: Path | None = None,
) -> str:
    """Start indexing ``video`` (streamed from disk) or ``video_url``; return the task id."""
    if (video is None) == (video_url is None):
        raise ValueError("give exactly one of video and video_url")
    data: dict[str, str] = {"index_id": index_id, "language": language}
    if video_url is not None:
        data["video_url"] = video_url
    with ExitStack() as stack:
        files: list[tuple[str, tuple[str | None, Any, str]]] = []
        if video is not None:
            files.append(("video_file", (video.name, stack.enter_context(open(video, "rb")), "application/octet-stream")))
        if transcript is not None:
            data["provide_transcription"] = "true"
            files.append(("transcription_file",
                          (transcript.name, stack.enter_context(open(transcript, "rb")), "application/octet-stream")))

        def rewind() -> None:  # a retried upload must send the files from their start again
            for _, (_, handle, _) in files:
                if hasattr(handle, "seek"):
                    handle.seek(0)

        if not files:
            # The endpoint takes multipart only; (None, value) parts make httpx send that without a file.
            files = [(name, (None, value, "text/plain")) for name, value in data.items()]
            data = {}
        task = client.json("POST", "/tasks", data=data, files=files, rewind=rewind)
    return str(require(task, "_id", NAME, str))


def get_task(client: HttpClient, task_id: str) -> dict[str, Any]:
    task = client.json("GET", f"/tasks/{task_id}")
    status = require(task, "status", NAME, str)
    if status == "ready":
        require(task, "video_id", NAME, str)
    return dict(task)


def failure_reason(task: dict[str, Any]) -> str:
    """The server's words for a ``failed`` task.

    The v1.2 docs name no field for it, so the usual places are read in turn:
    ``error`` (a string or a ``{"code", "message"}`` object), ``message``, ``reason``.
    """
    for key in ("error", "message", "reason", "error_message"):
        value = task.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            code = value.get("code")
            return f"{value['message']} ({code})" if isinstance(code, str) else str(value["message"])
    return "the server gave no reason"


def get_segments(client: HttpClient, index_id: str, video_id: str, kind: Kind,
                 start: float | None, end: float | None) -> list[Segment]:
    params = {k: f"{v:g}" for k, v in (("start", start), ("end", end)) if v is not None}
    body = client.json("GET", f"/indexes/{index_id}/videos/{video_id}/{kind}", params=params)
    if not isinstance(body, dict):
        raise BackendError(f"{NAME}: unexpected {kind} response: not a JSON object")
    data = body.get("data")
    if data is None:  # a video with no speech or no text
        return []
    if not isinstance(data, list):
        raise BackendError(f"{NAME}: unexpected {kind} response: 'data' is not a list")
    segments = []
    for item in data:
        try:
            seg_start, seg_end, value = float(item["start"]), float(item["end"]), item["value"]
        except (TypeError, KeyError, ValueError):
            raise BackendError(f"{NAME}: unexpected {kind} response: an item lacks numeric start/end or value: {str(item)[:80]}") from None
        if not isinstance(value, str):
            raise BackendError(f"{NAME}: unexpected {kind} response: value is not text: {str(item)[:80]}")
        if value.strip():
            # Transcription values come with a leading space, e.g. " Big stick,".
            segments.append(Segment(seg_start, max(seg_start, seg_end), value.strip()))
    segments.sort(key=lambda s: (s.start, s.end))
    return segments
