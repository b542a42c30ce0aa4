"""The result cache: a finished answer is kept so the same question is not asked twice.

Two promises, both tested (``tests/adversarial/test_cache.py``):

* **Never stale.** An entry is keyed by the capability, the backend and its
  plugin's version, the media's *content* (SHA-256), the backend's settings and
  the request's parameters. A backend that reads anything else -- a subtitle file
  beside the video, a word list, a model file -- records it on its
  :class:`~framescribe.RunContext` while it runs (:meth:`Inputs.file`,
  :meth:`Inputs.matching`); the entry keeps those paths with their digests (or
  their absence) and a lookup re-checks them, so an edit, a new file or a
  removed file is a miss. An entry with recorded inputs is also bound to the
  media's location: two identical videos in two folders never share it. A
  backend whose answer cannot be pinned down that way opts out, for one run
  (:meth:`Inputs.opt_out`) or always (``BackendSpec(cacheable=False)``).
* **Never fails a run.** A corrupt database, one locked by another process, a
  cache directory that is a file, a read-only or unreadable home: one warning,
  and the run goes on without the cache (like pip's and diskcache's caches).

The store is one SQLite file, ``cache.sqlite3`` in :func:`framescribe.state.cache_dir`
(``$FRAMESCRIBE_CACHE_DIR`` moves it), capped at ``[cache] max_size_mb`` of the
config (default :data:`DEFAULT_MAX_SIZE_MB`); the least recently used entries go
first. ``framescribe cache info`` and ``framescribe cache clear`` look after it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .state import cache_dir, file_digest, open_db

log = logging.getLogger("framescribe.cache")

# Bumped when the entry format or the key material changes: older entries are then never matched.
CACHE_FORMAT = 2
DEFAULT_MAX_SIZE_MB = 256
# A cache is never worth waiting for: a database another process holds locked is given this long, then skipped.
LOCK_TIMEOUT = 0.5
FILE_NAME = "cache.sqlite3"


class Digests:
    """Content hashes of files, remembered for one run by (path, size, mtime) so a file is read once."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def of(self, path: Path) -> str:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        with self._lock:
            known = self._known.get(key)
        if known is None:
            known = file_digest(path)
            with self._lock:
                self._known[key] = known
        return known

    def of_or_absent(self, path: Path) -> str | None:
        """The digest of ``path``; None when there is no readable regular file there."""
        try:
            return self.of(path) if path.is_file() else None
        except OSError:
            return None


def result_key(
    capability: str,
    backend: str,
    plugin_version: str | None,
    media_digest: str,
    settings: Mapping[str, Any],
    params: Mapping[str, Any],
) -> str:
    """The cache key of one question: everything the answer depends on that the core knows of."""
    material = {
        "format": CACHE_FORMAT,
        "capability": capability,
        "backend": backend,
        "plugin_version": plugin_version,
        "media": media_digest,
        "settings": dict(settings),
        "params": dict(params),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Inputs:
    """What one backend run read besides the media, as the backend records it through its RunContext.

    Record an input *before* reading it: if it changes in between, the stored
    digest is the older one and the next lookup misses, which is safe; the
    other order could keep an answer for bytes that are gone.
    """

    digests: Digests = field(default_factory=Digests)
    files: dict[str, str | None] = field(default_factory=dict)  # resolved path -> digest, None: absent
    listings: list[dict[str, Any]] = field(default_factory=list)
    opted_out: str | None = None

    def file(self, path: str | os.PathLike[str]) -> None:
        """The answer depends on this file's content -- or on its absence, when it does not exist."""
        p = Path(path).absolute()
        self.files[str(p)] = self.digests.of_or_absent(p)

    def matching(self, directory: str | os.PathLike[str], patterns: Sequence[str]) -> None:
        """The answer depends on which files in ``directory`` match ``patterns`` (fnmatch, case-insensitive), and on their content.

        Use it when a backend looks for files rather than reading one it was
        given: a file appearing or disappearing then changes the answer too.
        """
        d = Path(directory).absolute()
        self.listings.append({"directory": str(d), "patterns": list(patterns), "found": _listing(d, patterns, self.digests)})

    def opt_out(self, reason: str) -> None:
        """Do not keep this run's answer (it depends on something that cannot be recorded)."""
        self.opted_out = reason

    @property
    def recorded(self) -> bool:
        return bool(self.files or self.listings)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "listings": self.listings}

    def paths(self) -> list[str]:
        """The recorded files that exist (absolute paths): what the run actually read besides the media."""
        return existing_paths(self.to_json())

    @staticmethod
    def still_hold(recorded: Mapping[str, Any], digests: Digests) -> bool:
        """Whether every input recorded in an entry is as it was (same content, same absence, same matches)."""
        for path, digest in recorded.get("files", {}).items():
            if digests.of_or_absent(Path(path)) != digest:
                return False
        for listing in recorded.get("listings", []):
            if _listing(Path(listing["directory"]), listing["patterns"], digests) != listing["found"]:
                return False
        return True


