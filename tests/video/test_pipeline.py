"""The pipeline with readers of its own (no OCR engine): regions handed over, threads, tracks."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from framescribe.types import Box
from framescribe.video import (
    Reading,
    Region,
    TextReader,
    VideoOptions,
    extract_video_text,
)

FRAME = 1 / 30


class ThreadRecorder:
    def __init__(self) -> None:
        self.threads: set[int] = set()

    def read(self, region: Region) -> list[Reading]:
        self.threads.add(threading.get_ident())
        return []


def test_reader_threads_outlive_a_run(framescribe_standard_clip: Path) -> None:
    # Per-thread reader state (a loaded Tesseract model) is then loaded once per process, not once per video.
    first, second = ThreadRecorder(), ThreadRecorder()
    extract_video_text(framescribe_standard_clip, first, VideoOptions(ocr_workers=1), end=4.0)
    extract_video_text(framescribe_standard_clip, second, VideoOptions(ocr_workers=1), end=4.0)
    assert first.threads and second.threads == first.threads
    assert threading.get_ident() not in first.threads


def test_pieces_found_together_grow_a_young_text(framescribe_standard_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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

    extract_video_text(framescribe_standard_clip, BoxRecorder(), end=3.4)
    widest = max(boxes, key=lambda b: b.width)
    assert widest.x <= 170 and widest.x + widest.width >= 450, boxes


class Recorder:
    """A reader that answers with fixed text, to show the OCR step is a parameter."""

    def __init__(self) -> None:
        self.regions: list[Region] = []

    def read(self, region: Region) -> list[Reading]:
        self.regions.append(region)
        return [Reading(f"text at {region.box.y}", 0.9)]


def test_any_reader_plugs_in_and_gets_prepared_regions(framescribe_standard_clip: Path) -> None:
    rec = Recorder()
    assert isinstance(rec, TextReader)
    result = extract_video_text(framescribe_standard_clip, rec, end=2.0)
    assert result.segments and all(s.value.startswith("text at") for s in result.segments)
    for region in rec.regions:
        h, w = region.crop.shape[:2]
        assert region.crop.ndim == 3 and region.median.shape == region.crop.shape
        assert (region.box.width, region.box.height) == (w, h)
        assert region.variants and all(v.ndim == 2 and set(map(int, v.ravel()[::7])) <= {0, 255} for v in region.variants)
        assert region.frames >= 2 and region.line_count >= 1


def test_full_frame_mode_hands_whole_frames(framescribe_standard_clip: Path) -> None:
    rec = Recorder()
    extract_video_text(framescribe_standard_clip, rec, VideoOptions(detector="full_frame"), end=2.0)
    assert rec.regions
    for region in rec.regions:
        assert region.crop.shape[:2] == (360, 640) and region.variants == []


def test_a_still_picture_is_searched_for_text_only_while_it_changes(
        framescribe_clip_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a still picture (a slide, a paused shot) text is looked for when something changed, not in every sample."""
    from framescribe.testing.video_clips import Caption, ClipSpec
    from framescribe.video import regions

    clip = framescribe_clip_factory("still.mp4", ClipSpec(
        captions=[Caption(1.0, 3.0, "The quick brown fox jumps", (150, 300), stroke=(0, 0, 0)),
                  Caption(4.5, 7.0, "Officials urge calm", (40, 230), size=24, fill=(20, 20, 20), box=(235, 235, 235))],
        duration=8.0, pan=(0.0, 0.0)))
    searched: list[int] = []
    find = regions.find_text_boxes

    def counting_find(*args: Any, **kwargs: Any) -> list[Any]:
        searched.append(1)
        return find(*args, **kwargs)

    monkeypatch.setattr(regions, "find_text_boxes", counting_find)

    class Named:
        def read(self, region: Region) -> list[Reading]:
            return [Reading("left" if region.box.x < 100 else "centre", 0.95)]

    result = extract_video_text(clip, Named(), VideoOptions(sample_rate=4))
    found = sorted((s.value, round(s.start, 1), round(s.end, 1)) for s in result.segments)
    # Both captions, from and to the frame, as on a moving picture ...
    assert found == [("centre", 1.0, 3.0), ("left", 4.5, 7.0)]
    # ... but of 31 pairs of samples only those around the four changes (and the first) were searched.
    stats = result.metadata["pipeline"]
    assert stats["still_skipped"] >= 15 and len(searched) + stats["still_skipped"] == stats["sampled_frames"] - 1


