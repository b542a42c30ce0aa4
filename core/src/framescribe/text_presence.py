"""Whether an image clearly holds text, without reading it: rows of letter-sized shapes.

An OCR engine that returns nothing for an image is ambiguous: the image may
hold no text, or text the engine could not read (text over a pattern,
dotted print, a layout it took for a picture). Backends ask this module when
a reading comes back (almost) empty, and tell the two apart: "no text" stays
a success with empty text, "text I could not read" is reported (the chain
then tries the next backend).

The test is deliberately strict, since a false "there is text" turns an
image without text into a failure: separate shapes of letter size and shape,
at least four in a row with similar heights, aligned centres and
letter-sized gaps, in at least two such rows or one long one. It looks at
several binarisations (Otsu's threshold on the image and on a smoothed
copy, dark and light ink, with small gaps closed for dotted print) and along
both axes (a page turned 90 degrees), and keeps the strongest evidence. Needs numpy and OpenCV
(``pip install 'framescribe[image]'``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ALMOST_NOTHING", "UNREAD_SHARE", "TextEvidence", "find_text", "missed_text"]

MAX_SIDE = 1600  # pixels: larger images are looked at scaled down (letters stay well above MIN_HEIGHT)
MIN_HEIGHT = 6  # pixels: smaller shapes are not legible letters
MIN_ROW = 6  # shapes in a row for it to count as a text line
MAX_SLOPE = 0.1  # a row sloping more than ~6 degrees is not a line of text (nor a skewed scan)
MAX_ROW_FILL = 0.7  # median share of its box a row's shapes fill: strokes leave room, discs and blocks do not
MIN_WIDTH_SPREAD = 0.15  # standard deviation of a row's widths over their mean, at least
BASELINE_SHARE = 0.75  # of a row's shapes standing on its baseline (the rest: descenders, punctuation)
CLEAR_LINES = 2  # text lines of MIN_ROW shapes...
CLEAR_LONG_ROW = 10  # ...or one line of this many shapes: the image clearly holds text


@dataclass(frozen=True)
class TextEvidence:
    """Text lines found (rows of letter-like shapes) and the letter-like shapes in them."""

    lines: int
    letters: int

    @property
    def clear(self) -> bool:
        """Whether this is enough to say the image holds text."""
        return self.lines >= CLEAR_LINES or self.letters >= CLEAR_LONG_ROW


ALMOST_NOTHING = 40  # characters: a reading with fewer is checked for text it missed
UNREAD_SHARE = 0.25  # of the letter shapes found: reading fewer characters than this is not reading the image


def missed_text(chars_read: int, gray: Callable[[], Any]) -> TextEvidence | None:
    """The evidence of text that a reading of ``chars_read`` characters missed, or None if it missed none clearly.

    ``gray`` gives the image as a greyscale array; it is called only when the
    reading is almost empty, so a full reading costs nothing here.
    """
    if chars_read >= ALMOST_NOTHING:
        return None
    evidence = find_text(gray())
    return evidence if evidence.clear and chars_read < UNREAD_SHARE * evidence.letters else None


def find_text(gray: Any) -> TextEvidence:
    """The text evidence in a greyscale uint8 array (any size)."""
    import cv2
    import numpy as np

    img: Any = np.ascontiguousarray(gray, dtype=np.uint8)
    scale = MAX_SIDE / max(img.shape)
    if scale < 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    best = TextEvidence(0, 0)
    close = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    # The image as it is, and smoothed: sensor noise breaks letters into specks that no threshold joins.
    for seen in (img, cv2.medianBlur(img, 5)):
        threshold, _ = cv2.threshold(seen, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        for ink in (seen < threshold, seen > threshold):
            mask = ink.astype(np.uint8)
            for variant in (mask, cv2.morphologyEx(mask, cv2.MORPH_CLOSE, close)):
                for turned in (variant, np.ascontiguousarray(variant.T)):
                    found = _rows(turned)
                    if (found.lines, found.letters) > (best.lines, best.letters):
                        best = found
    return best


def _rows(mask: Any) -> TextEvidence:
    import cv2
    import numpy as np

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return TextEvidence(0, 0)
    x, y, w, h, area = (stats[1:, i].astype(np.int64) for i in range(5))
    height, width = mask.shape
    fill = area / np.maximum(w * h, 1)
    letter = ((h >= MIN_HEIGHT) & (h <= height // 3) & (w <= 3 * h) & (w >= 1) & (fill >= 0.08) & (fill <= 0.95)
              & (x > 0) & (y > 0) & (x + w < width) & (y + h < height))
    idx = np.flatnonzero(letter)
    if len(idx) < MIN_ROW:
        return TextEvidence(0, 0)
    order = idx[np.argsort(x[idx])]
    parent = {int(i): int(i) for i in order}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Each shape joins the nearest shape to its right that could be the next letter of the same line.
    xs = x[order]
    for k, i in enumerate(order):
        hi, cy = h[i], y[i] + h[i] / 2
        right = x[i] + w[i]
        for j in order[k + 1:int(np.searchsorted(xs, right + 1.2 * hi, side="right"))]:
            hj = h[j]
            if x[j] < right - 0.3 * hi or max(hi, hj) > 2.0 * min(hi, hj):
                continue
            if abs((y[j] + hj / 2) - cy) <= 0.35 * max(hi, hj) and x[j] - right <= 1.0 * max(hi, hj):
                parent[root(int(i))] = root(int(j))
                break
    members: dict[int, list[int]] = {}
    for i in order:
        members.setdefault(root(int(i)), []).append(int(i))
    rows = [len(m) for m in members.values() if len(m) >= MIN_ROW and float(np.median(fill[m])) <= MAX_ROW_FILL
            and _letter_row(x[m] + w[m] / 2, y[m], y[m] + h[m], h[m], w[m])]
    return TextEvidence(len(rows), sum(rows))


def _letter_row(centres: Any, tops: Any, bottoms: Any, heights: Any, widths: Any) -> bool:
    """Whether a row of shapes stands on one straight line as letters do, of one size.

    Only descenders go below a baseline (and, upside down, only ascenders
    above the x-height line), so most shapes share a straight edge, which may
    slope with a skewed scan. Chance rows of texture (grass, gravel, bricks)
    have shapes of similar size side by side too, but their edges scatter and
    their sizes vary more than a font's.
    """
    import numpy as np

    h = float(np.median(heights))
    if float(np.mean(np.abs(heights - h) <= 0.5 * h)) < BASELINE_SHARE:
        return False
    if float(np.std(widths)) < MIN_WIDTH_SPREAD * float(np.mean(widths)):
        return False  # all one width: dots of a screen or a pattern, not letters ("i" and "m" differ)
    for edge in (bottoms, tops):
        slope, offset = np.polyfit(centres, edge, 1)
        off_line = np.abs(edge - (slope * centres + offset))
        if abs(slope) <= MAX_SLOPE and float(np.mean(off_line <= 0.12 * h + 1)) >= BASELINE_SHARE:
            return True
    return False
