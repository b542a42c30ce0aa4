"""Where files are indexed: in this process, in local worker processes, or on a Dask cluster.

An executor takes :class:`~framescribe.library.work.Task` s and yields each
with its :class:`~framescribe.library.work.Outcome` as soon as it is done, in
any order. It never touches the library: the client that iterates it is the
one writer. Tasks are handed out a few at a time (twice the workers; on Dask a
few batches more), so a run over a million files holds only that many in memory.

``dask.distributed`` is imported only when the Dask executor is chosen
(``pip install 'framescribe[dask]'``).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from ..cores import usable_cores
from ..errors import BadInput, MissingDependency
from .batches import MAX_BATCH, Rates, take_batch
from .work import Outcome, Setup, Task, index_batch, index_one, warm

log = logging.getLogger("framescribe.library")
INSTALL_DASK = "pip install 'framescribe[dask]'"


class Executor(Protocol):
    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]: ...

    def close(self) -> None: ...


def default_jobs() -> int:
    """One worker per core: indexing is CPU-bound, and the chains' own threads fill what is left."""
    return usable_cores()


DIED_ALONE = ("the worker process indexing it died, and died again when the file was tried alone"
              " (this file crashes the backend or needs more memory than the machine has)")
_BROKEN_POOL_SETTLES = 60.0  # seconds; the pool fails its pending futures at once, this only bounds a surprise


def _failed(task: Task, message: str) -> Outcome:
    return Outcome(task.path, "unknown", errors=[message])


