"""Image OCR: pages -> (orientation, preprocessing) -> Tesseract words -> OcrResult with optional layout."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from framescribe.errors import BackendUnavailable
from framescribe.text_presence import ALMOST_NOTHING, missed_text
from framescribe.types import Block, Box, Line, OcrResult, Word

from .engines import Engine, WordBox, make_engine
from .images import open_pages
from .page_split import Rect
from .settings import TesseractSettings
from .tessdata import has_osd, require_languages, tessdata_dir, to_tesseract_languages

SMALL_SIDE = 1000  # pixels: pages smaller than this on their long side are enlarged for Tesseract
MAX_ENLARGE = 2.0


def ocr_image(path: Path, settings: TesseractSettings, language: str | None = None, layout: bool = False,
              engine: Engine | None = None) -> list[OcrResult]:
    """One OcrResult per page of the image at ``path``."""
    folder = tessdata_dir(settings.tessdata_dir)
    languages = to_tesseract_languages(language, settings.languages)
    require_languages(folder, languages)
    pages = open_pages(path, settings.max_pixels)
    eng = engine or make_engine(settings.engine, folder, settings.oem, settings.tesseract_cmd)
    osd_ok = settings.detect_orientation and has_osd(folder)

    workers = settings.workers or os.cpu_count() or 1
    with _in_flight() as others:
        # Pages of a multi-page file go to the threads whole; a single page may be read in parts at once instead.
        # Reading in parts costs 8-15 % more CPU and buys nothing on a busy machine, so with workers left on
        # auto it is done only when that buys time: no other image is being read here and a core is free.
        split = len(pages) == 1 and (settings.workers > 1 or (settings.workers == 0 and not others and _idle_core()))
        per_page = workers if split else 1

        def one(item: tuple[int, Image.Image]) -> OcrResult:
            number, page = item
            return _ocr_page(page, eng, languages, settings, layout, osd_ok, number if len(pages) > 1 else None,
                             per_page)

        if len(pages) == 1 or workers == 1:
            return [one(p) for p in enumerate(pages, start=1)]
        with ThreadPoolExecutor(max_workers=min(workers, len(pages)), thread_name_prefix="tesseract-page") as pool:
            return list(pool.map(one, enumerate(pages, start=1)))


_IN_FLIGHT = 0
_IN_FLIGHT_LOCK = threading.Lock()


@contextmanager
def _in_flight() -> Iterator[int]:
    """Count this call among the images being read in this process; yields how many others are."""
    global _IN_FLIGHT
    with _IN_FLIGHT_LOCK:
        others = _IN_FLIGHT
        _IN_FLIGHT += 1
    try:
        yield others
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT -= 1


PROC_LOADAVG = Path("/proc/loadavg")
PROC_PRESSURE = Path("/proc/pressure/cpu")
MAX_PRESSURE = 10.0  # percent of the last 10 s in which some task waited for a core


def _idle_core() -> bool:
    """Whether a second thread would find a free core now.

    Not the load average: it trails a minute behind and counts this
    process's own reading, so a loop over images holds it near 1 by itself
    and no page would ever be split on two cores. Where Linux reports them,
    the present decides: no task other than this one running at this
    instant beyond what leaves a core free, and no CPU pressure (tasks
    waiting for a core) over the last 10 s.
    """
    cores = os.cpu_count() or 1
    running = _running_tasks()
    if running is None:
        try:
            return os.getloadavg()[0] <= cores - 1
        except (OSError, AttributeError):  # no load average on this platform
            return True
    pressure = _cpu_pressure()
    return running - 1 <= cores - 2 and (pressure is None or pressure <= MAX_PRESSURE)


def _running_tasks() -> int | None:
    """Tasks running or ready to run on the whole machine at this instant, this thread included."""
    try:
        return int(PROC_LOADAVG.read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


def _cpu_pressure() -> float | None:
    """Linux CPU pressure: the share (%) of the last 10 s in which some runnable task waited for a core."""
    try:
        for line in PROC_PRESSURE.read_text().splitlines():
            if line.startswith("some "):
                return float(line.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None


def _ocr_page(page: Image.Image, engine: Engine, languages: str, s: TesseractSettings, layout: bool, osd_ok: bool,
              number: int | None, workers: int = 1) -> OcrResult:
    turn = 0
    words = _read(page, engine, languages, s, workers)
    # Checked only when the upright reading is poor: orientation detection costs about half a page's reading
    # (0.45-0.7 s on an A5 page), far over the 10 % an upright page may pay for it. An almost empty reading is
    # turned only when the page clearly holds text.
    if s.detect_orientation and _poor(words) and (
            _chars(words) >= ALMOST_NOTHING or missed_text(_chars(words), lambda: _gray(page)) is not None):
        found = _orientation(page, engine, languages, s, osd_ok)
        if found:
            turned = _read(page.rotate(-found, expand=True), engine, languages, s, workers)  # PIL turns counterclockwise
            if _score(turned) > _score(words):
                turn, words = found, turned
    # What Tesseract read, before min_confidence: words the user chose to drop are not a failure to read.
    missed = missed_text(_chars(words), lambda: _gray(page))
    if missed is not None:
        raise BackendUnavailable(
            f"the image clearly holds text ({missed.lines} lines of letters found) but Tesseract read "
            f"{'almost nothing' if words else 'nothing'} of it ({_chars(words)} characters)",
            hint="another backend may read it: try `-b rapidocr`")
    kept = [w for w in words if w.confidence >= s.min_confidence]
    text = _text(kept)
    conf = sum(w.confidence for w in kept) / len(kept) if kept else None
    return OcrResult(
        text=text,
        confidence=None if conf is None else round(conf, 4),
        language=languages,
        word_count=len(kept),
        orientation=turn,
        layout=_layout(kept) if layout else None,
        page=number,
        metadata={"engine": engine.name},
    )


# A reading whose characters are on average less sure than this is poor: upright text of the bench pages reads at
# 0.88-0.97 (screenshots and photos lowest), the same pages upside down or turned left at 0.31-0.33.
POOR_CONFIDENCE = 0.6


def _read(page: Image.Image, engine: Engine, languages: str, s: TesseractSettings, workers: int) -> list[WordBox]:
    img, scale = _prepare(page) if s.preprocess else (page, 1.0)
    words = engine.words(img, languages, s.psm, s.dpi, workers)
    larger = _letter_scale(words, img.size) if s.preprocess else 1.0
    if larger > 1.0:
        # Small letters on a page too large for _prepare to enlarge (a screenshot's 12-14 px UI fonts): read again
        # with the letters at the height Tesseract reads best. The first reading is what measured them; pages whose
        # letters are large enough (scans, photos, slides) pay nothing.
        big = img.resize((round(img.width * larger), round(img.height * larger)), Image.Resampling.LANCZOS)
        pictures: list[Rect] = []
        words, scale = engine.words(big, languages, s.psm, s.dpi, workers, pictures), scale * larger
        words = _with_widgets(big, pictures, words, engine, languages, s)
    return [_unscale(w, scale) for w in words] if scale != 1.0 else words


# Word boxes (ascender to descender) of the bench's pages as prepared: 12-14 px UI fonts 10-11 px, the A5 page 17,
# photos and infographics 19-21, crops enlarged by _prepare 18-24. Tesseract misses capitals ("Sync" read "sync")
# and labels in buttons at 10-11; at three times (30-33 px) a screenshot reads as well as a scan.
SMALL_WORDS = 14  # pixels: median word height under which a page is read again enlarged
GOOD_WORDS = 33  # pixels: the word height enlarging aims at
MAX_LETTER_SCALE = 3.0
MAX_ENLARGED_PIXELS = 16_000_000  # Tesseract's time and memory grow with the pixels: a 4K screenshot is enlarged less
MIN_MEASURED_WORDS = 5  # fewer words than this do not tell the size of a page's letters


# A button or a field is a framed box about one line of text high; Tesseract's layout analysis takes the frame and
# the flat fill for a picture and reads nothing in it (the bench screenshots' "Cancel" and "Apply changes").
WIDGET_MAX_LINES = 4.0  # picture blocks up to this many word heights high may be widgets holding one line
WIDGET_INSET = 0.15  # of the block's height, cut from every side: the frame and its rounded corners
WIDGET_MIN_CONFIDENCE = 0.6  # a widget read as one line keeps words this sure: a real picture reads as noise
PSM_SINGLE_LINE = 7


def _with_widgets(page: Image.Image, pictures: list[Rect], words: list[WordBox], engine: Engine, languages: str,
                  s: TesseractSettings) -> list[WordBox]:
    """``words`` with picture blocks small enough to be UI widgets each read as one line.

    A widget's line replaces what the page's reading made of it (nothing, or scraps of its frame and letters read
    as other blocks) when it reads surer; its words come after the rest, as a button row ends a window.
    """
    heights = sorted(w.height for w in words if len(w.text) >= 2)
    if not heights or not pictures:
        return words
    word_height = heights[len(heights) // 2]
    block = max((w.block for w in words), default=-1)
    line = max((w.line for w in words), default=-1)
    added: list[WordBox] = []
    for x, y, w, h in pictures:
        inset = round(WIDGET_INSET * h)
        if not word_height <= h <= WIDGET_MAX_LINES * word_height or w <= 2 * inset + word_height:
            continue
        found = [b for b in engine.words(page.crop((x + inset, y + inset, x + w - inset, y + h - inset)), languages,
                                         PSM_SINGLE_LINE, s.dpi) if b.confidence >= WIDGET_MIN_CONFIDENCE]
        covered = [b for b in words if x <= b.left + b.width / 2 <= x + w and y <= b.top + b.height / 2 <= y + h]
        if not found or (covered and _score(covered) / _chars(covered) >= _score(found) / _chars(found)):
            continue
        words = [b for b in words if b not in covered]
        block, line = block + 1, line + 1
        added += [WordBox(b.text, b.left + x + inset, b.top + y + inset, b.width, b.height, b.confidence, block, line)
                  for b in found]
    return words + added


def _letter_scale(words: list[WordBox], size: tuple[int, int]) -> float:
    """How much to enlarge a prepared page whose words read this small; 1.0 to leave it."""
    heights = sorted(w.height for w in words if len(w.text) >= 2)
    if len(heights) < MIN_MEASURED_WORDS:
        return 1.0
    median = heights[len(heights) // 2]
    if median >= SMALL_WORDS:
        return 1.0
    scale = min(MAX_LETTER_SCALE, GOOD_WORDS / max(median, 1), (MAX_ENLARGED_PIXELS / (size[0] * size[1])) ** 0.5)
    return scale if scale >= 1.25 else 1.0


def _chars(words: list[WordBox]) -> int:
    return sum(len(w.text) for w in words)


def _score(words: list[WordBox]) -> float:
    """How much sure text a reading holds: characters weighted by confidence."""
    return sum(w.confidence * len(w.text) for w in words)


def _poor(words: list[WordBox]) -> bool:
    """Whether a reading is unsure enough overall (or empty enough) that the page may be turned."""
    chars = _chars(words)
    return chars < ALMOST_NOTHING or _score(words) / chars < POOR_CONFIDENCE


def _gray(page: Image.Image) -> Any:
    import numpy as np

    return np.asarray(page.convert("L"))


def _orientation(page: Image.Image, engine: Engine, languages: str, s: TesseractSettings, osd_ok: bool) -> int:
    """Clockwise degrees that make the page upright: OSD when it is sure, else the turn Tesseract reads best."""
    if osd_ok:
        found = engine.osd(page)
        if found is not None and found[1] >= 1.5:
            return found[0]
    small = page.copy()
    small.thumbnail((1200, 1200))
    best, best_score = 0, -1.0
    for turn in (0, 90, 180, 270):
        words = engine.words(small.rotate(-turn, expand=True), languages, s.psm, s.dpi)
        score = sum(w.confidence * len(w.text) for w in words if w.confidence > 0.5)
        if score > best_score:
            best, best_score = turn, score
    return best


def _prepare(page: Image.Image) -> tuple[Image.Image, float]:
    """Greyscale, stretched contrast, and small pages enlarged so text reaches the size Tesseract reads best."""
    img = ImageOps.autocontrast(page.convert("L"))
    long_side = max(img.size)
    if long_side >= SMALL_SIDE:
        return img, 1.0
    # At most twice: measured on the bench images, 3-4x enlargements read worse (LSTM sees blurred strokes) and
    # cost up to 2.5x the recognition time of 2x.
    scale = min(MAX_ENLARGE, SMALL_SIDE / long_side)
    return img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS), scale


def _unscale(w: WordBox, scale: float) -> WordBox:
    return WordBox(w.text, round(w.left / scale), round(w.top / scale), max(1, round(w.width / scale)),
                   max(1, round(w.height / scale)), w.confidence, w.block, w.line)


def _text(words: list[WordBox]) -> str:
    blocks = []
    for _, bwords in groupby(words, key=lambda w: w.block):
        lines = [" ".join(w.text for w in lw) for _, lw in groupby(bwords, key=lambda w: w.line)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _union(boxes: list[Box]) -> Box:
    x1 = min(b.x for b in boxes)
    y1 = min(b.y for b in boxes)
    x2 = max(b.x + b.width for b in boxes)
    y2 = max(b.y + b.height for b in boxes)
    return Box(x1, y1, x2 - x1, y2 - y1)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _layout(words: list[WordBox]) -> list[Block]:
    blocks = []
    for _, bwords in groupby(words, key=lambda w: w.block):
        lines = []
        for _, lw in groupby(bwords, key=lambda w: w.line):
            ws = tuple(Word(w.text, Box(w.left, w.top, w.width, w.height), round(w.confidence, 4)) for w in lw)
            lines.append(Line(ws, _union([w.box for w in ws if w.box]), _mean([w.confidence or 0.0 for w in ws])))
        blocks.append(Block(tuple(lines), _union([ln.box for ln in lines if ln.box]),
                            _mean([ln.confidence or 0.0 for ln in lines])))
    return blocks
