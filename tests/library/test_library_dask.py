"""The Dask executor on a real cluster: worker processes on loopback, one killed mid-batch."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framescribe.errors import BadInput
from framescribe.library import Library
from framescribe.testing.media import make_text_image

from .conftest import calls

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install 'framescribe[dask]'")
dask = pytest.importorskip("dask")

# The scheduler's HTTP server (health checks) on a free loopback port, not 8787: no clash with another
# cluster running at the same time (the dashboard itself stays off).
NO_FIXED_PORT = {"dashboard_address": "127.0.0.1:0"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # Worker processes take the environment of the moment they start: no entry-point plugins, and a
    # result cache of their own (never the user's). Restored after, so other modules see no change.
    saved = {k: os.environ.get(k) for k in ("FRAMESCRIBE_PLUGINS", "FRAMESCRIBE_CACHE_DIR")}
    os.environ["FRAMESCRIBE_PLUGINS"] = ""
    os.environ["FRAMESCRIBE_CACHE_DIR"] = str(tmp_path_factory.mktemp("dask-cache"))
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, worker_dashboard_address=None,
                                      scheduler_kwargs=NO_FIXED_PORT) as c:
            yield c
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def _setenv(client: Any, **values: str) -> None:
    """Set environment variables in every worker process (a closure, so it travels by value)."""
    client.run(lambda: os.environ.update(values))


def _replaced(client: Any, victim: int) -> None:
    """Wait until the nanny has restarted the killed worker, so the next test meets two settled workers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = set(client.run(os.getpid).values())
        if len(pids) == 2 and victim not in pids:
            return
        time.sleep(0.1)
    raise AssertionError("the killed Dask worker was not restarted within 60 s")


