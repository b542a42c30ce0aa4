"""Spaces between runs of different scripts that a recogniser ran together.

A line recogniser trained mostly on Chinese (RapidOCR's) writes no space
between a CJK run and a Latin or digit run: a channel logo drawn
"新闻 8 NEWS" comes out "新闻8NEWS". Chinese puts no spaces between its own
characters, so the recogniser cannot learn where one belongs; the picture
still shows it as a gap wider than the line's usual spacing between
characters. Given each character's horizontal extent (any engine that reports
character boxes) and, better, which columns of the line hold ink
(:func:`ink_columns`: RapidOCR's character boxes are spread evenly over a run
of Latin letters, so only the picture tells where the gap is),
:func:`spaced_text` puts the space back at such a gap where
the script changes, and nowhere else: gaps inside one script are the engine's
business (Latin word spacing, or none in CJK), and "2026年" drawn tight stays
one word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from itertools import pairwise
from statistics import median
from typing import Any

import cv2
import numpy as np

# (character, left edge, right edge) in pixels of one line, in reading order.
CharSpan = tuple[str, float, float]

# A gap counts as a space when it is at least 1.8 times the line's typical gap between characters
# and wider than the typical gap plus 0.15 of a character's width. Measured on the bench's logo
# "新闻 8 NEWS" (ink gaps 4, 13, 13, 7, 3, 2 px, characters ~30 px wide) and on the same text drawn
# at 30 px (4, 11, 11, 6, 2, 4 px): the space gaps clear both bars, the letter gaps do not.
GAP_FACTOR = 1.8
GAP_OF_WIDTH = 0.15


def script_of(ch: str) -> str:
    """'cjk' for Han, kana and Hangul, 'latin' for other letters and digits, '' for the rest (punctuation)."""
    if not ch.isalnum():
        return ""
    name = unicodedata.name(ch, "")
    if name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL")) or "IDEOGRAPH" in name:
        return "cjk"
    return "latin"


def ink_columns(line: Any) -> list[bool]:
    """Which columns of a picture of one text line (BGR or grey, cropped to the line) hold any ink.

    Otsu splits text from background; the background is the class that covers most of the crop's border.
    """
    gray = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY) if line.ndim == 3 else line
    if gray.size == 0:
        return []
    _, binary = cv2.threshold(np.ascontiguousarray(gray), 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([binary[0], binary[-1], binary[:, 0], binary[:, -1]])
    ink = binary != 1 if border.mean() > 0.5 else binary == 1
    return [bool(v) for v in ink.any(axis=0)]


def spaced_text(chars: Sequence[CharSpan], ink: Sequence[bool] | None = None) -> str:
    """The line's text with a space wherever the script changes across a gap wider than its usual spacing.

    Spaces already in ``chars`` are kept (runs collapsed to one).
    """
    before = set(missing_spaces(chars, ink))
    text = "".join((" " if i in before else "") + c[0] for i, c in enumerate(chars))
    return " ".join(text.split())


def missing_spaces(chars: Sequence[CharSpan], ink: Sequence[bool] | None = None) -> list[int]:
    """Indices ``i`` of ``chars`` that need a space before them (the script changes across a wide gap).

    With ``ink`` (:func:`ink_columns` of the line, x in the same pixels as the
    characters) the gap between two characters is the widest run of empty
    columns between their centres; without it, the distance between their boxes.
    Characters with no extent (``left >= right``) count for no typical width;
    a space already in ``chars`` ends the comparison there.
    """
    marks = [c for c in chars if not c[0].isspace()]
    gaps = [_gap(a, b, ink) for a, b in pairwise(marks)]
    widths = [r - left for _, left, r in marks if r > left]
    if not gaps or not widths:
        return []
    typical = max(0.0, median(gaps))
    least = max(GAP_FACTOR * typical, typical + GAP_OF_WIDTH * median(widths))
    found = []
    previous: CharSpan | None = None
    for i, c in enumerate(chars):
        if c[0].isspace():
            previous = None  # the engine wrote a space here already
            continue
        if previous is not None and _changes_script(previous[0], c[0]) and _gap(previous, c, ink) >= least:
            found.append(i)
        previous = c
    return found


def _gap(a: CharSpan, b: CharSpan, ink: Sequence[bool] | None) -> float:
    if ink is None:
        return b[1] - a[2]
    lo = max(0, int((a[1] + a[2]) / 2))
    hi = min(len(ink), int((b[1] + b[2]) / 2) + 1)
    longest = run = 0
    for filled in ink[lo:hi]:
        run = 0 if filled else run + 1
        longest = max(longest, run)
    return float(longest)


def _changes_script(a: str, b: str) -> bool:
    sa, sb = script_of(a[-1:]), script_of(b[:1])
    return bool(sa and sb and sa != sb)
