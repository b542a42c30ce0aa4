"""How the wall time of an imagehq batch depends on max_in_flight.

Runs the loopback ImageHQ test server (plugins/imagehq/tests/conftest.py), whose
jobs each take DELAY seconds, and reads N images through the CLI path
(``framescribe ocr -j N``) with max_in_flight = 1, 2, 4, N. Prints a table:
wall time, its ratio to the serial sum, and the most jobs the server saw open
at once. Nothing leaves 127.0.0.1.

    /work/venv/bin/python plugins/imagehq/bench/batch_concurrency.py [N] [DELAY]
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load_server_module() -> Any:
    spec = importlib.util.spec_from_file_location("imagehq_test_server", HERE.parent / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_batch(server_mod: Any, images: list[Path], max_in_flight: int, workdir: Path) -> tuple[float, int]:
    from framescribe.cli import main

    server = server_mod.ImageHqServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), server_mod.make_handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    config = workdir / f"bench-{max_in_flight}.toml"
    config.write_text(f'[backends.imagehq]\napi_url = "{server.url}"\npoll_interval = 0.05\nmax_in_flight = {max_in_flight}\n')
    args = ["ocr", "-q", "--no-cache", "-b", "imagehq", "-j", str(len(images)), "--config", str(config), *map(str, images)]
    start = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    wall = time.monotonic() - start
    httpd.shutdown()
    httpd.server_close()
    if code != 0:
        raise SystemExit(f"batch failed with exit code {code}")
    return wall, server.peak_active


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    server_mod = load_server_module()
    os.environ["IMAGEHQ_API_KEY"] = server_mod.API_KEY
    os.environ["FRAMESCRIBE_PLUGINS"] = "imagehq"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        images = []
        for i in range(n):
            path = workdir / f"page{i}.png"
            path.write_bytes(server_mod.PNG_SIGNATURE + json.dumps({"text": f"page {i}", "delay": delay}).encode())
            images.append(path)
        serial = n * delay
        print(f"{n} jobs of {delay:g} s each (serial sum {serial:g} s), framescribe ocr -j {n}")
        print(f"{'max_in_flight':>13}  {'wall s':>7}  {'wall/sum':>8}  {'peak open jobs':>14}")
        for bound in sorted({1, 2, 4, n}):
            wall, peak = run_batch(server_mod, images, bound, workdir)
            print(f"{bound:>13}  {wall:>7.2f}  {wall / serial:>8.2f}  {peak:>14}")


if __name__ == "__main__":
    main()
