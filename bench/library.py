"""The library benchmark: indexing throughput, search latency, size on disk, client memory.

    python bench/library.py                      # everything (several minutes)
    python bench/library.py --only search --sizes 10000 100000
    python bench/library.py --only index --files 14

* Indexing: a set of mixed files (text videos and text images, real
  Tesseract backends, no result cache) indexed with ``-j 1``, ``-j 2`` and
  a Dask LocalCluster of 1 and 2 worker processes (Dask's default worker
  config; and 1 worker with its profiler off), against running the
  single-file commands one by one (in one process, and as separate CLI
  invocations). Ratios are measured within one run; the machine may be shared.
* Search: libraries of synthetic segments (bench/library_search.py), a
  realistic query mix, p50/p95 with the default bounded ranking and with every
  match ranked; size on disk per media hour (1,000 segments an hour).
* Memory: the client's peak RSS while indexing 1,000 tiny files with two
  worker processes (the echo backend), into an empty library and into one
  already holding 100,000 segments.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from library_search import SEGMENTS_PER_MEDIA, build, measure, query_mix
from tables import markdown, save

from framescribe.library import Library

OUT = Path(__file__).parent / "out"
ECHO = "framescribe.testing.echo_backend"
PROFILE = "distributed.worker.profile.enabled"


def make_index_set(folder: Path, files: int) -> float:
    """Text videos (4-8 s) and text images, alternating; returns the media seconds."""
    from framescribe.testing.media import make_text_image, make_text_video

    folder.mkdir(parents=True, exist_ok=True)
    seconds = 0.0
    words = ["QUARTERLY TARGETS", "BUDGET REVIEW", "HELLO WORLD", "SECOND CARD", "ANNUAL REPORT", "TEAM MEETING"]
    for i in range(files):
        if i % 2 == 0:
            n = 2 + i % 3
            cards = tuple((2.0 * k, 2.0 * k + 2.0, f"{words[(i + k) % len(words)]} {i}") for k in range(n))
            make_text_video(folder / f"video{i:02d}.mp4", cards, size=(640, 360), fps=10)
            seconds += 2.0 * n
        else:
            make_text_image(folder / f"image{i:02d}.png", f"{words[i % len(words)]} {i}", size=(800, 200))
    return seconds


def bench_index(files: int, runs: int) -> str:
    from framescribe import Framescribe

    tmp = Path(tempfile.mkdtemp(prefix="fs-lib-bench-"))
    folder = tmp / "media"
    media_seconds = make_index_set(folder, files)
    paths = sorted(folder.iterdir())
    os.environ["FRAMESCRIBE_PLUGINS"] = "tesseract"
    rows = []
    times: dict[str, list[float]] = {}

    # One Framescribe for every turn, as the indexer keeps one per process: both sides warm after turn 1.
    direct = Framescribe(None, use_cache=False)

    def one_by_one_in_process() -> None:
        for p in paths:
            (direct.video_text if p.suffix == ".mp4" else direct.image_ocr)(p)

    def one_by_one_cli() -> None:
        for p in paths:
            cmd = ["video-text", str(p)] if p.suffix == ".mp4" else ["ocr", str(p)]
            subprocess.run([sys.executable, "-m", "framescribe", *cmd, "--no-cache", "-q"], check=True,
                           stdout=subprocess.DEVNULL)

    def library_run(**kw: object) -> None:
        db = tmp / "lib.sqlite3"
        for f in tmp.glob("lib.sqlite3*"):
            f.unlink()
        with Library(db) as lib:
            s = lib.index([folder], use_cache=False, **kw)  # type: ignore[arg-type]
            assert s.indexed == files and not s.failed, s.to_dict()

    import dask
    import distributed

    # Dask's own defaults, as a user's `dask worker` has them, and one worker with its statistical profiler off
    # (it walks the running task's stack every 10 ms on the worker's event loop, holding the GIL).
    cluster_configs: dict[str, dict[str, object]] = {"1": {}, "2": {}, "1, profiler off": {PROFILE: False}}
    environ = dict(os.environ)
    clusters = {}
    for name, config in cluster_configs.items():
        with dask.config.set(config):
            clusters[name] = distributed.LocalCluster(n_workers=int(name[0]), threads_per_worker=1, processes=True,
                                                      host="127.0.0.1", dashboard_address=None)
    # A nanny sets its workers' variables (MALLOC_TRIM_THRESHOLD_=65536, OMP_NUM_THREADS=1, ...) in its own
    # process, which is this one: the CLI runs and -j 2's processes must not start with them.
    os.environ.clear()
    os.environ.update(environ)
    clients = {n: distributed.Client(c) for n, c in clusters.items()}
    variants = {
        "single-file commands, one process": one_by_one_in_process,
        "single-file CLI, one invocation each": one_by_one_cli,
        "index -j 1": lambda: library_run(jobs=1),
        "index -j 2": lambda: library_run(jobs=2),
        "index, Dask 1 worker": lambda: library_run(executor="dask", dask_client=clients["1"]),
        "index, Dask 2 workers": lambda: library_run(executor="dask", dask_client=clients["2"]),
        "index, Dask 1 worker, profiler off": lambda: library_run(executor="dask", dask_client=clients["1, profiler off"]),
    }
    load_before = os.getloadavg()[0]
    for _ in range(runs):  # the variants take turns, so load on the shared machine hits them alike
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times.setdefault(name, []).append(time.perf_counter() - t0)
            settle()
    direct.close()
    for c in clients.values():
        c.close()
    for c in clusters.values():
        c.close()
    wall = {k: statistics.median(v) for k, v in times.items()}
    base = wall["single-file commands, one process"]
    for name, t in wall.items():
        rows.append([name, round(t, 2), round(media_seconds / t, 2), round(60 * files / t, 1), f"{t / base:.3f}x"])
    ratios = [
        ["index -j 1 / single-file commands in one process", f"{wall['index -j 1'] / base:.3f}x"],
        ["index -j 1 / single-file CLI one by one", f"{wall['index -j 1'] / wall['single-file CLI, one invocation each']:.3f}x"],
        ["Dask 1 worker / index -j 1", f"{wall['index, Dask 1 worker'] / wall['index -j 1']:.3f}x"],
        ["Dask 2 workers / index -j 2", f"{wall['index, Dask 2 workers'] / wall['index -j 2']:.3f}x"],
        ["Dask 1 worker, profiler off / index -j 1",
         f"{wall['index, Dask 1 worker, profiler off'] / wall['index -j 1']:.3f}x"],
    ]
    load = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
    db_size = sum(f.stat().st_size for f in tmp.glob("lib.sqlite3*"))
    shutil.rmtree(tmp, ignore_errors=True)
    return (f"{files} files ({files - files // 2} text videos, {media_seconds:.0f} media seconds; {files // 2} images), "
            f"Tesseract, no cache, median of {runs} turns:\n\n"
            + markdown(["how", "wall s", "media s / wall s", "files / min", "vs one process"], rows) + "\n"
            + markdown(["ratio", "value"], ratios)
            + f"\nDask: LocalCluster(n_workers=1 or 2, threads_per_worker=1, processes=True) with Dask's default "
            f"worker config (statistical profiler on, every 10 ms), and one with {PROFILE}=False. "
            f"Load average: {load}.\nLibrary file after a run: {db_size / 1024:.0f} KiB.\n")


def settle(timeout: float = 30.0) -> None:
    """Wait for worker processes a variant left ending (-j 2's pool is shut down without waiting, as a CLI
    run should): their interpreters' teardown must not run during the next variant's turn. The Dask
    clusters' worker processes are children too, and stay."""
    import multiprocessing

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(not _is_dask(p) for p in multiprocessing.active_children()):
        time.sleep(0.02)


