"""The tricky-file corpus: each file must give its hand-written segments; each bad file a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framescribe import BadInput, Framescribe
from framescribe.cli import main
from framescribe.formats import format_video, read_timed_text
from framescribe_subtitles.parse import clean_cue_text, read_subtitle_file

DATA = Path(__file__).parent / "data"
CORPUS = sorted(p for p in (DATA / "corpus").iterdir() if not p.name.endswith(".json"))
BAD = sorted(p for p in (DATA / "bad").iterdir() if not p.name.endswith(".json"))
VIDEO = DATA / "subtitled.mp4"


def expected_of(path: Path) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(path.with_name(path.name + ".expected.json").read_text(encoding="utf-8"))
    return data


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 15 and len(BAD) >= 8


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_file_gives_its_segments(path: Path) -> None:
    got = [{"start": s.start, "end": s.end, "value": s.value} for s in read_subtitle_file(path)]
    assert got == expected_of(path)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_file_as_a_transcript_round_trips(path: Path, tmp_path: Path) -> None:
    # Through the API with --transcript, written as SRT and VTT, read back by the core.
    result = Framescribe(use_cache=False).transcribe(VIDEO, transcript=path, backend="subtitles")
    assert result.backend == "subtitles"
    expected = expected_of(path)
    assert [s.value for s in result.segments] == [e["value"] for e in expected]
    for fmt in ("srt", "vtt"):
        out = tmp_path / f"out.{fmt}"
        out.write_text(format_video(result, fmt), encoding="utf-8")
        back = read_timed_text(out)
        assert [(s.start, s.end) for s in back.segments] == [(e["start"], e["end"]) for e in expected]


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_file_is_refused_naming_file_and_line(path: Path) -> None:
    expected = json.loads(path.with_name(path.name + ".error.json").read_text(encoding="utf-8"))
    with pytest.raises(BadInput) as caught:
        read_subtitle_file(path)
    message = caught.value.message
    assert str(path) in message
    assert expected["contains"] in message
    if expected["line"] is not None:
        assert f"{path}:{expected['line']}:" in message or f"line {expected['line']}" in message
    assert caught.value.hint


@pytest.mark.parametrize("name", ["bad_timing.srt", "binary.srt", "unknown_encoding.srt", "whitespace_only.srt"])
def test_bad_transcript_through_the_cli(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "out.srt"
    code = main(["transcribe", str(VIDEO), "--transcript", str(DATA / "bad" / name), "-f", "srt", "-o", str(out_file)])
    _, err = capsys.readouterr()
    assert code == 2
    assert name in err and "Traceback" not in err
    assert not out_file.exists() and list(tmp_path.iterdir()) == []


def test_empty_transcript_file_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.srt"
    empty.write_bytes(b"")
    out_file = tmp_path / "out.vtt"
    code = main(["transcribe", str(VIDEO), "--transcript", str(empty), "-f", "vtt", "-o", str(out_file)])
    _, err = capsys.readouterr()
    assert code == 2 and "empty.srt" in err and "empty" in err and "Traceback" not in err
    assert not out_file.exists()


def test_forced_encoding_setting(tmp_path: Path) -> None:
    path = DATA / "corpus" / "srt_cp1252.srt"
    assert read_subtitle_file(path, encoding="cp1252")[1].value == "Ça coûte 5 €."
    # A forced encoding is used as given: a cp1252 file read as UTF-8 is refused, not guessed at.
    with pytest.raises(BadInput, match="not valid utf-8"):
        read_subtitle_file(path, encoding="utf-8")
    with pytest.raises(BadInput, match="unknown encoding 'klingon'"):
        read_subtitle_file(path, encoding="klingon")
    config = tmp_path / "framescribe.toml"
    config.write_text('[backends.subtitles]\nencoding = "cp1251"\n', encoding="utf-8")
    result = Framescribe(config, use_cache=False).transcribe(VIDEO, transcript=DATA / "corpus" / "srt_cp1252.srt",
                                                             backend="subtitles")
    assert result.segments[1].value == "Зa coыte 5 Ђ."  # as forced, not as detected


@pytest.mark.parametrize(("name", "encoding"), [("srt_cp1251.srt", "cp1251"), ("srt_cp1253.srt", "cp1253"),
                                                ("srt_shift_jis.srt", "cp932"), ("srt_cp1252.srt", "cp1252")])
def test_detected_encoding_is_said_at_verbose(name: str, encoding: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "out.srt"
    code = main(["transcribe", str(VIDEO), "--transcript", str(DATA / "corpus" / name), "-v", "-f", "srt",
                 "-o", str(out_file)])
    _, err = capsys.readouterr()
    assert code == 0
    assert f"decoded as {encoding}" in err and name in err
    assert out_file.read_text(encoding="utf-8").split("\n")[2] == expected_of(DATA / "corpus" / name)[0]["value"]


@pytest.mark.parametrize(("raw", "clean"), [
    ("<i>a</i>  <b>b</b>", "a b"),
    ("{\\an8}{\\c&H00FFFF&}top", "top"),
    ("line one\\Nline two", "line one\nline two"),
    ("  spaced \n\n  out  ", "spaced\nout"),
    ("<v Bob>hi</v> &lt;3", "hi <3"),
    ("x <00:00:01.000>y", "x y"),
])
def test_cue_text_cleaning(raw: str, clean: str) -> None:
    assert clean_cue_text(raw) == clean
