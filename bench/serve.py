"""``framescribe serve`` under load: its overhead over ``framescribe ocr``, status polls under load, memory of a big upload.

    python bench/serve.py                    # 32 images, 16 clients, 1 GB upload
    python bench/serve.py --images 64 --runs 3 --upload-mb 256

1. Throughput. The same images are read by ``framescribe ocr IMAGES -j CORES`` (one process, the
   plain alternative) and by a ``framescribe serve`` with ``workers = CORES``, both on the tesseract
   backend with no cache, to which 16 client threads submit ImageHQ jobs (``POST /v1/ocr``) and poll
   each job (``GET /v1/jobs/{id}`` every 200 ms) until it succeeds. The images are bench/image_ocr.py's
   (scans, an A4 page, a receipt, a slide, a subtitle frame), in turn. Overhead = server time / CLI time - 1
   (the target: at most 10 %). ``framescribe ocr`` pays its process start-up (imports, plugins) in
   every run; the strict baseline is the same work done in process, warm (``Framescribe.image_ocr`` on
   a pool of CORES threads, which is the CLI's own loop). They take turns when ``--runs`` > 1; medians.
2. Status polls. Every poll of step 1 is timed at the client: the p50/p95/max latency while all workers
   are busy (target: p95 at most 20 ms); then 200 polls of a finished job with nothing running, the
   floor this machine gives.
3. Memory. A ``--upload-mb`` body is streamed (a generator: the client holds none of it) to
   ``POST /tasks``; the server's resident memory is sampled every 50 ms before, during and after.
   Flat means the peak during the upload is within a few MB of the level before it.

The machine may be shared: the numbers are ratios measured in one run, with the CPU count printed.
Writes bench/out/serve.md too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
import tables

from framescribe_server.testing import ServerProcess

OUT = Path(__file__).resolve().parent / "out"
KEY = "bench-key-0123456789abcdef"
CLIENTS = 16
POLL_EVERY = 0.2  # seconds between a client's status polls (the imagehq backend starts at 1 s)


def make_images(folder: Path, count: int) -> list[Path]:
    """``count`` images: the image benchmark's scans, A4 page, receipt, slide and subtitle frame, in turn."""
    from image_ocr import make_images as bench_images

    kinds = bench_images(folder / "kinds")
    images = []
    for i in range(count):
        source = kinds[i % len(kinds)]
        images.append(folder / f"{i:03d}-{source.name}")
        shutil.copyfile(source, images[-1])
    return images


def hermetic(root: Path) -> dict[str, str]:
    return {"FRAMESCRIBE_CACHE_DIR": str(root / "cache"), "XDG_CONFIG_HOME": str(root / "xdg"), "FRAMESCRIBE_CONFIG": ""}


def run_cli(images: list[Path], root: Path, jobs: int) -> float:
    config = root / "cli.toml"
    config.write_text('[capabilities]\nimage_ocr = ["tesseract"]\n')
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "framescribe", "ocr", "--config", str(config), "--no-cache", "-q", "-j", str(jobs),
                           "-f", "json", *map(str, images)], capture_output=True, text=True, env={**os.environ, **hermetic(root)},
                          check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"framescribe ocr failed: {proc.stderr[-2000:]}")
    return elapsed


def run_in_process(images: list[Path], root: Path, jobs: int) -> float:
    """What ``framescribe ocr`` does once started: Framescribe.image_ocr on a pool of ``jobs`` threads (warm)."""
    from framescribe import Framescribe

    os.environ.update(hermetic(root))
    fs = Framescribe({"capabilities": {"image_ocr": ["tesseract"]}}, use_cache=False)
    fs.image_ocr(images[0])  # warm: the engine loaded
    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(fs.image_ocr, images))
    return time.perf_counter() - started


def run_server(server: ServerProcess, images: list[Path]) -> tuple[float, list[float], list[float]]:
    """Seconds for every image to be submitted and read; every status poll's latency at the client, and the
    server's own time for it (seconds)."""
    latencies: list[float] = []
    server_side: list[float] = []  # the Server-Timing the server reports for the same polls
    lock = threading.Lock()
    headers = {"authorization": f"Bearer {KEY}"}

    def client(mine: list[Path]) -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as c:
            for image in mine:
                mime = "image/jpeg" if image.suffix == ".jpg" else "image/png"
                r = c.post("/v1/ocr", files=[("files[]", (image.name, image.read_bytes(), mime))],
                           data={"request": json.dumps({"operation": "extract_text"})})
                r.raise_for_status()
                url = r.json()["poll_url"]
                while True:
                    time.sleep(POLL_EVERY)
                    t = time.perf_counter()
                    response = c.get(url)
                    job = response.json()
                    with lock:
                        latencies.append(time.perf_counter() - t)
                        server_side.append(float(response.headers["server-timing"].split("dur=")[1]) / 1000)
                    if job["status"] == "succeeded":
                        break
                    if job["status"] == "failed":
                        raise SystemExit(f"job failed: {job['error']}")

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, [images[i::CLIENTS] for i in range(CLIENTS)]))
    return time.perf_counter() - started, latencies, server_side


