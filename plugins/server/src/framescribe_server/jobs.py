"""The bounded job pool: ``workers`` daemon threads run the chains; HTTP handlers only queue and read records.

Per-key limits: a key may have at most ``max_jobs_per_key`` queued + running
jobs; :meth:`JobPool.reserve` says no (the handler answers 429) rather than
letting one client fill the queue.

Lifecycle of a job across restarts (the records are in SQLite):

* queued when the server stopped -> queued again at the next start (its upload is on disk);
* running when SIGTERM came -> given ``shutdown_grace`` seconds to finish; if it
  does not, it is put back to queued (checkpoint) and runs again at the next start;
* running when the server died (kill -9, a crash, power) -> ``failed`` at the next
  start, with the reason "the server stopped while this job ran" (it may have
  been what crashed the server, so it is not run again on its own).

The worker threads are daemons so a stuck backend cannot hold the process
after the grace period.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from framescribe import BackendError, BadInput, FramescribeError, NoBackendAnswered

from .store import FAILED, QUEUED, RUNNING, SUCCEEDED, Job, Store, StoreClosed

log = logging.getLogger("framescribe.server")
WORKER_NICE = 5
DIED = "the server stopped while this job ran (killed or crashed); submit it again"
# A runner does the work of one job: returns the result (JSON-able), raises JobFailed or a FramescribeError.
Runner = Callable[[Job, Callable[[float], None]], Any]
Done = Callable[[Job], None]


class JobFailed(Exception):
    """A job that failed for a reason its API reports with a code (e.g. ``video_file_broken``)."""

    def __init__(self, message: str, code: str = "job_failed") -> None:
        super().__init__(message)
        self.code = code


def failure_code(exc: BaseException) -> str:
    if isinstance(exc, JobFailed):
        return exc.code
    if isinstance(exc, BadInput):
        return "invalid_input"
    if isinstance(exc, NoBackendAnswered):
        return "no_backend"
    if isinstance(exc, BackendError):
        return "backend_error"
    return "internal_error"


def _lower_priority() -> None:
    """Run the chains at a lower CPU priority than the event loop, so status polls stay fast when every
    core is reading images. On Linux a thread is a task with its own nice value, inherited by the
    threads it starts (an engine's own workers); elsewhere this does nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE)


class JobPool:
    def __init__(self, store: Store, workers: int, max_per_key: int, runners: dict[str, Runner],
                 expires_after: Callable[[Job], float | None], scrub: Callable[[str], str] = lambda s: s,
                 ended: Done | None = None) -> None:
        self.store = store
        self.ended = ended  # called with each job that reached succeeded/failed (uploads are cleaned up there)
        self.scrub = scrub  # server paths out of error messages
        self.workers = workers
        self.max_per_key = max_per_key
        self.runners = runners
        self.expires_after = expires_after
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}  # owner -> queued + running jobs
        self._owner_of: dict[str, str] = {}
        self._running: set[str] = set()
        self._done_callbacks: dict[str, list[Done]] = {}
        self._idle = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self.accepting = True
        self._stopping = False

    # -- start and stop -----------------------------------------------------------

    def start(self) -> dict[str, int]:
        """Recover the records of the last run, then start the workers. Returns what was recovered."""
        died = 0
        for job in self.store.with_status(RUNNING):
            self.store.finish(job.id, FAILED, error=DIED, result={"code": "server_stopped"}, expires=self.expires_after(job))
            died += 1
        requeued = 0
        for job in self.store.with_status(QUEUED):
            self._enqueue(job.owner, job.id)
            requeued += 1
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"framescribe-job-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if died or requeued:
            log.warning("server: %d queued job(s) resumed; %d job(s) that were running when the server died marked failed",
                        requeued, died)
        return {"requeued": requeued, "failed": died}

    def stop(self, grace: float) -> dict[str, int]:
        """Stop taking jobs; let running ones finish within ``grace`` s; put the rest back to queued."""
        with self._lock:
            self.accepting = False
            self._stopping = True
            deadline = time.monotonic() + grace
            while self._running and time.monotonic() < deadline:
                self._idle.wait(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
            left = set(self._running)
        for job_id in left:
            self.store.requeue(job_id)
        for _ in self._threads:
            self._queue.put(None)
        if left:
            log.warning("server: %d job(s) still running after %g s put back in the queue; they run again at the next start",
                        len(left), grace)
        return {"checkpointed": len(left)}

    # -- submitting -----------------------------------------------------------------

    def reserve(self, owner: str) -> bool:
        """Count a new job for ``owner`` if it is under its limit (and the pool takes work)."""
        with self._lock:
            if not self.accepting or self._active.get(owner, 0) >= self.max_per_key:
                return False
            self._active[owner] = self._active.get(owner, 0) + 1
            return True

    def release(self, owner: str) -> None:
        with self._lock:
            self._release(owner)

    def _release(self, owner: str) -> None:
        left = self._active.get(owner, 0) - 1
        if left > 0:
            self._active[owner] = left
        else:
            self._active.pop(owner, None)

    def submit(self, job: Job, on_done: Done | None = None) -> None:
        """Queue a job whose slot :meth:`reserve` gave."""
        with self._lock:
            self._owner_of[job.id] = job.owner
            if on_done is not None:
                self._done_callbacks.setdefault(job.id, []).append(on_done)
        self._queue.put(job.id)

    def _enqueue(self, owner: str, job_id: str) -> None:
        with self._lock:
            self._active[owner] = self._active.get(owner, 0) + 1
            self._owner_of[job_id] = owner
        self._queue.put(job_id)

    def queued(self) -> int:
        return self._queue.qsize()

    # -- working ---------------------------------------------------------------------

    def _work(self) -> None:
        _lower_priority()
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                if self._stopping:  # left queued in the store: the next start runs it
                    continue
                self._running.add(job_id)
            try:
                self._run(job_id)
                self._free_slot(job_id)  # before anyone can read "succeeded" and send the next job
                self._ended(job_id)
            except StoreClosed:  # stop() gave up waiting for this job and the server is gone: its record says queued
                return
            finally:
                with self._lock:
                    # Only now is the job no longer running: stop() waits for this, so the store stays open
                    # for the end callbacks.
                    self._running.discard(job_id)
                    self._done_callbacks.pop(job_id, None)
                    self._idle.notify_all()
                self._free_slot(job_id)

    def _free_slot(self, job_id: str) -> None:
        with self._lock:
            owner = self._owner_of.pop(job_id, None)
            if owner is not None:
                self._release(owner)

    def _ended(self, job_id: str) -> None:
        with self._lock:
            callbacks = list(self._done_callbacks.get(job_id, []))
        final = self.store.job(job_id)
        if final is None or final.status not in (SUCCEEDED, FAILED):  # a job checkpointed by stop()
            return
        if self.ended is not None:
            self.ended(final)
        for callback in callbacks:
            callback(final)

    def _run(self, job_id: str) -> None:
        if not self.store.start(job_id):
            return
        job = self.store.job(job_id)
        if job is None:
            return
        last = [0.0]

        def progress(value: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2:  # a record write per update would cost more than the work it reports
                last[0] = now
                self.store.progress(job_id, max(0.0, min(99.0, value)))

        started = time.monotonic()
        try:
            result = self.runners[job.api](job, progress)
        except (FramescribeError, JobFailed) as exc:
            message = self.scrub(exc.message if isinstance(exc, FramescribeError) else str(exc))
            log.info("server: job %s (%s) failed: %s", job_id, job.api, message)
            self.store.finish(job_id, FAILED, error=message, result={"code": failure_code(exc)}, expires=self.expires_after(job))
            return
        except Exception as exc:  # a bug or a crashed backend: the job fails, the server lives on
            log.exception("server: job %s (%s) crashed", job_id, job.api)
            self.store.finish(job_id, FAILED, error=f"internal error: {type(exc).__name__}", result={"code": "internal_error"},
                              expires=self.expires_after(job))
            return
        log.info("server: job %s (%s) done in %.2f s", job_id, job.api, time.monotonic() - started)
        self.store.finish(job_id, SUCCEEDED, result=result, expires=self.expires_after(job))
