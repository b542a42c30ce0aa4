"""What a worker does with one file: find its streams, run the capabilities it has, report back.

This runs wherever an executor sends it (the client itself, a local process,
a Dask worker), so it takes and returns plain picklable values, never writes
the library, and never raises for a bad file: a failure is part of the
:class:`Outcome`, so an executor can tell "this file is bad" (recorded, not
retried) from "this worker died" (retried elsewhere).

Each process builds its :class:`~framescribe.Framescribe` once from the
:class:`Setup` (a config path, never resolved secrets: a worker reads secrets
from its own environment) and calls only its public capability methods.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BadInput, FramescribeError
from ..types import Capability, OcrResult, VideoResult
from .walk import KIND_CAPABILITIES, kind_of

if TYPE_CHECKING:
    from ..api import Framescribe


@dataclass(frozen=True)
class Setup:
    """How every worker builds its Framescribe: the same config and plugins as the client."""

    config: str | None = None  # an absolute config path, or None to search as the CLI does
    plugins: tuple[str, ...] = ()
    use_cache: bool = True
    language: str | None = None


@dataclass(frozen=True)
class Task:
    path: str
    capabilities: tuple[Capability, ...]  # what the user allows; the file's streams narrow it further
    setup: Setup


@dataclass
class Outcome:
    path: str
    kind: str
    duration: float | None = None
    results: dict[Capability, VideoResult | list[OcrResult]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    worker: str = ""
    seconds: float = 0.0  # how long the worker took, so an executor can tell small files from big ones

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) or None


_FRAMESCRIBES: dict[tuple[Setup, bytes], Framescribe] = {}
# Where glibc's own dynamic tuning takes its thresholds for frame-sized buffers (its mmap threshold tops out at 32 MiB).
_MMAP_THRESHOLD = 32 << 20
_TRIM_THRESHOLD = 64 << 20


def relax_malloc_trim() -> bool:
    """Undo a tiny ``MALLOC_TRIM_THRESHOLD_`` in this process; True when it was undone.

    Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc hands freed memory back
    to the system at once. The video pipeline frees and allocates frame-sized buffers for every frame, and
    with that setting each one goes back to the system and is mapped again: the library bench ran 37 % slower
    (0.72 s -> 0.99 s for its 14 files, with nothing else changed). Thresholds where glibc's own tuning would put
    them for such buffers give that time back; memory freed beyond 64 MiB is still returned.
    """
    value = os.environ.get("MALLOC_TRIM_THRESHOLD_", "")
    if not value.isdigit() or int(value) >= _TRIM_THRESHOLD:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: the variable means nothing here
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, _MMAP_THRESHOLD) and libc.mallopt(m_trim_threshold, _TRIM_THRESHOLD))


def framescribe_for(setup: Setup) -> Framescribe:
    """One Framescribe per process, setup and config content (plugins load once, not once per file)."""
    from ..config import find_config

    found = find_config(setup.config)
    # The config's bytes are part of the key: an edited config between runs must not meet stale settings.
    key = (setup, found.read_bytes() if found else b"")
    if key not in _FRAMESCRIBES:
        from ..api import Framescribe

        if not _FRAMESCRIBES:  # once per worker process
            relax_malloc_trim()
        _FRAMESCRIBES[key] = Framescribe(setup.config, plugins=setup.plugins, use_cache=setup.use_cache)
    return _FRAMESCRIBES[key]


def capabilities_of(path: Path, allowed: tuple[Capability, ...]) -> tuple[str, float | None, list[Capability]]:
    """(kind, duration, capabilities) of ``path`` from its suffix and, for video and audio, its streams."""
    kind = kind_of(path)
    if kind == "image":
        return kind, None, [c for c in KIND_CAPABILITIES["image"] if c in allowed]
    from ..media import probe

    try:
        info = probe(path)
    except BadInput:
        if kind == "unknown" and "image_ocr" in allowed:  # perhaps an image with an unusual name
            return "image", None, ["image_ocr"]
        raise
    # An audio file's "video" stream is its cover picture, not something to read text from.
    if info.video and kind != "audio":
        caps: list[Capability] = ["video_text", "transcribe"] if info.audio else ["video_text"]
        kind = "video"
    elif info.audio:
        caps, kind = ["transcribe"], "audio"
    else:
        raise BadInput(f"{path}: no video or audio stream")
    return kind, info.duration, [c for c in caps if c in allowed]


def index_one(task: Task) -> Outcome:
    """Run every capability ``task.path`` has; failures are recorded in the outcome, never raised."""
    start = time.perf_counter()
    outcome = _index(task)
    outcome.seconds = time.perf_counter() - start
    return outcome


def index_batch(tasks: tuple[Task, ...]) -> list[Outcome]:
    """Several files in one cluster task, one outcome each (see batches.py)."""
    return [index_one(task) for task in tasks]


def _index(task: Task) -> Outcome:
    path = Path(task.path)
    outcome = Outcome(task.path, kind_of(path), worker=f"{socket.gethostname()}:{os.getpid()}")
    if not os.access(path, os.R_OK):
        why = "does not exist" if not path.exists() else "is not readable"
        outcome.errors.append(f"{path} {why} on worker {outcome.worker}"
                              " (workers need the media on a shared filesystem at the same path)")
        return outcome
    try:
        fs = framescribe_for(task.setup)
        outcome.kind, outcome.duration, caps = capabilities_of(path, task.capabilities)
    except FramescribeError as exc:
        outcome.errors.append(exc.message)
        return outcome
    language = task.setup.language
    for cap in caps:
        try:
            if cap == "image_ocr":
                outcome.results[cap] = fs.image_ocr(path, language=language)
            elif cap == "video_text":
                outcome.results[cap] = fs.video_text(path, language=language)
            else:
                outcome.results[cap] = fs.transcribe(path, language=language)
        except FramescribeError as exc:
            outcome.errors.append(f"{cap}: {exc.message}")
        except Exception as exc:  # a crash in one file must not end the batch
            outcome.errors.append(f"{cap}: unexpected {type(exc).__name__}: {exc}")
    if outcome.duration is None:
        durations = [r.duration for r in outcome.results.values() if isinstance(r, VideoResult) and r.duration]
        outcome.duration = max(durations, default=None)
    return outcome


def warm(setup: Setup) -> None:
    """Build the process's Framescribe ahead of the first file (a pool's initializer)."""
    with contextlib.suppress(FramescribeError):  # reported per file by index_one
        framescribe_for(setup)