def _images(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        make_text_image(folder / f"page{i:02d}.png", f"PAGE {i}", size=(96, 32))
    return folder


def test_dask_indexes_like_local_and_a_bad_file_is_not_retried(client: Any, media_dir: Path, tmp_path: Path,
                                                               index_kw: dict[str, Any]) -> None:
    _setenv(client, LIB_ECHO_LOG=str(tmp_path / "calls.log"))
    (media_dir / "broken-scan.png").write_bytes(b"\x89PNG broken")
    with Library(tmp_path / "dask.sqlite3") as lib:
        summary = lib.index([media_dir], executor="dask", dask_client=client,
                            **{k: v for k, v in index_kw.items() if k != "jobs"})
        dask_rows = [(Path(r.path).name, r.status, r.backends) for r in lib.media()]
    with Library(tmp_path / "local.sqlite3") as lib:
        lib.index([media_dir], **index_kw)
        local_rows = [(Path(r.path).name, r.status, r.backends) for r in lib.media()]
    assert dask_rows == local_rows
    assert summary.indexed == 6 and {Path(m).name for m, _ in summary.failed} == {"broken.mp4", "broken-scan.png"}
    tried = Counter(line for line in calls(tmp_path) if "broken-scan" in line)
    assert list(tried.values()) == [2]  # once on Dask, once locally: bad input is never retried


def _index_killing_a_worker(client: Any, folder: Path, tmp_path: Path, index_kw: dict[str, Any], *, delay: str,
                            after: int) -> tuple[Any, list[tuple[str, int]], Counter[str]]:
    """Index ``folder`` on the cluster, killing a busy worker once ``after`` files are done.

    Returns the summary, (path, segments) per file in the library, and how many times each file started.
    No result cache: the tests' pages repeat, and every file must really run.
    """
    log = tmp_path / "calls.log"
    _setenv(client, LIB_ECHO_LOG=str(log), LIB_ECHO_DELAY=delay)
    pids = client.run(os.getpid)
    killed: list[int] = []

    def progress(done: int, total: int, path: str, skipped: bool) -> None:
        if done >= after and not killed:
            busy = [address for address, keys in client.processing().items() if keys]
            victim = pids[busy[0]]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    try:
        with Library(tmp_path / "lib.sqlite3") as lib:
            summary = lib.index([folder], executor="dask", dask_client=client, progress=progress, use_cache=False,
                                **{k: v for k, v in index_kw.items() if k != "jobs"})
            rows = lib.store.conn.execute(
                "SELECT m.path, count(s.id) FROM media m LEFT JOIN segments s ON s.media_id = m.id GROUP BY m.path"
            ).fetchall()
    finally:
        _setenv(client, LIB_ECHO_DELAY="0")
    assert killed
    _replaced(client, killed[0])
    return summary, rows, Counter(line.split()[1] for line in log.read_text().splitlines())


def test_a_worker_killed_mid_batch_loses_nothing_and_writes_nothing_twice(
        client: Any, tmp_path: Path, index_kw: dict[str, Any]) -> None:
    folder = _images(tmp_path / "many", 12)
    # After the first file, a worker busy with the next ones (0.4 s each: too long to be sent in batches).
    summary, rows, started = _index_killing_a_worker(client, folder, tmp_path, index_kw, delay="0.4", after=1)
    assert summary.failed == [] and summary.indexed == 12
    assert len(rows) == 12 and all(n == 1 for _, n in rows)  # each file once, with its one page
    assert set(started) == {str(p) for p in folder.iterdir()}
    # The killed worker's file started twice (there, then elsewhere) but was written once.
    assert max(started.values()) >= 2


def test_small_files_travel_in_batches_and_a_batch_killed_with_its_worker_is_done_once(
        client: Any, tmp_path: Path, index_kw: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    folder = _images(tmp_path / "many", 20)
    caplog.set_level(logging.DEBUG, logger="framescribe.library")
    # Once the first files (sent alone, to learn how long a file takes) are back, batches are out.
    summary, rows, started = _index_killing_a_worker(client, folder, tmp_path, index_kw, delay="0.05", after=4)
    sizes = [int(m.split()[1]) for m in caplog.messages if m.startswith("sent ")]
    # Batches went out, each file once from the client: the scheduler itself sent the lost batch elsewhere.
    assert max(sizes) > 1 and sum(sizes) == 20
    assert summary.failed == [] and summary.indexed == 20
    assert len(rows) == 20 and all(n == 1 for _, n in rows)
    assert set(started) == {str(p) for p in folder.iterdir()} and max(started.values()) >= 2


def test_an_unreachable_scheduler_is_a_clear_usage_error(tmp_path: Path, index_kw: dict[str, Any]) -> None:
    with Library(tmp_path / "lib.sqlite3") as lib, pytest.raises(BadInput, match="cannot reach the Dask scheduler"):
        lib.index([tmp_path], executor="dask", scheduler="tcp://127.0.0.1:1",
                  **{k: v for k, v in index_kw.items() if k != "jobs"})


def test_a_file_that_kills_every_worker_fails_alone_and_its_batch_mates_are_indexed(
        tmp_path: Path, index_kw: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A cluster of its own: one worker, and a task lost with one worker is given up at once (allowed-failures
    # 0), so the files of the batch that dies are at once tried again, each alone. The nanny starts each
    # worker with this process's environment, so a restarted worker crashes on the same file.
    folder = _images(tmp_path / "many", 4)
    (folder / "zz-poison.png").write_bytes((folder / "page00.png").read_bytes())
    monkeypatch.setenv("LIB_ECHO_CRASH", "poison")
    caplog.set_level(logging.DEBUG, logger="framescribe.library")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None, worker_dashboard_address=None,
                                     scheduler_kwargs=NO_FIXED_PORT) as cluster, \
            distributed.Client(cluster) as client, Library(tmp_path / "lib.sqlite3") as lib:
        summary = lib.index([folder], executor="dask", dask_client=client, use_cache=False,
                            **{k: v for k, v in index_kw.items() if k != "jobs"})
        indexed = {Path(r.path).name for r in lib.media(status="ok")}
    assert indexed == {f"page{i:02d}.png" for i in range(4)} and summary.indexed == 4
    [(media, error)] = summary.failed
    assert Path(media).name == "zz-poison.png" and "Dask lost every worker that tried this file" in error
    started = Counter(Path(line.split()[1]).name for line in calls(tmp_path))
    assert started["zz-poison.png"] == 2  # in its batch, then alone: never again
    sizes = [int(m.split()[1]) for m in caplog.messages if m.startswith("sent ")]
    assert max(sizes) > 1 and sum(sizes) > 5  # the poison went in a batch, whose files were sent again alone
