"""Where the chains run for the job pool: in worker processes (``isolation = "process"``, the default) or in
the pool's own threads (``"thread"``).

Why processes: OCR and decoding spend much of their time in Python, holding the GIL; in threads they
slow the event loop that answers status polls. Worker processes, started once (``spawn``) with their
own :class:`framescribe.Framescribe` built from the same config and plugins, at a lower CPU priority,
leave the server process free to answer. A backend that crashes its process fails that one job; the
next job gets a fresh process. Progress inside one chain call is not reported across processes; jobs
report it between calls.

Either way the chains are called through the facade's public methods only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from framescribe import Framescribe
from framescribe.config import Config

from .jobs import WORKER_NICE, JobFailed

CAPABILITIES = ("video_text", "transcribe", "image_ocr")
_fs: Framescribe | None = None  # the worker process's own facade


def _start_worker(config: Config, plugins: tuple[str, ...], use_cache: bool, server: int) -> None:
    global _fs
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle: it lets running jobs finish
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)
    # The server's pid comes from the server: asked here, a server killed while this worker started would already
    # have been replaced as parent, and the watch would wait on the wrong process.
    threading.Thread(target=_exit_with_parent, args=(server,), name="parent-watch", daemon=True).start()
    _fs = Framescribe(config, plugins=plugins, use_cache=use_cache)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the server is gone (killed with -9, crashed): nobody would read its answer, and a
    worker blocked on the pool's pipe would otherwise wait for ever, holding its memory and models."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _call(capability: str, media: str, kwargs: dict[str, Any]) -> Any:
    assert _fs is not None
    return getattr(_fs, capability)(media, **kwargs)


class Chains:
    def __init__(self, fs: Framescribe, *, processes: int, plugins: Sequence[str] = (), use_cache: bool = True) -> None:
        """``processes`` = 0: run in the calling thread; otherwise a pool of that many worker processes."""
        self.fs = fs
        self.processes = processes
        self._initargs = (fs.config, tuple(plugins), use_cache, os.getpid())
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:  # the server is stopping: its jobs were checkpointed, no new process starts
                raise JobFailed("the server is stopping", "server_stopped")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=self._initargs)
            return self._pool

    def call(self, capability: str, media: Path, progress: Callable[..., None] | None = None, **kwargs: Any) -> Any:
        """``Framescribe.<capability>(media, **kwargs)``, here or in a worker process."""
        assert capability in CAPABILITIES
        if not self.processes:
            return getattr(self.fs, capability)(media, progress=progress, **kwargs)
        for _ in range(2):
            pool = self._executor()
            try:
                return pool.submit(_call, capability, str(media), kwargs).result()
            except BrokenProcessPool:
                # One crash breaks the whole pool: every job in it sees this. Each gets one more try on a fresh
                # pool, so only a file that crashes its process twice fails.
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        raise JobFailed(f"the process reading {media.name} crashed twice (a backend failed hard); other jobs go on",
                        "backend_crashed")

    def close(self) -> None:
        """Stop the worker processes now (the job pool has waited for what it would wait for)."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._closed = True
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
