"""Test settings shared by every test in the repository (core and plugins).

* Each test gets its own cache directory and no user config, so results
  never leak between tests or from the developer's machine.
* No test reaches the internet: a connection to any address outside the
  loopback range, or a DNS lookup of any other name, fails at once
  (:func:`framescribe.testing.loopback_only`).
* ``fake_plugin``: the core's fake backends, for chains that need a next backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from framescribe.testing import loopback_only

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FRAMESCRIBE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("FRAMESCRIBE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    with loopback_only():
        yield


@pytest.fixture
def fake_plugin() -> str:
    """The core's fake backends (``fake-echo``, ``fake-down``, ...) as a ``--plugin`` file, e.g. a chain's fallback."""
    return str(ROOT / "tests" / "plugins" / "fake_backends.py")
