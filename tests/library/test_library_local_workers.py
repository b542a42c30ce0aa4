"""Local worker processes (-j 2) that die mid-batch: real processes, killed with os.kill or by a file."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from framescribe.library import Library
from framescribe.library.executors import DIED_ALONE
from framescribe.testing.media import make_text_image


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    for i in range(8):
        make_text_image(folder / f"page{i:02d}.png", f"PAGE {i}", size=(96, 32))
    return folder


def _segments(lib: Library) -> dict[str, int]:
    rows = lib.store.conn.execute(
        "SELECT m.path, count(s.id) FROM media m LEFT JOIN segments s ON s.media_id = m.id GROUP BY m.path").fetchall()
    return {Path(path).name: n for path, n in rows}


def _started(tmp_path: Path) -> Counter[str]:
    return Counter(Path(line.split()[1]).name for line in (tmp_path / "calls.log").read_text().splitlines())


def test_a_worker_process_killed_mid_batch_loses_nothing(pages: Path, tmp_path: Path, index_kw: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIB_ECHO_DELAY", "0.3")  # every worker busy when one is killed
    killed: list[int] = []

    def progress(done: int, total: int, path: str, skipped: bool) -> None:
        if not killed:  # after the first file: the pool's processes are this process's children
            victim = multiprocessing.active_children()[0].pid
            assert victim is not None
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with Library(tmp_path / "lib.sqlite3") as lib:
        summary = lib.index([pages], progress=progress, use_cache=False, **{**index_kw, "jobs": 2})
        segments = _segments(lib)
    assert killed
    assert summary.failed == [] and summary.indexed == 8
    assert segments == {p.name: 1 for p in pages.iterdir()}  # every file, written once
    started = _started(tmp_path)
    assert set(started) == set(segments) and max(started.values()) == 2  # the lost ones ran again, once


def test_a_file_that_kills_its_worker_every_time_fails_alone(pages: Path, tmp_path: Path, index_kw: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    for p in pages.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "poison.png").write_bytes((pages / "page00.png").read_bytes())
    monkeypatch.setenv("LIB_ECHO_CRASH", "poison")
    with Library(tmp_path / "lib.sqlite3") as lib:
        summary = lib.index([folder], use_cache=False, **{**index_kw, "jobs": 2})
        segments = _segments(lib)
        record = lib.get(folder / "poison.png")
    assert summary.failed == [(str(folder / "poison.png"), DIED_ALONE)]
    assert summary.indexed == 8 and segments == {**{p.name: 1 for p in pages.iterdir()}, "poison.png": 0}
    assert record is not None and record.status == "failed" and record.error == DIED_ALONE
    # Tried in the batch that died, then once alone: never a third time.
    assert _started(tmp_path)["poison.png"] == 2
