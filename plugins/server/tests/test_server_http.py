"""Every endpoint by plain HTTP, as the seeds write the requests, against a real ``framescribe serve`` process.

Seeds: 000 (text in video), 001 (transcription), 003 (tasks with a transcription file), 004 (ImageHQ OCR),
and OpenAI's transcription shape. OCR Services (seed 002) needs S3: see test_server_clients.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_testkit import KEY_A, KEY_B

from framescribe_server.testing import ServerProcess, wait_for

Api = Callable[..., httpx.Client]


def index_video(c: httpx.Client, media: dict[str, Path], index_id: str = "seed-index", transcript: bool = False) -> dict[str, Any]:
    """Seed 003's steps: POST /tasks (multipart), then GET /tasks/{id} until ready."""
    data = {"index_id": index_id, "language": "en"}
    files = [("video_file", ("clip.mp4", media["video"].open("rb"), "application/octet-stream"))]
    if transcript:
        data["provide_transcription"] = "true"
        files.append(("transcription_file", ("talk.srt", media["srt"].open("rb"), "application/octet-stream")))
    response = c.post("/tasks", data=data, files=files)
    assert response.status_code == 201, response.text
    task_id = response.json()["_id"]
    return wait_for(lambda: c.get(f"/tasks/{task_id}").json(), lambda t: t["status"] in ("ready", "failed"))


# -- server ------------------------------------------------------------------------------


def test_healthz_needs_no_key_and_tells_no_jobs(api: Api) -> None:
    response = api(None).get("/healthz")
    body = response.json()
    assert body["status"] == "ok" and body["workers"] == 2
    assert float(response.headers["server-timing"].split("dur=")[1]) >= 0
    assert set(body) == {"status", "version", "workers", "queued", "uptime"}


def test_openapi_document_and_docs_page(api: Api) -> None:
    c = api(None)
    spec = c.get("/openapi.json").json()
    for path in ("/indexes", "/tasks", "/tasks/{task_id}", "/indexes/{index_id}/videos/{video_id}/{kind}", "/v1/ocr",
                 "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/download", "/api/ocr/process", "/v1/audio/transcriptions", "/healthz"):
        assert path in spec["paths"], path
    form = spec["paths"]["/tasks"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"index_id", "video_file", "transcription_file"} <= set(form["properties"])
    docs = c.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # Offline: the page's scripts and styles come from the server, not from a CDN.
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.text)
    assert len(assets) >= 2 and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert c.get(asset).status_code == 200
    redoc = c.get("/redoc")
    assert redoc.status_code == 200 and "http" not in "".join(re.findall(r'src="([^"]+)"', redoc.text))


# -- video indexing (seeds 000, 001, 003) ---------------------------------------------------------


def test_indexes_create_list_and_conflict(api: Api) -> None:
    c = api(KEY_A)
    created = c.post("/indexes", json={"index_name": "holidays", "engines": [{"engine_name": "marengo2.6"}]})
    assert created.status_code == 201
    index_id = created.json()["_id"]
    listed = c.get("/indexes").json()["data"]
    assert {"_id": index_id, "index_name": "holidays"}.items() <= next(i for i in listed if i["_id"] == index_id).items()
    again = c.post("/indexes", json={"index_name": "holidays"})
    assert again.status_code == 409 and again.json()["code"] == "index_name_already_exists"
    missing = c.post("/indexes", json={})
    assert missing.status_code == 400 and missing.json() == {
        "code": "parameter_not_provided", "message": "The index_name parameter is required but was not provided."}
    assert c.get(f"/indexes/{index_id}").json()["index_name"] == "holidays"


def test_task_through_ready_then_text_in_video_and_transcription(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A)
    task = index_video(c, media, "629deb409ea24f052b971993")
    assert task["status"] == "ready", task
    assert task["type"] == "index_task_info" and task["index_id"] == "629deb409ea24f052b971993"
    assert task["metadata"] == {"filename": "clip.mp4", "duration": pytest.approx(11.0, abs=0.6), "width": 640, "height": 360}
    video_id = task["video_id"]
    size = media["video"].stat().st_size
    url = f"/indexes/629deb409ea24f052b971993/videos/{video_id}"
    text = c.get(f"{url}/text-in-video").json()
    assert text == {"_id": video_id, "index_id": "629deb409ea24f052b971993",
                    "data": [{"start": 0.0, "end": 5.0, "value": f"echo {size}"}, {"start": 5.0, "end": 10.0, "value": "second"},
                             {"start": 20.0, "end": 30.0, "value": "third"}]}
    # "start and end query parameters specify the time range": the first 10 seconds.
    first = c.get(f"{url}/text-in-video", params={"start": 0, "end": 10}).json()["data"]
    assert [d["value"] for d in first] == [f"echo {size}", "second"]
    speech = c.get(f"{url}/transcription", params={"start": 21}).json()
    assert [d["value"] for d in speech["data"]] == ["third"]
    # The index the task named did not exist: the task made it.
    assert "629deb409ea24f052b971993" in [i["_id"] for i in c.get("/indexes").json()["data"]]


