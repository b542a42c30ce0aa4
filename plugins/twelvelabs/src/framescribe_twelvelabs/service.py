"""One request end to end: find or make the indexed video, then fetch its transcription or text.

Uploads are remembered in the state store (namespace ``twelvelabs.videos``,
key ``{index_id}:{sha256 of the file}``), first with the task id as soon as the
server accepts the upload, then with the video id once indexing is done. So a
second call, or a call for the other capability, skips the upload, and a run
interrupted while the server indexes resumes polling the same task.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framescribe import BackendError, BackendUnavailable, BadInput, RunContext, VideoRequest, VideoResult
from framescribe.backend import ProgressCallback
from framescribe.http import HttpClient, poll
from framescribe.media import MediaInfo, probe

from . import NAME
from .api import FINAL_STATUSES, PENDING_STATUSES, Kind, client_for, create_task, failure_reason, get_segments, get_task
from .settings import TwelveLabsSettings

NAMESPACE = "twelvelabs.videos"
STEPS = (*PENDING_STATUSES, "ready")


def run(kind: Kind, request: VideoRequest, context: RunContext) -> VideoResult:
    settings: TwelveLabsSettings = context.settings
    if not settings.index_id:  # the spec's check says so first; this guards direct calls
        raise BackendUnavailable(f"{NAME}: needs index_id in [backends.{NAME}]")
    deadline = time.monotonic() + settings.timeout
    client = client_for(settings)
    with client.until(deadline):  # upload, indexing and retrieval together end by the timeout
        return _run(kind, request, context, settings, client, deadline)


def _run(kind: Kind, request: VideoRequest, context: RunContext, settings: TwelveLabsSettings, client: HttpClient,
         deadline: float) -> VideoResult:
    assert settings.index_id
    language = request.language or settings.language
    duration: float | None = None
    if request.video_id:
        video_id = request.video_id
        context.log.info("%s: using already indexed video %s", NAME, video_id)
        if request.transcript is not None and kind == "transcription":
            context.log.warning("%s: the transcript is not used with --video-id: the video is indexed already", NAME)
    else:
        if request.media is None:
            raise BadInput("no video given", hint="give a video file, or --video-id of a video already indexed")
        transcript = request.transcript if kind == "transcription" else None
        video_id, duration = index_file(client, settings, context, request.media, language, transcript, deadline)
    context.progress(len(STEPS), len(STEPS), f"fetching {kind}")
    segments = get_segments(client, settings.index_id, video_id, kind, request.start, request.end)
    return VideoResult(segments, language=language, duration=duration,
                       metadata={"video_id": video_id, "index_id": settings.index_id})


def index_file(client: HttpClient, settings: TwelveLabsSettings, context: RunContext, media: Path, language: str,
               transcript: Path | None, deadline: float) -> tuple[str, float | None]:
    """The video id of ``media`` in the index: remembered, resumed, or uploaded now."""
    assert settings.index_id
    key = f"{settings.index_id}:{context.state.digest(media)}"
    transcript_digest = context.state.digest(transcript) if transcript is not None else None
    record = context.state.get(NAMESPACE, key)
    # Any indexing of the file serves, unless the user supplies a transcript it was not indexed with.
    if isinstance(record, dict) and (transcript_digest is None or record.get("transcript") == transcript_digest):
        if isinstance(record.get("video_id"), str):
            context.log.info("%s: %s is already indexed as video %s; not uploading it again", NAME, media.name, record["video_id"])
            return record["video_id"], record.get("duration")
        if isinstance(record.get("task_id"), str):
            resumed = _resume(client, settings, context, key, record, deadline)
            if resumed is not None:
                return resumed, record.get("duration")

    info = probe(media)
    check_limits(info, settings)
    size_mb = media.stat().st_size / 1e6
    context.progress(0, len(STEPS), f"uploading {media.name} ({size_mb:.1f} MB)")
    context.log.info("%s: uploading %s (%.1f MB) to index %s", NAME, media.name, size_mb, settings.index_id)
    task_id = create_task(client, index_id=settings.index_id, language=language, video=media, transcript=transcript)
    record = {"task_id": task_id, "transcript": transcript_digest, "duration": info.duration}
    context.state.set(NAMESPACE, key, record)
    video_id = _wait_and_remember(client, settings, context, key, record, get_task(client, task_id), deadline)
    return video_id, info.duration


def _resume(client: HttpClient, settings: TwelveLabsSettings, context: RunContext, key: str,
            record: dict[str, Any], deadline: float) -> str | None:
    try:
        first = get_task(client, record["task_id"])
    except BackendError as exc:  # the server forgot the task (or never had it): upload again
        context.log.info("%s: earlier task %s cannot be resumed (%s); uploading again", NAME, record["task_id"], exc.message)
        context.state.delete(NAMESPACE, key)
        return None
    context.log.info("%s: resuming indexing task %s", NAME, record["task_id"])
    return _wait_and_remember(client, settings, context, key, record, first, deadline)


def _wait_and_remember(client: HttpClient, settings: TwelveLabsSettings, context: RunContext, key: str,
                       record: dict[str, Any], first: dict[str, Any], deadline: float) -> str:
    try:
        task = wait_for_task(client, record["task_id"], first, settings.poll_interval, deadline, settings.timeout,
                             context.progress, context.log)
    except BackendError:
        context.state.delete(NAMESPACE, key)  # a failed task is no upload worth remembering
        raise
    video_id = str(task["video_id"])
    context.state.set(NAMESPACE, key, {**record, "video_id": video_id})
    return video_id


def wait_for_task(client: HttpClient, task_id: str, first: dict[str, Any] | None, interval: float, deadline: float,
                  timeout: float, progress: ProgressCallback, log: logging.Logger) -> dict[str, Any]:
    """Poll ``GET /tasks/{id}`` (backing off) until ``ready``; BackendError with the server's reason if ``failed``."""
    pending = [first] if first is not None else []
    last_status: list[str] = []

    def fetch() -> dict[str, Any]:
        return pending.pop() if pending else get_task(client, task_id)

    def update(task: dict[str, Any]) -> None:
        status = task["status"]
        if not last_status or last_status[-1] != status:
            log.info("%s: task %s is %s", NAME, task_id, status)
            last_status.append(status)
        if status not in (*PENDING_STATUSES, *FINAL_STATUSES):
            log.warning("%s: task %s has an unknown status %r; waiting on", NAME, task_id, status)
        done = STEPS.index(status) + 1 if status in STEPS else 0
        progress(done, len(STEPS), describe(task))

    try:
        task: dict[str, Any] = poll(fetch, lambda t: t["status"] in FINAL_STATUSES, interval=interval,
                                    timeout=max(0.0, deadline - time.monotonic()), what=f"{NAME} indexing task {task_id}",
                                    on_update=update)
    except BackendUnavailable as exc:
        # Say which limit ran out (the setting, not the time left of it) and where the task stood.
        raise BackendUnavailable(
            f"{NAME}: indexing task {task_id} did not finish within the {timeout:g} s timeout "
            f"(last status: {last_status[-1] if last_status else 'unknown'}); a later call resumes it",
            hint=exc.hint,
        ) from None
    if task["status"] == "failed":
        raise BackendError(f"{NAME}: indexing task {task_id} failed: {failure_reason(task)}")
    return task


