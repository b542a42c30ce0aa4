"""The Python API: a small typed facade over the plugin host, the config and the chains.

    from framescribe import Framescribe
    fs = Framescribe()                       # config found as the CLI finds it
    result = fs.video_text("clip.mp4", start=0, end=30)
    print(result.to_dict()["data"])

The CLI is a thin layer over this class, so both behave the same.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from .backend import BackendSpec, ProgressCallback, RunContext, _no_progress
from .config import Config, load_config
from .errors import (
    BackendError,
    BackendUnavailable,
    BadInput,
    ConfigError,
    FramescribeError,
    NoBackendAnswered,
    UnknownBackend,
    user_error,
)
from .images import check_not_still_image
from .plugins import PluginHost, Registered, default_host
from .settings import BackendSettings
from .state import StateStore
from .types import (
    CAPABILITIES,
    Capability,
    ImageRequest,
    OcrResult,
    Skipped,
    VideoRequest,
    VideoResult,
)

log = logging.getLogger("framescribe")
R = TypeVar("R")


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
    plugin modules or ``.py`` files, like ``--plugin``.
    """

    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | Config | None = None,
        *,
        plugins: Sequence[str] = (),
        host: PluginHost | None = None,
        state: StateStore | None = None,
        use_cache: bool = True,
    ) -> None:
        self.config = config if isinstance(config, Config) else load_config(config)
        self.host = host or default_host(tuple(plugins))
        if host is not None:
            for target in plugins:
                host.load_plugin_path(target)
        self.state = state or StateStore()
        self.use_cache = use_cache
        self._settings: dict[str, BackendSettings] = {}
        self._validate_config()

    # -- configuration ------------------------------------------------------

    def _validate_config(self) -> None:
        where = self.config.origin
        installed = self.host.backends
        for cap, chain in self.config.chains.items():
            if self.config.is_default_chain(cap):
                continue
            for name in chain:
                if name not in installed:
                    raise UnknownBackend(
                        f"{where}: [capabilities].{cap} names unknown backend {name!r}; "
                        f"installed backends for {cap}: {', '.join(self._names_for(cap)) or 'none'}"
                    )
                if cap not in installed[name].spec.capabilities:
                    raise ConfigError(
                        f"{where}: [capabilities].{cap}: backend {name!r} does not do {cap}; "
                        f"backends that do: {', '.join(self._names_for(cap)) or 'none'}"
                    )
        for name in self.config.backends:
            if name not in installed:
                raise UnknownBackend(f"{where}: [backends.{name}]: unknown backend; installed backends: {', '.join(installed) or 'none'}")
            self.settings_for(name)

    def _names_for(self, capability: Capability) -> list[str]:
        return [n for n, r in self.host.backends.items() if capability in r.spec.capabilities]

    def settings_for(self, name: str) -> BackendSettings:
        """The validated settings of backend ``name`` (config table + environment secrets)."""
        if name not in self._settings:
            spec = self.host.get(name).spec
            raw = self.config.backends.get(name, {})
            self._settings[name] = validate_settings(spec, raw, self.config.origin)
        return self._settings[name]

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
        return self._run_video("video_text", request, backend, progress)

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
        return self._run_video("transcribe", request, backend, progress)

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
        results: list[OcrResult] = self._dispatch(
            "image_ocr",
            request,
            backend,
            progress,
            cache_key=self._cache_key("image_ocr", request.image, {"language": language, "layout": layout}),
            encode=lambda rs: [r.to_dict() for r in rs],
            decode=lambda data: [OcrResult.from_dict(d) for d in data],
        )
        return results

    def _run_video(self, capability: Capability, request: VideoRequest, backend: str | None,
                   progress: ProgressCallback | None) -> VideoResult:
        params = {"start": request.start, "end": request.end, "language": request.language, "video_id": request.video_id}
        if request.transcript is not None:
            params["transcript"] = self.state.digest(request.transcript)
        result: VideoResult = self._dispatch(
            capability,
            request,
            backend,
            progress,
            cache_key=self._cache_key(capability, request.media, params),
            encode=lambda r: r.to_dict(),
            decode=VideoResult.from_dict,
        )
        return result.clipped(request.start, request.end)

    # -- the chain ------------------------------------------------------------

    def chain_for(self, capability: Capability, backend: str | None = None) -> list[str]:
        if backend is None:
            return list(self.config.chains[capability])
        reg = self.host.get(backend)
        if capability not in reg.spec.capabilities:
            raise UnknownBackend(
                f"backend {backend!r} does not do {capability}; backends that do: {', '.join(self._names_for(capability)) or 'none'}"
            )
        return [backend]

    def _dispatch(
        self,
        capability: Capability,
        request: Any,
        backend: str | None,
        progress: ProgressCallback | None,
        *,
        cache_key: Callable[[str, BackendSettings], str | None],
        encode: Callable[[Any], Any],
        decode: Callable[[Any], Any],
    ) -> Any:
        skipped: list[Skipped] = []
        for name in self.chain_for(capability, backend):
            reg = self.host.backends.get(name)
            if reg is None:  # only the built-in default chain may name absent backends
                skipped.append(Skipped(name, "not installed"))
                continue
            if capability not in reg.spec.capabilities:
                skipped.append(Skipped(name, f"does not do {capability}"))
                continue
            settings = self.settings_for(name)
            reason = reg.spec.unavailable_reason(settings)
            if reason is not None:
                log.info("%s: skipping %s: %s", capability, name, reason)
                skipped.append(Skipped(name, reason))
                continue
            key = cache_key(name, settings) if self.use_cache else None
            if key is not None and (hit := self.state.get("cache", key)) is not None:
                log.info("%s: %s answered from cache", capability, name)
                return _stamp(decode(hit), name, skipped, request)
            try:
                result = self._call(capability, reg, request, settings, progress)
            except BackendUnavailable as exc:
                log.warning("%s: %s unavailable, trying the next backend: %s", capability, name, exc.message)
                skipped.append(Skipped(name, exc.message))
                continue
            if key is not None:
                self.state.set("cache", key, encode(result))
            return _stamp(result, name, skipped, request)
        tried = "; ".join(f"{s.backend}: {s.reason}" for s in skipped) or "the chain is empty"
        raise NoBackendAnswered(
            f"no backend could do {capability} ({tried})",
            hint="run `framescribe backends` to see what is installed and what each one needs",
        )

    def _call(self, capability: Capability, reg: Registered, request: Any, settings: BackendSettings,
              progress: ProgressCallback | None) -> Any:
        context = RunContext(reg.spec.name, settings, self.state, progress or _no_progress,
                             logging.getLogger(f"framescribe.{reg.spec.name}"),
                             image_ocr=lambda image, language: self.image_ocr(image, language=language))
        hook = self.host.caller(capability, reg)
        try:
            result = hook(backend=reg.spec.name, request=request, context=context)
        except FramescribeError:
            raise
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            log.debug("backend %s crashed", reg.spec.name, exc_info=True)
            raise BackendError(
                f"backend {reg.spec.name} failed: {type(exc).__name__}: {exc}",
                hint="run with -v for the traceback, and report it to the plugin's authors",
            ) from exc
        if result is None:
            raise BackendError(f"backend {reg.spec.name} (plugin {reg.plugin_name}) returned nothing for {capability}")
        return result

    def _cache_key(self, capability: str, media: Path | None, params: Mapping[str, Any]) -> Callable[[str, BackendSettings], str | None]:
        def key(name: str, settings: BackendSettings) -> str | None:
            if media is None:
                return None
            reg = self.host.get(name)
            version = self.host.plugins.get(reg.plugin_name)
            material = {
                "capability": capability,
                "backend": name,
                "plugin_version": version.version if version else None,
                "media": self.state.digest(media),
                "settings": settings.public_dict(),
                "params": dict(params),
            }
            return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()

        return key


