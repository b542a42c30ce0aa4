"""The scorer (framescribe.evaluate) and `framescribe eval`, on hand-built cases with hand-computed answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framescribe.cli import main
from framescribe.evaluate import (
    char_error_rate,
    combine,
    edit_distance,
    normalize_text,
    score_segments,
    temporal_iou,
)
from framescribe.types import Segment


def seg(start: float, end: float, value: str) -> Segment:
    return Segment(start, end, value)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "", 3), ("", "ab", 2), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("same", "same", 0)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_char_error_rate_is_per_reference_character() -> None:
    assert char_error_rate("kitten", "sitting") == pytest.approx(3 / 6)
    assert char_error_rate("ab", "abcdef") == pytest.approx(2.0)  # can exceed 1
    assert char_error_rate("", "") == 0.0
    assert char_error_rate("", "x") == 1.0


def test_temporal_iou() -> None:
    assert temporal_iou(0, 2, 1, 3) == pytest.approx(1 / 3)
    assert temporal_iou(0, 4, 1, 3) == pytest.approx(0.5)
    assert temporal_iou(0, 1, 2, 3) == 0.0
    assert temporal_iou(0, 1, 1, 2) == 0.0  # touching is not overlapping
    assert temporal_iou(5, 5, 5, 5) == 1.0
    assert temporal_iou(5, 5, 6, 6) == 0.0


def test_normalize_text_folds_space_quotes_and_dashes_but_keeps_case() -> None:
    assert normalize_text("  It\u2019s   a\n\u201cgood\u201d day \u2014 ok\u2026 ") == "It's a \"good\" day - ok..."
    assert normalize_text("ﬁne") == "fine"  # NFKC: ligature
    assert normalize_text("Hello") != normalize_text("hello")
    assert normalize_text("Hello", ignore_case=True) == "hello"


def test_perfect_prediction() -> None:
    truth = [seg(0, 2, "Hello there"), seg(2.5, 4, "General Kenobi")]
    s = score_segments(truth, list(truth))
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert s.mean_cer == 0.0 and s.median_boundary_error == 0.0
    assert [(m.truth, m.pred) for m in s.matches] == [(0, 0), (1, 1)]


def test_counts_cer_and_boundary_error_by_hand() -> None:
    truth = [seg(0.0, 2.0, "abcdefghij"), seg(3.0, 5.0, "klmnopqrst"), seg(6.0, 8.0, "uvwxyz1234")]
    pred = [
        seg(0.2, 2.0, "abcdefghiX"),  # match: IoU 0.9, CER 0.1, boundary (0.2 + 0) / 2 = 0.1
        seg(3.5, 5.5, "klmnopqrst"),  # match: IoU 1.5/2.5 = 0.6, CER 0, boundary (0.5 + 0.5) / 2 = 0.5
        seg(6.0, 8.0, "uvwXYZ1234"),  # right time, CER 0.3 > 0.2: no match
        seg(9.0, 10.0, "ghost"),  # nothing there
    ]
    s = score_segments(truth, pred)
    assert [(m.truth, m.pred) for m in s.matches] == [(0, 0), (1, 1)]
    assert s.matches[0].iou == pytest.approx(0.9) and s.matches[1].iou == pytest.approx(0.6)
    assert s.precision == pytest.approx(2 / 4)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s.mean_cer == pytest.approx((0.1 + 0.0) / 2)
    assert s.median_boundary_error == pytest.approx((0.1 + 0.5) / 2)  # median of two values is their mean
    assert s.unmatched_truth == [2] and s.unmatched_pred == [2, 3]
    assert (s.true_positives, s.false_positives, s.false_negatives) == (2, 2, 1)


def test_median_boundary_error_is_a_median_not_a_mean() -> None:
    truth = [seg(0, 10, "one"), seg(20, 30, "two"), seg(40, 50, "three")]
    pred = [seg(0.1, 10.1, "one"), seg(20.2, 30.2, "two"), seg(43, 53, "three")]
    s = score_segments(truth, pred)
    assert s.f1 == 1.0
    assert s.median_boundary_error == pytest.approx(0.2)


def test_iou_threshold_is_inclusive_at_one_half() -> None:
    truth = [seg(0, 4, "caption")]
    assert score_segments(truth, [seg(1, 3, "caption")]).f1 == 1.0  # IoU exactly 0.5
    assert score_segments(truth, [seg(1, 2.9, "caption")]).f1 == 0.0  # IoU 0.475
    assert score_segments(truth, [seg(0, 4, "captixn")]).f1 == 1.0  # CER 1/7 <= 0.2
    assert score_segments(truth, [seg(0, 4, "cXptixn")]).f1 == 0.0  # CER 2/7 > 0.2


def test_fragments_of_one_caption_are_false_positives() -> None:
    truth = [seg(0, 3, "A long caption")]
    pred = [seg(0, 2.9, "A long caption"), seg(0.1, 3, "A long caption"), seg(0, 1, "A long caption")]
    s = score_segments(truth, pred)
    assert len(s.matches) == 1 and s.false_positives == 2
    assert s.precision == pytest.approx(1 / 3) and s.recall == 1.0


def test_best_reading_is_the_one_matched() -> None:
    truth = [seg(0, 2, "abcdefghij")]
    pred = [seg(0, 2, "abcdefghXX"), seg(0, 2, "abcdefghij")]
    s = score_segments(truth, pred)
    assert s.matches[0].pred == 1 and s.mean_cer == 0.0


def test_matching_is_maximal_not_greedy() -> None:
    # Truth 0 reads best as pred 0 but also accepts pred 1; truth 1 accepts only pred 0.
    # Taking the best pair first would leave truth 1 unmatched; augmenting moves truth 0 to pred 1.
    truth = [seg(0, 4, "abcde"), seg(2, 6, "abcde")]
    pred = [seg(1, 5, "abcde"), seg(0, 4, "abcdX")]
    # IoU(t0, p0) = 3/5, IoU(t1, p0) = 3/5, IoU(t0, p1) = 1 with CER 0.2, IoU(t1, p1) = 2/6
    s = score_segments(truth, pred)
    assert {(m.truth, m.pred) for m in s.matches} == {(0, 1), (1, 0)}
    assert s.f1 == 1.0 and s.mean_cer == pytest.approx(0.1)


def test_text_is_normalised_before_comparing() -> None:
    truth = [seg(0, 2, "Don\u2019t  stop\nnow")]
    assert score_segments(truth, [seg(0, 2, "Don't stop now")]).mean_cer == 0.0
    cased = score_segments([seg(0, 2, "ABCDE")], [seg(0, 2, "abcde")])
    assert cased.f1 == 0.0
    assert score_segments([seg(0, 2, "ABCDE")], [seg(0, 2, "abcde")], ignore_case=True).f1 == 1.0


def test_empty_texts_are_left_out_and_empty_sides_are_defined() -> None:
    s = score_segments([seg(0, 1, "a b"), seg(1, 2, "   ")], [seg(0, 1, "a b"), seg(5, 6, "")])
    assert (s.truth_count, s.pred_count, s.f1) == (1, 1, 1.0)
    nothing_found = score_segments([seg(0, 1, "text")], [])
    assert (nothing_found.precision, nothing_found.recall, nothing_found.f1) == (1.0, 0.0, 0.0)
    assert nothing_found.mean_cer is None and nothing_found.median_boundary_error is None
    assert score_segments([], []).f1 == 1.0
    assert score_segments([], [seg(0, 1, "noise")]).f1 == 0.0


def test_combine_pools_counts_and_matches() -> None:
    a = score_segments([seg(0, 1, "one"), seg(2, 3, "two")], [seg(0, 1, "one")])
    b = score_segments([seg(0, 1, "three")], [seg(0.5, 1.5, "three"), seg(4, 5, "junk")])
    # b's only candidate has IoU 1/3 -> no match
    total = combine([a, b])
    assert (total.truth_count, total.pred_count, total.true_positives) == (3, 3, 1)
    assert total.unmatched_truth == [1, 2] and total.unmatched_pred == [1, 2]
    assert total.precision == pytest.approx(1 / 3) and total.recall == pytest.approx(1 / 3)


# --- framescribe eval ------------------------------------------------------------------------------------------------


TRUTH = {"data": [{"start": 0.0, "end": 2.0, "value": "Hello world"}, {"start": 3.0, "end": 5.0, "value": "Second line"}]}
SRT = "1\n00:00:00,100 --> 00:00:02,000\nHello world\n\n2\n00:00:07,000 --> 00:00:08,000\nSomething else\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello world\n\n00:00:03.000 --> 00:00:05.000\nSecond line\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"json": tmp_path / "truth.json", "srt": tmp_path / "pred.srt", "vtt": tmp_path / "pred.vtt"}
    paths["json"].write_text(json.dumps(TRUTH))
    paths["srt"].write_text(SRT)
    paths["vtt"].write_text(VTT)
    return paths


def test_eval_json_output(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run(capsys, "eval", str(files["json"]), str(files["srt"]), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["matched"], data["false_positives"], data["false_negatives"]) == (1, 1, 1)
    assert data["precision"] == 0.5 and data["recall"] == 0.5 and data["f1"] == 0.5
    assert data["median_boundary_error"] == pytest.approx(0.05)
    assert data["unmatched_pred"] == [1]


def test_eval_table_and_either_format_on_either_side(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "eval", str(files["vtt"]), str(files["json"]))
    assert code == 0
    assert "F1" in out and "1.000" in out and "2 of 2 reference segments found" in out


def test_eval_thresholds_are_options(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "eval", str(files["json"]), str(files["srt"]), "--json", "--min-iou", "0.99")
    assert code == 0 and json.loads(out)["matched"] == 0  # the SRT's first cue has IoU 0.95


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.json", "does not exist"),
        ("", "empty.srt", "is empty"),
        ("{not json", "bad.json", "not a framescribe or seeds-shaped JSON"),
        ("42", "number.json", "not a framescribe or seeds-shaped JSON"),
        ('{"data": [{"start": 1}]}', "noend.json", "not a framescribe or seeds-shaped JSON"),
        ("1\nnot a time\nhello\n", "bad.srt", "not valid SRT"),
        ("hello", "bad.txt", "unknown timed-text format"),
    ],
)
def test_eval_bad_files_exit_2_without_traceback(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path, content: str | None, name: str, message: str
) -> None:
    bad = tmp_path / name
    if content is not None:
        bad.write_text(content)
    code, out, err = run(capsys, "eval", str(files["json"]), str(bad))
    assert code == 2
    assert message in err and "Traceback" not in err and out == ""
    code, _, err = run(capsys, "eval", str(bad), str(files["json"]))
    assert code == 2 and message in err


def test_eval_directory_is_bad_input(capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = run(capsys, "eval", str(tmp_path), str(files["json"]))
    assert code == 2 and "is a directory" in err


def test_eval_srt_truth_against_vtt_prediction(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run(capsys, "eval", str(files["srt"]), str(files["vtt"]), "--json")
    assert code == 0, err
    data = json.loads(out)
    # SRT cue 1 (0.1-2.0) matches VTT cue 1 (0.0-2.0); SRT cue 2 "Something else" has no counterpart.
    assert (data["matched"], data["false_positives"], data["false_negatives"]) == (1, 1, 1)
    assert data["matches"][0]["boundary_error"] == pytest.approx(0.05)
