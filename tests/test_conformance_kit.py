"""The conformance kit (framescribe.testing) run on known backends: it passes what conforms and catches what does not."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from framescribe.testing import is_local_host, loopback_only

pytest_plugins = ["pytester"]

FAKE_PLUGIN = Path(__file__).parent / "plugins" / "fake_backends.py"

BROKEN_PLUGIN = '''
"""A plugin that breaks every rule the kit checks."""
import socket

import numpy  # heavy import at module level

import framescribe
from framescribe import BackendSettings, BackendSpec, OcrResult, Segment, VideoResult
from pydantic import ConfigDict, SecretStr


class Loose(BackendSettings):
    model_config = ConfigDict(extra="allow", frozen=True)  # unknown keys slip through
    api_key: SecretStr | None = framescribe.secret("BROKEN_KEY")


def check(settings):
    if settings.api_key is None:
        raise RuntimeError("check must not raise")
    key = settings.api_key.get_secret_value()
    return None if key == "ok" else f"key {key} was rejected"  # leaks the secret


@framescribe.hookimpl
def register_backends(register):
    register(BackendSpec.create("broken", ["video_text", "image_ocr"], description="breaks the rules",
                                settings=Loose, check=check, local=False))


@framescribe.hookimpl
def video_text(backend, request, context):
    context.progress(5, 2, "more done than total")
    return VideoResult([Segment(3.0, 4.0, "late"), Segment(1.0, 0.5, "")])


@framescribe.hookimpl
def image_ocr(backend, request, context):
    try:
        socket.create_connection(("203.0.113.9", 80), timeout=1)
    except OSError:
        pass  # swallowing the refusal must not hide the attempt
    return [OcrResult(text="words", confidence=3.0)]
'''


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """test id (without the file part) -> PASSED/FAILED/ERROR, from -rA output."""
    out = {}
    for line in result.outlines:
        m = re.match(r"^(PASSED|FAILED|ERROR) \S+?::(\S+)", line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def _run_kit(pytester: pytest.Pytester, tests: str, *options: str,
             plugins: dict[str, str] | None = None) -> tuple[pytest.RunResult, dict[str, str]]:
    """Write the ``plugins`` modules (name -> source) and ``tests`` (a module of kit subclasses), run pytest on
    them in a subprocess with ``options``: its result, and each test's outcome (see ``_outcomes``)."""
    for name, source in (plugins or {}).items():
        pytester.makepyfile(**{name: source})
    pytester.makepyfile(test_kit=tests)
    result = pytester.runpytest_subprocess("-rA", "-p", "no:cacheprovider", *options)
    return result, _outcomes(result)


def test_fake_echo_passes_the_contract_and_fails_where_it_cuts_corners(pytester: pytest.Pytester) -> None:
    _, outcomes = _run_kit(pytester, f"""
        from framescribe.testing import BackendConformance

        class TestEcho(BackendConformance):
            backend = "fake-echo"
            plugins = [{str(FAKE_PLUGIN)!r}]
            load_installed = False
    """)
    failed = sorted(k for k, v in outcomes.items() if v != "PASSED")
    # fake-echo answers any file (it never parses media), has no layout, and answers 0-30 s whatever the range
    # and the media's length: exactly those checks fail.
    assert failed == [
        "TestEcho::test_bad_input[image_ocr-not_media]",
        "TestEcho::test_bad_input[transcribe-not_media]",
        "TestEcho::test_bad_input[video_text-not_media]",
        "TestEcho::test_layout[image_ocr]",
        "TestEcho::test_not_media_fails_cleanly_on_the_cli[image_ocr]",
        "TestEcho::test_not_media_fails_cleanly_on_the_cli[transcribe]",
        "TestEcho::test_not_media_fails_cleanly_on_the_cli[video_text]",
        "TestEcho::test_raw_answer_is_a_clipped_timed_result[transcribe]",
        "TestEcho::test_raw_answer_is_a_clipped_timed_result[video_text]",
    ]
    for passed in ("test_backend_is_registered", "test_plugin_import_is_cheap", "test_secrets_stay_hidden",
                   "test_missing_libraries_only_disable_the_backend",
                   "test_round_trips[video_text]", "test_time_range[transcribe]", "test_bad_input[image_ocr-empty]",
                   "test_nothing_leaves_loopback[image_ocr]"):
        assert outcomes[f"TestEcho::{passed}"] == "PASSED"
    assert len(outcomes) == 40


