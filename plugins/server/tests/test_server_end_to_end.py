"""The server on the real local backends (Tesseract, the text-in-video pipeline, whisper): what a user runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_testkit import KEY_A, ROOT, hermetic_env

from framescribe_server.testing import ServerProcess, wait_for


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("real")
    config = {"capabilities": {"image_ocr": ["tesseract"], "video_text": ["tesseract"], "transcribe": ["subtitles", "whisper"]},
              "serve": {"workers": 2}}
    with ServerProcess(root, config=config, keys=[KEY_A], env={**hermetic_env(root), "HF_HUB_OFFLINE": "1"}) as proc:
        yield proc


def test_imagehq_shape_with_tesseract(real: ServerProcess, media: dict[str, Path]) -> None:
    headers = {"authorization": f"Bearer {KEY_A}"}
    r = httpx.post(f"{real.url}/v1/ocr", headers=headers, files=[("files[]", ("card.png", media["image"].read_bytes()))],
                   data={"request": json.dumps({"operation": "extract_text_with_layout"})})
    job = wait_for(lambda: httpx.get(f"{real.url}/v1/jobs/{r.json()['id']}", headers=headers).json(),
                   lambda j: j["status"] in ("succeeded", "failed"), timeout=60, interval=0.1)
    assert job["status"] == "succeeded", job
    assert "SERVER TEST 42" in job["result_json"]["text"] and job["result_json"]["backend"] == "tesseract"
    words = [w["text"] for b in job["result_json"]["blocks"] for ln in b["lines"] for w in ln["words"]]
    assert "SERVER" in words and all(w["box"] for b in job["result_json"]["blocks"] for ln in b["lines"] for w in ln["words"])


def test_video_indexing_with_the_text_in_video_pipeline(real: ServerProcess, media: dict[str, Path]) -> None:
    headers = {"x-api-key": KEY_A}
    r = httpx.post(f"{real.url}/tasks", headers=headers, data={"index_id": "real", "language": "en"},
                   files={"video_file": ("clip.mp4", media["video"].read_bytes())})
    assert r.status_code == 201, r.text
    task = wait_for(lambda: httpx.get(f"{real.url}/tasks/{r.json()['_id']}", headers=headers).json(),
                    lambda t: t["status"] in ("ready", "failed"), timeout=120, interval=0.2)
    assert task["status"] == "ready", task
    data = httpx.get(f"{real.url}/indexes/real/videos/{task['video_id']}/text-in-video", headers=headers).json()["data"]
    values = [d["value"] for d in data]
    assert "HELLO SERVER" in values and "SECOND CARD" in values
    hello = next(d for d in data if d["value"] == "HELLO SERVER")
    assert hello["start"] < 1.0 and 4.0 < hello["end"] <= 6.0
    later = httpx.get(f"{real.url}/indexes/real/videos/{task['video_id']}/text-in-video", headers=headers,
                      params={"start": 6, "end": 11}).json()["data"]
    assert [d["value"] for d in later] == ["SECOND CARD"]


def test_openai_client_with_whisper(real: ServerProcess) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{real.url}/v1", api_key=KEY_A, max_retries=0, timeout=120)
    with (ROOT / "plugins/whisper/tests/data/hello.mp4").open("rb") as fh:
        result = client.audio.transcriptions.create(model="whisper-1", file=fh, response_format="verbose_json", language="en")
    assert "hello world" in result.text.lower() and "speech recognition" in result.text.lower()
    assert result.segments and result.segments[0].start < 1.0
