"""Restarts, signals, retention and start-up refusals, each on its own ``framescribe serve`` process.

What the server promises (plugins/server/src/framescribe_server/jobs.py):
finished results survive a restart; SIGTERM stops taking work and lets running jobs finish within
``shutdown_grace``, putting back to the queue (and running again at the next start) those that do not;
a job running when the process is killed comes back ``failed`` with a reason, and jobs still queued run.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from server_testkit import KEY_A, hermetic_env, make_server

from framescribe_server.testing import ServerProcess, wait_for

HEADERS = {"authorization": f"Bearer {KEY_A}"}


def submit(server: ServerProcess, image: Path, name: str) -> str:
    r = httpx.post(f"{server.url}/v1/ocr", headers=HEADERS, files=[("files[]", (name, image.read_bytes()))],
                   data={"request": json.dumps({"operation": "extract_text"})})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def job(server: ServerProcess, job_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=HEADERS).json())


def status_in_db(server: ServerProcess, job_id: str) -> str:
    with sqlite3.connect(server.data_dir / "server.sqlite3") as db:
        return str(db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0])


def test_restart_keeps_finished_results(tmp_path: Path, media: dict[str, Path]) -> None:
    server = make_server(tmp_path).start()
    try:
        done_id = submit(server, media["image"], "kept.png")
        done = wait_for(lambda: job(server, done_id), lambda j: j["status"] == "succeeded")
        r = httpx.post(f"{server.url}/tasks", headers={"x-api-key": KEY_A}, data={"index_id": "keep"},
                       files={"video_file": ("clip.mp4", media["video"].read_bytes())})
        task_id = r.json()["_id"]
        task = wait_for(lambda: httpx.get(f"{server.url}/tasks/{task_id}", headers={"x-api-key": KEY_A}).json(),
                        lambda t: t["status"] == "ready")
        text_path = f"/indexes/keep/videos/{task['video_id']}/text-in-video"
        before = httpx.get(server.url + text_path, headers={"x-api-key": KEY_A}).json()
        assert server.stop() in (0, -signal.SIGTERM)
        server.start()
        assert job(server, done_id) == done
        assert httpx.get(server.url + text_path, headers={"x-api-key": KEY_A}).json() == before  # a new port, the same data
        assert httpx.get(f"{server.url}/v1/jobs/{done_id}/download", headers=HEADERS).text == "slow kept.png"
    finally:
        server.stop()


def test_sigterm_during_a_job_stops_taking_work_and_finishes_it(tmp_path: Path, media: dict[str, Path]) -> None:
    server = make_server(tmp_path, serve={"shutdown_grace": 30}).start()
    try:
        job_id = submit(server, media["image"], "slow-2.png")
        wait_for(lambda: job(server, job_id), lambda j: j["status"] == "running")
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(httpx.HTTPError):  # the listener is closed at once
            submit(server, media["image"], "late.png")
        assert server.stop(timeout=30) in (0, -signal.SIGTERM)
        assert status_in_db(server, job_id) == "succeeded"  # finished before the process left
        assert "Traceback" not in server.log()
        server.start()
        assert job(server, job_id)["result_json"]["text"] == "slow slow-2.png"
    finally:
        server.stop()


def test_sigterm_past_the_grace_checkpoints_the_job_and_the_next_start_runs_it(tmp_path: Path, media: dict[str, Path]) -> None:
    server = make_server(tmp_path, serve={"shutdown_grace": 0.2}).start()
    try:
        job_id = submit(server, media["image"], "slow-3.png")
        wait_for(lambda: job(server, job_id), lambda j: j["status"] == "running")
        started = time.monotonic()
        assert server.stop(timeout=30) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 2.5  # it did not wait the job's 3 s out
        assert status_in_db(server, job_id) == "queued"
        assert "put back in the queue" in server.log()
        server.start()
        final = wait_for(lambda: job(server, job_id), lambda j: j["status"] in ("succeeded", "failed"), timeout=30)
        assert final["status"] == "succeeded" and final["result_json"]["text"] == "slow slow-3.png"
    finally:
        server.stop()


def test_a_job_running_when_the_server_is_killed_comes_back_failed_and_queued_ones_run(tmp_path: Path,
                                                                                       media: dict[str, Path]) -> None:
    server = make_server(tmp_path, serve={"workers": 1}).start()
    try:
        running = submit(server, media["image"], "slow-5.png")
        waiting = submit(server, media["image"], "after.png")
        wait_for(lambda: job(server, running), lambda j: j["status"] == "running")
        assert job(server, waiting)["status"] == "queued"
        assert server.proc is not None
        workers = psutil.Process(server.proc.pid).children(recursive=True)
        assert workers, "the server runs its chains in worker processes"
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        # The orphaned workers notice their server is gone and end (within the watchdog's second, plus start-up).
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"worker processes outlived the killed server: {alive}"
        server.start()
        failed = job(server, running)
        assert failed["status"] == "failed" and failed["error"]["code"] == "server_stopped"
        assert "the server stopped while this job ran" in failed["error"]["message"]
        resumed = wait_for(lambda: job(server, waiting), lambda j: j["status"] == "succeeded")
        assert resumed["result_json"]["text"] == "slow after.png"
        assert "1 queued job(s) resumed; 1 job(s) that were running when the server died marked failed" in server.log()
    finally:
        server.stop()


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_retention_deletes_uploads_at_once_and_records_when_they_expire(tmp_path: Path, media: dict[str, Path]) -> None:
    # 4.3 s and 2.2 s. Threads: no worker process to start, so the job ends well inside its download's life.
    server = make_server(tmp_path, serve={"retention_hours": 0.0012, "download_ttl_hours": 0.0006, "isolation": "thread"}).start()
    try:
        job_id = submit(server, media["image"], "short-lived.png")
        done = wait_for(lambda: job(server, job_id), lambda j: j["status"] == "succeeded")
        uploads = server.data_dir / "uploads"
        assert not (uploads / job_id).exists()  # upload_retention_hours = 0: gone when the job ended
        assert httpx.get(server.url + done["download_url"], headers=HEADERS).text == "slow short-lived.png"
        wait_for(lambda: None, lambda _: time.time() > parse_iso(done["expires_at"]), timeout=5, interval=0.05)
        expired = httpx.get(server.url + done["download_url"], headers=HEADERS)
        assert expired.status_code == 410 and expired.json()["error"]["code"] == "expired"
        assert job(server, job_id)["status"] == "succeeded"  # the record outlives the download
        time.sleep(max(0.0, parse_iso(done["created_at"]) + 0.0012 * 3600 - time.time()) + 0.1)
        server.stop()
        server.start()  # a sweep runs at start (and every minute)
        gone = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=HEADERS)
        assert gone.status_code == 404
    finally:
        server.stop()


def run_serve(tmp_path: Path, *args: str, config: str = "", keys: str = "") -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "serve.toml"
    cfg.write_text(config)
    env = {**hermetic_env(tmp_path), "FRAMESCRIBE_SERVE_API_KEYS": keys, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "framescribe", "serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"),
                           "--port", "1", *args], capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.mark.parametrize(("args", "config", "keys", "message"), [
    (["--host", "0.0.0.0"], "", "", "refusing to serve on 0.0.0.0 without API keys"),
    (["--host", "192.168.1.10"], '[serve]\napi_keys = ["${UNSET_VARIABLE_FOR_TEST}"]\n', "", "refusing to serve on 192.168.1.10"),
    ([], '[serve]\napi_keys = ["tiny-key-7"]\n', "", "at least 16 characters"),
    ([], "", "tiny-key-7", "at least 16 characters"),
    ([], "[serve]\nworkerz = 2\n", "", "unknown key 'workerz'"),
    ([], "[server]\nworkers = 2\n", "", "unknown table or key ['server']; allowed: capabilities, backends, cache, library, serve"),
])
def test_bad_settings_are_refused_with_exit_code_2(tmp_path: Path, args: list[str], config: str, keys: str, message: str) -> None:
    proc = run_serve(tmp_path, *args, config=config, keys=keys)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert "tiny-key-7" not in proc.stderr  # a key, even a bad one, is not repeated