def _is_dask(process: object) -> bool:
    return "Dask" in getattr(process, "name", "")


def bench_search(sizes: list[int], queries: int) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="fs-lib-search-"))
    mix = query_mix(queries)
    rows = []
    sizes_rows = []
    for n in sizes:
        db = tmp / f"lib{n}.sqlite3"
        t0 = time.perf_counter()
        build(db, n)
        built = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in tmp.glob(f"lib{n}.sqlite3*"))
        hours = n / SEGMENTS_PER_MEDIA
        sizes_rows.append([n, round(size / 1e6, 1), round(size / 1e6 / hours, 3), round(built, 1)])
        for label, cand in (("bounded (default)", None), ("every match ranked", 0)):
            kw: dict[str, object] = {} if cand is None else {"candidates": cand}
            measure(db, mix[:20], **kw)  # warm the page cache
            t = measure(db, mix, **kw)
            c = measure(db, mix, cpu=True, **kw)
            every = sorted(x for v in t.values() for x in v)
            every_cpu = sorted(x for v in c.values() for x in v)
            worst = max(t, key=lambda k: _p(t[k], 95))
            rows.append([n, label, round(_p(every, 50), 2), round(_p(every, 95), 2), round(every[-1], 1),
                         round(_p(every_cpu, 50), 2), round(_p(every_cpu, 95), 2), f"{worst} ({_p(t[worst], 95):.1f})"])
        for f in tmp.glob(f"lib{n}.sqlite3*"):
            f.unlink()
    shutil.rmtree(tmp, ignore_errors=True)
    kinds = ", ".join(sorted({k for k, _ in mix}))
    return (f"{queries} queries ({kinds}), limit 20, with snippets:\n\n"
            + markdown(["segments", "ranking", "p50 ms", "p95 ms", "max ms", "CPU p50 ms", "CPU p95 ms",
                        "slowest kind by p95 (ms)"], rows)
            + f"\nLoad average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n\n"
            + markdown(["segments", "MB on disk", "MB per media hour", "build s"], sizes_rows))


