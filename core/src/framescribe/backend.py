"""What a plugin registers (:class:`BackendSpec`) and what it is handed at run time (:class:`RunContext`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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
    """

    name: str
    capabilities: frozenset[Capability]
    description: str = ""
    settings: type[BackendSettings] = NoSettings
    check: Callable[[Any], str | None] | None = None
    local: bool = True  # works with no network at all

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
    ) -> BackendSpec:
        return cls(name, frozenset(capabilities), description, settings, check, local)

    def unavailable_reason(self, settings: BackendSettings) -> str | None:
        if self.check is None:
            return None
        try:
            return self.check(settings)
        except Exception as exc:  # a broken check must not break listing
            return f"availability check failed: {exc}"


@dataclass
class RunContext:
    """Handed to a capability hook: the backend's validated settings and the core's services."""

    backend: str
    settings: Any  # the backend's own BackendSettings subclass
    state: StateStore
    progress: ProgressCallback = _no_progress
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("framescribe"))
    # The configured image_ocr chain, for a backend that reads text out of pictures it makes
    # (bitmap subtitles): image path and language in, the pages' results out. None when the
    # caller offers no chain (a hook called directly).
    image_ocr: Callable[[Path, str | None], list[OcrResult]] | None = None
