"""Run ``framescribe serve`` as a real process on a free loopback port, for tests and benchmarks.

    with ServerProcess(tmp_path, config={"capabilities": {...}, "serve": {...}}, keys=["k" * 16]) as server:
        httpx.get(server.url + "/healthz")

The process is the installed CLI (``python -m framescribe serve``), so what is tested is what users run:
signals, restarts and the data directory included.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def toml(data: dict[str, Any]) -> str:
    """A small TOML writer for configs of strings, numbers, booleans, lists and one level of tables."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"cannot write {type(v).__name__} as TOML")

    lines: list[str] = []

    def table(name: str, body: dict[str, Any]) -> None:
        lines.append(f"[{name}]")
        nested = {k: v for k, v in body.items() if isinstance(v, dict)}
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in body.items() if not isinstance(v, dict))
        lines.append("")
        for k, v in nested.items():
            table(f"{name}.{k}", v)

    for name, body in data.items():
        table(name, body)
    return "\n".join(lines)


class ServerProcess:
    """One ``framescribe serve`` process; ``start``/``stop`` may be called again (a restart on the same data)."""

    def __init__(self, workdir: Path, *, config: dict[str, Any], keys: Sequence[str] = (), plugins: Sequence[str] = (),
                 host: str = "127.0.0.1", env: dict[str, str] | None = None, data_dir: Path | None = None,
                 args: Sequence[str] = ()) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "framescribe.toml"
        self.config_path.write_text(toml(config))
        self.data_dir = data_dir or workdir / "data"
        self.keys = list(keys)
        self.plugins = list(plugins)
        self.host = host
        self.env = env or {}
        self.args = list(args)  # more `framescribe serve` options, e.g. --no-cache
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "framescribe", "serve", "--config", str(self.config_path), "--host", self.host,
                "--port", str(self.port), "--data-dir", str(self.data_dir), "-v"]
        for plugin in self.plugins:
            argv += ["--plugin", plugin]
        return argv + self.args

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {**os.environ, **self.env}
        if self.keys:
            env["FRAMESCRIBE_SERVE_API_KEYS"] = ",".join(self.keys)
        for attempt in range(3):  # a port found free can be taken before the server binds it
            self.port = free_port()
            log = self.log_path.open("ab")
            self.proc = subprocess.Popen(self.argv(), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
            log.close()
            if self._wait_ready(timeout):
                return self
            self.proc.kill()
            self.proc.wait()
            if attempt == 2 or "address already in use" not in self.log():
                break
        raise RuntimeError(f"framescribe serve did not start:\n{self.log()[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def wait_for(fetch: Any, done: Any, timeout: float = 30.0, interval: float = 0.02) -> Any:
    """Call ``fetch()`` until ``done(value)``; the last value, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout} s: {value}")
        time.sleep(interval)


__all__ = ["ServerProcess", "free_port", "signal", "toml", "wait_for"]
