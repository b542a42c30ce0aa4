"""The video-indexing API of seeds 000, 001 and 003 (Twelve Labs v1.2 shape), at the server's root.

* ``POST /indexes`` ``{"index_name"}`` -> 201 ``{"_id"}``; ``GET /indexes``; ``GET /indexes/{id}``.
* ``POST /tasks`` (multipart ``index_id``, ``language``, ``video_file``; ``provide_transcription`` +
  ``transcription_file`` as in seed 003) -> 201 ``{"_id"}``. A task naming an index this key does not
  have yet creates it under that id (so a client configured with an index id works on a fresh server).
* ``GET /tasks/{id}``: ``status`` queued -> indexing -> ready (with ``video_id``) or failed (with
  ``error: {code, message}``).
* ``GET /indexes/{index}/videos/{video}/text-in-video`` and ``/transcription`` with ``start``/``end``
  -> ``{"_id", "index_id", "data": [{"start", "end", "value"}]}``: the segments overlapping the range.

Indexing runs both chains: the text in video (its failure fails the task) and the speech (a failure is
kept and told by the transcription endpoint). Header ``x-api-key``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from framescribe import BadInput, FramescribeError
from framescribe.media import MediaInfo, probe

from . import landing, uploads
from .context import ServerContext, Slot, ctx_of, iso, new_id, owner
from .errors import ApiError
from .jobs import JobFailed
from .settings import ServeSettings
from .store import FAILED, QUEUED, RUNNING, SUCCEEDED, Job, Video

API = "videoindex"
INDEX_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUS = {QUEUED: "queued", RUNNING: "indexing", SUCCEEDED: "ready", FAILED: "failed"}
MULTIPART = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["index_id", "video_file"],
    "properties": {"index_id": {"type": "string"}, "language": {"type": "string", "default": "en"},
                   "video_file": {"type": "string", "format": "binary"},
                   "provide_transcription": {"type": "boolean"},
                   "transcription_file": {"type": "string", "format": "binary", "description": "SRT or VTT"}}}}}}}

router = APIRouter(tags=["video indexing (seeds 000, 001, 003)"])


def _index_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"_id": row["id"], "index_name": row["name"], "created_at": iso(row["created"]),
            "video_count": row.get("video_count", 0)}


@router.post("/indexes", status_code=201)
async def create_index(request: Request, body: Annotated[dict[str, Any], Body()], who: str = Depends(owner)) -> dict[str, str]:
    """Create an index; its name must be new for this key."""
    ctx = ctx_of(request)
    name = body.get("index_name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "The index_name parameter is required but was not provided.", "parameter_not_provided", param="index_name")
    if ctx.store.index_by_name(who, name) is not None:
        raise ApiError(409, f"An index with the name {name!r} already exists.", "index_name_already_exists")
    row = ctx.store.add_index(who, new_id(), name.strip(), ctx.expires())
    return {"_id": row["id"]}


@router.get("/indexes")
async def list_indexes(request: Request, who: str = Depends(owner)) -> dict[str, Any]:
    rows = ctx_of(request).store.indexes(who)
    return {"data": [_index_view(r) for r in rows],
            "page_info": {"page": 1, "total_page": 1, "limit_per_page": len(rows), "total_results": len(rows)}}


@router.get("/indexes/{index_id}")
async def get_index(request: Request, index_id: str, who: str = Depends(owner)) -> dict[str, Any]:
    row = next((r for r in ctx_of(request).store.indexes(who) if r["id"] == index_id), None)
    if row is None:
        raise ApiError(404, f"Resource with id {index_id} does not exist in indexes.", "resource_not_exist")
    return _index_view(row)


@router.post("/tasks", status_code=201, openapi_extra=MULTIPART)
async def create_task(request: Request, who: str = Depends(owner)) -> dict[str, str]:
    """Upload a video (and optionally its SRT/VTT transcription) to be indexed."""
    ctx = ctx_of(request)
    with Slot(ctx, who) as slot:
        form = await uploads.read_form(request, ctx.settings.max_upload_bytes, max_files=2)
        index_id = uploads.field(form, "index_id", required=True)
        assert index_id is not None
        if not INDEX_ID.match(index_id):
            raise ApiError(400, "The index_id parameter is invalid: use letters, digits, '_' and '-' (at most 64).",
                           "parameter_invalid", param="index_id")
        language = uploads.field(form, "language", default="en")
        video = uploads.file(form, "video_file")
        assert video is not None
        if uploads.sniff_media(await uploads.head(video)) != "video":
            raise ApiError(400, f"The video_file parameter is invalid: {uploads.safe_name(video.filename)} is not a video file.",
                           "parameter_invalid", param="video_file")
        wants_transcript = (uploads.field(form, "provide_transcription") or "false").lower() in ("true", "1", "yes")
        transcript = uploads.file(form, "transcription_file", required=wants_transcript) if wants_transcript else None
        video_path = await uploads.save(video, slot.directory, uploads.safe_name(video.filename, "video"))
        info = await run_in_threadpool(_probe, video_path)
        check_limits(info, ctx.settings)
        transcript_path = None
        if transcript is not None:
            name = uploads.safe_name(transcript.filename, "transcript.srt")
            if not re.search(r"\.(srt|vtt)$", name, re.I):
                name += ".vtt" if (await uploads.head(transcript)).lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT") else ".srt"
            transcript_path = await uploads.save(transcript, slot.directory / "transcript", name)
            await run_in_threadpool(_check_transcript, transcript_path)
        if ctx.store.index(who, index_id) is None:
            ctx.store.add_index(who, index_id, index_id, ctx.expires())
        stream = info.video[0]
        metadata = {"filename": uploads.safe_name(video.filename, "video"), "duration": info.duration,
                    "width": stream.width, "height": stream.height}
        job = slot.queue(API, {"index_id": index_id, "language": language, "video": str(video_path),
                               "transcript": str(transcript_path) if transcript_path else None, "metadata": metadata})
    return {"_id": job.id}


def _probe(path: Path) -> MediaInfo:
    try:
        info = probe(path)
    except BadInput:
        raise ApiError(400, f"The video_file parameter is invalid: {path.name} is not a video ffmpeg can read.",
                       "parameter_invalid", param="video_file") from None
    if not info.video:
        raise ApiError(400, f"The video_file parameter is invalid: {path.name} has no video stream.", "parameter_invalid",
                       param="video_file")
    return info


def _check_transcript(path: Path) -> None:
    from framescribe.formats import read_timed_text

    try:
        read_timed_text(path)
    except (FramescribeError, ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The transcription_file parameter is invalid: it must be SRT or VTT ({type(exc).__name__}).",
                       "parameter_invalid", param="transcription_file") from None


def check_limits(info: MediaInfo, settings: ServeSettings) -> None:
    """The seed's input limits, when set (they are off by default for local use)."""
    short = min(info.video[0].width, info.video[0].height)
    if settings.video_min_resolution is not None and short < settings.video_min_resolution:
        raise ApiError(400, f"The video resolution is too low: {short}p; the minimum is {settings.video_min_resolution}p.",
                       "video_resolution_too_low")
    if settings.video_max_resolution is not None and short >= settings.video_max_resolution:
        raise ApiError(400, f"The video resolution is too high: {short}p; it must be below {settings.video_max_resolution}p.",
                       "video_resolution_too_high")
    if info.duration is not None and settings.video_min_duration is not None and info.duration < settings.video_min_duration:
        raise ApiError(400, f"The video is too short: {info.duration:.1f} s; the minimum is {settings.video_min_duration:g} s.",
                       "video_duration_too_short")
    if info.duration is not None and settings.video_max_duration is not None and info.duration > settings.video_max_duration:
        raise ApiError(400, f"The video is too long: {info.duration:.1f} s; the maximum is {settings.video_max_duration:g} s.",
                       "video_duration_too_long")


