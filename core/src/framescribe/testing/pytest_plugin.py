"""The pytest plugin of framescribe (entry point ``pytest11``), loaded whenever framescribe is installed.

It only registers markers, deselects conformance tests for capabilities a
backend does not declare, and offers fixtures; it changes nothing in test
runs that do not use them. Disable it with ``-p no:framescribe``.

Fixtures:
  framescribe_loopback_only   refuse and record connections outside loopback (yields the attempts)
  framescribe_sample_image    a PNG showing "FRAMESCRIBE 42"
  framescribe_sample_video    an MP4 showing "HELLO WORLD" (0-2 s) then "SECOND CARD" (2-4 s)
  framescribe_clip_factory    make(name, ClipSpec) -> a clip of captions at known times (session-wide)
  framescribe_standard_clip   the 8 s clip of framescribe.testing.video_clips.STANDARD (session-wide)
  framescribe_http_server     a started :class:`~framescribe.testing.loopback.LoopbackServer` on 127.0.0.1
  framescribe_factory         make Framescribe instances for a test (chosen plugins, no cache); closed after it
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..api import Framescribe
    from .loopback import LoopbackServer

NOT_APPLICABLE = "framescribe_not_applicable"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{NOT_APPLICABLE}: a conformance test for a capability the backend does not declare")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if item.get_closest_marker(NOT_APPLICABLE) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def framescribe_loopback_only() -> Iterator[list[str]]:
    from .network import loopback_only

    with loopback_only() as attempts:
        yield attempts


@pytest.fixture
def framescribe_http_server() -> Iterator[LoopbackServer]:
    from .loopback import started

    yield from started()


@pytest.fixture
def framescribe_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Framescribe]]:
    """``make(config, only=[entry-point names], plugins=[modules or .py files], use_cache=False)`` -> Framescribe.

    ``only`` loads just those installed plugins (``$FRAMESCRIBE_PLUGINS``), so a test
    sees its own backend and nothing from the machine. Every instance (state store and cache) is
    closed after the test, and plugins loaded from files are forgotten, so the next
    test loads them afresh.
    """
    import sys

    from ..api import Framescribe

    before = {name for name in sys.modules if name.startswith("framescribe_extra_")}
    made: list[Framescribe] = []

    def make(config: Any = None, *, only: Sequence[str] | None = None, plugins: Sequence[str] = (),
             use_cache: bool = False) -> Framescribe:
        if only is not None:
            monkeypatch.setenv("FRAMESCRIBE_PLUGINS", ",".join(only))
        fs = Framescribe(config if config is not None else {}, plugins=[str(p) for p in plugins], use_cache=use_cache)
        made.append(fs)
        return fs

    yield make
    for fs in made:
        fs.close()
    for name in [n for n in sys.modules if n.startswith("framescribe_extra_") and n not in before]:
        del sys.modules[name]


@pytest.fixture
def framescribe_sample_image(tmp_path: Path) -> Path:
    from .media import make_text_image

    return make_text_image(tmp_path / "sample.png")


@pytest.fixture
def framescribe_sample_video(tmp_path: Path) -> Path:
    from .media import make_text_video

    return make_text_video(tmp_path / "sample.mp4")


@pytest.fixture(scope="session")
def framescribe_clip_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Any], Path]:
    """``make(name, spec)``: a clip of :class:`framescribe.testing.video_clips.ClipSpec` (captions at known times over
    a moving picture), written once per session under ``name``."""
    from .video_clips import make_clip

    folder = tmp_path_factory.mktemp("clips")

    def make(name: str, spec: Any) -> Path:
        return make_clip(folder / name, spec)

    return make


@pytest.fixture(scope="session")
def framescribe_standard_clip(framescribe_clip_factory: Callable[[str, Any], Path]) -> Path:
    """8 s, 640x360: two captions one after another, a boxed lower third overlapping the second, a corner label
    throughout (``framescribe.testing.video_clips.STANDARD``)."""
    from .video_clips import STANDARD

    return framescribe_clip_factory("standard.mp4", STANDARD)
