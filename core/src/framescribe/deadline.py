"""Deadlines: a point in time by which this thread's network I/O must be over, whatever the server does.

httpx's timeouts bound each socket operation: a server that sends one byte a
second never trips a 3-second read timeout and holds a request for as long as
it likes. A deadline is a total: :mod:`framescribe.transport` gives every socket
operation the smaller of its own timeout and the time left, and fails at once
when none is left.

    with deadline(time.monotonic() + 3):
        client.get(url)          # httpx.ReadTimeout (or ConnectTimeout...) after 3 s in all

Deadlines nest (the nearest one wins) and are per thread: a sync httpx client
does all its I/O in the calling thread. A job sets one for all its requests and
its polling; :class:`framescribe.http.HttpClient` sets one per request.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

_local = threading.local()


@contextlib.contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Within the block, HTTP I/O of this thread must end by ``at`` (a ``time.monotonic()`` value); None: no limit."""
    outer: float | None = getattr(_local, "at", None)
    _local.at = at if outer is None else (outer if at is None else min(outer, at))
    try:
        yield
    finally:
        _local.at = outer


def remaining() -> float | None:
    """Seconds left before this thread's deadline, or None when there is none."""
    at: float | None = getattr(_local, "at", None)
    return None if at is None else at - time.monotonic()


def bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to the time left; raises ``expired`` when the deadline has passed."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)
