"""ocrservices through the CLI and the Python API: keys already in the bucket, exit codes, secrets, loopback only."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framescribe import BackendError, BadInput, Framescribe
from framescribe.cli import main

API_KEY = "ocrs-test-key-8d41c2e7b3"
AWS_KEY_ID = "AKIATESTKEYID4OCRS"
AWS_SECRET = "s3cret-aws-test-value-91f0"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def cli(ocr_server: Any, s3_url: str, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], fake_plugin: str) -> Callable[..., tuple[int, str, str]]:
    """``framescribe`` in-process; the keys come from the environment as a user would set them."""
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "ocrservices")
    monkeypatch.setenv("OCR_SERVICES_API_KEY", API_KEY)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)

    def run(*args: str, s3_endpoint: str = s3_url, chain: str = '["ocrservices"]') -> tuple[int, str, str]:
        config = tmp_path / "framescribe.toml"
        config.write_text(f'[capabilities]\nimage_ocr = {chain}\n\n[backends.ocrservices]\napi_url = "{ocr_server.url}"\n'
                          f'bucket = "{bucket}"\nuser_id = "user-1"\ns3_endpoint_url = "{s3_endpoint}"\nregion = "us-east-1"\n')
        code = main([*args, "--config", str(config), "--plugin", fake_plugin])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_process_a_key_already_in_the_bucket(s3: Any, bucket: str, ocr_server: Any,
                                             cli: Callable[..., tuple[int, str, str]]) -> None:
    s3.put_object(Bucket=bucket, Key="ocr/user-1/old-scan.jpg", Body=PNG + b'{"text": "stored earlier"}')
    code, out, err = cli("ocrservices-process", "ocr/user-1/old-scan.jpg", "-f", "json")
    assert code == 0, err
    [result] = json.loads(out)
    assert result["text"] == "stored earlier"
    assert result["backend"] == "ocrservices" and result["source"] == "ocr/user-1/old-scan.jpg"
    assert result["metadata"]["key"] == "ocr/user-1/old-scan.jpg"
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 1  # nothing was uploaded
    assert ocr_server.requests[0].json() == {"key": "ocr/user-1/old-scan.jpg"}


def test_process_key_bad_and_missing_keys(s3: Any, bucket: str, cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("ocrservices-process", "scans/not-a-key.png")
    assert (code, out) == (2, "")
    assert "Invalid file key format" in err and "hint: keys look like ocr/{user_id}/{filename}.{ext}" in err
    code, out, err = cli("ocrservices-process", "ocr/user-1/never-uploaded.png")
    assert (code, out) == (1, "")
    assert "HTTP 404: File not found: ocr/user-1/never-uploaded.png" in err


def test_process_key_python_api(s3: Any, bucket: str, settings_for: Callable[..., dict[str, Any]],
                                make_fs: Callable[..., Framescribe]) -> None:
    from framescribe_ocrservices import process_key

    s3.put_object(Bucket=bucket, Key="ocr/user-1/a.png", Body=PNG + b'{"text": "line one\\nline two"}')
    result = process_key("ocr/user-1/a.png", config={"backends": {"ocrservices": settings_for()}}, layout=True)
    assert result.text == "line one\nline two"
    assert result.layout is not None and [ln.text for ln in result.layout[0].lines] == ["line one", "line two"]
    with pytest.raises(BadInput, match="no S3 key given"):
        process_key("  ", config={"backends": {"ocrservices": settings_for()}})
    with pytest.raises(BackendError, match="HTTP 404"):
        process_key("ocr/user-1/b.png", config={"backends": {"ocrservices": settings_for()}})


def test_ocr_command_uploads_and_reads_many_images(cli: Callable[..., tuple[int, str, str]], make_image: Callable[..., Path]) -> None:
    images = [str(make_image(f"p{i}.png", text=f"page {i}")) for i in range(3)]
    code, out, err = cli("ocr", "-j", "3", *images)
    assert code == 0, err
    assert [line for line in out.splitlines() if line.startswith("page")] == ["page 0", "page 1", "page 2"]


def test_secrets_never_in_output_logs_or_reprs(ocr_server: Any, cli: Callable[..., tuple[int, str, str]], free_port: int,
                                               make_image: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                               settings_for: Callable[..., dict[str, Any]]) -> None:
    runs = [
        cli("ocr", "-vv", str(make_image("ok.png", text="fine")), "-f", "json"),
        cli("ocr", "-vv", str(make_image("blurry.png", error="Image too blurry"))),
        cli("ocr", "-vv", str(make_image("down.png", text="x")), s3_endpoint=f"http://127.0.0.1:{free_port}",
            chain='["ocrservices", "fake-echo"]'),
        cli("ocrservices-process", "-vv", "bad-key.png"),
        cli("config", "-vv"),
        cli("backends", "-vv"),
    ]
    monkeypatch.setenv("OCR_SERVICES_API_KEY", "wrong-ocr-key-5551")
    runs.append(cli("ocr", "-vv", str(make_image("k.png", text="x"))))
    text = "\n".join(f"{out}\n{err}" for _, out, err in runs)
    assert [code for code, _, _ in runs] == [0, 1, 0, 2, 0, 0, 1]
    assert "HTTP Request: POST" in text and "S3 endpoint unreachable" in text and "HTTP 401" in text
    for secret in (API_KEY, AWS_SECRET, AWS_KEY_ID, "wrong-ocr-key-5551"):
        assert secret not in text
    settings = Framescribe({"backends": {"ocrservices": settings_for()}}).settings_for("ocrservices")
    from framescribe_ocrservices.service import _client

    shown = repr(settings) + str(settings) + json.dumps(settings.public_dict()) + repr(_client(settings))
    for secret in (API_KEY, AWS_SECRET, AWS_KEY_ID):
        assert secret not in shown


def test_no_connection_leaves_loopback(ocr_server: Any, s3_url: str, make_image: Callable[..., Path],
                                       settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    connected: list[Any] = []
    guarded_connect = socket.socket.connect  # the repository's loopback guard, already in place

    def record(self: socket.socket, address: Any) -> None:
        connected.append(address)
        return guarded_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    [result] = make_fs(settings_for()).image_ocr(make_image("new.png", text="t"), backend="ocrservices")
    assert result.text == "t"
    s3_port = int(s3_url.rsplit(":", 1)[1])
    assert connected
    assert {a[0] for a in connected} <= {"127.0.0.1", "::1"}
    assert {a[1] for a in connected} <= {s3_port, ocr_server.port}
    assert ocr_server.port in {a[1] for a in connected}


def test_process_key_checks_output_before_any_request(s3: Any, bucket: str, ocr_server: Any, tmp_path: Path,
                                                      cli: Callable[..., tuple[int, str, str]]) -> None:
    s3.put_object(Bucket=bucket, Key="ocr/user-1/scan.png", Body=PNG + b'{"text": "kept"}')
    before = len(ocr_server.requests)
    code, out, err = cli("ocrservices-process", "ocr/user-1/scan.png", "-o", str(tmp_path / "missing" / "out.txt"))
    assert (code, out) == (2, "") and "does not exist" in err
    assert len(ocr_server.requests) == before  # refused before the service was asked
    code, out, err = cli("ocrservices-process", "ocr/user-1/scan.png", "-o", "-")
    assert code == 0 and out.strip() == "kept", err