def test_capabilities_a_backend_lacks_are_deselected_not_skipped(pytester: pytest.Pytester) -> None:
    result, outcomes = _run_kit(pytester, f"""
        from framescribe.testing import BackendConformance

        class TestBad(BackendConformance):
            backend = "fake-bad"   # video_text and image_ocr, no transcribe
            plugins = [{str(FAKE_PLUGIN)!r}]
            load_installed = False
    """, "-k", "time_range")
    assert set(outcomes) == {"TestBad::test_time_range[video_text]"}
    assert outcomes["TestBad::test_time_range[video_text]"] == "FAILED"  # fake-bad rejects the sample video
    assert "skipped" not in result.outlines[-1]
    assert re.search(r"\d+ deselected", result.outlines[-1])


def test_the_kit_catches_a_broken_plugin(pytester: pytest.Pytester) -> None:
    result, outcomes = _run_kit(pytester, """
        from framescribe.testing import BackendConformance

        class TestBroken(BackendConformance):
            backend = "broken"
            plugins = ["broken_plugin"]
            load_installed = False
            settings = {"api_key": "ok"}

        class TestBrokenWithoutKey(TestBroken):
            settings = {}
    """, plugins={"broken_plugin": BROKEN_PLUGIN})
    for test in (
        "test_plugin_import_is_cheap",                 # numpy at module level
        "test_missing_libraries_only_disable_the_backend",  # ... so without numpy it does not even load
        "test_unknown_setting_is_a_config_error",      # extra="allow"
        "test_secrets_stay_hidden",                    # check() shows the key
        "test_result_types[video_text]",               # empty text, end < start
        "test_result_types[image_ocr]",                # confidence 3.0
        "test_round_trips[video_text]",                # an empty segment does not survive SRT
        "test_bad_input[video_text-not_media]",
        "test_nothing_leaves_loopback[image_ocr]",     # tried 203.0.113.9 and swallowed the error
    ):
        assert outcomes.get(f"TestBroken::{test}") == "FAILED", (test, outcomes)
    for test in ("test_check_does_not_raise", "test_available_here"):  # check() raises without a key
        assert outcomes[f"TestBroken::{test}"] == "PASSED"
        assert outcomes[f"TestBrokenWithoutKey::{test}"] == "FAILED"
    output = result.stdout.str()
    assert "imports numpy at module level" in output
    assert "the backend tried to leave loopback: ['connect 203.0.113.9:80']" in output
    # What the core checks before a backend runs still passes, so the failures above are the plugin's own.
    assert outcomes["TestBroken::test_bad_input[image_ocr-missing]"] == "PASSED"


LAZY_BUT_FRAGILE_PLUGIN = '''
"""Imports OpenCV lazily, but its check() imports it too, so a missing OpenCV makes check() raise."""
import framescribe
from framescribe import BackendSpec


def check(settings):
    import cv2  # should be importlib.util.find_spec("cv2") and a reason string

    return None if cv2 else "no OpenCV"


@framescribe.hookimpl
def register_backends(register):
    register(BackendSpec.create("fragile", ["image_ocr"], description="raises in check without OpenCV", check=check))
'''


def test_a_check_that_raises_without_an_optional_library_fails_the_kit(pytester: pytest.Pytester) -> None:
    result, outcomes = _run_kit(pytester, """
        from framescribe.testing import BackendContract

        class TestFragile(BackendContract):
            backend = "fragile"
            plugins = ["fragile_plugin"]
            load_installed = False
    """, plugins={"fragile_plugin": LAZY_BUT_FRAGILE_PLUGIN})
    assert outcomes["TestFragile::test_missing_libraries_only_disable_the_backend"] == "FAILED"
    assert outcomes["TestFragile::test_plugin_import_is_cheap"] == "PASSED"
    assert outcomes["TestFragile::test_check_does_not_raise"] == "PASSED"  # with OpenCV installed it is fine
    assert "check() raised 'import of cv2 halted" in result.stdout.str()


def test_loopback_only_refuses_and_records_outside_addresses() -> None:
    with loopback_only() as attempts:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("192.0.2.1", 9), timeout=1)
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("example.invalid", 80)
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
        server.close()
    assert attempts == ["connect 192.0.2.1:9", "resolve example.invalid"]
    assert is_local_host("::1") and is_local_host("localhost") and not is_local_host("10.0.0.1")


def test_sample_media_is_readable(framescribe_sample_video: Path, framescribe_sample_image: Path) -> None:
    from framescribe.media import probe

    info = probe(framescribe_sample_video)
    assert info.duration is not None and 3.5 <= info.duration <= 4.5
    assert info.video[0].width == 640
    assert framescribe_sample_image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pytest_plugin_is_registered_through_pytest11() -> None:
    from importlib.metadata import entry_points

    targets = {ep.value for ep in entry_points(group="pytest11") if ep.name == "framescribe"}
    assert targets == {"framescribe.testing.pytest_plugin"}


