"""A fast fake backend for the library's tests, loaded with --plugin by path (also in worker processes).

``lib-echo`` does all three capabilities. Its text is derived from the file's
name and content (so an edit changes the results); a file whose name holds
``broken`` is rejected as bad input, one holding ``cjk`` reads as Chinese and
Japanese text. ``$LIB_ECHO_DELAY`` seconds pass in every call (to kill a worker
mid-file), and each call appends ``capability path`` to ``$LIB_ECHO_LOG``.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import framescribe
from framescribe import BackendSettings, BackendSpec, OcrResult, Segment, VideoResult


class EchoSettings(BackendSettings):
    prefix: str = "echo"


@framescribe.hookimpl
def register_backends(register):  # type: ignore[no-untyped-def]
    register(BackendSpec.create("lib-echo", ["video_text", "transcribe", "image_ocr"], description="library test echo",
                                settings=EchoSettings))


def _text(capability: str, path: Path, prefix: str) -> str:
    _log(capability, path)
    if "broken" in path.name:
        raise framescribe.BadInput(f"{path}: lib-echo cannot read this file")
    if "cjk" in path.name:
        return "我们讨论了东京的季度目标 と 会議の資料"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    return f"{prefix} {capability} {path.stem} quarterly targets {digest}"


def _log(capability: str, path: Path) -> None:
    delay = float(os.environ.get("LIB_ECHO_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)
    log = os.environ.get("LIB_ECHO_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{capability} {path}\n")


def _timed(capability: str, request, context) -> VideoResult:  # type: ignore[no-untyped-def]
    text = _text(capability, request.media, context.settings.prefix)
    return VideoResult([Segment(0.0, 1.5, text, confidence=0.9), Segment(1.5, 3.0, f"{capability} second line")],
                       duration=3.0, language="en")


@framescribe.hookimpl
def video_text(backend, request, context):  # type: ignore[no-untyped-def]
    return _timed("video_text", request, context)


@framescribe.hookimpl
def transcribe(backend, request, context):  # type: ignore[no-untyped-def]
    return _timed("transcribe", request, context)


@framescribe.hookimpl
def image_ocr(backend, request, context):  # type: ignore[no-untyped-def]
    text = _text("image_ocr", request.image, context.settings.prefix)
    pages = 1
    if request.image.suffix.lower() in (".tif", ".tiff"):
        from PIL import Image

        with Image.open(request.image) as im:
            pages = getattr(im, "n_frames", 1)
    if pages == 1:
        return [OcrResult(text=text, confidence=0.8, language="en")]
    return [OcrResult(text=f"{text} page{n}", confidence=0.8, language="en", page=n) for n in range(1, pages + 1)]
