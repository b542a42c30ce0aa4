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
from framescribe.video import Reading, Region, TextReader, VideoOptions, extract_video_text

FRAME = 1 / 30
TOLERANCE = 2 * FRAME  # boundaries are refined to the frame; allow one frame either way plus rounding


def find(segments: list[Segment], text: str, max_cer: float = 0.2) -> Segment:
    hits = [s for s in segments if char_error_rate(text, s.value) <= max_cer]
    assert len(hits) == 1, f"expected one segment reading {text!r}, got {[(s.start, s.end, s.value) for s in segments]}"
    return hits[0]


@pytest.fixture(scope="module")
def standard(standard_clip: Path, reader: Any) -> Any:
    return extract_video_text(standard_clip, reader)


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


def test_start_end_seek_and_clip(standard_clip: Path, reader: Any) -> None:
    result = extract_video_text(standard_clip, reader, start=4.5, end=6.5)
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


def test_short_caption_of_half_a_second_is_found(clip_factory: Callable[[str, ClipSpec], Path], reader: Any) -> None:
    spec = ClipSpec([Caption(1.2, 1.7, "Blink and miss it", (180, 300), stroke=(0, 0, 0))], duration=3.0)
    result = extract_video_text(clip_factory("short.mp4", spec), reader)
    seg = find(result.segments, "Blink and miss it", max_cer=0.15)
    assert abs(seg.start - 1.2) <= TOLERANCE and abs(seg.end - 1.7) <= TOLERANCE


def test_rotation_metadata_is_honoured(standard_clip: Path, tmp_path: Path, reader: Any) -> None:
    # A phone clip: pictures stored turned a quarter clockwise, with a display matrix that turns them back.
    stored = tmp_path / "stored.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(standard_clip), "-t", "3.2", "-vf", "transpose=1",
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


def test_regions_of_interest_and_min_height(standard_clip: Path, reader: Any) -> None:
    top_right = extract_video_text(standard_clip, reader, VideoOptions(regions=[(0.7, 0.0, 0.3, 0.25)]), end=2.0)
    assert len(top_right.segments) == 1 and char_error_rate("NEWS 24", top_right.segments[0].value) <= 0.15
    tall_only = extract_video_text(standard_clip, reader, VideoOptions(min_text_height=60), end=2.0)
    assert tall_only.segments == []


def test_min_confidence_filters(standard_clip: Path, reader: Any) -> None:
    everything = extract_video_text(standard_clip, reader, VideoOptions(min_confidence=1.0), end=2.0)
    assert everything.segments == []


class Recorder:
    """A reader that answers with fixed text, to show the OCR step is a parameter."""

    def __init__(self) -> None:
        self.regions: list[Region] = []

    def read(self, region: Region) -> list[Reading]:
        self.regions.append(region)
        return [Reading(f"text at {region.box.y}", 0.9)]


def test_any_reader_plugs_in_and_gets_prepared_regions(standard_clip: Path) -> None:
    rec = Recorder()
    assert isinstance(rec, TextReader)
    result = extract_video_text(standard_clip, rec, end=2.0)
    assert result.segments and all(s.value.startswith("text at") for s in result.segments)
    for region in rec.regions:
        h, w = region.crop.shape[:2]
        assert region.crop.ndim == 3 and region.median.shape == region.crop.shape
        assert (region.box.width, region.box.height) == (w, h)
        assert region.variants and all(v.ndim == 2 and set(map(int, v.ravel()[::7])) <= {0, 255} for v in region.variants)
        assert region.frames >= 2 and region.line_count >= 1


def test_full_frame_mode_hands_whole_frames(standard_clip: Path) -> None:
    rec = Recorder()
    extract_video_text(standard_clip, rec, VideoOptions(detector="full_frame"), end=2.0)
    assert rec.regions
    for region in rec.regions:
        assert region.crop.shape[:2] == (360, 640) and region.variants == []


def test_backend_through_the_api(standard_clip: Path) -> None:
    from framescribe import Framescribe

    fs = Framescribe({"backends": {"tesseract": {"sample_rate": 4}}})
    result = fs.video_text(standard_clip, backend="tesseract", start=0.5, end=3.2)
    assert result.backend == "tesseract" and result.metadata["engine"] == "tesserocr"
    find(result.segments, "The quick brown fox jumps")


def test_two_line_caption_is_one_segment_and_boxed_name_and_role_are_two(
        clip_factory: Callable[[str, ClipSpec], Path], reader: Any) -> None:
    spec = ClipSpec([
        Caption(0.5, 2.5, "Keep going until you\nreach the old lake", (190, 260), stroke=(0, 0, 0)),
        Caption(3.0, 5.0, "Maria Gonzalez", (40, 40), size=28, box=(140, 50, 20)),
        Caption(3.0, 5.0, "Mayor of Springfield", (40, 84), size=22, box=(10, 10, 10)),
    ], duration=5.5)
    result = extract_video_text(clip_factory("stacked.mp4", spec), reader)
    both = find(result.segments, "Keep going until you reach the old lake")
    assert abs(both.start - 0.5) <= TOLERANCE and abs(both.end - 2.5) <= TOLERANCE
    name = find(result.segments, "Maria Gonzalez")
    role = find(result.segments, "Mayor of Springfield")
    assert name.box is not None and role.box is not None and name.box.y < role.box.y
    assert len(result.segments) == 3, [s.value for s in result.segments]


