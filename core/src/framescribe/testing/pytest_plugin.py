"""The pytest plugin of framescribe (entry point ``pytest11``), loaded whenever framescribe is installed.

It only registers markers, deselects conformance tests for capabilities a
backend does not declare, and offers fixtures; it changes nothing in test
runs that do not use them. Disable it with ``-p no:framescribe``.

Fixtures:
  framescribe_loopback_only   refuse and record connections outside loopback (yields the attempts)
  framescribe_sample_image    a PNG showing "FRAMESCRIBE 42"
  framescribe_sample_video    an MP4 showing "HELLO WORLD" (0-2 s) then "SECOND CARD" (2-4 s)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
def framescribe_sample_image(tmp_path: Path) -> Path:
    from .media import make_text_image

    return make_text_image(tmp_path / "sample.png")


@pytest.fixture
def framescribe_sample_video(tmp_path: Path) -> Path:
    from .media import make_text_video

    return make_text_video(tmp_path / "sample.mp4")
