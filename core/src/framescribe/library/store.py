"""The library database: one SQLite file (WAL) of media files, their results and an FTS5 index of segments.

Tables:

* ``media``: one row per file (path, content hash, size, mtime, duration, kind,
  status ``ok``/``failed``, error, the settings fingerprint it was indexed with,
  when).
* ``results``: one row per file, capability and page: the backend that
  answered and the result's fields other than its segments (JSON), so a
  single-file result can be rebuilt exactly (:meth:`LibraryStore.results_for`).
* ``segments``: every segment (capability, page, start, end, text, confidence,
  box and words as JSON) plus ``cjk``, the searchable form of text in
  unspaced scripts (see :mod:`framescribe.library.query`).
* ``segments_fts``: an FTS5 index over ``segments`` (external content, kept in
  step by triggers, as sqlite-utils' ``enable_fts(create_triggers=True)`` does).

Only one process writes (the indexing client or a server); each file's rows
are replaced in one transaction, so a reader or a crash sees a file either
before or after, never half of it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..types import Capability, OcrResult, Segment, VideoResult
from .query import cjk_form, positive_terms, readable, to_fts
from .rank import bm25_scores

SCHEMA_VERSION = 1
# Above this many matches, BM25 ranks only the most recently indexed ones:
# FTS5's bm25() over every match costs 0.2-1.3 s for a frequent word over a
# million segments (see docs/library.md, "How search stays fast").
DEFAULT_CANDIDATES = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER,
    hash TEXT,
    duration REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    fingerprint TEXT,
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    capability TEXT NOT NULL,
    page INTEGER NOT NULL,
    backend TEXT NOT NULL,
    info TEXT NOT NULL,
    PRIMARY KEY (media_id, capability, page)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    capability TEXT NOT NULL,
    page INTEGER NOT NULL,
    start REAL,
    "end" REAL,
    text TEXT NOT NULL,
    confidence REAL,
    extra TEXT,
    cjk TEXT
);
CREATE INDEX IF NOT EXISTS segments_media ON segments (media_id, capability, page);
CREATE VIRTUAL TABLE IF NOT EXISTS segments_fts USING fts5(
    text, cjk, content='segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE TRIGGER IF NOT EXISTS segments_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segments_fts (rowid, text, cjk) VALUES (new.id, new.text, new.cjk);
END;
CREATE TRIGGER IF NOT EXISTS segments_ad AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts (segments_fts, rowid, text, cjk) VALUES ('delete', old.id, old.text, old.cjk);
END;
"""


@dataclass(frozen=True)
class MediaRecord:
    """One file of the library as the ``media`` table holds it."""

    path: str
    kind: str  # video, audio, image, unknown
    status: str  # ok, failed
    error: str | None
    size: int | None
    mtime_ns: int | None
    hash: str | None
    duration: float | None
    fingerprint: str | None
    indexed_at: float
    backends: dict[str, str]  # capability -> the backend that answered

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "kind": self.kind, "status": self.status, "error": self.error, "size": self.size,
            "hash": self.hash, "duration": self.duration, "indexed_at": self.indexed_at, "backends": self.backends,
        }


@dataclass(frozen=True)
class Hit:
    """One search result: a segment, where it is, and how well it matched (higher is better)."""

    media: str
    capability: str
    start: float | None
    end: float | None
    page: int | None
    value: str
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "media": self.media, "capability": self.capability, "start": self.start, "end": self.end,
            "page": self.page, "value": self.value, "snippet": self.snippet, "score": round(self.score, 4),
        }


# What one file's indexing produced: capability -> its result (a list of pages for image_ocr).
Results = Mapping[Capability, "VideoResult | list[OcrResult]"]


@dataclass(frozen=True)
class FileState:
    """What the library remembers of a path, to decide whether it is unchanged."""

    size: int | None
    mtime_ns: int | None
    hash: str | None
    fingerprint: str | None
    status: str


