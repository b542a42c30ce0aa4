"""How many CPU cores this process may use: the ones its affinity allows (containers and ``taskset`` limit it),
not every core of the machine."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
