"""The Python API: a small typed facade over the plugin host, the config and the chains.

    from framescribe import Framescribe
    fs = Framescribe()                       # config found as the CLI finds it
    result = fs.video_text("clip.mp4", start=0, end=30)
    print(result.to_dict()["data"])

The CLI is a thin layer over this class, so both behave the same. The work is
done by :class:`framescribe.chain.Chain` (``fs.chain``); this class checks the
inputs, builds the requests and lists what is installed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backend import ProgressCallback, RunContext
from .cache import ResultCache
from .chain import Chain, validate_settings
from .config import Config, load_config
from .errors import ConfigError
from .images import check_not_still_image
from .inputs import check_input_file, check_time_range
from .plugins import PluginHost, default_host
from .settings import BackendSettings
from .state import StateStore
from .types import CAPABILITIES, Capability, ImageRequest, OcrResult, VideoRequest, VideoResult


@dataclass(frozen=True)
class BackendStatus:
    """One row of ``framescribe backends``."""

    name: str
    capabilities: tuple[Capability, ...]
    plugin: str
    description: str
    local: bool
    available: bool
    reason: str | None
    settings: dict[str, Any] | None  # None when the settings in the config are invalid


class Framescribe:
    """Entry point of the Python API; holds the plugins, the config and the state store.

    ``config`` is a path, a mapping shaped like the TOML file, a loaded
    :class:`Config`, or None to search as the CLI does. ``plugins`` are extra
    plugin modules or ``.py`` files, like ``--plugin``. ``use_cache=False`` is
    ``--no-cache``; ``cache`` shares a :class:`~framescribe.cache.ResultCache`.
    The chain itself is ``self.chain`` (:class:`~framescribe.chain.Chain`).
    """

    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | Config | None = None,
        *,
        plugins: Sequence[str] = (),
        host: PluginHost | None = None,
        state: StateStore | None = None,
        use_cache: bool = True,
        cache: ResultCache | None = None,
    ) -> None:
        self.config = config if isinstance(config, Config) else load_config(config)
        self.host = host or default_host(tuple(plugins))
        if host is not None:
            for target in plugins:
                if target not in self.host.plugins:  # a shared host may hold it already (the CLI's)
                    host.load_plugin_path(target)
        self.state = state or StateStore()
        self.use_cache = use_cache
        # One cache may be shared by several Framescribe objects (a server); else one per object, capped by the config.
        self.cache = cache or ResultCache(max_size=self.config.cache_max_size_mb * 1024 * 1024, enabled=use_cache)
        self.chain = Chain(self.host, self.config, state=self.state, cache=self.cache)

    def settings_for(self, name: str) -> BackendSettings:
        """The validated settings of backend ``name`` (config table + environment secrets)."""
        return self.chain.settings_for(name)

    def context_for(self, name: str, progress: ProgressCallback | None = None) -> RunContext[Any]:
        """A RunContext for backend ``name`` (plugin commands); BackendUnavailable when it cannot run here."""
        return self.chain.context_for(name, progress)

    def close(self) -> None:
        """Close the state store and the cache (a Framescribe is usable again afterwards: they reopen)."""
        self.state.close()
        self.cache.close()

    # -- listing --------------------------------------------------------------

    def backends(self) -> list[BackendStatus]:
        rows = []
        for name, reg in self.host.backends.items():
            settings: BackendSettings | None
            reason: str | None
            try:
                settings = self.settings_for(name)
            except ConfigError as exc:
                settings, reason = None, str(exc)
            else:
                reason = reg.spec.unavailable_reason(settings)
            rows.append(
                BackendStatus(
                    name=name,
                    capabilities=tuple(c for c in CAPABILITIES if c in reg.spec.capabilities),
                    plugin=reg.plugin_name,
                    description=reg.spec.description,
                    local=reg.spec.local,
                    available=reason is None,
                    reason=reason,
                    settings=settings.public_dict() if settings is not None else None,
                )
            )
        return rows

    def effective_config(self) -> dict[str, Any]:
        """The configuration in force, secrets masked: what ``framescribe config`` prints."""
        backends: dict[str, Any] = {}
        for name in self.host.backends:
            try:
                backends[name] = self.settings_for(name).public_dict()
            except ConfigError as exc:
                backends[name] = {"error": str(exc)}
        return {"source": self.config.origin, "capabilities": dict(self.config.chains), "backends": backends}

    # -- capabilities -------------------------------------------------------

    def video_text(
        self,
        media: str | os.PathLike[str] | None,
        *,
        start: float | None = None,
        end: float | None = None,
        language: str | None = None,
        backend: str | None = None,
        video_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> VideoResult:
        """The text shown on screen in ``media`` as timed segments."""
        request = VideoRequest(_video_path(media, video_id), *check_time_range(start, end), language, None, video_id)
        return self.chain.video_text(request, backend=backend, progress=progress)

    def transcribe(
        self,
        media: str | os.PathLike[str] | None,
        *,
        start: float | None = None,
        end: float | None = None,
        language: str | None = None,
        transcript: str | os.PathLike[str] | None = None,
        backend: str | None = None,
        video_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> VideoResult:
        """The speech of ``media`` as timed segments."""
        transcript_path = check_input_file(transcript, "transcript") if transcript is not None else None
        request = VideoRequest(_video_path(media, video_id), *check_time_range(start, end), language, transcript_path, video_id)
        return self.chain.transcribe(request, backend=backend, progress=progress)

    def image_ocr(
        self,
        image: str | os.PathLike[str],
        *,
        language: str | None = None,
        layout: bool = False,
        backend: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[OcrResult]:
        """The text of an image: one OcrResult per page (one for most formats)."""
        request = ImageRequest(check_input_file(image, "image"), language, layout)
        return self.chain.image_ocr(request, backend=backend, progress=progress)

    def chain_for(self, capability: Capability, backend: str | None = None) -> list[str]:
        """The backends tried for ``capability`` (the configured chain, or just ``backend``)."""
        return self.chain.backends_for(capability, backend)


def _video_path(media: str | os.PathLike[str] | None, video_id: str | None) -> Path | None:
    if media is None and video_id:
        return None
    path = check_input_file(media, "video")
    check_not_still_image(path)  # ffmpeg would read it as a one-frame video
    return path


__all__ = ["BackendStatus", "Framescribe", "check_input_file", "check_time_range", "validate_settings"]
