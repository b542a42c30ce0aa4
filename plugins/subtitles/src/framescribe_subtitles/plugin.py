"""The ``subtitles`` backend: a transcript the user gives, one beside the video, or one inside it."""

from __future__ import annotations

from collections.abc import Callable

import framescribe
from framescribe import BackendSpec, RunContext, VideoRequest, VideoResult

from .settings import SubtitleSettings


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        "subtitles",
        ["transcribe"],
        description="a transcript given with --transcript, found beside the video, or embedded in it (SRT/VTT/mov_text/ASS)",
        settings=SubtitleSettings,
        local=True,
    ))


@framescribe.hookimpl
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    if backend != "subtitles":
        return None
    from .read import read_transcript

    return read_transcript(request, context.settings, context)