SIX_CAPTIONS = [(0.5 + 2 * i, 2.0 + 2 * i, f"Caption number {i + 1} here") for i in range(6)]


@pytest.fixture(scope="module")
def six_captions(framescribe_clip_factory: Any) -> Path:
    from framescribe.testing.video_clips import Caption, ClipSpec

    return framescribe_clip_factory("six.mp4", ClipSpec(
        captions=[Caption(a, b, t, (150, 300), stroke=(0, 0, 0)) for a, b, t in SIX_CAPTIONS], duration=12.5))


def test_a_reader_that_reads_none_of_the_first_texts_is_given_up_on(six_captions: Path) -> None:
    from framescribe.errors import BackendUnavailable
    from framescribe.video import require_readable

    calls: list[float] = []

    class Blind:
        def read(self, region: Region) -> list[Reading]:
            calls.append(region.time)
            return []

    result = extract_video_text(six_captions, Blind(), VideoOptions(give_up_unread=2))
    stats = result.metadata["pipeline"]
    assert stats["gave_up"] is True and stats["lasting_regions"] >= 2 and stats["unread_regions"] >= 2
    given_up = list(calls)
    assert max(given_up) < SIX_CAPTIONS[-1][0], "the last captions were never handed to the reader"
    with pytest.raises(BackendUnavailable, match="could not read"):
        require_readable(result, "blind")

    # Without the option the whole video is read (the same reader, every caption).
    calls.clear()
    whole = extract_video_text(six_captions, Blind(), VideoOptions())
    assert whole.metadata["pipeline"]["gave_up"] is False and len(calls) >= 6 > len(given_up)


def test_a_reader_that_reads_is_not_given_up_on(six_captions: Path) -> None:
    class Reads:
        def read(self, region: Region) -> list[Reading]:
            return [Reading(f"caption read at {region.time:.0f} s", 0.95)]

    result = extract_video_text(six_captions, Reads(), VideoOptions(give_up_unread=2))
    assert result.metadata["pipeline"]["gave_up"] is False
    assert len(result.segments) >= 6 and max(s.end for s in result.segments) > 11.5


