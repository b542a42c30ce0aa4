"""HTTP failure modes of the imagehq backend against the real loopback server: retries, errors, fallback."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from framescribe import BackendError, BadInput, Framescribe
from framescribe.testing import free_port


def test_429_on_submit_honours_retry_after(imagehq: Any, make_image: Callable[..., Any],
                                           settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe]) -> None:
    imagehq.fail_next("429", path="/v1/ocr")
    start = time.monotonic()
    [result] = make_fs(settings_for()).image_ocr(make_image(text="after the wait"), backend="imagehq")
    assert time.monotonic() - start >= 1.0  # the server asked for Retry-After: 1
    assert result.text == "after the wait"
    assert [r.path for r in imagehq.requests if r.method == "POST"] == ["/v1/ocr", "/v1/ocr"]


def test_500_while_polling_then_success(imagehq: Any, make_image: Callable[..., Any],
                                        settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe]) -> None:
    imagehq.fail_next("500", times=2, path="/v1/jobs/")
    [result] = make_fs(settings_for()).image_ocr(make_image(text="recovered"), backend="imagehq")
    assert result.text == "recovered"
    assert len(imagehq.jobs) == 1  # polls were retried, the job was not submitted again


def test_dropped_connection_on_submit_resends_the_whole_file(imagehq: Any, make_image: Callable[..., Any],
                                                             settings_for: Callable[..., dict[str, Any]],
                                                             make_fs: Callable[..., Framescribe]) -> None:
    imagehq.fail_next("drop", path="/v1/ocr")
    [result] = make_fs(settings_for()).image_ocr(make_image(text="sent twice, read once"), backend="imagehq")
    assert result.text == "sent twice, read once"  # the retry rewound the file: the server parsed all of it
    assert len([r for r in imagehq.requests if r.method == "POST"]) == 2


def test_persistent_5xx_falls_back_to_the_next_backend(imagehq: Any, make_image: Callable[..., Any],
                                                       settings_for: Callable[..., dict[str, Any]],
                                                       make_fs: Callable[..., Framescribe]) -> None:
    imagehq.fail_next("500", times=10)
    [result] = make_fs(settings_for(max_retries=1), chain=["imagehq", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert result.text == "echo page.png"
    assert "failed after 2 attempts (HTTP 500: internal error)" in result.skipped[0].reason


def test_malformed_json_is_a_clear_error(imagehq: Any, make_image: Callable[..., Any],
                                         settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe]) -> None:
    imagehq.fail_next("malformed", path="/v1/jobs/")
    with pytest.raises(BackendError, match="malformed response \\(not JSON\\): '<html>502 Bad Gateway</html>'"):
        make_fs(settings_for()).image_ocr(make_image(text="x"), backend="imagehq")


def test_truncated_job_record_is_a_clear_error(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                               make_fs: Callable[..., Framescribe]) -> None:
    with pytest.raises(BackendError, match="malformed response"):
        make_fs(settings_for()).image_ocr(make_image(poll_malformed=True), backend="imagehq")


def test_wrong_key_is_a_backend_error_naming_no_key(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                                    make_fs: Callable[..., Framescribe]) -> None:
    fs = make_fs(settings_for(api_key="wrong-key-123456"), chain=["imagehq", "fake-echo"])
    with pytest.raises(BackendError) as info:
        fs.image_ocr(make_image(text="x"))
    assert "HTTP 401: missing or invalid API key" in str(info.value)
    assert "check the API key of backend imagehq" in str(info.value)
    assert "wrong-key-123456" not in str(info.value)


def test_not_an_image_is_bad_input_before_any_request(imagehq: Any, tmp_path: Any, settings_for: Callable[..., dict[str, Any]],
                                                       make_fs: Callable[..., Framescribe]) -> None:
    image = tmp_path / "notes.png"
    image.write_text("this is text, not a PNG")
    with pytest.raises(BadInput, match="not an image imagehq can read"):
        make_fs(settings_for(), chain=["imagehq", "fake-echo"]).image_ocr(image)
    assert imagehq.requests == []


def test_format_the_server_refuses_is_bad_input(imagehq: Any, tmp_path: Any, settings_for: Callable[..., dict[str, Any]],
                                                make_fs: Callable[..., Framescribe]) -> None:
    image = tmp_path / "anim.gif"
    image.write_bytes(b"GIF89a" + b"\x00" * 32)  # an image, but not one this server reads
    with pytest.raises(BadInput, match="HTTP 415: the file is not a supported image format"):
        make_fs(settings_for(), chain=["imagehq", "fake-echo"]).image_ocr(image)
    assert [r.path for r in imagehq.requests] == ["/v1/ocr"]


def test_server_down_falls_back_to_the_local_backend(make_image: Callable[..., Any], make_fs: Callable[..., Framescribe]) -> None:
    port = free_port()  # a port that was just free: nothing listens there
    settings = {"api_url": f"http://127.0.0.1:{port}", "api_key": "k-123456", "max_retries": 1, "poll_interval": 0.02}
    [result] = make_fs(settings, chain=["imagehq", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert result.skipped[0].backend == "imagehq"
    assert "ConnectError" in result.skipped[0].reason


def test_server_down_falls_back_to_tesseract(tmp_path: Any, framescribe_factory: Callable[..., Framescribe]) -> None:
    pytest.importorskip("framescribe_tesseract", reason="the tesseract plugin is not installed (requirements-dev.txt installs it)")
    from framescribe.testing import make_text_image

    image = make_text_image(tmp_path / "card.png", "FALLBACK WORKS")
    config = {"capabilities": {"image_ocr": ["imagehq", "tesseract"]},
              "backends": {"imagehq": {"api_url": f"http://127.0.0.1:{free_port()}", "api_key": "k-123456", "max_retries": 0}}}
    [result] = framescribe_factory(config, only=["imagehq", "tesseract"]).image_ocr(image)
    assert result.backend == "tesseract"
    assert "FALLBACK WORKS" in result.text
    assert result.skipped[0].backend == "imagehq" and "ConnectError" in result.skipped[0].reason
