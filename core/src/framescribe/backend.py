"""What a plugin registers (:class:`BackendSpec`) and what it is handed at run time (:class:`RunContext`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .cache import Inputs
from .secrets import redact
from .settings import BackendSettings, NoSettings
from .types import CAPABILITIES, Capability

if TYPE_CHECKING:
    from pathlib import Path

    from .state import StateStore
    from .types import OcrResult


class ProgressCallback(Protocol):
    def __call__(self, done: float, total: float | None = None, message: str = "") -> None:
        """Report progress: ``done`` out of ``total`` (any unit), with a short status message."""


def _no_progress(done: float, total: float | None = None, message: str = "") -> None:
    return None


@dataclass(frozen=True)
class BackendSpec:
    """A backend as a plugin registers it.

    ``check(settings)`` returns None when the backend can run here, or a short
    reason it cannot ("needs TWELVE_LABS_API_KEY", "tesserocr not installed:
    pip install tesserocr"). It must be cheap and must not raise: it runs for
    ``framescribe backends`` and before every call.

    ``cacheable=False`` keeps the core from ever caching this backend's answers
    (see :mod:`framescribe.cache` for recording extra inputs instead).
    """

    name: str
    capabilities: frozenset[Capability]
    description: str = ""
    settings: type[BackendSettings] = NoSettings
    check: Callable[[Any], str | None] | None = None
    local: bool = True  # works with no network at all
    cacheable: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"backend {self.name!r}: unknown capabilities {sorted(unknown)}; valid: {list(CAPABILITIES)}")

    @classmethod
    def create(
        cls,
        name: str,
        capabilities: Iterable[Capability],
        *,
        description: str = "",
        settings: type[BackendSettings] = NoSettings,
        check: Callable[[Any], str | None] | None = None,
        local: bool = True,
        cacheable: bool = True,
    ) -> BackendSpec:
        return cls(name, frozenset(capabilities), description, settings, check, local, cacheable)

    def unavailable_reason(self, settings: BackendSettings) -> str | None:
        if self.check is None:
            return None
        try:
            reason = self.check(settings)
        except Exception as exc:  # a broken check must not break listing
            reason = f"availability check failed: {exc}"
        return None if reason is None else redact(reason)


S = TypeVar("S", bound=BackendSettings)


@dataclass
class RunContext(Generic[S]):
    """Handed to a capability hook: the backend's validated settings and the core's services.

    Annotate it with the backend's settings class (``context: RunContext[MySettings]``)
    and ``context.settings`` is typed. A backend that reads anything besides the
    media records it (:meth:`record_input`, :meth:`record_inputs_matching`) so a
    cached answer is never stale, or opts out of the cache (:meth:`uncacheable`).
    """

    backend: str
    settings: S
    state: StateStore
    progress: ProgressCallback = _no_progress
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("framescribe"))
    # The configured image_ocr chain, for a backend that reads text out of pictures it makes
    # (bitmap subtitles): image path and language in, the pages' results out. None when the
    # caller offers no chain (a hook called directly). An answer that used it is not cached
    # (it depends on the OCR chain's configuration); the pictures' own answers are.
    image_ocr: Callable[[Path, str | None], list[OcrResult]] | None = None
    inputs: Inputs = field(default_factory=Inputs)

    def record_input(self, path: str | os.PathLike[str]) -> None:
        """This answer depends on the file at ``path``, or on there being none. Call it before reading the file."""
        self.inputs.file(path)

    def record_inputs_matching(self, directory: str | os.PathLike[str], patterns: Sequence[str]) -> None:
        """This answer depends on which files in ``directory`` match ``patterns`` (fnmatch, case-insensitive) and on their content."""
        self.inputs.matching(directory, patterns)

    def uncacheable(self, reason: str) -> None:
        """Do not cache this answer (e.g. it depends on the time of day or on a remote state)."""
        self.inputs.opt_out(reason)