def test_beside_a_moving_picture_text_is_looked_for_only_where_the_picture_changed(
        framescribe_clip_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slide with a video playing in a corner: text is searched for around what changed, with the same result."""
    import hashlib

    from framescribe.testing.video_clips import Caption, ClipSpec
    from framescribe.video import pipeline

    clip = framescribe_clip_factory("inset.mp4", ClipSpec(
        captions=[Caption(1.0, 3.5, "Quarterly results", (40, 40), fill=(20, 20, 20)),
                  Caption(0.0, 4.0, "Slide 1 of 5", (460, 320), size=20, fill=(60, 60, 60)),
                  # One digit changes: a window around it alone would cut the line, so the whole picture is searched.
                  Caption(4.0, 8.0, "Slide 2 of 5", (460, 320), size=20, fill=(60, 60, 60)),
                  Caption(5.0, 7.5, "Costs fell in every region", (40, 150), fill=(20, 20, 20))],
        duration=8.0, pan=(0.0, 0.0), inset=(400, 60, 200, 150)))

    class Fingerprint:
        """Names each region by its pixels: the same text, tracked the same way, reads the same."""

        def read(self, region: Region) -> list[Reading]:
            return [Reading(hashlib.sha1(region.variants[0].tobytes()).hexdigest()[:8], 0.95)] if region.variants else []

    def segments() -> tuple[list[tuple[str, float, float, int, int]], dict[str, Any]]:
        result = extract_video_text(clip, Fingerprint(), VideoOptions(sample_rate=4))
        found = sorted((s.value, round(s.start, 2), round(s.end, 2), s.box.x if s.box else -1, s.box.y if s.box else -1)
                       for s in result.segments)
        return found, result.metadata["pipeline"]

    in_part, stats = segments()
    monkeypatch.setattr(pipeline, "SEARCH_IN_PART", 0.0)  # every window is too large: the whole picture every time
    everywhere, stats_everywhere = segments()
    assert stats["searched_in_part"] >= 10 and stats_everywhere["searched_in_part"] == 0
    assert in_part == everywhere
    # All four texts, from and to the frame: both slide numbers, the title and the bullet.
    assert sorted((round(a, 1), round(b, 1)) for _, a, b, _, _ in in_part) == [(0.0, 4.0), (1.0, 3.5), (4.0, 8.0), (5.0, 7.5)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a niceness of its own per thread is Linux's")
def test_readers_give_way_to_decoding_and_the_scan(six_captions: Path) -> None:
    """The reader threads run at a lower priority than the thread that scans (and the decoder it starts)."""
    from framescribe.video import pipeline

    seen: set[int] = set()

    class Niceness:
        def read(self, region: Region) -> list[Reading]:
            seen.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return []

    extract_video_text(six_captions, Niceness(), VideoOptions(ocr_workers=2), end=4.0)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == {min(19, mine + pipeline.READER_NICE)} and pipeline.READER_NICE > 0


def test_the_scan_waits_for_the_readers_when_too_many_regions_are_unread(
        six_captions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regions wait for a slow reader in memory: at most MAX_UNREAD of them, and the result is the same."""
    import time

    from framescribe.video import pipeline

    class Slow:
        def read(self, region: Region) -> list[Reading]:
            time.sleep(0.3)
            return [Reading(f"text read at {region.time:.0f} s", 0.95)]

    queued = pipeline._Pipeline._queued
    most: list[int] = []

    def counting(self: Any, job: Any, *where: Any) -> None:
        queued(self, job, *where)
        most.append(sum(not j.done() for j in self.unread))

    monkeypatch.setattr(pipeline._Pipeline, "_queued", counting)

    def run(limit: int) -> tuple[list[tuple[float, float, str]], int]:
        monkeypatch.setattr(pipeline, "MAX_UNREAD", limit)
        most.clear()
        result = extract_video_text(six_captions, Slow(), VideoOptions(ocr_workers=1))
        return [(s.start, s.end, s.value) for s in result.segments], max(most)

    bounded, bounded_most = run(2)
    free, free_most = run(1000)
    assert free_most > 2, "the slow reader fell behind: without the bound more regions wait"
    assert bounded_most <= 2
    assert bounded == free and len(bounded) >= 6


def test_only_the_crops_read_are_converted_to_colour(six_captions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan cuts a track's crops out as YUV planes; the reader converts the (at most max_crops) it is given."""
    from framescribe.video import decode, pipeline

    cut, where = decode.ColourCrop.cut, decode.ColourCrop.bgr
    crops_cut: list[str] = []
    converted: list[str] = []

    def cutting(*args: Any) -> Any:
        crops_cut.append(threading.current_thread().name)
        return cut(*args)

    def converting(self: Any) -> Any:
        if self._bgr is None:
            converted.append(threading.current_thread().name)
        return where(self)

    box_colours: list[int] = []
    box_colour = pipeline._Pipeline._box_colour
    monkeypatch.setattr(pipeline._Pipeline, "_box_colour",
                        staticmethod(lambda *a: box_colours.append(1) or box_colour(*a)))
    monkeypatch.setattr(decode.ColourCrop, "cut", staticmethod(cutting))
    monkeypatch.setattr(decode.ColourCrop, "bgr", converting)
    rec = Recorder()
    extract_video_text(six_captions, rec, VideoOptions(max_crops=3))
    by_readers = [n for n in converted if n.startswith("framescribe-ocr")]
    assert len(rec.regions) >= 6 and all(r.frames <= 3 for r in rec.regions)
    assert len(by_readers) <= 3 * len(rec.regions)
    # Captions of 1.5 s give each track 6 samples: twice the crops it keeps. The scan converts only what it
    # looks at itself (the colour of the box behind a line), never a track's crops.
    assert len(crops_cut) >= 2 * len(by_readers)
    assert len(converted) - len(by_readers) <= len(box_colours)


def test_tracks_let_go_of_decoded_frames_they_no_longer_need(six_captions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames held back cost the decoder fresh buffers: a track keeps grey crops of the frames between its first
    samples (only while it has fewer than max_crops crops), and its first sample only while young."""
    from framescribe.video import pipeline

    step = pipeline._Pipeline._step
    checked = {"full": 0, "old": 0}

    def checking(self: Any, seen: Any, last: Any) -> None:
        step(self, seen, last)
        for tr in self.active:
            assert all(isinstance(crop, np.ndarray) for _, crop in tr.early)  # crops of the frames, not the frames
            if len(tr.crops) >= self.opt.max_crops:
                assert tr.early == []
                checked["full"] += 1
            if seen.sample.time - tr.first_time > self._young:
                assert tr.first is None
                checked["old"] += 1

    monkeypatch.setattr(pipeline._Pipeline, "_step", checking)
    rec = Recorder()
    extract_video_text(six_captions, rec, VideoOptions(max_crops=4))
    assert len(rec.regions) >= 6
    assert checked["full"] and checked["old"]
