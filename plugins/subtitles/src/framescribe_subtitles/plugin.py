"""The ``subtitles`` backend: a transcript the user gives, one beside the video, or one inside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import framescribe
from framescribe import BackendSpec, RunContext, VideoRequest, VideoResult

from .settings import SubtitleSettings

if TYPE_CHECKING:
    import click


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        "subtitles",
        ["transcribe"],
        description="a transcript given with --transcript, found beside the video, or embedded in it (text, bitmap and "
                    "closed-caption tracks)",
        settings=SubtitleSettings,
        local=True,
    ))


@framescribe.hookimpl
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .read import read_transcript

    return read_transcript(request, context.settings, context)


@framescribe.hookimpl
def register_commands(cli: click.Group) -> None:
    from .command import tracks_command

    cli.add_command(tracks_command)