def test_task_with_provided_transcription_uses_it(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A)
    task = index_video(c, media, "with-transcript", transcript=True)
    assert task["status"] == "ready"
    data = c.get(f"/indexes/with-transcript/videos/{task['video_id']}/transcription").json()["data"]
    assert len(data) == 1 and "Hello from the transcript." in data[0]["value"]


def test_task_rejects_what_is_not_a_video_in_the_seed_shape(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A)
    for name, path in (("notes.txt", media["text"]), ("card.png", media["image"]), ("fake.mp4", media["text"])):
        r = c.post("/tasks", data={"index_id": "x", "language": "en"}, files={"video_file": (name, path.read_bytes())})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "parameter_invalid" and "video_file" in r.json()["message"]
    # MP4 magic bytes with nothing playable behind them: the probe says no.
    broken = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
    r = c.post("/tasks", data={"index_id": "x"}, files={"video_file": ("broken.mp4", broken)})
    assert r.status_code == 400 and "not a video ffmpeg can read" in r.json()["message"]


def test_task_missing_parts_and_bad_transcription(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A)
    no_video = c.post("/tasks", data={"index_id": "x"}, files={"other": ("a.txt", b"hello")})
    assert no_video.status_code == 400 and no_video.json()["code"] == "parameter_not_provided"
    no_index = c.post("/tasks", files={"video_file": ("clip.mp4", media["video"].read_bytes())})
    assert no_index.json() == {"code": "parameter_not_provided", "message": "The index_id parameter is required but was not provided."}
    no_transcript = c.post("/tasks", data={"index_id": "x", "provide_transcription": "true"},
                           files={"video_file": ("clip.mp4", media["video"].read_bytes())})
    assert no_transcript.status_code == 400 and "transcription_file" in no_transcript.json()["message"]
    bad = c.post("/tasks", data={"index_id": "x", "provide_transcription": "true"},
                 files={"video_file": ("clip.mp4", media["video"].read_bytes()), "transcription_file": ("t.srt", b"\xff\xfe garbage")})
    assert bad.status_code == 400 and "SRT or VTT" in bad.json()["message"]
    bad_id = c.post("/tasks", data={"index_id": "../etc"}, files={"video_file": ("clip.mp4", media["video"].read_bytes())})
    assert bad_id.status_code == 400 and bad_id.json()["code"] == "parameter_invalid"


def test_segments_errors_in_the_seed_shape(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A)
    task = index_video(c, media, "errors-index")
    url = f"/indexes/errors-index/videos/{task['video_id']}/text-in-video"
    assert c.get(url, params={"start": 10, "end": 5}).json()["code"] == "parameter_invalid"
    r = c.get(url, params={"start": "soon"})
    assert r.status_code == 400 and r.json()["code"] == "parameter_invalid" and "start" in r.json()["message"]
    assert c.get(url, params={"start": -1}).status_code == 400
    missing = c.get("/indexes/errors-index/videos/000000000000000000000000/text-in-video")
    assert missing.status_code == 404 and missing.json()["code"] == "resource_not_exist"
    assert c.get("/tasks/000000000000000000000000").json()["code"] == "resource_not_exist"
    assert c.get(f"/indexes/other-index/videos/{task['video_id']}/transcription").status_code == 404


def test_malformed_multipart_is_400_not_500(api: Api) -> None:
    c = api(KEY_A)
    headers = {"content-type": "multipart/form-data; boundary=XYZ"}
    for body in (b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XYZ--\r\n",  # a part with no name
                 b"this is not multipart at all",
                 b"--XYZ\r\nContent-Disposition: form-data; name=\"index_id\"\r\n\r\nabc"):  # cut short
        r = c.post("/tasks", content=body, headers=headers)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["code"] in ("parameter_invalid", "parameter_not_provided")
    no_boundary = c.post("/v1/ocr", content=b"--a\r\n", headers={"content-type": "multipart/form-data"})
    assert no_boundary.status_code == 400 and "error" in no_boundary.json()
    json_body = c.post("/tasks", json={"index_id": "x"})
    assert json_body.status_code == 400 and "multipart/form-data" in json_body.json()["message"]


