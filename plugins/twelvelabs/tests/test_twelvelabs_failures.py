"""Failure modes of the server: failed tasks, slow indexing, 429, 5xx, dropped connections, bad bodies, down."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from framescribe import BackendError, NoBackendAnswered


def test_a_failed_task_is_an_error_with_the_servers_reason(server: Any, make_fs: Any, video: Path) -> None:
    server.fail_reason = "The video file is corrupted and cannot be decoded."
    reason = r"task [0-9a-f]+ failed: The video file is corrupted and cannot be decoded\. \(video_file_broken\)"
    with pytest.raises(BackendError, match=reason):
        make_fs(chain=("twelvelabs", "fake-echo")).transcribe(video)
    assert server.calls("GET", "/v1.2/indexes/") == []
    # A failed upload is forgotten: the next call uploads again rather than reusing it.
    server.fail_reason = None
    result = make_fs().transcribe(video)
    assert len(server.uploads) == 2
    assert result.segments


def test_slow_indexing_past_the_timeout_falls_back_to_the_local_backend(server: Any, make_fs: Any, video: Path) -> None:
    server.statuses = ["indexing"] * 1000
    result = make_fs(chain=("twelvelabs", "fake-echo"), timeout=1.5, poll_interval=0.05).video_text(video)
    assert result.backend == "fake-echo"
    assert result.skipped[0].backend == "twelvelabs"
    assert "did not finish within the 1.5 s timeout (last status: indexing)" in result.skipped[0].reason
    assert len(server.calls("GET", "/v1.2/tasks/")) >= 2  # it did poll, backing off, before giving up


def test_429_waits_for_retry_after(server: Any, make_fs: Any, video: Path) -> None:
    server.fault("GET", "/v1.2/indexes/", "status", status=429, headers={"Retry-After": "1"},
                 body={"code": "too_many_requests", "message": "You have exceeded the rate limit (50/min)."})
    result = make_fs().video_text(video)
    first, second = server.calls("GET", "/v1.2/indexes/")
    assert second.at - first.at >= 0.9
    assert result.segments


def test_500_then_success_retries_the_upload_with_the_whole_file(server: Any, make_fs: Any, video: Path) -> None:
    server.fault("POST", "/v1.2/tasks", "status", status=500)
    result = make_fs().transcribe(video)
    posts = server.calls("POST", "/v1.2/tasks")
    assert len(posts) == 2 and len(server.uploads) == 1
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    # The retry sent the file from its start again, not what was left of the stream.
    assert [hashlib.sha256(p.files["video_file"][1]).hexdigest() for p in posts] == [digest, digest]
    assert result.segments


def test_dropped_connection_is_retried(server: Any, make_fs: Any, video: Path) -> None:
    server.fault("GET", "/v1.2/tasks/", "drop", times=2)
    result = make_fs().video_text(video)
    assert len(server.calls("GET", "/v1.2/tasks/")) == 5 + 2
    assert result.segments


def test_timeout_is_a_total_for_the_job_not_per_request(server: Any, make_fs: Any) -> None:
    server.fault("GET", "/v1.2/indexes/", "slow", delay=1.5)
    # A 1.5 s answer outlasts timeout = 1: the job ends at 1 s, with no retry past its deadline.
    started = time.monotonic()
    with pytest.raises(NoBackendAnswered, match="1 s timeout"):
        make_fs(timeout=1.0).video_text(None, video_id=server.seed_video_id)
    assert time.monotonic() - started < 1.4
    assert len(server.calls("GET", "/v1.2/indexes/")) == 1


def test_5xx_past_the_retry_budget_falls_back(server: Any, make_fs: Any, video: Path) -> None:
    server.fault("POST", "/v1.2/tasks", "status", times=10, status=503,
                 body={"code": "service_unavailable", "message": "Service temporarily unavailable."})
    result = make_fs(chain=("twelvelabs", "fake-echo"), max_retries=1).transcribe(video)
    assert result.backend == "fake-echo"
    assert len(server.calls("POST", "/v1.2/tasks")) == 2
    assert "failed after 2 attempts (HTTP 503: Service temporarily unavailable. (service_unavailable))" in result.skipped[0].reason


def test_server_down_falls_back_to_the_local_backend(dead_url: str, make_fs: Any, video: Path) -> None:
    result = make_fs(chain=("twelvelabs", "fake-echo"), api_url=dead_url, max_retries=1).video_text(video)
    assert result.backend == "fake-echo"
    assert result.skipped[0].backend == "twelvelabs"
    assert "ConnectError" in result.skipped[0].reason


def test_server_down_with_no_fallback_says_so(dead_url: str, make_fs: Any, video: Path) -> None:
    with pytest.raises(NoBackendAnswered, match=r"twelvelabs: twelvelabs: POST /tasks failed after 1 attempts \(ConnectError"):
        make_fs(api_url=dead_url, max_retries=0).video_text(video)


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_bad_body_is_an_error_not_a_crash(server: Any, make_fs: Any, video: Path, kind: str) -> None:
    server.fault("GET", "/v1.2/indexes/", kind)
    with pytest.raises(BackendError, match="malformed response") as info:
        make_fs(chain=("twelvelabs", "fake-echo")).transcribe(video)
    assert "Traceback" not in str(info.value)


def test_a_task_body_without_status_is_an_error(server: Any, make_fs: Any, video: Path) -> None:
    server.fault("GET", "/v1.2/tasks/", "status", status=200, body={"_id": "x"})
    with pytest.raises(BackendError, match="no valid 'status' field"):
        make_fs().transcribe(video)


def test_a_4xx_is_an_error_with_the_servers_message_and_no_fallback(server: Any, make_fs: Any, video: Path) -> None:
    with pytest.raises(BackendError, match=r"POST /v1.2/tasks -> HTTP 400: The index_id parameter is invalid\. \(parameter_invalid\)"):
        make_fs(chain=("twelvelabs", "fake-echo"), index_id="not-my-index").video_text(video)
    assert len(server.calls("POST")) == 1  # not retried


def test_a_wrong_key_is_an_error_with_a_hint(server: Any, make_fs: Any, video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWELVE_LABS_API_KEY", "tlk_WRONG0KEY0000000000")
    with pytest.raises(BackendError) as info:
        make_fs().video_text(video)
    assert "HTTP 401: API Key is either invalid or expired" in info.value.message
    assert info.value.hint == "check the API key of backend twelvelabs"
