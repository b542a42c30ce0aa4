"""Memory and speed of the twelvelabs upload: the video is streamed, not read into memory.

Uploads files of several sizes with ``create_task`` to a loopback server that
reads and discards the body, and prints the Python heap peak (tracemalloc)
during each upload next to the file size. A streamed upload keeps the peak
flat whatever the size (the server thread's 1 MiB read buffer, in the same
process, is most of it).

    /work/venv/bin/python plugins/twelvelabs/bench/bench_twelvelabs_upload.py [--sizes 16,64,256]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from framescribe.http import HttpClient
from framescribe_twelvelabs.api import create_task


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        remaining = int(self.headers["Content-Length"])
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
        body = json.dumps({"_id": "6391c89afb14854546891276"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="16,64,256", help="file sizes in MiB, comma separated")
    args = parser.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    client = HttpClient(f"http://127.0.0.1:{httpd.server_address[1]}/v1.2/", backend="twelvelabs",
                        headers={"x-api-key": "bench-key"}, timeout=60, max_retries=0)
    print(f"{'file MiB':>9} {'heap peak MiB':>14} {'peak/file':>10} {'MiB/s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"video-{size}.mp4"
            with open(path, "wb") as f:
                chunk = bytes(range(256)) * 4096  # 1 MiB
                for _ in range(size):
                    f.write(chunk)
            tracemalloc.start()
            started = time.perf_counter()
            create_task(client, index_id="bench", language="en", video=path)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak_mib = peak / (1 << 20)
            print(f"{size:>9} {peak_mib:>14.2f} {peak_mib / size:>10.4f} {size / elapsed:>8.0f}")
            path.unlink()
    client.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
