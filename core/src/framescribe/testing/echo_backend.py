"""A fast fake backend for library tests and benchmarks: ``--plugin framescribe.testing.echo_backend``.

Loaded by module name, so worker processes and Dask workers find it too.

``lib-echo`` does all three capabilities. Its text is derived from the file's
name and content (so an edit changes the results); a file whose name holds
``broken`` is rejected as bad input, one holding ``cjk`` reads as Chinese and
Japanese text. ``$LIB_ECHO_DELAY`` seconds pass in every call (to kill a worker
mid-file), and each call appends ``capability path`` to ``$LIB_ECHO_LOG``. A
file whose name holds ``$LIB_ECHO_CRASH`` (when set) ends the process that
reads it at once, as a crashing native library or the out-of-memory killer
would: use it only where files are read in worker processes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import framescribe
from framescribe import (
    BackendSettings,
    BackendSpec,
    ImageRequest,
    OcrResult,
    RunContext,
    Segment,
    VideoRequest,
    VideoResult,
)


class EchoSettings(BackendSettings):
    prefix: str = "echo"


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
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


def _prefix(context: RunContext) -> str:
    settings = context.settings
    return settings.prefix if isinstance(settings, EchoSettings) else "echo"


def _log(capability: str, path: Path) -> None:
    log = os.environ.get("LIB_ECHO_LOG")
    if log:  # before the delay: a call killed mid-way is still seen to have started
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{capability} {path}\n")
    crash = os.environ.get("LIB_ECHO_CRASH")
    if crash and crash in path.name:
        os._exit(70)  # no cleanup, no exception: the process is simply gone
    delay = float(os.environ.get("LIB_ECHO_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)


def _timed(capability: str, request: VideoRequest, context: RunContext) -> VideoResult:
    assert request.media is not None
    text = _text(capability, request.media, _prefix(context))
    return VideoResult([Segment(0.0, 1.5, text, confidence=0.9), Segment(1.5, 3.0, f"{capability} second line")],
                       duration=3.0, language="en")


@framescribe.hookimpl
def video_text(backend: str, request: VideoRequest, context: RunContext) -> VideoResult:
    return _timed("video_text", request, context)


@framescribe.hookimpl
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult:
    return _timed("transcribe", request, context)


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult]:
    text = _text("image_ocr", request.image, _prefix(context))
    pages = 1
    if request.image.suffix.lower() in (".tif", ".tiff"):
        from PIL import Image

        with Image.open(request.image) as im:
            pages = getattr(im, "n_frames", 1)
    if pages == 1:
        return [OcrResult(text=text, confidence=0.8, language="en")]
    return [OcrResult(text=f"{text} page{n}", confidence=0.8, language="en", page=n) for n in range(1, pages + 1)]
