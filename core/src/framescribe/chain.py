"""The chain with fallback: the backends configured for a capability, tried in order until one answers.

This is what the facade (:class:`framescribe.Framescribe`), the CLI, plugin
commands, the library indexer and the server call::

    chain = Chain(host, config, state=StateStore(), cache=ResultCache())
    result = chain.video_text(VideoRequest(Path("clip.mp4")))
    pages = chain.image_ocr(ImageRequest(Path("scan.png")))

For each backend in turn: skip it when not installed or not available here
(``BackendSpec.check``); answer from the cache when it holds a still-valid
answer (:mod:`framescribe.cache`); else call the hook of the one plugin that
registered the backend. ``BackendUnavailable`` moves on to the next backend,
any other error stops the chain. Requests are checked by the caller
(:mod:`framescribe.inputs`); the chain trusts them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from . import settings as settings_model
from .backend import BackendSpec, ProgressCallback, RunContext, _no_progress
from .cache import Inputs, ResultCache, result_key
from .config import Config
from .errors import BackendError, BackendUnavailable, ConfigError, FramescribeError, NoBackendAnswered, UnknownBackend
from .inputs import check_input_file
from .plugins import PluginHost, Registered
from .settings import BackendSettings
from .state import StateStore
from .types import Capability, ImageRequest, OcrResult, Skipped, VideoRequest, VideoResult

log = logging.getLogger("framescribe")
R = TypeVar("R")


class Chain:
    """Backends chosen per capability by ``config``, found in ``host``; answers kept in ``cache``.

    ``state`` is the store handed to backends (remote plugins remember uploads
    in it). A Chain is safe to share between threads.
    """

    def __init__(self, host: PluginHost, config: Config, *, state: StateStore | None = None,
                 cache: ResultCache | None = None) -> None:
        self.host = host
        self.config = config
        self.state = state or StateStore()
        self.cache = cache or ResultCache(enabled=False)
        self._settings: dict[str, BackendSettings] = {}
        self.validate()

    # -- configuration ------------------------------------------------------

    def validate(self) -> None:
        """Every backend the config names is installed and does what it is named for; its settings are valid."""
        where = self.config.origin
        installed = self.host.backends
        for cap, chain in self.config.chains.items():
            if self.config.is_default_chain(cap):
                continue
            for name in chain:
                if name not in installed:
                    raise UnknownBackend(
                        f"{where}: [capabilities].{cap} names unknown backend {name!r}; "
                        f"installed backends for {cap}: {', '.join(self.names_for(cap)) or 'none'}"
                    )
                if cap not in installed[name].spec.capabilities:
                    raise ConfigError(
                        f"{where}: [capabilities].{cap}: backend {name!r} does not do {cap}; "
                        f"backends that do: {', '.join(self.names_for(cap)) or 'none'}"
                    )
        for name in self.config.backends:
            if name not in installed:
                raise UnknownBackend(f"{where}: [backends.{name}]: unknown backend; installed backends: {', '.join(installed) or 'none'}")
            self.settings_for(name)

    def names_for(self, capability: Capability) -> list[str]:
        """Installed backends that do ``capability``."""
        return [n for n, r in self.host.backends.items() if capability in r.spec.capabilities]

    def settings_for(self, name: str) -> BackendSettings:
        """The validated settings of backend ``name`` (config table + environment secrets)."""
        if name not in self._settings:
            spec = self.host.get(name).spec
            raw = self.config.backends.get(name, {})
            self._settings[name] = settings_model.validate_settings(
                spec.settings, name, raw, self.config.origin,
                self.config.env_refs.get(name), self.config.templates.get(name))
        return self._settings[name]

    def context_for(self, name: str, progress: ProgressCallback | None = None) -> RunContext[Any]:
        """A RunContext for backend ``name``, as the chain hands one to its hooks (for plugin commands).

        Raises BackendUnavailable, with the backend's reason, when it cannot run here.
        """
        reg = self.host.get(name)
        settings = self.settings_for(name)
        reason = reg.spec.unavailable_reason(settings)
        if reason is not None:
            raise BackendUnavailable(f"{name} cannot run: {reason}")
        return self._context(name, settings, progress)

    def _context(self, name: str, settings: BackendSettings, progress: ProgressCallback | None) -> RunContext[Any]:
        context: RunContext[Any] = RunContext(name, settings, self.state, progress or _no_progress,
                                              logging.getLogger(f"framescribe.{name}"), inputs=Inputs(self.cache.digests))

        def image_ocr(image: Path, language: str | None) -> list[OcrResult]:
            # The answer now depends on the image_ocr chain's backends and settings, which its key does not
            # hold: it is not cached. Each picture's own answer is (keyed by the picture's content).
            context.uncacheable("read pictures through the image_ocr chain")
            return self.image_ocr(ImageRequest(check_input_file(image, "image"), language, False))

        context.image_ocr = image_ocr
        return context

    def backends_for(self, capability: Capability, backend: str | None = None) -> list[str]:
        """The names tried for ``capability``: the configured chain, or just ``backend`` when one is named."""
        if backend is None:
            return list(self.config.chains[capability])
        reg = self.host.get(backend)
        if capability not in reg.spec.capabilities:
            raise UnknownBackend(
                f"backend {backend!r} does not do {capability}; backends that do: {', '.join(self.names_for(capability)) or 'none'}"
            )
        return [backend]

    # -- running ----------------------------------------------------------------

    def video_text(self, request: VideoRequest, *, backend: str | None = None,
                   progress: ProgressCallback | None = None) -> VideoResult:
        """The text shown on screen, clipped to the request's time range."""
        return self._video("video_text", request, backend, progress)

    def transcribe(self, request: VideoRequest, *, backend: str | None = None,
                   progress: ProgressCallback | None = None) -> VideoResult:
        """The speech, clipped to the request's time range."""
        return self._video("transcribe", request, backend, progress)

    def image_ocr(self, request: ImageRequest, *, backend: str | None = None,
                  progress: ProgressCallback | None = None) -> list[OcrResult]:
        """The text of an image, one OcrResult per page."""
        params = {"language": request.language, "layout": request.layout}
        results: list[OcrResult] = self._run(
            "image_ocr", request, backend, progress, request.image, params,
            encode=lambda rs: [r.to_dict() for r in rs],
            decode=lambda data: [OcrResult.from_dict(d) for d in data],
        )
        return results

    def run(self, capability: Capability, request: VideoRequest | ImageRequest, *, backend: str | None = None,
            progress: ProgressCallback | None = None) -> VideoResult | list[OcrResult]:
        """Any capability by name (for callers that pick it at run time, e.g. an indexer walking files)."""
        if capability == "image_ocr":
            if not isinstance(request, ImageRequest):
                raise TypeError(f"image_ocr takes an ImageRequest, not {type(request).__name__}")
            return self.image_ocr(request, backend=backend, progress=progress)
        if not isinstance(request, VideoRequest):
            raise TypeError(f"{capability} takes a VideoRequest, not {type(request).__name__}")
        return self._video(capability, request, backend, progress)

    def _video(self, capability: Capability, request: VideoRequest, backend: str | None,
               progress: ProgressCallback | None) -> VideoResult:
        params: dict[str, Any] = {"start": request.start, "end": request.end, "language": request.language,
                                  "video_id": request.video_id}
        if request.transcript is not None:
            params["transcript"] = request.transcript  # replaced by its digest when a key is made
        result: VideoResult = self._run(capability, request, backend, progress, request.media, params,
                                        encode=lambda r: r.to_dict(), decode=VideoResult.from_dict)
        return result.clipped(request.start, request.end)

    def _run(self, capability: Capability, request: VideoRequest | ImageRequest, backend: str | None,
             progress: ProgressCallback | None, media: Path | None, params: dict[str, Any], *,
             encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> Any:
        skipped: list[Skipped] = []
        names = self.backends_for(capability, backend)
        for position, name in enumerate(names, 1):
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
            key = self._key(capability, reg, settings, media, params)
            location = str(media.absolute()) if media is not None else None
            read: list[str] = []
            if key is not None and (hit := self._cached(key, location, decode, read)) is not None:
                log.info("%s: %s answered from cache", capability, name)
                return _stamp(hit, name, skipped, request, read)
            context = self._context(name, settings, progress)
            try:
                result = self._call(capability, reg, request, context)
            except BackendUnavailable as exc:
                more = "trying the next backend" if position < len(names) else "no backend left to try"
                log.warning("%s: %s unavailable, %s: %s", capability, name, more, exc.message)
                skipped.append(Skipped(name, exc.message))
                continue
            _check_shape(capability, result, name)
            stamped = _stamp(result, name, skipped, request, context.inputs.paths())
            if key is not None:
                self.cache.put(key, encode(stamped), context.inputs, location)
            return stamped
        tried = "; ".join(f"{s.backend}: {s.reason}" for s in skipped) or "the chain is empty"
        raise NoBackendAnswered(
            f"no backend could do {capability} ({tried})",
            hint="run `framescribe backends` to see what is installed and what each one needs",
        )

    def _key(self, capability: Capability, reg: Registered, settings: BackendSettings, media: Path | None,
             params: Mapping[str, Any]) -> str | None:
        if media is None or not reg.spec.cacheable or not self.cache.usable:
            return None
        try:
            digests = self.cache.digests
            material = {k: (digests.of(v) if isinstance(v, Path) else v) for k, v in params.items()}
            info = self.host.plugins.get(reg.plugin_name)
            return result_key(capability, reg.spec.name, info.version if info else None, digests.of(media),
                              settings.fingerprint(), material)  # a ${VAR} value changes the key, unstored
        except OSError as exc:  # the input vanished meanwhile: the backend will say so; just do not cache
            log.debug("no cache key: %s", exc)
            return None

    def _cached(self, key: str, location: str | None, decode: Callable[[Any], R], read: list[str]) -> R | None:
        data = self.cache.get(key, location, read=read)
        if data is None:
            return None
        try:
            return decode(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an entry we cannot read is a miss
            log.debug("cache entry unreadable, ignored: %s", exc)
            return None

    def _call(self, capability: Capability, reg: Registered, request: VideoRequest | ImageRequest,
              context: RunContext[Any]) -> Any:
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


def describe(value: Any) -> str:
    """What a hook returned, for messages: ``a list of 2 Segment``, ``a VideoResult``, ``None``."""
    if isinstance(value, list):
        kinds = sorted({type(v).__name__ for v in value})
        return f"a list of {len(value)} {'/'.join(kinds) or 'items'}"
    return "None" if value is None else f"a {type(value).__name__}"


def _check_shape(capability: Capability, result: Any, backend: str) -> None:
    """A hook's answer has its capability's type, or the error says what came back and what was due."""
    if capability == "image_ocr":
        ok, due = isinstance(result, list) and all(isinstance(r, OcrResult) for r in result), "a list of OcrResult"
    else:
        ok, due = isinstance(result, VideoResult), "a VideoResult"
    if not ok:
        raise BackendError(f"backend {backend} returned {describe(result)} for {capability}; the hook must return {due}",
                           hint="report it to the plugin's authors")


def _stamp(result: R, backend: str, skipped: list[Skipped], request: VideoRequest | ImageRequest, read: list[str]) -> R:
    media = request.media if isinstance(request, VideoRequest) else request.image
    source = str(media) if media is not None else None
    items: list[VideoResult | OcrResult] = result if isinstance(result, list) else [result]  # type: ignore[list-item]
    for item in items:  # the shape was checked by _check_shape (answers) or written by this code (cache hits)
        item.backend = backend
        item.skipped = list(skipped)
        item.source = source  # a cached result may come from an identical file elsewhere
        item.read = list(read)
    return result


def validate_settings(spec: BackendSpec, raw: Mapping[str, Any], where: str) -> BackendSettings:
    """``raw`` (a ``[backends.NAME]`` table) validated against the backend's settings class; ConfigError naming each problem."""
    return settings_model.validate_settings(spec.settings, spec.name, raw, where)