def _stamp(result: R, backend: str, skipped: list[Skipped], request: Any) -> R:
    source = str(getattr(request, "media", None) or getattr(request, "image", None) or "") or None
    items = result if isinstance(result, list) else [result]
    for item in items:
        if not isinstance(item, (VideoResult, OcrResult)):
            raise BackendError(f"backend {backend} returned {type(item).__name__}, not a framescribe result")
        item.backend = backend
        item.skipped = list(skipped)
        item.source = source  # a cached result may come from an identical file elsewhere
    return result


def validate_settings(spec: BackendSpec, raw: Mapping[str, Any], where: str) -> BackendSettings:
    allowed = ", ".join(spec.settings.model_fields) or "none"
    try:
        return spec.settings.model_validate(dict(raw))
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(table)"
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key {key!r}")
            else:
                problems.append(f"{key}: {err['msg']}")
        raise ConfigError(f"{where}: [backends.{spec.name}] {'; '.join(problems)}; allowed keys: {allowed}") from None


def check_time_range(start: float | None, end: float | None) -> tuple[float | None, float | None]:
    for label, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0):
            raise BadInput(f"invalid time range: {label}={value!r}", hint="start and end are seconds >= 0")
    if start is not None and end is not None and end <= start:
        raise BadInput(f"invalid time range: end ({end}) must be after start ({start})")
    return (None if start is None else float(start)), (None if end is None else float(end))


def check_input_file(path: str | os.PathLike[str] | None, what: str) -> Path:
    if path is None or str(path) == "":
        raise BadInput(f"no {what} given")
    p = Path(path)
    try:
        if not p.exists():
            if p.is_symlink():  # say why the link leads nowhere (missing target, a loop)
                os.stat(p)
            raise BadInput(f"{what} {p} does not exist")
        if p.is_dir():
            raise BadInput(f"{what} {p} is a directory, not a file")
        if not os.access(p, os.R_OK):
            raise BadInput(f"{what} {p} is not readable (permission denied)")
        if p.stat().st_size == 0:
            raise BadInput(f"{what} {p} is empty (0 bytes)")
    except OSError as exc:  # a name too long, a loop of symlinks: said as what it is, exit 2
        link = f" (a symbolic link to {os.readlink(p)})" if exc.errno in (errno.ELOOP, errno.ENOENT) else ""
        raise user_error(exc, f"cannot read {what} {p}{link}") from None
    return p


def _video_path(media: str | os.PathLike[str] | None, video_id: str | None) -> Path | None:
    if media is None and video_id:
        return None
    path = check_input_file(media, "video")
    check_not_still_image(path)  # ffmpeg would read it as a one-frame video
    return path
