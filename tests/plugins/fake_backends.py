"""Fake backends for the core's tests, loaded with --plugin or through an entry point.

``fake-down`` is always unavailable (so chains fall back past it), ``fake-echo``
answers with segments derived from the input file's bytes, and ``fake-bad``
rejects every input as bad.
"""

from __future__ import annotations

import framescribe
from framescribe import BackendSettings, BackendSpec, OcrResult, Segment, VideoResult

# How often each backend really ran (not answered from cache), for tests.
CALLS: dict[str, int] = {}


class EchoSettings(BackendSettings):
    prefix: str = "echo"
    api_key: framescribe.settings.SecretStr | None = framescribe.secret("FAKE_ECHO_KEY")


@framescribe.hookimpl
def register_backends(register):  # type: ignore[no-untyped-def]
    register(BackendSpec.create("fake-down", ["video_text", "transcribe", "image_ocr"], description="never available",
                                check=lambda s: "fake-down is down on purpose"))
    register(BackendSpec.create("fake-echo", ["video_text", "transcribe", "image_ocr"], description="echoes the file",
                                settings=EchoSettings))
    register(BackendSpec.create("fake-bad", ["video_text", "image_ocr"], description="rejects all input"))
    register(BackendSpec.create("fake-flaky", ["video_text"], description="raises BackendUnavailable when called"))


def _echo(backend, request, context):  # type: ignore[no-untyped-def]
    CALLS[backend] = CALLS.get(backend, 0) + 1
    if backend == "fake-bad":
        raise framescribe.BadInput(f"{request.media}: fake-bad rejects everything")
    if backend == "fake-flaky":
        raise framescribe.BackendUnavailable("fake-flaky: connection refused")
    size = request.media.stat().st_size
    context.progress(1, 1, "done")
    return VideoResult(
        [Segment(0.0, 5.0, f"{context.settings.prefix} {size}"), Segment(5.0, 10.0, "second"), Segment(20.0, 30.0, "third")],
        duration=30.0,
    )


@framescribe.hookimpl
def video_text(backend, request, context):  # type: ignore[no-untyped-def]
    return _echo(backend, request, context)


@framescribe.hookimpl
def transcribe(backend, request, context):  # type: ignore[no-untyped-def]
    if request.transcript is not None:
        return VideoResult([Segment(0.0, 1.0, request.transcript.read_text().strip())])
    return _echo(backend, request, context)


@framescribe.hookimpl
def image_ocr(backend, request, context):  # type: ignore[no-untyped-def]
    CALLS[backend] = CALLS.get(backend, 0) + 1
    if backend == "fake-bad":
        raise framescribe.BadInput(f"{request.image}: not an image")
    return [OcrResult(text=f"{context.settings.prefix} {request.image.name}", confidence=0.9, language="en")]
