"""Jobs of the APIs landing in ``framescribe serve --library FILE``: a ``/tasks`` video and an ImageHQ image become
searchable and appear on the page's list, their files kept under the data dir; without ``--library`` nothing is written.

The chains are the fakes of ``slow_backends.py`` (they answer ``slow <file name>``), run in worker processes
(``isolation = "process"``, the default), so the library is written by the server process only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_testkit import FAKE, KEY_A, SLOW, hermetic_env, make_server

from framescribe.library import Library
from framescribe_server.testing import ServerProcess, wait_for

CHAINS = {"video_text": ["fake-slow"], "transcribe": ["fake-slow"], "image_ocr": ["fake-slow"]}


@pytest.fixture(scope="module")
def library_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    root = tmp_path_factory.mktemp("library-server")
    library = root / "library.sqlite3"
    config = {"capabilities": CHAINS, "serve": {"workers": 1, "max_upload_mb": 5}}
    with ServerProcess(root / "server", config=config, keys=[KEY_A], plugins=[FAKE, SLOW], env=hermetic_env(root / "server"),
                       args=["--no-cache", "--library", str(library)]) as proc:
        yield proc, library


def _task(server: ServerProcess, video: Path, name: str) -> dict[str, Any]:
    headers = {"x-api-key": KEY_A}
    r = httpx.post(f"{server.url}/tasks", headers=headers, data={"index_id": "lib"},
                   files={"video_file": (name, video.read_bytes())})
    assert r.status_code == 201, r.text
    task: dict[str, Any] = wait_for(lambda: httpx.get(f"{server.url}/tasks/{r.json()['_id']}", headers=headers).json(),
                                    lambda t: t["status"] in ("ready", "failed"), timeout=60, interval=0.1)
    return task


def _ocr(server: ServerProcess, image: Path, name: str) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {KEY_A}"}
    r = httpx.post(f"{server.url}/v1/ocr", headers=headers, files=[("files[]", (name, image.read_bytes()))],
                   data={"request": json.dumps({"operation": "extract_text"})})
    assert r.status_code == 202, r.text
    job: dict[str, Any] = wait_for(lambda: httpx.get(f"{server.url}/v1/jobs/{r.json()['id']}", headers=headers).json(),
                                   lambda j: j["status"] in ("succeeded", "failed"), timeout=60, interval=0.1)
    return job


def test_a_video_task_lands_in_the_library_searchable_with_both_capabilities(
        library_server: tuple[ServerProcess, Path], media: dict[str, Path]) -> None:
    server, library = library_server
    task = _task(server, media["video"], "harbourtour.mp4")
    assert task["status"] == "ready", task
    with Library(library) as lib:
        hits = lib.search("harbourtour")
        assert {h.capability for h in hits} == {"video_text", "transcribe"}, hits
        kept = Path(hits[0].media)
        assert kept.parent.parent == server.data_dir / "library-media" and kept.name == "harbourtour.mp4"
        assert kept.read_bytes() == media["video"].read_bytes()  # the page can still play it after the upload is gone
        record = lib.get(str(kept))
        assert record is not None and record.status == "ok" and record.kind == "video"
    page = httpx.get(f"{server.url}/", headers={"x-api-key": KEY_A})
    assert page.status_code == 200 and "harbourtour.mp4" in page.text


def test_an_imagehq_job_lands_in_the_library_searchable(library_server: tuple[ServerProcess, Path],
                                                        media: dict[str, Path]) -> None:
    server, library = library_server
    job = _ocr(server, media["image"], "receiptscan.png")
    assert job["status"] == "succeeded", job
    with Library(library) as lib:
        hits = lib.search("receiptscan")
        assert [h.capability for h in hits] == ["image_ocr"] and hits[0].value == "slow receiptscan.png", hits
        assert Path(hits[0].media).is_relative_to(server.data_dir / "library-media")
    search = httpx.get(f"{server.url}/search", params={"q": "receiptscan"}, headers={"x-api-key": KEY_A})
    assert search.status_code == 200 and "receiptscan.png" in search.text
    page = httpx.get(f"{server.url}/", headers={"x-api-key": KEY_A})
    assert "receiptscan.png" in page.text


def test_a_failed_imagehq_job_is_in_the_library_with_its_reason(library_server: tuple[ServerProcess, Path],
                                                                media: dict[str, Path]) -> None:
    server, library = library_server
    job = _ocr(server, media["image"], "crash-scan.png")  # slow_backends raises on crash* names
    assert job["status"] == "failed", job
    with Library(library) as lib:
        failed = [r for r in lib.media(status="failed") if r.path.endswith("crash-scan.png")]
        assert len(failed) == 1 and failed[0].error and failed[0].error.startswith("image_ocr: ")
        assert str(server.data_dir) not in failed[0].error  # server paths are scrubbed, as in the API's answer


def test_a_failed_video_task_is_in_the_library_with_its_reason(library_server: tuple[ServerProcess, Path],
                                                                media: dict[str, Path]) -> None:
    server, library = library_server
    task = _task(server, media["video"], "crash-talk.mp4")  # slow_backends raises on crash* names
    assert task["status"] == "failed", task
    with Library(library) as lib:
        failed = [r for r in lib.media(status="failed") if r.path.endswith("crash-talk.mp4")]
        assert len(failed) == 1 and failed[0].error == task["error"]["message"] and failed[0].kind == "video"
        assert Path(failed[0].path).is_file()  # kept, so the page can still offer the file


def test_without_a_library_nothing_is_written(tmp_path_factory: pytest.TempPathFactory, media: dict[str, Path]) -> None:
    root = tmp_path_factory.mktemp("no-library")
    with make_server(root, chains=CHAINS, serve={"workers": 1, "max_upload_mb": 5, "isolation": "thread"}) as server:
        assert _task(server, media["video"], "plainvideo.mp4")["status"] == "ready"
        assert _ocr(server, media["image"], "plainimage.png")["status"] == "succeeded"
        assert not (server.data_dir / "library-media").exists()
        assert httpx.get(f"{server.url}/", headers={"x-api-key": KEY_A}).status_code == 404  # no page without a library
    written = {p.name for p in root.rglob("*.sqlite3")}
    assert written == {"server.sqlite3"}, written
