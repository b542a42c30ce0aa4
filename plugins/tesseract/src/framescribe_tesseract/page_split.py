"""Cutting one page's text into runs that threads can read at once, from the page's own layout analysis.

Tesseract's layout analysis of the whole page gives the text lines and the
block each belongs to. The lines are cut into runs, in reading order, that
take given shares of the recognition work; a cut falls between blocks where
that keeps the shares close, else between two lines of one block (a page
that is one big block still splits). Each run is a list of :class:`Piece`: a
rectangle Tesseract reads as one block (PSM 6), and the part of it whose
words belong to that piece.
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[int, int, int, int]  # x, y, width, height

PAD = 10  # pixels around a block: Tesseract misreads text touching the edge of its rectangle
INNER_CUT_PENALTY = 0.05  # share of the page's work a cut inside a block must save over the best cut between blocks
SMALLEST_SHARE = 0.125  # per thread: smaller runs cost more in setting up each read than they save at the end


@dataclass(frozen=True)
class TextLine:
    block: int  # index of its block on the page, in reading order
    box: Rect


@dataclass(frozen=True)
class Piece:
    block: int
    read: Rect  # the rectangle Tesseract reads
    keep: Rect  # words centred inside are this piece's; the rest of `read` is margin


def work(line: TextLine) -> float:
    """Relative recognition cost of a line: the LSTM scales each line to a fixed height, so it runs width/height steps."""
    _, _, w, h = line.box
    return w / max(h, 1)


def shares(threads: int) -> list[float]:
    """Shares of a page's work for ``threads`` threads that take the next run as they come free.

    Large runs first, then smaller ones: the threads finish within a small
    run of each other even when the estimate of the work is off, a thread
    starts late (loading its model) or the machine gives one of them less time.
    """
    out: list[float] = []
    left = 1.0
    while left > 1e-9:
        share = min(left, max(left / (2 * threads), SMALLEST_SHARE / threads))
        out.append(share)
        left -= share
    return out


def plan(lines: list[TextLine], blocks: dict[int, Rect], parts: list[float], page: tuple[int, int]) -> list[list[Piece]]:
    """``lines`` (in reading order) cut into runs of consecutive pieces with about the ``parts`` shares of the work.

    Fewer runs come out when there are fewer places to cut.
    """
    if not lines:
        return []
    costs = [work(ln) for ln in lines]
    total = sum(costs)
    done = [0.0]
    for c in costs:
        done.append(done[-1] + c)
    cut_ys = _cut_ys(lines)
    cuts: list[int] = []
    reached = 0.0
    for part in parts[:-1]:
        reached += part
        target = total * reached
        best: tuple[float, int] | None = None
        for i in range(cuts[-1] + 1 if cuts else 1, len(lines)):
            between_blocks = lines[i].block != lines[i - 1].block
            if not between_blocks and cut_ys[i] is None:
                continue
            score = abs(done[i] - target) + (0.0 if between_blocks else INNER_CUT_PENALTY * total)
            if best is None or score < best[0]:
                best = (score, i)
        if best is None:
            break
        cuts.append(best[1])
    bounds = [0, *cuts, len(lines)]
    return [_pieces(lines, blocks, cut_ys, bounds[r], bounds[r + 1], page) for r in range(len(bounds) - 1)]


def _cut_ys(lines: list[TextLine]) -> list[int | None]:
    """Per line ``i``: where to cut its block between lines ``i - 1`` and ``i`` (halfway between the lowest bottom
    above and the highest top below); None at a block's first line, or where a line above reaches below one under it.
    """
    bottoms: list[int] = []  # lowest bottom so far within the block
    for i, ln in enumerate(lines):
        below = ln.box[1] + ln.box[3]
        bottoms.append(max(below, bottoms[-1]) if i and lines[i - 1].block == ln.block else below)
    tops = [0] * len(lines)  # highest top from here on within the block
    for i in range(len(lines) - 1, -1, -1):
        top = lines[i].box[1]
        tops[i] = min(top, tops[i + 1]) if i + 1 < len(lines) and lines[i + 1].block == lines[i].block else top
    out: list[int | None] = [None]
    for i in range(1, len(lines)):
        same = lines[i].block == lines[i - 1].block
        out.append((bottoms[i - 1] + tops[i]) // 2 if same and bottoms[i - 1] <= tops[i] else None)
    return out


def _pieces(lines: list[TextLine], blocks: dict[int, Rect], cut_ys: list[int | None], start: int, end: int,
            page: tuple[int, int]) -> list[Piece]:
    """The lines ``start:end`` as one piece per block; a block cut at either end is bounded there by the cut."""
    out = []
    i = start
    while i < end:
        block = lines[i].block
        j = i
        while j < end and lines[j].block == block:
            j += 1
        bx, by, bw, bh = blocks[block]
        cut_top = cut_ys[i] if i > 0 and lines[i - 1].block == block else None
        cut_bottom = cut_ys[j] if j < len(lines) and lines[j].block == block else None
        top = by if cut_top is None else cut_top
        bottom = by + bh if cut_bottom is None else cut_bottom
        keep = (bx, top, bw, bottom - top)
        # A cut lies halfway between two lines, which is margin enough; an outer edge gets the usual padding.
        x0, x1 = max(0, bx - PAD), min(page[0], bx + bw + PAD)
        y0 = max(0, top - PAD) if cut_top is None else top
        y1 = min(page[1], bottom + PAD) if cut_bottom is None else bottom
        out.append(Piece(block, (x0, y0, x1 - x0, y1 - y0), keep))
        i = j
    return out


def inside(rect: Rect, left: int, top: int, width: int, height: int) -> bool:
    """Whether the centre of the box (left, top, width, height) lies in ``rect``."""
    x, y, w, h = rect
    return x <= left + width / 2 <= x + w and y <= top + height / 2 <= y + h
