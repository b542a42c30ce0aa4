"""The OCR Services API of seed 002: ``POST /api/ocr/process`` ``{"key": "ocr/{user_id}/{file}"}`` with ``X-API-Key``.

The image is read from the S3-compatible bucket of ``[serve] s3_*`` (boto3), then OCR'd on the job
pool while the request waits (the API is synchronous), and answered with every field of the seed:
``id``, ``text``, ``key``, ``fileUrl``, ``createdAt``, ``wordCount``, ``tokensUsed`` (always 0: nothing
is billed here), ``language`` (ISO 639-1, or null when the backend did not say). Errors are
``{"error": "message"}``: 400 for a key of the wrong format or a file that is not an image, 404 when
the bucket has no such key, 503 when no bucket is configured or S3 cannot be reached.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.concurrency import run_in_threadpool

from framescribe.images import sniff
from framescribe.languages import normalize_language

from . import uploads
from .context import ServerContext, Slot, ctx_of, iso, new_id, owner, run_and_wait
from .errors import ApiError
from .settings import ServeSettings
from .store import SUCCEEDED, Job

API = "ocrservices"
KEY_FORMAT = re.compile(r"^ocr/[A-Za-z0-9._-]+/[A-Za-z0-9._-][A-Za-z0-9._ -]*\.(png|jpe?g|gif|bmp|tiff?|webp)$", re.I)

router = APIRouter(tags=["OCR Services (seed 002)"])
_clients: dict[tuple[str | None, ...], Any] = {}
_lock = threading.Lock()


def s3_client(settings: ServeSettings) -> Any:
    key_id = settings.s3_access_key_id.get_secret_value() if settings.s3_access_key_id else None
    where = (settings.s3_endpoint_url, settings.s3_region, key_id)
    with _lock:
        if where not in _clients:
            import boto3
            from botocore.config import Config

            secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
            _clients[where] = boto3.session.Session().client(
                "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region, aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"}))
        return _clients[where]


def fetch(settings: ServeSettings, key: str, target: Path) -> None:
    """Download ``key`` from the bucket to ``target``; ApiError 404 / 503 with no secret in the message."""
    from botocore.exceptions import BotoCoreError, ClientError

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        s3_client(settings).download_file(settings.s3_bucket, key, str(target))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            raise ApiError(404, f"File not found: {key}", "not_found") from None
        if code == "NoSuchBucket":
            raise ApiError(503, "the server's bucket does not exist; tell the server's operator", "unavailable") from None
        raise ApiError(503, f"S3 refused to give {key} ({code or 'error'})", "unavailable") from None
    except BotoCoreError as exc:
        raise ApiError(503, f"S3 cannot be reached ({type(exc).__name__}); retry later", "unavailable") from None


@router.post("/api/ocr/process")
async def process(request: Request, body: Annotated[dict[str, Any], Body(examples=[{"key": "ocr/user_id/filename.jpg"}])],
                  who: str = Depends(owner)) -> dict[str, Any]:
    """OCR the image stored in the server's bucket under ``key``."""
    ctx = ctx_of(request)
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise ApiError(400, "Missing field: key", "parameter_not_provided")
    if not KEY_FORMAT.match(key) or "/../" in key or "/./" in key:
        raise ApiError(400, "Invalid file key format", "parameter_invalid")
    if not ctx.settings.s3_bucket:
        raise ApiError(503, "this server has no bucket configured (s3_bucket in [serve])", "unavailable")
    with Slot(ctx, who) as slot:
        target = slot.directory / uploads.safe_name(key.rsplit("/", 1)[-1], "image")
        await run_in_threadpool(fetch, ctx.settings, key, target)
        with target.open("rb") as fh:
            if sniff(fh.read(uploads.HEAD)) is None:
                raise ApiError(400, f"{key} is not an image this server reads", "parameter_invalid")
        job = await run_and_wait(slot, API, {"key": key, "path": str(target)}, job_id=new_id("ocr-"))
    if job.status != SUCCEEDED:
        raise ApiError(422 if (job.result or {}).get("code") == "invalid_input" else 500, job.error or "OCR failed")
    return record(ctx, job)


def file_url(settings: ServeSettings, key: str) -> str:
    if settings.s3_public_url:
        return f"{settings.s3_public_url.rstrip('/')}/{key}"
    base = (settings.s3_endpoint_url or "https://s3.amazonaws.com").rstrip("/")
    return f"{base}/{settings.s3_bucket}/{key}"


def record(ctx: ServerContext, job: Job) -> dict[str, Any]:
    result = job.result
    return {"id": job.id, "text": result["text"], "key": job.request["key"], "fileUrl": file_url(ctx.settings, job.request["key"]),
            "createdAt": iso(job.finished), "wordCount": result["word_count"], "tokensUsed": 0, "language": result["language"]}


def run(ctx: ServerContext, job: Job, progress: Callable[[float], None]) -> dict[str, Any]:
    results = ctx.chains.call("image_ocr", Path(job.request["path"]))
    text = "\f".join(r.text.rstrip("\n") for r in results)
    return {"text": text, "word_count": len(text.split()),
            "language": next((normalize_language(r.language) for r in results if r.language), None)}
