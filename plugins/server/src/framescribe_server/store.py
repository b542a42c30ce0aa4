"""The server's records in SQLite under ``--data-dir``: jobs (with their results), indexes and videos.

Every row carries its ``owner``, a keyed hash of the API key that made it (see
:mod:`.auth`), never the key; every read is by (id, owner), so another key's id
is simply not found. One connection guarded by a lock: reads and writes are
short, and WAL lets a reader never wait for the disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, api TEXT NOT NULL, status TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, started REAL, finished REAL, expires REAL,
    progress REAL NOT NULL DEFAULT 0, request TEXT NOT NULL, result TEXT, error TEXT, upload_dir TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, api);
CREATE TABLE IF NOT EXISTS indexes (
    owner TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, created REAL NOT NULL, expires REAL,
    PRIMARY KEY (owner, id)
);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, index_id TEXT NOT NULL, task_id TEXT NOT NULL,
    created REAL NOT NULL, expires REAL, metadata TEXT NOT NULL, text_in_video TEXT NOT NULL, transcription TEXT NOT NULL
);
"""
# Statuses of a job; the APIs show them in their own words (a task's "indexing", ImageHQ's "running").
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ACTIVE = (QUEUED, RUNNING)


class StoreClosed(Exception):
    """The store was closed (the server stopped) while a worker still wanted it."""


@dataclass
class Job:
    id: str
    owner: str
    api: str
    status: str
    created: float
    updated: float
    started: float | None
    finished: float | None
    expires: float | None
    progress: float
    request: dict[str, Any]
    result: Any
    error: str | None
    upload_dir: str | None


