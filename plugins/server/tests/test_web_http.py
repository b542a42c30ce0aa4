"""The page by plain HTTP against a key-protected ``framescribe serve --library``: logging in, what the
session cookie is (and is not), escaping, and that a media id can name nothing but a library file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from server_testkit import KEY_A
from web_library import HOSTILE, WebLibrary, build_library, web_server

from framescribe.testing.hostile import assert_no_secret
from framescribe_server.testing import ServerProcess


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> WebLibrary:
    return build_library(tmp_path_factory.mktemp("web-http-library"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, library: WebLibrary) -> Iterator[ServerProcess]:
    with web_server(tmp_path_factory.mktemp("web-http-server"), library.path, keys=(KEY_A,)) as proc:
        yield proc


@pytest.fixture
def anonymous(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture
def keyed(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"x-api-key": KEY_A}, timeout=30) as c:
        yield c


def log_in(client: httpx.Client, key: str, next_path: str = "/") -> httpx.Response:
    return client.post("/login", data={"key": key, "next": next_path}, headers={"Origin": str(client.base_url).rstrip("/")})


def test_without_a_key_pages_send_the_browser_to_the_login_form(anonymous: httpx.Client, library: WebLibrary) -> None:
    for path in ("/", "/search?q=slide", f"/media/{library.ids['video']}", f"/media/{library.ids['video']}/file"):
        answer = anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/login?next=" + quote(path, safe="")
    assert anonymous.post("/upload", files={"file": ("a.png", library.image.read_bytes())}).status_code == 401
    form = anonymous.get("/login")
    assert form.status_code == 200 and 'type="password" name="key"' in form.text


def test_logging_in_sets_an_httponly_strict_session_cookie_not_the_key(anonymous: httpx.Client, server: ServerProcess,
                                                                       library: WebLibrary) -> None:
    wrong = log_in(anonymous, "not-the-key")
    assert wrong.status_code == 401 and "not one of this server" in wrong.text
    assert "set-cookie" not in wrong.headers and "not-the-key" not in wrong.text
    target = f"/media/{library.ids['video']}"
    answer = log_in(anonymous, KEY_A, target)
    assert answer.status_code == 303 and answer.headers["location"] == target
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("framescribe_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert_no_secret(KEY_A, cookie, answer.headers["location"])
    assert anonymous.get(target).status_code == 200  # the client keeps the cookie
    assert_no_secret(KEY_A, server.log())
    # Logging out ends the session on the server, not just in this browser.
    token = anonymous.cookies["framescribe_session"]
    assert anonymous.post("/logout", headers={"Origin": server.url}).status_code == 303
    with httpx.Client(base_url=server.url, cookies={"framescribe_session": token}) as replay:
        assert replay.get("/").status_code == 303


def test_login_refuses_a_post_from_another_site_and_an_outside_next(anonymous: httpx.Client) -> None:
    refused = anonymous.post("/login", data={"key": KEY_A}, headers={"Origin": "https://attacker.example"})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    for outside in ("//attacker.example/x", "https://attacker.example/", "/\\attacker.example"):
        assert log_in(anonymous, KEY_A, outside).headers["location"] == "/"


def test_a_key_header_opens_the_pages_too(keyed: httpx.Client) -> None:
    answer = keyed.get("/")
    assert answer.status_code == 200 and "lecture.webm" in answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_every_text_is_escaped(keyed: httpx.Client, library: WebLibrary) -> None:
    page = keyed.get(f"/media/{library.ids['video']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in page
    assert "<script>alert(1)" not in page
    hits = keyed.get("/search", params={"q": "friends"}).text
    assert '<p class="snippet">&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>friends</mark></p>' in hits
    # What the user typed comes back escaped as well, in the box and in the message.
    typed = keyed.get("/search", params={"q": '"><img src=x onerror=alert(1)> quarterly'}).text
    assert "<img src=x" not in typed and "&lt;img src=x onerror=alert(1)&gt;" in typed
    assert HOSTILE not in page


def test_a_query_that_cannot_be_searched_is_a_message(keyed: httpx.Client) -> None:
    answer = keyed.get("/search", params={"q": '"unclosed'})
    assert answer.status_code == 400 and "a quote is not closed" in answer.text


@pytest.mark.parametrize("path", [
    "/media/..%2F..%2F..%2Fetc%2Fpasswd",
    "/media/%2Fetc%2Fpasswd/file",
    "/media/..%2Flibrary.sqlite3/file",
    "/media/0123456789abcdef0123/file",  # the shape of an id, but no file of the library has it
    "/media/ZZZ/file",
])
def test_a_media_id_names_only_files_of_the_library(keyed: httpx.Client, path: str) -> None:
    answer = keyed.get(path)
    assert answer.status_code == 404
    assert "root:" not in answer.text and "SQLite format" not in answer.text


def test_downloads_take_only_known_capabilities_and_formats(keyed: httpx.Client, library: WebLibrary) -> None:
    base = f"/media/{library.ids['video']}/download"
    assert keyed.get(f"{base}/transcribe.srt").status_code == 200
    for name in ("transcribe.exe", "image_ocr.txt", "..%2F..%2Fetc%2Fpasswd", "transcribe"):
        assert keyed.get(f"{base}/{name}").status_code == 404, name
    assert keyed.get(f"/media/{library.ids['image']}/download/image_ocr.srt").status_code == 404


def test_a_media_file_is_served_sandboxed(keyed: httpx.Client, library: WebLibrary) -> None:
    answer = keyed.get(f"/media/{library.ids['image']}/file")
    assert answer.status_code == 200 and answer.content == library.image.read_bytes()
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_file_gone_from_disk_still_shows_its_text(keyed: httpx.Client, library: WebLibrary) -> None:
    listing = keyed.get("/", params={"page": 2}).text
    assert "clip-54.webm" in listing
    mid = listing.split('href="/media/', 1)[1].split('"', 1)[0]
    page = keyed.get(f"/media/{mid}")
    assert page.status_code == 200 and "no longer on disk" in page.text and "bulk clip" in page.text
    assert keyed.get(f"/media/{mid}/file").status_code == 404


def test_serve_refuses_a_library_it_cannot_open(tmp_path: Path) -> None:
    from framescribe.testing.hostile import run_cli

    outcome = run_cli(["serve", "--library", str(tmp_path / "missing" / "lib.sqlite3"), "--port", "0"])
    assert outcome.code == 2 and "the folder" in outcome.stderr and "does not exist" in outcome.stderr
    assert "Traceback" not in outcome.stderr
