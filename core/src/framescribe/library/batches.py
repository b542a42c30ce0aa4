"""Grouping small files into one cluster task, so a task's fixed cost is paid once for several of them.

A Dask task costs a few milliseconds of scheduling, messages and result
hand-off on the worker's event loop, whose Python holds the GIL while the
file's own work waits for it. On the bench's files of ~55 ms that showed: the
same 14 files took 1.00x the local ``-j 1`` as one task in a worker, 1.04-1.09x
as one task per file, 1.01x as tasks of four (docs/benchmarks.md, Library).
Files are therefore grouped until about :data:`BATCH_SECONDS` of expected work.

The expectation comes from the workers' own timings of files already done:
seconds per byte, per kind of media. A file of a kind not seen yet, one the
client cannot stat, or one expected to take long on its own, goes alone: a
long video never holds short files' results back, and the first files of a
run are never grouped blind.
"""

from __future__ import annotations

import os
import statistics
from collections import deque
from pathlib import Path

from .walk import kind_of
from .work import Outcome, Task

# About ten of the bench's 55 ms files: a task's few milliseconds disappear in it, and a batch lost with its
# worker costs at most this much work again.
BATCH_SECONDS = 0.5
MAX_BATCH = 16
KEEP = 31  # files per kind the rate is taken from


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


class Rates:
    """Seconds per byte of each kind of media: the median of the last files that came back without errors.

    The median, not the mean: a worker's first file of a kind also loads its models (Tesseract's
    ``eng`` alone takes 0.3-0.8 s), which would make every later file of that kind look slow.
    """

    def __init__(self) -> None:
        self._rates: dict[str, deque[float]] = {}

    def learn(self, task: Task, outcome: Outcome) -> None:
        size = _size(task.path)
        if outcome.errors or not size:  # a failure's time says nothing about a good file's
            return
        self._rates.setdefault(kind_of(Path(task.path)), deque(maxlen=KEEP)).append(outcome.seconds / size)

    def expected(self, task: Task) -> float | None:
        """Seconds ``task`` is expected to take on a worker; None when nothing is known yet."""
        rates = self._rates.get(kind_of(Path(task.path)))
        size = _size(task.path)
        if size is None or not rates:
            return None
        return size * statistics.median(rates)


def take_batch(ahead: deque[Task], rates: Rates, limit: int) -> tuple[Task, ...]:
    """The next task to send: files from the front of ``ahead`` up to about BATCH_SECONDS, at most ``limit``."""
    batch = [ahead.popleft()]
    work = rates.expected(batch[0])
    while ahead and len(batch) < min(limit, MAX_BATCH) and work is not None:
        more = rates.expected(ahead[0])
        if more is None or work + more > BATCH_SECONDS:
            break
        batch.append(ahead.popleft())
        work += more
    return tuple(batch)
