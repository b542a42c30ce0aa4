"""The shortcuts that make text in video cheap: each must give the same answer as the long way, or a safe one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from framescribe.evaluate import char_error_rate
from framescribe.testing.video_clips import Caption, ClipSpec
from framescribe.types import Box
from framescribe.video import (
    Reading,
    Region,
    SampleReader,
    VideoOptions,
    binary_variants,
    binary_variants_with_counts,
    extract_video_text,
    letter_blobs,
    letter_count,
    median_image,
    pipeline,
    sorted_frames,
)
from framescribe.video.regions import EDGE_THRESHOLD, edge_map, stripe_coherence
from framescribe_tesseract import video_reader

FRAME = 1 / 30


def line_image(text: str, width: int = 700) -> np.ndarray:
    """Black letters on white, about 30 px tall, with the white border the pipeline's variants have."""
    img = np.full((70, width), 255, np.uint8)
    cv2.putText(img, text, (14, 48), cv2.FONT_HERSHEY_DUPLEX, 1.2, 0, 2, cv2.LINE_AA)
    return np.where(img < 128, 0, 255).astype(np.uint8)


def test_sorted_frames_and_median_agree_with_numpy() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 20):
        for shape in ((9, 13), (9, 13, 3)):
            crops = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
            expected = np.sort(np.stack(crops), axis=0)
            got = sorted_frames(crops)
            assert len(got) == n and all(np.array_equal(expected[i], got[i]) for i in range(n)), n
            assert np.array_equal(median_image(crops), np.median(np.stack(crops), axis=0).astype(np.uint8)), n


