"""Shared media and settings for the library's tests.

The media are made once per session (tiny: a 160x90 clip, a second with an
audio track, a WAV, a PNG, a 3-page TIFF, one Chinese "scan", a broken video,
a text file) and copied into each test's own folder, so tests may edit them.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framescribe.library import Library
from framescribe.media import ffmpeg_exe
from framescribe.testing.media import make_text_image, make_text_video

LIB_PLUGIN = "framescribe.testing.echo_backend"
ECHO_CONFIG = """\
[capabilities]
video_text = ["lib-echo"]
transcribe = ["lib-echo"]
image_ocr = ["lib-echo"]
"""


def make_media(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    make_text_video(folder / "clip.mp4", size=(160, 96), fps=5)
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "color=c=white:s=160x96:d=1",
                    "-f", "lavfi", "-i", "sine=d=1", "-shortest", "-c:v", "libx264", "-c:a", "aac",
                    str(folder / "talk.mp4")], check=True)
    with wave.open(str(folder / "voice.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 4000)
    make_text_image(folder / "sub" / "scan.png", "SCAN ONE")
    make_text_image(folder / "cjk.png", "CJK")
    from PIL import Image

    pages = [Image.new("L", (64, 32), shade) for shade in (255, 200, 150)]
    pages[0].save(folder / "sub" / "pages.tif", save_all=True, append_images=pages[1:])
    (folder / "broken.mp4").write_bytes(b"this is not a video at all")
    (folder / "notes.txt").write_text("not media\n")
    return folder


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_media(tmp_path_factory.mktemp("library-media") / "media")


@pytest.fixture
def media_dir(sample_media: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_media, tmp_path / "media"))


@pytest.fixture(autouse=True)
def _only_test_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No installed plugin loads (fast start in every worker process); calls are logged per test.
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "")
    monkeypatch.setenv("LIB_ECHO_LOG", str(tmp_path / "calls.log"))
    monkeypatch.delenv("LIB_ECHO_DELAY", raising=False)
    monkeypatch.delenv("LIB_ECHO_CRASH", raising=False)


@pytest.fixture
def echo_config(tmp_path: Path) -> Path:
    path = tmp_path / "framescribe.toml"
    path.write_text(ECHO_CONFIG)
    return path


@pytest.fixture
def index_kw(echo_config: Path) -> dict[str, Any]:
    """Library.index arguments for the fast echo backend, in this process."""
    return {"config": echo_config, "plugins": [LIB_PLUGIN], "jobs": 1}


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library(tmp_path / "library.sqlite3") as lib:
        yield lib


def calls(tmp_path: Path) -> list[str]:
    """The backend calls logged so far in this test, as "capability path" lines."""
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []
