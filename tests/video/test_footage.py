"""The pipeline on what real footage shows: titles revealed piece by piece, one line in two phrases, persistent
overlays, and text in a script the engine cannot read (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.errors import BackendUnavailable, NoBackendAnswered
from framescribe.testing.video_clips import NOTO_CJK, STANDARD, Caption, ClipSpec, caption_font, ink_bbox, make_clip
from framescribe.types import VideoResult
from framescribe.video import VideoOptions, extract_video_text, require_readable
from framescribe.video.merge import Candidate, merge_candidates
from framescribe.video.regions import Rect
from tests.bench_loader import load_bench

TITLE = Caption(0.5, 5.0, "Meadow Tales", (120, 130), size=64, stroke=(0, 0, 0))
# An opaque card over the last letter for the first 1.5 s: "Meadow Tale" shows at first, as when a passing
# object or a busy background hides a letter of a title; then the "s" shows.
HIDER = Caption(0.0, 2.0, "s", (120 + round(caption_font(TITLE).getlength("Meadow Tale")), 130), size=64,
                fill=(40, 70, 40), box=(40, 70, 40))
CJK = [Caption(0.5 + 2.5 * k, 2.5 + 2.5 * k, text, (180, 300), size=30, font=NOTO_CJK, stroke=(0, 0, 0))
       for k, text in enumerate(("今天的天气真不错", "我们明年春天再见", "火车晚了半个小时"))]


@pytest.fixture(scope="module")
def reader() -> Any:
    from framescribe_tesseract import TesseractReader

    return TesseractReader("eng")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    return {
        "standard": make_clip(folder / "standard.mp4", STANDARD),
        "title": make_clip(folder / "title.mp4", ClipSpec([TITLE, HIDER], 6.0)),
        "cjk": make_clip(folder / "cjk.mp4", ClipSpec(CJK, 8.0)),
    }


def _cand(start: float, end: float, text: str, x: int, w: int) -> Candidate:
    return Candidate(start, end, text, 0.9, Rect(x, 600, w, 40))


def test_two_phrases_of_one_line_are_one_segment_left_to_right() -> None:
    # The right phrase was found a sample earlier: it used to come out first, as a segment of its own.
    found = [_cand(0.75, 4.4, "我们出去走走吧", 727, 309), _cand(0.8, 4.4, "今天的天气真不错", 263, 314)]
    merged = merge_candidates(found, 1.0, 0.8)
    assert [c.text for c in merged] == ["今天的天气真不错 我们出去走走吧"]
    assert merged[0].rect == Rect(263, 600, 773, 40) and merged[0].start == 0.75


def test_right_to_left_phrases_join_right_to_left() -> None:
    found = [_cand(1.0, 3.0, "שלום", 700, 120), _cand(1.0, 3.0, "עולם", 300, 120)]
    assert [c.text for c in merge_candidates(found, 1.0, 0.8)] == ["שלום עולם"]


def test_texts_that_come_and_go_apart_or_sit_on_other_lines_stay_apart() -> None:
    apart = [_cand(0.0, 8.0, "CAM 2", 40, 120), _cand(1.0, 3.0, "Hello there", 400, 300)]
    assert len(merge_candidates(apart, 1.0, 0.8)) == 2
    other_line = [_cand(1.0, 3.0, "Jane Smith", 40, 300), Candidate(1.0, 3.0, "Reporter", 0.9, Rect(40, 650, 200, 30))]
    assert len(merge_candidates(other_line, 1.0, 0.8)) == 2


def test_a_title_whose_last_letter_shows_later_is_read_whole_from_its_first_frame(clips: dict[str, Path],
                                                                                  reader: Any) -> None:
    result = extract_video_text(clips["title"], reader)
    assert [s.value for s in result.segments] == ["Meadow Tales"]
    seg = result.segments[0]
    assert seg.start == pytest.approx(TITLE.start, abs=0.1)
    # The box holds every drawn pixel of the title: no letter is cut off at either end (before the fix the last
    # letter fell outside the box and the crop, and read as "Meadow Tale" or as two segments).
    assert seg.box is not None
    left, top, right, bottom = ink_bbox(TITLE)
    assert seg.box.x <= left and seg.box.x + seg.box.width >= right
    assert seg.box.y <= top and seg.box.y + seg.box.height >= bottom


def test_a_text_on_screen_throughout_is_marked_persistent_and_can_be_dropped(clips: dict[str, Path],
                                                                             reader: Any) -> None:
    kept = extract_video_text(clips["standard"], reader)
    persistent = [s.value for s in kept.segments if s.persistent]
    assert persistent == ["NEWS 24"]
    assert kept.to_dict()["data"][[s.value for s in kept.segments].index("NEWS 24")]["persistent"] is True
    dropped = extract_video_text(clips["standard"], reader, VideoOptions(persistent="drop"))
    assert [s.value for s in dropped.segments] == [s.value for s in kept.segments if not s.persistent]
    assert len(dropped.segments) == len(kept.segments) - 1


def test_the_backends_take_the_persistent_text_setting(clips: dict[str, Path]) -> None:
    fs = Framescribe({"backends": {"tesseract": {"persistent_text": "drop"}}}, use_cache=False)
    values = [s.value for s in fs.video_text(clips["standard"], backend="tesseract").segments]
    assert "NEWS 24" not in values and len(values) == 3


def test_require_readable_counts_lasting_regions() -> None:
    def result(lasting: int, unread: int) -> VideoResult:
        return VideoResult([], metadata={"pipeline": {"lasting_regions": lasting, "unread_regions": unread}})

    require_readable(result(20, 4))  # an English clip: some scenery regions read as nothing
    require_readable(result(1, 1))  # one region is no evidence
    with pytest.raises(BackendUnavailable, match="found 11 text regions it could not read"):
        require_readable(result(12, 11))


def test_captions_tesseract_cannot_read_fall_through_to_the_next_backend(clips: dict[str, Path]) -> None:
    fs = Framescribe({}, use_cache=False)
    # Asked for by name, tesseract is the whole chain: its BackendUnavailable ends it, with its message.
    with pytest.raises(NoBackendAnswered, match=r"could not read .*; install language data or use another backend"):
        fs.video_text(clips["cjk"], backend="tesseract")
    result = fs.video_text(clips["cjk"])  # the default chain: tesseract, then rapidocr
    assert result.backend == "rapidocr"
    assert [s.value for s in result.segments] == [c.text for c in CJK]
    assert result.skipped[0].reason.startswith("tesseract (eng) found")


def test_probe_video_takes_a_str_or_a_path(clips: dict[str, Path]) -> None:
    from framescribe.video import probe_video

    assert probe_video(str(clips["standard"])) == probe_video(clips["standard"])
    assert probe_video(str(clips["standard"])).width == 640


def test_persistent_is_written_only_when_true_and_read_back() -> None:
    from framescribe.types import Segment

    logo = Segment(0.0, 20.0, "CH 8", 0.9, persistent=True)
    assert logo.to_dict()["persistent"] is True and Segment.from_dict(logo.to_dict()) == logo
    caption = Segment(1.0, 2.0, "Hello")
    assert "persistent" not in caption.to_dict() and Segment.from_dict(caption.to_dict()) == caption


def test_a_caption_does_not_take_the_start_of_scenery_that_held_still_on_its_line(
        tmp_path_factory: pytest.TempPathFactory, reader: Any) -> None:
    # serif_480p's three late captions, cut down: after a cut, the camera move starts slowly (eased), so scraps of
    # the new picture hold still on the caption line for a second or more before the next caption comes. The
    # caption found there joined such a scrap as "a part seen first" and came out 1.5 s early, from the cut on.
    clipgen = load_bench("clipgen")  # the bench's clip generator: photos, eased camera moves, shadowed captions
    subs = clipgen.Style("DejaVuSerif.ttf", 0.065, (255, 244, 214), shadow=(0, 0, 0), shadow_offset=0.08,
                         shadow_blur=0.05)
    first = clipgen.Text(0.67, 3.71, "Sphinx of black quartz, judge my vow.", subs)
    second = clipgen.Text(4.54, 7.2, "The harbour was full of small boats.", subs)
    clip = clipgen.Clip("scrap_on_the_line", (854, 480), 8.0, fps=24, texts=(first, second),
                        shots=(clipgen.Shot("coffee", 3.0, (0.5, 0.5, 1.3), (0.5, 0.5, 1.6)),
                               clipgen.Shot("astronaut", 10.0, (0.2, 0.5, 1.3), (0.8, 0.5, 1.3))))
    video, _, _ = clipgen.build(clip, tmp_path_factory.mktemp("scrap"))
    result = extract_video_text(video, reader, VideoOptions(ocr_workers=2))
    late = [s for s in result.segments if "harbour" in s.value]
    assert len(late) == 1 and late[0].start == pytest.approx(second.start, abs=0.15), result.segments
    whole = [s for s in result.segments if "Sphinx" in s.value]
    # A part seen first that is most of the text still gives it its start (the title test above).
    assert len(whole) == 1 and whole[0].start == pytest.approx(first.start, abs=0.15)


# Bilingual captions, Chinese over a clean English line: Latin-only data reads the English line surely and the
# Chinese one as a guess ("SEINE The weather is lovely today"), which must not end the default chain.
BILINGUAL = [Caption(0.5 + 2.5 * k, 2.5 + 2.5 * k, text, (150, 250 + 42 * line), size=30,
                     font=NOTO_CJK if line == 0 else None, stroke=(0, 0, 0))
             for k, pair in enumerate((("今天的天气真不错", "The weather is lovely today"),
                                       ("我们明年春天再见", "See you again next spring"),
                                       ("火车晚了半个小时", "The train is half an hour late")))
             for line, text in enumerate(pair)]


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("bilingual") / "bilingual.mp4", ClipSpec(BILINGUAL, 8.0))


def test_a_line_the_reader_cannot_read_leaves_the_region_partly_read(bilingual: Path, reader: Any) -> None:
    result = extract_video_text(bilingual, reader)
    stats = result.metadata["pipeline"]
    # The English lines are read, and well: on their own they would count as read.
    assert len(result.segments) == 3
    for segment, english in zip(result.segments, BILINGUAL[1::2], strict=True):
        assert segment.value.endswith(english.text) and segment.confidence >= 0.7, segment
    assert stats["partly_read_regions"] == stats["lasting_regions"] == 3 and stats["unread_regions"] == 0
    with pytest.raises(BackendUnavailable, match="found 3 with a line it could not read"):
        require_readable(result)


def test_bilingual_captions_fall_through_to_a_backend_that_reads_both_lines(bilingual: Path) -> None:
    result = Framescribe({}, use_cache=False).video_text(bilingual)
    assert result.backend == "rapidocr"
    assert [s.value.split() for s in result.segments] == [
        [zh.text, *en.text.split()] for zh, en in zip(BILINGUAL[::2], BILINGUAL[1::2], strict=True)]


def test_require_readable_counts_partly_read_regions() -> None:
    def result(lasting: int, unread: int, partly: int) -> VideoResult:
        return VideoResult([], metadata={"pipeline": {"lasting_regions": lasting, "unread_regions": unread,
                                                      "partly_read_regions": partly}})

    require_readable(result(20, 4, 1))  # an English clip: a region with a line not read is no evidence
    require_readable(result(12, 0, 5))  # fewer than half
    with pytest.raises(BackendUnavailable, match="found 1 text regions it could not read and 2 with a line"):
        require_readable(result(3, 1, 2))
