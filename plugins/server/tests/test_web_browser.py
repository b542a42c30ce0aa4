"""The page in a real browser: Debian's Chromium driven by Playwright, against a real ``framescribe serve --library``.

One server (no keys, loopback: open) and one browser for the module. Chromium is the system's
(``/usr/bin/chromium``, from .ci/apt-packages.txt); Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_library import BULK, HOSTILE, SPEECH, VIDEO_TEXT, WebLibrary, build_library, web_server

from framescribe_server.testing import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e 'plugins/server[test]'")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
if not os.path.exists(CHROMIUM):  # a missing browser must fail loudly in CI, where .ci/apt-packages.txt installs it
    pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/apt-packages.txt)", pytrace=False)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> WebLibrary:
    return build_library(tmp_path_factory.mktemp("web-library"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, library: WebLibrary) -> Iterator[ServerProcess]:
    with web_server(tmp_path_factory.mktemp("web-server"), library.path) as proc:
        yield proc


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    """A fresh page; every dialog it opens is recorded (and dismissed) in ``page.dialogs``."""
    context = browser.new_context(base_url=server.url, accept_downloads=True, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def video_ready(page: Any) -> None:
    page.wait_for_function("() => document.querySelector('video') && document.querySelector('video').readyState >= 1")


def open_upload_form(page: Any) -> None:
    if page.locator("details.upload[open]").count() == 0:
        page.locator("summary", has_text="Upload").click()


def test_library_page_lists_kind_duration_status_backends_and_pages(page: Any, library: WebLibrary) -> None:
    response = page.goto("/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    row = page.locator("tr", has=page.get_by_role("link", name="lecture.webm"))
    assert row.locator("td[data-label=Kind]").inner_text() == "video"
    assert row.locator("td[data-label=Duration]").inner_text() == "0:06"
    assert row.locator("td[data-label=Status]").inner_text().strip() == "indexed"
    backends = row.locator("td[data-label=Backends]").inner_text()
    assert "transcribe fake-asr" in backends and "video_text fake-ocr" in backends
    failed = page.locator("tr", has=page.get_by_role("link", name="broken.mp4"))
    assert "failed" in failed.inner_text() and "could not be decoded (no video stream)" in failed.inner_text()
    assert page.locator("tbody tr").count() == 50
    assert "page 1 of 2" in page.locator(".pager").inner_text()
    page.get_by_role("link", name="Next →").click()
    assert page.locator("tbody tr").count() == BULK + 3 - 50
    # Every script on the page is a file of this server (the CSP allows no inline script).
    assert page.evaluate("[...document.scripts].every(s => s.src && new URL(s.src).origin === location.origin)")


def test_search_then_open_a_hit_at_its_time(page: Any, library: WebLibrary) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill("quarterly targets")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=quarterly+targets")
    hits = page.locator("li.hit")
    assert hits.count() == 1
    hit = hits.first
    assert hit.locator(".hit-file").inner_text() == "lecture.webm"
    assert "video_text" in hit.inner_text() and "0:00.0–0:02.0" in hit.inner_text()
    assert [m.inner_text() for m in hit.locator("mark").all()] == ["quarterly", "targets"]
    page.goto("/search?q=slide")
    page.locator("li.hit a").first.click()
    page.wait_for_url(f"**/media/{library.ids['video']}?t=2*")
    current = page.locator("#here")
    assert current.get_attribute("data-start") == "2.000" and "second slide" in current.inner_text()
    video_ready(page)
    # The player starts at the hit's time (the source's #t= fragment, no script needed).
    assert abs(page.evaluate("document.querySelector('video').currentTime") - 2.0) < 0.3


def test_a_click_on_a_segment_seeks_the_player(page: Any, library: WebLibrary) -> None:
    page.goto(f"/media/{library.ids['video']}")
    video_ready(page)
    assert page.evaluate("document.querySelector('video').currentTime") == 0
    segments = page.locator("section[data-capability=video_text] li[data-start]")
    assert [s.get_attribute("data-start") for s in segments.all()] == [f"{s:.3f}" for s, _, _ in VIDEO_TEXT]
    page.evaluate("document.querySelector('video').muted = true")
    segments.nth(2).locator(".text").click()
    page.wait_for_function("() => document.querySelector('video').currentTime >= 4")
    assert 4.0 <= page.evaluate("document.querySelector('video').currentTime") < 6.0
    assert "current" in (segments.nth(2).get_attribute("class") or "")


def test_the_highlight_follows_playback(page: Any, library: WebLibrary) -> None:
    page.goto(f"/media/{library.ids['video']}")
    video_ready(page)
    current = "section[data-capability=video_text] li.current"
    page.evaluate("(() => { const v = document.querySelector('video'); v.muted = true; v.currentTime = 1.5; })()")
    page.wait_for_function(f"() => document.querySelector('{current}')?.dataset.start === '0.000'")
    page.evaluate("document.querySelector('video').play()")
    # Playing on from 1.5 s, the highlight moves to the second card by itself.
    page.wait_for_function(f"() => document.querySelector('{current}')?.dataset.start === '2.000'", timeout=10_000)
    t = page.evaluate("document.querySelector('video').currentTime")
    assert 2.0 <= t < 4.5
    assert page.locator(current).count() == 1
    speech = page.locator("section[data-capability=transcribe] li.current")
    assert speech.get_attribute("data-start") == ("3.000" if t >= 3 else "0.000")


def test_downloads_are_the_formats_they_say(page: Any, library: WebLibrary) -> None:
    page.goto(f"/media/{library.ids['video']}")
    section = page.locator("section[data-capability=transcribe]")
    contents = {}
    for fmt in ("SRT", "VTT", "JSON", "TXT"):
        with page.expect_download() as info:
            section.get_by_role("link", name=fmt, exact=True).click()
        download = info.value
        assert download.suggested_filename == f"lecture.transcribe.{fmt.lower()}"
        contents[fmt] = Path(download.path()).read_text(encoding="utf-8")
    assert contents["SRT"].startswith("1\n00:00:00,000 --> 00:00:03,000\nwelcome to the talk")
    assert contents["VTT"].startswith("WEBVTT") and "00:00:03.000 --> 00:00:06.000" in contents["VTT"]
    assert [s["value"] for s in json.loads(contents["JSON"])["data"]] == [v for _, _, v in SPEECH]
    assert contents["TXT"].splitlines()[1].endswith(HOSTILE)
    page.goto(f"/media/{library.ids['image']}")
    with page.expect_download() as info:
        page.get_by_role("link", name="TSV", exact=True).click()
    assert Path(info.value.path()).read_text().startswith("level\tpage_num")


def test_a_caption_that_reads_like_markup_shows_as_text(page: Any, library: WebLibrary) -> None:
    page.goto(f"/media/{library.ids['video']}")
    texts = page.locator("section[data-capability=transcribe] li .text").all_inner_texts()
    assert texts[1] == HOSTILE
    page.goto("/search?q=friends")
    assert page.locator(".snippet").inner_text() == HOSTILE
    assert page.locator(".snippet mark").inner_text() == "friends"
    page.wait_for_timeout(200)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_image_layout_boxes_on_request(page: Any, library: WebLibrary) -> None:
    page.goto(f"/media/{library.ids['image']}")
    assert page.locator("svg.boxes rect").count() == 0
    page.get_by_role("link", name="Show the layout boxes").click()
    rects = page.locator("svg.boxes rect")
    assert rects.count() == library.image_lines
    assert rects.first.get_attribute("x") == "150" and page.locator("svg.boxes").get_attribute("viewBox") == "0 0 640 160"
    # The overlay covers the image exactly, however wide the page draws it.
    img = page.locator(".frame img").bounding_box()
    svg = page.locator("svg.boxes").bounding_box()
    assert abs(img["width"] - svg["width"]) < 2 and abs(img["height"] - svg["height"]) < 2


def test_the_player_gets_206_range_answers(page: Any, library: WebLibrary) -> None:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/file" in r.url else None)
    page.goto(f"/media/{library.ids['video']}?t=4")
    video_ready(page)
    assert 206 in statuses, statuses


def test_an_uploaded_video_appears_in_the_library_after_its_job(page: Any, tmp_path: Path) -> None:
    from framescribe.testing import make_text_video

    upload = make_text_video(tmp_path / "uploaded-talk.webm", [(0.0, 2.0, "UPLOADED")], size=(320, 180), fps=5)
    page.goto("/")
    open_upload_form(page)
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/jobs/*")
    assert page.locator("progress").count() == 1
    page.get_by_role("link", name="Open the result").wait_for(timeout=30_000)
    assert page.locator("[data-job-status]").inner_text() == "succeeded"
    page.get_by_role("link", name="Open the result").click()
    page.wait_for_url("**/media/*")
    # The fake chain's text: "echo <size>" first, as tests/plugins/fake_backends.py answers.
    first = page.locator("section[data-capability=video_text] li .text").first.inner_text()
    assert first == f"echo {upload.stat().st_size}"
    names: list[str] = []
    for number in (1, 2):  # the list is in path order; the upload lives under the server's data dir
        page.goto(f"/?page={number}")
        names += page.locator("td.file a").all_inner_texts()
    assert "uploaded-talk.webm" in names and len(names) == BULK + 4


def test_an_upload_that_is_not_media_is_refused_with_a_page(page: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video\n" * 10)
    page.goto("/")
    open_upload_form(page)
    page.locator("input[type=file]").set_input_files(str(notes))
    with page.expect_response("**/upload") as info:
        page.get_by_role("button", name="Upload", exact=True).click()
    assert info.value.status == 400
    assert "notes.txt is not a video, audio file or image" in page.locator(".problem").inner_text()


@pytest.mark.parametrize("path", ["/", "/search?q=quarterly", "media"])
def test_a_phone_width_needs_no_sideways_scrolling(browser: Any, server: ServerProcess, library: WebLibrary,
                                                   path: str) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        tab = context.new_page()
        tab.goto(f"/media/{library.ids['video']}" if path == "media" else path)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


# -- plain HTTP on the same server --------------------------------------------------------------------------


def test_range_requests_answer_206_with_content_range(server: ServerProcess, library: WebLibrary) -> None:
    size = library.video.stat().st_size
    url = f"{server.url}/media/{library.ids['video']}/file"
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes" and len(whole.content) == size
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == library.video.read_bytes()[100:200]
    tail = httpx.get(url, headers={"Range": f"bytes={size - 10}-"})
    assert tail.status_code == 206 and tail.content == library.video.read_bytes()[-10:]
    assert httpx.get(url, headers={"Range": f"bytes={size + 5}-"}).status_code == 416
    assert whole.headers["content-type"] == "video/webm"


def test_without_keys_the_page_answers_only_under_a_loopback_name(server: ServerProcess) -> None:
    assert httpx.get(server.url + "/", headers={"Host": f"localhost:{server.port}"}).status_code == 200
    rebound = httpx.get(server.url + "/", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403 and "loopback" in rebound.text


def test_a_form_post_from_another_site_is_refused(server: ServerProcess, library: WebLibrary) -> None:
    files = {"file": ("clip.webm", library.video.read_bytes(), "video/webm")}
    answer = httpx.post(server.url + "/upload", files=files, headers={"Origin": "https://attacker.example"})
    assert answer.status_code == 403


def test_with_javascript_off_everything_but_the_sync_works(browser: Any, server: ServerProcess, library: WebLibrary,
                                                           tmp_path: Path) -> None:
    from framescribe.testing import make_text_image

    context = browser.new_context(base_url=server.url, java_script_enabled=False, accept_downloads=True)
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        tab.goto("/")
        tab.get_by_role("searchbox").fill("slide")
        tab.get_by_role("button", name="Search").click()
        tab.locator("li.hit a").first.click()
        # The hit's time reaches the player by the source's media fragment, and the line is marked by the server.
        assert tab.locator("video").get_attribute("src").endswith("/file#t=2")
        assert tab.locator("#here").get_attribute("data-start") == "2.000"
        with tab.expect_download() as info:
            tab.locator("section[data-capability=video_text]").get_by_role("link", name="VTT", exact=True).click()
        assert Path(info.value.path()).read_text().startswith("WEBVTT")
        # An upload's page refreshes itself (<noscript> meta refresh) until the job is done.
        image = make_text_image(tmp_path / "slow-1.5-nojs.png", "NO SCRIPT")
        tab.goto("/")
        open_upload_form(tab)
        tab.locator("input[type=file]").set_input_files(str(image))
        tab.get_by_role("button", name="Upload", exact=True).click()
        tab.wait_for_url("**/jobs/*")
        tab.get_by_role("link", name="Open the result").wait_for(timeout=30_000)
        tab.get_by_role("link", name="Open the result").click()
        assert tab.locator("section[data-capability=image_ocr] .line").inner_text() == "slow slow-1.5-nojs.png"
    finally:
        context.close()
