"""One ImageHQ OCR job: submit the image, poll the job, fetch its outputs; at most ``max_in_flight`` open at once.

The CLI reads a batch of images from a thread pool; each thread runs one job
here. A semaphore per API (and bound) keeps the number of open jobs within
``max_in_flight``, so a batch takes about as long as its slowest jobs, not
their sum, without flooding the service.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from framescribe import BackendError, BackendUnavailable, ImageRequest, OcrResult, RunContext, layout_from_text
from framescribe.http import HttpClient, parse_json, poll
from framescribe.images import FORMATS, image_format

from .results import (
    NAME,
    TERMINAL,
    failure,
    layout_of,
    outputs_expire_at,
    parse_time,
    stage_summary,
    to_result,
    unwrap_job,
    warnings_of,
)
from .settings import ImageHqSettings

SUBMIT_PATH = "/v1/ocr"
TOOL_SLUG = "image-to-text"
MAX_POLL_INTERVAL = 10.0
# The API takes Tesseract-style language codes ("eng"); users often say "en".
LANGUAGES = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld", "pl": "pol",
             "sv": "swe", "da": "dan", "fi": "fin", "no": "nor", "cs": "ces", "tr": "tur", "ru": "rus", "uk": "ukr",
             "el": "ell", "ar": "ara", "he": "heb", "hi": "hin", "ja": "jpn", "ko": "kor", "zh": "chi_sim"}

_lock = threading.Lock()
_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_clients: dict[ImageHqSettings, HttpClient] = {}


def _client(settings: ImageHqSettings) -> HttpClient:
    """One client (and connection pool) per settings, shared by the threads of a batch."""
    with _lock:
        client = _clients.get(settings)
        if client is None:
            key = settings.api_key.get_secret_value() if settings.api_key else None
            headers = settings.auth_headers()
            # The key's header is whatever auth_header names: mark it, so it never leaves the API's origin.
            client = HttpClient(settings.api_url, backend=NAME, headers=headers, secret_headers=list(headers),
                                timeout=min(settings.timeout, 120.0), max_retries=settings.max_retries, secrets=[key])
            _clients[settings] = client
        return client


@contextmanager
def _slot(settings: ImageHqSettings, context: RunContext, image: str) -> Iterator[None]:
    with _lock:
        slot = _slots.setdefault((settings.api_url, settings.max_in_flight), threading.BoundedSemaphore(settings.max_in_flight))
    if not slot.acquire(blocking=False):
        context.log.debug("%s: %s waits for one of %d job slots", NAME, image, settings.max_in_flight)
        slot.acquire()
    try:
        yield
    finally:
        slot.release()


def run_job(request: ImageRequest, context: RunContext) -> OcrResult:
    settings: ImageHqSettings = context.settings
    client = _client(settings)
    name = request.image.name
    with _slot(settings, context, name):
        deadline = time.monotonic() + settings.timeout
        with client.until(deadline):  # upload, job and download together end by the timeout
            job = submit(client, request, context)
            job = wait(client, job, name, settings, context, deadline)
            if job["status"] != "succeeded":
                raise failure(job, name)
            return collect(client, job, request, context)


def request_payload(request: ImageRequest, reference: str) -> dict[str, Any]:
    language = request.language or "eng"
    return {
        "operation": "extract_text_with_layout" if request.layout else "extract_text",
        "options": {
            "detect_orientation": True,
            "language": "+".join(LANGUAGES.get(part, part) for part in language.split("+")),
            "output_format": "json" if request.layout else "txt",
        },
        "tool_slug": TOOL_SLUG,
        "client_reference_id": reference,
    }


def submit(client: HttpClient, request: ImageRequest, context: RunContext) -> dict[str, Any]:
    mime = FORMATS[image_format(request.image, NAME)][1]  # before any upload: a text file is bad input, not a job
    reference = f"framescribe-{context.state.digest(request.image)[:24]}"
    payload = request_payload(request, reference)
    context.progress(0, 100, f"{request.image.name}: uploading")
    with request.image.open("rb") as fh:
        response = client.request(
            "POST", SUBMIT_PATH, files=[("files[]", (request.image.name, fh, mime))],
            data={"request": json.dumps(payload)}, bad_input_on_4xx=True, rewind=lambda: fh.seek(0),
        )
    if response.status_code != 202:
        context.log.debug("%s: POST %s answered %d, not 202 Accepted", NAME, SUBMIT_PATH, response.status_code)
    job = unwrap_job(parse_json(response, NAME))
    context.log.info("%s: %s submitted as job %s (%s)", NAME, request.image.name, job["id"], job["status"])
    return job


def wait(client: HttpClient, job: dict[str, Any], image: str, settings: ImageHqSettings, context: RunContext,
         deadline: float) -> dict[str, Any]:
    if job["status"] in TERMINAL:
        return job
    poll_url = same_origin(settings.api_url, str(job.get("poll_url") or f"/v1/jobs/{job['id']}"), "poll_url")
    expires = parse_time(job.get("expires_at"))
    last: list[str] = ["", ""]  # the last summary shown, the last status/stage

    def fetch() -> dict[str, Any]:
        return unwrap_job(client.json("GET", poll_url))

    def show(current: dict[str, Any]) -> None:
        summary = stage_summary(current)
        progress = current.get("progress")
        context.progress(float(progress) if isinstance(progress, (int, float)) else 0.0, 100, f"{image}: {summary}")
        stage = f"{current['status']}/{current.get('current_stage')}"
        # A new stage is news at -v; each new percentage only at -vv.
        context.log.log(logging.INFO if stage != last[1] else logging.DEBUG, "%s: job %s (%s): %s", NAME, current["id"], image, summary)
        last[:] = [summary, stage]

    def done(current: dict[str, Any]) -> bool:
        if current["status"] in TERMINAL:
            return True
        if expires is not None and datetime.now(UTC) > expires:
            raise BackendUnavailable(f"{NAME}: job {current['id']} for {image} passed its expires_at ({job['expires_at']}) "
                                     f"while still {current['status']}")
        return False

    try:
        result: dict[str, Any] = poll(fetch, done, interval=settings.poll_interval,
                                      timeout=max(0.0, deadline - time.monotonic()), what=f"{NAME} job {job['id']} for {image}",
                                      max_interval=max(settings.poll_interval, MAX_POLL_INTERVAL), on_update=show)
    except BackendUnavailable as exc:
        if time.monotonic() < deadline:
            raise
        raise BackendUnavailable(f"{NAME}: job {job['id']} for {image} did not finish within timeout = {settings.timeout:g} s "
                                 f"(last seen: {last[0] or job['status']})",
                                 hint="raise timeout in [backends.imagehq]") from exc
    return result


def collect(client: HttpClient, job: dict[str, Any], request: ImageRequest, context: RunContext) -> OcrResult:
    """The result of a succeeded job; outputs (layout, or text missing inline) are fetched before they expire."""
    settings: ImageHqSettings = context.settings
    name = request.image.name
    warnings = warnings_of(job)
    for warning in warnings:
        context.log.warning("%s: %s: %s", NAME, name, warning)
    result_json = dict(job["result_json"]) if isinstance(job.get("result_json"), dict) else {}
    layout = layout_of(result_json) if request.layout else None
    expire = outputs_expire_at(job, datetime.now(UTC))
    if (request.layout and layout is None) or not isinstance(result_json.get("text"), str):
        output = download(client, job, name, settings, expire)
        if isinstance(output, dict):
            result_json = {**output, **{k: v for k, v in result_json.items() if v is not None}}
            layout = layout or (layout_of(output) if request.layout else None)
        elif not isinstance(result_json.get("text"), str):
            result_json["text"] = output
    if request.layout and not layout and str(result_json.get("text", "")).strip():
        warnings.append("the service sent no layout; lines and words come from the text, without boxes")
        context.log.warning("%s: %s: %s", NAME, name, warnings[-1])
        layout = layout_from_text(str(result_json.get("text", "")))
    context.progress(100, 100, f"{name}: done")
    return to_result(job, result_json, layout=layout, warnings=warnings, outputs_expire=expire)


def download(client: HttpClient, job: dict[str, Any], image: str, settings: ImageHqSettings,
             expire: datetime | None) -> Any:
    """The job's output: parsed JSON, or text. Refuses once the retention window has closed."""
    url = job.get("download_url")
    if not isinstance(url, str) or not url:
        raise BackendError(f"{NAME}: job {job['id']} for {image} succeeded with neither text nor a download_url")
    if expire is not None and datetime.now(UTC) >= expire:
        raise BackendUnavailable(f"{NAME}: the outputs of job {job['id']} for {image} expired at {expire.isoformat()} "
                                 "before they could be fetched", hint="run again; raise max_in_flight or lower poll_interval")
    if is_same_origin(settings.api_url, url):
        response = client.request("GET", url, unavailable_statuses=(404, 410))
    else:  # e.g. a signed storage URL: it needs no key, and the key must not go to another host
        keyless = HttpClient(url, backend=NAME, timeout=min(settings.timeout, 120.0), max_retries=settings.max_retries)
        try:
            response = keyless.request("GET", url, unavailable_statuses=(404, 410))
        finally:
            keyless.close()
    if "json" in response.headers.get("content-type", ""):
        return parse_json(response, NAME)
    return response.text


def is_same_origin(api_url: str, url: str) -> bool:
    target = urlsplit(urljoin(api_url + "/", url))
    base = urlsplit(api_url)
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


def same_origin(api_url: str, url: str, what: str) -> str:
    if not is_same_origin(api_url, url):
        raise BackendError(f"{NAME}: the server sent a {what} on another host ({urlsplit(url).netloc}); not sending the key there")
    return url