def describe(task: dict[str, Any]) -> str:
    """``indexing, estimated ready 2022-12-08T11:34:54Z (in ~40 s)``: the status and the server's estimate."""
    text = str(task["status"])
    estimated = task.get("estimated_time")
    if task["status"] in PENDING_STATUSES and isinstance(estimated, str) and estimated:
        text += f", estimated ready {estimated}"
        try:
            when = datetime.fromisoformat(estimated)
        except ValueError:
            return text
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
        if seconds > 0:
            text += f" (in ~{seconds:.0f} s)"
    return text


def check_limits(info: MediaInfo, settings: TwelveLabsSettings) -> None:
    """BadInput, before any upload, for a video the API would reject."""
    where = info.path.name
    hint = "change min_*/max_* in [backends.twelvelabs] if your account has other limits, or use a local backend"
    if not info.video:
        raise BadInput(f"{where} has no video stream; Twelve Labs indexes videos only", hint=hint)
    stream = info.video[0]
    # "360p" names the shorter side, so a portrait video is measured by its width.
    short = min(stream.width, stream.height)
    if not settings.min_resolution <= short < settings.max_resolution:
        raise BadInput(
            f"{where} is {stream.width}x{stream.height} ({short}p); twelvelabs accepts videos from "
            f"{settings.min_resolution}p up to below {settings.max_resolution}p",
            hint=f"re-encode it, e.g. ffmpeg -i {where} -vf scale=-2:720 out.mp4; or {hint}",
        )
    if info.duration is None:
        return  # unknown length: let the server judge rather than refuse a playable file
    if not settings.min_duration <= info.duration <= settings.max_duration:
        raise BadInput(
            f"{where} is {info.duration:.1f} s long; twelvelabs accepts videos of "
            f"{settings.min_duration:g} s to {settings.max_duration:g} s",
            hint=f"cut it into parts or pick a longer clip; or {hint}",
        )


def index_url(settings: TwelveLabsSettings, url: str, language: str | None, progress: ProgressCallback,
              log: logging.Logger) -> str:
    """Index the video at a public ``url`` (the server downloads it); return its video id."""
    assert settings.index_id
    deadline = time.monotonic() + settings.timeout
    client = client_for(settings)
    progress(0, len(STEPS), "asking the server to fetch the video")
    with client.until(deadline):
        task_id = create_task(client, index_id=settings.index_id, language=language or settings.language, video_url=url)
        task = wait_for_task(client, task_id, None, settings.poll_interval, deadline, settings.timeout, progress, log)
    return str(task["video_id"])
