"""Fixtures for the core's tests: the fake plugin file and a Framescribe built on it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe

PLUGINS_DIR = Path(__file__).parent / "plugins"
FAKE_PLUGIN = PLUGINS_DIR / "fake_backends.py"


@pytest.fixture
def no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load no entry-point plugins, so core tests see only the fakes they load."""
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "")


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x01not really a video" * 10)
    return path


@pytest.fixture
def make_fs(no_installed_plugins: None) -> Iterator[Callable[..., Framescribe]]:
    made: list[Framescribe] = []

    def make(config: Any = None, plugins: tuple[str, ...] = (), **kwargs: Any) -> Framescribe:
        fs = Framescribe(config if config is not None else {}, plugins=[str(FAKE_PLUGIN), *plugins], **kwargs)
        made.append(fs)
        return fs

    yield make
    module = sys.modules.get("framescribe_extra_fake_backends")
    if module is not None:
        module.CALLS.clear()
    for fs in made:
        fs.close()
    sys.modules.pop("framescribe_extra_fake_backends", None)


@pytest.fixture
def calls() -> Callable[[str], int]:
    """How often a fake backend really ran in this test."""

    def count(backend: str) -> int:
        module = sys.modules.get("framescribe_extra_fake_backends")
        return 0 if module is None else int(module.CALLS.get(backend, 0))

    return count
