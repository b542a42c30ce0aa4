"""Fixtures of the subtitles plugin's tests: generated media with every kind of track (see caption_media.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make caption_media importable

from caption_media import CaptionScript, bitmap_videos, blank_video, captioned_videos, standard_script


@pytest.fixture(scope="session")
def caption_script() -> CaptionScript:
    return standard_script()


@pytest.fixture(scope="session")
def cc_videos(tmp_path_factory: pytest.TempPathFactory, caption_script: CaptionScript) -> dict[str, Path]:
    return captioned_videos(tmp_path_factory.mktemp("cc"), caption_script)


BITMAP_CUES = [(0.5, 2.0, "Bitmap subtitles are read"), (2.5, 4.0, "with OCR, line by line\nTwo lines here"),
               (4.2, 5.5, "Quick brown fox 42")]


@pytest.fixture(scope="session")
def bitmap_tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return bitmap_videos(tmp_path_factory.mktemp("bitmaps"), BITMAP_CUES)


@pytest.fixture(scope="session")
def base_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return blank_video(tmp_path_factory.mktemp("base") / "base.mp4", 5)
