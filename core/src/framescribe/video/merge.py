"""Joining readings of the same text into one segment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from .regions import Rect

CONTAINED = 0.8  # share of a reading's characters found in order in a longer one: a fragment of it
LOOSE_CONTAINED = 0.6  # ... enough when its box lies inside the longer reading's: one place shows one text
SURER = 0.15  # confidence by which a reading outranks another of the same place in telling text from scenery
ROUGH_SIMILARITY = 0.6  # a reading this alike to one shown longer in the same place is a rougher copy of it


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
    return sorted(_drop_fragments(out), key=lambda c: (c.start, c.end))


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
