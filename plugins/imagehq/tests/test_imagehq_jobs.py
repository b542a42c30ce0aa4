"""The imagehq backend against a real ImageHQ-style server on 127.0.0.1: the job lifecycle end to end."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from framescribe import BackendError, BadInput, Box, ConfigError, Framescribe, NoBackendAnswered

LAYOUT = [{"box": {"x": 10, "y": 20, "width": 200, "height": 40}, "confidence": 0.9,
           "lines": [{"box": {"x": 10, "y": 20, "width": 200, "height": 18}, "confidence": 0.92,
                      "words": [{"text": "Total", "box": {"x": 10, "y": 20, "width": 60, "height": 18}, "confidence": 0.95},
                                {"text": "12.50", "box": {"x": 80, "y": 20, "width": 70, "height": 18}, "confidence": 88}]}]}]


def test_extract_text_follows_the_contract_and_reports_stages(imagehq: Any, make_image: Callable[..., Any],
                                                              settings_for: Callable[..., dict[str, Any]],
                                                              make_fs: Callable[..., Framescribe]) -> None:
    image = make_image("receipt.png", text="Total 12.50", confidence=0.91, delay=0.4)
    seen: list[tuple[float, float | None, str]] = []
    fs = make_fs(settings_for())
    [result] = fs.image_ocr(image, backend="imagehq", progress=lambda d, t=None, m="": seen.append((d, t, m)))

    assert result.text == "Total 12.50"
    assert result.confidence == pytest.approx(0.91)
    assert result.backend == "imagehq"
    assert result.metadata["job_id"] == "job_1"
    assert result.metadata["warnings"] == []
    assert [s["name"] for s in result.metadata["stages"]] == ["queued", "processing"]
    assert result.metadata["retention_policy"] == {"clamp": True, "ttl_hours": 24}
    [submitted] = imagehq.submitted
    assert submitted["filename"] == "receipt.png"
    request = submitted["request"]
    assert request["operation"] == "extract_text"
    assert request["options"] == {"detect_orientation": True, "language": "eng", "output_format": "txt"}
    assert request["tool_slug"] == "image-to-text"
    assert request["client_reference_id"].startswith("framescribe-")
    assert result.metadata["client_reference_id"] == request["client_reference_id"]
    polls = [r for r in imagehq.requests if r.method == "GET"]
    assert len(polls) >= 2  # queued/processing, then succeeded
    assert not any(r.path.endswith("/download") for r in imagehq.requests)  # the text came inline
    messages = " | ".join(m for _, _, m in seen)
    assert "processing" in messages and "queued" in messages
    percents = [d for d, t, _ in seen if t == 100]
    assert percents == sorted(percents) and percents[-1] == 100


def test_layout_is_fetched_from_the_output_and_mapped(imagehq: Any, make_image: Callable[..., Any],
                                                      settings_for: Callable[..., dict[str, Any]],
                                                      make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="Total 12.50", layout=LAYOUT)
    [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq", layout=True, language="de")

    request = imagehq.submitted[0]["request"]
    assert request["operation"] == "extract_text_with_layout"
    assert request["options"]["output_format"] == "json"
    assert request["options"]["language"] == "deu"
    assert any(r.path == "/v1/jobs/job_1/download" for r in imagehq.requests)
    assert result.layout is not None
    [block] = result.layout
    assert block.box == Box(10, 20, 200, 40)
    [line] = block.lines
    assert line.text == "Total 12.50"
    assert [w.box for w in line.words] == [Box(10, 20, 60, 18), Box(80, 20, 70, 18)]
    assert [w.confidence for w in line.words] == [pytest.approx(0.95), pytest.approx(0.88)]  # 88 is a percentage
    assert "outputs_expire_at" in result.metadata


def test_inline_layout_with_corner_boxes_needs_no_download(imagehq: Any, make_image: Callable[..., Any],
                                                           settings_for: Callable[..., dict[str, Any]],
                                                           make_fs: Callable[..., Framescribe]) -> None:
    layout = [{"bbox": [5, 6, 105, 26], "lines": [{"bbox": [5, 6, 105, 26], "words": [{"text": "Hi", "bbox": [5, 6, 25, 26]}]}]}]
    image = make_image(text="Hi", layout=layout, inline_layout=True)
    [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq", layout=True)
    assert result.layout is not None
    assert result.layout[0].box == Box(5, 6, 100, 20)
    assert result.layout[0].lines[0].words[0].box == Box(5, 6, 20, 20)
    assert not any(r.path.endswith("/download") for r in imagehq.requests)


def test_warnings_are_kept_and_logged(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                      make_fs: Callable[..., Framescribe], caplog: pytest.LogCaptureFixture) -> None:
    image = make_image(text="faint", warnings=["low contrast", {"code": "rotated", "message": "image was rotated 90 degrees"}])
    with caplog.at_level(logging.WARNING, logger="framescribe"):
        [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq")
    assert result.metadata["warnings"] == ["low contrast", "image was rotated 90 degrees (rotated)"]
    assert "low contrast" in caplog.text and "rotated 90 degrees" in caplog.text


def test_failed_job_reports_the_servers_reason_and_stops_the_chain(make_image: Callable[..., Any],
                                                                   settings_for: Callable[..., dict[str, Any]],
                                                                   make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(fail={"code": "engine_error", "message": "the OCR engine crashed"}, delay=0.1)
    fs = make_fs(settings_for(), chain=["imagehq", "fake-echo"])
    with pytest.raises(BackendError, match=r"job job_1 for page.png failed: the OCR engine crashed \(engine_error\)"):
        fs.image_ocr(image)


def test_failed_job_on_an_unreadable_image_is_bad_input(make_image: Callable[..., Any],
                                                         settings_for: Callable[..., dict[str, Any]],
                                                         make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(fail={"code": "corrupt_file", "message": "cannot decode image"})
    with pytest.raises(BadInput, match="cannot decode image"):
        make_fs(settings_for(), chain=["imagehq", "fake-echo"]).image_ocr(image)


def test_expired_job_falls_back_with_the_servers_reason(make_image: Callable[..., Any],
                                                         settings_for: Callable[..., dict[str, Any]],
                                                         make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(expire=True)
    [result] = make_fs(settings_for(), chain=["imagehq", "fake-echo"]).image_ocr(image)
    assert result.backend == "fake-echo"
    [skipped] = result.skipped
    assert skipped.backend == "imagehq"
    assert "expired" in skipped.reason and "expired in the queue after its time-to-live" in skipped.reason


def test_job_still_running_past_expires_at_is_given_up(make_image: Callable[..., Any],
                                                        settings_for: Callable[..., dict[str, Any]],
                                                        make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(hang=True, expires_in=0.3, delay=0.05)
    with pytest.raises(NoBackendAnswered, match="passed its expires_at"):
        make_fs(settings_for()).image_ocr(image, backend="imagehq")


def test_slow_job_hits_the_timeout_and_falls_back(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                                  make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(hang=True, delay=0.05)
    start = time.monotonic()
    [result] = make_fs(settings_for(timeout=0.6), chain=["imagehq", "fake-echo"]).image_ocr(image)
    assert time.monotonic() - start < 30  # a hung job would never return; 30 s leaves room for a loaded CI machine
    assert result.backend == "fake-echo"
    assert "did not finish within timeout = 0.6 s (last seen: processing 50%" in result.skipped[0].reason


def test_outputs_are_fetched_while_retained(imagehq: Any, make_image: Callable[..., Any],
                                            settings_for: Callable[..., dict[str, Any]],
                                            make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="only in the output file", omit_text=True, expires_in=3)
    [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq")
    assert result.text == "only in the output file"
    assert any(r.path == "/v1/jobs/job_1/download" for r in imagehq.requests)


def test_outputs_past_their_retention_are_not_fetched(imagehq: Any, make_image: Callable[..., Any],
                                                      settings_for: Callable[..., dict[str, Any]],
                                                      make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="gone", omit_text=True, ttl_hours=0)
    with pytest.raises(NoBackendAnswered, match=r"expired at .* before they could be fetched"):
        make_fs(settings_for()).image_ocr(image, backend="imagehq")
    assert not any(r.path.endswith("/download") for r in imagehq.requests)


def test_download_gone_on_the_server_is_unavailable(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                                    make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="gone", omit_text=True, download_gone=True)
    with pytest.raises(NoBackendAnswered, match="HTTP 410: the outputs of this job have expired"):
        make_fs(settings_for()).image_ocr(image, backend="imagehq")


def test_download_on_another_host_is_fetched_without_the_key(imagehq: Any, make_image: Callable[..., Any],
                                                             settings_for: Callable[..., dict[str, Any]],
                                                             make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="signed url", omit_text=True, download_host=f"http://localhost:{imagehq.port}")
    [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq")
    assert result.text == "signed url"
    [download] = [r for r in imagehq.requests if r.path.endswith("/download")]
    assert download.header("Authorization") is None
    assert all(r.header("Authorization") for r in imagehq.requests if not r.path.endswith("/download"))


def test_poll_url_on_another_host_is_refused(imagehq: Any, make_image: Callable[..., Any],
                                             settings_for: Callable[..., dict[str, Any]],
                                             make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="x", poll_host=f"http://localhost:{imagehq.port}")
    with pytest.raises(BackendError, match=r"sent a poll_url on another host \(localhost:\d+\); not sending the key there"):
        make_fs(settings_for()).image_ocr(image, backend="imagehq")
    assert [r.method for r in imagehq.requests] == ["POST"]


def test_custom_auth_header(imagehq: Any, make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                            make_fs: Callable[..., Framescribe]) -> None:
    imagehq.auth = ("X-API-Key", "ihq-test-key-5f2a9c0d7e1b")
    [result] = make_fs(settings_for(auth_header="X-API-Key")).image_ocr(make_image(text="ok"), backend="imagehq")
    assert result.text == "ok"
    assert imagehq.requests[0].header("X-API-Key") == "ihq-test-key-5f2a9c0d7e1b"


@pytest.mark.parametrize("header", ["Bad Header: x", "X-Key: a\nb", ": Bearer"])
def test_invalid_auth_header_is_a_config_error(settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe],
                                               header: str) -> None:
    with pytest.raises(ConfigError, match="auth_header"):
        make_fs(settings_for(auth_header=header))


def test_without_a_key_the_backend_is_skipped(make_image: Callable[..., Any], settings_for: Callable[..., dict[str, Any]],
                                              make_fs: Callable[..., Framescribe]) -> None:
    settings = settings_for()
    del settings["api_key"]
    fs = make_fs(settings, chain=["imagehq", "fake-echo"])
    [result] = fs.image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert "needs IMAGEHQ_API_KEY" in result.skipped[0].reason
    assert json.dumps(fs.effective_config()["backends"]["imagehq"])  # listable with no key
