"""Output formats and atomic files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framescribe import BadInput, Block, Box, Line, OcrResult, Segment, VideoResult, Word
from framescribe.formats import atomic_output, format_ocr, format_video, read_timed_text

RESULT = VideoResult(
    [Segment(1.25, 2.5, "DID YOU GET THAT ON VIDEO?", 0.9), Segment(3601.001, 3603.0, "Ünïcode, two\nlines")],
    backend="x",
    language="en",
    duration=4000.0,
)


@pytest.mark.parametrize("fmt", ["json", "srt", "vtt"])
def test_timed_text_round_trips(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    path.write_text(format_video(RESULT, fmt), encoding="utf-8")
    back = read_timed_text(path)
    assert [(s.start, s.end, s.value) for s in back.segments] == [(s.start, s.end, s.value) for s in RESULT.segments]


def test_json_keeps_the_seeds_shape_with_metadata_beside_data() -> None:
    data = json.loads(format_video(RESULT, "json"))
    assert data["data"][0] == {"start": 1.25, "end": 2.5, "value": "DID YOU GET THAT ON VIDEO?", "confidence": 0.9}
    assert (data["backend"], data["language"], data["duration"]) == ("x", "en", 4000.0)


def test_seed_payload_reads_as_a_result(tmp_path: Path) -> None:
    seed = {"_id": "62aeb771154f59c87660ce91", "index_id": "629deb409ea24f052b971993",
            "data": [{"end": 77, "start": 76, "value": "DID YOU GET THAT ON VIDEO?"}, {"end": 79, "start": 78, "value": "YEAH"}]}
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    assert [s.value for s in read_timed_text(path).segments] == ["DID YOU GET THAT ON VIDEO?", "YEAH"]


def test_txt_format_has_times() -> None:
    assert format_video(RESULT, "txt").splitlines()[0] == "[00:00:01.250 --> 00:00:02.500] DID YOU GET THAT ON VIDEO?"


def test_ocr_tsv_has_tesseract_columns_and_one_row_per_word() -> None:
    words = (Word("Hello", Box(1, 2, 30, 10), 0.96), Word("world", Box(35, 2, 30, 10), 0.5))
    result = OcrResult("Hello world", 0.73, "eng", layout=[Block((Line(words, Box(1, 2, 64, 10)),))])
    rows = format_ocr([result], "tsv").splitlines()
    assert rows[0].split("\t")[-2:] == ["conf", "text"]
    assert rows[1].split("\t") == ["5", "1", "1", "1", "1", "1", "1", "2", "30", "10", "0.96", "Hello"]
    assert len(rows) == 3
    assert json.loads(format_ocr([result], "json"))["layout"][0]["lines"][0]["text"] == "Hello world"
    assert result.word_count == 2


def test_unknown_format_is_bad_input() -> None:
    with pytest.raises(BadInput, match=r"choose one of json, srt, vtt, txt"):
        format_video(RESULT, "docx")


def test_unreadable_timed_text_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.srt"
    bad.write_text("1\nnot a time line\nhello\n")
    with pytest.raises(BadInput, match=r"bad\.srt"):
        read_timed_text(bad)


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    with pytest.raises(RuntimeError), atomic_output(target) as f:
        f.write("partial")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_replaces_an_existing_file_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as f:
        f.write("new")
        raise RuntimeError
    assert target.read_text() == "old"
    with atomic_output(target) as f:
        f.write("new")
    assert target.read_text() == "new"
