"""Where the subtitles backend finds a transcript: given, beside the video, or inside it; and by which language."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from framescribe import BadInput, Framescribe, NoBackendAnswered
from framescribe.cli import main
from framescribe.media import ffmpeg_exe, probe

DATA = Path(__file__).parent / "data"
SRT = "1\n00:00:01,000 --> 00:00:02,000\n{text}\n"
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{text}\n"


def subtitles(**settings: object) -> Framescribe:
    return Framescribe({"backends": {"subtitles": settings}} if settings else {}, use_cache=False)


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    """A video with no subtitle stream, alone in a folder."""
    video = tmp_path / "talk.mp4"
    shutil.copy(DATA / "subtitled.mp4", tmp_path / "source.mp4")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(tmp_path / "source.mp4"), "-map", "0:v",
                    "-map", "0:a", "-c", "copy", str(video)], check=True)
    (tmp_path / "source.mp4").unlink()
    assert probe(video).subtitles == []
    return video


def test_embedded_mov_text_track_is_read() -> None:
    info = json.loads((DATA / "subtitled.json").read_text(encoding="utf-8"))
    result = subtitles().transcribe(DATA / "subtitled.mp4", backend="subtitles")
    assert [s.value for s in result.segments] == [info["transcript"]]
    cue = result.segments[0]
    assert cue.start == pytest.approx(info["sentences"][0]["start"], abs=0.002)
    assert cue.end == pytest.approx(info["sentences"][0]["end"], abs=0.002)
    assert result.language == "en"
    assert result.metadata["codec"] == "mov_text"
    assert result.duration == pytest.approx(info["duration"], abs=0.3)


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Subtitles are read from the video file."),
    ("eng", "Subtitles are read from the video file."),
    ("fr", "Les sous-titres sont lus dans le fichier vidéo."),
    ("fre", "Les sous-titres sont lus dans le fichier vidéo."),
    ("French", "Les sous-titres sont lus dans le fichier vidéo."),
])
def test_embedded_track_is_chosen_by_language(language: str, text: str) -> None:
    result = subtitles().transcribe(DATA / "subtitled_2langs.mp4", backend="subtitles", language=language)
    assert [s.value for s in result.segments] == [text]
    assert result.language == ("fr" if text.startswith("Les") else "en")


def test_several_tracks_and_no_language_is_an_error_listing_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(BadInput, match="several transcripts") as caught:
        subtitles().transcribe(DATA / "subtitled_2langs.mp4", backend="subtitles")
    assert "stream #2 (mov_text) (en)" in caught.value.message and "stream #3 (mov_text) (fr)" in caught.value.message
    assert "--language" in (caught.value.hint or "")
    code = main(["transcribe", str(DATA / "subtitled_2langs.mp4"), "-b", "subtitles"])
    assert code == 2
    assert "several transcripts" in capsys.readouterr().err


def test_a_language_no_track_has_makes_the_backend_unavailable() -> None:
    with pytest.raises(NoBackendAnswered, match=r"no subtitle tracks in the video in language 'de' \(found: .*en.*fr"):
        subtitles().transcribe(DATA / "subtitled_2langs.mp4", backend="subtitles", language="de")


def test_file_beside_the_video_wins_over_the_embedded_track(tmp_path: Path) -> None:
    video = tmp_path / "subtitled.mp4"
    shutil.copy(DATA / "subtitled.mp4", video)
    (tmp_path / "subtitled.srt").write_text(SRT.format(text="From the file beside."), encoding="utf-8")
    (tmp_path / "subtitled2.srt").write_text(SRT.format(text="Another video's file."), encoding="utf-8")
    result = subtitles().transcribe(video, backend="subtitles")
    assert [s.value for s in result.segments] == ["From the file beside."]
    assert result.metadata["transcript"] == str(tmp_path / "subtitled.srt")
    # With the search beside the video turned off, the embedded track is read instead.
    off = subtitles(beside=False).transcribe(video, backend="subtitles")
    assert [s.value for s in off.segments] == ["Subtitles are read from the video file."]


def test_language_tagged_files_beside_the_video(talk: Path) -> None:
    folder = talk.parent
    (folder / "talk.en.srt").write_text(SRT.format(text="English file."), encoding="utf-8")
    (folder / "talk.fra.vtt").write_text(VTT.format(text="Fichier français."), encoding="utf-8")
    (folder / "talk.de-DE.forced.srt").write_text(SRT.format(text="Deutsche Datei."), encoding="utf-8")
    fs = subtitles()
    assert fs.transcribe(talk, backend="subtitles", language="fr").segments[0].value == "Fichier français."
    german = fs.transcribe(talk, backend="subtitles", language="ger")
    assert german.segments[0].value == "Deutsche Datei." and german.language == "de"
    assert fs.transcribe(talk, backend="subtitles", language="en-US").segments[0].value == "English file."
    with pytest.raises(BadInput) as caught:
        fs.transcribe(talk, backend="subtitles")
    for listed in ("talk.en.srt (en)", "talk.fra.vtt (fr)", "talk.de-DE.forced.srt (de)"):
        assert listed in caught.value.message
    with pytest.raises(NoBackendAnswered, match="no subtitle files beside the video in language 'ja'"):
        fs.transcribe(talk, backend="subtitles", language="ja")


def test_one_untagged_file_is_used_whatever_the_language(talk: Path) -> None:
    (talk.parent / "talk.vtt").write_text(VTT.format(text="Untagged."), encoding="utf-8")
    fs = subtitles()
    assert fs.transcribe(talk, backend="subtitles").segments[0].value == "Untagged."
    result = fs.transcribe(talk, backend="subtitles", language="en")
    assert result.segments[0].value == "Untagged." and result.language == "en"


def test_nothing_to_read_makes_the_backend_unavailable(talk: Path) -> None:
    with pytest.raises(NoBackendAnswered, match="no subtitle files beside the video; no subtitle tracks"):
        subtitles().transcribe(talk, backend="subtitles")
    with pytest.raises(NoBackendAnswered, match="no transcript"):
        subtitles(embedded=False).transcribe(DATA / "subtitled.mp4", backend="subtitles")


def test_broken_file_beside_the_video_is_bad_input(talk: Path) -> None:
    (talk.parent / "talk.srt").write_text("1\n00:00:01,000 --> later\nBroken.\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"talk\.srt:2: not valid SRT"):
        subtitles().transcribe(talk, backend="subtitles")


def test_explicit_transcript_wins_and_its_language_comes_from_its_name(tmp_path: Path) -> None:
    transcript = tmp_path / "mine.de.vtt"
    transcript.write_text(VTT.format(text="Meine Abschrift."), encoding="utf-8")
    result = subtitles().transcribe(DATA / "subtitled_2langs.mp4", transcript=transcript, backend="subtitles")
    assert [s.value for s in result.segments] == ["Meine Abschrift."]
    assert result.language == "de"


def test_time_range_applies_to_subtitles(tmp_path: Path) -> None:
    transcript = tmp_path / "cues.srt"
    transcript.write_text("1\n00:00:01,000 --> 00:00:02,000\nOne.\n\n2\n00:00:05,000 --> 00:00:07,000\nTwo.\n",
                          encoding="utf-8")
    result = subtitles().transcribe(DATA / "subtitled.mp4", transcript=transcript, backend="subtitles", start=5.5)
    assert [(s.start, s.end, s.value) for s in result.segments] == [(5.5, 7.0, "Two.")]


@pytest.mark.parametrize("codec", ["ass", "srt", "webvtt"])
def test_other_embedded_text_codecs(codec: str, tmp_path: Path) -> None:
    source = tmp_path / "cues.srt"
    source.write_text("1\n00:00:00,500 --> 00:00:01,500\n<i>Styled</i> cue\n", encoding="utf-8")
    video = tmp_path / "clip.mkv"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(DATA / "subtitled.mp4"), "-i", str(source),
                    "-map", "0:v", "-map", "0:a", "-map", "1:s", "-c:v", "copy", "-c:a", "copy", "-c:s", codec,
                    "-metadata:s:s:0", "language=spa", str(video)], check=True)
    result = subtitles().transcribe(video, backend="subtitles", language="es")
    assert [(s.start, s.end, s.value) for s in result.segments] == [(0.5, 1.5, "Styled cue")]
    assert result.language == "es"


def test_only_text_streams_are_read() -> None:
    from framescribe.media import SubtitleStream
    from framescribe_subtitles.embedded import is_text_stream

    assert is_text_stream(SubtitleStream(2, "mov_text", "eng", None))
    assert not is_text_stream(SubtitleStream(3, "hdmv_pgs_subtitle", "eng", None))  # a picture: needs OCR


def test_plugin_import_stays_cheap() -> None:
    code = ("import sys, framescribe_subtitles.plugin; "
            "print([m for m in ('av', 'ffmpeg', 'srt', 'webvtt', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
