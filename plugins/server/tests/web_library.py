"""A small library for the page's tests, built with the library API, and a ``framescribe serve --library`` on it.

Media are generated (a VP8 WebM Chromium plays, a PNG); their text is written straight into the library,
so each test knows exactly what the page must show, including a caption that reads like markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server_testkit import FAKE, FAKE_CHAINS, SLOW, hermetic_env

from framescribe import OcrResult, Segment, VideoResult
from framescribe.library import Library
from framescribe.testing import make_text_image, make_text_video
from framescribe.types import Block, Box, Line, Word
from framescribe_server.testing import ServerProcess
from framescribe_server.web.catalog import media_id

HOSTILE = "<script>alert(1)</script> & friends"
VIDEO_TEXT = [(0.0, 2.0, "quarterly targets are up"), (2.0, 4.0, "second slide"), (4.0, 6.0, "the end")]
SPEECH = [(0.0, 3.0, "welcome to the talk about quarterly results"), (3.0, 6.0, HOSTILE)]
BULK = 55  # more files than a page of the list holds (50)


@dataclass
class WebLibrary:
    path: Path
    video: Path
    image: Path
    failed: Path
    ids: dict[str, str]  # "video" / "image" / "failed" -> media id
    image_lines: int  # line boxes in the image's layout


def _timed(cards: list[tuple[float, float, str]], backend: str) -> VideoResult:
    return VideoResult([Segment(s, e, v) for s, e, v in cards], backend=backend, duration=6.0)


def build_library(root: Path) -> WebLibrary:
    root.mkdir(parents=True, exist_ok=True)
    video = make_text_video(root / "lecture.webm", [(s, e, v.upper()) for s, e, v in VIDEO_TEXT], size=(320, 180), fps=5)
    image = make_text_image(root / "scan.png", "INVOICE 2026", size=(640, 160))
    failed = root / "broken.mp4"
    failed.write_bytes(b"not a video")
    lines = [Line((Word("INVOICE", Box(150, 55, 200, 50)), Word("2026", Box(370, 55, 120, 50))), Box(150, 55, 340, 50))]
    page = OcrResult("INVOICE 2026", confidence=0.9, language="eng", layout=[Block(tuple(lines), Box(150, 55, 340, 50))],
                     backend="fake-ocr")
    path = root / "library.sqlite3"
    with Library(path) as lib:
        lib.add(video, {"video_text": _timed(VIDEO_TEXT, "fake-ocr"), "transcribe": _timed(SPEECH, "fake-asr")},
                kind="video", duration=6.0)
        lib.add(image, {"image_ocr": [page]}, kind="image")
        lib.add(failed, {}, error="the video could not be decoded (no video stream)", kind="video")
        for i in range(BULK):  # paths only, no files: the list must page, and a missing file is shown as such
            lib.add(root / "zz-bulk" / f"clip-{i:02d}.webm", {"video_text": _timed([(0.0, 1.0, f"bulk clip {i}")], "fake-ocr")},
                    kind="video", duration=1.0)
    ids = {"video": media_id(str(video.resolve())), "image": media_id(str(image.resolve())),
           "failed": media_id(str(failed.resolve()))}
    return WebLibrary(path, video, image, failed, ids, len(lines))


def web_server(root: Path, library: Path, *, keys: tuple[str, ...] = (), serve: dict[str, Any] | None = None) -> ServerProcess:
    """``framescribe serve --library`` on the fake chains (uploads run them), in-thread jobs, no cache."""
    config = {"capabilities": FAKE_CHAINS, "serve": {"workers": 1, "isolation": "thread", "max_upload_mb": 5, **(serve or {})}}
    return ServerProcess(root / "server", config=config, keys=list(keys), plugins=[FAKE, SLOW],
                         env=hermetic_env(root / "server"), args=["--no-cache", "--library", str(library)])
