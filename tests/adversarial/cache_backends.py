"""Third-party-style backends for the cache's adversarial tests, loaded with ``--plugin``.

Each appends its name to the file ``$CACHE_TEST_RUNS`` whenever it really runs
(not answered from the cache), so a test in another process can count runs.

* ``lookup``   reads ``<stem>.words.txt`` beside the video and the file named by
               its ``dictionary`` setting, and records both (found or not) as
               the cache contract asks.
* ``moody``    opts out of the cache for every answer (``context.uncacheable``).
* ``never``    is registered with ``cacheable=False``.
* ``plain``    reads only the media; identical copies share its answer.
* ``stateful`` keeps a counter in the state store remote plugins use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

import framescribe
from framescribe import BackendSettings, BackendSpec, ImageRequest, OcrResult, RunContext, Segment, VideoRequest, VideoResult


class LookupSettings(BackendSettings):
    api_key: SecretStr | None = framescribe.secret("CACHE_TEST_KEY")  # never to be seen in a cache or a log
    dictionary: str | None = None
    pad: int = 0  # characters of filler, to make big answers for the size cap


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create("lookup", ["video_text"], settings=LookupSettings))
    register(BackendSpec.create("moody", ["video_text"]))
    register(BackendSpec.create("never", ["video_text"], cacheable=False))
    register(BackendSpec.create("plain", ["video_text", "image_ocr"]))
    register(BackendSpec.create("stateful", ["video_text"]))


def _ran(backend: str) -> int:
    runs = os.environ.get("CACHE_TEST_RUNS")
    if not runs:
        return 0
    with open(runs, "a", encoding="utf-8") as f:
        f.write(backend + "\n")
    return Path(runs).read_text(encoding="utf-8").split().count(backend)


def _read(context: RunContext[LookupSettings], path: Path) -> str:
    context.record_input(path)  # before reading, found or not
    return path.read_text(encoding="utf-8").strip() if path.is_file() else "none"


@framescribe.hookimpl
def video_text(backend: str, request: VideoRequest, context: RunContext[LookupSettings]) -> VideoResult:
    # This plugin registers several backends, so it tells them apart by name.
    assert request.media is not None
    count = _ran(backend)
    size = request.media.stat().st_size
    if backend == "lookup":
        words = _read(context, request.media.with_name(request.media.stem + ".words.txt"))
        dictionary = _read(context, Path(context.settings.dictionary)) if context.settings.dictionary else "-"
        text = f"words={words} dictionary={dictionary} size={size}" + " " * context.settings.pad
    elif backend == "moody":
        context.uncacheable("the answer changes every run")
        text = f"mood {count}"
    elif backend == "stateful":
        seen = (context.state.get("stateful.seen", "n") or 0) + 1
        context.state.set("stateful.seen", "n", seen)
        text = f"seen {seen}"
    else:
        text = f"{backend} {count} size={size}"
    return VideoResult([Segment(0.0, 1.0, text)], duration=1.0)


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext[BackendSettings]) -> list[OcrResult]:
    count = _ran(backend)
    return [OcrResult(f"{backend} {count} {request.image.name}")]
