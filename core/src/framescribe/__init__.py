"""framescribe: text out of media -- speech, on-screen text in video, and text in images.

Backends are plugins; see :mod:`framescribe.hookspecs` for the hooks and
:class:`framescribe.Framescribe` for the Python API.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .api import BackendStatus, Framescribe
from .backend import BackendSpec, ProgressCallback, RunContext
from .errors import (
    BackendError,
    BackendUnavailable,
    BadInput,
    ConfigError,
    FramescribeError,
    MissingDependency,
    NoBackendAnswered,
    UnknownBackend,
)
from .hookspecs import hookimpl
from .settings import BackendSettings, NoSettings, missing_secret_reason, secret
from .types import (
    CAPABILITIES,
    Block,
    Box,
    Capability,
    ImageRequest,
    Line,
    OcrResult,
    Segment,
    Skipped,
    VideoRequest,
    VideoResult,
    Word,
    layout_from_text,
)

try:
    __version__ = version("framescribe")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CAPABILITIES",
    "BackendError",
    "BackendSettings",
    "BackendSpec",
    "BackendStatus",
    "BackendUnavailable",
    "BadInput",
    "Block",
    "Box",
    "Capability",
    "ConfigError",
    "Framescribe",
    "FramescribeError",
    "ImageRequest",
    "Line",
    "MissingDependency",
    "NoBackendAnswered",
    "NoSettings",
    "OcrResult",
    "ProgressCallback",
    "RunContext",
    "Segment",
    "Skipped",
    "UnknownBackend",
    "VideoRequest",
    "VideoResult",
    "Word",
    "hookimpl",
    "layout_from_text",
    "missing_secret_reason",
    "secret",
]
