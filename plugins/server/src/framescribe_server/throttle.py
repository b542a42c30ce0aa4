"""Failed API-key attempts counted per client address; too many in a window lock that address out for a while.

A client that sends ``max_failures`` wrong keys within ``window`` seconds is refused (429 with Retry-After) for
the next ``window`` seconds *without its key being checked*, so a key guessed during the lock-out is not
confirmed. Only failures are counted: a correct key never adds to a counter and never clears anyone's.

State lives in memory, behind one lock (the checks are a few dictionary operations, called from the event
loop and from worker threads alike). At most ``max_clients`` addresses are tracked; past that the address
touched longest ago is dropped, so a flood from many addresses cannot grow it without limit. The key itself
never reaches this module: it logs the address and the counts only.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("framescribe.server")

MAX_CLIENTS = 10_000


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class Throttle:
    def __init__(self, max_failures: int = 10, window: float = 60.0, *, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_failures < 1 or window <= 0 or max_clients < 1:
            raise ValueError("max_failures and max_clients must be at least 1, window above 0")
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._clients)

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until ``address`` may try a key again, or None when it is not locked out."""
        now = self._clock()
        with self._lock:
            client = self._clients.get(address)
            if client is None or client.locked_until <= now:
                return None
            return max(1, math.ceil(client.locked_until - now))

    def failed(self, address: str) -> int | None:
        """Count one failed attempt by ``address``; the lock-out's length in seconds when this one starts it."""
        now = self._clock()
        with self._lock:
            client = self._clients.pop(address, None) or _Client()
            self._clients[address] = client  # re-inserted last: the most recently touched address
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            if client.locked_until > now:  # callers check first; a race between two requests lands here
                return None
            while client.failures and client.failures[0] <= now - self.window:
                client.failures.popleft()
            client.failures.append(now)
            if len(client.failures) < self.max_failures:
                return None
            client.failures.clear()
            client.locked_until = now + self.window
        seconds = max(1, math.ceil(self.window))
        log.warning("server: %d failed API key attempts from %s within %gs; refusing its attempts for %ds",
                    self.max_failures, address, self.window, seconds)
        return seconds
