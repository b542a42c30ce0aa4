"""Shared pieces of the adversarial suite: generated media (made once per module), a private copy of it per
test, and the in-process CLI with the fake backends."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framescribe.cli import main
from framescribe.testing import make_text_image, make_text_video
from framescribe.testing.hostile import Outcome, Workspace

# The fake-echo backend reads its key from FAKE_ECHO_KEY; every case runs with it set and checks it never shows.
SECRET = "sk-adversarial-7f3a9c1e5b"


@pytest.fixture(scope="session")
def fake_plugin() -> str:
    return str(Path(__file__).parents[1] / "plugins" / "fake_backends.py")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny generated inputs, made once per module: clip.mp4, scan.png, talk.srt, framescribe.toml."""
    root = tmp_path_factory.mktemp("sources")
    make_text_video(root / "clip.mp4", [(0.0, 1.0, "HELLO"), (1.0, 2.0, "WORLD")], size=(160, 96), fps=4)
    make_text_image(root / "scan.png", "HELLO", size=(160, 48))
    (root / "talk.srt").write_text("1\n00:00:00,500 --> 00:00:01,500\nHello there\n", encoding="utf-8")
    (root / "framescribe.toml").write_text('[capabilities]\nvideo_text = ["fake-echo"]\n', encoding="utf-8")
    return root


@pytest.fixture
def work(sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """The test's own copy of the sources as the working directory, with a key configured."""
    root = tmp_path / "work"
    shutil.copytree(sources, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "")  # only the fakes: no installed backend answers instead
    monkeypatch.setenv("FAKE_ECHO_KEY", SECRET)
    yield Workspace(root, secret=SECRET, also_scan=[os.environ["FRAMESCRIBE_CACHE_DIR"]])
    fake = sys.modules.pop("framescribe_extra_fake_backends", None)
    if fake is not None:
        fake.CALLS.clear()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], fake_plugin: str) -> Callable[..., Outcome]:
    """``framescribe ARGS`` in this process, with the fake backends loaded."""

    def run(*args: str | os.PathLike[str]) -> Outcome:
        # --plugin before the command: every command takes it there (eval too, which has no use for it).
        code = main(["--plugin", fake_plugin, *(str(a) for a in args)])
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.fixture
def backend_calls() -> Callable[[], int]:
    """How often the fake backends really ran in this test (0: the run stopped before any work)."""

    def count() -> int:
        fake = sys.modules.get("framescribe_extra_fake_backends")
        return 0 if fake is None else sum(fake.CALLS.values())

    return count