NEWCOMER_PLUGIN = '''
"""A sidecar-JSON reader as a newcomer writes it from the docs; BREAK (an env var) plants one mistake."""
import json
import os

import framescribe
from framescribe import BackendSettings, BackendSpec, Segment, VideoResult
from pydantic import SecretStr

BREAK = os.environ.get("NEWCOMER_BREAK", "")


class Settings(BackendSettings):
    api_key: SecretStr | None = framescribe.secret("NEWCOMER_KEY")


@framescribe.hookimpl
def register_backends(register):
    register(BackendSpec.create("newcomer", ["video_text"], description="reads NAME.json beside a video",
                                settings=Settings))


@framescribe.hookimpl
def video_text(backend, request, context):
    sidecar = request.media.with_suffix(".json")
    if not sidecar.exists():
        raise framescribe.BackendUnavailable(f"no {sidecar.name} beside the video")
    cues = json.loads(sidecar.read_text())
    segments = [Segment(c["start"], c["end"], c["text"]) for c in cues]
    if BREAK == "millis":
        segments = [Segment(s.start * 1000, s.end * 1000, s.value) for s in segments]
    if BREAK == "reversed":
        segments[-1] = Segment(segments[-1].end, segments[-1].start, segments[-1].value)
    if BREAK == "empty":
        segments.append(Segment(3.5, 3.9, " "))
    if BREAK != "noclip":
        lo = request.start or 0.0
        hi = float("inf") if request.end is None else request.end
        segments = [s for s in segments if s.end > lo and s.start < hi]
    if BREAK == "list":
        return segments
    metadata = {"source": sidecar.name}
    if BREAK == "secret" and context.settings.api_key is not None:
        metadata["auth"] = context.settings.api_key.get_secret_value()
    return VideoResult(segments, duration=4.0, metadata=metadata)
'''

NEWCOMER_TESTS = """
    import json

    import pytest
    from framescribe.testing import BackendConformance

    class TestNewcomer(BackendConformance):
        backend = "newcomer"
        plugins = ["newcomer_plugin"]
        load_installed = False
        settings = {"api_key": "nk-9d2f-secret-value"}
        unavailable_inputs = {"video_text": lambda d: __import__("framescribe.testing").testing.make_text_video(d / "bare.mp4")}

        @pytest.fixture
        def sample_video(self, framescribe_sample_video):
            cues = [{"start": 0.0, "end": 2.0, "text": "HELLO WORLD"}, {"start": 2.0, "end": 4.0, "text": "SECOND CARD"}]
            framescribe_sample_video.with_suffix(".json").write_text(json.dumps(cues))
            return framescribe_sample_video
"""

# Each planted mistake, the kit test that must catch it, and words its message must say.
BREAKAGES = {
    "noclip": ("test_raw_answer_is_a_clipped_timed_result[video_text]", "must honour request.start/request.end"),
    "reversed": ("test_raw_answer_is_a_clipped_timed_result[video_text]", "a segment that ends before it starts"),
    "millis": ("test_raw_answer_is_a_clipped_timed_result[video_text]", "must be seconds (not milliseconds"),
    "empty": ("test_raw_answer_is_a_clipped_timed_result[video_text]", "a segment with empty text"),
    "secret": ("test_secrets_stay_out_of_results[video_text]", "shows in the metadata of result 0"),
    "list": ("test_raw_answer_is_a_clipped_timed_result[video_text]", "expected a VideoResult, the video_text hook returned a list of"),
}
KIT_TESTS = "raw_answer or secrets_stay_out or unavailable_input or result_types or time_range"


@pytest.fixture
def newcomer(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(newcomer_plugin=NEWCOMER_PLUGIN)
    pytester.makepyfile(test_newcomer=NEWCOMER_TESTS)
    return pytester


def test_a_newcomers_backend_passes_the_kit_including_fallback(newcomer: pytest.Pytester) -> None:
    result = newcomer.runpytest_subprocess("-rA", "-p", "no:cacheprovider", "-k", KIT_TESTS)
    outcomes = _outcomes(result)
    assert outcomes == {
        "TestNewcomer::test_raw_answer_is_a_clipped_timed_result[video_text]": "PASSED",
        "TestNewcomer::test_secrets_stay_out_of_results[video_text]": "PASSED",
        "TestNewcomer::test_unavailable_input_falls_back[video_text]": "PASSED",
        "TestNewcomer::test_result_types[video_text]": "PASSED",
        "TestNewcomer::test_time_range[video_text]": "PASSED",
    }


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_the_kit_names_each_planted_mistake(newcomer: pytest.Pytester, breakage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWCOMER_BREAK", breakage)
    result = newcomer.runpytest_subprocess("-rA", "-p", "no:cacheprovider", "-k", KIT_TESTS)
    test, words = BREAKAGES[breakage]
    assert _outcomes(result)[f"TestNewcomer::{test}"] == "FAILED"
    assert words in result.stdout.str()
