"""Errors in the shape of the API they answer for, chosen by the path.

* video indexing (``/indexes``, ``/tasks``): ``{"code": ..., "message": ...}``
* ImageHQ (``/v1/ocr``, ``/v1/jobs``): ``{"error": {"code": ..., "message": ...}}``
* OCR Services (``/api/ocr``): ``{"error": "message"}``
* OpenAI (``/v1/audio``): ``{"error": {"message", "type", "param", "code"}}``
* anything else: ``{"detail": ...}`` as FastAPI answers
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("framescribe.server")
CODES = {400: "parameter_invalid", 401: "api_key_invalid", 404: "resource_not_exist", 405: "method_not_allowed",
         409: "conflict", 410: "expired", 413: "payload_too_large", 415: "unsupported_media_type",
         422: "parameter_invalid", 429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, *, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.param = param
        self.headers = headers


def shape_for(path: str) -> str:
    if path.startswith(("/indexes", "/tasks")):
        return "videoindex"
    if path.startswith("/v1/audio"):
        return "openai"
    if path.startswith(("/v1/ocr", "/v1/jobs")):
        return "imagehq"
    if path.startswith("/api/ocr"):
        return "ocrservices"
    return "plain"


def body_for(path: str, status: int, message: str, code: str, param: str | None = None) -> dict[str, Any]:
    shape = shape_for(path)
    if shape == "videoindex":
        return {"code": code, "message": message}
    if shape == "imagehq":
        return {"error": {"code": code, "message": message}}
    if shape == "ocrservices":
        return {"error": message}
    if shape == "openai":
        kind = "authentication_error" if status == 401 else "rate_limit_error" if status == 429 else \
            "server_error" if status >= 500 else "invalid_request_error"
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return {"detail": message}


def response(request: Request, status: int, message: str, code: str | None = None, param: str | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    body = body_for(request.url.path, status, message, code or CODES.get(status, "error"), param)
    return JSONResponse(body, status_code=status, headers=headers)


async def api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return response(request, exc.status, exc.message, exc.code, exc.param, exc.headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    message = f"{where}: {first.get('msg', 'invalid request')}" if where else str(first.get("msg", "invalid request"))
    return response(request, 400, message, "parameter_invalid", param=where or None)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug answers 500 in the API's shape; the traceback goes to the server's log, not to the client."""
    log.error("server: %s %s failed", request.method, request.url.path, exc_info=exc)
    return response(request, 500, f"internal error ({type(exc).__name__}); the server's log has the details", "internal_error")


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    return response(request, exc.status_code, message, headers=getattr(exc, "headers", None))
