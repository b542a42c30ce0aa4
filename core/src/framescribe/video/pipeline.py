"""The text-in-video pipeline: sample, find stable text, track it while unchanged, read it once, merge, refine.

Three threads keep both cores busy: FFmpeg decodes in the decode thread
(with its own frame threads on machines of many cores, see decoder_threads), this module's loop finds and tracks text in
the sampled frames, and the reader runs in worker threads (Tesseract and
OpenCV release the GIL). The readers give way to the other two (see
_lower_priority), which must each go through the frames in order.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..cores import usable_cores
from ..errors import BackendUnavailable, BadInput
from ..types import Box, Segment, VideoResult
from . import regions as rg
from .decode import ColourCrop, Sample, SampleReader, VideoInfo, luma_view
from .merge import Candidate, merge_candidates
from .types import PipelineStats, Reading, Region, TextReader, VideoOptions

log = logging.getLogger("framescribe.video")
Progress = Callable[..., None]
_HISTORY = 4  # samples kept for finding where a newly seen text really started
PART_SHARE = 0.5  # of a text's width: a part seen earlier this wide gives the text its start (see _start_or_grow)
BOX_COLOUR_STEP = 40  # colour levels: lines on boxes this different in any channel are separate texts
SHORT_TEXT_CONFIDENCE = 0.8  # readings of at most four letters or digits need this much confidence
MAX_STRIPES = 0.6  # rg.stripe_coherence above which a still region is scenery, not text
UNCHANGED = 2  # grey levels by which a crop may differ from the last sample's and still be the same picture
LASTING = 1.0  # seconds on screen after which a region that held letter shapes is counted as text (see PipelineStats)
READ = 0.7  # confidence of a kept reading that counts its region as read: guesses at an unknown script score lower
PERSISTENT_SHARE = 0.8  # a text shown this share of the time read is an overlay (logo, watermark) ...
PERSISTENT_SECONDS = 5.0  # ... if that is at least this long
SEARCH_IN_PART = 0.5  # of the picture: a search window larger than this is not worth cutting out (see _search_window)
FEW_CORES = 4  # up to this many cores the video is decoded in one thread (see decoder_threads)
READER_NICE = 10  # how much lower the reader threads' priority is than the decoder's and the scan's (Linux)
MAX_UNREAD = 16  # regions waiting for the reader before the scan stops to let it catch up (bounds their memory)


@dataclass
class _Seen:
    sample: Sample
    gray: rg.Image  # full-resolution grey of the displayed frame
    work: rg.Image  # grey, shrunk to the work height
    sketch: rg.Sketch | None = None  # of work, for finding text in this sample and the next
    # What changed since the sample before, in work pixels: the parts whose thumbnail changed and the texts that
    # ended there. None: not known (the first sample), so anything may have.
    changed: list[rg.Rect] | None = None

    @property
    def still(self) -> bool:
        """The same picture as the sample before: thumbnails equal and no text ended."""
        return self.changed is not None and not self.changed


@dataclass
class _Track:
    rect: rg.Rect  # padded, full-resolution
    text_rect: rg.Rect  # unpadded
    line_height: int
    lines: int
    reference: rg.Image
    mask: rg.Mask
    start: float
    first: _Seen | None  # the first sample showing the text; None once the track is no longer young (see _follow)
    last: _Seen
    crops: list[ColourCrop] = field(default_factory=list)  # converted to colour only if read (see _finish)
    gcrops: list[rg.Image] = field(default_factory=list)  # the same crops from the luma plane
    seen: int = 0
    stride: int = 1
    # Grey crops (time, crop) of the frames decoded between the first samples: a short-lived text's median adds them
    # (see _Pipeline._extra_crops). Crops, not the frames: a frame held back is a buffer the decoder cannot reuse.
    early: list[tuple[float, rg.Image]] = field(default_factory=list)
    early_samples: int = 0
    colour: tuple[Any, float] | None = None  # of the box behind the text, see _Pipeline._box_colour
    edges: rg.Mask | None = None  # every edge pixel of the reference, for spotting one changed character
    first_time: float = 0.0  # when ``first`` was shown

    def __post_init__(self) -> None:
        assert self.first is not None
        self.first_time = self.first.sample.time

    @property
    def strip(self) -> int:
        """Width of the strips compared on their own: about one character."""
        return max(4, self.line_height // 2)

    def add(self, seen: _Seen, max_crops: int) -> None:
        r = self.rect
        if self.early_samples < 6 and len(self.crops) < max_crops:
            self.early_samples += 1
            self.early += [(t, luma_view(f, seen.sample.rotation)[r.y:r.y2, r.x:r.x2].copy()) for t, f in seen.sample.between]
        if self.seen % self.stride == 0:
            self.crops.append(seen.sample.colour_later(r.x, r.y, r.x2, r.y2))
            self.gcrops.append(seen.gray[r.y:r.y2, r.x:r.x2].copy())
            if len(self.crops) >= 2 * max_crops:
                self.crops = self.crops[::2]
                self.gcrops = self.gcrops[::2]
                self.stride *= 2
            if len(self.crops) >= max_crops:
                self.early = []  # enough crops for the median, and never fewer from now on
        self.seen += 1
        self.last = seen


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _reader_pool(workers: int) -> ThreadPoolExecutor:
    """Reader threads shared by every run in the process, one pool per worker count.

    Readers keep per-thread state (a loaded Tesseract model takes 0.5-0.8 s
    per thread): threads that live on load it once per process instead of
    once per video, which on a short clip cost more than decoding it.
    """
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="framescribe-ocr",
                                                        initializer=_lower_priority)
        return pool


def _lower_priority() -> None:
    """Let this reader thread give way to the decoder and the scan when they compete for a core.

    Decoding and the scan are each one chain of work in frame order: time
    either of them waits for a core is added to the run. A region can be
    read any time before the end, so readers take the cores the other two
    leave idle; the scan waits for them only when MAX_UNREAD regions are
    queued. With the fair share instead, the readers took half the cores
    from the chains while a backlog was growing anyway (measured in
    docs/benchmarks.md). Linux sets a niceness per thread; elsewhere this
    does nothing. A higher niceness needs no privileges.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + READER_NICE))
    except OSError:  # a sandbox that forbids it: the fair share is slower, not wrong
        pass


