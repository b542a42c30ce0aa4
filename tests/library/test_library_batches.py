"""How small files are grouped into one cluster task (library/batches.py)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from framescribe.library.batches import BATCH_SECONDS, MAX_BATCH, Rates, take_batch
from framescribe.library.work import Outcome, Setup, Task


def _task(path: Path) -> Task:
    return Task(str(path), ("image_ocr", "video_text", "transcribe"), Setup())


def _files(folder: Path, names: list[str], size: int = 1000) -> list[Task]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x" * size)
    return [_task(folder / name) for name in names]


def _learned(task: Task, seconds: float) -> Rates:
    rates = Rates()
    rates.learn(task, Outcome(task.path, "image", seconds=seconds))
    return rates


def test_a_kind_not_seen_yet_goes_alone(tmp_path: Path) -> None:
    tasks = _files(tmp_path, ["a.png", "b.png", "c.png"])
    ahead = deque(tasks)
    assert take_batch(ahead, Rates(), MAX_BATCH) == (tasks[0],)
    assert list(ahead) == tasks[1:]


def test_small_files_are_grouped_up_to_the_batch_seconds(tmp_path: Path) -> None:
    tasks = _files(tmp_path, [f"p{i:02d}.png" for i in range(30)])
    rates = _learned(tasks[0], 0.05)
    ahead = deque(tasks[1:])
    batch = take_batch(ahead, rates, MAX_BATCH)
    assert len(batch) == int(BATCH_SECONDS / 0.05 + 1e-9)  # 0.05 s each
    assert batch == tuple(tasks[1:1 + len(batch)])  # in order, from the front
    assert len(take_batch(ahead, rates, 3)) == 3  # the limit wins (the end of a run, shared among workers)


def test_a_big_file_another_kind_or_a_failure_is_not_grouped(tmp_path: Path) -> None:
    small = _files(tmp_path, ["s1.png", "s2.png", "s3.png"])
    big = _files(tmp_path, ["big.png"], size=1000 * 20)[0]  # 20x the bytes: 1 s expected
    video = _files(tmp_path, ["v.mp4"])[0]
    rates = _learned(small[0], 0.05)
    assert take_batch(deque([small[1], big, small[2]]), rates, MAX_BATCH) == (small[1],)
    assert take_batch(deque([big, small[1]]), rates, MAX_BATCH) == (big,)
    assert take_batch(deque([small[1], video]), rates, MAX_BATCH) == (small[1],)
    failed = Rates()
    failed.learn(small[0], Outcome(small[0].path, "image", errors=["bad"], seconds=0.01))
    assert failed.expected(small[1]) is None


def test_a_slow_first_file_does_not_make_its_kind_look_slow(tmp_path: Path) -> None:
    tasks = _files(tmp_path, [f"p{i}.png" for i in range(6)])
    rates = _learned(tasks[0], 0.8)  # the first file also loaded the models
    for t in tasks[1:3]:
        rates.learn(t, Outcome(t.path, "image", seconds=0.05))
    assert rates.expected(tasks[3]) == pytest.approx(0.05)
