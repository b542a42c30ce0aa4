"""The ``subtitles`` backend: a transcript the user gives, one beside the video, or one inside it."""

from __future__ import annotations

from collections.abc import Callable

import framescribe
from framescribe import BackendSettings, BackendSpec, RunContext, VideoRequest, VideoResult


class SubtitleSettings(BackendSettings):
    """``[backends.subtitles]``."""

    encoding: str | None = None  # force a text encoding (a Python codec name); None: detect
    beside: bool = True  # look for <video stem>[.<lang>].srt/.vtt beside the video
    embedded: bool = True  # read text subtitle streams inside the video


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
