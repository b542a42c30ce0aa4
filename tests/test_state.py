"""The SQLite state store plugins use to remember things between runs."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from framescribe.state import StateStore, cache_dir


def test_values_survive_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")
    store.set("uploads", "abc", {"video_id": "v1"})
    store.close()
    again = StateStore(tmp_path / "s.sqlite3")
    assert again.get("uploads", "abc") == {"video_id": "v1"}
    assert again.get("other", "abc") is None
    again.delete("uploads", "abc")
    assert again.get("uploads", "abc") is None


def test_default_location_follows_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FRAMESCRIBE_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    assert StateStore().path == tmp_path / "state.sqlite3"


def test_digest_is_the_content_sha256(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 3_000_000)
    assert StateStore(tmp_path / "s.sqlite3").digest(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_threads_can_share_a_store(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")

    def work(n: int) -> None:
        for i in range(50):
            store.set("t", f"{n}-{i}", i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("t", "3-49") == 49


def test_values_are_stored_with_known_secrets_masked(tmp_path: Path) -> None:
    from framescribe import secrets

    secrets.register("sk-state-5a0c7e91d2")
    store = StateStore(tmp_path / "state.sqlite3")
    store.set("acme.jobs", "job-1", {"poll_url": "https://api.example/jobs/1?key=sk-state-5a0c7e91d2", "id": "1"})
    store.close()
    assert b"sk-state-5a0c7e91d2" not in (tmp_path / "state.sqlite3").read_bytes()
    assert StateStore(tmp_path / "state.sqlite3").get("acme.jobs", "job-1")["id"] == "1"
