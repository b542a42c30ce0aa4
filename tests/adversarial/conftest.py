"""Shared pieces of the adversarial suite: generated media (made once per module), a private copy of it per
test, and the in-process CLI with the fake backends."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framescribe.cli import main
from framescribe.testing import make_text_image, make_text_video
from framescribe.testing.hostile import Outcome, Workspace

# The remote cases' loopback services and user worlds (test_secrets.py, test_remote_faults.py).
from .remote import services, video, world  # noqa: F401 - fixtures, registered by being here

# The fake-echo backend reads its key from FAKE_ECHO_KEY; every case runs with it set and checks it never shows.
SECRET = "sk-adversarial-7f3a9c1e5b"


# What these cases write to in /dev, and what each must stay: a device (its number) or a symlink (its target).
_DEVICES = {"/dev/null": os.makedev(1, 3), "/dev/full": os.makedev(1, 7)}
_LINKS = {"/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}


def _dev_damage() -> list[str]:
    damaged = [path for path, dev in _DEVICES.items()
               if not os.path.exists(path) or not stat.S_ISCHR(os.lstat(path).st_mode) or os.lstat(path).st_rdev != dev]
    return damaged + [path for path, target in _LINKS.items() if not os.path.islink(path) or os.readlink(path) != target]


@pytest.fixture(autouse=True)
def dev_guard() -> Iterator[None]:
    """A regressed writer run as root would replace /dev/null or /dev/stdout by a regular file (what issue 14
    found): put them back and fail the case, so a broken build can not break the machine it is tested on."""
    before = set(os.listdir("/dev"))
    yield
    new = sorted(set(os.listdir("/dev")) - before)
    damaged = _dev_damage()
    if not new and not damaged:
        return
    for name in new:
        if os.path.isfile(f"/dev/{name}") and not os.path.islink(f"/dev/{name}"):
            os.unlink(f"/dev/{name}")
    for path in damaged:
        if os.path.lexists(path):
            os.unlink(path)
        if path in _DEVICES:
            os.mknod(path, 0o666 | stat.S_IFCHR, _DEVICES[path])
            os.chmod(path, 0o666)
        else:
            os.symlink(_LINKS[path], path)
    pytest.fail(f"the run created {new} and replaced {damaged} in /dev (put back)")


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
