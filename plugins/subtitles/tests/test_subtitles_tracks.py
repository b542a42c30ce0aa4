"""Every kind of track a video carries: text (SRT/ASS/WebVTT, S_TEXT/WEBVTT, mov_text), CEA-608 closed captions
(MPEG-TS, MP4, fragmented MP4), bitmap tracks (PGS, VobSub, DVB) read with OCR; choosing among them; listing them.

The media and the truth come from caption_media.py (what cannot be produced, and why, is said there).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from caption_media import FPS, CaptionScript, as_s_text_webvtt, mux_text_tracks

from conftest import BITMAP_CUES
from framescribe import Framescribe, ImageRequest, NoBackendAnswered, OcrResult
from framescribe.cli import main
from framescribe.evaluate import char_error_rate as cer
from framescribe.media import ffmpeg_exe, probe

FRAME = 1 / FPS
TEXT_CUES = [(0.5, 1.5, "First cue, «quoted»"), (2.0, 3.25, "Second cue\non two lines")]


def subtitles(**settings: object) -> Framescribe:
    return Framescribe({"backends": {"subtitles": settings}} if settings else {}, use_cache=False)


def assert_cues(segments: list[object], truth: list[tuple[float, float, str]], tolerance: float = FRAME) -> None:
    got = [(s.start, s.end, s.value) for s in segments]  # type: ignore[attr-defined]
    assert [g[2] for g in got] == [t[2] for t in truth]
    for (start, end, _), (t_start, t_end, _) in zip(got, truth, strict=True):
        assert abs(start - t_start) <= tolerance and abs(end - t_end) <= tolerance, (got, truth)


# -- text tracks -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def text_mkv(tmp_path_factory: pytest.TempPathFactory, base_video: Path) -> Path:
    folder = tmp_path_factory.mktemp("text")
    return mux_text_tracks(folder / "text.mkv", base_video, [("srt", "eng", "srt", TEXT_CUES), ("ass", "fra", "srt", TEXT_CUES),
                                                             ("webvtt", "deu", "vtt", TEXT_CUES)])


@pytest.mark.parametrize(("language", "codec"), [("en", "srt"), ("fr", "ssa"), ("de", "webvtt")])
def test_text_tracks_in_mkv_are_read_exactly(text_mkv: Path, language: str, codec: str) -> None:
    result = subtitles().transcribe(text_mkv, backend="subtitles", language=language)
    assert result.metadata["codec"] == codec and result.metadata["kind"] == "text"
    assert_cues(result.segments, TEXT_CUES, tolerance=0.001)


def test_s_text_webvtt_track_is_read_from_its_packets(tmp_path: Path, base_video: Path) -> None:
    # The crash of issue 21: PyAV reports this track's codec as unknown (no codec context).
    video = as_s_text_webvtt(mux_text_tracks(tmp_path / "vtt.mkv", base_video, [("webvtt", "eng", "vtt", TEXT_CUES)]))
    assert probe(video).subtitles[0].codec == "unknown"
    result = subtitles().transcribe(video, backend="subtitles")
    assert result.metadata["kind"] == "text"
    assert_cues(result.segments, TEXT_CUES, tolerance=0.001)


def test_an_unknown_binary_track_is_skipped_with_a_reason(tmp_path: Path, bitmap_tracks: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A VobSub track whose codec ID no ffmpeg knows: binary packets, so it cannot be read, and says why.
    video = tmp_path / "hostile.mkv"
    data = bitmap_tracks["vobsub"].read_bytes()
    assert b"S_VOBSUB" in data
    video.write_bytes(data.replace(b"S_VOBSUB", b"S_HOSTIL"))
    assert probe(video).subtitles[0].codec == "unknown"
    with pytest.raises(NoBackendAnswered, match=r"not a subtitle codec ffmpeg reads here and its packets are not text"):
        subtitles().transcribe(video, backend="subtitles")
    code = main(["tracks", str(video)])
    out, err = capsys.readouterr()
    assert code == 0 and "unreadable" in out and "packets are not text" in out and "Traceback" not in err


def test_a_track_that_breaks_while_read_is_skipped_with_a_reason(tmp_path: Path, bitmap_tracks: dict[str, Path]) -> None:
    # A PGS track cut short inside a picture's data: whatever the decoder or our code makes of it, the
    # backend answers or steps aside with a reason; it does not crash.
    data = bitmap_tracks["pgs"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    try:
        result = subtitles().transcribe(cut, backend="subtitles")
    except NoBackendAnswered as exc:
        assert "subtitles:" in exc.message and "failed" not in exc.message
    else:
        assert result.metadata["kind"] == "bitmap"


def test_mov_text_in_mp4(tmp_path: Path, base_video: Path) -> None:
    video = mux_text_tracks(tmp_path / "mov.mp4", base_video, [("mov_text", "eng", "srt", TEXT_CUES)])
    result = subtitles().transcribe(video, backend="subtitles")
    assert result.metadata["codec"] == "mov_text"
    assert_cues(result.segments, TEXT_CUES, tolerance=0.001)


# -- closed captions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ts", "mp4", "fmp4", "mpeg2_ts", "bframes_mp4", "hevc_mp4", "c608_mov"])
def test_cea608_captions_are_read_once_each_with_their_timing(kind: str, cc_videos: dict[str, Path],
                                                              caption_script: CaptionScript) -> None:
    result = subtitles().transcribe(cc_videos[kind], backend="subtitles")
    assert result.metadata["kind"] == "captions" and result.metadata["channel"] == "CC1"
    assert_cues(result.segments, caption_script.truth)
    values = [s.value for s in result.segments]
    assert len(values) == len(set(values))  # roll-up lines come out once
    assert "♪ Music plays softly ♪" in values and any("½" in v and "¢" in v and "Über «tasty» crêpes" in v for v in values)


def test_generated_captions_are_what_ffmpeg_reads_too(cc_videos: dict[str, Path], caption_script: CaptionScript) -> None:
    # An independent check of the generator: ffmpeg's own 608 decoder (lavfi movie=...[out+subcc]) sees the
    # same pop-on captions; for roll-up it prints each screen state, the repetition our decoder avoids.
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"movie={cc_videos['ts'].name}[out+subcc]",
                          "-map", "0:1", "-f", "srt", "-"], capture_output=True, check=True, cwd=cc_videos["ts"].parent).stdout
    text = out.decode()
    assert "♪ Music plays softly ♪" in text and "Über «tasty» crêpes" in text
    assert text.count("Good evening, this is") == 2


# -- bitmap tracks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "codec"), [("pgs", "pgssub"), ("vobsub", "dvdsub"), ("dvb", "dvbsub")])
def test_bitmap_tracks_are_read_with_ocr(kind: str, codec: str, bitmap_tracks: dict[str, Path]) -> None:
    result = subtitles().transcribe(bitmap_tracks[kind], backend="subtitles")
    assert result.metadata["kind"] == "bitmap" and result.metadata["codec"] == codec
    got = "\n".join(s.value for s in result.segments)
    truth = "\n".join(t for _, _, t in BITMAP_CUES)
    assert cer(truth, got) <= 0.02, got
    assert len(result.segments) == len(BITMAP_CUES)
    for seg, (start, end, _) in zip(result.segments, BITMAP_CUES, strict=True):
        assert abs(seg.start - start) <= FRAME and abs(seg.end - end) <= FRAME


def test_a_time_range_reads_only_the_bitmaps_inside_it(bitmap_tracks: dict[str, Path]) -> None:
    pages: list[Path] = []
    fs = subtitles()
    original = fs.chain.image_ocr  # what RunContext.image_ocr calls: the image_ocr chain

    def counting(request: ImageRequest, **kwargs: Any) -> list[OcrResult]:
        pages.append(request.image)
        return original(request, **kwargs)

    fs.chain.image_ocr = counting
    result = fs.transcribe(bitmap_tracks["pgs"], backend="subtitles", start=2.2, end=3.9)
    assert [s.value for s in result.segments] == [BITMAP_CUES[1][2]]
    assert len(pages) == 1  # the other two pictures were not sent to OCR


def test_transcribe_verbose_lists_the_tracks(bitmap_tracks: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    code = main(["transcribe", str(bitmap_tracks["vobsub"]), "-b", "subtitles", "-v", "-o", str(tmp_path / "out.json")])
    _, err = capsys.readouterr()
    assert code == 0
    assert "carries bitmap subtitle stream #1 (dvdsub) (en)" in err and "reading bitmap subtitle stream #1" in err


def test_bitmap_track_with_no_ocr_backend_able_is_skipped_with_a_reason(bitmap_tracks: dict[str, Path],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The image_ocr chain holds only a remote backend with no key: the track is skipped, saying why.
    monkeypatch.delenv("IMAGEHQ_API_KEY", raising=False)
    fs = Framescribe({"capabilities": {"image_ocr": ["imagehq"]}}, use_cache=False)
    with pytest.raises(NoBackendAnswered, match=r"needs OCR and no image_ocr backend could read it"):
        fs.transcribe(bitmap_tracks["pgs"], backend="subtitles")


# -- choosing and listing --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory, cc_videos: dict[str, Path], bitmap_tracks: dict[str, Path]) -> Path:
    """Closed captions (untagged), a French PGS track and a German SubRip track in one MKV."""
    folder = tmp_path_factory.mktemp("all")
    srt = folder / "de.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,500\nDeutscher Text\n", encoding="utf-8")
    out = folder / "all.mkv"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(cc_videos["mp4"]), "-i", str(bitmap_tracks["pgs"]), "-i", str(srt),
                    "-map", "0:v", "-map", "1:s", "-map", "2:s", "-c", "copy", "-metadata:s:s:0", "language=fra",
                    "-metadata:s:s:1", "language=deu", str(out)], check=True)
    return out


@pytest.mark.parametrize(("language", "kind"), [("de", "text"), ("fr", "bitmap")])
def test_language_picks_the_track_text_first(everything: Path, language: str, kind: str) -> None:
    result = subtitles().transcribe(everything, backend="subtitles", language=language)
    assert result.metadata["kind"] == kind


def test_no_language_and_several_kinds_prefers_text(everything: Path) -> None:
    assert subtitles().transcribe(everything, backend="subtitles").metadata["kind"] == "text"


def test_captions_before_bitmaps_when_nothing_is_tagged(tmp_path: Path, cc_videos: dict[str, Path],
                                                        bitmap_tracks: dict[str, Path]) -> None:
    out = tmp_path / "cc_and_pgs.mkv"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(cc_videos["mp4"]), "-i", str(bitmap_tracks["pgs"]),
                    "-map", "0:v", "-map", "1:s", "-c", "copy", "-metadata:s:s:0", "language=und", str(out)], check=True)
    result = subtitles().transcribe(out, backend="subtitles", language="en")
    assert result.metadata["kind"] == "captions"


def test_tracks_command_lists_every_track(everything: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tracks", str(everything)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert any("captions" in line and "CC1" in line for line in lines)
    assert any("bitmap" in line and "pgssub" in line and "fr" in line for line in lines)
    assert any("text" in line and "srt" in line and "de" in line for line in lines)


def test_tracks_command_on_a_non_video_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a video", encoding="utf-8")
    assert main(["tracks", str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err
