"""Scoring timed text against a reference: segment precision, recall, F1, character error, boundary error.

A predicted segment *matches* a reference segment when their time intervals
overlap with an intersection-over-union of at least ``min_iou`` (0.5) and the
character error rate of its text against the reference text is at most
``max_cer`` (0.2). Matching is one-to-one: each reference segment is matched
by at most one prediction, so a caption reported as three fragments gives one
match (at best) and two false positives.

Among all pairs that qualify, the matching has the largest possible number of
matches (augmenting paths); ties are settled in favour of pairs with lower
character error, then higher IoU, so the reported error is that of the best
readings.

Text is compared after :func:`normalize_text`: Unicode NFKC, typographic
quotes, apostrophes and dashes folded to ASCII, all whitespace (line breaks
included) collapsed to single spaces, leading/trailing space removed. Case is
kept (a reading of ``I`` as ``l`` is an error) unless ``ignore_case`` is set.
Segments whose text is empty after normalising carry nothing to score and are
left out on both sides.

Pure Python with no dependencies, so ``framescribe eval`` works on any install.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .types import Segment

MIN_IOU = 0.5
MAX_CER = 0.2

# Typographic characters OCR engines and subtitle files use interchangeably with ASCII ones.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...",
})


def normalize_text(text: str, *, ignore_case: bool = False) -> str:
    """The form two texts are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = " ".join(text.split())
    return text.casefold() if ignore_case else text


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_error_rate(reference: str, hypothesis: str) -> float:
    """Edits needed to turn ``reference`` into ``hypothesis``, per reference character.

    Can exceed 1 when the hypothesis is much longer. An empty reference gives 0
    for an empty hypothesis and 1 otherwise.
    """
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(reference, hypothesis) / len(reference)