def existing_paths(recorded: Mapping[str, Any]) -> list[str]:
    """The files an entry's recorded inputs name that existed when recorded (absent ones have no digest)."""
    found = [path for path, digest in recorded.get("files", {}).items() if digest is not None]
    for listing in recorded.get("listings", []):
        found += [os.path.join(listing["directory"], name) for name, digest in listing["found"].items() if digest is not None]
    return sorted(set(found))


def _listing(directory: Path, patterns: Sequence[str], digests: Digests) -> dict[str, str | None]:
    lowered = [p.lower() for p in patterns]
    try:
        names = sorted(e.name for e in directory.iterdir())
    except OSError:
        return {}
    return {
        name: digests.of_or_absent(directory / name)
        for name in names
        if any(fnmatch.fnmatchcase(name.lower(), p) for p in lowered)
    }


@dataclass(frozen=True)
class CacheInfo:
    """What ``framescribe cache info`` shows."""

    path: Path
    entries: int
    size: int  # bytes of stored answers
    max_size: int  # bytes
    problem: str | None  # why the cache cannot be used, None when it can


class ResultCache:
    """Answers in one SQLite file, least recently used evicted past ``max_size`` bytes.

    Every method swallows the cache's own failures: the first one is logged as a
    warning and the cache is off for the rest of the run (lookups miss, stores
    are dropped). ``enabled=False`` (``--no-cache``) neither reads nor writes.
    """

    def __init__(self, path: Path | None = None, *, max_size: int = DEFAULT_MAX_SIZE_MB * 1024 * 1024,
                 enabled: bool = True, digests: Digests | None = None) -> None:
        self._path = path
        self.max_size = max_size
        self.enabled = enabled and max_size > 0
        self.digests = digests or Digests()
        self.problem: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._quiet = False
        self._last_use = 0.0

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else cache_dir() / FILE_NAME

    # -- the store ------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = open_db(self.path, LOCK_TIMEOUT)
            try:
                # No fsync at all (they cost ~15 ms a run, more than a small answer takes to compute). A crash of
                # the program loses nothing; a power loss may lose or damage the newest pages: a lost answer is a
                # miss, a damaged row fails its checksum (a miss), a damaged file is the "cache off" warning.
                conn.execute("PRAGMA synchronous=OFF")
                if conn.execute("PRAGMA user_version").fetchone()[0] != CACHE_FORMAT:
                    _create_table(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except (sqlite3.Error, OSError, ValueError) as exc:
            reason = _describe(exc)
            if isinstance(exc, (FileExistsError, NotADirectoryError)):
                reason = _missing_reason(self.path) or reason  # "... is not a directory" says more
            self._give_up(f"cannot {action} {self.path}: {reason}")

    def _give_up(self, problem: str) -> None:
        self.close()
        if self.problem is None:
            self.problem = problem
            if not self._quiet:
                log.warning("cache off for this run: %s (hint: `framescribe cache clear`, or set FRAMESCRIBE_CACHE_DIR)",
                            problem)

    @property
    def usable(self) -> bool:
        return self.enabled and self.problem is None

    # -- lookups and stores ---------------------------------------------------

    def get(self, key: str, location: str | None = None, *, read: list[str] | None = None) -> Any | None:
        """The answer stored for ``key``, None on a miss.

        An entry made with recorded inputs is looked up under ``location`` (the
        media's path) and only returned while every recorded input still holds;
        on such a hit the files it was made from are appended to ``read``.
        """
        if not self.usable:
            return None
        with self._guard("read the cache"):
            for row_key in (key, _bound(key, location)):
                if row_key is None:
                    continue
                row = self._db().execute("SELECT value, inputs, checksum FROM entries WHERE key=?", (row_key,)).fetchone()
                if row is None:
                    continue
                value_text, inputs_text, checksum = row
                damaged = _checksum(value_text, inputs_text) != checksum
                if damaged or (inputs_text is not None and not Inputs.still_hold(json.loads(inputs_text), self.digests)):
                    with self._db() as db:
                        db.execute("DELETE FROM entries WHERE key=?", (row_key,))
                    return None
                with self._db() as db:
                    db.execute("UPDATE entries SET accessed=? WHERE key=?", (self._now(), row_key))
                if read is not None and inputs_text is not None:
                    read.extend(existing_paths(json.loads(inputs_text)))
                return json.loads(value_text)
        return None

    def put(self, key: str, value: Any, inputs: Inputs | None = None, location: str | None = None) -> None:
        """Keep ``value`` under ``key``; with recorded ``inputs``, bound to ``location``. Dropped when opted out."""
        if not self.usable or (inputs is not None and inputs.opted_out is not None):
            return
        recorded = inputs is not None and inputs.recorded
        row_key = _bound(key, location) if recorded else key
        if row_key is None:  # inputs recorded but nowhere to bind them: never share such an answer
            return
        value_text = json.dumps(value)
        inputs_text = json.dumps(inputs.to_json()) if recorded and inputs is not None else None
        size = len(row_key) + len(value_text) + len(inputs_text or "")
        if size > self.max_size:
            return
        with self._guard("write the cache"), self._db() as db:
            db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
                       (row_key, value_text, inputs_text, _checksum(value_text, inputs_text), size, self._now()))
            self._evict(db)

    def _now(self) -> float:
        # Strictly increasing within a run, so two uses in one clock tick still have an order.
        self._last_use = max(time.time(), self._last_use + 1e-6)
        return self._last_use

    def _evict(self, db: sqlite3.Connection) -> None:
        pages, page_size = db.execute("PRAGMA page_count").fetchone()[0], db.execute("PRAGMA page_size").fetchone()[0]
        if pages * page_size <= self.max_size:
            return  # the stored answers take less room than the file: no need to add them up on every store
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        if total <= self.max_size:
            return
        # Down to 90% of the cap, so a full cache does not evict on every store.
        excess = total - int(self.max_size * 0.9)
        doomed = []
        for row_key, size in db.execute("SELECT key, size FROM entries ORDER BY accessed"):
            if excess <= 0:
                break
            doomed.append((row_key,))
            excess -= size
        db.executemany("DELETE FROM entries WHERE key=?", doomed)
        log.debug("cache: evicted %d least recently used entries", len(doomed))

    # -- looking after it -------------------------------------------------------

    def info(self) -> CacheInfo:
        """Entries, size and cap; never creates the cache when there is none yet."""
        self._quiet = True  # the caller shows the problem
        entries = size = 0
        missing = _missing_reason(self.path)
        if missing is None:
            with self._guard("read the cache"):
                entries, size = self._db().execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries").fetchone()
        elif missing != "absent" and self.problem is None:
            self.problem = missing
        return CacheInfo(self.path, entries, size, self.max_size, self.problem)

    def clear(self) -> int:
        """Drop every entry; a database that cannot be opened (corrupt) is removed. Returns entries dropped."""
        self._quiet = True  # the caller reports the outcome
        with self._guard("clear the cache"), self._db() as db:
            count = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            db.execute("DELETE FROM entries")
            return int(count)
        if self.path.is_file():
            # Ours and unusable (not a database, or a broken one): start afresh. Never anything but our own file.
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.problem = None
            with self._guard("recreate the cache"):
                self._db()
            if self.problem is None:
                return 0
        raise OSError(self.problem or f"cannot clear {self.path}")

    def close(self) -> None:
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


