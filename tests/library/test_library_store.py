"""The library database and its search: query syntax, CJK, bounded ranking, reading back, paging."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from framescribe import Box, OcrResult, Segment, VideoResult, Word
from framescribe.errors import BadInput
from framescribe.library import Library
from framescribe.library.query import cjk_form, readable, to_fts


@pytest.mark.parametrize(("typed", "fts"), [
    ("quarterly targets", '"quarterly" AND "targets"'),
    ('"quarterly targets"', '"quarterly targets"'),
    ("quart*", '"quart" *'),
    ('"quarterly tar" *', '"quarterly tar" *'),
    ("a OR b NOT c", '"a" OR "b" NOT "c"'),
    ("(x OR y) z", '( "x" OR "y" ) AND "z"'),
    ("e-mail - Q&A", '"e-mail" AND "Q&A"'),  # punctuation is tokenized inside quotes, never parsed
    ("东京", '" 东  京 "'),
    ("iPhone是", '"iPhone 是 "'),
])
def test_queries_become_safe_fts(typed: str, fts: str) -> None:
    assert to_fts(typed) == fts


def test_cjk_form_sets_every_character_apart_and_reads_back() -> None:
    text = "会議の資料 in 東京"
    form = cjk_form(text)
    assert form is not None and readable(form) == text
    assert cjk_form("plain latin text") is None


def _video(*texts: str) -> VideoResult:
    return VideoResult([Segment(float(i), i + 1.0, t) for i, t in enumerate(texts)], backend="b", duration=len(texts))


def test_cjk_two_character_words_are_found_where_the_characters_touch(tmp_path: Path) -> None:
    with Library(tmp_path / "l.sqlite3") as lib:
        lib.add(tmp_path / "zh.mp4", {"video_text": _video("我们讨论了东京的季度目标")})
        lib.add(tmp_path / "ja.mp4", {"transcribe": _video("明日の会議で資料を確認します")})
        lib.add(tmp_path / "ko.mp4", {"transcribe": _video("회의자료를 확인합니다")})
        assert [h.media for h in lib.search("东京")] == [str(tmp_path / "zh.mp4")]
        assert [h.media for h in lib.search("季度目标")] == [str(tmp_path / "zh.mp4")]
        assert [h.media for h in lib.search("会議")] == [str(tmp_path / "ja.mp4")]
        assert [h.media for h in lib.search("자료")] == [str(tmp_path / "ko.mp4")]
        assert lib.search("京东") == []  # both characters are there, but not side by side
        assert lib.search("目标东京") == []
        assert lib.search("东京")[0].snippet == "我们讨论了[东京]的季度目标"


def test_boolean_operators_phrases_and_prefixes(tmp_path: Path) -> None:
    with Library(tmp_path / "l.sqlite3") as lib:
        lib.add(tmp_path / "a.mp4", {"video_text": _video("quarterly targets for Q3", "budget review")})
        lib.add(tmp_path / "b.mp4", {"transcribe": _video("targets quarterly, said nobody", "Résumé draft")})
        values = lambda q: sorted(h.value for h in lib.search(q))  # noqa: E731
        assert values('"quarterly targets"') == ["quarterly targets for Q3"]
        assert values("quarterly targets") == ["quarterly targets for Q3", "targets quarterly, said nobody"]
        assert values("targets NOT nobody") == ["quarterly targets for Q3"]
        assert values("budget OR resume") == ["Résumé draft", "budget review"]  # diacritics folded
        assert values("budg*") == ["budget review"]
        assert values("(budget OR draft) review") == ["budget review"]
        assert [h.capability for h in lib.search("targets", capability="transcribe")] == ["transcribe"]
        assert [h.media for h in lib.search("targets", media="*/a.*")] == [str(tmp_path / "a.mp4")]
        assert len(lib.search("targets", limit=1)) == 1


def test_frequent_terms_are_ranked_among_the_newest_candidates(tmp_path: Path) -> None:
    with Library(tmp_path / "l.sqlite3") as lib:
        # The best match (a short segment that is all "alpha") is the oldest; 30 weaker ones follow it.
        lib.add(tmp_path / "old.mp4", {"video_text": _video("alpha alpha")})
        for i in range(30):
            lib.add(tmp_path / f"new{i:02d}.mp4", {"video_text": _video(f"alpha and many other words in segment {i}")})
        bounded = lib.search("alpha", candidates=5, limit=50)
        assert len(bounded) == 5 and {h.media for h in bounded} == {str(tmp_path / f"new{i}.mp4") for i in range(25, 30)}
        full = lib.search("alpha", candidates=0, limit=50)
        assert len(full) == 31 and full[0].media == str(tmp_path / "old.mp4")
        assert full[0].score > full[1].score  # higher is better
        assert lib.search("alpha", candidates=100)[0].media == str(tmp_path / "old.mp4")  # few matches: all ranked


def test_results_keep_boxes_words_and_pages(tmp_path: Path) -> None:
    seg = Segment(1.25, 2.5, "HELLO WORLD", 0.875, Box(1, 2, 30, 40),
                  (Word("HELLO", Box(1, 2, 10, 10), 0.9), Word("WORLD", None, 0.8, 1.3, 2.4)))
    video = VideoResult([seg], backend="tesseract", language="en", duration=4.0, metadata={"frames": 40})
    pages = [OcrResult("page one", 0.9, "en", page=1, backend="t"), OcrResult("page two", 0.8, "en", page=2, backend="t")]
    with Library(tmp_path / "l.sqlite3") as lib:
        lib.add(tmp_path / "clip.mp4", {"video_text": video})
        lib.add(tmp_path / "scan.tif", {"image_ocr": pages})
        back = lib.results(tmp_path / "clip.mp4")["video_text"]
        assert back.to_dict() == video.to_dict()  # type: ignore[union-attr]
        assert [p.to_dict() for p in lib.results(tmp_path / "scan.tif")["image_ocr"]] == [p.to_dict() for p in pages]  # type: ignore[union-attr]
        hit = lib.search("two")[0]
        assert (hit.page, hit.start, hit.end, hit.capability) == (2, None, None, "image_ocr")
        with pytest.raises(BadInput, match="not in the library"):
            lib.results(tmp_path / "other.mp4")


def test_media_are_listed_in_pages(tmp_path: Path) -> None:
    with Library(tmp_path / "l.sqlite3") as lib:
        for i in range(7):
            lib.add(tmp_path / f"m{i}.mp4", {"video_text": _video(f"text {i}")}, error="boom" if i == 3 else None)
        pages = [lib.media(offset=o, limit=3) for o in (0, 3, 6)]
        assert [[Path(r.path).name for r in p] for p in pages] == [["m0.mp4", "m1.mp4", "m2.mp4"],
                                                                    ["m3.mp4", "m4.mp4", "m5.mp4"], ["m6.mp4"]]
        assert lib.count() == 7 and lib.count("failed") == 1
        assert [r.error for r in lib.media(status="failed")] == ["boom"]
        lib.remove(tmp_path / "m0.mp4")
        assert lib.count() == 6 and lib.search("0") == []


def test_a_library_from_a_newer_framescribe_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Library(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema'")
    with pytest.raises(BadInput, match="newer"):
        Library(path)


def test_bounded_ranking_agrees_with_fts5_bm25_when_it_sees_every_match(tmp_path: Path) -> None:
    import random

    rng = random.Random(5)
    words = ["budget", "review", "targets", "quarterly", "meeting", "notes", "plan", "team", "report", "draft"]
    with Library(tmp_path / "l.sqlite3") as lib:
        for i in range(40):
            texts = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) for _ in range(5)]
            lib.add(tmp_path / f"m{i:02d}.mp4", {"transcribe": _video(*texts)})
        for query in ("budget", "budget review", '"quarterly targets"', "plan OR draft", "team NOT notes", "rep*"):
            ours = lib.search(query, limit=5, candidates=10_000)  # every match is a candidate: scored in rank.py
            exact = lib.search(query, limit=5, candidates=0)  # FTS5's bm25 over every match
            assert ours and len(ours) == len(exact)
            # The same formula; only the average length differs (the matches' own, not the library's).
            assert ours[0].score == pytest.approx(exact[0].score, rel=0.35)
            overlap = {(h.media, h.start) for h in ours} & {(h.media, h.start) for h in exact}
            assert len(overlap) >= 3, query


@pytest.mark.parametrize(("value", "undone"), [("65536", True), ("", False), ("134217728", False), ("lots", False)])
def test_a_tiny_malloc_trim_threshold_is_undone_in_workers(value: str, undone: bool) -> None:
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker; glibc reads it at start, so a child process.
    code = "from framescribe.library.work import relax_malloc_trim; print(relax_malloc_trim())"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if value:
        env["MALLOC_TRIM_THRESHOLD_"] = value
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(undone)