def temporal_iou(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Intersection over union of two time intervals; two identical instants count as 1."""
    inter = max(0.0, min(a_end, b_end) - max(a_start, b_start))
    union = max(a_end, b_end) - min(a_start, b_start)
    if union <= 0:
        return 1.0 if (a_start, a_end) == (b_start, b_end) else 0.0
    return inter / union


@dataclass(frozen=True)
class Match:
    """A reference segment and the prediction matched to it (indices into the scored lists)."""

    truth: int
    pred: int
    iou: float
    cer: float
    boundary_error: float  # seconds: mean of |start difference| and |end difference|

    def to_dict(self) -> dict[str, Any]:
        return {"truth": self.truth, "pred": self.pred, "iou": round(self.iou, 4), "cer": round(self.cer, 4),
                "boundary_error": round(self.boundary_error, 4)}


@dataclass
class Score:
    """The scores of one prediction against one reference (or several, combined)."""

    truth_count: int
    pred_count: int
    matches: list[Match] = field(default_factory=list)
    unmatched_truth: list[int] = field(default_factory=list)
    unmatched_pred: list[int] = field(default_factory=list)

    @property
    def true_positives(self) -> int:
        return len(self.matches)

    @property
    def false_positives(self) -> int:
        return self.pred_count - len(self.matches)

    @property
    def false_negatives(self) -> int:
        return self.truth_count - len(self.matches)

    @property
    def precision(self) -> float:
        """Matched predictions per prediction; 1 when nothing was predicted (nothing wrong was said)."""
        return len(self.matches) / self.pred_count if self.pred_count else 1.0

    @property
    def recall(self) -> float:
        """Matched reference segments per reference segment; 1 when the reference is empty."""
        return len(self.matches) / self.truth_count if self.truth_count else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def mean_cer(self) -> float | None:
        """Mean character error rate of the matched segments; None without matches."""
        return statistics.fmean(m.cer for m in self.matches) if self.matches else None

    @property
    def median_boundary_error(self) -> float | None:
        """Median over matches of the mean of |start diff| and |end diff|, in seconds; None without matches."""
        return statistics.median(m.boundary_error for m in self.matches) if self.matches else None

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "mean_cer": None if self.mean_cer is None else round(self.mean_cer, 4),
            "median_boundary_error": None if self.median_boundary_error is None else round(self.median_boundary_error, 4),
            "truth_segments": self.truth_count,
            "predicted_segments": self.pred_count,
            "matched": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }
        if details:
            out["matches"] = [m.to_dict() for m in self.matches]
            out["unmatched_truth"] = list(self.unmatched_truth)
            out["unmatched_pred"] = list(self.unmatched_pred)
        return out


def score_segments(
    truth: Sequence[Segment],
    pred: Sequence[Segment],
    *,
    min_iou: float = MIN_IOU,
    max_cer: float = MAX_CER,
    ignore_case: bool = False,
) -> Score:
    """Score ``pred`` against ``truth``; indices in the result refer to the segments with non-empty text, in order."""
    t_items = _prepare(truth, ignore_case)
    p_items = _prepare(pred, ignore_case)
    # Every qualifying pair, best first, per reference segment.
    options: list[list[tuple[float, float, int]]] = []
    for ts, te, tt in t_items:
        row = []
        for j, (ps, pe, pt) in enumerate(p_items):
            iou = temporal_iou(ts, te, ps, pe)
            if iou < min_iou:
                continue
            cer = char_error_rate(tt, pt)
            if cer <= max_cer:
                row.append((cer, -iou, j))
        row.sort()
        options.append(row)
    pred_owner = _max_matching([[j for _, _, j in row] for row in options])
    matches = []
    for j, i in sorted(pred_owner.items(), key=lambda kv: kv[1]):
        ts, te, tt = t_items[i]
        ps, pe, pt = p_items[j]
        boundary = (abs(ps - ts) + abs(pe - te)) / 2
        matches.append(Match(i, j, temporal_iou(ts, te, ps, pe), char_error_rate(tt, pt), boundary))
    matched_t = {m.truth for m in matches}
    matched_p = {m.pred for m in matches}
    return Score(
        truth_count=len(t_items),
        pred_count=len(p_items),
        matches=matches,
        unmatched_truth=[i for i in range(len(t_items)) if i not in matched_t],
        unmatched_pred=[j for j in range(len(p_items)) if j not in matched_p],
    )


def combine(scores: Iterable[Score]) -> Score:
    """Pool several scores (e.g. one per clip) into one: counts add up, means and medians are over all matches.

    Indices in the pooled matches and unmatched lists are offset so they stay distinct.
    """
    total = Score(0, 0)
    for s in scores:
        total.matches.extend(
            Match(m.truth + total.truth_count, m.pred + total.pred_count, m.iou, m.cer, m.boundary_error) for m in s.matches
        )
        total.unmatched_truth.extend(i + total.truth_count for i in s.unmatched_truth)
        total.unmatched_pred.extend(j + total.pred_count for j in s.unmatched_pred)
        total.truth_count += s.truth_count
        total.pred_count += s.pred_count
    return total


def _prepare(segments: Sequence[Segment], ignore_case: bool) -> list[tuple[float, float, str]]:
    out = []
    for s in segments:
        text = normalize_text(s.value, ignore_case=ignore_case)
        if text:
            out.append((float(s.start), float(s.end), text))
    return out


def _max_matching(options: list[list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn's augmenting paths); returns pred index -> truth index.

    Each truth row lists its acceptable predictions best first, and rows are
    tried in order, so without conflicts every segment gets its best reading.
    """
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in options[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(options)):
        augment(i, set())
    return owner


def format_table(score: Score, title: str | None = None) -> str:
    """The scores as a small aligned text table."""

    def num(value: float | None, unit: str = "") -> str:
        return "-" if value is None else f"{value:.3f}{unit}"

    rows = [
        ("F1", num(score.f1)),
        ("precision", f"{num(score.precision)}  ({score.true_positives} of {score.pred_count} predicted segments matched)"),
        ("recall", f"{num(score.recall)}  ({score.true_positives} of {score.truth_count} reference segments found)"),
        ("mean char error", num(score.mean_cer) + "  (matched segments)"),
        ("median boundary error", num(score.median_boundary_error, " s")),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [title] if title else []
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines) + "\n"
