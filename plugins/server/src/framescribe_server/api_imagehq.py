"""The ImageHQ OCR API of seed 004: ``POST /v1/ocr`` -> 202 and a queued job; ``GET /v1/jobs/{id}``; its download.

* ``POST /v1/ocr``: multipart ``files[]`` (one or more images) and ``request``, a JSON string:
  ``{"operation": "extract_text" | "extract_text_with_layout", "options": {"language", "output_format":
  "txt" | "json", "detect_orientation"}, "tool_slug", "client_reference_id"}`` -> 202 with the queued job
  (``id``, ``status``, ``current_stage``, ``progress``, ``poll_url``, ``created_at``, ``expires_at``, ...).
* ``GET /v1/jobs/{id}``: ``status`` queued -> running -> succeeded | failed, ``stages``, ``progress``,
  and when done ``result_json`` (``text``, ``confidence``, ``blocks`` for the layout operation),
  ``inputs``, ``outputs``, ``download_url``, ``retention_policy``, ``warnings``; ``error`` when failed.
* ``GET /v1/jobs/{id}/download``: the output (JSON or text per ``output_format``) until ``expires_at``
  (``download_ttl_hours`` after the job was made), 410 after.

Header ``Authorization: Bearer KEY``; errors ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from framescribe import FramescribeError, OcrResult
from framescribe.formats import format_ocr
from framescribe.images import FORMATS, sniff

from . import landing, uploads
from .context import ServerContext, Slot, ctx_of, iso, owner
from .errors import ApiError
from .store import FAILED, QUEUED, RUNNING, SUCCEEDED, Job

API = "imagehq"
OPERATIONS = ("extract_text", "extract_text_with_layout")
OUTPUT_FORMATS = ("txt", "json")
STATUS = {QUEUED: "queued", RUNNING: "running", SUCCEEDED: "succeeded", FAILED: "failed"}
MULTIPART = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files[]"],
    "properties": {"files[]": {"type": "array", "items": {"type": "string", "format": "binary"}},
                   "request": {"type": "string", "description": 'JSON: {"operation": "extract_text", "options": {...}}'}}}}}}}

router = APIRouter(tags=["ImageHQ OCR (seed 004)"])


def _request(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {"operation": "extract_text", "options": {}}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"request is not valid JSON: {exc}", "invalid_request") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request must be a JSON object", "invalid_request")
    operation = data.get("operation", "extract_text")
    if operation not in OPERATIONS:
        raise ApiError(400, f"unsupported operation {operation!r}; this endpoint does {', '.join(OPERATIONS)}",
                       "unsupported_operation")
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "request.options must be a JSON object", "invalid_request")
    fmt = options.get("output_format", "json" if operation == "extract_text_with_layout" else "txt")
    if fmt not in OUTPUT_FORMATS:
        raise ApiError(400, f"unsupported output_format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}", "invalid_request")
    language = options.get("language")
    if language is not None and (not isinstance(language, str) or not language.replace("+", "").replace("_", "").isalnum()):
        raise ApiError(400, f"options.language {language!r} is not a language code like eng or eng+deu", "invalid_request")
    return {"operation": operation, "options": {**options, "output_format": fmt}, "tool_slug": data.get("tool_slug"),
            "client_reference_id": data.get("client_reference_id")}


@router.post("/v1/ocr", status_code=202, openapi_extra=MULTIPART)
async def submit(request: Request, who: str = Depends(owner)) -> JSONResponse:
    """Queue an OCR job for the uploaded image(s); poll ``poll_url`` until ``succeeded``."""
    ctx = ctx_of(request)
    with Slot(ctx, who) as slot:
        form = await uploads.read_form(request, ctx.settings.max_upload_bytes)
        spec = _request(uploads.field(form, "request"))
        files = [f for f in form.getlist("files[]") + form.getlist("files") if not isinstance(f, str)]
        if not files:
            raise ApiError(400, "no image: send one or more files[] parts", "missing_file")
        inputs = []
        for i, upload in enumerate(files):
            found = sniff(await uploads.head(upload))
            name = uploads.safe_name(upload.filename, f"image-{i}")
            if found is None:
                raise ApiError(400, f"{name} is not an image this server reads ({', '.join(FORMATS)})", "unsupported_format")
            path = await uploads.save(upload, slot.directory / str(i), name)
            inputs.append({"filename": name, "format": FORMATS[found][0], "mime_type": FORMATS[found][1],
                           "size_bytes": path.stat().st_size, "path": str(path)})
        job = slot.queue(API, {**spec, "inputs": inputs})
    return JSONResponse(job_view(ctx, job), status_code=202)


def expires_at(ctx: ServerContext, job: Job) -> float:
    return job.created + ctx.settings.download_ttl_hours * 3600


def job_view(ctx: ServerContext, job: Job) -> dict[str, Any]:
    req = job.request
    status = STATUS.get(job.status, job.status)
    queued_stage = {"name": "queued", "progress": 0 if job.status == QUEUED else 100,
                    "status": "running" if job.status == QUEUED else "succeeded"}
    processing = {"name": "processing", "progress": round(job.progress),
                  "status": {QUEUED: "pending", RUNNING: "running"}.get(job.status, status)}
    body: dict[str, Any] = {
        "id": job.id, "status": status, "operation": "ocr", "tool_slug": req.get("tool_slug"),
        "client_reference_id": req.get("client_reference_id"),
        "current_stage": "queued" if job.status == QUEUED else "processing",
        "progress": round(job.progress), "poll_url": f"/v1/jobs/{job.id}",
        "created_at": iso(job.created), "expires_at": iso(expires_at(ctx, job)),
        "stages": [queued_stage, processing], "warnings": [],
        "inputs": [{k: v for k, v in i.items() if k != "path"} for i in req["inputs"]],
    }
    if job.status == SUCCEEDED:
        result = job.result
        fmt = req["options"]["output_format"]
        body.update({
            "completed_at": iso(job.finished), "download_url": f"/v1/jobs/{job.id}/download",
            "outputs": [{"filename": f"output.{fmt}", "format": fmt, "id": "0",
                         "mime_type": "application/json" if fmt == "json" else "text/plain",
                         "size_bytes": len(_output(result, fmt).encode())}],
            "result_json": result["result_json"], "warnings": result["warnings"],
            "retention_policy": {"clamp": True, "ttl_hours": ctx.settings.download_ttl_hours},
        })
    if job.status == FAILED:
        body["error"] = {"code": (job.result or {}).get("code", "job_failed"), "message": job.error}
    return body


def _output(result: dict[str, Any], fmt: str) -> str:
    return json.dumps(result["result_json"], ensure_ascii=False) if fmt == "json" else result["result_json"]["text"]


def _job(request: Request, job_id: str, who: str) -> Job:
    job = ctx_of(request).store.job(job_id, who, API)
    if job is None:
        raise ApiError(404, f"no job {job_id}", "not_found")
    return job


@router.get("/v1/jobs/{job_id}")
async def get_job(request: Request, job_id: str, who: str = Depends(owner)) -> dict[str, Any]:
    return job_view(ctx_of(request), _job(request, job_id, who))


@router.get("/v1/jobs/{job_id}/download", response_model=None)
async def download(request: Request, job_id: str, who: str = Depends(owner)) -> Response:
    """The job's output: JSON (``output_format`` json) or plain text, until the job's ``expires_at``."""
    ctx = ctx_of(request)
    job = _job(request, job_id, who)
    if job.status != SUCCEEDED:
        raise ApiError(409, f"job {job_id} is {STATUS.get(job.status, job.status)}; its output exists once it has succeeded",
                       "job_not_ready")
    if time.time() >= expires_at(ctx, job):
        raise ApiError(410, f"the outputs of job {job_id} expired at {iso(expires_at(ctx, job))}", "expired")
    fmt = job.request["options"]["output_format"]
    if fmt == "json":
        return JSONResponse(job.result["result_json"])
    return PlainTextResponse(job.result["result_json"]["text"])


def run(ctx: ServerContext, job: Job, progress: Callable[[float], None]) -> dict[str, Any]:
    req = job.request
    layout = req["operation"] == "extract_text_with_layout"
    language = req["options"].get("language")
    results: list[OcrResult] = []
    warnings: list[dict[str, str]] = []
    inputs = req["inputs"]
    for i, item in enumerate(inputs):
        try:
            found = ctx.chains.call("image_ocr", Path(item["path"]), language=language, layout=layout)
        except FramescribeError as exc:  # the job fails; the library keeps the file with the reason
            landing.land(ctx, job.id, Path(item["path"]), {}, kind="image", part=str(i),
                         error=f"image_ocr: {ctx.scrub(exc.message)}")
            raise
        landing.land(ctx, job.id, Path(item["path"]), {"image_ocr": found}, kind="image", part=str(i))
        for r in found:
            for s in r.skipped:
                warnings.append({"code": "backend_skipped", "message": f"{item['filename']}: {s.backend} skipped: {ctx.scrub(s.reason)}"})
        results.extend(found)
        progress(100 * (i + 1) / len(inputs))
    confidences = [r.confidence for r in results if r.confidence is not None]
    result_json: dict[str, Any] = {
        "text": format_ocr(results, "txt").rstrip("\n"),
        "confidence": round(sum(confidences) / len(confidences), 4) if confidences else None,
        "language": next((r.language for r in results if r.language), None),
        "orientation": next((r.orientation for r in results if r.orientation is not None), None),
        "backend": results[0].backend if results else None,
    }
    if layout:
        result_json["blocks"] = [b.to_dict() for r in results for b in (r.layout or [])]
    return {"result_json": result_json, "warnings": warnings}