def idle_polls(server: ServerProcess, image: Path, count: int = 200) -> list[float]:
    """Status-poll latencies (seconds) of one finished job with nothing running: this machine's floor."""
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as c:
        r = c.post("/v1/ocr", files=[("files[]", (image.name, image.read_bytes(), "image/png"))], data={"request": "{}"})
        url = r.json()["poll_url"]
        while c.get(url).json()["status"] not in ("succeeded", "failed"):
            time.sleep(0.1)
        out = []
        for _ in range(count):
            t = time.perf_counter()
            c.get(url)
            out.append(time.perf_counter() - t)
            time.sleep(0.005)
    return out


def percentiles(seconds: list[float]) -> list[float]:
    ms = sorted(x * 1000 for x in seconds)
    return [statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))], ms[-1]]


def upload_memory(server: ServerProcess, megabytes: int) -> dict[str, float]:
    """The server's RSS (MB) before, at the peak during, and after streaming a ``megabytes`` upload."""
    assert server.proc is not None
    process = psutil.Process(server.proc.pid)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(process.memory_info().rss / 2**20)
            time.sleep(0.05)

    def body() -> Iterator[bytes]:
        yield b'--B0UND\r\nContent-Disposition: form-data; name="index_id"\r\n\r\nbench\r\n'
        yield b'--B0UND\r\nContent-Disposition: form-data; name="video_file"; filename="big.mp4"\r\n\r\n'
        yield b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (2**20 - 12)
        chunk = b"\x00" * 2**20
        for _ in range(megabytes - 1):
            yield chunk
        yield b"\r\n--B0UND--\r\n"

    before = process.memory_info().rss / 2**20
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    r = httpx.post(f"{server.url}/tasks", content=body(), headers={"x-api-key": KEY, "content-type": "multipart/form-data; boundary=B0UND"},
                   timeout=600)
    seconds = time.perf_counter() - started
    time.sleep(0.3)
    stop.set()
    thread.join()
    after = process.memory_info().rss / 2**20
    # The body is zeros behind an MP4 header: the server reads all of it, then its probe refuses it (400).
    assert r.status_code == 400, r.text
    return {"before": before, "peak": max(samples), "after": after, "seconds": seconds, "mb_per_s": megabytes / seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--upload-mb", type=int, default=1024, help="size of the streamed upload (0: skip)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="framescribe-bench-serve-") as tmp:
        root = Path(tmp)
        images = make_images(root / "images", args.images)
        config = {"capabilities": {"image_ocr": ["tesseract"]},
                  "serve": {"workers": cores, "max_jobs_per_key": CLIENTS, "max_upload_mb": args.upload_mb + 16}}
        server = ServerProcess(root / "server", config=config, keys=[KEY], env=hermetic(root / "server"), args=["--no-cache", "-q"])
        server.start()
        try:
            run_cli(images[:4], root, cores)  # warm-ups: model files in the page cache, the server's first job
            run_server(server, images[:4])
            cli_times, warm_times, server_times, polls, polls_server = [], [], [], [], []
            for _ in range(args.runs):
                cli_times.append(run_cli(images, root, cores))
                warm_times.append(run_in_process(images, root, cores))
                seconds, latencies, own = run_server(server, images)
                server_times.append(seconds)
                polls.extend(latencies)
                polls_server.extend(own)
            idle = idle_polls(server, images[0])
            memory = upload_memory(server, args.upload_mb) if args.upload_mb else None
        finally:
            server.stop()
    cli, warm, srv = statistics.median(cli_times), statistics.median(warm_times), statistics.median(server_times)
    rows = [[f"framescribe ocr -j {cores} (process, as run)", len(images), cli, len(images) / cli, f"{100 * (srv / cli - 1):+.1f} %"],
            [f"the same in process, warm ({cores} threads)", len(images), warm, len(images) / warm, f"{100 * (srv / warm - 1):+.1f} %"],
            [f"framescribe serve, {CLIENTS} clients (ImageHQ)", len(images), srv, len(images) / srv, "-"]]
    body = tables.markdown(["runner", "images", "seconds (median)", "images/s", "serve's overhead over it"], rows)
    body += "\n" + tables.markdown(["status polls (GET /v1/jobs/{id})", "count", "p50 ms", "p95 ms", "max ms"],
                                   [[f"under load: {CLIENTS} clients, every worker busy", len(polls), *percentiles(polls)],
                                    ["  the server's own part (Server-Timing)", len(polls_server), *percentiles(polls_server)],
                                    ["idle server, one client", len(idle), *percentiles(idle)]])
    if memory is not None:
        body += "\n" + tables.markdown(
            ["streamed upload", "MB", "RSS before MB", "RSS peak MB", "RSS after MB", "peak - before MB", "MB/s"],
            [["POST /tasks", args.upload_mb, memory["before"], memory["peak"], memory["after"], memory["peak"] - memory["before"],
              memory["mb_per_s"]]])
    body += (f"\n{cores} CPU cores, shared: load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after "
             f"(the client threads run on the same cores); runs: {args.runs}.\n")
    print(body)
    tables.save(OUT / "serve.md", "framescribe serve under load", body)


if __name__ == "__main__":
    main()
