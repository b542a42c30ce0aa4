"""video_text with RapidOCR through framescribe's text-in-video pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from framescribe import Framescribe
from framescribe.video import TextReader
from framescribe_rapidocr.settings import RapidOcrSettings
from framescribe_rapidocr.video import RapidOcrReader


def test_reader_is_a_pipeline_text_reader() -> None:
    assert isinstance(RapidOcrReader(RapidOcrSettings()), TextReader)


def test_captions_over_a_panning_photo_are_timed(make_captioned_video: Callable[..., Path]) -> None:
    video = make_captioned_video([(1.0, 3.0, "Rain tomorrow")])
    result = Framescribe({}, use_cache=False).video_text(video, backend="rapidocr")
    assert [s.value for s in result.segments] == ["Rain tomorrow"]
    seg = result.segments[0]
    assert abs(seg.start - 1.0) <= 0.25 and abs(seg.end - 3.0) <= 0.25, seg
    assert seg.box is not None and seg.box.y > 250  # the caption sits at the bottom
    assert result.metadata["engine"] == "rapidocr"
    assert result.metadata["pipeline"]["reader_calls"] >= 1


def test_full_frame_detector_reads_moving_text(make_captioned_video: Callable[..., Path]) -> None:
    video = make_captioned_video([(0.0, 2.0, "SCROLLING")], duration=2.0, scroll=True)
    fs = Framescribe({"backends": {"rapidocr": {"detector": "full_frame", "sample_rate": 2}}}, use_cache=False)
    result = fs.video_text(video, backend="rapidocr")
    assert result.segments and {s.value for s in result.segments} == {"SCROLLING"}


def test_a_two_line_region_is_one_reading() -> None:
    import cv2
    import numpy as np

    from framescribe import Box
    from framescribe.video import Region

    crop = np.full((110, 520, 3), 40, np.uint8)
    for text, y in (("First line of the caption", 45), ("and the second one", 95)):
        cv2.putText(crop, text, (10, y), cv2.FONT_HERSHEY_DUPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
    region = Region(box=Box(60, 300, 520, 110), crop=crop, median=crop, stable=None, variants=[crop], scale=1.0,
                    line_count=2, time=1.0, frames=4)
    [reading] = RapidOcrReader(RapidOcrSettings()).read(region)
    assert reading.text == "First line of the caption\nand the second one"
    assert reading.box is not None and reading.box.x < 20 and reading.box.height > 60
    assert reading.words is not None and [w.text for w in reading.words][-2:] == ["second", "one"]
