"""Reading ImageHQ job records: status, failure reasons, expiry, warnings, and the OCR result itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from framescribe import BackendError, BackendUnavailable, BadInput, Block, Box, FramescribeError, Line, OcrResult, Word

NAME = "imagehq"
PENDING = frozenset({"queued", "pending", "running", "processing", "in_progress"})
TERMINAL = frozenset({"succeeded", "failed", "expired", "canceled", "cancelled"})
# Failure codes that mean the image itself is the problem: no other backend would do better.
BAD_INPUT_CODES = frozenset({"invalid_input", "invalid_image", "unsupported_format", "unsupported_media_type",
                             "file_too_large", "corrupt_file", "empty_file"})


def unwrap_job(data: Any) -> dict[str, Any]:
    """The job record, whether sent bare or keyed by its state (``{"queued": {...}}`` as in the API's examples)."""
    job = data
    if isinstance(data, dict) and "id" not in data and "status" not in data:
        inner = [v for v in data.values() if isinstance(v, dict) and ("id" in v or "status" in v)]
        if len(inner) == 1:
            job = inner[0]
    if not isinstance(job, dict) or not isinstance(job.get("id"), str) or not isinstance(job.get("status"), str):
        raise BackendError(f"{NAME}: unexpected response from the server: no job with an 'id' and a 'status'")
    return job


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def outputs_expire_at(job: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the job's outputs stop being downloadable.

    ``expires_at`` bounds the job; ``retention_policy.ttl_hours`` counts from
    completion, and with ``clamp`` it may not outlive ``expires_at``.
    """
    expires = parse_time(job.get("expires_at"))
    policy = job.get("retention_policy")
    ttl = policy.get("ttl_hours") if isinstance(policy, dict) else None
    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool):
        return expires
    done = parse_time(job.get("completed_at")) or parse_time(job.get("finished_at")) or now
    kept = done + timedelta(hours=float(ttl))
    clamp = policy.get("clamp", True) if isinstance(policy, dict) else True
    return min(kept, expires) if expires is not None and clamp else kept


def failure(job: Mapping[str, Any], image: str) -> FramescribeError:
    """The error for a job that ended without succeeding, in the server's own words."""
    status = str(job.get("status"))
    reason, code = failure_reason(job)
    what = f"{NAME}: job {job.get('id')} for {image} {status}: {reason}"
    if status == "expired":
        return BackendUnavailable(what, hint="the job expired before it finished; run again, or raise the service's retention")
    if code in BAD_INPUT_CODES:
        return BadInput(what)
    return BackendError(what)


def failure_reason(job: Mapping[str, Any]) -> tuple[str, str | None]:
    for key in ("error", "failure_reason", "reason", "error_message", "message"):
        value = job.get(key)
        if isinstance(value, str) and value:
            return value, None
        if isinstance(value, dict):
            message = value.get("message") or value.get("detail") or value.get("reason")
            code = value.get("code")
            code = code if isinstance(code, str) else None
            if message or code:
                return (f"{message} ({code})" if message and code else str(message or code)), code
    for stage in job.get("stages") or []:
        if isinstance(stage, dict) and stage.get("status") == "failed":
            detail = stage.get("error") or stage.get("message") or stage.get("reason") or "no reason given"
            if isinstance(detail, dict):
                detail = detail.get("message") or str(detail)
            return f"stage {stage.get('name', '?')} failed: {detail}", None
    return "the server gave no reason", None


def warnings_of(job: Mapping[str, Any]) -> list[str]:
    out = []
    for item in job.get("warnings") or []:
        if isinstance(item, dict):
            message = item.get("message") or item.get("code") or str(item)
            code = item.get("code")
            out.append(f"{message} ({code})" if isinstance(code, str) and code != message else str(message))
        elif item:
            out.append(str(item))
    return out


def stage_summary(job: Mapping[str, Any]) -> str:
    """``processing 40% (queued: succeeded, processing: running)`` for progress lines."""
    stages = [s for s in job.get("stages") or [] if isinstance(s, dict)]
    current = job.get("current_stage") or next((s.get("name") for s in stages if s.get("status") not in ("succeeded",)), None)
    parts = [f"{s.get('name', '?')}: {s.get('status', '?')}" for s in stages]
    text = f"{current or job.get('status')}"
    if isinstance(job.get("progress"), (int, float)):
        text += f" {job['progress']:g}%"
    return text + (f" ({', '.join(parts)})" if parts else "")


def confidence_of(value: Any) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    value = float(value)
    if 1.0 < value <= 100.0:  # a percentage
        value /= 100.0
    return value if 0.0 <= value <= 1.0 else None


def layout_of(data: Any) -> list[Block] | None:
    """Blocks from ``{"blocks": [...]}`` or ``{"layout": {"blocks": [...]}}``/``{"layout": [...]}``; None when absent."""
    if not isinstance(data, dict):
        return None
    blocks = data.get("blocks")
    if blocks is None and isinstance(data.get("layout"), dict):
        blocks = data["layout"].get("blocks")
    elif blocks is None and isinstance(data.get("layout"), list):
        blocks = data["layout"]
    if not isinstance(blocks, list):
        return None
    try:
        return [Block(tuple(_line(ln) for ln in b.get("lines") or []), _box(b), confidence_of(b.get("confidence")))
                for b in blocks]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BackendError(f"{NAME}: the layout the server sent is malformed ({type(exc).__name__}: {exc})") from None


def _line(data: dict[str, Any]) -> Line:
    words = tuple(Word(str(w["text"]), _box(w), confidence_of(w.get("confidence"))) for w in data.get("words") or [])
    if not words and isinstance(data.get("text"), str):
        words = tuple(Word(t) for t in data["text"].split())
    return Line(words, _box(data), confidence_of(data.get("confidence")))


def _box(data: dict[str, Any]) -> Box | None:
    """A box from ``box: {x, y, width, height}`` or ``bbox: [x0, y0, x1, y1]``."""
    box = data.get("box")
    if isinstance(box, dict):
        return Box.from_dict(box)
    bbox = data.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        x0, y0, x1, y1 = (round(float(v)) for v in bbox)
        return Box(x0, y0, x1 - x0, y1 - y0)
    return None


def to_result(job: Mapping[str, Any], result_json: Mapping[str, Any], *, layout: list[Block] | None,
              warnings: list[str], outputs_expire: datetime | None) -> OcrResult:
    text = result_json.get("text")
    if not isinstance(text, str):
        raise BackendError(f"{NAME}: job {job.get('id')} succeeded but sent no text")
    orientation = result_json.get("orientation")
    language = result_json.get("language")
    metadata: dict[str, Any] = {
        "job_id": job.get("id"),
        "warnings": warnings,
        "stages": [s for s in job.get("stages") or [] if isinstance(s, dict)],
    }
    for key in ("client_reference_id", "operation", "tool_slug", "expires_at", "retention_policy", "outputs"):
        if job.get(key) is not None:
            metadata[key] = job[key]
    if outputs_expire is not None:
        metadata["outputs_expire_at"] = outputs_expire.isoformat().replace("+00:00", "Z")
    return OcrResult(
        text=text,
        confidence=confidence_of(result_json.get("confidence")),
        language=language if isinstance(language, str) and language else None,
        orientation=int(orientation) if isinstance(orientation, (int, float)) and not isinstance(orientation, bool) else None,
        layout=layout,
        metadata=metadata,
    )
