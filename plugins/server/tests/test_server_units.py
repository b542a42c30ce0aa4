"""The server's small parts on their own: names, sniffing, keys, settings, message scrubbing, the pool's limits."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from framescribe import ConfigError
from framescribe_server.auth import LOCAL_OWNER, Keys
from framescribe_server.jobs import DIED, JobPool
from framescribe_server.settings import check_exposure, is_loopback, load_settings
from framescribe_server.store import FAILED, QUEUED, SUCCEEDED, Store
from framescribe_server.uploads import safe_name, sniff_media


@pytest.mark.parametrize(("given", "expected"), [
    ("clip.mp4", "clip.mp4"), ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("/abs/path/x.png", "x.png"),
    ("..", "upload"), (".hidden.png", "hidden.png"), ("a b;rm -rf.png", "a_b_rm_-rf.png"), ("", "upload"), (None, "upload"),
    ("ü.png", "png"), ("x" * 300 + ".png", "x" * 100),
])
def test_safe_name_stays_in_its_directory(given: str | None, expected: str) -> None:
    assert safe_name(given) == expected
    assert "/" not in safe_name(given) and not safe_name(given).startswith(".")


@pytest.mark.parametrize(("head", "kind"), [
    (b"\x00\x00\x00\x18ftypmp42\x00\x00", "video"), (b"\x00\x00\x00\x20ftypM4A \x00", "audio"),
    (b"\x1a\x45\xdf\xa3\x01\x00", "video"), (b"RIFF\x10\x00\x00\x00AVI LIST", "video"), (b"RIFF\x10\x00\x00\x00WAVEfmt ", "audio"),
    (b"ID3\x03\x00", "audio"), (b"\xff\xfb\x90\x00", "audio"), (b"OggS\x00\x02", "video"), (b"fLaC\x00", "audio"),
    (b"\x47\x40\x00\x10\x00", "video"), (b"\x89PNG\r\n\x1a\n", None), (b"\x00\x00\x00\x1cftypheic", None),
    (b"hello world, not media", None), (b"", None),
])
def test_sniff_media(head: bytes, kind: str | None) -> None:
    assert sniff_media(head) == kind


def test_keys_owner_is_a_keyed_hash_and_the_secret_file_is_private(tmp_path: Path) -> None:
    keys = Keys(["a" * 20, "b" * 20], tmp_path)
    a, b = keys.owner("a" * 20), keys.owner("b" * 20)
    assert a and b and a != b and "a" * 20 not in a
    assert keys.owner("a" * 19) is None and keys.owner("") is None and keys.owner(None) is None
    assert stat.S_IMODE(os.stat(tmp_path / "owner.secret").st_mode) == 0o600
    assert Keys(["a" * 20], tmp_path).owner("a" * 20) == a  # stable across restarts (same data dir)
    assert Keys(["a" * 20], tmp_path / "other").owner("a" * 20) != a  # but not guessable from another
    assert Keys([], tmp_path).owner(None) == LOCAL_OWNER


def test_settings_from_table_env_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMESCRIBE_SERVE_API_KEYS", " env-key-0000000001 , env-key-0000000002,")
    s = load_settings({"api_keys": ["table-key-000000001"], "port": 9000}, "x.toml", port=None, host="10.0.0.5")
    assert s.keys() == ["table-key-000000001", "env-key-0000000001", "env-key-0000000002"]
    assert s.port == 9000 and s.host == "10.0.0.5"
    assert "env-key" not in repr(s)
    check_exposure(s)  # keys: any address
    monkeypatch.delenv("FRAMESCRIBE_SERVE_API_KEYS")
    with pytest.raises(ConfigError, match=r"refusing to serve on 10\.0\.0\.5 without API keys"):
        check_exposure(load_settings({}, "x.toml", host="10.0.0.5"))
    check_exposure(load_settings({}, "x.toml", host="::1"))
    with pytest.raises(ConfigError, match="give both s3_access_key_id and s3_secret_access_key"):
        load_settings({"s3_access_key_id": "AKIA"}, "x.toml")
    assert is_loopback("127.0.0.2") and is_loopback("localhost") and not is_loopback("example.org")


def test_pool_limits_per_owner_and_recovers_the_last_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    gate = threading.Event()

    def runner(job: Any, progress: Any) -> dict[str, str]:
        gate.wait(5)
        return {"ok": job.id}

    pool = JobPool(store, 1, 2, {"t": runner}, lambda job: None)
    pool.start()
    assert pool.reserve("alice") and pool.reserve("alice") and not pool.reserve("alice")
    assert pool.reserve("bob")
    jobs = [store.add_job(f"j{i}", "alice", "t", {}, None, None) for i in range(2)]
    for j in jobs:
        pool.submit(j)
    pool.release("bob")
    gate.set()
    for j in jobs:
        deadline = time.monotonic() + 5
        while store.job(j.id).status != SUCCEEDED:  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert pool.reserve("alice")  # the finished jobs gave their slots back
    assert store.job("j0", "bob") is None and store.job("j0", "alice") is not None  # another owner: not found
    # A record left "running" by a dead process, and one still queued.
    store.add_job("dead", "alice", "t", {}, None, None)
    store.start("dead")
    store.add_job("waiting", "alice", "t", {}, None, None)
    pool.stop(0)
    again = JobPool(store, 1, 2, {"t": runner}, lambda job: None)
    assert again.start() == {"requeued": 1, "failed": 1}
    dead = store.job("dead")
    assert dead is not None and dead.status == FAILED and dead.error == DIED
    deadline = time.monotonic() + 5
    while store.job("waiting").status == QUEUED:  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    again.stop(1)
    store.close()


def test_scrub_removes_server_paths(tmp_path: Path) -> None:
    from framescribe_server.context import ServerContext

    ctx = ServerContext(None, load_settings({}, "x"), tmp_path, None, None, None)  # type: ignore[arg-type]
    upload = ctx.upload_dir("abc123") / "clip.mp4"
    assert ctx.scrub(f"{upload} is not a media file ffmpeg can read") == "clip.mp4 is not a media file ffmpeg can read"
    assert str(tmp_path) not in ctx.scrub(f"cannot write {tmp_path}/server.sqlite3")
