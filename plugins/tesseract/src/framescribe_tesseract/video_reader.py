"""The Tesseract engine for framescribe's text-in-video pipeline (:mod:`framescribe.video`)."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any

import cv2
from PIL import Image

from framescribe.types import Box
from framescribe.video import Reading, Region, letter_count, white_variant

from .engines import PytesseractEngine, TesserocrEngine, make_engine
from .tessdata import default_tessdata_dir, require_languages

MAX_VARIANTS = 3  # binary images of a region tried at most
SURE = 0.75  # every word at least this confident ...
COMPLETE = 0.85  # ... and this share of the letter shapes read: no other variant is tried
JUNK = 0.1  # a word this unsure at either end of a surer line is scenery read as letters
WHITE_SURE = 0.7  # mean word confidence a reading of the white-letter fallback needs
PSM_SINGLE_LINE, PSM_BLOCK, PSM_SPARSE = 7, 6, 11


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
        letters = max(letter_count(v) for v in variants)
        done = False
        for variant in variants:
            reading, score, done = self._score(variant, psm, letters)
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

    def _score(self, variant: Any, psm: int, letters: int) -> tuple[Reading | None, float, bool]:
        """One variant read: the reading, its score, and whether it is sure and complete enough to stop."""
        words = _trim(self.engine.read_line(variant, self.languages, psm))
        if not words:
            return None, 0.0, False
        conf = sum(c for _, c in words) / len(words)
        # Confidence alone favours a variant that lost some words (what is left reads cleanly); weighing
        # each word's confidence by its letters favours the variant that read the whole text.
        read = sum(sum(ch.isalnum() for ch in w) for w, _ in words)
        score = sum(c * sum(ch.isalnum() for ch in w) for w, c in words)
        # Sure of every word, and about as many letters as the busiest variant has letter shapes: done.
        done = min(c for _, c in words) >= SURE and read >= COMPLETE * letters
        return Reading(" ".join(w for w, _ in words), conf), score, done

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


def _trim(words: list[tuple[str, float]], floor: float = 0.6) -> list[tuple[str, float]]:
    """Drop unsure short words at either end: scraps of scenery beside a caption read as stray short words."""

    def scrap(word: tuple[str, float]) -> bool:
        return word[1] < floor and sum(c.isalnum() for c in word[0]) <= 3

    lo, hi = 0, len(words)
    if len(words) > 2 and words[0][1] < JUNK <= words[1][1]:
        lo = 1
    if hi - lo > 2 and words[-1][1] < JUNK <= words[-2][1]:
        hi -= 1
    while lo < hi and scrap(words[lo]):
        lo += 1
    while hi > lo and scrap(words[hi - 1]):
        hi -= 1
    return words[lo:hi]