# -- ImageHQ (seed 004) -----------------------------------------------------------------------


def submit_image(c: httpx.Client, path: Path, name: str | None = None, **request: Any) -> httpx.Response:
    payload = {"operation": "extract_text", "options": {"detect_orientation": True, "language": "eng", "output_format": "txt"},
               "tool_slug": "image-to-text", **request}
    return c.post("/v1/ocr", files=[("files[]", (name or path.name, path.read_bytes(), "image/png"))],
                  data={"request": json.dumps(payload)})


def poll_job(c: httpx.Client, job_id: str) -> dict[str, Any]:
    return wait_for(lambda: c.get(f"/v1/jobs/{job_id}").json(), lambda j: j["status"] in ("succeeded", "failed"))


def test_imagehq_job_lifecycle_as_the_seed_shows(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A, "authorization")
    r = submit_image(c, media["image"], "slow-0.4.png", client_reference_id="example-123")
    assert r.status_code == 202
    queued = r.json()
    assert queued["status"] == "queued" and queued["progress"] == 0 and queued["current_stage"] == "queued"
    assert queued["poll_url"] == f"/v1/jobs/{queued['id']}" and queued["client_reference_id"] == "example-123"
    assert queued["tool_slug"] == "image-to-text" and queued["expires_at"] > queued["created_at"]
    seen = {c.get(queued["poll_url"]).json()["status"]}
    done = poll_job(c, queued["id"])
    seen.add(done["status"])
    assert "running" in seen or "queued" in seen
    assert done["status"] == "succeeded" and done["progress"] == 100
    assert done["result_json"]["text"] == "slow slow-0.4.png" and done["result_json"]["confidence"] == 0.8
    assert [s["name"] for s in done["stages"]] == ["queued", "processing"] and all(s["status"] == "succeeded" for s in done["stages"])
    assert done["inputs"] == [{"filename": "slow-0.4.png", "format": "png", "mime_type": "image/png",
                               "size_bytes": media["image"].stat().st_size}]
    assert done["outputs"][0]["format"] == "txt" and done["retention_policy"] == {"clamp": True, "ttl_hours": 24.0}
    assert done["warnings"] == []
    download = c.get(done["download_url"])
    assert download.status_code == 200 and download.text == "slow slow-0.4.png"
    assert download.headers["content-type"].startswith("text/plain")


def test_imagehq_layout_operation_and_json_download(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A, "authorization")
    r = submit_image(c, media["image"], operation="extract_text_with_layout", options={"output_format": "json"})
    done = poll_job(c, r.json()["id"])
    assert done["status"] == "succeeded" and "blocks" in done["result_json"]
    assert c.get(done["download_url"]).json() == done["result_json"]


