"""Upload, poll and retrieval against the local Twelve Labs server, for both capabilities."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from framescribe import BackendError, NoBackendAnswered


def _progress() -> tuple[list[tuple[float, float | None, str]], Any]:
    seen: list[tuple[float, float | None, str]] = []

    def progress(done: float, total: float | None = None, message: str = "") -> None:
        seen.append((done, total, message))

    return seen, progress


def test_transcribe_uploads_polls_and_maps_the_transcription(server: Any, make_fs: Any, video: Path) -> None:
    seen, progress = _progress()
    result = make_fs().transcribe(video, progress=progress)

    (upload,) = server.uploads
    assert upload.fields["index_id"] == server.index_id
    assert upload.fields["language"] == "en"
    assert "provide_transcription" not in upload.fields
    name, content = upload.files["video_file"]
    assert name == video.name
    assert hashlib.sha256(content).digest() == hashlib.sha256(video.read_bytes()).digest()
    assert upload.headers["x-api-key"] == server.api_key
    assert "multipart/form-data" in upload.headers["content-type"]

    task_id = upload.fields["_created"]
    polls = server.calls("GET", f"/v1.2/tasks/{task_id}")
    assert len(polls) == 5  # validating, pending, queued, indexing, ready
    (fetch,) = server.calls("GET", "/v1.2/indexes/")
    assert fetch.path == f"/v1.2/indexes/{server.index_id}/videos/{result.metadata['video_id']}/transcription"
    assert fetch.query == {}

    assert [s.value for s in result.segments] == [d["value"].strip() for d in server.seed_transcription]
    assert (result.segments[0].start, result.segments[0].end) == (280.94, 287.05)
    assert result.backend == "twelvelabs"
    assert result.language == "en"
    assert result.duration == pytest.approx(11, abs=0.5)

    messages = [m for _, _, m in seen]
    for status in ("uploading", "validating", "pending", "queued", "indexing"):
        assert any(m.startswith(status) for m in messages), (status, messages)
    assert any("estimated ready" in m and "in ~" in m for m in messages if m.startswith("indexing"))
    assert seen[-1][0] == seen[-1][1]


def test_video_text_maps_text_in_video(server: Any, make_fs: Any, video: Path) -> None:
    result = make_fs().video_text(video, language="fr")

    (upload,) = server.uploads
    assert upload.fields["language"] == "fr"
    (fetch,) = server.calls("GET", "/v1.2/indexes/")
    assert fetch.path.endswith("/text-in-video")
    assert [(s.start, s.end, s.value) for s in result.segments] == [
        (d["start"], d["end"], d["value"]) for d in server.seed_text_in_video
    ]
    assert result.language == "fr"


def test_start_and_end_are_sent_and_honoured(server: Any, make_fs: Any, video: Path) -> None:
    result = make_fs().video_text(video, start=77.5, end=101.5)

    (fetch,) = server.calls("GET", "/v1.2/indexes/")
    assert fetch.query == {"start": "77.5", "end": "101.5"}
    assert [s.value for s in result.segments] == ["YEAH", "ALRIGHTY HERE WE GO"]
    assert result.segments[-1].end == 101.5


def test_only_start_is_sent_when_only_start_is_given(server: Any, make_fs: Any, video: Path) -> None:
    result = make_fs().transcribe(video, start=300)
    (fetch,) = server.calls("GET", "/v1.2/indexes/")
    assert fetch.query == {"start": "300"}
    assert [s.value for s in result.segments] == ["it's heavy whatever it is.", "Ah that is not a stick.",
                                                  "Oh my God that's not a stick at all."]


def test_user_transcript_is_provided_with_the_upload(server: Any, make_fs: Any, video: Path, tmp_path: Path) -> None:
    transcript = tmp_path / "clip.en.srt"
    transcript.write_text("1\n00:00:01,000 --> 00:00:03,500\nHello from the speaker\n\n"
                          "2\n00:00:05,000 --> 00:00:08,000\nand goodbye\n", encoding="utf-8")
    result = make_fs().transcribe(video, transcript=transcript)

    (upload,) = server.uploads
    assert upload.fields["provide_transcription"] == "true"
    assert upload.files["transcription_file"] == ("clip.en.srt", transcript.read_bytes())
    assert [(s.start, s.end, s.value) for s in result.segments] == [(1.0, 3.5, "Hello from the speaker"), (5.0, 8.0, "and goodbye")]


def test_the_same_file_is_uploaded_once_for_both_capabilities(server: Any, make_fs: Any, video: Path, tmp_path: Path) -> None:
    fs = make_fs()
    first = fs.transcribe(video)
    text = fs.video_text(video)
    # A fresh instance (no result cache) still finds the upload in the state store.
    again = make_fs(use_cache=False).transcribe(video, start=0, end=300)
    copy = tmp_path / "renamed-copy.mp4"
    copy.write_bytes(video.read_bytes())
    renamed = make_fs().video_text(copy)

    assert len(server.uploads) == 1
    assert len(server.calls("GET", "/v1.2/tasks/")) == 5  # polled once, for the one upload
    assert first.metadata["video_id"] == text.metadata["video_id"] == again.metadata["video_id"] == renamed.metadata["video_id"]
    assert len(server.calls("GET", "/v1.2/indexes/")) == 4
    assert [s.value for s in again.segments][:1] == ["Oh I'm so glad I was recording it."]


def test_a_new_transcript_means_a_new_upload(server: Any, make_fs: Any, video: Path, tmp_path: Path) -> None:
    fs = make_fs()
    fs.transcribe(video)
    transcript = tmp_path / "mine.vtt"
    transcript.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nmy own words\n", encoding="utf-8")
    result = fs.transcribe(video, transcript=transcript)
    assert len(server.uploads) == 2
    assert [s.value for s in result.segments] == ["my own words"]
    # Once indexed with the transcript, the same request does not upload again.
    make_fs().transcribe(video, transcript=transcript)
    make_fs().video_text(video)
    assert len(server.uploads) == 2


def test_video_id_skips_the_upload(server: Any, make_fs: Any) -> None:
    result = make_fs().transcribe(None, video_id=server.seed_video_id, start=299, end=303)
    assert server.calls("POST") == []
    (fetch,) = server.calls("GET")
    assert fetch.path == f"/v1.2/indexes/{server.index_id}/videos/{server.seed_video_id}/transcription"
    assert [s.value for s in result.segments] == ["Big stick,", "it's heavy whatever it is."]
    assert result.metadata["video_id"] == server.seed_video_id


def test_unknown_video_id_is_an_error_with_the_servers_message(server: Any, make_fs: Any) -> None:
    with pytest.raises(BackendError, match=r"HTTP 404: Resource with id 0000 does not exist in videos"):
        make_fs(chain=("twelvelabs", "fake-echo")).video_text(None, video_id="0000")


def test_an_interrupted_run_resumes_the_same_task(server: Any, make_fs: Any, video: Path) -> None:
    server.statuses = ["validating"] + ["indexing"] * 40
    # The whole-job timeout ends the first run while the server is still indexing.
    with pytest.raises(NoBackendAnswered, match="did not finish within"):
        make_fs(timeout=0.3, poll_interval=0.05).transcribe(video)
    assert len(server.uploads) == 1
    server.statuses = ["indexing"]
    result = make_fs().transcribe(video)
    assert len(server.uploads) == 1  # no second upload: the stored task id was polled on
    assert result.segments
    task_id = server.uploads[0].fields["_created"]
    assert {r.path for r in server.calls("GET", "/v1.2/tasks/")} == {f"/v1.2/tasks/{task_id}"}


def test_requests_stay_on_loopback(server: Any, make_fs: Any, video: Path) -> None:
    make_fs().video_text(video)
    assert server.requests
    assert {r.client for r in server.requests} == {"127.0.0.1"}
    assert {r.headers["host"] for r in server.requests} == {server.url.split("/")[2]}


def test_index_command_by_url_and_by_file(server: Any, videos: dict[str, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    video = videos["ok"]
    from framescribe.cli import main

    config = tmp_path / "framescribe.toml"
    config.write_text(f'[backends.twelvelabs]\napi_url = "{server.url}"\nindex_id = "{server.index_id}"\npoll_interval = 0.01\n')
    assert main(["twelvelabs-index", "--url", "https://media.example.org/talk.mp4", "-l", "de", "--config", str(config), "-q"]) == 0
    by_url = capsys.readouterr().out.strip()
    (post,) = server.calls("POST")
    assert post.fields["video_url"] == "https://media.example.org/talk.mp4"
    assert post.fields["language"] == "de"
    assert post.files == {}
    assert by_url == server.tasks[post.fields["_created"]]["video_id"]

    assert main(["twelvelabs-index", str(video), "--config", str(config), "-q"]) == 0
    assert main(["twelvelabs-index", str(video), "--config", str(config), "-q"]) == 0
    first, second = capsys.readouterr().out.split()
    assert first == second != by_url
    assert len(server.uploads) == 2  # the URL and the file once

    assert main(["twelvelabs-index", "--config", str(config), "-q"]) == 2
    assert "give a VIDEO file or --url" in capsys.readouterr().err
    assert main(["twelvelabs-index", str(videos["bad"]), "--config", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert "(240p); twelvelabs accepts videos from 360p" in err and "Traceback" not in err
    assert len(server.uploads) == 2
