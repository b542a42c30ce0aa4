"""The configuration file: which backends serve each capability, and their settings.

Found in this order: ``--config FILE``, ``$FRAMESCRIBE_CONFIG``,
``./framescribe.toml``, then ``config.toml`` in the user config directory.
With none of them the embedded default applies: local backends only.

    [capabilities]
    video_text = ["twelvelabs", "tesseract"]   # tried in order

    [backends.twelvelabs]
    api_key = "${TWELVE_LABS_API_KEY}"          # read from the environment
    index_id = "6543..."

    [cache]
    max_size_mb = 256                           # the result cache's cap (0: no cache)

A place that cannot be read (an unreadable home or config directory) is
skipped like a missing one; only a file named explicitly must be readable.

Other top-level tables belong to plugin commands (``[serve]`` of framescribe-server):
a distribution claims a table through the entry-point group
``framescribe.config_tables`` (name = the table, value = its settings model), so a
misspelt table is still an error while the core knows no command's settings.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import DEFAULT_MAX_SIZE_MB
from .errors import ConfigError
from .types import CAPABILITIES, Capability

# The offline default: every capability served by local backends. Names that
# are not installed are skipped (and said so) rather than being errors.
DEFAULT_CHAINS: dict[Capability, list[str]] = {
    "video_text": ["tesseract", "rapidocr"],
    "transcribe": ["subtitles", "whisper"],
    "image_ocr": ["tesseract", "rapidocr"],
}

TABLES_GROUP = "framescribe.config_tables"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class EnvRef:
    """A ``${VAR}`` of the config file and the value it was filled with: a secret (``${VAR}`` is how keys are given)."""

    var: str
    value: str = field(repr=False)


@dataclass
class Config:
    path: Path | None  # None: the embedded default
    chains: dict[Capability, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_CHAINS.items()})
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Keys whose ${VAR} was unset: (backend, key) -> VAR, so errors can say which variable to set.
    unset_env: dict[tuple[str, str], str] = field(default_factory=dict)
    from_mapping: bool = False  # given as a mapping through the Python API
    cache_max_size_mb: int = DEFAULT_MAX_SIZE_MB  # [cache] max_size_mb
    # backend -> key -> the ${VAR}s its value was filled from; and the value as written, to show instead.
    env_refs: dict[str, dict[str, list[EnvRef]]] = field(default_factory=dict, repr=False)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # [library]: defaults of `framescribe index|search` (path, executor, scheduler, jobs)
    library: dict[str, Any] = field(default_factory=dict)

    # Tables claimed by plugin commands (e.g. "serve"), ${VAR} expanded; each plugin validates its own.
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        if self.path:
            return str(self.path)
        return "config mapping" if self.from_mapping else "built-in default"

    def is_default_chain(self, capability: Capability) -> bool:
        return self.chains.get(capability) == DEFAULT_CHAINS.get(capability)


def user_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("framescribe")) / "config.toml"


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist", hint="check the --config path")
        return path
    env = os.environ.get("FRAMESCRIBE_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"FRAMESCRIBE_CONFIG={env}: no such file")
        return path
    for candidate in (Path("framescribe.toml"), user_config_path()):
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # e.g. an unreadable home: nothing can be found there, as when it is missing
            continue
    return None


def load_config(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> Config:
    """Load a config from a path, a mapping (Python API), or by the search order when None."""
    if isinstance(source, Mapping):
        config = parse_config(source, None)
        config.from_mapping = True
        return config
    path = find_config(source)
    if path is None:
        return Config(None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}", hint="fix the line named above") from exc
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{path}: nested too deeply to be a config", hint="a config nests a few tables, not thousands") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from exc
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path | None) -> Config:
    where = str(path) if path else "config mapping"
    unknown = set(data) - {"capabilities", "backends", "cache", "library"}
    claimed = plugin_tables() if unknown else set()
    if unknown - claimed:
        allowed = ", ".join(["capabilities", "backends", "cache", "library", *sorted(claimed)])
        raise ConfigError(f"{where}: unknown table or key {sorted(unknown - claimed)}; allowed: {allowed}")
    config = Config(path)
    config.cache_max_size_mb = _cache_table(data.get("cache", {}), where)
    config.library = _library_table(data.get("library", {}), where)
    for name in sorted(unknown):
        table = data[name]
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: [{name}] must be a table of settings")
        config.tables[name] = {}
        for key, value in table.items():
            # A plugin's table validates its own values; the ${VAR}s it used are not shown by `config`.
            resolved = _expand_env(value, f"{where}: [{name}].{key}", [])
            if isinstance(resolved, list):
                resolved = [v for v in resolved if v is not _UNSET]  # an unset ${VAR} in a list adds nothing
            if resolved is not _UNSET:
                config.tables[name][key] = resolved
    caps = data.get("capabilities", {})
    if not isinstance(caps, Mapping):
        raise ConfigError(f"{where}: [capabilities] must be a table of capability = [backend names]")
    for cap, chain in caps.items():
        if cap not in CAPABILITIES:
            raise ConfigError(f"{where}: [capabilities] unknown capability {cap!r}; valid: {', '.join(CAPABILITIES)}")
        if isinstance(chain, str):
            chain = [chain]
        if not isinstance(chain, list) or not chain or not all(isinstance(n, str) for n in chain):
            raise ConfigError(f"{where}: [capabilities].{cap} must be a non-empty list of backend names, e.g. {cap} = [\"tesseract\"]")
        config.chains[cap] = list(chain)
    backends = data.get("backends", {})
    if not isinstance(backends, Mapping):
        raise ConfigError(f"{where}: [backends] must hold one table per backend, e.g. [backends.tesseract]")
    for name, table in backends.items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: [backends.{name}] must be a table of settings")
        config.backends[name] = {}
        for key, value in table.items():
            refs: list[EnvRef] = []
            resolved = _expand_env(value, f"{where}: [backends.{name}].{key}", refs)
            if resolved is _UNSET:
                config.unset_env[(name, key)] = _ENV_REF.fullmatch(value).group(1)  # type: ignore[union-attr]
                continue
            config.backends[name][key] = resolved
            if refs:
                config.env_refs.setdefault(name, {})[key] = refs
                config.templates.setdefault(name, {})[key] = value
    return config


def _cache_table(table: Any, where: str) -> int:
    if not isinstance(table, Mapping) or set(table) - {"max_size_mb"}:
        raise ConfigError(f"{where}: [cache] takes one key, max_size_mb (the cache's cap in megabytes; 0: no cache)")
    size = table.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ConfigError(f"{where}: [cache] max_size_mb must be a whole number of megabytes >= 0, not {size!r}")
    return size


_UNSET = object()
# [library] keys and what each must be: the defaults `framescribe index` and `search` use.
LIBRARY_KEYS: dict[str, str] = {
    "path": "a file name",
    "executor": '"local" or "dask"',
    "scheduler": 'a Dask scheduler address, e.g. "tcp://10.0.0.5:8786"',
    "jobs": "a whole number of local worker processes, at least 1",
}


def _library_table(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [library] must be a table, e.g. [library] path = \"media.sqlite3\"")
    for key, value in table.items():
        if key not in LIBRARY_KEYS:
            raise ConfigError(f"{where}: [library] unknown key {key!r}; allowed keys: {', '.join(LIBRARY_KEYS)}")
        ok = {
            "path": isinstance(value, str) and value != "",
            "executor": value in ("local", "dask"),
            "scheduler": isinstance(value, str) and value != "",
            "jobs": isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        }[key]
        if not ok:
            raise ConfigError(f"{where}: [library].{key} = {value!r}: must be {LIBRARY_KEYS[key]}")
    return dict(table)


def plugin_tables() -> set[str]:
    """Top-level config tables that installed distributions claim (entry-point group ``framescribe.config_tables``)."""
    return {ep.name for ep in importlib.metadata.entry_points(group=TABLES_GROUP)}


def _expand_env(value: Any, where: str, refs: list[EnvRef]) -> Any:
    """``value`` with each ``${VAR}`` filled in from the environment; each one used is added to ``refs``."""
    if isinstance(value, list):
        return [_expand_env(v, where, refs) for v in value]
    if not isinstance(value, str):
        return value
    whole = _ENV_REF.fullmatch(value)
    if whole:
        # An unset secret leaves the setting at its default, so the backend
        # reports "needs VAR" and the chain falls back instead of failing here.
        found = os.environ.get(whole.group(1))
        if not found:
            return _UNSET
        refs.append(EnvRef(whole.group(1), found))
        return found

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in os.environ:
            raise ConfigError(f"{where}: environment variable {m.group(1)} is not set")
        refs.append(EnvRef(m.group(1), os.environ[m.group(1)]))
        return os.environ[m.group(1)]

    return _ENV_REF.sub(sub, value)
