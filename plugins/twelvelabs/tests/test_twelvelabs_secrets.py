"""The API key is sent as x-api-key, and shown nowhere: logs at -vv, errors, reprs, config output, state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.cli import main
from framescribe_twelvelabs.api import client_for


def _config(tmp_path: Path, server: Any, **extra: Any) -> Path:
    settings = {"api_url": server.url, "index_id": server.index_id, "poll_interval": 0.01, "timeout": 20, "max_retries": 1, **extra}
    lines = ["[backends.twelvelabs]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "framescribe.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cache_bytes() -> bytes:
    root = Path(os.environ["FRAMESCRIBE_CACHE_DIR"])
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_cli_at_debug_level_never_shows_the_key(server: Any, video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, server)
    out = tmp_path / "out.json"
    rc = main(["transcribe", str(video), "--backend", "twelvelabs", "--config", str(config), "-vv", "-o", str(out)])
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert rc == 0, logs
    assert "uploading clip-360p.mp4" in logs  # the debug logs were really captured
    assert "HTTP Request: POST" in logs  # including httpx's own request log
    assert server.api_key not in logs
    assert server.uploads[0].headers["x-api-key"] == server.api_key  # yet it was sent
    assert json.loads(out.read_text())["data"][0]["value"] == "Oh I'm so glad I was recording it."
    assert server.api_key.encode() not in _cache_bytes()

    rc = main(["video-text", "--video-id", server.seed_video_id, "--backend", "twelvelabs",
               "--config", str(config), "-vv", "-f", "txt"])
    again = capsys.readouterr()
    assert rc == 0, again.err
    assert "DID YOU GET THAT ON VIDEO?" in again.out
    assert server.api_key not in again.out + again.err
    assert len(server.uploads) == 1


def test_a_server_echoing_the_key_in_an_error_is_redacted(server: Any, video: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    server.echo_key_in_errors = True
    server.fault("POST", "/v1.2/tasks", "status", status=403,
                 body={"code": "forbidden", "message": f"key {server.api_key} may not upload"})
    config = _config(tmp_path, server, api_key="${TWELVE_LABS_API_KEY}")
    rc = main(["video-text", str(video), "--backend", "twelvelabs", "--config", str(config), "-vv"])
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert rc == 1
    assert "Traceback" not in logs
    assert "HTTP 403: key **** may not upload (forbidden)" in logs
    assert server.api_key not in logs


def test_config_output_and_reprs_mask_the_key(server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, server)
    assert main(["config", "--config", str(config)]) == 0
    assert main(["backends", "--config", str(config), "--json"]) == 0
    shown = capsys.readouterr()
    assert '"api_key": "********"' in shown.out
    assert server.api_key not in shown.out + shown.err
    settings = Framescribe(config).settings_for("twelvelabs")
    assert server.api_key not in repr(settings) + str(settings) + str(settings.public_dict())
    assert settings.public_dict()["api_key"] == "********"
    client = client_for(settings)
    assert server.api_key not in repr(client)
    assert client is client_for(settings)  # one client, reused
