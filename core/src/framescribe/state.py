"""A small SQLite key-value store in the user cache directory.

The core caches results in it (namespace ``cache``); remote plugins remember
their uploads in it (e.g. namespace ``twelvelabs.videos``: content hash +
index -> video id). ``FRAMESCRIBE_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


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


class StateStore:
    """Namespaced JSON values in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "state.sqlite3"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._digests: dict[tuple[str, int, int], str] = {}

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS kv (namespace TEXT, key TEXT, value TEXT, updated REAL,"
                " PRIMARY KEY (namespace, key))"
            )
            self._conn = conn
        return self._conn

    def get(self, namespace: str, key: str) -> Any | None:
        with self._lock:
            row = self._db().execute("SELECT value FROM kv WHERE namespace=? AND key=?", (namespace, key)).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, namespace: str, key: str, value: Any) -> None:
        text = json.dumps(value)
        with self._lock, self._db() as db:
            db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)", (namespace, key, text, time.time()))

    def delete(self, namespace: str, key: str) -> None:
        with self._lock, self._db() as db:
            db.execute("DELETE FROM kv WHERE namespace=? AND key=?", (namespace, key))

    def digest(self, path: Path) -> str:
        """Content hash of ``path``, remembered for this run by (path, size, mtime)."""
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if key not in self._digests:
            self._digests[key] = file_digest(path)
        return self._digests[key]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
