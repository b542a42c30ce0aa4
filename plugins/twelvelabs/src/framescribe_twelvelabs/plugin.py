"""The ``twelvelabs`` backend: the spec, the capability hooks and the ``twelvelabs-index`` command.

Cheap to import: httpx and PyAV load only when a video is processed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import framescribe
from framescribe import BackendSpec, RunContext, VideoRequest, VideoResult

from . import NAME
from .settings import TwelveLabsSettings, check

if TYPE_CHECKING:
    import click


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        NAME, ["transcribe", "video_text"],
        description="Twelve Labs v1.2 API: upload + index a video, then its transcription or text in video",
        settings=TwelveLabsSettings, check=check, local=False,
    ))


@framescribe.hookimpl
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .service import run

    return run("transcription", request, context)


@framescribe.hookimpl
def video_text(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .service import run

    return run("text-in-video", request, context)


@framescribe.hookimpl
def register_commands(cli: click.Group) -> None:
    from .command import index_command

    cli.add_command(index_command)
