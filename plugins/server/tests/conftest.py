"""Fixtures of the server's tests: a real ``framescribe serve`` process per module, keys, and sample media.

The chains of the module server are fast fakes (tests/plugins/fake_backends.py for video, this directory's
slow_backends.py for images, whose time the file name sets); end-to-end tests start their own server on
the real local backends.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from framescribe_server.testing import ServerProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FAKE = str(ROOT / "tests" / "plugins" / "fake_backends.py")
SLOW = str(HERE / "slow_backends.py")
KEY_A = "key-a-7f3c9e1d5b2a8c4e"
KEY_B = "key-b-1a2b3c4d5e6f7a8b"
FAKE_CHAINS = {"video_text": ["fake-echo"], "transcribe": ["fake-echo"], "image_ocr": ["fake-slow"]}
MAX_UPLOAD_MB = 2
MAX_JOBS = 4


def hermetic_env(root: Path) -> dict[str, str]:
    """The server process's own cache and config dirs: nothing from the developer's machine."""
    return {"FRAMESCRIBE_CACHE_DIR": str(root / "cache"), "XDG_CONFIG_HOME": str(root / "xdg"),
            "XDG_DATA_HOME": str(root / "xdg-data"), "FRAMESCRIBE_CONFIG": ""}


def make_server(root: Path, *, serve: dict[str, Any] | None = None, keys: tuple[str, ...] = (KEY_A, KEY_B),
                chains: dict[str, list[str]] | None = None, **kw: Any) -> ServerProcess:
    config = {"capabilities": chains or FAKE_CHAINS,
              "serve": {"max_upload_mb": MAX_UPLOAD_MB, "max_jobs_per_key": MAX_JOBS, "workers": 2, **(serve or {})}}
    # --no-cache: the fakes answer by file name, and the result cache (rightly) answers by content.
    return ServerProcess(root, config=config, keys=list(keys), plugins=[FAKE, SLOW], env=hermetic_env(root), args=["--no-cache"],
                         **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module, keys KEY_A and KEY_B, fake chains."""
    with make_server(tmp_path_factory.mktemp("server")) as proc:
        yield proc


def client(server: ServerProcess, key: str | None = KEY_A, header: str = "x-api-key") -> httpx.Client:
    headers = {} if key is None else {header: key if header == "x-api-key" or header == "X-API-Key" else f"Bearer {key}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


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
