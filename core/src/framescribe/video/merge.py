"""Joining readings of the same text into one segment."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from .regions import Rect

CONTAINED = 0.8  # share of a reading's characters found in order in a longer one: a fragment of it
LOOSE_CONTAINED = 0.6  # ... enough when its box lies inside the longer reading's: one place shows one text
SURER = 0.15  # confidence by which a reading outranks another of the same place in telling text from scenery
ROUGH_SIMILARITY = 0.6  # a reading this alike to one shown longer in the same place is a rougher copy of it
TOGETHER = 0.35  # seconds: pieces of one line appear and disappear within this of each other
LINE_GAP = 12.0  # line heights: the widest gap between two phrases of one line (subtitles leave 3-6)


@dataclass(frozen=True)
class Candidate:
    """One reading of one region over a span of time."""

    start: float
    end: float
    text: str
    confidence: float
    rect: Rect


def _squash(text: str) -> str:
    return "".join(text.lower().split())


def _alnum(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def similarity(a: str, b: str) -> float:
    """0..1: how alike two readings are, ignoring case and spacing."""
    a, b = _squash(a), _squash(b)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def contained(part: str, whole: str, share: float = CONTAINED) -> bool:
    """Whether reading ``part`` is (nearly) a piece of the longer reading ``whole``, ignoring case and spacing."""
    # Punctuation is what a fragment's cut-off edge misreads most ("vow," for "vow."): only letters and digits count.
    a, b = _alnum(part), _alnum(whole)
    if not a or len(a) >= len(b):
        return False
    found = sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return found >= share * len(a)


def merge_candidates(cands: list[Candidate], gap: float, min_similarity: float) -> list[Candidate]:
    """Readings of the same text in the same place, overlapping or closer than ``gap`` seconds, become one.

    The merged segment spans all of them and keeps the text of the most
    confident reading. A reading that is a piece of a longer one in the same
    place at the same time (a fragment found while part of the text was hidden,
    or a track that restarted at a cut) is folded into the longer one.
    Different texts on screen at once stay separate.
    """
    out: list[Candidate] = []
    cands = [c for c in cands if not _ambiguous_piece(c, cands)]
    for c in sorted(cands, key=lambda c: (c.start, c.rect.y, c.rect.x)):
        for i in range(len(out) - 1, -1, -1):
            m = out[i]
            if c.start - m.end > gap or m.rect.overlap_of_smaller(c.rect) < 0.3:
                continue
            if similarity(m.text, c.text) >= min_similarity and _digits(m.text) == _digits(c.text):
                # "Slide 1 of 5" and "Slide 2 of 5" are alike but not the same text
                best = c if c.confidence > m.confidence else m
            elif c.start - m.end <= _TOUCH and (contained(c.text, m.text) or contained(m.text, c.text)):
                longer, shorter = (m, c) if len(_squash(m.text)) > len(_squash(c.text)) else (c, m)
                # The longer reading wins unless it is much less sure: then its extra is scenery read as letters.
                best = longer if longer.confidence >= shorter.confidence - SURER else shorter
            else:
                continue
            out[i] = replace(best, start=min(m.start, c.start), end=max(m.end, c.end), rect=m.rect.union(c.rect))
            break
        else:
            out.append(c)
    return sorted(join_lines(_drop_fragments(out)), key=lambda c: (c.start, c.end))


def join_lines(cands: list[Candidate]) -> list[Candidate]:
    """Pieces of one line (two phrases with a wide gap) become one reading, in reading order.

    Pieces are of one line when they appear and disappear together (within
    ``TOGETHER`` seconds), sit on one baseline at the same height and are at
    most ``LINE_GAP`` line heights apart. Their texts are joined left to
    right, right to left when most of their letters are of a right-to-left
    script.
    """
    groups: list[list[Candidate]] = []
    for c in sorted(cands, key=lambda c: (c.start, c.rect.x)):
        for g in groups:
            if any(_same_line(o, c) for o in g):
                g.append(c)
                break
        else:
            groups.append([c])
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        g.sort(key=lambda c: c.rect.x, reverse=_right_to_left("".join(c.text for c in g)))
        rect = g[0].rect
        for c in g[1:]:
            rect = rect.union(c.rect)
        letters = [max(1, len(_alnum(c.text))) for c in g]
        confidence = sum(c.confidence * n for c, n in zip(g, letters, strict=True)) / sum(letters)
        out.append(Candidate(min(c.start for c in g), max(c.end for c in g), " ".join(c.text for c in g), confidence,
                             rect))
    return out


def _same_line(a: Candidate, b: Candidate) -> bool:
    if abs(a.start - b.start) > TOGETHER or abs(a.end - b.end) > TOGETHER or "\n" in a.text or "\n" in b.text:
        return False
    ra, rb = a.rect, b.rect
    low, high = min(ra.h, rb.h), max(ra.h, rb.h)
    v_overlap = min(ra.y2, rb.y2) - max(ra.y, rb.y)
    gap = max(ra.x, rb.x) - min(ra.x2, rb.x2)
    return high <= 1.5 * low and v_overlap >= 0.7 * low and 0 <= gap <= LINE_GAP * low


def _right_to_left(text: str) -> bool:
    kinds = [unicodedata.bidirectional(ch) for ch in text if ch.isalpha()]
    return sum(k in ("R", "AL") for k in kinds) > len(kinds) / 2


def _ambiguous_piece(c: Candidate, cands: list[Candidate]) -> bool:
    """A piece of two or more different readings shown in its place during its time ("Slide" beside "Slide 3 of 5"
    and "Slide 4 of 5"): a track that kept only the unchanging part of changing texts; it says nothing they do not,
    and folding it into one of them would stretch that one over the others' time."""
    wholes = {o.text for o in cands
              if o is not c and min(o.end, c.end) > max(o.start, c.start)
              and o.rect.overlap_of_smaller(c.rect) >= 0.5 and contained(c.text, o.text)}
    return len(wholes) >= 2


_TOUCH = 0.3  # seconds: readings this close in time are one showing of a text for fragment folding


def _drop_fragments(cands: list[Candidate]) -> list[Candidate]:
    """Readings shown in the same place as another during most of their time, and pieces or rougher readings of it.

    One place shows one text at a time, so such a reading came from a track
    that broke off for a moment (a flash, a cut, noise) and read the same text
    again, less well or only in part.
    """
    keep = []
    for c in cands:
        span = max(1e-6, c.end - c.start)
        same = [o for o in cands if o is not c and min(o.end, c.end) - max(o.start, c.start) >= 0.5 * span
                and o.rect.overlap_of_smaller(c.rect) >= 0.5]
        fragment = any(
            o.end - o.start >= span
            and ((contained(c.text, o.text, LOOSE_CONTAINED if o.rect.overlap_of_smaller(c.rect) >= 0.8 else CONTAINED)
                  and o.confidence >= c.confidence - SURER)
                 or (similarity(c.text, o.text) >= ROUGH_SIMILARITY and _digits(c.text) == _digits(o.text)))
            for o in same
        )
        # The other way round: a much surer reading inside this one means this one is that text plus scenery
        # read as letters around it (a track whose box took in some of the picture).
        padded = any(o.confidence > c.confidence + SURER and contained(o.text, c.text) for o in same)
        if not fragment and not padded:
            keep.append(c)
    return keep


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
