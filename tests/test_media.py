"""Probing media and finding ffmpeg (framescribe.media), on files ffmpeg itself makes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from framescribe import BadInput
from framescribe.media import MediaInfo, ffmpeg_available, ffmpeg_exe, probe


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of picture (320x180, 10 fps), a mono 16 kHz tone, and an English mov_text subtitle track."""
    folder = tmp_path_factory.mktemp("media")
    subs = folder / "talk.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    out = folder / "talk.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=white:s=320x180:r=10:d=2",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=2", "-i", str(subs),
         "-map", "0", "-map", "1", "-map", "2", "-c:v", "mpeg4", "-c:a", "aac", "-ac", "1", "-c:s", "mov_text",
         "-metadata:s:a:0", "language=fre", "-metadata:s:s:0", "language=eng", "-t", "2", str(out)],
        check=True, timeout=60,
    )
    return out


@pytest.fixture
def fresh_ffmpeg_lookup() -> Iterator[None]:
    ffmpeg_exe.cache_clear()
    yield
    ffmpeg_exe.cache_clear()


def test_probe_reads_streams_and_duration(talk: Path) -> None:
    info = probe(talk)
    assert isinstance(info, MediaInfo) and info.path == talk
    assert info.duration is not None and 1.8 <= info.duration <= 2.2
    [video] = info.video
    assert (video.width, video.height, video.codec, video.rotation) == (320, 180, "mpeg4", 0)
    assert video.fps is not None and abs(video.fps - 10) < 0.01
    [audio] = info.audio
    assert (audio.sample_rate, audio.channels, audio.language) == (16000, 1, "fre")
    [sub] = info.subtitles
    assert (sub.codec, sub.language) == ("mov_text", "eng")


def test_probe_takes_a_string_path_too(talk: Path) -> None:
    info = probe(str(talk))
    assert info.path == talk and info.video[0].width == 320


@pytest.mark.parametrize("content", [b"", b"plain text, not media\n" * 20, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64])
def test_what_is_not_media_is_bad_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(BadInput, match="not a media file ffmpeg can read") as info:
        probe(path)
    assert info.value.exit_code == 2


def test_ffmpeg_from_the_environment_wins(fresh_ffmpeg_lookup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMESCRIBE_FFMPEG", "/opt/my/ffmpeg")
    assert ffmpeg_exe() == "/opt/my/ffmpeg"
    assert ffmpeg_available() is None


def test_ffmpeg_is_found_without_the_environment(fresh_ffmpeg_lookup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRAMESCRIBE_FFMPEG", raising=False)
    found = Path(ffmpeg_exe())
    assert found.is_file()
    version = subprocess.run([str(found), "-version"], capture_output=True, text=True, check=True, timeout=30)
    assert version.stdout.startswith("ffmpeg version")