@dataclass
class Video:
    id: str
    owner: str
    index_id: str
    task_id: str
    created: float
    metadata: dict[str, Any]
    text_in_video: dict[str, Any]  # a VideoResult dict, or {"error": reason}
    transcription: dict[str, Any]


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["request"] = json.loads(data["request"])
    data["result"] = None if data["result"] is None else json.loads(data["result"])
    return Job(**data)


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._closed = False
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosed
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._closed:
                raise StoreClosed
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()

    # -- jobs -------------------------------------------------------------------

    def add_job(self, job_id: str, owner: str, api: str, request: dict[str, Any], upload_dir: str | None,
                expires: float | None) -> Job:
        now = time.time()
        with self._tx() as db:
            db.execute("INSERT INTO jobs (id, owner, api, status, created, updated, expires, request, upload_dir)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, owner, api, QUEUED, now, now, expires, json.dumps(request), upload_dir))
        job = self.job(job_id)
        assert job is not None
        return job

    def job(self, job_id: str, owner: str | None = None, api: str | None = None) -> Job | None:
        """The job ``job_id`` if ``owner`` (and ``api``) match; None otherwise, as if it did not exist."""
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            return None
        job = _job(rows[0])
        if (owner is not None and job.owner != owner) or (api is not None and job.api != api):
            return None
        return job

    def jobs(self, owner: str, api: str, limit: int = 100) -> list[Job]:
        rows = self._rows("SELECT * FROM jobs WHERE owner = ? AND api = ? ORDER BY created DESC LIMIT ?", (owner, api, limit))
        return [_job(r) for r in rows]

    def with_status(self, *statuses: str) -> list[Job]:
        marks = ",".join("?" * len(statuses))
        return [_job(r) for r in self._rows(f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created", statuses)]

    def start(self, job_id: str) -> bool:
        """queued -> running; False when the job is no longer queued (deleted, or failed meanwhile)."""
        now = time.time()
        with self._tx() as db:
            cur = db.execute("UPDATE jobs SET status = ?, started = ?, updated = ? WHERE id = ? AND status = ?",
                             (RUNNING, now, now, job_id, QUEUED))
        return cur.rowcount == 1

    def progress(self, job_id: str, value: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET progress = ?, updated = ? WHERE id = ? AND status = ?", (value, time.time(), job_id, RUNNING))

    def finish(self, job_id: str, status: str, *, result: Any = None, error: str | None = None,
               expires: float | None = None, only_if: str | None = RUNNING) -> bool:
        now = time.time()
        sql = "UPDATE jobs SET status = ?, result = ?, error = ?, finished = ?, updated = ?, progress = ?"
        args: list[Any] = [status, None if result is None else json.dumps(result), error, now, now,
                           100.0 if status == SUCCEEDED else None]
        if status != SUCCEEDED:
            sql = sql.replace(", progress = ?", "")
            args.pop()
        if expires is not None:
            sql += ", expires = ?"
            args.append(expires)
        sql += " WHERE id = ?"
        args.append(job_id)
        if only_if is not None:
            sql += " AND status = ?"
            args.append(only_if)
        with self._tx() as db:
            cur = db.execute(sql, args)
        return cur.rowcount == 1

    def requeue(self, job_id: str) -> None:
        """A running job back to queued, to run again from its saved upload (SIGTERM checkpoint)."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status = ?, started = NULL, progress = 0, updated = ? WHERE id = ? AND status = ?",
                       (QUEUED, time.time(), job_id, RUNNING))

    def active_count(self, owner: str) -> int:
        return int(self._rows("SELECT COUNT(*) FROM jobs WHERE owner = ? AND status IN (?, ?)", (owner, *ACTIVE))[0][0])

    def expired_jobs(self, now: float) -> list[Job]:
        return [_job(r) for r in self._rows("SELECT * FROM jobs WHERE expires IS NOT NULL AND expires <= ? AND status NOT IN (?, ?)",
                                             (now, *ACTIVE))]

    def delete_job(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def finished_uploads(self, before: float) -> list[Job]:
        """Ended jobs whose upload is still on disk and ended before ``before``."""
        rows = self._rows("SELECT * FROM jobs WHERE upload_dir IS NOT NULL AND status NOT IN (?, ?) AND finished <= ?",
                          (*ACTIVE, before))
        return [_job(r) for r in rows]

    def forget_upload(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET upload_dir = NULL WHERE id = ?", (job_id,))

    # -- indexes and videos ---------------------------------------------------------

    def index(self, owner: str, index_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM indexes WHERE owner = ? AND id = ?", (owner, index_id))
        return dict(rows[0]) if rows else None

    def index_by_name(self, owner: str, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM indexes WHERE owner = ? AND name = ?", (owner, name))
        return dict(rows[0]) if rows else None

    def add_index(self, owner: str, index_id: str, name: str, expires: float | None) -> dict[str, Any]:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO indexes (owner, id, name, created, expires) VALUES (?, ?, ?, ?, ?)",
                       (owner, index_id, name, time.time(), expires))
        found = self.index(owner, index_id)
        assert found is not None
        return found

    def indexes(self, owner: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT i.*, (SELECT COUNT(*) FROM videos v WHERE v.owner = i.owner AND v.index_id = i.id) AS video_count"
                          " FROM indexes i WHERE owner = ? ORDER BY created", (owner,))
        return [dict(r) for r in rows]

    def add_video(self, video: Video, expires: float | None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO videos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (video.id, video.owner, video.index_id, video.task_id, video.created, expires,
                        json.dumps(video.metadata), json.dumps(video.text_in_video), json.dumps(video.transcription)))

    def video(self, owner: str, index_id: str, video_id: str) -> Video | None:
        rows = self._rows("SELECT * FROM videos WHERE id = ? AND owner = ? AND index_id = ?", (video_id, owner, index_id))
        if not rows:
            return None
        data = dict(rows[0])
        data.pop("expires")
        for key in ("metadata", "text_in_video", "transcription"):
            data[key] = json.loads(data[key])
        return Video(**data)

    def delete_expired_records(self, now: float) -> int:
        with self._tx() as db:
            a = db.execute("DELETE FROM videos WHERE expires IS NOT NULL AND expires <= ?", (now,)).rowcount
            b = db.execute("DELETE FROM indexes WHERE expires IS NOT NULL AND expires <= ?"
                           " AND NOT EXISTS (SELECT 1 FROM videos v WHERE v.owner = indexes.owner AND v.index_id = indexes.id)",
                           (now,)).rowcount
        return int(a) + int(b)