def task_view(job: Job) -> dict[str, Any]:
    req = job.request
    body: dict[str, Any] = {"_id": job.id, "index_id": req["index_id"], "type": "index_task_info",
                            "status": STATUS.get(job.status, job.status), "created_at": iso(job.created),
                            "updated_at": iso(job.updated), "metadata": req["metadata"]}
    if job.status == RUNNING:
        body["process"] = {"percentage": round(job.progress, 1)}
    if job.status == SUCCEEDED:
        body["video_id"] = job.result["video_id"]
    if job.status == FAILED:
        body["error"] = {"code": (job.result or {}).get("code", "job_failed"), "message": job.error}
    return body


@router.get("/tasks")
async def list_tasks(request: Request, who: str = Depends(owner)) -> dict[str, Any]:
    jobs = ctx_of(request).store.jobs(who, API)
    return {"data": [task_view(j) for j in jobs],
            "page_info": {"page": 1, "total_page": 1, "limit_per_page": len(jobs), "total_results": len(jobs)}}


@router.get("/tasks/{task_id}")
async def get_task(request: Request, task_id: str, who: str = Depends(owner)) -> dict[str, Any]:
    job = ctx_of(request).store.job(task_id, who, API)
    if job is None:
        raise ApiError(404, f"Resource with id {task_id} does not exist in tasks.", "resource_not_exist")
    return task_view(job)


