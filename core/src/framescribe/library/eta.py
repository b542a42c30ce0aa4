"""The time left in an indexing run, from the files that were really indexed.

Unchanged files are skipped in microseconds; counting them as work done would
make a run that skips 900 files and then meets 100 new ones promise to end at
once. The rate is therefore taken over the files sent to a worker only
(indexed or failed), and every file still to come is assumed to need work
(whether it changed is not known before it is reached): an estimate that errs
long, never short.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Eta:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.start = clock()
        self.worked = 0  # files indexed or failed so far, not skipped

    def update(self, skipped: bool) -> None:
        """Count one finished file."""
        if not skipped:
            self.worked += 1

    def left(self, done: int, total: int) -> float | None:
        """Seconds left for the ``total - done`` files to come; None before the first file is indexed."""
        if done >= total:
            return 0.0
        if not self.worked:
            return None
        return (self.clock() - self.start) / self.worked * (total - done)


def clock_text(seconds: float | None) -> str:
    """``m:ss`` (``-:--`` when unknown)."""
    if seconds is None:
        return "-:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}"
