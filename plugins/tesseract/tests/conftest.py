"""Fixtures of the tesseract plugin's tests; the media makers are in framescribe.testing.video_clips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framescribe.testing.video_clips import STANDARD, ClipSpec, make_clip


@pytest.fixture(scope="session")
def clip_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, ClipSpec], Path]:
    folder = tmp_path_factory.mktemp("clips")

    def make(name: str, spec: ClipSpec) -> Path:
        return make_clip(folder / name, spec)

    return make


@pytest.fixture(scope="session")
def standard_clip(clip_factory: Callable[[str, ClipSpec], Path]) -> Path:
    return clip_factory("standard.mp4", STANDARD)


@pytest.fixture(scope="session")
def reader() -> Any:
    from framescribe_tesseract import TesseractReader

    return TesseractReader("eng")
