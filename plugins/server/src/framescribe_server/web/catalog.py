"""The library as the page sees it: media ids instead of paths, and one lock around the library's connection.

A media id is a hash of the file's path in the library. The page never takes a path from a request: an id
is looked up among the library's own paths, so only files the library holds can be named, and nothing like
``../../etc/passwd`` means anything. Ids are stable across restarts (the same path gives the same id).

The library's SQLite connection is shared by the request threads and the job pool's workers (uploads and
the APIs' finished jobs add to it, see :mod:`..landing`), so every call goes through :class:`Catalog` under one lock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from framescribe.library import Hit, Library, MediaRecord
from framescribe.types import OcrResult, VideoResult


def media_id(path: str) -> str:
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()


class Catalog:
    def __init__(self, library: Library) -> None:
        self.library = library
        self._lock = threading.Lock()
        self._paths: dict[str, str] = {}  # id -> path, filled from the library when an id is not known yet
        self._read_at = float("-inf")

    def path_of(self, mid: str) -> str | None:
        """The library path of ``mid``, or None when the library holds no such file."""
        if len(mid) != 20 or not all(c in "0123456789abcdef" for c in mid):
            return None
        with self._lock:
            path = self._paths.get(mid)
            if path is None and self._stale():  # a file added since (an upload, framescribe index): read again
                self._paths = {media_id(p): p for p in self.library.store.paths()}
                self._read_at = time.monotonic()
                path = self._paths.get(mid)
            if path is not None and self.library.get(path) is None:  # removed from the library since
                return None
            return path

    def _stale(self) -> bool:
        """Whether the paths may have changed: another count, or a while since they were read. So a stream of
        made-up ids cannot make every request read every path of a large library."""
        return self.library.count() != len(self._paths) or time.monotonic() - self._read_at > REREAD_AFTER

    def page(self, offset: int, limit: int, status: str | None) -> tuple[list[MediaRecord], int]:
        with self._lock:
            return self.library.media(offset=offset, limit=limit, status=status), self.library.count(status)

    def record(self, path: str) -> MediaRecord | None:
        with self._lock:
            return self.library.get(path)

    def results(self, path: str) -> dict[str, VideoResult | list[OcrResult]]:
        with self._lock:
            return dict(self.library.results(path))

    def search(self, query: str, limit: int) -> list[Hit]:
        with self._lock:
            return self.library.search(query, limit=limit, mark=(MARK_OPEN, MARK_CLOSE))

    def add(self, path: str, results: Any, *, error: str | None, kind: str, duration: float | None = None) -> None:
        with self._lock:
            self.library.add(path, results, error=error, kind=kind, duration=duration)
            self._paths[media_id(path)] = path


REREAD_AFTER = 5.0  # seconds
# Private-use characters around a match in a snippet: the snippet is escaped first, then these become <mark>.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
