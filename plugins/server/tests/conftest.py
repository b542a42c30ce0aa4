"""Fixtures of the server's tests: a real ``framescribe serve`` process per module, keys, and sample media.

The chains of the module server are fast fakes (tests/plugins/fake_backends.py for video, this directory's
slow_backends.py for images, whose time the file name sets); end-to-end tests start their own server on
the real local backends.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make server_testkit importable

from server_testkit import KEY_A, ROOT, client, make_server

from framescribe_server.testing import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module, keys KEY_A and KEY_B, fake chains."""
    with make_server(tmp_path_factory.mktemp("server")) as proc:
        yield proc


@pytest.fixture
def api(server: ServerProcess) -> Iterator[Callable[..., httpx.Client]]:
    """``api(KEY, header)`` -> an httpx client of the module server sending that key (None: no key)."""
    made: list[httpx.Client] = []

    def make(key: str | None = KEY_A, header: str = "x-api-key") -> httpx.Client:
        made.append(client(server, key, header))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``image`` (PNG with text), ``video`` (640x360, 11 s, text cards), ``speech`` (mp4 with speech),
    ``srt`` (a transcription), ``text`` (not media at all)."""
    from framescribe.testing import make_text_image, make_text_video

    root = tmp_path_factory.mktemp("server-media")
    make_text_image(root / "card.png", "SERVER TEST 42")
    make_text_video(root / "clip.mp4", [(0.0, 5.0, "HELLO SERVER"), (6.0, 11.0, "SECOND CARD")], size=(640, 360), fps=2)
    shutil.copy(ROOT / "plugins/whisper/tests/data/hello.mp4", root / "speech.mp4")
    (root / "talk.srt").write_text("1\n00:00:00,500 --> 00:00:02,000\nHello from the transcript.\n")
    (root / "notes.txt").write_text("this is not a video\n" * 20)
    return {"image": root / "card.png", "video": root / "clip.mp4", "speech": root / "speech.mp4", "srt": root / "talk.srt",
            "text": root / "notes.txt"}
