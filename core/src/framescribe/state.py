"""A small SQLite key-value store in the user cache directory.

The core caches results in it (namespace ``cache``); remote plugins remember
their uploads in it (e.g. namespace ``twelvelabs.videos``: content hash +
index -> video id). ``FRAMESCRIBE_CACHE_DIR`` moves it.

Like the result cache it never fails a run: when the file cannot be used
(corrupt, locked by another process, a home that cannot be written) one
warning is logged and the values live in memory for the rest of the run, so
an upload is remembered within the run but not the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .secrets import redact

log = logging.getLogger("framescribe.state")
# Never worth a long wait: a store another process holds locked is given this long, then kept in memory.
LOCK_TIMEOUT = 2.0


def cache_dir() -> Path:
    env = os.environ.get("FRAMESCRIBE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("framescribe"))


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's content, read in chunks so memory stays flat."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def open_db(path: Path, timeout: float, *schema: str) -> sqlite3.Connection:
    """A WAL-mode SQLite connection shared between threads, its ``schema`` statements run; the folder is made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=timeout)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in schema:
            conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


class StateStore:
    """Namespaced JSON values in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "state.sqlite3"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._digests: dict[tuple[str, int, int], str] = {}
        self._memory: dict[tuple[str, str], str] | None = None  # set once the file proved unusable

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_db(self.path, LOCK_TIMEOUT, "CREATE TABLE IF NOT EXISTS kv (namespace TEXT, key TEXT,"
                                 " value TEXT, updated REAL, PRIMARY KEY (namespace, key))")
        return self._conn

    def _fall_back(self, exc: Exception) -> dict[tuple[str, str], str]:
        log.warning("state store %s unusable (%s: %s); remembering in memory for this run", self.path,
                    type(exc).__name__, exc)
        self.close()
        self._memory = {}
        return self._memory

    def get(self, namespace: str, key: str) -> Any | None:
        with self._lock:
            text: str | None = None
            if self._memory is None:
                try:
                    row = self._db().execute("SELECT value FROM kv WHERE namespace=? AND key=?", (namespace, key)).fetchone()
                    text = None if row is None else row[0]
                except (sqlite3.Error, OSError) as exc:
                    self._fall_back(exc)
            if self._memory is not None:
                text = self._memory.get((namespace, key))
        return None if text is None else json.loads(text)

    def set(self, namespace: str, key: str, value: Any) -> None:
        # What a plugin remembers (an upload's id, a job's URL) must not carry a key onto disk: mask known secrets.
        text = redact(json.dumps(value))
        with self._lock:
            if self._memory is None:
                try:
                    with self._db() as db:
                        db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)", (namespace, key, text, time.time()))
                    return
                except (sqlite3.Error, OSError) as exc:
                    self._fall_back(exc)
            assert self._memory is not None
            self._memory[(namespace, key)] = text

    def delete(self, namespace: str, key: str) -> None:
        with self._lock:
            if self._memory is None:
                try:
                    with self._db() as db:
                        db.execute("DELETE FROM kv WHERE namespace=? AND key=?", (namespace, key))
                    return
                except (sqlite3.Error, OSError) as exc:
                    self._fall_back(exc)
            assert self._memory is not None
            self._memory.pop((namespace, key), None)

    def digest(self, path: Path) -> str:
        """Content hash of ``path``, remembered for this run by (path, size, mtime)."""
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if key not in self._digests:
            self._digests[key] = file_digest(path)
        return self._digests[key]

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
