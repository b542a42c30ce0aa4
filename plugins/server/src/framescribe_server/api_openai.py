"""OpenAI's audio transcription shape: ``POST /v1/audio/transcriptions``, so the stock ``openai`` client works
with ``base_url="http://HOST:PORT/v1"`` (the pattern of speaches / faster-whisper-server).

Multipart ``file`` (audio or video), ``model`` (any name; the configured ``transcribe`` chain answers),
``language``, ``response_format`` (``json`` -> ``{"text"}``, ``text``, ``srt``, ``vtt``, ``verbose_json``
-> ``task``, ``language``, ``duration``, ``text``, ``segments``). The request waits for the job, as
OpenAI's does. Header ``Authorization: Bearer KEY``; errors ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from framescribe import BadInput, VideoResult
from framescribe.formats import format_video
from framescribe.languages import normalize_language
from framescribe.media import probe

from . import uploads
from .context import ServerContext, Slot, ctx_of, owner, run_and_wait
from .errors import ApiError
from .store import SUCCEEDED, Job

API = "openai"
FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
MULTIPART = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "model"],
    "properties": {"file": {"type": "string", "format": "binary"}, "model": {"type": "string"},
                   "language": {"type": "string"}, "prompt": {"type": "string"},
                   "response_format": {"type": "string", "enum": list(FORMATS), "default": "json"},
                   "temperature": {"type": "number"}}}}}}}

router = APIRouter(tags=["OpenAI audio transcriptions"])


@router.post("/v1/audio/transcriptions", openapi_extra=MULTIPART, response_model=None)
async def transcriptions(request: Request, who: str = Depends(owner)) -> Response:
    """Transcribe the uploaded audio or video with the configured transcribe chain."""
    ctx = ctx_of(request)
    with Slot(ctx, who) as slot:
        form = await uploads.read_form(request, ctx.settings.max_upload_bytes, max_files=1)
        upload = uploads.file(form, "file")
        assert upload is not None
        uploads.field(form, "model", required=True)
        fmt = uploads.field(form, "response_format", default="json")
        if fmt not in FORMATS:
            raise ApiError(400, f"response_format must be one of {', '.join(FORMATS)}", "invalid_value", param="response_format")
        language = uploads.field(form, "language")
        name = uploads.safe_name(upload.filename, "audio")
        if uploads.sniff_media(await uploads.head(upload)) is None:
            raise ApiError(400, f"{name} is not an audio or video file this server reads", "invalid_file", param="file")
        path = await uploads.save(upload, slot.directory, name)
        await run_in_threadpool(_check_audio, path)
        job = await run_and_wait(slot, API, {"path": str(path), "language": language, "response_format": fmt})
    if job.status != SUCCEEDED:
        status = 400 if (job.result or {}).get("code") == "invalid_input" else 500
        raise ApiError(status, job.error or "transcription failed", (job.result or {}).get("code"))
    return render(VideoResult.from_dict(job.result), fmt or "json", language)


def _check_audio(path: Path) -> None:
    try:
        info = probe(path)
    except BadInput:
        raise ApiError(400, f"{path.name} is not audio ffmpeg can read", "invalid_file", param="file") from None
    if not info.audio and not info.subtitles:
        raise ApiError(400, f"{path.name} has no audio stream", "invalid_file", param="file")


def render(result: VideoResult, fmt: str, language: str | None) -> Response:
    text = " ".join(s.value.strip() for s in result.segments if s.value.strip())
    if fmt == "text":
        return PlainTextResponse(text + "\n")
    if fmt in ("srt", "vtt"):
        return PlainTextResponse(format_video(result, fmt), media_type="text/vtt" if fmt == "vtt" else "application/x-subrip")
    if fmt == "json":
        return JSONResponse({"text": text})
    duration = result.duration if result.duration is not None else max((s.end for s in result.segments), default=0.0)
    segments: list[dict[str, Any]] = [
        {"id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.value, "tokens": [], "temperature": 0.0}
        for i, s in enumerate(result.segments)]
    return JSONResponse({"task": "transcribe", "language": normalize_language(result.language or language) or "",
                         "duration": duration, "text": text, "segments": segments})


def run(ctx: ServerContext, job: Job, progress: Callable[[float], None]) -> dict[str, Any]:
    def report(done: float, total: float | None = None, message: str = "") -> None:
        if total:
            progress(100 * done / total)

    result = ctx.chains.call("transcribe", Path(job.request["path"]), report, language=job.request.get("language"))
    return result.to_dict()
