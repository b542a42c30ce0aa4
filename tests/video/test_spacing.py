"""Spaces between scripts a recogniser ran together: put back where the character boxes show a gap."""

from __future__ import annotations

from framescribe.video.spacing import ink_columns, missing_spaces, script_of, spaced_text


def _line(*runs: tuple[str, float]) -> list[tuple[str, float, float]]:
    """Characters 25 px wide, 4 px apart; each run starts ``gap`` px after the previous run's last character."""
    chars, x = [], 0.0
    for text, gap in runs:
        x += gap
        for ch in text:
            chars.append((ch, x, x + 25))
            x += 25 + 4
        x -= 4
    return chars


def test_a_wide_gap_where_the_script_changes_becomes_a_space() -> None:
    # The logo RapidOCR read as "新闻8NEWS": 16 px before the 8 against ~4 px between characters.
    assert spaced_text(_line(("新闻", 0), ("8NEWS", 16))) == "新闻 8NEWS"
    assert spaced_text(_line(("NEWS", 0), ("新闻", 20))) == "NEWS 新闻"


def test_tight_mixed_scripts_and_gaps_inside_one_script_are_left_alone() -> None:
    assert spaced_text(_line(("2026", 0), ("年", 5))) == "2026年"
    # Inside one script the engine decides: no space invented between Chinese phrases or Latin letters.
    assert spaced_text(_line(("今天", 0), ("我们", 30))) == "今天我们"
    assert spaced_text(_line(("AB", 0), ("CD", 30))) == "ABCD"
    # Punctuation has no script: a gap beside it is no script change.
    assert spaced_text(_line(("新闻", 0), ("。", 30))) == "新闻。"


def test_spaces_already_there_stay_single() -> None:
    chars = _line(("新闻", 0), (" ", 4), ("8", 16))
    assert spaced_text(chars) == "新闻 8"
    assert missing_spaces(chars) == []


def test_scripts() -> None:
    assert [script_of(c) for c in "新カ한A9é-"] == ["cjk", "cjk", "cjk", "latin", "latin", "latin", ""]
    assert missing_spaces([]) == [] and spaced_text([("a", 0, 0)]) == "a"


def test_the_ink_shows_the_gap_where_the_character_boxes_do_not() -> None:
    # What RapidOCR gave for the bench logo "新闻 8 NEWS": its boxes put the 8 closer to 闻 (5 px) than 闻 is to 新
    # (10 px); the columns with ink show the real gaps (4 px, then 13 px before and after the 8).
    chars = [("新", 1, 35), ("闻", 45, 79), ("8", 84, 113), ("N", 120, 150), ("E", 150, 179), ("W", 179, 208),
             ("S", 209, 238)]
    runs = [(3, 0), (37, 1), (4, 0), (35, 1), (13, 0), (20, 1), (13, 0), (23, 1), (7, 0), (19, 1), (3, 0), (35, 1),
            (2, 0), (21, 1), (5, 0)]
    ink = [bool(filled) for n, filled in runs for _ in range(n)]
    assert spaced_text(chars) == "新闻8NEWS"
    assert spaced_text(chars, ink) == "新闻 8NEWS"


def test_ink_columns_of_light_and_dark_text() -> None:
    import numpy as np

    line = np.full((20, 30), 200, np.uint8)
    line[5:15, 4:9] = 20
    line[5:15, 20:26] = 20
    cols = ink_columns(line)
    assert [i for i, c in enumerate(cols) if c] == [*range(4, 9), *range(20, 26)]
    assert ink_columns(255 - line) == cols