def test_imagehq_bad_requests(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A, "authorization")
    not_json = c.post("/v1/ocr", files=[("files[]", ("a.png", media["image"].read_bytes()))], data={"request": "{oops"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_request"
    wrong_op = submit_image(c, media["image"], operation="resize")
    assert wrong_op.status_code == 400 and wrong_op.json()["error"]["code"] == "unsupported_operation"
    not_image = c.post("/v1/ocr", files=[("files[]", ("a.png", media["text"].read_bytes()))])
    assert not_image.status_code == 400 and not_image.json()["error"]["code"] == "unsupported_format"
    nothing = c.post("/v1/ocr", data={"request": "{}"}, files=[("other", ("a.txt", b"x"))])
    assert nothing.status_code == 400 and nothing.json()["error"]["code"] == "missing_file"
    assert c.get("/v1/jobs/job_nope").json() == {"error": {"code": "not_found", "message": "no job job_nope"}}


def test_imagehq_failed_job_says_why_and_has_no_download(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A, "authorization")
    done = poll_job(c, submit_image(c, media["image"], "crash.png").json()["id"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "backend_error" and "fake-slow crashed on purpose" in done["error"]["message"]
    assert "data" not in done["error"]["message"]  # no server path
    not_ready = c.get(f"/v1/jobs/{done['id']}/download")
    assert not_ready.status_code == 409 and not_ready.json()["error"]["code"] == "job_not_ready"


def test_a_backend_killing_its_process_fails_that_job_only(api: Api, media: dict[str, Path], server: ServerProcess) -> None:
    c = api(KEY_A, "authorization")
    bystander = submit_image(c, media["image"], "slow-0.5-bystander.png").json()["id"]
    dead = poll_job(c, submit_image(c, media["image"], "die.png").json()["id"])
    assert dead["status"] == "failed" and dead["error"]["code"] == "backend_crashed"
    assert "die.png crashed twice" in dead["error"]["message"]
    assert poll_job(c, bystander)["status"] == "succeeded"  # in the broken pool too, it got its second try
    after = poll_job(c, submit_image(c, media["image"], "after-the-crash.png").json()["id"])
    assert after["status"] == "succeeded" and after["result_json"]["text"] == "slow after-the-crash.png"
    assert server.proc is not None and server.proc.poll() is None


def test_upload_names_are_sanitized(api: Api, media: dict[str, Path], server: ServerProcess) -> None:
    c = api(KEY_A, "authorization")
    r = submit_image(c, media["image"], "../../../../tmp/evil name.png")
    done = poll_job(c, r.json()["id"])
    assert done["inputs"][0]["filename"] == "evil_name.png"
    assert done["result_json"]["text"] == "slow evil_name.png"
    assert not Path("/tmp/evil name.png").exists()
    windows = poll_job(c, submit_image(c, media["image"], "..\\..\\x.png").json()["id"])
    assert windows["inputs"][0]["filename"] == "x.png"


# -- OpenAI transcriptions ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "text", "srt", "vtt", "verbose_json"])
def test_openai_transcription_formats(api: Api, media: dict[str, Path], fmt: str) -> None:
    c = api(KEY_A, "authorization")
    r = c.post("/v1/audio/transcriptions", files={"file": ("speech.mp4", media["speech"].read_bytes())},
               data={"model": "whisper-1", "response_format": fmt, "language": "en"})
    assert r.status_code == 200, r.text
    size = media["speech"].stat().st_size
    expected_text = f"echo {size} second third"
    if fmt == "json":
        assert r.json() == {"text": expected_text}
    elif fmt == "text":
        assert r.text == expected_text + "\n"
    elif fmt == "srt":
        assert r.text.startswith("1\n00:00:00,000 --> 00:00:05,000\necho") and "00:00:20,000 --> 00:00:30,000\nthird" in r.text
    elif fmt == "vtt":
        assert r.text.startswith("WEBVTT") and "00:00:20.000 --> 00:00:30.000\nthird" in r.text
    else:
        body = r.json()
        assert body["task"] == "transcribe" and body["language"] == "en" and body["duration"] == 30.0
        assert body["text"] == expected_text
        assert [(s["id"], s["start"], s["end"], s["text"]) for s in body["segments"]] == [
            (0, 0.0, 5.0, f"echo {size}"), (1, 5.0, 10.0, "second"), (2, 20.0, 30.0, "third")]


def test_openai_errors_in_openai_shape(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_A, "authorization")
    bad_format = c.post("/v1/audio/transcriptions", files={"file": ("s.mp4", media["speech"].read_bytes())},
                        data={"model": "whisper-1", "response_format": "docx"})
    assert bad_format.status_code == 400
    assert bad_format.json()["error"] == {"message": "response_format must be one of json, text, srt, vtt, verbose_json",
                                          "type": "invalid_request_error", "param": "response_format", "code": "invalid_value"}
    no_model = c.post("/v1/audio/transcriptions", files={"file": ("s.mp4", media["speech"].read_bytes())})
    assert no_model.status_code == 400 and no_model.json()["error"]["param"] == "model"
    text_file = c.post("/v1/audio/transcriptions", files={"file": ("s.mp3", media["text"].read_bytes())}, data={"model": "m"})
    assert text_file.status_code == 400 and text_file.json()["error"]["code"] == "invalid_file"
    silent = c.post("/v1/audio/transcriptions", files={"file": ("clip.mp4", media["video"].read_bytes())}, data={"model": "m"})
    assert silent.status_code == 400 and "no audio stream" in silent.json()["error"]["message"]


# -- keys and isolation -----------------------------------------------------------------------------


def test_no_key_or_a_wrong_key_is_401_in_each_shape(api: Api) -> None:
    cases = [("/indexes", "get", lambda b: b["code"] == "api_key_invalid"),
             ("/tasks/abc", "get", lambda b: b["code"] == "api_key_invalid"),
             ("/v1/jobs/abc", "get", lambda b: b["error"]["code"] == "api_key_invalid"),
             ("/api/ocr/process", "post", lambda b: isinstance(b["error"], str)),
             ("/v1/audio/transcriptions", "post", lambda b: b["error"]["type"] == "authentication_error")]
    for key in (None, "not-a-key-at-all-000000", KEY_A[:-1], KEY_A + "x"):
        c = api(key)
        for path, method, shaped in cases:
            r = c.request(method.upper(), path)
            assert r.status_code == 401, (key, path, r.text)
            assert shaped(r.json()), r.text
            if key:
                assert key not in r.text


def test_another_keys_ids_are_404(api: Api, media: dict[str, Path]) -> None:
    a, b = api(KEY_A), api(KEY_B)
    task = index_video(a, media, "private-index")
    job = poll_job(a, submit_image(a, media["image"]).json()["id"])
    index_id = a.post("/indexes", json={"index_name": "a-only"}).json()["_id"]
    for path in (f"/tasks/{task['_id']}", f"/indexes/private-index/videos/{task['video_id']}/text-in-video",
                 f"/indexes/private-index/videos/{task['video_id']}/transcription", f"/v1/jobs/{job['id']}",
                 f"/v1/jobs/{job['id']}/download", f"/indexes/{index_id}"):
        assert b.get(path).status_code == 404, path
        assert a.get(path).status_code == 200, path
    assert index_id not in [i["_id"] for i in b.get("/indexes").json()["data"]]
    assert task["_id"] not in [t["_id"] for t in b.get("/tasks").json()["data"]]
    # The same index id named by B is B's own, empty index.
    other = index_video(b, media, "private-index")
    assert b.get(f"/indexes/private-index/videos/{task['video_id']}/text-in-video").status_code == 404
    assert b.get(f"/indexes/private-index/videos/{other['video_id']}/text-in-video").status_code == 200


def test_keys_are_not_stored_or_logged_in_clear(api: Api, media: dict[str, Path], server: ServerProcess) -> None:
    poll_job(api(KEY_A), submit_image(api(KEY_A), media["image"]).json()["id"])
    api("wrong-key-that-someone-typed").get("/indexes")
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for secret in (KEY_A, KEY_B, "wrong-key-that-someone-typed"):
                assert secret.encode() not in raw, path
    log = server.log()
    assert "server: job" in log  # the log is written (at -v), yet holds no key
    for secret in (KEY_A, KEY_B, "wrong-key-that-someone-typed"):
        assert secret not in log


# -- limits ------------------------------------------------------------------------------------------


def test_upload_over_the_limit_is_413(api: Api) -> None:
    c = api(KEY_A)
    big = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (2 * 1024 * 1024 + 10)
    declared = c.post("/tasks", data={"index_id": "x"}, files={"video_file": ("big.mp4", big)})
    assert declared.status_code == 413 and declared.json()["code"] == "payload_too_large"

    def chunks() -> Any:  # no Content-Length: the server counts as it reads
        boundary = b"B0UND"
        yield b"--B0UND\r\nContent-Disposition: form-data; name=\"video_file\"; filename=\"big.mp4\"\r\n\r\n"
        for _ in range(40):
            yield b"\x00" * 65536
        yield b"\r\n--" + boundary + b"--\r\n"

    try:
        streamed = c.post("/tasks", content=chunks(), headers={"content-type": "multipart/form-data; boundary=B0UND"})
    except httpx.HTTPError:  # the server may close the connection as soon as it has answered
        streamed = None
    if streamed is not None:
        assert streamed.status_code == 413
    assert c.get("/healthz").status_code == 200


def test_per_key_concurrency_limit_is_429_with_retry_after(api: Api, media: dict[str, Path]) -> None:
    a, b = api(KEY_B, "authorization"), api(KEY_A, "authorization")
    accepted = [submit_image(a, media["image"], f"slow-1.{i}.png") for i in range(4)]
    assert [r.status_code for r in accepted] == [202] * 4
    refused = submit_image(a, media["image"], "fifth.png")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert submit_image(b, media["image"]).status_code == 202  # the other key is not held back
    for r in accepted:
        assert poll_job(a, r.json()["id"])["status"] == "succeeded"
    assert submit_image(a, media["image"]).status_code == 202  # slots come back when jobs end


def test_handlers_answer_while_every_worker_is_busy(api: Api, media: dict[str, Path]) -> None:
    c = api(KEY_B, "authorization")
    ids = [submit_image(c, media["image"], "slow-1.5.png").json()["id"] for _ in range(2)]
    wait_for(lambda: [c.get(f"/v1/jobs/{i}").json()["status"] for i in ids], lambda s: s == ["running", "running"])
    started = time.monotonic()
    for _ in range(10):
        assert c.get(f"/v1/jobs/{ids[0]}").status_code == 200
    assert c.get("/healthz").json()["status"] == "ok"
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"11 status requests took {elapsed:.2f} s while the pool was busy"
    for i in ids:
        poll_job(c, i)
