"""Every installed built-in backend passes the conformance kit (framescribe.testing).

Local backends run the whole kit on small media (the kit's own, or the speech clips the plugins
ship for transcription). Remote backends run the contract part (registration, cheap import,
availability, settings, secrets) with settings pointing at loopback; their own tests run them
against real servers on 127.0.0.1. A local backend whose plugin tests already run the kit is not
run twice.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from framescribe.plugins import ENTRY_POINT_GROUP, PluginHost
from framescribe.testing import BackendConformance, BackendContract

# faster-whisper's hub client reads this once, at import: no test may fetch a model.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "plugins"
LOOPBACK = "http://127.0.0.1:9"  # nothing listens: the contract never calls the service

# Settings that make a remote backend available without reaching anything.
REMOTE_SETTINGS: dict[str, dict[str, Any]] = {
    "imagehq": {"api_key": "conformance-key", "api_url": LOOPBACK},
    "twelvelabs": {"api_key": "conformance-key", "api_url": LOOPBACK, "index_id": "conformance-index"},
    "ocrservices": {"api_url": LOOPBACK, "api_key": "conformance-key", "bucket": "conformance-bucket",
                    "user_id": "conformance-user"},
}
# Media and expectations for local backends that the kit's sample media do not suit.
LOCAL: dict[str, dict[str, Any]] = {
    "tesseract": {"expected_text": {"image_ocr": "FRAMESCRIBE 42", "video_text": "HELLO"}},
    "whisper": {"media": PLUGINS / "whisper/tests/data/hello.mp4", "expected_text": {"transcribe": "hello world"}},
    "subtitles": {"media": PLUGINS / "subtitles/tests/data/subtitled.mp4",
                  "expected_text": {"transcribe": "Subtitles are read from the video file."}},
}


def builtin_distributions() -> dict[str, Path]:
    out = {}
    for pyproject in sorted(PLUGINS.glob("*/pyproject.toml")):
        out[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return out


def builtin_backends() -> dict[str, tuple[bool, Path]]:
    """Backend name -> (local, plugin directory), for every built-in plugin installed here."""
    dists = builtin_distributions()
    wanted = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None and ep.dist.name in dists}
    host = PluginHost()
    host.load_entry_points()
    out = {}
    for name, reg in host.backends.items():
        info = host.plugins.get(reg.plugin_name)
        if reg.plugin_name in wanted and info is not None:
            dist = info.source.removeprefix("entry point of ")
            out[name] = (reg.spec.local, dists[dist])
    return out


def covered_by_own_tests(name: str, plugin_dir: Path) -> bool:
    pattern = re.compile(r"class \w+\((BackendConformance|BackendContract)\):\s*(#.*)?\n(\s+.*\n)*?\s+backend = [\"']" + re.escape(name))
    return any(pattern.search(p.read_text()) for p in plugin_dir.glob("tests/**/test_*.py"))


def _media_fixture(path: Path) -> Callable[..., Path]:
    @pytest.fixture
    def sample_video(self: Any, tmp_path: Path) -> Path:
        return Path(shutil.copy(path, tmp_path / path.name))

    return sample_video


def class_name(backend: str) -> str:
    return "TestBuiltin_" + re.sub(r"\W", "_", backend)


BACKENDS = builtin_backends()
# The contract is cheap, so remote backends always run it here; the full kit of a local backend
# runs here unless its own tests run it.
RUN_HERE = {name: local for name, (local, plugin_dir) in BACKENDS.items()
            if not local or not covered_by_own_tests(name, plugin_dir)}

for _name, _local in RUN_HERE.items():
    _attrs: dict[str, Any] = {"backend": _name, "__module__": __name__}
    if _local:
        _extra = LOCAL.get(_name, {})
        if "expected_text" in _extra:
            _attrs["expected_text"] = _extra["expected_text"]
        if "media" in _extra:
            _attrs["sample_video"] = _media_fixture(_extra["media"])
        _base: type = BackendConformance
    else:
        _attrs["settings"] = REMOTE_SETTINGS.get(_name, {})
        _attrs["expect_available"] = _name in REMOTE_SETTINGS
        _base = BackendContract
    _cls_name = class_name(_name)
    globals()[_cls_name] = type(_cls_name, (_base,), _attrs)


def test_every_builtin_backend_meets_the_kit_somewhere() -> None:
    """Each installed built-in backend runs the kit here or in its own plugin's tests."""
    assert BACKENDS, "no built-in plugin is installed"
    for name, (_local, plugin_dir) in BACKENDS.items():
        here = class_name(name) in globals()
        assert here or covered_by_own_tests(name, plugin_dir), name


def test_every_builtin_plugin_is_installed_and_registers_a_backend() -> None:
    """CI installs every plugin under plugins/ (requirements-dev.txt); one missing would escape the kit silently.

    A plugin that registers no backend must add a command instead (framescribe-server adds `serve`)."""
    installed = {ep.dist.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None}
    dists = builtin_distributions()
    assert set(dists) <= installed, f"not installed: {sorted(set(dists) - installed)}"
    with_backends = {plugin_dir for _, plugin_dir in BACKENDS.values()}
    host = PluginHost()
    host.load_entry_points()
    commands_only = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is not None and ep.dist.name in dists and dists[ep.dist.name] not in with_backends:
            plugin = host.pm.get_plugin(ep.name)
            if plugin is not None and host.pm.parse_hookimpl_opts(plugin, "register_commands") is not None:
                commands_only.add(dists[ep.dist.name])
    assert with_backends | commands_only == set(dists.values())
    assert PLUGINS / "server" in commands_only


def test_remote_backends_are_named_here() -> None:
    """A new remote built-in needs loopback settings above, or its availability is not checked."""
    remote = {name for name, (local, _) in BACKENDS.items() if not local}
    assert remote <= set(REMOTE_SETTINGS), sorted(remote - set(REMOTE_SETTINGS))


def test_shipped_media_exist() -> None:
    for name, extra in LOCAL.items():
        if name in RUN_HERE and "media" in extra:
            assert extra["media"].is_file(), extra["media"]