def test_variant_counts_and_blobs_are_the_letter_count() -> None:
    rng = np.random.default_rng(2)
    base = np.full((60, 400), 90, np.uint8)
    cv2.putText(base, "Counted once", (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 235, 2, cv2.LINE_AA)
    crops = [np.clip(base.astype(int) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8) for _ in range(6)]
    stack = sorted_frames(crops)
    counted, scale = binary_variants_with_counts(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    plain, plain_scale = binary_variants(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    assert counted and scale == plain_scale
    assert all(np.array_equal(a, b) for (a, _), b in zip(counted, plain, strict=True))
    for variant, n in counted:
        assert n == letter_count(variant) == len(letter_blobs(variant))
    assert max(n for _, n in counted) >= 9  # the letters of "Counted once", give or take a joined pair


def test_skipping_non_reference_frames_decodes_about_half(standard_clip: Path) -> None:
    with av.open(str(standard_clip)) as container:
        total = sum(1 for _ in container.decode(video=0))
    every = SampleReader(standard_clip, 0.25)
    every_times = [s.time for s in every]
    skipping = SampleReader(standard_clip, 0.25, skip_nonref=True)
    skipping_times = [s.time for s in skipping]
    assert every.decoded == total
    assert skipping.decoded < 0.75 * total  # libx264's B-frames that nothing refers to are not decoded
    # Still a sample every quarter second, each within a frame or two of the full decode's.
    assert len(skipping_times) == len(every_times)
    assert all(abs(a - b) <= 2 * FRAME + 1e-6 for a, b in zip(skipping_times, every_times, strict=True))


# x264's slower presets make B-frames that other frames refer to (B-pyramid): skipping them would corrupt the rest.
PYRAMID = ClipSpec([Caption(0.5, 2.5, "Reference frames", (150, 300), stroke=(0, 0, 0))],
                   duration=3.0, extra=["-preset", "slow", "-x264-params", "ref=8:bframes=5:b-pyramid=normal"])


def test_the_frames_kept_are_decoded_exactly_as_in_a_full_decode(clip_factory: Any) -> None:
    clip = clip_factory("pyramid.mp4", PYRAMID)

    def frames(skip: str | None) -> dict[int, np.ndarray]:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            if skip:
                stream.codec_context.skip_frame = skip
            return {f.pts: f.to_ndarray(format="gray") for f in container.decode(stream)}

    full, kept = frames(None), frames("NONREF")
    assert 0 < len(kept) < 0.75 * len(full)
    assert all(np.array_equal(image, full[pts]) for pts, image in kept.items())


def test_every_frame_is_a_backend_setting() -> None:
    from framescribe_tesseract.settings import TesseractSettings
    from framescribe_tesseract.video_text import video_options

    assert video_options(TesseractSettings()).every_frame is False
    assert video_options(TesseractSettings(every_frame=True)).every_frame is True


def test_every_frame_gives_exact_boundaries(standard_clip: Path, reader: Any) -> None:
    result = extract_video_text(standard_clip, reader, VideoOptions(every_frame=True), end=3.4)
    assert result.metadata["pipeline"]["decoded_frames"] == round(3.4 * 30)
    hits = [s for s in result.segments if char_error_rate("The quick brown fox jumps", s.value) <= 0.2]
    assert len(hits) == 1
    assert abs(hits[0].start - 1.0) <= FRAME / 2 and abs(hits[0].end - 3.0) <= FRAME / 2


class ThreadRecorder:
    def __init__(self) -> None:
        self.threads: set[int] = set()

    def read(self, region: Region) -> list[Reading]:
        self.threads.add(threading.get_ident())
        return []


def test_reader_threads_outlive_a_run(standard_clip: Path) -> None:
    # Per-thread reader state (a loaded Tesseract model) is then loaded once per process, not once per video.
    first, second = ThreadRecorder(), ThreadRecorder()
    extract_video_text(standard_clip, first, VideoOptions(ocr_workers=1), end=4.0)
    extract_video_text(standard_clip, second, VideoOptions(ocr_workers=1), end=4.0)
    assert first.threads and second.threads == first.threads
    assert threading.get_ident() not in first.threads


def region_of(variants: list[np.ndarray]) -> Region:
    h, w = variants[0].shape
    colour = cv2.cvtColor(variants[0], cv2.COLOR_GRAY2BGR)
    return Region(box=Box(0, 0, w, h), crop=colour, median=colour, stable=None, variants=variants, scale=1.0,
                  line_count=1, time=0.0, frames=1)


class CountingReader:
    """The Tesseract reader, counting its Tesseract calls."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.calls = 0

    def read(self, region: Region) -> list[Reading]:
        words = self.reader._words

        def counted(variant: Any, psm: int) -> Any:
            self.calls += 1
            return words(variant, psm)

        self.reader._words = counted
        try:
            return list(self.reader.read(region))
        finally:
            del self.reader._words


def test_a_sure_complete_line_is_read_once(reader: Any) -> None:
    text = "Meet me at the old harbour"
    # The other polarity of outlined text: letter-sized scraps that outnumber the letters, all within the line.
    scraps = np.full((70, 700), 255, np.uint8)
    for x in range(24, 466, 12):
        cv2.rectangle(scraps, (x, 24), (x + 5, 44), 0, -1)
    assert letter_count(scraps) > 1.3 * letter_count(line_image(text))
    counting = CountingReader(reader)
    readings = counting.read(region_of([line_image(text), scraps]))
    assert readings and char_error_rate(text, readings[0].text) <= 0.05, readings
    assert counting.calls == 1


def test_a_line_missing_a_word_another_variant_shows_is_not_trusted(reader: Any) -> None:
    full = line_image("Meet me at the old harbour")
    partial = full.copy()
    # The first variant lost "the old" (say, to a moving background); the second still draws it.
    x1, x2 = (14 + cv2.getTextSize(t, cv2.FONT_HERSHEY_DUPLEX, 1.2, 2)[0][0] for t in ("Meet me at ", "Meet me at the old"))
    partial[:, x1 - 4:x2 + 4] = 255
    counting = CountingReader(reader)
    readings = counting.read(region_of([partial, full]))
    assert readings and char_error_rate("Meet me at the old harbour", readings[0].text) <= 0.05, readings
    assert counting.calls >= 2


def test_reading_leaves_tesseract_inverting_as_it_was(reader: Any) -> None:
    reader.read(region_of([line_image("Nothing inverted here")]))
    assert reader.engine.api(reader.languages).GetBoolVariable("tessedit_do_invert") is True


@pytest.mark.parametrize(("words", "kept"), [
    # Scenery beside the caption: punctuation, then a junk word next to another unsure one.
    ([("The", 0.96), ("boats.", 0.63), ("®", 0.0), ("anar", 0.0), ("\\", 0.79)], ["The", "boats."]),
    # A misread word right after a sure one is part of the text: keeping it keeps the reading honest.
    ([("quartz,", 0.93), ("jud", 0.92), ("my.yow.", 0.0), ("a", 0.15), ("Alu,", 0.19)], ["quartz,", "jud", "my.yow."]),
    ([("|", 0.94), ("Slide", 0.96), ("3", 0.9)], ["Slide", "3"]),
    ([("~", 0.1), ("-", 0.3)], []),
])
def test_scraps_at_the_ends_of_a_line_are_trimmed(words: list[tuple[str, float]], kept: list[str]) -> None:
    from framescribe_tesseract.video_reader import _trim, _Word

    trimmed = _trim([_Word(t, c, (0, 0, 1, 1)) for t, c in words])
    assert [w.text for w in trimmed] == kept


def test_pieces_found_together_grow_a_young_text(standard_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ends of a line found in one sample, each too small an addition alone, make the track the whole line."""
    from framescribe.video import regions

    middle = regions.TextBox(regions.Rect(200, 300, 220, 26), 26, 1)
    ends = [regions.TextBox(regions.Rect(170, 300, 60, 26), 26, 1), regions.TextBox(regions.Rect(400, 300, 50, 26), 26, 1)]
    calls = iter(range(1000))

    def fake_find(*args: Any, **kwargs: Any) -> list[Any]:
        n = next(calls)  # call n compares sample n + 1 (about (n + 1) / 4 s) with the one before it
        return [middle] if n == 4 else ends if n == 5 else []

    monkeypatch.setattr(regions, "find_text_boxes", fake_find)
    boxes: list[Box] = []

    class BoxRecorder:
        def read(self, region: Region) -> list[Reading]:
            boxes.append(region.box)
            return []

    extract_video_text(standard_clip, BoxRecorder(), end=3.4)
    widest = max(boxes, key=lambda b: b.width)
    assert widest.x <= 170 and widest.x + widest.width >= 450, boxes


def test_stripes_run_one_way_and_letters_do_not() -> None:
    line = line_image("Sphinx of black quartz")
    yy, xx = np.mgrid[0:40, 0:120]
    stripes = np.where((xx - yy) % 9 < 3, 40, 170).astype(np.uint8)
    for img, low, high in ((line, 0.0, 0.45), (stripes, 0.9, 1.0)):
        coherence = stripe_coherence(img, edge_map(img) > EDGE_THRESHOLD)
        assert low <= coherence <= high


STRIPES = ClipSpec([Caption(1.0, 4.0, "Stripes are not words", (150, 300), stroke=(0, 0, 0))], duration=5.0,
                   stripes=(200, 100, 90, 24))


def test_still_stripes_are_not_read_but_the_caption_is(clip_factory: Any, reader: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clip = clip_factory("stripes.mp4", STRIPES)
    handed: list[Box] = []

    class Recorder:
        def read(self, region: Region) -> list[Reading]:
            handed.append(region.box)
            return reader.read(region)

    result = extract_video_text(clip, Recorder())
    assert [s.value for s in result.segments] == ["Stripes are not words"]
    assert handed and all(b.y > 250 for b in handed), handed
    # Without the test of the edges' direction the patch passes for text and costs a reading.
    monkeypatch.setattr(pipeline, "MAX_STRIPES", 2.0)
    handed.clear()
    extract_video_text(clip, Recorder())
    assert any(b.y < 150 for b in handed), handed


def test_a_short_word_in_a_long_bar_is_not_taken_for_stripes(clip_factory: Any, reader: Any) -> None:
    """The bar's long edges run one way; the test looks at the text's own region, where the letters dominate."""
    spec = ClipSpec([Caption(0.5, 3.5, "LIVE", (48, 50), size=30, box=(30, 30, 160), box_width=580)], duration=4.0)
    result = extract_video_text(clip_factory("bar.mp4", spec), reader)
    assert [s.value for s in result.segments] == ["LIVE"]


@pytest.mark.parametrize(("fill", "outline"), [(245, 10), (10, 245)])
def test_after_an_outlined_text_comes_the_plain_image_of_its_own_colour(fill: int, outline: int) -> None:
    # An outline's rings outnumber the letters they hold, so by letter count alone the outline would be read
    # second: a wasted Tesseract call before the letters' own plain image, on most outlined captions.
    rng = np.random.default_rng(1)
    base = np.full((90, 560), 140, np.uint8)
    cv2.putText(base, "Walled in", (40, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, outline, 7, cv2.LINE_AA)
    cv2.putText(base, "Walled in", (40, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, fill, 3, cv2.LINE_AA)
    letters = np.abs(base.astype(int) - fill) < 60
    crops = [np.clip(base.astype(int) + rng.integers(-4, 5, base.shape), 0, 255).astype(np.uint8) for _ in range(6)]
    stack = sorted_frames(crops)
    counted, _ = binary_variants_with_counts(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    assert len(counted) == 3  # the letters walled in by the outline, then a plain image of each colour

    def on_letters(variant: np.ndarray) -> float:
        ink = variant[12:-12, 12:-12] < 128  # the pipeline pads every variant by 12 white pixels
        size = (ink.shape[1], ink.shape[0])
        inside = cv2.resize(letters.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        return float((ink & inside).sum() / max(1, ink.sum()))

    shares = [on_letters(v) for v, _ in counted]
    assert shares[0] > 0.8 and shares[1] > 0.8 and shares[2] < 0.2, shares
    assert counted[2][1] > counted[1][1]  # what makes this case: the outline's rings counted as more letters


def test_the_regions_handed_over_carry_each_variants_letter_count(standard_clip: Path, reader: Any) -> None:
    handed: list[Region] = []

    class Recorder:
        def read(self, region: Region) -> list[Reading]:
            handed.append(region)
            return reader.read(region)

    extract_video_text(standard_clip, Recorder(), end=4.0)
    assert handed
    for region in handed:
        assert region.letters == [letter_count(v) for v in region.variants]


def test_the_reader_counts_no_letters_the_region_brings(reader: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[np.ndarray] = []
    monkeypatch.setattr(video_reader, "letter_count", lambda v: counted.append(v) or letter_count(v))
    monkeypatch.setattr(video_reader, "letter_blobs", lambda v: counted.append(v) or letter_blobs(v))
    text = "Counted by the pipeline"
    region = region_of([line_image(text)])
    region.letters = [letter_count(region.variants[0])]
    readings = reader.read(region)
    assert readings and char_error_rate(text, readings[0].text) <= 0.05, readings
    assert not counted
    # A Region built without the counts (by another caller of the reader) is counted here.
    region.letters = None
    assert reader.read(region) == readings
    assert counted
