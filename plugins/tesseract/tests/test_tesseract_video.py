"""Text in video: the framescribe.video pipeline with the Tesseract reader on generated clips with known text."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framescribe.evaluate import char_error_rate
from framescribe.media import ffmpeg_exe
from framescribe.testing.video_clips import STANDARD, Caption, ClipSpec
from framescribe.types import Box, Segment
from framescribe.video import Region, VideoOptions, extract_video_text

FRAME = 1 / 30
TOLERANCE = 2 * FRAME  # boundaries are refined to the frame; allow one frame either way plus rounding


def find(segments: list[Segment], text: str, max_cer: float = 0.2) -> Segment:
    hits = [s for s in segments if char_error_rate(text, s.value) <= max_cer]
    assert len(hits) == 1, f"expected one segment reading {text!r}, got {[(s.start, s.end, s.value) for s in segments]}"
    return hits[0]


@pytest.fixture(scope="module")
def standard(framescribe_standard_clip: Path, reader: Any) -> Any:
    return extract_video_text(framescribe_standard_clip, reader)


def test_reads_every_caption_once_with_exact_boundaries(standard: Any) -> None:
    segs = standard.segments
    for cap in STANDARD.captions:
        seg = find(segs, cap.text)
        assert char_error_rate(cap.text, seg.value) <= 0.15, seg.value
        assert abs(seg.start - cap.start) <= TOLERANCE, (cap, seg)
        assert abs(seg.end - cap.end) <= TOLERANCE, (cap, seg)
        assert seg.confidence is not None and 0.5 <= seg.confidence <= 1
    assert len(segs) == len(STANDARD.captions), [s.value for s in segs]


def test_logo_shown_throughout_is_one_segment(standard: Any) -> None:
    logo = [s for s in standard.segments if "NEWS" in s.value]
    assert len(logo) == 1
    assert logo[0].start == 0.0 and abs(logo[0].end - 8.0) <= TOLERANCE


def test_texts_on_screen_together_overlap(standard: Any) -> None:
    sphinx = find(standard.segments, "Sphinx of black quartz")
    lower = find(standard.segments, "Officials urge calm")
    assert sphinx.start < lower.end and lower.start < sphinx.end
    assert sphinx.box is not None and lower.box is not None
    assert sphinx.box.y > lower.box.y  # the caption is below the lower third, as drawn


def test_each_text_is_read_once_not_every_sample(standard: Any) -> None:
    stats = standard.metadata["pipeline"]
    assert stats["sampled_frames"] >= 8 * 4
    # Four texts; change detection means a handful of reads, not one per text per sample.
    assert stats["regions_read"] <= 12, stats


def test_start_end_seek_and_clip(framescribe_standard_clip: Path, reader: Any) -> None:
    result = extract_video_text(framescribe_standard_clip, reader, start=4.5, end=6.5)
    stats = result.metadata["pipeline"]
    # Seeking lands on the keyframe at 4.0 s (GOP of 30 frames) at worst: never decodes from 0.
    assert stats["decoded_frames"] <= round(2.0 * 30) + 1, stats
    for seg in result.segments:
        assert 4.5 <= seg.start <= seg.end <= 6.5
    texts = {s.value for s in result.segments}
    assert any(char_error_rate("Officials urge calm", t) <= 0.2 for t in texts), texts
    # Only four samples of this caption are left after 4.5 s: the timing must hold even if the reading is rougher.
    [sphinx] = [s for s in result.segments if "Sphinx" in s.value]
    assert sphinx.start == pytest.approx(4.5, abs=TOLERANCE) and sphinx.end == pytest.approx(5.5, abs=TOLERANCE)


def test_short_caption_of_half_a_second_is_found(framescribe_clip_factory: Callable[[str, ClipSpec], Path], reader: Any) -> None:
    spec = ClipSpec([Caption(1.2, 1.7, "Blink and miss it", (180, 300), stroke=(0, 0, 0))], duration=3.0)
    result = extract_video_text(framescribe_clip_factory("short.mp4", spec), reader)
    seg = find(result.segments, "Blink and miss it", max_cer=0.15)
    assert abs(seg.start - 1.2) <= TOLERANCE and abs(seg.end - 1.7) <= TOLERANCE


def test_rotation_metadata_is_honoured(framescribe_standard_clip: Path, tmp_path: Path, reader: Any) -> None:
    # A phone clip: pictures stored turned a quarter clockwise, with a display matrix that turns them back.
    stored = tmp_path / "stored.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(framescribe_standard_clip), "-t", "3.2", "-vf", "transpose=1",
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "30", str(stored)], check=True)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-display_rotation", "90", "-i", str(stored), "-c", "copy",
                    str(rotated)], check=True)
    result = extract_video_text(rotated, reader)
    assert result.metadata["rotation"] == 90
    assert (result.metadata["width"], result.metadata["height"]) == (640, 360)
    fox = find(result.segments, "The quick brown fox jumps")
    assert fox.box is not None and fox.box.y > 250  # at the bottom of the upright picture, as drawn
    assert abs(fox.start - 1.0) <= TOLERANCE


def test_regions_of_interest_and_min_height(framescribe_standard_clip: Path, reader: Any) -> None:
    top_right = extract_video_text(framescribe_standard_clip, reader, VideoOptions(regions=[(0.7, 0.0, 0.3, 0.25)]), end=2.0)
    assert len(top_right.segments) == 1 and char_error_rate("NEWS 24", top_right.segments[0].value) <= 0.15
    tall_only = extract_video_text(framescribe_standard_clip, reader, VideoOptions(min_text_height=60), end=2.0)
    assert tall_only.segments == []


def test_min_confidence_filters(framescribe_standard_clip: Path, reader: Any) -> None:
    everything = extract_video_text(framescribe_standard_clip, reader, VideoOptions(min_confidence=1.0), end=2.0)
    assert everything.segments == []


def test_backend_through_the_api(framescribe_standard_clip: Path) -> None:
    from framescribe import Framescribe

    fs = Framescribe({"backends": {"tesseract": {"sample_rate": 4}}})
    result = fs.video_text(framescribe_standard_clip, backend="tesseract", start=0.5, end=3.2)
    assert result.backend == "tesseract" and result.metadata["engine"] == "tesserocr"
    find(result.segments, "The quick brown fox jumps")


def test_two_line_caption_is_one_segment_and_boxed_name_and_role_are_two(
        framescribe_clip_factory: Callable[[str, ClipSpec], Path], reader: Any) -> None:
    spec = ClipSpec([
        Caption(0.5, 2.5, "Keep going until you\nreach the old lake", (190, 260), stroke=(0, 0, 0)),
        Caption(3.0, 5.0, "Maria Gonzalez", (40, 40), size=28, box=(140, 50, 20)),
        Caption(3.0, 5.0, "Mayor of Springfield", (40, 84), size=22, box=(10, 10, 10)),
    ], duration=5.5)
    result = extract_video_text(framescribe_clip_factory("stacked.mp4", spec), reader)
    both = find(result.segments, "Keep going until you reach the old lake")
    assert abs(both.start - 0.5) <= TOLERANCE and abs(both.end - 2.5) <= TOLERANCE
    name = find(result.segments, "Maria Gonzalez")
    role = find(result.segments, "Mayor of Springfield")
    assert name.box is not None and role.box is not None and name.box.y < role.box.y
    assert len(result.segments) == 3, [s.value for s in result.segments]


def test_white_letters_over_light_coloured_scenery(reader: Any) -> None:
    import cv2
    import numpy as np

    from framescribe.video import letter_count, white_variant

    rng = np.random.default_rng(3)
    # Bright orange "fur": as light as the letters in grey, but tinted; the letters are white with a soft shadow.
    h, w = 70, 600
    fur = np.empty((h, w, 3), np.uint8)
    fur[..., 0] = rng.integers(40, 120, (h, w))
    fur[..., 1] = rng.integers(150, 210, (h, w))
    fur[..., 2] = rng.integers(220, 256, (h, w))
    img = cv2.GaussianBlur(fur, (3, 3), 0)
    text = "Every seat in the hall"
    cv2.putText(img, text, (22, 47), cv2.FONT_HERSHEY_TRIPLEX, 1.0, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, text, (20, 45), cv2.FONT_HERSHEY_TRIPLEX, 1.0, (250, 250, 250), 1, cv2.LINE_AA)
    variant = white_variant(img, 1.0)
    assert variant is not None and letter_count(variant) >= 12
    region = Region(box=Box(0, 0, w, h), crop=img, median=img, stable=None, variants=[variant], scale=1.0,
                    line_count=1, time=0.0, frames=1)
    readings = reader.read(region)
    assert readings and char_error_rate(text, readings[0].text) <= 0.1, readings
    # Nothing white: no variant, so no OCR call is spent on it.
    assert white_variant(cv2.GaussianBlur(fur, (3, 3), 0), 1.0) is None


