"""Dispatch along a chain: fallback on unavailable backends, stop on bad input, explicit names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from framescribe import BackendError, BadInput, Framescribe, NoBackendAnswered, UnknownBackend

MakeFs = Callable[..., Framescribe]
Calls = Callable[[str], int]


def chain(*names: str, capability: str = "video_text") -> dict[str, object]:
    return {"capabilities": {capability: list(names)}}


def test_falls_back_past_unavailable_backends_and_records_why(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-down", "fake-flaky", "fake-echo"))
    result = fs.video_text(media)
    assert result.backend == "fake-echo"
    assert [(s.backend, s.reason) for s in result.skipped] == [
        ("fake-down", "fake-down is down on purpose"),
        ("fake-flaky", "fake-flaky: connection refused"),
    ]
    assert result.segments[0].value == f"echo {media.stat().st_size}"


def test_bad_input_stops_the_chain(calls: Calls, make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-bad", "fake-echo"))
    with pytest.raises(BadInput, match="fake-bad rejects everything"):
        fs.video_text(media)
    assert calls("fake-echo") == 0


def test_every_backend_unavailable_is_one_error_naming_each(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-down", "fake-flaky"))
    with pytest.raises(NoBackendAnswered) as info:
        fs.video_text(media)
    assert "fake-down: fake-down is down on purpose" in str(info.value)
    assert "fake-flaky: connection refused" in str(info.value)
    assert info.value.exit_code == 1


def test_explicit_backend_overrides_the_chain(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-bad"))
    assert fs.video_text(media, backend="fake-echo").backend == "fake-echo"


def test_explicit_backend_must_exist_and_do_the_capability(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs()
    with pytest.raises(UnknownBackend, match="unknown backend 'nope'; installed backends: fake-bad, fake-down"):
        fs.video_text(media, backend="nope")
    with pytest.raises(UnknownBackend, match="does not do transcribe; backends that do: fake-down, fake-echo"):
        fs.transcribe(media, backend="fake-bad")


def test_default_chain_skips_backends_that_are_not_installed(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs()  # built-in default chains name tesseract/rapidocr, absent here
    with pytest.raises(NoBackendAnswered, match="tesseract: not installed"):
        fs.video_text(media)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": -1.0}, "start=-1.0"),
        ({"start": 5.0, "end": 5.0}, "must be after start"),
        ({"end": float("nan")}, "end=nan"),
    ],
)
def test_invalid_time_range_is_bad_input(calls: Calls, make_fs: MakeFs, media: Path, kwargs: dict[str, float], message: str) -> None:
    fs = make_fs(chain("fake-echo"))
    with pytest.raises(BadInput, match=message):
        fs.video_text(media, **kwargs)
    assert calls("fake-echo") == 0


def test_results_are_clipped_to_the_time_range(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-echo"))
    result = fs.video_text(media, start=4, end=22)
    assert [(s.start, s.end, s.value) for s in result.segments[1:]] == [(5.0, 10.0, "second"), (20.0, 22.0, "third")]
    assert result.segments[0].start == 4.0 and result.segments[0].end == 5.0


@pytest.mark.parametrize("kind", ["missing", "directory", "empty"])
def test_unusable_input_files_are_rejected_before_any_backend(calls: Calls, make_fs: MakeFs, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "in.mp4"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    fs = make_fs(chain("fake-echo"))
    with pytest.raises(BadInput, match={"missing": "does not exist", "directory": "is a directory", "empty": "is empty"}[kind]):
        fs.video_text(path)
    assert calls("fake-echo") == 0


def test_results_are_cached_by_content_backend_and_settings(calls: Calls, make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-echo"))
    first = fs.video_text(media)
    again = fs.video_text(media)
    assert calls("fake-echo") == 1
    assert again.to_dict()["data"] == first.to_dict()["data"]
    fs.video_text(media, start=1)  # other parameters: a new run
    assert calls("fake-echo") == 2
    other_settings = make_fs({**chain("fake-echo"), "backends": {"fake-echo": {"prefix": "x"}}})
    assert other_settings.video_text(media).segments[0].value.startswith("x ")


def test_no_cache_runs_every_time(calls: Calls, make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-echo"), use_cache=False)
    fs.video_text(media)
    fs.video_text(media)
    assert calls("fake-echo") == 2


def test_image_ocr_chain_and_result_stamp(make_fs: MakeFs, media: Path) -> None:
    fs = make_fs(chain("fake-down", "fake-echo", capability="image_ocr"))
    [result] = fs.image_ocr(media)
    assert (result.backend, result.text, result.word_count) == ("fake-echo", "echo clip.mp4", 2)
    assert result.source == str(media)
    assert result.skipped[0].backend == "fake-down"


def test_a_crashing_backend_becomes_a_backend_error(make_fs: MakeFs, media: Path, tmp_path: Path) -> None:
    crash = tmp_path / "crashing_plugin.py"
    crash.write_text(
        "import framescribe\n"
        "@framescribe.hookimpl\n"
        "def register_backends(register):\n"
        "    register(framescribe.BackendSpec.create('crash', ['video_text']))\n"
        "@framescribe.hookimpl\n"
        "def video_text(backend, request, context):\n"
        "    raise ZeroDivisionError('boom')\n"
    )
    fs = make_fs({"capabilities": {"video_text": ["crash", "fake-echo"]}}, plugins=[str(crash)])
    with pytest.raises(BackendError, match="backend crash failed: ZeroDivisionError: boom"):
        fs.video_text(media)
