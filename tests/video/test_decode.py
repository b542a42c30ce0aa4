"""The decoder of framescribe.video: one open per video, probing included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest

from framescribe.testing.video_clips import STANDARD, make_clip
from framescribe.video import Reading, Region, SampleReader, extract_video_text, probe_video
from framescribe.video import decode as decode_module


class NoReader:
    def read(self, region: Region) -> list[Reading]:
        return []


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("decode") / "standard.mp4", STANDARD)


def test_the_pipeline_opens_each_video_once(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = av.open

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(decode_module.av, "open", counting_open)
    result = extract_video_text(clip, NoReader())
    assert opened == [str(clip)]
    assert result.metadata["width"] == 640 and result.duration == pytest.approx(8.0, abs=0.05)
    opened.clear()
    extract_video_text(str(clip), NoReader(), start=2.0, end=4.0)  # seeking reuses the same open file
    assert opened == [str(clip)]


def test_the_reader_knows_the_video_and_starts_from_the_probed_frame(clip: Path) -> None:
    frames = SampleReader(clip, 0.5)
    assert frames.info == probe_video(clip)
    samples = list(frames)
    # A sample every half second, then the last frame as the tail (for refining the last boundaries).
    assert [round(s.time, 3) for s in samples[:16]] == [0.5 * i for i in range(16)] and len(samples) == 17
    assert frames.decoded == 240  # the probed first frame is counted once, not decoded twice


def test_a_reader_never_iterated_can_be_closed(clip: Path) -> None:
    frames = SampleReader(str(clip), 1.0)
    frames.close()
    assert frames.info.height == 360
