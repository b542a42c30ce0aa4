"""The ocrservices backend against real loopback servers: S3 (moto) for the upload, the OCR Services API for the text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framescribe import BackendError, BadInput, ConfigError, Framescribe, NoBackendAnswered

API_KEY = "ocrs-test-key-8d41c2e7b3"


def test_uploads_then_processes_and_maps_every_field(ocr_server: Any, s3: Any, bucket: str, make_image: Callable[..., Path],
                                                     settings_for: Callable[..., dict[str, Any]],
                                                     make_fs: Callable[..., Framescribe]) -> None:
    image = make_image("My Receipt.png", text="Total 12.50 EUR", language="de", wordCount=7)
    [result] = make_fs(settings_for()).image_ocr(image, backend="ocrservices")

    [stored] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    key = stored["Key"]
    assert re.fullmatch(r"ocr/user-1/My-Receipt-[0-9a-f]{16}\.png", key)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == image.read_bytes()
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "image/png"
    [call] = ocr_server.requests
    assert call.path == "/api/ocr/process"
    assert call.json() == {"key": key}
    assert call.header("X-API-Key") == API_KEY
    assert call.header("Content-Type") == "application/json"

    assert result.text == "Total 12.50 EUR"
    assert result.language == "de"
    assert result.word_count == 7  # the service's count, not ours
    assert result.backend == "ocrservices"
    assert result.layout is None
    assert result.metadata == {"id": "ocr-1", "key": key, "fileUrl": f"https://storage.example.invalid/{bucket}/{key}",
                               "createdAt": "2026-11-23T10:30:00Z", "tokensUsed": 3, "bucket": bucket, "uploaded": True}


def test_same_image_is_not_uploaded_twice_and_different_images_never_clash(s3: Any, bucket: str, tmp_path: Path,
                                                                           make_image: Callable[..., Path],
                                                                           settings_for: Callable[..., dict[str, Any]],
                                                                           make_fs: Callable[..., Framescribe]) -> None:
    fs = make_fs(settings_for())
    first = make_image("a/scan.png", text="first")
    second = make_image("b/scan.png", text="second")  # same file name, other content
    [r1] = fs.image_ocr(first, backend="ocrservices")
    [r2] = fs.image_ocr(second, backend="ocrservices")
    [again] = fs.image_ocr(first, backend="ocrservices")
    assert (r1.text, r2.text, again.text) == ("first", "second", "first")
    assert r1.metadata["key"] != r2.metadata["key"]
    assert again.metadata["key"] == r1.metadata["key"]
    assert (r1.metadata["uploaded"], again.metadata["uploaded"]) == (True, False)
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 2


def test_layout_is_built_from_the_text_without_boxes(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                                     make_fs: Callable[..., Framescribe]) -> None:
    image = make_image(text="ACME Store\nTotal 12.50\n\nThank you")
    [result] = make_fs(settings_for()).image_ocr(image, backend="ocrservices", layout=True)
    assert result.layout is not None
    assert [b.text for b in result.layout] == ["ACME Store\nTotal 12.50", "Thank you"]
    assert all(w.box is None for b in result.layout for ln in b.lines for w in ln.words)


def test_invalid_key_format_is_bad_input_and_does_not_fall_back(ocr_server: Any, make_image: Callable[..., Path],
                                                                settings_for: Callable[..., dict[str, Any]],
                                                                make_fs: Callable[..., Framescribe]) -> None:
    image = make_image("scan.png", text="x")
    # a user id the service's key format does not allow (the plugin accepts '.', the service does not)
    fs = make_fs(settings_for(user_id="first.last"), chain=["ocrservices", "fake-echo"])
    with pytest.raises(BadInput) as info:
        fs.image_ocr(image)
    assert "HTTP 400: Invalid file key format (key 'ocr/first.last/scan-" in str(info.value)
    assert "hint: keys look like ocr/{user_id}/{filename}.{ext}" in str(info.value)
    assert len(ocr_server.requests) == 1


def test_not_an_image_is_bad_input_before_any_upload(ocr_server: Any, s3: Any, bucket: str, tmp_path: Path,
                                                     settings_for: Callable[..., dict[str, Any]],
                                                     make_fs: Callable[..., Framescribe]) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("plain text with an image's name")
    with pytest.raises(BadInput, match="not an image ocrservices can read"):
        make_fs(settings_for(), chain=["ocrservices", "fake-echo"]).image_ocr(notes)
    assert ocr_server.requests == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_key_extension_follows_the_content_not_the_name(s3: Any, bucket: str, make_image: Callable[..., Path],
                                                        settings_for: Callable[..., dict[str, Any]],
                                                        make_fs: Callable[..., Framescribe]) -> None:
    [result] = make_fs(settings_for()).image_ocr(make_image("photo.data", text="png inside"), backend="ocrservices")
    assert re.fullmatch(r"ocr/user-1/photo-[0-9a-f]{16}\.png", result.metadata["key"])
    assert result.text == "png inside"


@pytest.mark.parametrize("message", ["Image too blurry to read", "Invalid API key"])
def test_error_body_with_200_is_a_clear_error(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                              make_fs: Callable[..., Framescribe], message: str) -> None:
    image = make_image(error=message)
    with pytest.raises(BackendError) as info:
        make_fs(settings_for(), chain=["ocrservices", "fake-echo"]).image_ocr(image)
    assert not isinstance(info.value, BadInput)
    assert re.search(r"the service could not read 'ocr/user-1/receipt-[0-9a-f]{16}\.png': " + message, str(info.value))


def test_error_body_naming_a_bad_key_with_200_is_bad_input(make_image: Callable[..., Path],
                                                           settings_for: Callable[..., dict[str, Any]],
                                                           make_fs: Callable[..., Framescribe]) -> None:
    with pytest.raises(BadInput, match=r"rejected the key .*: Invalid file key format"):
        make_fs(settings_for()).image_ocr(make_image(error="Invalid file key format"), backend="ocrservices")


def test_wrong_api_key(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                       make_fs: Callable[..., Framescribe]) -> None:
    with pytest.raises(BackendError) as info:
        make_fs(settings_for(api_key="not-the-key-1234")).image_ocr(make_image(text="x"), backend="ocrservices")
    assert "HTTP 401: Invalid API key" in str(info.value) and "check the API key" in str(info.value)
    assert "not-the-key-1234" not in str(info.value)


def test_out_of_tokens(ocr_server: Any, make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                       make_fs: Callable[..., Framescribe]) -> None:
    ocr_server.tokens = 0
    with pytest.raises(BackendError, match="HTTP 402: Insufficient token balance"):
        make_fs(settings_for()).image_ocr(make_image(text="x"), backend="ocrservices")


@pytest.mark.parametrize(("failure", "times"), [("429", 1), ("500", 2), ("drop", 1)])
def test_transient_failures_are_retried(ocr_server: Any, make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                        make_fs: Callable[..., Framescribe], failure: str, times: int) -> None:
    ocr_server.fail_next(failure, times)
    start = time.monotonic()
    [result] = make_fs(settings_for()).image_ocr(make_image(text="eventually"), backend="ocrservices")
    assert result.text == "eventually"
    assert len(ocr_server.requests) == times + 1
    if failure == "429":
        assert time.monotonic() - start >= 1.0  # Retry-After: 1 was honoured


def test_persistent_5xx_falls_back(ocr_server: Any, make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                   make_fs: Callable[..., Framescribe]) -> None:
    ocr_server.fail_next("500-now", 10)
    [result] = make_fs(settings_for(), chain=["ocrservices", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert "failed after 4 attempts (HTTP 500: Internal server error)" in result.skipped[0].reason


@pytest.mark.parametrize(("failure", "message"), [("malformed", "malformed response (not JSON): '<html>upstream timed out</html>'"),
                                                  ("no_text", "no valid 'text' field")])
def test_malformed_bodies(ocr_server: Any, make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                          make_fs: Callable[..., Framescribe], failure: str, message: str) -> None:
    ocr_server.fail_next(failure)
    with pytest.raises(BackendError) as info:
        make_fs(settings_for()).image_ocr(make_image(text="x"), backend="ocrservices")
    assert message in str(info.value)


def test_s3_endpoint_down_falls_back_before_calling_the_api(ocr_server: Any, make_image: Callable[..., Path],
                                                            settings_for: Callable[..., dict[str, Any]],
                                                            make_fs: Callable[..., Framescribe], free_port: int) -> None:
    settings = settings_for(s3_endpoint_url=f"http://127.0.0.1:{free_port}")
    [result] = make_fs(settings, chain=["ocrservices", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert "S3 endpoint unreachable" in result.skipped[0].reason
    assert ocr_server.requests == []
    with pytest.raises(NoBackendAnswered, match="ocrservices: ocrservices: S3 endpoint unreachable"):
        make_fs(settings).image_ocr(make_image(text="x"), backend="ocrservices")  # alone: nothing else can answer


def test_api_down_falls_back(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                             make_fs: Callable[..., Framescribe], free_port: int) -> None:
    settings = settings_for(api_url=f"http://127.0.0.1:{free_port}")
    [result] = make_fs(settings, chain=["ocrservices", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert "POST /api/ocr/process failed after 4 attempts (ConnectError" in result.skipped[0].reason


def test_missing_bucket_names_it(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                 make_fs: Callable[..., Framescribe]) -> None:
    with pytest.raises(BackendError) as info:
        make_fs(settings_for(bucket="no-such-bucket")).image_ocr(make_image(text="x"), backend="ocrservices")
    assert "bucket 'no-such-bucket' does not exist" in str(info.value)
    assert "s3_endpoint_url" in str(info.value)


def test_credentials_from_the_environment(s3: Any, bucket: str, make_image: Callable[..., Path],
                                          settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-environment")
    settings = settings_for()
    del settings["aws_access_key_id"], settings["aws_secret_access_key"]
    [result] = make_fs(settings).image_ocr(make_image(text="chain"), backend="ocrservices")
    assert result.text == "chain"


def test_no_credentials_anywhere_falls_back(ocr_server: Any, make_image: Callable[..., Path],
                                            settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe]) -> None:
    settings = settings_for()
    del settings["aws_access_key_id"], settings["aws_secret_access_key"]
    [result] = make_fs(settings, chain=["ocrservices", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    assert "no AWS credentials" in result.skipped[0].reason
    assert ocr_server.requests == []


@pytest.mark.parametrize("missing", ["api_url", "bucket", "user_id", "api_key"])
def test_incomplete_settings_skip_the_backend(make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                              make_fs: Callable[..., Framescribe], missing: str) -> None:
    settings = settings_for()
    del settings[missing]
    [result] = make_fs(settings, chain=["ocrservices", "fake-echo"]).image_ocr(make_image(text="x"))
    assert result.backend == "fake-echo"
    expected = "needs OCR_SERVICES_API_KEY" if missing == "api_key" else f"needs {missing}"
    assert expected in result.skipped[0].reason


@pytest.mark.parametrize(("override", "message"), [({"user_id": "a/b"}, "user_id"), ({"aws_secret_access_key": None}, "both"),
                                                   ({"api_url": "ftp://x"}, "api_url")])
def test_invalid_settings_are_config_errors(settings_for: Callable[..., dict[str, Any]], make_fs: Callable[..., Framescribe],
                                            override: dict[str, Any], message: str) -> None:
    settings = {k: v for k, v in {**settings_for(), **override}.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        make_fs(settings)


def test_s3_down_falls_back_to_tesseract(tmp_path: Path, settings_for: Callable[..., dict[str, Any]], free_port: int,
                                         framescribe_factory: Callable[..., Framescribe]) -> None:
    pytest.importorskip("framescribe_tesseract", reason="the tesseract plugin is not installed (requirements-dev.txt installs it)")
    from framescribe.testing import make_text_image

    image = make_text_image(tmp_path / "card.png", "LOCAL FALLBACK")
    config = {"capabilities": {"image_ocr": ["ocrservices", "tesseract"]},
              "backends": {"ocrservices": settings_for(s3_endpoint_url=f"http://127.0.0.1:{free_port}")}}
    [result] = framescribe_factory(config, only=["ocrservices", "tesseract"]).image_ocr(image)
    assert result.backend == "tesseract"
    assert "LOCAL FALLBACK" in result.text
    assert "S3 endpoint unreachable" in result.skipped[0].reason
