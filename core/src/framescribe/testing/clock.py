"""A clock tests move by hand, for code that takes its time from a ``Callable[[], float]`` (rates, windows, ETAs)."""

from __future__ import annotations


class ManualClock:
    """Returns ``now``; a test advances it with ``clock.now += seconds``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
