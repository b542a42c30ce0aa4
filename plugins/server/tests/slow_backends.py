"""A fake backend for the server's tests whose time is set by the input's name: ``slow-1.5.png`` takes 1.5 s.

``fake-slow`` does all three capabilities and answers like ``fake-echo``
(``slow <file name>``), after sleeping the seconds its file name says (none
for other names). An input named ``crash*`` raises; one named ``die*`` kills
the process it runs in. So one server serves quick and slow jobs, and a test picks
by naming its upload.
"""

from __future__ import annotations

import os
import re
import signal
import time

import framescribe
from framescribe import BackendSpec, OcrResult, Segment, VideoResult

DELAY = re.compile(r"slow-(\d+(?:\.\d+)?)")


def _sleep(name: str) -> None:
    found = DELAY.search(name)
    if found:
        time.sleep(float(found.group(1)))


@framescribe.hookimpl
def register_backends(register):  # type: ignore[no-untyped-def]
    register(BackendSpec.create("fake-slow", ["video_text", "transcribe", "image_ocr"],
                                description="sleeps as long as its input's name says, then echoes it"))


@framescribe.hookimpl
def image_ocr(backend, request, context):  # type: ignore[no-untyped-def]
    if backend != "fake-slow":
        return None
    _sleep(request.image.name)
    if request.image.name.startswith("crash"):
        raise RuntimeError("fake-slow crashed on purpose")
    if request.image.name.startswith("die"):  # a native crash: the whole process goes, as a segfault would take it
        os.kill(os.getpid(), signal.SIGKILL)
    return [OcrResult(text=f"slow {request.image.name}", confidence=0.8, language="eng")]


def _video(request):  # type: ignore[no-untyped-def]
    _sleep(request.media.name)
    if request.media.name.startswith("crash"):
        raise RuntimeError("fake-slow crashed on purpose")
    if request.transcript is not None:
        return VideoResult([Segment(0.0, 1.0, request.transcript.read_text().strip())])
    return VideoResult([Segment(0.0, 2.0, f"slow {request.media.name}"), Segment(2.0, 4.0, "more"),
                        Segment(30.0, 31.0, "late")], duration=31.0)


@framescribe.hookimpl
def video_text(backend, request, context):  # type: ignore[no-untyped-def]
    return _video(request) if backend == "fake-slow" else None


@framescribe.hookimpl
def transcribe(backend, request, context):  # type: ignore[no-untyped-def]
    return _video(request) if backend == "fake-slow" else None