def decoder_threads() -> int:
    """FFmpeg threads for decoding: one on a machine of few cores, FFmpeg's own choice on more.

    Frame threading costs about a fifth more CPU than one decoding thread
    (PyAV, 720p H.264: 1.04 against 0.87 CPU-s). With few cores this
    pipeline's own threads (finding text, reading it) already fill the ones
    the decoder leaves, so that overhead is time lost: one thread made the
    bench's runs 4-8 % faster on two cores, news_1080p included. With more
    cores than the pipeline keeps busy, frame threading shortens the wall time.
    """
    return 1 if usable_cores() <= FEW_CORES else 0


def _crop(img: rg.Image, r: rg.Rect) -> rg.Image:
    return img[r.y:r.y2, r.x:r.x2]


class _Pipeline:
    def __init__(self, path: Path, reader: TextReader, options: VideoOptions, start: float | None, end: float | None,
                 progress: Progress | None) -> None:
        self.path = path
        self.reader = reader
        self.opt = options
        self.start = start or 0.0
        self.end = end
        self.progress = progress
        self.stats = PipelineStats()
        # The decoder opens the file and probes it: once for both.
        self.frames = SampleReader(path, 1.0 / options.sample_rate, self.start, end,
                                   keep_between=options.refine_boundaries, skip_nonref=not options.every_frame,
                                   threads=decoder_threads())
        self.info: VideoInfo = self.frames.info
        if self.info.duration is not None and start is not None and start >= self.info.duration:
            self.frames.close()
            raise BadInput(f"--start {start:g} s is past the end of {path} ({self.info.duration:.2f} s)")
        self.factor = min(1.0, options.work_height / max(1, self.info.height))
        # Area averaging is fast for whole factors (1/2, 1/4) and slow otherwise (3/4), where linear is as good.
        whole = abs(1 / self.factor - round(1 / self.factor)) < 1e-6
        self.shrink = cv2.INTER_AREA if whole else cv2.INTER_LINEAR
        self.min_line_work = max(4, int(options.min_text_height * self.factor))
        self.min_letter = 0.5 * options.min_text_height  # median blob height is about half a line's height
        self.roi_full = self._roi_mask(self.info.width, self.info.height)
        self.roi_work = None if self.roi_full is None else cv2.resize(
            self.roi_full.astype(np.uint8), None, fx=self.factor, fy=self.factor, interpolation=cv2.INTER_NEAREST) > 0
        self.active: list[_Track] = []
        self.history: deque[_Seen] = deque(maxlen=_HISTORY)
        self.jobs: list[tuple[Future[list[Reading] | None], float, float, rg.Rect, rg.Rect]] = []
        self.unread: list[Future[Any]] = []  # jobs not known to be done, for MAX_UNREAD
        self.pool = _reader_pool(max(1, options.ocr_workers))
        self.rotation = 0
        self._last_full_frame: rg.Image | None = None

    def _roi_mask(self, w: int, h: int) -> rg.Mask | None:
        if not self.opt.regions:
            return None
        mask = np.zeros((h, w), bool)
        for x, y, rw, rh in self.opt.regions:
            if max(x, y, rw, rh) <= 1.0:
                x, y, rw, rh = x * w, y * h, rw * w, rh * h
            mask[int(y):int(y + rh), int(x):int(x + rw)] = True
        return mask

    # -- main loop -------------------------------------------------------------

    def run(self) -> VideoResult:
        # OpenCV's own worker threads only fight the decoder and the readers for the same cores here.
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            return self._run()
        finally:
            cv2.setNumThreads(threads)

    def _run(self) -> VideoResult:
        t0 = time.perf_counter()
        frames = self.frames
        total = (self.end if self.end is not None else (self.info.duration or 0.0)) - self.start
        try:
            last: _Seen | None = None
            for sample in frames:
                self.rotation = frames.rotation
                self.stats.sampled_frames += 1
                g = sample.gray
                work = g if self.factor >= 1.0 else cv2.resize(g, None, fx=self.factor, fy=self.factor,
                                                                 interpolation=self.shrink)
                seen = _Seen(sample, g, work)
                if self.opt.detector == "full_frame":
                    self._full_frame(seen, last)
                else:
                    self._step(seen, last)
                self.history.append(seen)
                last = seen
                if self.opt.give_up_unread and not self._read_some and self._nothing_read(self.opt.give_up_unread):
                    self.stats.gave_up = True
                    break
                if self.progress is not None and total > 0:
                    self.progress(min(total, sample.time - self.start), total, "reading on-screen text")
            assert last is not None
            end_time = last.sample.end_time if last.sample.end_time is not None else last.sample.time
            if self.stats.gave_up:
                for job in self.jobs:
                    job[0].cancel()  # what has not started is not read
            else:
                for tr in self.active:
                    self._finish(tr, end_time)
            self.active = []
            if self.opt.detector == "full_frame" and self._full_jobs_open is not None:
                self._close_full(end_time)
            self.stats.decoded_frames = frames.decoded
            self.stats.seconds["scan"] = time.perf_counter() - t0
            candidates = self._collect()
        finally:
            # The pool outlives this run: drop what has not started and let no reader outlive the call.
            for job in self.jobs:
                job[0].cancel()
            wait([job[0] for job in self.jobs])
        self.stats.seconds["total"] = time.perf_counter() - t0
        merged = merge_candidates(candidates, self.opt.merge_gap, self.opt.merge_similarity)
        segments = [Segment(c.start, c.end, c.text, c.confidence, _box(c.rect), persistent=self._persistent(c, end_time))
                    for c in merged]
        if self.opt.persistent == "drop":
            segments = [s for s in segments if not s.persistent]
        return VideoResult(
            segments=segments,
            duration=self.info.duration,
            source=str(self.path),
            metadata={"pipeline": self.stats.to_dict(), "width": self.info.width, "height": self.info.height,
                      "rotation": self.info.rotation},
        )

    def _persistent(self, c: Candidate, end_time: float) -> bool:
        """Whether a text stayed on screen for most of the time read: an overlay such as a logo or watermark."""
        span = end_time - self.start
        shown = c.end - c.start
        return shown >= PERSISTENT_SECONDS and shown >= PERSISTENT_SHARE * span

    def _step(self, seen: _Seen, last: _Seen | None) -> None:
        """One sample: follow the texts already tracked, then find and start the new ones."""
        ended = self._follow(seen)
        if last is None:
            return
        seen.sketch = rg.sketch(seen.work)
        if last.sketch is None:
            last.sketch = rg.sketch(last.work)
        moved = rg.changed_box(last.sketch, seen.sketch)
        seen.changed = [r.scaled(self.factor) for r in ended] + ([] if moved is None else [moved])
        if seen.still and last.still:
            # Three samples of one still picture (a slide, a paused shot): finding text in it now would find
            # what the last sample found, against the same still picture, and start nothing new.
            self.stats.still_skipped += 1
            return
        window = self._search_window(seen, last)
        if window is not None:
            self.stats.searched_in_part += 1
        boxes = rg.find_text_boxes(seen.work, last.work, self.min_line_work, self.roi_work, (last.sketch, seen.sketch),
                                   window)
        boxes = [part for b in boxes for part in self._split_styles(b, seen.sample)]
        grown: dict[int, rg.Rect] = {}  # young tracks' extent with the parts of them found in this sample so far
        for b in self._split_at_tracks(boxes):
            self._start_or_grow(b, seen, last, grown)

    def _search_window(self, seen: _Seen, last: _Seen) -> rg.Rect | None:
        """The part of the work image where ``seen`` can show text not found before; None: all of it.

        Text is found once its edges held still from one sample to the next.
        Where nothing changed in the last two steps, the search would see the
        same two pictures as in the step before and find what it found then
        (a slide beside a moving picture-in-picture, a still shot with one
        moving figure). So only what changed in those steps is searched, with
        a margin of a few lines; a box that reaches the margin's edge makes
        :func:`~framescribe.video.regions.find_text_boxes` search everything.
        """
        if last.changed is None or seen.changed is None:
            return None
        parts = last.changed + seen.changed
        if not parts:
            return None
        area = parts[0]
        for r in parts[1:]:
            area = area.union(r)
        H, W = seen.work.shape
        area = area.padded(max(16, H // 12), W, H)
        return area if area.w * area.h <= SEARCH_IN_PART * W * H else None

    def _follow(self, seen: _Seen) -> list[rg.Rect]:
        """Tracks whose text ``seen`` still shows go on; the others end (their end refined to the frame).

        Returns where the texts that ended were.
        """
        still: list[_Track] = []
        ended: list[rg.Rect] = []
        for tr in self.active:
            if tr.first is not None and seen.sample.time - tr.first_time > self._young:
                # Only a young track's first sample is looked at again (its box colour); an old one would hold
                # its decoded frames back from the decoder (see _Track.early).
                tr.first = None
            crop = _crop(seen.gray, tr.rect)
            if _unchanged(crop, _crop(tr.last.gray, tr.rect)):
                # Nothing changed since the last sample that showed the text (a slide, a still): it still does.
                tr.add(seen, self.opt.max_crops)
                still.append(tr)
            elif rg.matches(tr.reference, tr.mask, crop, strip=tr.strip, detail=tr.edges):
                # Mask pixels that changed were scenery that happened to hold still at first: stop comparing them.
                steady = tr.mask & (cv2.absdiff(tr.reference, crop) < rg.STATIC_THRESHOLD * 2)
                if int(np.count_nonzero(steady)) >= max(20, int(np.count_nonzero(tr.mask)) // 4):
                    tr.mask = steady
                tr.add(seen, self.opt.max_crops)
                still.append(tr)
            else:
                self._finish(tr, self._refine_end(tr, seen))
                ended.append(tr.rect)
        self.active = still
        return ended

    def _start_or_grow(self, b: rg.TextBox, seen: _Seen, last: _Seen, grown: dict[int, rg.Rect]) -> None:
        """A text box found in ``seen``: a new track, a larger one replacing the tracks it holds, or nothing new."""
        text_rect = b.rect.scaled(1.0 / self.factor)
        line_h = max(1, round(b.line_height / self.factor))
        lines = b.lines
        pieces = self._pieces_of(text_rect, line_h, seen.sample)
        if pieces:
            # Parts of one text found in different samples (a moving background hides some letters'
            # edges at times): one track for the whole text instead of one per fragment.
            largest = max(tr.text_rect.w * tr.text_rect.h for tr in pieces)
            for tr in pieces:
                text_rect = text_rect.union(grown.get(id(tr), tr.text_rect))
                line_h = max(line_h, tr.line_height)
                lines = max(lines, tr.lines)
            if len(pieces) == 1 and text_rect.w * text_rect.h < 1.15 * largest and _within(text_rect, pieces[0].rect):
                # The same text as before, or a little more of it that its padded crop still holds: several
                # such pieces found at once (both ends of a line) can add up to a larger text. A letter
                # beyond the crop would be cut off (the last letter of a centred title): that restarts it.
                grown[id(pieces[0])] = text_rect
                return
            self.active = [tr for tr in self.active if all(tr is not p for p in pieces)]
        H, W = seen.gray.shape
        rect = text_rect.padded(max(4, line_h // 3), W, H)
        if not pieces and self._covered(rect):
            return
        ref = _crop(seen.gray, rect).copy()
        prev = _crop(last.gray, rect)
        edges = rg.edge_map(ref) > rg.EDGE_THRESHOLD
        mask = edges & (cv2.absdiff(cv2.blur(ref, (3, 3)), cv2.blur(prev, (3, 3))) < rg.STATIC_THRESHOLD)
        if int(np.count_nonzero(mask)) < 20 or rg.stripe_coherence(ref, mask) > MAX_STRIPES:
            return
        tr = _Track(rect, text_rect, line_h, lines, ref, mask, seen.sample.time, seen, seen, edges=edges)
        self._backfill(tr)
        # The whole keeps the start of a part seen first (letters a passing object hid at first) when that part is
        # a good share of it or was found only lately. A narrow scrap tracked for longer is more likely scenery
        # that held still on the text's line before the text came (a camera move slowing down, a shadow): its start
        # is not the text's.
        tr.start = min([tr.start, *(p.start for p in pieces if p.text_rect.w >= PART_SHARE * text_rect.w
                                    or seen.sample.time - p.first_time <= self._young)])
        tr.add(seen, self.opt.max_crops)
        self.active.append(tr)

    @property
    def _young(self) -> float:
        """Seconds after which a track is no longer young: its start can be found again from the history."""
        return (_HISTORY - 1) / self.opt.sample_rate

    def _pieces_of(self, text: rg.Rect, line_h: int, sample: Sample) -> list[_Track]:
        """Recently started tracks that are parts of the same text as ``text``.

        That is: on the same line and overlapping or touching it, or the line
        just above or below it, of the same size, aligned with it and not on a
        differently coloured box.
        """
        out = []
        for tr in self.active:
            is_young = sample.time - tr.first_time <= self._young
            a = tr.text_rect
            v_overlap = min(a.y2, text.y2) - max(a.y, text.y)
            h_overlap = min(a.x2, text.x2) - max(a.x, text.x)
            # A word of small letters only ("name.") is lower than its line, but sits inside it.
            within = v_overlap >= 0.9 * min(a.h, text.h) and 0.5 <= a.h / max(1, text.h) <= 2.0
            if not (0.7 <= tr.line_height / max(1, line_h) <= 1.4 or within):
                continue
            same_line = (0.7 <= a.h / max(1, text.h) <= 1.4 or within) and v_overlap >= 0.7 * min(a.h, text.h)
            if same_line and -h_overlap <= 0.8 * max(tr.line_height, line_h):
                # At any age: the rest of a title some of whose letters a busy background or a passing object hid
                # at first; the whole keeps the start of the part seen first.
                out.append(tr)
                continue
            if not is_young:
                continue
            stacked = (tr.lines == 1 and -v_overlap <= 0.8 * max(tr.line_height, line_h)
                       and v_overlap < 0.3 * min(a.h, text.h) and h_overlap > 0.3 * min(a.w, text.w))
            aligned = abs((a.x + a.x2) - (text.x + text.x2)) / 2 < 0.2 * max(a.w, text.w) or abs(a.x - text.x) < line_h
            if stacked and aligned:
                if tr.colour is None:
                    assert tr.first is not None  # young
                    tr.colour = self._box_colour(tr.text_rect, tr.first.sample)
                if not _different_boxes(tr.colour, self._box_colour(text, sample)):
                    out.append(tr)
        return out

    def _split_styles(self, b: rg.TextBox, sample: Sample) -> list[rg.TextBox]:
        """Lines of a block on differently coloured boxes (a name over a role) are separate texts."""
        if len(b.parts) < 2:
            return [b]
        parts = sorted(b.parts, key=lambda r: r.y)
        colours = [self._box_colour(r.scaled(1.0 / self.factor), sample) for r in parts]
        groups: list[list[rg.Rect]] = [[parts[0]]]
        for prev, cur, part in zip(colours, colours[1:], parts[1:], strict=False):
            if _different_boxes(prev, cur):
                groups.append([part])
            else:
                groups[-1].append(part)
        if len(groups) == 1:
            return [b]
        out = []
        for g in groups:
            rect = g[0]
            for r in g[1:]:
                rect = rect.union(r)
            out.append(rg.TextBox(rect, int(statistics.median(r.h for r in g)), len(g), tuple(g)))
        return out

    @staticmethod
    def _box_colour(r: rg.Rect, sample: Sample) -> tuple[Any, float] | None:
        """The median colour of the darker pixels of a line and their spread (small when the text sits on a box)."""
        step = max(1, r.h // 12)  # a few hundred pixels tell the colour as well as all of them
        crop = sample.colour(r.x, r.y, r.x2, r.y2)[::step, ::step].reshape(-1, 3)
        if len(crop) < 16:
            return None
        g = crop.astype(np.float32) @ np.array([0.114, 0.587, 0.299], np.float32)
        dark = crop[g <= np.median(g)].astype(np.float32)
        return np.median(dark, axis=0), float(dark.std(axis=0).max())

    def _split_at_tracks(self, boxes: list[rg.TextBox]) -> list[rg.TextBox]:
        """A block that overlaps a text already tracked is split into its lines, so a new text beside it gets its own track."""
        out: list[rg.TextBox] = []
        for b in boxes:
            full = b.rect.scaled(1.0 / self.factor)
            if len(b.parts) > 1 and any(full.iou(tr.rect) > 0 or full.overlap_of_smaller(tr.rect) > 0 for tr in self.active):
                out.extend(rg.TextBox(r, r.h, 1, (r,)) for r in b.parts)
            else:
                out.append(b)
        return out

    def _covered(self, rect: rg.Rect) -> bool:
        area = rect.w * rect.h
        covered = 0
        for tr in self.active:
            r = tr.rect
            ix = max(0, min(rect.x2, r.x2) - max(rect.x, r.x))
            iy = max(0, min(rect.y2, r.y2) - max(rect.y, r.y))
            covered += ix * iy
        return covered >= 0.6 * area

    def _backfill(self, tr: _Track) -> None:
        """Walk back over recent samples still showing the text, then find the frame where it appeared."""
        first = tr.first
        assert first is not None  # a new track
        absent: _Seen | None = None
        for old in reversed(self.history):
            if old.sample.time >= first.sample.time:
                continue
            if rg.matches(tr.reference, tr.mask, _crop(old.gray, tr.rect), strip=tr.strip, detail=tr.edges):
                tr.add(old, self.opt.max_crops)
                first = old
            else:
                absent = old
                break
        tr.first, tr.first_time = first, first.sample.time
        if absent is None and len(self.history) < _HISTORY:
            tr.start = first.sample.time  # shown since the start of the range
            return
        tr.start = self._refine_start(tr, first, absent)

    def _refine_start(self, tr: _Track, first: _Seen, absent: _Seen | None) -> float:
        frames = first.sample.between
        if not self.opt.refine_boundaries or not frames:
            return first.sample.time if absent is None else (absent.sample.time + first.sample.time) / 2
        lo, hi = 0, len(frames)  # first index in frames that shows the text; len(frames) = the sample itself
        while lo < hi:
            mid = (lo + hi) // 2
            if self._shows(tr, frames[mid][1]):
                hi = mid
            else:
                lo = mid + 1
        self.stats.refined_boundaries += 1
        return frames[lo][0] if lo < len(frames) else first.sample.time

    def _refine_end(self, tr: _Track, gone: _Seen) -> float:
        frames = gone.sample.between
        if not self.opt.refine_boundaries or not frames:
            return (tr.last.sample.time + gone.sample.time) / 2
        lo, hi = 0, len(frames)  # first index that no longer shows the text
        while lo < hi:
            mid = (lo + hi) // 2
            if self._shows(tr, frames[mid][1]):
                lo = mid + 1
            else:
                hi = mid
        self.stats.refined_boundaries += 1
        return frames[lo][0] if lo < len(frames) else gone.sample.time

    def _shows(self, tr: _Track, frame: Any) -> bool:
        r = tr.rect
        return rg.matches(tr.reference, tr.mask, luma_view(frame, self.rotation)[r.y:r.y2, r.x:r.x2], strip=tr.strip,
                          detail=tr.edges)


    # -- reading ---------------------------------------------------------------

    def _finish(self, tr: _Track, end: float) -> None:
        crops, grays = tr.crops, tr.gcrops
        if len(crops) > self.opt.max_crops:
            idx = np.linspace(0, len(crops) - 1, self.opt.max_crops).round().astype(int)
            crops, grays = [crops[i] for i in idx], [grays[i] for i in idx]
        if len(crops) < self.opt.max_crops:
            # Too few samples for a clean median: add grey crops of the frames between them (cheap luma planes).
            grays = grays + self._extra_crops(tr, end)
        # Preparing the region costs about as much as finding text in a frame: it runs beside the reader.
        job = self.pool.submit(self._prepare_and_read, tr.rect, tr.line_height, crops, grays, tr.last.sample.time)
        self._queued(job, tr.start, end, tr.rect, tr.text_rect)

    def _queued(self, job: Future[list[Reading] | None], start: float, end: float, rect: rg.Rect,
                text_rect: rg.Rect) -> None:
        """Keep a job handed to the readers; with more than MAX_UNREAD unread, wait until one is done."""
        self.jobs.append((job, start, end, rect, text_rect))
        self.unread.append(job)
        while len(self.unread) > MAX_UNREAD:
            wait(self.unread, return_when=FIRST_COMPLETED)
            self.unread = [j for j in self.unread if not j.done()]

    def _prepare_and_read(self, rect: rg.Rect, line_height: int, parts: list[ColourCrop], grays: list[rg.Image],
                          time_: float) -> list[Reading] | None:
        """The Region of a finished track handed to the reader; None when it holds nothing like text."""
        # Text is found on the luma planes; colour tells scenery from text better (hue changes, luma may not).
        gray_median, stable, low, high = rg.temporal_stats(grays)
        edges = rg.edge_map(gray_median) > rg.EDGE_THRESHOLD
        if int(np.count_nonzero(edges)) >= 20 and rg.stripe_coherence(gray_median, edges) > MAX_STRIPES:
            return None  # scenery that held still: its edges all run one way
        crops = [p.bgr() for p in parts]  # here, not in the scan: only the crops read are converted, beside it
        if len(crops) >= 3:
            colour_stable = rg.stable_mask(crops)
            stable = colour_stable if stable is None else stable & colour_stable
        counted, scale = rg.binary_variants_with_counts(gray_median, stable, line_height, self.min_letter, (low, high))
        kept = [(v, letters) for v, letters in counted if letters >= 3]
        variants = [v for v, _ in kept]
        if not variants:
            return None
        few = [crops[i] for i in np.linspace(0, len(crops) - 1, min(5, len(crops))).round().astype(int)]
        median = rg.median_image(few)
        region = Region(box=_box(rect), crop=crops[-1], median=median, stable=stable, variants=variants, scale=scale,
                        line_count=max(1, rg.count_lines(variants[0])), time=time_, frames=len(crops),
                        letters=[n for _, n in kept])
        return self.reader.read(region)

    def _extra_crops(self, tr: _Track, end: float) -> list[rg.Image]:
        """Grey crops from frames between the samples of a short-lived text."""
        frames = [(t, crop) for t, crop in tr.early if tr.start <= t < end]
        want = self.opt.max_crops - len(tr.crops)
        if not frames or want <= 0:
            return []
        idx = np.linspace(0, len(frames) - 1, min(want, len(frames))).round().astype(int)
        return [frames[i][1] for i in sorted(set(idx.tolist()))]

    def _submit(self, region: Region, start: float, end: float, rect: rg.Rect, text_rect: rg.Rect) -> None:
        self._queued(self.pool.submit(self.reader.read, region), start, end, rect, text_rect)

    def _collect(self) -> list[Candidate]:
        out = []
        for fut, start, end, rect, text_rect in self.jobs:
            if fut.cancelled():
                continue  # given up on (give_up_unread)
            readings = fut.result()
            if readings is None:
                continue  # nothing like text: not handed to the reader
            self.stats.regions_read += 1
            self.stats.reader_calls += 1
            whole = partly = 0
            for r, text in self._kept(readings):
                where = text_rect if r.box is None else rg.Rect(rect.x + r.box.x, rect.y + r.box.y, r.box.width, r.box.height)
                out.append(Candidate(start, max(end, start), text, r.confidence, where))
                if r.confidence >= READ:
                    partly += r.partial
                    whole += not r.partial
            if end - start >= LASTING:
                self.stats.lasting_regions += 1
                self.stats.unread_regions += whole + partly == 0
                self.stats.partly_read_regions += whole == 0 and partly > 0
        return out

    def _kept(self, readings: list[Reading]) -> list[tuple[Reading, str]]:
        """The readings (with their whitespace-normalised text) the result keeps."""
        out = []
        for r in readings:
            text = " ".join(r.text.split())
            if r.confidence >= self.opt.min_confidence and _plausible(text, r.confidence):
                out.append((r, text))
        return out

    _read_some = False

    def _nothing_read(self, least: int) -> bool:
        """Whether at least ``least`` lasting regions are back from the reader and it read none of them whole."""
        lasting = 0
        for fut, start, end, _rect, _text_rect in self.jobs:
            if end - start < LASTING or not fut.done() or fut.cancelled() or fut.exception() is not None:
                continue
            readings = fut.result()
            if readings is None:
                continue
            if any(r.confidence >= READ and not r.partial for r, _ in self._kept(readings)):
                self._read_some = True  # it can read this video's text: no need to look again
                return False
            lasting += 1
        return lasting >= least

    # -- engines that find text themselves ------------------------------------

    _full_jobs_open: tuple[_Seen, float] | None = None

    def _full_frame(self, seen: _Seen, last: _Seen | None) -> None:
        """Whole frames go to the reader whenever the picture changed; the merge step joins equal readings."""
        small = cv2.resize(seen.work, (160, max(1, 160 * seen.work.shape[0] // seen.work.shape[1])))
        if self._last_full_frame is not None and float(cv2.absdiff(small, self._last_full_frame).mean()) < 4.0:
            return
        t = seen.sample.time
        if self._full_jobs_open is not None:
            self._close_full(t if last is None else (last.sample.time + t) / 2)
        self._last_full_frame = small
        self._full_jobs_open = (seen, t if last is None else (last.sample.time + t) / 2)

    def _close_full(self, end: float) -> None:
        assert self._full_jobs_open is not None
        seen, start = self._full_jobs_open
        self._full_jobs_open = None
        H, W = seen.gray.shape
        rect = rg.Rect(0, 0, W, H)
        img = seen.sample.image
        if self.roi_full is not None:
            img = np.where(self.roi_full[..., None], img, 0).astype(np.uint8)
        region = Region(box=_box(rect), crop=img, median=img, stable=None, variants=[], scale=1.0, line_count=0,
                        time=seen.sample.time, frames=1)
        self._submit(region, start, end, rect, rect)


def _within(inner: rg.Rect, outer: rg.Rect) -> bool:
    return inner.x >= outer.x and inner.y >= outer.y and inner.x2 <= outer.x2 and inner.y2 <= outer.y2


def _unchanged(a: rg.Image, b: rg.Image) -> bool:
    """Whether two grey crops are the same picture, give or take the encoder's rounding."""
    return bool(cv2.norm(a, b, cv2.NORM_INF) <= UNCHANGED)  # the largest difference, without an array of them


def _different_boxes(a: tuple[Any, float] | None, b: tuple[Any, float] | None) -> bool:
    """Whether two lines sit on boxes of clearly different colours (one opaque, the other at least translucent)."""
    if a is None or b is None:
        return False
    (ca, sa), (cb, sb) = a, b
    uniform = min(sa, sb) <= 18 and max(sa, sb) <= 30
    return uniform and float(np.abs(ca - cb).max()) > BOX_COLOUR_STEP


def _plausible(text: str, confidence: float) -> bool:
    """Readings of texture are mostly punctuation; real text is mostly letters and digits.

    Scraps of scenery that look like letters read as two or three unsure
    characters; a real short label reads with high confidence.
    """
    chars = [c for c in text if not c.isspace()]
    alnum = sum(c.isalnum() for c in chars)
    longest = max((sum(c.isalnum() for c in w) for w in text.split()), default=0)
    # ... or as a string of one- and two-letter "words" ("Fa 4 hd").
    if (alnum <= 4 or longest <= 2) and confidence < SHORT_TEXT_CONFIDENCE:
        return False
    return alnum >= 2 and alnum >= 0.6 * len(chars)


def _box(r: rg.Rect) -> Box:
    return Box(r.x, r.y, r.w, r.h)


def require_readable(result: VideoResult, what: str = "the reader", hint: str | None = None) -> None:
    """Raise BackendUnavailable when the reader read next to nothing of the lasting text the pipeline found.

    That is text in a script the engine has no data for (Chinese subtitles
    and a Latin-only Tesseract): an empty answer would end a chain that a
    later backend could answer. The same holds when it read only a line of
    most of it (bilingual captions, Chinese over English: the English line
    alone is not the answer). See ``PipelineStats.unreadable``.
    """
    stats = result.metadata.get("pipeline", {})
    unread, lasting = int(stats.get("unread_regions", 0)), int(stats.get("lasting_regions", 0))
    partly = int(stats.get("partly_read_regions", 0))
    if PipelineStats(lasting_regions=lasting, unread_regions=unread, partly_read_regions=partly,
                     gave_up=bool(stats.get("gave_up"))).unreadable:
        found = [f"{unread} text regions it could not read"] if unread or not partly else []
        found += [f"{partly} with a line it could not read"] if partly else []
        raise BackendUnavailable(
            f"{what} found {' and '.join(found)} (of {lasting}); install language data or use another backend",
            hint=hint)


def extract_video_text(path: str | Path, reader: TextReader, options: VideoOptions | None = None, *,
                       start: float | None = None, end: float | None = None,
                       progress: Progress | None = None) -> VideoResult:
    """The text shown on screen in the video at ``path`` as timed segments, read by ``reader``.

    Only ``[start, end)`` seconds are decoded (seeking to ``start``).
    Raises :class:`framescribe.errors.BadInput` for a file that is missing,
    empty, not a video, audio-only, corrupt or truncated.
    ``progress(done, total, message)`` is called with seconds of video.
    """
    if start is not None and end is not None and end <= start:
        raise BadInput(f"invalid time range: end ({end}) must be after start ({start})")
    return _Pipeline(Path(path), reader, options or VideoOptions(), start, end, progress).run()
