"""Real clients against a real server: framescribe's own remote plugins (``twelvelabs``, ``imagehq``,
``ocrservices``, each with ``api_url`` = the server: framescribe talking to framescribe) and the stock
``openai`` package with ``base_url``. OCR Services reads from a real S3-protocol server on loopback (moto).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from server_testkit import KEY_A, KEY_B, make_server

from framescribe import Framescribe
from framescribe.testing.loopback import s3_server
from framescribe_server.testing import ServerProcess

AWS_KEY_ID = "AKIASERVERTESTKEY01"
AWS_SECRET = "server-test-aws-secret-4e1c"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(scope="module")
def bucket(s3_url: str) -> str:
    name = f"ocr-{uuid.uuid4().hex[:10]}"
    s3(s3_url).create_bucket(Bucket=name)
    return name


def s3(url: str) -> Any:
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=AWS_KEY_ID,
                        aws_secret_access_key=AWS_SECRET)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, s3_url: str, bucket: str) -> Iterator[ServerProcess]:
    serve = {"s3_bucket": bucket, "s3_endpoint_url": s3_url, "s3_region": "us-east-1", "s3_access_key_id": AWS_KEY_ID,
             "s3_secret_access_key": AWS_SECRET}
    with make_server(tmp_path_factory.mktemp("clients"), serve=serve) as proc:
        yield proc


@pytest.fixture
def fs_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "TWELVE_LABS_API_KEY", "IMAGEHQ_API_KEY",
                 "OCR_SERVICES_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    made: list[Framescribe] = []

    def make(backend: str, capabilities: list[str], **settings: Any) -> Framescribe:
        fs = Framescribe({"capabilities": {c: [backend] for c in capabilities}, "backends": {backend: settings}}, use_cache=False)
        made.append(fs)
        return fs

    yield make
    for fs in made:
        fs.state.close()


# -- twelvelabs ---------------------------------------------------------------------------------


def test_twelvelabs_plugin_indexes_and_reads_back(server: ServerProcess, fs_for: Any, media: dict[str, Path]) -> None:
    fs = fs_for("twelvelabs", ["video_text", "transcribe"], api_url=server.url, api_key=KEY_A, index_id="tl-index",
                poll_interval=0.05, timeout=60)
    size = media["video"].stat().st_size
    text = fs.video_text(media["video"])
    assert text.backend == "twelvelabs"
    assert [(s.start, s.end, s.value) for s in text.segments] == [(0.0, 5.0, f"echo {size}"), (5.0, 10.0, "second"),
                                                                  (20.0, 30.0, "third")]
    video_id = text.metadata["video_id"]
    # The second capability reuses the indexed video (no second upload) and the range goes to the server.
    speech = fs.transcribe(media["video"], start=0, end=10)
    assert speech.metadata["video_id"] == video_id
    assert [s.value for s in speech.segments] == [f"echo {size}", "second"]
    tasks = httpx.get(f"{server.url}/tasks", headers={"x-api-key": KEY_A}).json()["data"]
    assert sum(1 for t in tasks if t["index_id"] == "tl-index") == 1


def test_twelvelabs_plugin_sends_the_transcription_file(server: ServerProcess, fs_for: Any, media: dict[str, Path],
                                                        tmp_path: Path) -> None:
    fs = fs_for("twelvelabs", ["transcribe"], api_url=server.url, api_key=KEY_B, index_id="tl-transcripts",
                poll_interval=0.05, timeout=60)
    result = fs.transcribe(media["video"], transcript=media["srt"])
    assert len(result.segments) == 1 and "Hello from the transcript." in result.segments[0].value


def test_twelvelabs_plugin_with_a_wrong_key_fails_clearly(server: ServerProcess, fs_for: Any, media: dict[str, Path]) -> None:
    from framescribe import FramescribeError

    fs = fs_for("twelvelabs", ["video_text"], api_url=server.url, api_key="wrong-key-0000000000", index_id="x",
                poll_interval=0.05, timeout=30)
    with pytest.raises(FramescribeError) as err:
        fs.video_text(media["video"])
    assert "401" in str(err.value) and "wrong-key-0000000000" not in str(err.value)


# -- imagehq --------------------------------------------------------------------------------------


def test_imagehq_plugin_reads_an_image(server: ServerProcess, fs_for: Any, media: dict[str, Path]) -> None:
    fs = fs_for("imagehq", ["image_ocr"], api_url=server.url, api_key=KEY_A, poll_interval=0.05)
    [result] = fs.image_ocr(media["image"])
    assert result.backend == "imagehq" and result.text == "slow card.png" and result.confidence == 0.8
    assert result.metadata["job_id"] and result.metadata["stages"][-1]["status"] == "succeeded"
    [with_layout] = fs.image_ocr(media["image"], layout=True)
    assert with_layout.layout is not None and with_layout.text == "slow card.png"


def test_imagehq_plugin_batch_through_the_cli(server: ServerProcess, media: dict[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from framescribe.cli import main

    images = []
    for i in range(5):
        images.append(tmp_path / f"page-{i}.png")
        images[-1].write_bytes(media["image"].read_bytes())
    config = tmp_path / "client.toml"
    config.write_text(f'[capabilities]\nimage_ocr = ["imagehq"]\n[backends.imagehq]\napi_url = "{server.url}"\npoll_interval = 0.05\n')
    monkeypatch.setenv("IMAGEHQ_API_KEY", KEY_B)
    assert main(["ocr", "--config", str(config), "--no-cache", "-q", "-f", "json", *map(str, images)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(r["text"] for r in out) == sorted(f"slow page-{i}.png" for i in range(5))


# -- ocrservices (seed 002) --------------------------------------------------------------------------


def test_ocrservices_plugin_uploads_to_s3_and_the_server_reads_it(server: ServerProcess, fs_for: Any, s3_url: str, bucket: str,
                                                                   media: dict[str, Path]) -> None:
    fs = fs_for("ocrservices", ["image_ocr"], api_url=server.url, api_key=KEY_A, bucket=bucket, user_id="user-1",
                s3_endpoint_url=s3_url, region="us-east-1", aws_access_key_id=AWS_KEY_ID, aws_secret_access_key=AWS_SECRET)
    [result] = fs.image_ocr(media["image"])
    key = result.metadata["key"]
    assert key.startswith("ocr/user-1/card-") and result.text == f"slow {key.rsplit('/', 1)[1]}"
    assert result.metadata["id"].startswith("ocr-") and result.metadata["tokensUsed"] == 0
    assert result.metadata["fileUrl"] == f"{s3_url}/{bucket}/{key}" and result.language == "en"
    assert result.word_count == 2


def test_ocrservices_plain_http_as_the_seed_writes_it(server: ServerProcess, s3_url: str, bucket: str, media: dict[str, Path]) -> None:
    s3(s3_url).put_object(Bucket=bucket, Key="ocr/user_id/filename.png", Body=media["image"].read_bytes())
    headers = {"Content-Type": "application/json", "X-API-Key": KEY_A}
    r = httpx.post(f"{server.url}/api/ocr/process", headers=headers, content=b'{"key": "ocr/user_id/filename.png"}')
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"id", "text", "key", "fileUrl", "createdAt", "wordCount", "tokensUsed", "language"}
    assert body["text"] == "slow filename.png" and body["key"] == "ocr/user_id/filename.png" and body["wordCount"] == 2
    assert body["createdAt"].endswith("Z") and body["language"] == "en"
    for key, status, error in (("images/x.png", 400, "Invalid file key format"), ("ocr/u/../../x.png", 400, "Invalid file key format"),
                               ("ocr/user_id/missing.png", 404, "File not found: ocr/user_id/missing.png")):
        r = httpx.post(f"{server.url}/api/ocr/process", headers=headers, json={"key": key})
        assert (r.status_code, r.json()) == (status, {"error": error})
    s3(s3_url).put_object(Bucket=bucket, Key="ocr/user_id/notes.png", Body=media["text"].read_bytes())
    r = httpx.post(f"{server.url}/api/ocr/process", headers=headers, json={"key": "ocr/user_id/notes.png"})
    assert r.status_code == 400 and "not an image" in r.json()["error"]
    assert httpx.post(f"{server.url}/api/ocr/process", json={"key": "ocr/user_id/filename.png"}).status_code == 401
    log = server.log()
    assert AWS_SECRET not in log and KEY_A not in log


# -- openai ---------------------------------------------------------------------------------------------


def test_the_openai_package_with_base_url(server: ServerProcess, media: dict[str, Path]) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY_A, max_retries=0)
    size = media["speech"].stat().st_size
    with media["speech"].open("rb") as fh:
        plain = client.audio.transcriptions.create(model="whisper-1", file=fh)
    assert plain.text == f"echo {size} second third"
    with media["speech"].open("rb") as fh:
        verbose = client.audio.transcriptions.create(model="whisper-1", file=fh, response_format="verbose_json", language="en")
    assert verbose.language == "en" and verbose.duration == 30.0
    assert [(s.start, s.end, s.text) for s in verbose.segments or []] == [(0.0, 5.0, f"echo {size}"), (5.0, 10.0, "second"),
                                                                          (20.0, 30.0, "third")]
    with media["speech"].open("rb") as fh:
        srt = client.audio.transcriptions.create(model="whisper-1", file=fh, response_format="srt")
    assert "00:00:05,000 --> 00:00:10,000\nsecond" in str(srt)
    with media["speech"].open("rb") as fh:
        text = client.audio.transcriptions.create(model="whisper-1", file=fh, response_format="text")
    assert str(text).strip() == f"echo {size} second third"
    wrong = openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-wrong-0000000000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError), media["speech"].open("rb") as fh:
        wrong.audio.transcriptions.create(model="whisper-1", file=fh)
    with pytest.raises(openai.BadRequestError) as err, media["text"].open("rb") as fh:
        client.audio.transcriptions.create(model="whisper-1", file=fh)
    assert "not an audio or video file" in str(err.value)
