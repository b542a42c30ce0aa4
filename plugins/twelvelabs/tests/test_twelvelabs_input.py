"""Input limits are checked before any upload; settings carry the limits; availability checks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from framescribe import BadInput, ConfigError, Framescribe
from framescribe.media import ffmpeg_exe


def test_a_video_below_the_resolution_limit_is_rejected_before_upload(server: Any, make_fs: Any, videos: dict[str, Path]) -> None:
    expected = r"tiny-240p\.mp4 is 320x240 \(240p\); twelvelabs accepts videos from 360p up to below 1080p"
    with pytest.raises(BadInput, match=expected) as info:
        make_fs(chain=("twelvelabs", "fake-echo")).transcribe(videos["bad"])
    assert "scale=-2:720" in (info.value.hint or "")
    assert server.requests == []  # nothing was sent at all, let alone uploaded


def test_a_video_below_the_duration_limit_is_rejected_before_upload(server: Any, make_fs: Any, videos: dict[str, Path]) -> None:
    with pytest.raises(BadInput, match=r"tiny-240p\.mp4 is 4\.0 s long; twelvelabs accepts videos of 10 s to 7200 s"):
        make_fs(min_resolution=240).video_text(videos["bad"])
    assert server.calls("POST") == []


def test_the_limits_come_from_the_settings(server: Any, make_fs: Any, videos: dict[str, Path]) -> None:
    result = make_fs(min_resolution=240, min_duration=2).video_text(videos["bad"])
    assert len(server.uploads) == 1
    assert result.segments
    with pytest.raises(BadInput, match=r"11\.0 s long; twelvelabs accepts videos of 10 s to 10\.5 s"):
        make_fs(max_duration=10.5).video_text(videos["ok"])
    assert len(server.uploads) == 1


def test_a_portrait_video_is_measured_by_its_shorter_side(server: Any, make_fs: Any, tmp_path: Path) -> None:
    portrait = tmp_path / "portrait.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=size=360x640:rate=5:duration=10.5", "-c:v", "mpeg4", str(portrait)],
                   check=True, capture_output=True, timeout=120)
    make_fs().video_text(portrait)
    assert len(server.uploads) == 1


def test_a_file_that_is_not_a_video_is_rejected_before_upload(server: Any, make_fs: Any, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("these are not the frames you are looking for\n" * 20)
    with pytest.raises(BadInput, match="is not a media file"):
        make_fs().transcribe(junk)
    assert server.requests == []


def test_missing_index_or_key_makes_the_backend_unavailable(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWELVE_LABS_API_KEY")
    fs = Framescribe(config={"backends": {"twelvelabs": {"api_url": server.url, "index_id": server.index_id}}})
    (row,) = [b for b in fs.backends() if b.name == "twelvelabs"]
    assert not row.available and not row.local
    assert row.reason == "needs TWELVE_LABS_API_KEY (or api_key in [backends.twelvelabs])"
    monkeypatch.setenv("TWELVE_LABS_API_KEY", server.api_key)
    fs = Framescribe(config={"backends": {"twelvelabs": {"api_url": server.url}}})
    (row,) = [b for b in fs.backends() if b.name == "twelvelabs"]
    assert row.reason is not None and row.reason.startswith("needs index_id")
    assert set(row.capabilities) == {"transcribe", "video_text"}


@pytest.mark.parametrize(("settings", "message"), [
    ({"poll_interval": 0}, "poll_interval"),
    ({"min_duration": 20, "max_duration": 10}, "min_duration"),
    ({"api_url": "ftp://example.org"}, "api_url must be an http"),
    ({"index": "x"}, "unknown key 'index'"),
])
def test_bad_settings_are_config_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Framescribe(config={"backends": {"twelvelabs": settings}})
