"""docs/server.md's examples, run: the blocks marked ``served by a live server`` (which tests/test_meta.py
cannot run: they need a server) run here, in page order, against a real ``framescribe serve`` on the real
local backends, with the files they name in the working directory.

* shell blocks with curl run as one bash script (``set -euo pipefail``; ``API_URL`` and ``KEY`` set);
* python blocks run with ``API_URL`` and ``KEY`` defined;
* ``framescribe serve`` lines are parsed by the command itself, so every option they use exists.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from server_testkit import KEY_A, ROOT, hermetic_env

from framescribe_server.command import serve_command
from framescribe_server.testing import ServerProcess

PAGE = ROOT / "docs" / "server.md"
REASON = "served by a live server"


def _meta() -> Any:
    # By its package name, as pytest imports it (the repository root is on sys.path for `python -m pytest`):
    # test_meta.py imports its helpers relatively (from .wheels import ...).
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("tests.test_meta")


BLOCKS = [b for b in _meta()._blocks(PAGE) if b.skip == REASON]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from framescribe.testing import make_text_image, make_text_video

    root = tmp_path_factory.mktemp("docs-work")
    make_text_video(root / "clip.mp4", [(0.0, 4.0, "HELLO WORLD"), (4.0, 8.0, "SECOND CARD"), (12.0, 16.0, "LATER CARD")],
                    size=(480, 270), fps=2)
    make_text_image(root / "scan.png")
    make_text_image(root / "receipt.png", "TOTAL 42")
    shutil.copy(ROOT / "plugins/whisper/tests/data/hello.mp4", root / "talk.mp4")
    (root / "talk.en.vtt").write_text("WEBVTT\n\n00:00.500 --> 00:02.000\nHello world.\n")
    return root


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, workdir: Path) -> Iterator[ServerProcess]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    s3_url = f"http://{host}:{port}"
    bucket = f"docs-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="AKIADOCS0000", aws_secret_access_key="x" * 20)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="ocr/user_id/receipt.png", Body=(workdir / "receipt.png").read_bytes())
    root = tmp_path_factory.mktemp("docs-server")
    config = {"capabilities": {"image_ocr": ["tesseract"], "video_text": ["tesseract"], "transcribe": ["subtitles", "whisper"]},
              "serve": {"s3_bucket": bucket, "s3_endpoint_url": s3_url, "s3_region": "us-east-1",
                        "s3_access_key_id": "AKIADOCS0000", "s3_secret_access_key": "x" * 20}}
    try:
        with ServerProcess(root, config=config, keys=[KEY_A], env={**hermetic_env(root), "HF_HUB_OFFLINE": "1"}) as proc:
            yield proc
    finally:
        moto.stop()


def test_the_page_has_live_examples_for_every_api() -> None:
    code = "".join(b.code for b in BLOCKS)
    for path in ("/tasks", "/text-in-video", "/transcription", "/v1/ocr", "/api/ocr/process", "/v1/audio/transcriptions"):
        assert path in code, f"docs/server.md has no live example of {path}"
    assert any(b.lang == "python" and "OpenAI(" in b.code for b in BLOCKS)


def test_framescribe_serve_lines_use_real_options() -> None:
    lines = [ln for b in BLOCKS for ln in b.code.splitlines() if re.match(r"^(\w+=\S*\s+)?framescribe serve\b", ln)]
    assert lines
    for line in lines:
        argv = shlex.split(line)
        while "=" in argv[0]:
            argv.pop(0)
        serve_command.make_context("serve", argv[2:])  # a usage error raises here


def test_curl_and_client_examples_run_against_a_live_server(live: ServerProcess, workdir: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(b.code for b in BLOCKS if b.lang == "sh" and "curl" in b.code)
    env = {**os.environ, "API_URL": live.url, "KEY": KEY_A}
    run = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}\n{live.log()[-3000:]}"
    out = run.stdout
    assert '"value":"HELLO WORLD"' in out and '"value":"SECOND CARD"' in out  # text in video, first 10 s
    assert "LATER CARD" not in out.split('"data"')[1]  # ... and not the card after 10 s
    assert '"value":"Hello world."' in out  # the transcription file given with the task
    assert "FRAMESCRIBE 42" in out  # ImageHQ result_json and download
    assert '"key":"ocr/user_id/receipt.png"' in out and "TOTAL 42" in out and '"tokensUsed":0' in out  # OCR Services
    assert re.search(r"1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\nHello world", out)  # OpenAI srt, by whisper
    printed = io.StringIO()
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(printed):
            for block in (b for b in BLOCKS if b.lang == "python"):
                exec(compile(block.code, block.where, "exec"), {"API_URL": live.url, "KEY": KEY_A, "__name__": "__docs__"})
    finally:
        os.chdir(cwd)
    assert "hello world" in printed.getvalue().lower()
