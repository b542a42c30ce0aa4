"""Loading plugins and collecting the backends they register.

Built-in backends are distributions of their own that declare an entry point
in the group ``framescribe``, exactly as a third-party plugin does; the core
imports none of them. Each entry point is loaded on its own so that one
broken plugin is reported (``framescribe plugins``) instead of stopping
start-up.

Environment:
  FRAMESCRIBE_PLUGINS        comma-separated allowlist of entry-point names
                             (set but empty: load no plugins at all)
  FRAMESCRIBE_BLOCK_PLUGINS  comma-separated names never to load
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .backend import BackendSpec
from .errors import ConfigError, UnknownBackend

ENTRY_POINT_GROUP = "framescribe"
log = logging.getLogger("framescribe.plugins")


@dataclass
class PluginInfo:
    """One plugin as ``framescribe plugins`` shows it."""

    name: str
    source: str  # "entry point <dist>", "--plugin <path>", "registered"
    version: str | None = None
    error: str | None = None
    backends: list[str] = field(default_factory=list)


@dataclass
class Registered:
    spec: BackendSpec
    plugin: object
    plugin_name: str


class PluginHost:
    """A pluggy manager plus the backends its plugins registered, keyed by name."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._backends: dict[str, Registered] | None = None

    # -- loading -----------------------------------------------------------

    def load_entry_points(self) -> None:
        allow_env = os.environ.get("FRAMESCRIBE_PLUGINS")
        allow = None if allow_env is None else {n.strip() for n in allow_env.split(",") if n.strip()}
        block = {n.strip() for n in os.environ.get("FRAMESCRIBE_BLOCK_PLUGINS", "").split(",") if n.strip()}
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if (allow is not None and ep.name not in allow) or ep.name in block:
                continue
            if ep.name in self.plugins or self.pm.get_plugin(ep.name) is not None:
                continue
            dist = ep.dist.name if ep.dist else "?"
            info = PluginInfo(ep.name, f"entry point of {dist}", ep.dist.version if ep.dist else None)
            self.plugins[ep.name] = info
            try:
                obj = ep.load()
                self._register(obj, ep.name)
            except Exception as exc:  # isolation: report, never fatal
                info.error = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s failed to load: %s", ep.name, info.error)

    def load_plugin_path(self, target: str) -> None:
        """Load a module name or a ``.py`` file as a plugin for this run (``--plugin``)."""
        info = PluginInfo(target, f"--plugin {target}")
        try:
            if target.endswith(".py") or os.sep in target:
                path = Path(target)
                if not path.is_file():
                    raise ConfigError(f"--plugin {target}: no such file", hint="give a .py file path or an importable module name")
                name = f"framescribe_extra_{path.stem}"
                module_spec = importlib.util.spec_from_file_location(name, path)
                assert module_spec is not None and module_spec.loader is not None
                module: ModuleType = importlib.util.module_from_spec(module_spec)
                sys.modules[name] = module
                module_spec.loader.exec_module(module)
            else:
                module = importlib.import_module(target)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"--plugin {target}: could not load it: {type(exc).__name__}: {exc}") from exc
        self.plugins[target] = info
        self._register(module, target)

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object directly (tests, embedding applications)."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        self.plugins[name] = PluginInfo(name, "registered")
        self._register(plugin, name)

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.plugins.pop(name, None)
        self._backends = None

    def _register(self, plugin: object, name: str) -> None:
        self.pm.register(plugin, name=name)
        try:
            # A misspelt hook name would otherwise be silently ignored.
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            raise ConfigError(f"plugin {name}: {exc}", hint="hook names are listed in framescribe.hookspecs") from exc
        self._backends = None

    # -- backends ----------------------------------------------------------

    @property
    def backends(self) -> dict[str, Registered]:
        if self._backends is None:
            self._backends = self._collect_backends()
        return self._backends

    def _collect_backends(self) -> dict[str, Registered]:
        found: dict[str, Registered] = {}
        for impl in self.pm.hook.register_backends.get_hookimpls():
            info = self.plugins.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name, "registered"))

            def register(spec: BackendSpec, _impl: Any = impl, _info: PluginInfo = info) -> None:
                if not isinstance(spec, BackendSpec):
                    raise TypeError(f"register() takes a BackendSpec, got {type(spec).__name__}")
                if spec.name in found and found[spec.name].plugin is not _impl.plugin:
                    other = found[spec.name].plugin_name
                    raise ConfigError(f"backend {spec.name!r} is registered by both {other} and {_impl.plugin_name}",
                                      hint="block one with FRAMESCRIBE_BLOCK_PLUGINS")
                found[spec.name] = Registered(spec, _impl.plugin, _impl.plugin_name)
                _info.backends.append(spec.name)

            try:
                impl.function(register=register)
            except ConfigError:
                raise
            except Exception as exc:
                info.error = f"register_backends failed: {type(exc).__name__}: {exc}"
                log.warning("plugin %s: %s", impl.plugin_name, info.error)
        return dict(sorted(found.items()))

    def get(self, name: str) -> Registered:
        try:
            return self.backends[name]
        except KeyError:
            known = ", ".join(self.backends) or "none installed"
            raise UnknownBackend(f"unknown backend {name!r}; installed backends: {known}") from None

    def caller(self, hook: str, registered: Registered) -> Any:
        """The hook restricted to the plugin that registered the backend."""
        others = [p for p in self.pm.get_plugins() if p is not registered.plugin]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)


def default_host(extra_plugins: list[str] | tuple[str, ...] = ()) -> PluginHost:
    host = PluginHost()
    host.load_entry_points()
    for target in extra_plugins:
        host.load_plugin_path(target)
    return host