def test_merge_joins_pieces_and_keeps_changed_numbers_apart() -> None:
    from framescribe.video.merge import Candidate, contained, merge_candidates
    from framescribe.video.regions import Rect

    place = Rect(100, 300, 400, 40)
    logo = Rect(500, 20, 120, 30)
    cands = [
        Candidate(0.0, 10.0, "WORLD NEWS 24", 0.95, logo),
        Candidate(10.0, 30.0, "NEWS 24", 0.96, Rect(540, 20, 80, 30)),  # the same logo after a cut, part found
        Candidate(2.0, 4.0, "It took three days to get here.", 0.93, place),
        Candidate(2.0, 4.0, "It to", 0.96, Rect(100, 300, 60, 40)),  # a fragment read beside the whole
        Candidate(4.0, 9.0, "Slide 1 of 5", 0.9, Rect(1100, 670, 120, 20)),
        Candidate(9.0, 18.0, "Slide 2 of 5", 0.9, Rect(1100, 670, 120, 20)),
    ]
    merged = merge_candidates(cands, gap=1.0, min_similarity=0.8)
    texts = [(c.start, c.end, c.text) for c in merged]
    assert (0.0, 30.0, "WORLD NEWS 24") in texts
    assert (2.0, 4.0, "It took three days to get here.") in texts
    assert (4.0, 9.0, "Slide 1 of 5") in texts and (9.0, 18.0, "Slide 2 of 5") in texts
    assert len(merged) == 4, texts
    assert contained("NEWS 24", "WORLD NEWS 24") and not contained("WORLD NEWS 24", "NEWS 24")


def test_fragment_with_misread_punctuation_is_folded_into_the_caption() -> None:
    from framescribe.video.merge import Candidate, contained, merge_candidates
    from framescribe.video.regions import Rect

    caption = Candidate(17.7, 20.7, "Sphinx of black quartz, judge my vow.", 0.91, Rect(130, 380, 560, 50))
    scrap = Candidate(18.8, 20.7, "VOW,", 0.82, Rect(600, 400, 80, 30))  # the caption's end, cut edge read as ","
    # a rough piece from inside the caption's box: only 4 of its 6 letters and digits match, but the place is taken
    rough = Candidate(18.8, 20.7, "ihx of 1", 0.91, Rect(200, 390, 150, 35))
    merged = merge_candidates([caption, scrap, rough], gap=1.0, min_similarity=0.8)
    assert [c.text for c in merged] == [caption.text]
    assert contained("vow,", "my vow.") and not contained("cow", "my vow.")


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


def test_piece_of_changing_texts_and_padded_reading_do_not_win() -> None:
    from framescribe.video.merge import Candidate, merge_candidates
    from framescribe.video.regions import Rect

    page = Rect(1100, 670, 120, 20)
    cands = [
        Candidate(9.0, 18.0, "Slide 2 of 5", 0.93, page),
        Candidate(18.0, 27.0, "Slide 3 of 5", 0.96, page),
        Candidate(27.0, 36.0, "Slide 4 of 5", 0.96, page),
        # a track that kept only the part that never changed: it must not stretch "Slide 3 of 5" to 45 s
        Candidate(25.8, 45.0, "Slide", 0.97, Rect(1100, 670, 50, 20)),
        # the same caption twice: once cleanly, once with scenery read as letters around it
        Candidate(21.4, 24.2, "The library closes early on Sundays.", 0.96, Rect(111, 305, 420, 28)),
        Candidate(21.4, 24.2, "~ i SC 2 4 Tiheli brary closes early on Sundays. -", 0.71, Rect(41, 268, 488, 82)),
    ]
    merged = [(c.start, c.end, c.text) for c in merge_candidates(cands, gap=1.0, min_similarity=0.8)]
    assert merged == [(9.0, 18.0, "Slide 2 of 5"), (18.0, 27.0, "Slide 3 of 5"),
                      (21.4, 24.2, "The library closes early on Sundays."), (27.0, 36.0, "Slide 4 of 5")]


def test_strings_of_one_and_two_letter_words_need_high_confidence() -> None:
    from framescribe.video.pipeline import _plausible

    assert not _plausible("Fa 4 hd", 0.75)  # texture read as letters
    assert _plausible("I am ok", 0.9)
    assert _plausible("Best day ever", 0.75)


def test_changed_digit_is_seen_on_a_still_picture() -> None:
    import cv2
    import numpy as np

    from framescribe.video.regions import EDGE_THRESHOLD, edge_map, matches

    def page(n: int, background: Any) -> Any:
        img = background.copy()
        cv2.putText(img, f"Slide {n} of 5", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
        return img

    still = np.full((34, 137), 40, np.uint8)
    ref = page(2, still)
    edges = edge_map(ref) > EDGE_THRESHOLD
    assert matches(ref, edges, page(2, still), strip=10, detail=edges)
    assert not matches(ref, edges, page(3, still), strip=10, detail=edges)


def test_text_line_touching_a_tall_still_object_is_found() -> None:
    import cv2
    import numpy as np

    from framescribe.video import find_text_boxes

    frame = np.full((540, 304), 50, np.uint8)
    cv2.rectangle(frame, (140, 150), (175, 539), 200, 2)  # a mast/rocket outline running through the caption
    cv2.rectangle(frame, (74, 375), (230, 402), 10, -1)  # the caption's box, on top of it
    cv2.putText(frame, "Worth the wait", (80, 395), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 255, 1, cv2.LINE_AA)
    boxes = find_text_boxes(frame, frame.copy(), 8)
    assert any(b.rect.y >= 370 and b.rect.y2 <= 408 and b.rect.w >= 100 for b in boxes), boxes
