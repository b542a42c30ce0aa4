"""Progress on stderr: a bar when stderr is a terminal, occasional log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TextIO

from .secrets import redact

log = logging.getLogger("framescribe.progress")


class ProgressBar:
    """A ProgressCallback that draws ``label [#####-----] 50% message`` on a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None, width: int = 28) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self._last = 0.0
        self._last_log = 0.0
        self._drawn = False
        self._lock = threading.Lock()

    def __call__(self, done: float, total: float | None = None, message: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            if not self.enabled:
                if now - self._last_log >= 5:
                    self._last_log = now
                    pct = f" {100 * done / total:.0f}%" if total else ""
                    log.info("%s%s %s", self.label, pct, message)
                return
            if now - self._last < 0.1 and (total is None or done < total):
                return
            self._last = now
            if total:
                frac = max(0.0, min(1.0, done / total))
                filled = int(frac * self.width)
                bar = f"[{'#' * filled}{'-' * (self.width - filled)}] {frac * 100:3.0f}%"
            else:
                bar = f"[{done:g}]"
            # A backend's message may quote a server's words; masked before it is cut to the line's width.
            line = redact(f"{self.label} {bar} {message}")[:120]
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
            self._drawn = True

    def close(self) -> None:
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._drawn = False
