"""The hooks a framescribe plugin can implement.

A plugin is a module (or object) with functions decorated by
``@framescribe.hookimpl`` whose names match the specs below. The core picks a
backend by name and calls the capability hooks of the one plugin that
registered that name, so registration order never decides who answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .backend import BackendSpec, RunContext
    from .types import ImageRequest, OcrResult, VideoRequest, VideoResult

hookspec = pluggy.HookspecMarker("framescribe")
hookimpl = pluggy.HookimplMarker("framescribe")


@hookspec
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    """Register this plugin's backends by calling ``register(BackendSpec(...))`` once for each."""


@hookspec(firstresult=True)
def transcribe(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    """Return the speech of ``request.media`` as timed segments, using this plugin's backend ``backend``.

    firstresult: only the plugin that registered ``backend`` is called. Raise
    BackendUnavailable to let the chain fall back, BadInput to stop it.
    """


@hookspec(firstresult=True)
def video_text(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    """Return the text shown on screen in ``request.media`` as timed segments, using backend ``backend``.

    firstresult: only the plugin that registered ``backend`` is called.
    """


@hookspec(firstresult=True)
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult] | None:
    """Return the text of ``request.image``, one OcrResult per page, using backend ``backend``.

    firstresult: only the plugin that registered ``backend`` is called.
    Include ``layout`` (blocks, lines, words) when ``request.layout`` is true.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``framescribe`` command group (a click.Group)."""
