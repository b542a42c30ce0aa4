"""The shortcuts that make text in video cheap: each must give the same answer as the long way, or a safe one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from framescribe.evaluate import char_error_rate
from framescribe.testing.video_clips import Caption, ClipSpec
from framescribe.types import Box
from framescribe.video import (
    Reading,
    Region,
    VideoOptions,
    extract_video_text,
    letter_blobs,
    letter_count,
    pipeline,
)
from framescribe_tesseract import video_reader

FRAME = 1 / 30


def line_image(text: str, width: int = 700) -> np.ndarray:
    """Black letters on white, about 30 px tall, with the white border the pipeline's variants have."""
    img = np.full((70, width), 255, np.uint8)
    cv2.putText(img, text, (14, 48), cv2.FONT_HERSHEY_DUPLEX, 1.2, 0, 2, cv2.LINE_AA)
    return np.where(img < 128, 0, 255).astype(np.uint8)


# x264's slower presets make B-frames that other frames refer to (B-pyramid): skipping them would corrupt the rest.
def test_every_frame_is_a_backend_setting() -> None:
    from framescribe_tesseract.settings import TesseractSettings
    from framescribe_tesseract.video_text import video_options

    assert video_options(TesseractSettings()).every_frame is False
    assert video_options(TesseractSettings(every_frame=True)).every_frame is True


def test_every_frame_gives_exact_boundaries(framescribe_standard_clip: Path, reader: Any) -> None:
    result = extract_video_text(framescribe_standard_clip, reader, VideoOptions(every_frame=True), end=3.4)
    assert result.metadata["pipeline"]["decoded_frames"] == round(3.4 * 30)
    hits = [s for s in result.segments if char_error_rate("The quick brown fox jumps", s.value) <= 0.2]
    assert len(hits) == 1
    assert abs(hits[0].start - 1.0) <= FRAME / 2 and abs(hits[0].end - 3.0) <= FRAME / 2


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


def test_a_binary_variant_read_as_one_bit_reads_as_the_eight_bit_image(reader: Any) -> None:
    """Words, confidences and boxes the same: Tesseract's own thresholding of a 0/255 image finds the same pixels."""
    from framescribe_tesseract.engines import TesserocrEngine, _page_words

    engine = reader.engine
    if not isinstance(engine, TesserocrEngine):
        pytest.skip("the one-bit path is tesserocr's (this machine reads with the tesseract binary)")
    for text in ("Meet me at the old harbour", "Slide 3 of 12", "QUARTERLY RESULTS 2026"):
        img = line_image(text)
        api = engine.api(reader.languages)
        api.SetPageSegMode(7)
        api.SetImageBytes(img.tobytes(), img.shape[1], img.shape[0], 1, img.shape[1])
        api.SetSourceResolution(300)
        api.SetVariable("tessedit_do_invert", "0")
        try:
            api.Recognize()
            eight_bit = _page_words(api)
        finally:
            api.Clear()
            api.SetVariable("tessedit_do_invert", "1")
        one_bit = engine.read_prepared(img, reader.languages, 7)
        assert one_bit == eight_bit and char_error_rate(text, " ".join(w.text for w in one_bit)) <= 0.1, text


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


STRIPES = ClipSpec([Caption(1.0, 4.0, "Stripes are not words", (150, 300), stroke=(0, 0, 0))], duration=5.0,
                   stripes=(200, 100, 90, 24))


def test_still_stripes_are_not_read_but_the_caption_is(framescribe_clip_factory: Any, reader: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clip = framescribe_clip_factory("stripes.mp4", STRIPES)
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


def test_a_short_word_in_a_long_bar_is_not_taken_for_stripes(framescribe_clip_factory: Any, reader: Any) -> None:
    """The bar's long edges run one way; the test looks at the text's own region, where the letters dominate."""
    spec = ClipSpec([Caption(0.5, 3.5, "LIVE", (48, 50), size=30, box=(30, 30, 160), box_width=580)], duration=4.0)
    result = extract_video_text(framescribe_clip_factory("bar.mp4", spec), reader)
    assert [s.value for s in result.segments] == ["LIVE"]


def test_the_regions_handed_over_carry_each_variants_letter_count(framescribe_standard_clip: Path, reader: Any) -> None:
    handed: list[Region] = []

    class Recorder:
        def read(self, region: Region) -> list[Reading]:
            handed.append(region)
            return reader.read(region)

    extract_video_text(framescribe_standard_clip, Recorder(), end=4.0)
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


def unsure_region(variants: list[np.ndarray]) -> Region:
    """A block region whose letter count no reading reaches (so no variant is "done") and with no white letters."""
    region = region_of(variants)
    region.line_count = 2
    region.letters = [200] * len(variants)
    region.median = np.full_like(region.median, 128)
    return region


def test_a_third_variant_is_not_read_after_a_good_reading_of_the_first_two(reader: Any) -> None:
    text = "Meet me at the old harbour"
    counting = CountingReader(reader)
    readings = counting.read(unsure_region([line_image(text), line_image(text), line_image("Something else")]))
    assert readings and char_error_rate(text, readings[0].text) <= 0.05, readings
    assert readings[0].confidence >= video_reader.GOOD
    assert counting.calls == 2


def test_a_third_variant_is_read_when_the_first_two_read_nothing_good(reader: Any) -> None:
    text = "Meet me at the old harbour"
    blank = np.full((70, 700), 255, np.uint8)
    counting = CountingReader(reader)
    readings = counting.read(unsure_region([blank, blank, line_image(text)]))
    assert readings and char_error_rate(text, readings[0].text) <= 0.05, readings
    assert counting.calls == 3


def two_lines(top: str, bottom: str, font: str | None = None) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (760, 130), 255)
    d = ImageDraw.Draw(img)
    d.text((14, 14), top, font=ImageFont.truetype(font, 34, index=2) if font else ImageFont.load_default(34), fill=0)
    d.text((14, 70), bottom, font=ImageFont.load_default(34), fill=0)
    return np.where(np.asarray(img) < 128, 0, 255).astype(np.uint8)


def test_a_line_in_a_script_the_data_lacks_makes_the_reading_partial(reader: Any) -> None:
    from framescribe.testing.video_clips import NOTO_CJK

    both = region_of([two_lines("Meet me at the old harbour", "The train is half an hour late")])
    both.line_count = 2
    whole = reader.read(both)
    assert whole and char_error_rate("Meet me at the old harbour The train is half an hour late", whole[0].text) <= 0.1
    assert not whole[0].partial
    bilingual = region_of([two_lines("火车晚了半个小时", "The train is half an hour late", NOTO_CJK)])
    bilingual.line_count = 2
    part = reader.read(bilingual)
    assert part and "half an hour late" in part[0].text and part[0].confidence >= 0.7, part
    assert part[0].partial
