"""Cutting a page's layout into runs for parallel reading, and deciding when a page is worth cutting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import framescribe_tesseract.image_ocr as image_ocr
from framescribe_tesseract.page_split import PAD, TextLine, inside, plan, shares, work

PAGE = (1200, 1700)
HALVES = [0.5, 0.5]


def _column(block: int, top: int, count: int, width: int = 900, height: int = 30, gap: int = 16) -> list[TextLine]:
    return [TextLine(block, (100, top + i * (height + gap), width, height)) for i in range(count)]


def _boxes(lines: list[TextLine]) -> dict[int, tuple[int, int, int, int]]:
    out = {}
    for block in {ln.block for ln in lines}:
        mine = [ln.box for ln in lines if ln.block == block]
        x0, y0 = min(b[0] for b in mine), min(b[1] for b in mine)
        out[block] = (x0, y0, max(b[0] + b[2] for b in mine) - x0, max(b[1] + b[3] for b in mine) - y0)
    return out


def test_runs_keep_reading_order_and_balance_the_work() -> None:
    lines = _column(0, 100, 6) + _column(1, 500, 2) + _column(2, 700, 8)
    runs = plan(lines, _boxes(lines), HALVES, PAGE)
    assert [[p.block for p in run] for run in runs] == [[0, 1], [2]]  # 8 lines each side of the cut between blocks
    assert all(p.read == (100 - PAD, p.keep[1] - PAD, 900 + 2 * PAD, p.keep[3] + 2 * PAD) for r in runs for p in r)
    assert [p.keep for p in runs[1]] == [_boxes(lines)[2]]


def test_a_cut_between_blocks_is_preferred_when_nearly_as_even() -> None:
    # The middle of the work is inside line 8 (of 15); the edge between the blocks is half a line from it.
    lines = _column(0, 100, 7) + _column(1, 500, 8)
    assert [[p.block for p in run] for run in plan(lines, _boxes(lines), HALVES, PAGE)] == [[0], [1]]
    # Three lines off, the edge loses to a cut inside the bigger block.
    lines = _column(0, 100, 4) + _column(1, 500, 11)
    assert [[p.block for p in run] for run in plan(lines, _boxes(lines), HALVES, PAGE)] == [[0, 1], [1]]


def test_one_big_block_is_cut_halfway_between_two_of_its_lines() -> None:
    lines = _column(0, 100, 20)
    [[top], [bottom]] = plan(lines, _boxes(lines), HALVES, PAGE)
    assert top.block == bottom.block == 0
    # Line 9 ends at 100 + 9 * 46 + 30 = 544, line 10 starts at 560: the cut is at 552, with no margin past it.
    assert top.keep == (100, 100, 900, 452) and top.read == (90, 90, 920, 462)
    assert bottom.keep == (100, 552, 900, 100 + 20 * 46 - 16 - 552) and bottom.read[1] == 552
    words_at = [(ln.box[1] + 5) for ln in lines]
    assert [inside(top.keep, 200, y, 50, 20) for y in words_at] == [True] * 10 + [False] * 10


def test_no_cut_where_lines_of_a_block_overlap() -> None:
    # Two side-by-side lines in one block (a line reaching below the top of the next): no cut may pass between.
    lines = [TextLine(0, (100, 100, 400, 60)), TextLine(0, (600, 130, 400, 30)), TextLine(0, (100, 200, 900, 30))]
    runs = plan(lines, _boxes(lines), HALVES, PAGE)
    assert len(runs) == 2 and [len(r) for r in runs] == [1, 1]
    assert runs[0][0].keep[3] == (160 + 200) // 2 - 100  # cut between the second and third line, not the first two
    assert plan(lines[:2], _boxes(lines[:2]), HALVES, PAGE) == [plan(lines[:2], _boxes(lines[:2]), [1.0], PAGE)[0]]


def test_pieces_stay_on_the_page_and_work_follows_line_length() -> None:
    lines = [TextLine(0, (2, 3, 1190, 40)), TextLine(1, (5, 1650, 300, 45))]
    runs = plan(lines, _boxes(lines), [0.25] * 4, PAGE)  # more runs asked for than lines: one per line at most
    assert len(runs) == 2
    for run in runs:
        x, y, w, h = run[0].read
        assert x >= 0 and y >= 0 and x + w <= PAGE[0] and y + h <= PAGE[1]
    assert work(TextLine(0, (0, 0, 600, 30))) == 2 * work(TextLine(0, (0, 0, 300, 30)))
    assert plan([], {}, HALVES, PAGE) == []


def test_threads_get_large_runs_first_then_small_ones() -> None:
    two = shares(2)
    assert abs(sum(two) - 1) < 1e-9 and two[0] == 0.25 and two == sorted(two, reverse=True)
    assert min(two[:-1]) >= 1 / 16 and len(two) <= 10  # a bounded number of reads, the last ones short
    lines = _column(0, 100, 32)  # 32 equal lines of one block: each share rounds to whole lines
    assert [sum(len(_lines_in(p, lines)) for p in run) for run in plan(lines, _boxes(lines), two, PAGE)] == [
        8, 6, 4, 4, 2, 2, 2, 2, 2]


def _lines_in(piece: object, lines: list[TextLine]) -> list[TextLine]:
    keep = piece.keep  # type: ignore[attr-defined]
    return [ln for ln in lines if inside(keep, *ln.box)]


@pytest.mark.parametrize(("loadavg", "pressure", "idle"), [
    ("1.85 1.40 1.10 1/123 4567", "some avg10=0.50 avg60=2.00 avg300=1.00 total=1", True),  # only this thread runs
    ("0.20 0.40 0.10 2/123 4567", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1", False),  # something else runs now
    ("0.20 0.40 0.10 1/123 4567", "some avg10=35.00 avg60=20.00 avg300=9.00 total=1", False),  # tasks wait for cores
    ("0.20 0.40 0.10 1/123 4567", None, True),  # no pressure information: what runs now decides
])
def test_idle_core_looks_at_now_not_the_minute_average(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loadavg: str,
                                                      pressure: str | None, idle: bool) -> None:
    (tmp_path / "loadavg").write_text(loadavg + "\n")
    if pressure is not None:
        (tmp_path / "pressure").write_text(pressure + "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    monkeypatch.setattr(image_ocr, "PROC_LOADAVG", tmp_path / "loadavg")
    monkeypatch.setattr(image_ocr, "PROC_PRESSURE", tmp_path / "pressure")
    monkeypatch.setattr(image_ocr.os, "cpu_count", lambda: 2)
    assert image_ocr._idle_core() is idle


@pytest.mark.parametrize(("load", "idle"), [(0.5, True), (1.5, False)])
def test_idle_core_falls_back_to_the_load_average(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load: float,
                                                  idle: bool) -> None:
    monkeypatch.setattr(image_ocr, "PROC_LOADAVG", tmp_path / "missing")
    monkeypatch.setattr(image_ocr.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert image_ocr._idle_core() is idle


class _FakeLayout:
    """Stands in for an API and the page iterator its AnalyseLayout hands out (method names are tesserocr's)."""

    def __init__(self, blocks: list[tuple[int, list[tuple[int, int, int, int]]]]) -> None:
        self.items = [(b, kind, box, i == 0) for b, (kind, boxes) in enumerate(blocks) for i, box in enumerate(boxes)]
        self.at = 0

    def AnalyseLayout(self) -> _FakeLayout:
        return self

    def IsAtBeginningOf(self, level: int) -> bool:
        return self.items[self.at][3]

    def BlockType(self) -> int:
        return self.items[self.at][1]

    def Empty(self, level: int) -> bool:
        return False

    def BoundingBox(self, level: int) -> tuple[int, int, int, int]:
        import tesserocr

        b = self.items[self.at][0]
        if level == tesserocr.RIL.BLOCK:
            boxes = [box for blk, _, box, _ in self.items if blk == b]
            return min(x[0] for x in boxes), min(x[1] for x in boxes), max(x[2] for x in boxes), max(x[3] for x in boxes)
        return self.items[self.at][2]

    def Next(self, level: int) -> bool:
        self.at += 1
        return self.at < len(self.items)


def test_layout_keeps_text_lines_and_leaves_pages_with_special_blocks_whole() -> None:
    from tesserocr import PT

    from framescribe_tesseract.engines import _layout

    page = [(PT.FLOWING_TEXT, [(10, 10, 500, 40), (10, 50, 480, 80)]), (PT.FLOWING_IMAGE, [(0, 100, 600, 400)]),
            (PT.HEADING_TEXT, [(10, 420, 300, 460)])]
    pictures: list[tuple[int, int, int, int]] = []
    found = _layout(_FakeLayout(page), pictures)
    assert found is not None
    assert pictures == [(0, 100, 600, 300)]  # kept for a second look at what may be a button
    lines, blocks = found
    assert [(ln.block, ln.box) for ln in lines] == [(0, (10, 10, 490, 30)), (0, (10, 50, 470, 30)),
                                                   (2, (10, 420, 290, 40))]  # the picture holds no words
    assert blocks == {0: (10, 10, 490, 70), 2: (10, 420, 290, 40)}
    for special in (PT.VERTICAL_TEXT, PT.TABLE):
        assert _layout(_FakeLayout([*page, (special, [(600, 10, 640, 400)])]), []) is None
