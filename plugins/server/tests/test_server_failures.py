"""Chains that fail, seen through the video-indexing API: by plain HTTP and by the twelvelabs plugin.

The server's video_text chain is ``fake-slow`` (which raises for inputs named ``crash*``) and its
transcribe chain is ``fake-down`` (never available).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_testkit import KEY_A, make_server

from framescribe import BackendError, Framescribe
from framescribe_server.testing import ServerProcess, wait_for

HEADERS = {"x-api-key": KEY_A}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    chains = {"video_text": ["fake-slow"], "transcribe": ["fake-down"], "image_ocr": ["fake-slow"]}
    with make_server(tmp_path_factory.mktemp("failures"), chains=chains, serve={"isolation": "thread"}) as proc:
        yield proc


def upload(server: ServerProcess, video: Path, name: str) -> dict[str, object]:
    r = httpx.post(f"{server.url}/tasks", headers=HEADERS, data={"index_id": "failures"},
                   files={"video_file": (name, video.read_bytes())})
    assert r.status_code == 201, r.text
    return dict(wait_for(lambda: httpx.get(f"{server.url}/tasks/{r.json()['_id']}", headers=HEADERS).json(),
                         lambda t: t["status"] in ("ready", "failed")))


def test_a_failing_text_chain_fails_the_task_with_the_reason(server: ServerProcess, media: dict[str, Path]) -> None:
    task = upload(server, media["video"], "crash.mp4")
    assert task["status"] == "failed" and "video_id" not in task
    error = task["error"]
    assert isinstance(error, dict) and error["code"] == "indexing_failed"
    assert "fake-slow crashed on purpose" in error["message"] and "uploads" not in error["message"]


def test_a_failing_transcribe_chain_leaves_the_task_ready_and_says_why(server: ServerProcess, media: dict[str, Path]) -> None:
    task = upload(server, media["video"], "clip.mp4")
    assert task["status"] == "ready"
    base = f"{server.url}/indexes/failures/videos/{task['video_id']}"
    assert [d["value"] for d in httpx.get(f"{base}/text-in-video", headers=HEADERS).json()["data"]] == ["slow clip.mp4", "more", "late"]
    speech = httpx.get(f"{base}/transcription", headers=HEADERS)
    assert speech.status_code == 422 and speech.json()["code"] == "transcription_failed"
    assert "no backend could do transcribe" in speech.json()["message"] and "fake-down is down on purpose" in speech.json()["message"]


def test_the_twelvelabs_plugin_reports_the_servers_reason(server: ServerProcess, media: dict[str, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    crash = tmp_path / "crash-clip.mp4"
    crash.write_bytes(media["video"].read_bytes())
    fs = Framescribe({"capabilities": {"video_text": ["twelvelabs"]},
                      "backends": {"twelvelabs": {"api_url": server.url, "api_key": KEY_A, "index_id": "failures",
                                                  "poll_interval": 0.05, "timeout": 30}}}, use_cache=False)
    try:
        with pytest.raises(BackendError, match=r"indexing task \w+ failed: no text in video: .*fake-slow crashed on purpose"):
            fs.video_text(crash)
    finally:
        fs.state.close()