Kind = Literal["text-in-video", "transcription"]


@router.get("/indexes/{index_id}/videos/{video_id}/{kind}")
async def get_segments(request: Request, index_id: str, video_id: str, kind: Kind,
                       start: float | None = Query(None, ge=0, description="seconds; segments ending after it"),
                       end: float | None = Query(None, ge=0, description="seconds; segments starting before it"),
                       who: str = Depends(owner)) -> dict[str, Any]:
    """The text in video or the transcription of an indexed video, optionally only between start and end."""
    video = ctx_of(request).store.video(who, index_id, video_id)
    if video is None:
        raise ApiError(404, f"Resource with id {video_id} does not exist in videos.", "resource_not_exist")
    if start is not None and end is not None and end <= start:
        raise ApiError(400, f"The end parameter ({end:g}) must be greater than start ({start:g}).", "parameter_invalid", param="end")
    result = video.text_in_video if kind == "text-in-video" else video.transcription
    if "error" in result:
        raise ApiError(422, f"This video has no {kind}: {result['error']}", f"{kind.replace('-', '_')}_failed")
    lo = 0.0 if start is None else start
    hi = float("inf") if end is None else end
    data = [{"start": s["start"], "end": s["end"], "value": s["value"]} for s in result.get("data", [])
            if (s["end"] > lo and s["start"] < hi) or (s["start"] == s["end"] and lo <= s["start"] < hi)]
    return {"_id": video_id, "index_id": index_id, "data": data}


def run(ctx: ServerContext, job: Job, progress: Callable[[float], None]) -> dict[str, Any]:
    """Index one video: both chains, then the video record (and the library entry, when there is one)."""
    req = job.request
    video = Path(req["video"])
    language = req.get("language")

    def part(lo: float, hi: float) -> Callable[..., None]:
        def report(done: float, total: float | None = None, message: str = "") -> None:
            if total:
                progress(lo + (hi - lo) * min(1.0, done / total))
        return report

    duration = req["metadata"].get("duration")
    try:
        text = ctx.chains.call("video_text", video, part(0, 60), language=language)
    except FramescribeError as exc:
        message = f"no text in video: {ctx.scrub(exc.message)}"
        landing.land(ctx, job.id, video, {}, kind="video", error=message, duration=duration)
        raise JobFailed(message, "video_file_broken" if isinstance(exc, BadInput) else "indexing_failed") from None
    results: dict[str, Any] = {"video_text": text}
    try:
        progress(60)
        results["transcribe"] = ctx.chains.call("transcribe", video, part(60, 99), language=language,
                                                transcript=req.get("transcript"))
        speech = results["transcribe"].to_dict()
    except FramescribeError as exc:  # the task is ready without it; the transcription endpoint tells why
        speech = {"error": ctx.scrub(exc.message)}
    video_id = new_id()
    ctx.store.add_video(Video(video_id, job.owner, req["index_id"], job.id, job.created, req["metadata"], text.to_dict(),
                              speech), ctx.expires(job.created))
    landing.land(ctx, job.id, video, results, kind="video", duration=duration)
    return {"video_id": video_id}