class LocalExecutor:
    """``jobs`` worker processes (started with ``spawn``); ``jobs=1`` runs in this process."""

    def __init__(self, jobs: int, setup: Setup) -> None:
        if jobs < 1:
            raise BadInput(f"-j {jobs}: the number of workers must be at least 1")
        self.jobs = jobs
        self.setup = setup
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the chains run threads (Tesseract readers) a forked child would inherit half-held.
        return ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=warm, initargs=(self.setup,))

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        """Outcomes as files finish. A worker process that dies takes every file in flight with it (which one
        killed it is unknown): each is tried once more on a fresh pool, alone, so a file that kills its worker
        again is known for sure and recorded failed, and the others are indexed."""
        if self.jobs == 1:
            for task in tasks:
                yield task, index_one(task)
            return
        pending: dict[Future[Outcome], Task] = {}
        suspects: deque[Task] = deque()  # in flight when a worker died: retried one at a time
        retried: set[str] = set()
        queue = iter(tasks)
        self._pool = self._new_pool()
        exhausted = False

        def send(task: Task) -> None:
            assert self._pool is not None
            try:
                pending[self._pool.submit(index_one, task)] = task
            except BrokenProcessPool:  # a worker died since the last wait: this file is lost with the others
                retried.discard(task.path)  # without having run: it is owed its one try alone
                lost: Future[Outcome] = Future()
                lost.set_exception(BrokenProcessPool("the pool broke before this file was sent"))
                pending[lost] = task

        while True:
            if suspects:
                if not pending:
                    task = suspects.popleft()
                    retried.add(task.path)
                    send(task)
            else:
                while not exhausted and len(pending) < 2 * self.jobs:
                    nxt = next(queue, None)
                    if nxt is None:
                        exhausted = True
                        break
                    send(nxt)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            if not any(isinstance(fut.exception(), BrokenProcessPool) for fut in done):
                for fut in done:
                    yield pending.pop(fut), fut.result()
                continue
            # The pool is broken: every future still pending fails with it at once (a file that finished just
            # before keeps its outcome).
            wait(pending, timeout=_BROKEN_POOL_SETTLES)
            for fut, task in list(pending.items()):
                if fut.done() and fut.exception() is None:
                    yield task, fut.result()
                elif task.path in retried:
                    yield task, _failed(task, DIED_ALONE)
                else:
                    suspects.append(task)
            pending.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Files go to a ``dask.distributed`` cluster as tasks; this process stays the library's only writer.

    Small files travel several to a task (:mod:`~framescribe.library.batches`),
    each with its own outcome. A worker lost mid-task has its tasks rescheduled
    by the scheduler on another worker (up to the scheduler's
    ``allowed-failures``); the outcomes of a task arrive here once, from
    whichever worker finished it, so no file is written twice. When the
    scheduler gives a task up (``KilledWorker``), its files are tried once more,
    one at a time with none of the run's other files in flight, so only a file
    that kills its workers alone too fails, not the files that shared its task
    or its worker. A bad file is an outcome, not an exception, so it is never
    retried.
    """

    def __init__(self, setup: Setup, scheduler: str | None = None, client: Any = None) -> None:
        try:
            import distributed
        except ImportError:
            raise MissingDependency("the Dask executor needs dask.distributed", hint=INSTALL_DASK) from None
        self.setup = setup
        self._distributed = distributed
        self._own_client = client is None
        if client is None:
            if not scheduler:
                raise BadInput("--executor dask needs a scheduler address",
                               hint="--scheduler tcp://HOST:8786, or scheduler = \"tcp://...\" under [library] in the config")
            try:
                client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise BadInput(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                               hint="start one with `dask scheduler`, and workers with `dask worker ADDRESS`") from None
        self.client = client

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        distributed = self._distributed
        pending: dict[Any, tuple[Task, ...]] = {}
        completed = distributed.as_completed()
        queue = iter(tasks)
        # Files taken from ``tasks`` but not sent yet: enough to fill every slot with a full batch, and to see
        # the end of the run coming, so the last files are shared out among the workers rather than batched.
        ahead: deque[Task] = deque()
        exhausted = False
        threads = sum(self.client.nthreads().values())  # once per run: not a scheduler round trip per file
        slots = max(2, 2 * threads)
        rates = Rates()
        suspects: deque[Task] = deque()  # lost with workers that died: tried again one at a time
        alone: set[str] = set()

        def submit(batch: tuple[Task, ...]) -> None:
            # pure=False: a task runs again only when its worker was lost, never because a key repeats.
            fut = self.client.submit(index_batch, batch, pure=False, retries=0)
            log.debug("sent %d file(s) to Dask, from %s", len(batch), batch[0].path)
            pending[fut] = batch
            completed.add(fut)

        def refill() -> None:
            nonlocal exhausted
            if suspects:
                if not pending:  # alone: none of this run's other files can be blamed for what happens to it
                    suspect = suspects.popleft()
                    alone.add(suspect.path)
                    submit((suspect,))
                return
            while len(pending) < slots:
                while not exhausted and len(ahead) < slots * MAX_BATCH:
                    task = next(queue, None)
                    if task is None:
                        exhausted = True
                    else:
                        ahead.append(task)
                if not ahead:
                    return
                submit(take_batch(ahead, rates, -(-len(ahead) // max(1, threads)) if exhausted else MAX_BATCH))

        refill()
        for fut in completed:
            batch = pending.pop(fut)
            try:
                outcomes = fut.result()
            except distributed.KilledWorker as exc:
                # Which file killed the workers is unknown (a batch, or a file queued behind the culprit): each
                # is tried once more alone; only one that kills its workers then too fails.
                for task in batch:
                    if task.path in alone:
                        yield task, _failed(task, f"Dask lost every worker that tried this file, alone ({exc})")
                    else:
                        suspects.append(task)
                refill()
                continue
            except Exception as exc:  # the task itself could not run on the worker (e.g. framescribe missing there)
                outcomes = [_failed(task, f"the Dask worker could not run the task: {type(exc).__name__}: {exc}")
                            for task in batch]
            finally:
                fut.release()
            for task, outcome in zip(batch, outcomes, strict=True):
                rates.learn(task, outcome)
                yield task, outcome
            refill()

    def close(self) -> None:
        if self._own_client:
            self.client.close()