class LibraryStore:
    """The SQLite side of a library: schema, one-transaction writes per file, reads and search."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise BadInput(f"library {self.path} is a directory", hint="give a file name, e.g. --library media.sqlite3")
        if not self.path.parent.is_dir():
            raise BadInput(f"library {self.path}: the folder {self.path.parent} does not exist")
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL keeps every committed file across a crash of the process
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"library {self.path} is not a framescribe library ({exc})",
                           hint="give another --library file; framescribe never overwrites one it cannot read") from None

    def _migrate(self) -> None:
        row = None
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "media" not in tables:
            raise sqlite3.DatabaseError("it holds other tables")
        if "meta" in tables:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema {row[0]} is newer than this framescribe's ({SCHEMA_VERSION})")
        self.conn.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR REPLACE INTO meta VALUES ('schema', '{SCHEMA_VERSION}'); COMMIT;")

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    # -- writing --------------------------------------------------------------

    def state_of(self, path: str) -> FileState | None:
        row = self.conn.execute("SELECT size, mtime_ns, hash, fingerprint, status FROM media WHERE path=?", (path,)).fetchone()
        return None if row is None else FileState(*row)

    def touch(self, path: str, size: int, mtime_ns: int) -> None:
        """The file's content is what was indexed, only its mtime moved: remember the new one."""
        with self.transaction():
            self.conn.execute("UPDATE media SET size=?, mtime_ns=? WHERE path=?", (size, mtime_ns, path))

    def put(
        self,
        path: str,
        *,
        kind: str,
        results: Results,
        error: str | None = None,
        size: int | None = None,
        mtime_ns: int | None = None,
        hash: str | None = None,
        duration: float | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Replace everything the library holds for ``path`` in one transaction."""
        with self.transaction():
            row = self.conn.execute("SELECT id FROM media WHERE path=?", (path,)).fetchone()
            values = (kind, size, mtime_ns, hash, duration, "failed" if error else "ok", error, fingerprint, time.time())
            if row is None:
                media_id = self.conn.execute(
                    "INSERT INTO media (kind, size, mtime_ns, hash, duration, status, error, fingerprint, indexed_at, path)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, path)).lastrowid or 0
            else:
                media_id = row[0]
                self.conn.execute("DELETE FROM segments WHERE media_id=?", (media_id,))
                self.conn.execute("DELETE FROM results WHERE media_id=?", (media_id,))
                self.conn.execute(
                    "UPDATE media SET kind=?, size=?, mtime_ns=?, hash=?, duration=?, status=?, error=?, fingerprint=?,"
                    " indexed_at=? WHERE id=?", (*values, media_id))
            for capability, result in results.items():
                pages = result if isinstance(result, list) else [result]
                for item in pages:
                    self._put_result(media_id, capability, item)

    def _put_result(self, media_id: int, capability: str, result: VideoResult | OcrResult) -> None:
        info = result.to_dict()
        rows: list[tuple[Any, ...]] = []
        if isinstance(result, VideoResult):
            page = 0
            del info["data"]
            for s in result.segments:
                extra = {k: v for k, v in s.to_dict().items() if k in ("box", "words")}
                rows.append((media_id, capability, page, s.start, s.end, s.value, s.confidence,
                             json.dumps(extra, ensure_ascii=False) if extra else None, cjk_form(s.value)))
        else:
            page = result.page or 0
            del info["text"]
            # A page is one segment: its text is what is searched; the layout stays in ``info``.
            rows.append((media_id, capability, page, None, None, result.text, result.confidence, None, cjk_form(result.text)))
        self.conn.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                          (media_id, capability, page, result.backend, json.dumps(info, ensure_ascii=False)))
        self.conn.executemany(
            'INSERT INTO segments (media_id, capability, page, start, "end", text, confidence, extra, cjk)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def remove(self, path: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM segments WHERE media_id = (SELECT id FROM media WHERE path=?)", (path,))
            self.conn.execute("DELETE FROM media WHERE path=?", (path,))

    # -- reading --------------------------------------------------------------

    def paths(self) -> Iterator[str]:
        """Every path in the library, in path order (read in pages, so memory stays flat)."""
        last = ""
        while True:
            rows = self.conn.execute("SELECT path FROM media WHERE path > ? ORDER BY path LIMIT 1000", (last,)).fetchall()
            if not rows:
                return
            yield from (r[0] for r in rows)
            last = rows[-1][0]

    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self.conn.execute("SELECT count(*) FROM media").fetchone()[0])
        return int(self.conn.execute("SELECT count(*) FROM media WHERE status=?", (status,)).fetchone()[0])

    def media(self, *, offset: int = 0, limit: int = 100, status: str | None = None,
              glob: str | None = None) -> list[MediaRecord]:
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if glob is not None:
            where.append("path GLOB ?")
            params.append(glob)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.conn.execute(
            "SELECT id, path, kind, status, error, size, mtime_ns, hash, duration, fingerprint, indexed_at FROM media"
            f" {clause} ORDER BY path LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [self._record(r) for r in rows]

    def record(self, path: str) -> MediaRecord | None:
        row = self.conn.execute(
            "SELECT id, path, kind, status, error, size, mtime_ns, hash, duration, fingerprint, indexed_at FROM media"
            " WHERE path=?", (path,)).fetchone()
        return None if row is None else self._record(row)

    def _record(self, row: Sequence[Any]) -> MediaRecord:
        backends = dict(self.conn.execute(
            "SELECT capability, backend FROM results WHERE media_id=? GROUP BY capability", (row[0],)).fetchall())
        path, kind, status, error, size, mtime_ns, digest, duration, fingerprint, indexed_at = row[1:]
        return MediaRecord(path, kind, status, error, size, mtime_ns, digest, duration, fingerprint, indexed_at, backends)

    def results_for(self, path: str) -> dict[Capability, VideoResult | list[OcrResult]]:
        """Every result the library holds for ``path``, as the single-file commands return them."""
        row = self.conn.execute("SELECT id FROM media WHERE path=?", (path,)).fetchone()
        if row is None:
            raise BadInput(f"{path} is not in the library", hint="index it first: framescribe index PATH")
        media_id = row[0]
        out: dict[Capability, Any] = {}
        for capability, page, info_text in self.conn.execute(
                "SELECT capability, page, info FROM results WHERE media_id=? ORDER BY capability, page", (media_id,)):
            info = json.loads(info_text)
            segs = self.conn.execute(
                'SELECT start, "end", text, confidence, extra FROM segments WHERE media_id=? AND capability=? AND page=?'
                " ORDER BY id", (media_id, capability, page)).fetchall()
            if capability == "image_ocr":
                info["text"] = segs[0][2] if segs else ""
                out.setdefault(capability, []).append(OcrResult.from_dict(info))
            else:
                data = []
                for start, end, text, confidence, extra in segs:
                    d: dict[str, Any] = {"start": start, "end": end, "value": text, "confidence": confidence}
                    if extra:
                        d.update(json.loads(extra))
                    data.append(Segment.from_dict(d))
                result = VideoResult.from_dict(info)
                result.segments = data
                out[capability] = result
        return out

    # -- search ---------------------------------------------------------------

    def search(self, query: str, *, capability: str | None = None, media_glob: str | None = None, limit: int = 20,
               candidates: int = DEFAULT_CANDIDATES, mark: tuple[str, str] = ("[", "]")) -> list[Hit]:
        fts = to_fts(query)
        filters, params = "", []
        if capability is not None:
            filters += " AND s.capability = ?"
            params.append(capability)
        if media_glob is not None:
            filters += " AND s.media_id IN (SELECT id FROM media WHERE path GLOB ?)"
            params.append(media_glob)
        source = "segments_fts" + (" JOIN segments s ON s.id = segments_fts.rowid" if filters else "")
        try:
            terms = positive_terms(query)
            if candidates > 0 and terms:
                # Cheap: FTS5 walks the doclists newest first and stops after candidates+1 matches, never scoring.
                probe = [r[0] for r in self.conn.execute(
                    f"SELECT segments_fts.rowid FROM {source} WHERE segments_fts MATCH ?{filters}"
                    " ORDER BY segments_fts.rowid DESC LIMIT ?", (fts, *params, candidates + 1))]
                # BM25 over at most `candidates` rows, scored in rank.py: FTS5's bm25() would first walk every
                # match of every term for its statistics, the cost this bound exists to avoid.
                alone = len(terms) == 1 and terms[0].fts == fts and not filters  # the query is that one term
                exact_df = len(probe) if alone and len(probe) <= candidates else None
                total = self.conn.execute("SELECT max(id) FROM segments").fetchone()[0] or 1
                scored = bm25_scores(self.conn, probe[:candidates], terms, total, exact_df)
                ranked = sorted(scored, key=lambda r: (-r[1], -r[0]))[:limit]
            else:
                ranked = [(rowid, -score) for rowid, score in self.conn.execute(
                    f"SELECT segments_fts.rowid, bm25(segments_fts) FROM {source}"
                    f" WHERE segments_fts MATCH ?{filters} ORDER BY 2 LIMIT ?", (fts, *params, limit))]
            # Snippets and paths only for the rows shown, not for every candidate ranked.
            marks = ",".join("?" * len(ranked))
            details = {row[0]: row[1:] for row in self.conn.execute(
                "SELECT segments_fts.rowid, m.path, s.capability, s.start, s.\"end\", s.page, s.text,"
                " snippet(segments_fts, -1, ?, ?, '…', 16)"
                " FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid JOIN media m ON m.id = s.media_id"
                f" WHERE segments_fts MATCH ? AND segments_fts.rowid IN ({marks})",
                (mark[0], mark[1], fts, *(r[0] for r in ranked)))}
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "syntax" in str(exc):
                raise BadInput(f"search query {query!r} cannot be searched: {exc}",
                               hint='quote unusual words: "e-mail"; combine with AND, OR, NOT') from None
            raise
        rows = [(*details[rowid], score) for rowid, score in ranked if rowid in details]
        return [Hit(path, cap, start, end, page or None, text, readable(snip), score)
                for path, cap, start, end, page, text, snip, score in rows]


class _Transaction:
    """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on any exception, Ctrl-C included)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
