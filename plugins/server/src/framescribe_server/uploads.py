"""Uploads: multipart bodies streamed to disk under a size limit, file names made safe, content sniffed.

The body is counted as it arrives: a declared ``Content-Length`` over the
limit is refused before a byte is read, and a body that grows past it (chunked
transfer) stops the parser there; both are 413. Starlette's parser spools each
file part to a temporary file after 1 MB, and :func:`save` copies it into the
job's directory in a worker thread, so memory stays flat whatever the size.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from framescribe.images import sniff as sniff_image

from .errors import ApiError

SAFE = re.compile(r"[^A-Za-z0-9._-]+")
HEAD = 64


class TooLarge(Exception):
    pass


async def read_form(request: Request, limit: int, *, max_files: int = 32) -> FormData:
    """The multipart form of ``request``; ApiError 413 past ``limit`` bytes, 400 when it is not well-formed."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise ApiError(400, f"expected a multipart/form-data body, got {ctype.split(';')[0] or 'none'}", "parameter_invalid")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the request body is {int(declared)} bytes; this server takes at most {limit}",
                       "payload_too_large")
    received = 0
    upstream: Callable[[], Awaitable[Message]] = request.receive

    async def counting() -> Message:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
        return message

    limited = Request(request.scope, counting)
    try:
        return await limited.form(max_files=max_files, max_fields=100)
    except TooLarge:
        raise ApiError(413, f"the request body is larger than {limit} bytes, the most this server takes",
                       "payload_too_large") from None
    except (MultiPartException, HTTPException) as exc:  # Starlette turns the first into the second inside an app
        detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
        raise ApiError(400, f"malformed multipart body: {detail}", "parameter_invalid") from None
    except (ValueError, UnicodeDecodeError, KeyError) as exc:  # the parser's own errors on broken boundaries/headers
        raise ApiError(400, f"malformed multipart body: {exc}", "parameter_invalid") from None


def field(form: FormData, name: str, *, required: bool = False, default: str | None = None) -> str | None:
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise ApiError(400, f"{name} must be a form field, not a file", "parameter_invalid", param=name)
    if value is None or value == "":
        if required:
            raise ApiError(400, f"The {name} parameter is required but was not provided.", "parameter_not_provided", param=name)
        return default
    return str(value)


def file(form: FormData, name: str, *, required: bool = True) -> UploadFile | None:
    value = form.get(name)
    if value is None or (isinstance(value, str) and value == ""):
        if required:
            raise ApiError(400, f"The {name} parameter is required but was not provided.", "parameter_not_provided", param=name)
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(400, f"{name} must be a file part (with a filename)", "parameter_invalid", param=name)
    return value


def safe_name(filename: str | None, default: str = "upload") -> str:
    """A file name that stays in its directory: the last path part, safe characters only, no leading dots."""
    base = re.split(r"[\\/]", filename or "")[-1]
    clean = SAFE.sub("_", base).lstrip("._-")[:100]
    return clean or default


async def head(upload: UploadFile) -> bytes:
    await upload.seek(0)
    data = await upload.read(HEAD)
    await upload.seek(0)
    return data


async def save(upload: UploadFile, directory: Path, name: str) -> Path:
    """Copy the (spooled) upload into ``directory/name`` off the event loop; returns the path."""
    target = directory / name
    await upload.seek(0)

    def copy() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)

    await run_in_threadpool(copy)
    return target


def sniff_media(head: bytes) -> str | None:
    """``video`` for a container that can hold video, ``audio`` for audio-only formats, None otherwise."""
    if sniff_image(head) is not None:  # HEIC/AVIF share the ftyp box with MP4
        return None
    if head[4:8] == b"ftyp":
        return "audio" if head[8:12] in (b"M4A ", b"M4B ") else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3") or head.startswith(b"FLV") or head.startswith(b"OggS"):
        return "video"
    if head.startswith(b"\x30\x26\xb2\x75"):  # ASF / WMV
        return "video"
    if head[:4] == b"RIFF":
        return "video" if head[8:12] == b"AVI " else "audio" if head[8:12] == b"WAVE" else None
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):  # MPEG program stream
        return "video"
    if _ts(head):
        return "video"
    if head.startswith((b"ID3", b"fLaC", b"#!AMR")) or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio"
    return None


def _ts(head: bytes) -> bool:
    # An MPEG transport stream: 188-byte packets, each starting with 0x47; 64 bytes show only the first.
    return head[:1] == b"\x47" and len(head) >= 4 and head[1] & 0x80 == 0


def describe(upload: UploadFile) -> dict[str, Any]:
    return {"filename": upload.filename, "content_type": upload.content_type, "size": upload.size}
