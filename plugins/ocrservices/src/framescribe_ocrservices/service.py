"""Calling ``POST /api/ocr/process`` and turning its answer into an :class:`OcrResult`.

Retries, timeouts and HTTP error mapping are the core's (:mod:`framescribe.http`);
this module only knows the OCR Services contract: ``{"key": ...}`` in, the
``id/text/key/fileUrl/createdAt/wordCount/tokensUsed/language`` record or
``{"error": ...}`` out.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any, cast

from framescribe import BackendError, BadInput, ImageRequest, OcrResult, RunContext, layout_from_text
from framescribe.http import HttpClient, parse_json, require
from framescribe.images import FORMATS, image_format

from .settings import OcrServicesSettings, check

NAME = "ocrservices"
PROCESS_PATH = "/api/ocr/process"
MAX_RETRIES = 3
# "Invalid file key format" and its kin, but not "Invalid API key".
BAD_KEY = re.compile(r"\bkey format\b|\binvalid (file |s3 |object )?key\b", re.IGNORECASE)
KEY_HINT = "keys look like ocr/{user_id}/{filename}.{ext}; check user_id and the file's extension"
SERVICE_FIELDS = ("id", "key", "fileUrl", "createdAt", "tokensUsed")
log = logging.getLogger("framescribe.ocrservices")

_clients: dict[OcrServicesSettings, HttpClient] = {}
_clients_lock = threading.Lock()


def _client(settings: OcrServicesSettings) -> HttpClient:
    """One client (and connection pool) per settings, shared by the threads of a batch."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            api_key = settings.api_key.get_secret_value() if settings.api_key else ""
            aws = [s.get_secret_value() if s else None for s in (settings.aws_access_key_id, settings.aws_secret_access_key)]
            client = HttpClient(str(settings.api_url), backend=NAME, headers={"X-API-Key": api_key},
                                timeout=settings.timeout, max_retries=MAX_RETRIES, secrets=[api_key, *aws])
            _clients[settings] = client
        return client


def ocr_image(request: ImageRequest, context: RunContext) -> OcrResult:
    from .storage import object_key, upload

    settings: OcrServicesSettings = context.settings
    if request.language:
        context.log.debug("ocrservices: the service detects the language itself; ignoring language=%s", request.language)
    ext, content_type = FORMATS[image_format(request.image, NAME)]  # before any upload or token is spent
    key = object_key(str(settings.user_id), request.image, context.state.digest(request.image), ext)
    context.progress(0, 2, f"uploading {request.image.name}")
    with _client(settings).until(time.monotonic() + settings.timeout):  # upload and OCR call together
        uploaded = upload(settings, request.image, key, content_type)
        context.progress(1, 2, f"reading {request.image.name}")
        result = process(settings, key, layout=request.layout)
    result.metadata["uploaded"] = uploaded
    context.progress(2, 2, "done")
    return result


def process_key(key: str, *, settings: OcrServicesSettings | None = None, config: Any = None,
                layout: bool = False) -> OcrResult:
    """OCR an image that is already in the bucket under ``key`` (``ocr/{user_id}/{file}``), with no upload.

    ``settings`` default to ``[backends.ocrservices]`` of ``config`` (a path or
    mapping, found as the CLI finds it when None).
    """
    if settings is None:
        from framescribe import Framescribe

        settings = cast(OcrServicesSettings, Framescribe(config).settings_for(NAME))
    reason = check(settings)
    if reason is not None:
        from framescribe import BackendUnavailable

        raise BackendUnavailable(f"{NAME} cannot run: {reason}")
    if not key.strip():
        raise BadInput("no S3 key given", hint=KEY_HINT)
    with _client(settings).until(time.monotonic() + settings.timeout):
        return process(settings, key.strip(), layout=layout)


def process(settings: OcrServicesSettings, key: str, *, layout: bool = False) -> OcrResult:
    client = _client(settings)
    try:
        response = client.request("POST", PROCESS_PATH, json={"key": key}, bad_input_on_4xx=True)
    except BadInput as exc:  # a 400/413/415/422: say which key, and what keys must look like
        raise BadInput(f"{exc.message} (key {key!r})", hint=KEY_HINT) from None
    data = parse_json(response, NAME)
    if isinstance(data, dict) and "error" in data:
        raise service_error(data["error"], key, client)
    return to_result(data, key, settings, layout=layout)


def service_error(error: Any, key: str, client: HttpClient) -> Exception:
    """An ``{"error": ...}`` answer: a bad key is the caller's input; anything else stops the chain."""
    message = client.scrub(str(error.get("message", error)) if isinstance(error, dict) else str(error))
    if BAD_KEY.search(message):
        return BadInput(f"{NAME}: the service rejected the key {key!r}: {message}", hint=KEY_HINT)
    return BackendError(f"{NAME}: the service could not read {key!r}: {message}")


def to_result(data: Any, key: str, settings: OcrServicesSettings, *, layout: bool = False) -> OcrResult:
    text = require(data, "text", NAME, str)
    word_count = data.get("wordCount")
    language = data.get("language")
    metadata: dict[str, Any] = {name: data[name] for name in SERVICE_FIELDS if name in data}
    metadata["bucket"] = settings.bucket
    if data.get("key") not in (None, key):
        log.warning("ocrservices: asked for %s but the service answered for %s", key, data.get("key"))
    return OcrResult(
        text=text,
        language=language if isinstance(language, str) and language else None,
        word_count=int(word_count) if isinstance(word_count, (int, float)) and not isinstance(word_count, bool) else None,
        layout=layout_from_text(text) if layout else None,
        metadata=metadata,
    )
