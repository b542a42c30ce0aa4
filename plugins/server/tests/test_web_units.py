"""The page's small parts on their own: media ids, marking a snippet, where a login may send the browser,
host names, times as a player shows them, sessions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from framescribe import Segment, VideoResult
from framescribe.library import Library
from framescribe_server.web import catalog as catalog_module
from framescribe_server.web.catalog import MARK_CLOSE, MARK_OPEN, Catalog, media_id
from framescribe_server.web.routes import clock, duration, hostname, marked, safe_next
from framescribe_server.web.sessions import Sessions


def test_ids_name_library_files_only_and_new_files_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = VideoResult([Segment(0.0, 1.0, "x")])
    lib = Library(tmp_path / "lib.sqlite3")
    lib.add(tmp_path / "a.webm", {"video_text": one}, kind="video")
    cat = Catalog(lib)
    a = str(tmp_path / "a.webm")
    assert cat.path_of(media_id(a)) == a
    assert cat.path_of("../../etc/passwd") is None and cat.path_of(media_id("/etc/passwd")) is None
    # Another writer (framescribe index) adds a file: its id is found on the next look-up.
    with Library(tmp_path / "lib.sqlite3") as other:
        other.add(tmp_path / "b.webm", {"video_text": one}, kind="video")
    assert cat.path_of(media_id(str(tmp_path / "b.webm"))) == str(tmp_path / "b.webm")
    # Made-up ids do not make every request read every path again while nothing changed.
    reads = []
    real = lib.store.paths
    monkeypatch.setattr(lib.store, "paths", lambda: (reads.append(1), real())[1])
    for _ in range(5):
        assert cat.path_of("0123456789abcdef0123") is None
    assert reads == []
    monkeypatch.setattr(catalog_module, "REREAD_AFTER", 0.0)
    assert cat.path_of("0123456789abcdef0123") is None and reads == [1]
    lib.remove(tmp_path / "a.webm")
    assert cat.path_of(media_id(a)) is None
    lib.close()


def test_a_snippet_is_escaped_before_its_match_is_marked() -> None:
    html = str(marked(f"<b>x</b> & {MARK_OPEN}<i>{MARK_CLOSE}"))
    assert html == "&lt;b&gt;x&lt;/b&gt; &amp; <mark>&lt;i&gt;</mark>"


@pytest.mark.parametrize(("given", "expected"), [
    ("/media/abc?t=1", "/media/abc?t=1"), (None, "/"), ("", "/"), ("//evil.example/", "/"),
    ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("media", "/"),
])
def test_after_login_the_browser_goes_only_to_a_path_here(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


def test_host_names() -> None:
    assert hostname("127.0.0.1:8000") == "127.0.0.1"
    assert hostname("LOCALHOST") == "localhost"
    assert hostname("[::1]:8000") == "[::1]"
    assert hostname("evil.example:80") == "evil.example"


def test_times_read_like_a_player() -> None:
    assert clock(0) == "0:00.0" and clock(62.34) == "1:02.3" and clock(3723.0) == "1:02:03.0" and clock(None) == ""
    assert duration(6.0) == "0:06" and duration(3600) == "1:00:00" and duration(None) == "—"
    assert clock(float("nan")) == ""


def test_sessions_expire_and_close() -> None:
    sessions = Sessions(ttl=0.2)
    token = sessions.open("k_owner")
    assert sessions.owner(token) == "k_owner"
    assert sessions.owner(token + "x") is None and sessions.owner(None) is None
    other = sessions.open("k_other")
    sessions.close(other)
    assert sessions.owner(other) is None
    time.sleep(0.25)
    assert sessions.owner(token) is None