def _create_table(conn: sqlite3.Connection) -> None:
    """Make the entries table, dropping one of another format (an older framescribe's: its entries cannot be checked)."""
    conn.execute("BEGIN IMMEDIATE")  # re-checked under the write lock: two first runs at once create it once
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != CACHE_FORMAT:
            conn.execute("DROP TABLE IF EXISTS entries")
            conn.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, inputs TEXT,"
                         " checksum TEXT NOT NULL, size INTEGER NOT NULL, accessed REAL NOT NULL)")
            conn.execute("CREATE INDEX entries_accessed ON entries (accessed)")
            conn.execute(f"PRAGMA user_version = {CACHE_FORMAT}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _checksum(value_text: str, inputs_text: str | None) -> str:
    # A row damaged on disk (or by hand) is a miss, never a wrong answer.
    return hashlib.sha256(f"{value_text}\0{inputs_text}".encode()).hexdigest()[:32]


def _bound(key: str, location: str | None) -> str | None:
    if location is None:
        return None
    return hashlib.sha256(f"{key}\0{location}".encode()).hexdigest()


def _missing_reason(path: Path) -> str | None:
    """None when ``path`` exists; "absent" when it could be created; else why it cannot be there."""
    try:
        if path.exists():
            return None
        for parent in path.parents:
            if parent.exists():
                return "absent" if parent.is_dir() else f"{parent} is not a directory"
    except OSError as exc:
        return f"cannot look at {path}: {_describe(exc)}"
    return "absent"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return "the file is not a cache database (corrupt?)"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "the database is locked by another process"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
