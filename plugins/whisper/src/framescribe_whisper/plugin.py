"""The ``whisper`` backend: offline speech recognition with faster-whisper."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import framescribe
from framescribe import BackendSpec, RunContext, VideoRequest, VideoResult

from .settings import WhisperSettings

INSTALL = "pip install framescribe-whisper (brings faster-whisper and the offline tiny.en model)"


def _check(settings: WhisperSettings) -> str | None:
    for module, dist in (("faster_whisper", "faster-whisper"), ("av", "av")):
        if importlib.util.find_spec(module) is None:
            return f"{dist} not installed: {INSTALL}"
    return None


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        "whisper",
        ["transcribe"],
        description="speech recognition with faster-whisper (offline; tiny.en packaged, other models by name or path)",
        settings=WhisperSettings,
        check=_check,
        local=True,
    ))


@framescribe.hookimpl
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .recognize import transcribe_video

    return transcribe_video(request, context.settings, context)
