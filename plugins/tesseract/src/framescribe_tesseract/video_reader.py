"""The Tesseract engine for framescribe's text-in-video pipeline (:mod:`framescribe.video`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from PIL import Image

from framescribe.types import Box
from framescribe.video import Reading, Region, letter_blobs, letter_count, line_bands, white_variant

from .engines import PytesseractEngine, TesserocrEngine, make_engine
from .tessdata import default_tessdata_dir, require_languages

MAX_VARIANTS = 3  # binary images of a region tried at most
SURE = 0.75  # every word at least this confident ...
COMPLETE = 0.85  # ... and this share of the letter shapes read: no other variant is tried
VERY_SURE = 0.9  # or every word this confident, ...
COVERED = 0.9  # ... this share of the variant's ink inside the words read, and no letter beside them
GOOD = 0.85  # mean word confidence of a reading from the first two variants that a third is not tried against
JUNK = 0.1  # a word this unsure at either end of a surer line is scenery read as letters
WHITE_SURE = 0.7  # mean word confidence a reading of the white-letter fallback needs
LINE_INK = 0.25  # share of a variant's ink in one line of it: a line that holds this much is text, not a scrap
LINE_READ = 0.5  # confidence of a word that counts its line as read (scripts the data lacks read lower, as guesses)
PSM_SINGLE_LINE, PSM_BLOCK, PSM_SPARSE = 7, 6, 11
Blob = tuple[int, int, int, int]  # x, y, width, height of a letter-like blob (framescribe.video.letter_blobs)


class TesseractReader:
    """Reads the pipeline's prepared binary variants with Tesseract; the best-scoring polarity wins.

    Thread-safe: the tesserocr engine keeps one loaded API per thread.
    """

    def __init__(self, languages: str = "eng", engine: str = "auto", tessdata_dir: Path | None = None,
                 tesseract_cmd: str | None = None, oem: int = 1) -> None:
        folder = tessdata_dir or default_tessdata_dir()
        require_languages(folder, languages)
        self.languages = languages
        self.engine: TesserocrEngine | PytesseractEngine = make_engine(engine, folder, oem, tesseract_cmd)

    def read(self, region: Region) -> list[Reading]:
        if not region.variants:
            return self._read_frame(region)
        # A single line reads twice as fast as a block (no layout analysis); blocks cope better with scraps.
        psm = PSM_SINGLE_LINE if region.line_count == 1 else PSM_BLOCK
        best: Reading | None = None
        best_score = 0.0
        variants = region.variants[:MAX_VARIANTS]
        counts = region.letters if region.letters is not None and len(region.letters) == len(region.variants) else None
        letters = max(counts[:MAX_VARIANTS] if counts else [letter_count(v) for v in variants])
        # Only a sure line that is short of letters needs the blobs: most reads never get there.
        blobs = functools.cache(lambda: [letter_blobs(v) for v in variants])
        done = False
        for i, variant in enumerate(variants):
            if i >= 2 and best is not None and best.confidence >= GOOD:
                # The first two variants are the likelier polarity's; a third (the other polarity) read after a
                # good reading of those came out as scraps on the bench's clips, never as the better reading.
                break
            reading, score, done = self._score(variant, psm, letters, blobs if region.line_count == 1 else None)
            if reading is not None and (best is None or score > best_score):
                best, best_score = reading, score
            if done:
                break
        if not done:
            # White letters over light, coloured scenery: the grey variants mix them up, the colour one does not.
            white = white_variant(region.median, region.scale)
            if white is not None:
                reading, score, _ = self._score(white, psm, letters)
                # A fallback may only replace, never invent: unsure scraps of scenery read this way stay out.
                if reading is not None and score > best_score and reading.confidence >= WHITE_SURE \
                        and sum(ch.isalnum() for ch in reading.text) >= 5:
                    best = reading
        return [best] if best is not None else []

    def _score(self, variant: Any, psm: int, letters: int,
               line_blobs: Callable[[], list[list[Blob]]] | None = None) -> tuple[Reading | None, float, bool]:
        """One variant read: the reading, its score, and whether it is sure and complete enough to stop.

        ``line_blobs`` (giving the letter blobs of every variant of a one-line region) allows the second way to
        stop, see :func:`_complete`.
        """
        words = _trim(self._words(variant, psm))
        if not words:
            return None, 0.0, False
        conf = sum(w.conf for w in words) / len(words)
        # Confidence alone favours a variant that lost some words (what is left reads cleanly); weighing
        # each word's confidence by its letters favours the variant that read the whole text.
        read = sum(sum(ch.isalnum() for ch in w.text) for w in words)
        score = sum(w.conf * sum(ch.isalnum() for ch in w.text) for w in words)
        # Sure of every word, and about as many letters as the busiest variant has letter shapes: done.
        done = min(w.conf for w in words) >= SURE and read >= COMPLETE * letters
        if not done and line_blobs is not None and min(w.conf for w in words) >= VERY_SURE:
            # The other polarity's scraps often outnumber the letters, so the count above misses many
            # complete readings (each miss costs two or three more Tesseract calls): look where the ink is.
            done = _complete(variant, words, line_blobs())
        return Reading(" ".join(w.text for w in words), conf, partial=_a_line_unread(variant, words)), score, done

    def _words(self, variant: Any, psm: int) -> list[_Word]:
        """The words Tesseract reads in a prepared black-on-white image, with their boxes, in reading order."""
        if isinstance(self.engine, TesserocrEngine):
            found = self.engine.read_prepared(variant, self.languages, psm)
        else:
            found = self.engine.words(Image.fromarray(variant), self.languages, psm, 300)
        return [_Word(w.text, w.confidence, (w.left, w.top, w.left + w.width, w.top + w.height)) for w in found]

    def _read_frame(self, region: Region) -> list[Reading]:
        """Whole frames (the pipeline's full_frame mode): Tesseract finds the text lines itself."""
        img = Image.fromarray(cv2.cvtColor(region.median, cv2.COLOR_BGR2GRAY))
        words = self.engine.words(img, self.languages, PSM_SPARSE, 300)
        out = []
        for _, lw in groupby(words, key=lambda w: w.line):
            ws = list(lw)
            x1, y1 = min(w.left for w in ws), min(w.top for w in ws)
            x2, y2 = max(w.left + w.width for w in ws), max(w.top + w.height for w in ws)
            out.append(Reading(" ".join(w.text for w in ws), sum(w.confidence for w in ws) / len(ws),
                               Box(x1, y1, x2 - x1, y2 - y1)))
        return out


class _Word(NamedTuple):
    text: str
    conf: float  # 0..1
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the image read


def _complete(variant: Any, words: list[_Word], blobs: list[list[Blob]]) -> bool:
    """Whether the words read from a one-line ``variant`` are all of its text; ``blobs``: every variant's letters.

    Nearly all of the variant's ink lies inside the words' boxes, and no
    variant has a letter-sized blob on their line away from every word: a
    word that one variant lost is still drawn in another.
    """
    ink = variant < 128
    inside = np.zeros(ink.shape, bool)
    for w in words:
        x1, y1, x2, y2 = w.box
        inside[max(0, y1 - 2):y2 + 2, max(0, x1 - 2):x2 + 2] = True
    if int((ink & inside).sum()) < COVERED * int(ink.sum()):
        return False
    y1, y2 = min(w.box[1] for w in words), max(w.box[3] for w in words)
    h = y2 - y1
    for letters in blobs:
        for x, y, bw, bh in letters:
            on_line = min(y + bh, y2) - max(y, y1) >= 0.5 * bh and bh >= 0.4 * h
            # Half a line height of slack: a blob in the space between two words read is no lost word.
            if on_line and not any(w.box[0] - 0.5 * h <= x + bw / 2 <= w.box[2] + 0.5 * h for w in words):
                return False
    return True


def _a_line_unread(variant: Any, words: list[_Word]) -> bool:
    """Whether a line of ``variant`` holding a good share of its ink has no word read on it with some confidence.

    Bilingual captions read with Latin-only data: the English line comes out
    sure, the Chinese one as nothing or as unsure guesses ("HENNEY", 0.37).
    On the bench's English clips no caption read with confidence 0.7 left
    such a line; scraps of scenery hold less ink than a line of text.
    """
    bands = line_bands(variant)
    if len(bands) < 2:
        return False
    ink = np.count_nonzero(variant < 128, axis=1)
    total = int(ink.sum())
    for a, b in bands:
        if int(ink[a:b].sum()) < LINE_INK * total:
            continue
        if not any(w.conf >= LINE_READ and min(b, w.box[3]) - max(a, w.box[1]) >= 0.5 * min(b - a, w.box[3] - w.box[1])
                   for w in words):
            return True
    return False


def _trim(words: list[_Word], floor: float = 0.6) -> list[_Word]:
    """Drop scraps at either end of a line: scenery beside a caption reads as stray short or unsure words.

    A scrap is an unsure word of at most three letters, a word with no letter
    or digit ("|", "\\"), or a word read with next to no confidence whose
    neighbour on the inside is unsure too; right beside a sure word it is
    more likely a misread piece of the text, and dropping it would make the
    reading look surer than it is.
    """

    def scrap(word: _Word, inner: _Word | None) -> bool:
        alnum = sum(c.isalnum() for c in word.text)
        if (word.conf < floor and alnum <= 3) or alnum == 0:
            return True
        return word.conf < JUNK and (inner is None or inner.conf < SURE)

    lo, hi = 0, len(words)
    if len(words) > 2 and words[0].conf < JUNK <= words[1].conf:
        lo = 1
    if hi - lo > 2 and words[-1].conf < JUNK <= words[-2].conf:
        hi -= 1
    while lo < hi and scrap(words[lo], words[lo + 1] if lo + 1 < hi else None):
        lo += 1
    while hi > lo and scrap(words[hi - 1], words[hi - 2] if hi - 2 >= lo else None):
        hi -= 1
    return words[lo:hi]