def _p(values: list[float], pct: int) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * pct / 100))]


def memory_run(files: int, library: str) -> None:
    """Child process: index ``files`` tiny images with 2 workers, print the client's peak RSS in MB."""
    os.environ["FRAMESCRIBE_PLUGINS"] = ""
    cfg = Path(library).with_suffix(".toml")
    cfg.write_text('[capabilities]\nvideo_text = ["lib-echo"]\ntranscribe = ["lib-echo"]\nimage_ocr = ["lib-echo"]\n')
    folder = Path(library).parent / f"tiny{files}"
    with Library(library) as lib:
        s = lib.index([folder], config=cfg, plugins=[ECHO], jobs=2, use_cache=False)
    assert s.indexed == files, s.to_dict()
    print(json.dumps({"maxrss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the
    parent across fork+exec, so a child started by a big benchmark process would report the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_memory() -> str:
    tmp = Path(tempfile.mkdtemp(prefix="fs-lib-mem-"))
    from framescribe.testing.media import make_text_image

    make_text_image(tmp / "seed.png", "TINY", size=(64, 24))
    seed = (tmp / "seed.png").read_bytes()
    for n in (250, 1000):
        (tmp / f"tiny{n}").mkdir()
        for i in range(n):
            (tmp / f"tiny{n}" / f"t{i:04d}.png").write_bytes(seed + i.to_bytes(4, "big"))  # distinct content
    rows = []
    for label, n, prefill in (("empty library", 250, 0), ("empty library", 1000, 0),
                              ("library of 100,000 segments", 1000, 100_000)):
        db = tmp / f"mem-{n}-{prefill}.sqlite3"
        if prefill:
            build(db, prefill)
        out = subprocess.run([sys.executable, __file__, "--memory-run", str(n), str(db)], check=True,
                             capture_output=True, text=True).stdout
        rows.append([label, n, round(json.loads(out.splitlines()[-1])["maxrss_mb"], 1)])
    shutil.rmtree(tmp, ignore_errors=True)
    return ("Client peak RSS (VmHWM of the client process; files indexed by 2 worker processes, echo backend):\n\n"
            + markdown(["into", "files", "client peak MB"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["index", "search", "memory"], action="append")
    ap.add_argument("--files", type=int, default=14, help="files in the indexing set (>= 12)")
    ap.add_argument("--runs", type=int, default=3, help="turns of the indexing variants")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--memory-run", nargs=2, metavar=("FILES", "LIBRARY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_run:
        memory_run(int(args.memory_run[0]), args.memory_run[1])
        return
    parts = []
    only = set(args.only or ["index", "search", "memory"])
    if "index" in only:
        parts.append("### Indexing\n\n" + bench_index(args.files, args.runs))
        print(parts[-1])
    if "search" in only:
        parts.append("### Search\n\n" + bench_search(args.sizes, args.queries))
        print(parts[-1])
    if "memory" in only:
        parts.append("### Client memory\n\n" + bench_memory())
        print(parts[-1])
    save(OUT / "library.md", "Library: indexing, search, size, memory", "\n".join(parts))


if __name__ == "__main__":
    main()
