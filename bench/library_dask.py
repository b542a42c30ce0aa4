"""Where a Dask worker's time goes on small files: the library bench's files, one Dask worker against ``-j 1``.

    python bench/library_dask.py --turns 12

The variants take turns; each turn's time is divided by the same turn's
``index -j 1`` (``Library.index`` in this process), and the table gives the
median and quartiles of those per-turn ratios, which a shared machine's load
moves far less than the times themselves:

* all the files as one Dask task (``index_batch`` over the whole set): what
  running inside a worker costs by itself, with one hand-off for everything;
* ``Library.index`` on Dask with one file per task, and batched (the default);

each on a one-worker LocalCluster with Dask's default worker config and on one
with its statistical profiler off. Then the CPU seconds of the client process
and of the worker process for ``-j 1`` and batched Dask: whether Dask adds
work, or only waiting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))

from library import PROFILE, make_index_set, settle
from tables import markdown, save

from framescribe.library import Library, batches
from framescribe.library.work import Setup, Task, index_batch
from framescribe.types import CAPABILITIES

OUT = Path(__file__).parent / "out"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=14)
    ap.add_argument("--turns", type=int, default=12)
    args = ap.parse_args()
    import dask
    import distributed

    tmp = Path(tempfile.mkdtemp(prefix="fs-lib-dask-"))
    folder = tmp / "media"
    make_index_set(folder, args.files)
    os.environ["FRAMESCRIBE_PLUGINS"] = "tesseract"
    tasks = tuple(Task(str(p), CAPABILITIES, Setup(use_cache=False)) for p in sorted(folder.iterdir()))

    def library_run(**kw: object) -> None:
        for f in tmp.glob("lib.sqlite3*"):
            f.unlink()
        with Library(tmp / "lib.sqlite3") as lib:
            s = lib.index([folder], use_cache=False, **kw)  # type: ignore[arg-type]
            assert s.indexed == args.files and not s.failed, s.to_dict()

    def one_file_per_task(client: object) -> None:
        with mock.patch.object(batches, "MAX_BATCH", 1):  # take_batch then sends every file alone
            library_run(executor="dask", dask_client=client)

    clients = {}
    for name, config in (("default config", {}), ("profiler off", {PROFILE: False})):
        with dask.config.set(config):
            cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address=None)
        clients[name] = distributed.Client(cluster)
    variants: dict[str, Callable[[], None]] = {"index -j 1": lambda: library_run(jobs=1)}
    for name, c in clients.items():
        variants[f"{name}: all files as one task"] = lambda c=c: c.submit(index_batch, tasks, pure=False).result()
        variants[f"{name}: index, one file per task"] = lambda c=c: one_file_per_task(c)
        variants[f"{name}: index, batched (default)"] = lambda c=c: library_run(executor="dask", dask_client=c)
    for fn in variants.values():  # every worker warm (models loaded) before anything is timed
        fn()
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.turns):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            settle()
    rows = []
    for name, t in times.items():
        ratios = [a / b for a, b in zip(t, times["index -j 1"], strict=True)]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        rows.append([name, round(statistics.median(t), 3), f"{statistics.median(ratios):.3f}x", f"{q1:.3f}-{q3:.3f}"])

    cpu_rows = []
    client = clients["default config"]
    for name, fn in (("index -j 1", variants["index -j 1"]),
                     ("Dask, batched", variants["default config: index, batched (default)"])):
        client_cpu, worker_cpu = [], []
        for _ in range(max(3, args.turns // 2)):
            (w0,) = client.run(time.process_time).values()
            c0 = time.process_time()
            fn()
            client_cpu.append(time.process_time() - c0)
            (w1,) = client.run(time.process_time).values()
            worker_cpu.append(w1 - w0)
        cpu_rows.append([name, round(statistics.median(client_cpu), 3), round(statistics.median(worker_cpu), 3)])
    for c in clients.values():
        c.close()
    text = (f"{args.files} files, Tesseract, no cache, {args.turns} turns; load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores.\n\n"
            + markdown(["how", "median s", "per-turn ratio to -j 1 (median)", "quartiles"], rows) + "\n"
            + "CPU seconds per run (median; the worker's includes its idle event loop):\n\n"
            + markdown(["how", "client process CPU s", "worker process CPU s"], cpu_rows))
    print(text)
    save(OUT / "library_dask.md", "Library: a Dask worker against -j 1 on small files", text)


if __name__ == "__main__":
    main()
