"""The default transcribe chain, subtitles then whisper, with both real plugins installed.

A transcript the user gives (or one the video carries) wins and whisper never
runs; with none, the chain falls through to whisper and says why subtitles
was skipped; a broken transcript stops the chain with exit 2.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from framescribe import BadInput, Framescribe, Skipped
from framescribe.cli import main

os.environ["HF_HUB_OFFLINE"] = "1"  # before faster-whisper imports huggingface_hub: no test fetches a model

from framescribe_whisper.testing import repeatable_whisper

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "plugins" / "whisper" / "tests" / "data"
SUBTITLED = ROOT / "plugins" / "subtitles" / "tests" / "data"


@pytest.fixture(autouse=True)
def _repeatable(monkeypatch: pytest.MonkeyPatch) -> None:
    repeatable_whisper(monkeypatch)


def default_chain() -> Framescribe:
    fs = Framescribe(use_cache=False)
    assert fs.chain_for("transcribe") == ["subtitles", "whisper"]
    return fs


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z ]+", " ", text.lower()).split()


def test_given_transcript_wins(tmp_path: Path) -> None:
    transcript = tmp_path / "hello.en.srt"
    transcript.write_text("1\n00:00:00,300 --> 00:00:03,000\nWhat the user typed.\n", encoding="utf-8")
    result = default_chain().transcribe(SPEECH / "hello.mp4", transcript=transcript)
    assert result.backend == "subtitles" and result.skipped == []
    assert [s.value for s in result.segments] == ["What the user typed."]
    assert result.language == "en"


def test_given_transcript_through_the_cli(tmp_path: Path) -> None:
    transcript = tmp_path / "notes.fr.vtt"
    transcript.write_text("WEBVTT\n\n00:00:00.300 --> 00:00:03.000 align:start\n<i>Bonjour</i> tout le monde.\n",
                          encoding="utf-8")
    out = tmp_path / "hello.srt"
    assert main(["transcribe", str(SPEECH / "hello.mp4"), "--transcript", str(transcript), "--no-cache",
                 "-f", "srt", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == "1\n00:00:00,300 --> 00:00:03,000\nBonjour tout le monde.\n\n"


def test_embedded_track_wins() -> None:
    result = default_chain().transcribe(SUBTITLED / "subtitled.mp4")
    assert result.backend == "subtitles"
    assert result.metadata.get("codec") == "mov_text"


def test_no_transcript_falls_through_to_whisper() -> None:
    result = default_chain().transcribe(SPEECH / "hello.mp4")
    assert result.backend == "whisper"
    assert result.skipped == [Skipped("subtitles", result.skipped[0].reason)]
    assert "no subtitle files beside the video" in result.skipped[0].reason
    assert {"hello", "world", "speech", "recognition"} <= set(words(" ".join(s.value for s in result.segments)))


def test_cli_json_records_the_skipped_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hello.json"
    assert main(["transcribe", str(SPEECH / "hello.mp4"), "--no-cache", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["backend"] == "whisper"
    assert [s["backend"] for s in data["skipped"]] == ["subtitles"]
    assert "hello" in words(" ".join(d["value"] for d in data["data"]))


def test_broken_transcript_stops_the_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transcript = tmp_path / "broken.vtt"
    transcript.write_text("WEBVTT\n\n00:00:01.000 --> whenever\nBroken.\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"broken\.vtt:3: not valid WebVTT"):
        default_chain().transcribe(SPEECH / "hello.mp4", transcript=transcript)
    out = tmp_path / "out.srt"
    code = main(["transcribe", str(SPEECH / "hello.mp4"), "--transcript", str(transcript), "-f", "srt", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "broken.vtt:3" in err and "Traceback" not in err
    assert "whisper" not in err  # the chain stopped: whisper was never tried
    assert not out.exists()


def test_ambiguous_tracks_stop_the_chain_and_a_language_resolves_them() -> None:
    fs = default_chain()
    with pytest.raises(BadInput, match="several transcripts"):
        fs.transcribe(SUBTITLED / "subtitled_2langs.mp4")
    result = fs.transcribe(SUBTITLED / "subtitled_2langs.mp4", language="fr")
    assert result.backend == "subtitles" and result.language == "fr"


def test_a_language_without_subtitles_falls_through_to_whisper() -> None:
    result = default_chain().transcribe(SUBTITLED / "subtitled_2langs.mp4", language="en-US")
    assert result.backend == "subtitles"  # the English track
    no_track = default_chain().transcribe(SPEECH / "weather.mp4", language="en")
    assert no_track.backend == "whisper" and no_track.language == "en"
    assert [s.backend for s in no_track.skipped] == ["subtitles"]
