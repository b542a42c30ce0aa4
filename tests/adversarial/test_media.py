"""Media that is not what it claims to be, inputs that cannot be opened, and hostile `eval` files.

Each case asserts the exit code and message, that no input changed, that no partial file is left and that the
configured key shows nowhere (``Workspace.check``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from framescribe.errors import BadInput
from framescribe.media import ffmpeg_exe
from framescribe.testing import make_text_image
from framescribe.testing.hostile import Outcome, Workspace

Run = Callable[..., Outcome]
FAKE_ECHO = ("--backend", "fake-echo")


def _pil_frames() -> list[object]:
    from PIL import Image, ImageDraw

    frames = []
    for text in ("ONE", "TWO"):
        frame = Image.new("RGB", (96, 32), "white")
        ImageDraw.Draw(frame).text((8, 8), text, fill="black")
        frames.append(frame)
    return frames


def _still(path: Path, fmt: str) -> None:
    if fmt == "gif":
        _pil_frames()[0].save(path, format="GIF")  # type: ignore[attr-defined]
    else:
        tmp = path.with_name(f"source.{fmt}")
        make_text_image(tmp, "STILL", size=(96, 32))
        tmp.rename(path)


def _animated(path: Path, fmt: str) -> None:
    first, *rest = _pil_frames()
    first.save(path, format={"apng": "PNG", "gif": "GIF", "webp": "WEBP"}[fmt],  # type: ignore[attr-defined]
               save_all=True, append_images=rest, duration=200, loop=0)


# -- a still image is not a video ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpg", "bmp", "tiff", "webp", "gif"])
def test_still_image_renamed_mp4_is_not_a_video(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], fmt: str) -> None:
    _still(work.root / "photo.mp4", fmt)
    work.retake()
    outcome = cli("video-text", "photo.mp4", *FAKE_ECHO)
    kind = {"jpg": "JPEG"}.get(fmt, fmt.upper())
    work.check(outcome, code=2, says=(f"photo.mp4 is a still image ({kind}), not a video", "framescribe ocr photo.mp4"))
    assert backend_calls() == 0


def test_still_image_given_to_transcribe_is_not_a_video(work: Workspace, cli: Run, backend_calls: Callable[[], int]) -> None:
    shutil.copy(work.root / "scan.png", work.root / "talk.mp4")
    work.retake()
    outcome = cli("transcribe", "talk.mp4", *FAKE_ECHO)
    work.check(outcome, code=2, says=("talk.mp4 is a still image (PNG), not a video", "framescribe ocr"))
    assert backend_calls() == 0


def test_still_image_under_any_video_suffix_is_not_a_video(work: Workspace, cli: Run) -> None:
    shutil.copy(work.root / "scan.png", work.root / "holiday.mkv")
    work.retake()
    outcome = cli("video-text", "holiday.mkv", *FAKE_ECHO, "-o", "out.json")
    work.check(outcome, code=2, says="holiday.mkv is a still image (PNG), not a video")
    assert not (work.root / "out.json").exists()


@pytest.mark.parametrize("fmt", ["apng", "gif", "webp"])
def test_animated_image_is_left_to_the_backend(work: Workspace, cli: Run, backend_calls: Callable[[], int], fmt: str) -> None:
    # Moving pictures are video to ffmpeg; only single pictures are turned away.
    _animated(work.root / "anim.mp4", fmt)
    work.retake()
    outcome = cli("video-text", "anim.mp4", *FAKE_ECHO, "-f", "txt")
    work.check(outcome, code=0, says="echo")
    assert backend_calls() == 1


def test_a_real_video_is_read(work: Workspace, cli: Run) -> None:
    outcome = cli("video-text", "clip.mp4", *FAKE_ECHO, "-f", "srt", "-o", "clip.srt")
    work.check(outcome, code=0, says="", new_files=True)
    assert "-->" in (work.root / "clip.srt").read_text()


def test_the_video_pipeline_refuses_a_still_image_too(work: Workspace) -> None:
    from framescribe.video.decode import probe_video

    shutil.copy(work.root / "scan.png", work.root / "frame.mp4")
    work.retake()
    with pytest.raises(BadInput, match="still image") as raised:
        probe_video(work.root / "frame.mp4")
    work.check(Outcome(raised.value.exit_code, "", str(raised.value)), code=2, says="framescribe ocr")


# -- inputs that cannot be opened ----------------------------------------------------------------------


def _loop(root: Path) -> str:
    (root / "a.mp4").symlink_to("b.mp4")
    (root / "b.mp4").symlink_to("a.mp4")
    return "a.mp4"


def _dangling(root: Path) -> str:
    (root / "gone.mp4").symlink_to("nowhere.mp4")
    return "gone.mp4"


def _empty(root: Path) -> str:
    (root / "empty.mp4").touch()
    return "empty.mp4"


def _directory(root: Path) -> str:
    (root / "folder.mp4").mkdir()
    return "folder.mp4"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda root: "missing.mp4", "video missing.mp4 does not exist"),
        (_directory, "video folder.mp4 is a directory"),
        (_empty, "video empty.mp4 is empty (0 bytes)"),
        (lambda root: "v" * 300 + ".mp4", "file name too long"),
        (lambda root: "d/" * 2100 + "v.mp4", "file name too long"),
        (_loop, "too many levels of symbolic links"),
        (_dangling, "video gone.mp4 (a symbolic link to nowhere.mp4): no such file or directory"),
    ],
    ids=["missing", "directory", "empty", "name-too-long", "path-too-long", "symlink-loop", "dangling-symlink"],
)
def test_video_that_cannot_be_opened_is_exit_2(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], make: Callable[[Path], str], says: str) -> None:
    name = make(work.root)
    work.retake()
    outcome = cli("video-text", name, *FAKE_ECHO, "-o", "out.json")
    work.check(outcome, code=2, says=says)
    assert "unexpected" not in outcome.stderr
    assert backend_calls() == 0 and not (work.root / "out.json").exists()


def test_image_with_a_name_too_long_is_exit_2(work: Workspace, cli: Run) -> None:
    outcome = cli("ocr", "scan.png", "i" * 300 + ".png", *FAKE_ECHO)
    work.check(outcome, code=2, says=("cannot read image", "file name too long"))


# -- what the real decoder turns away (the tesseract backend's pipeline) -----------------------------


def _truncated(root: Path) -> None:
    data = (root / "clip.mp4").read_bytes()
    (root / "bad.mp4").write_bytes(data[: len(data) // 4])


def _noise(root: Path) -> None:
    (root / "bad.mp4").write_bytes(os.urandom(4096))


def _text(root: Path) -> None:
    (root / "bad.mp4").write_text("this is a shopping list, not a film\n" * 20)


def _audio_only(root: Path) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", str(root / "bad.mp4")], check=True, timeout=60)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_truncated, "bad.mp4 is not a video ffmpeg can read"),
        (_noise, "is not a video ffmpeg can read"),
        (_text, "is not a video ffmpeg can read"),
        (_audio_only, "bad.mp4 has no video stream"),
    ],
    ids=["truncated", "random-bytes", "text-file", "audio-only"],
)
def test_broken_video_is_exit_2_from_the_real_decoder(
        work: Workspace, cli: Run, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], None], says: str) -> None:
    monkeypatch.delenv("FRAMESCRIBE_PLUGINS")  # the installed tesseract backend does the decoding
    make(work.root)
    work.retake()
    outcome = cli("video-text", "bad.mp4", "--backend", "tesseract", "--no-cache", "-o", "out.json")
    work.check(outcome, code=2, says=says)
    assert "unexpected" not in outcome.stderr and not (work.root / "out.json").exists()


# -- hostile eval files --------------------------------------------------------------------------------


TRUTH = "1\n00:00:00,500 --> 00:00:01,500\nHello there\n"


@pytest.mark.parametrize(
    ("pred", "says"),
    [
        ('{"data": [{"start": NaN, "end": 1.5, "value": "Hello there"}]}', "NaN is not a number JSON allows"),
        ('{"data": [{"start": 0.5, "end": Infinity, "value": "Hello there"}]}', "Infinity is not a number JSON allows"),
        ('[{"start": -Infinity, "end": 1.5, "value": "Hello there"}]', "-Infinity is not a number JSON allows"),
        ('{"data": [{"start": "nan", "end": 1.5, "value": "Hello there"}]}', "segment 1 has a time that is not a finite"),
        ('{"data": [{"start": 0.5, "end": 1.5, "value": "a"}, {"start": 1, "end": 1e999, "value": "b"}]}',
         "segment 2 has a time that is not a finite"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"data": ' * 50_000 + "[]" + "}" * 50_000, "nested too deeply"),
        ("42", "not a framescribe or seeds-shaped JSON result"),
        ('{"data": [{"start": 0.5}]}', "not a framescribe or seeds-shaped JSON result"),
    ],
    ids=["nan", "infinity", "minus-infinity", "nan-string", "overflow", "deep-list", "deep-object", "a-number",
         "missing-keys"],
)
def test_hostile_prediction_is_exit_2(work: Workspace, cli: Run, pred: str, says: str) -> None:
    (work.root / "truth.srt").write_text(TRUTH)
    (work.root / "pred.json").write_text(pred)
    work.retake()
    outcome = cli("eval", "truth.srt", "pred.json")
    work.check(outcome, code=2, says=("pred.json", says))
    assert "unexpected" not in outcome.stderr and outcome.stdout == ""


def test_non_finite_time_in_the_reference_is_exit_2(work: Workspace, cli: Run) -> None:
    (work.root / "truth.json").write_text('{"data": [{"start": 0.5, "end": NaN, "value": "Hello there"}]}')
    (work.root / "pred.srt").write_text(TRUTH)
    work.retake()
    outcome = cli("eval", "truth.json", "pred.srt", "--json")
    work.check(outcome, code=2, says=("truth.json", "NaN is not a number JSON allows"))


def test_well_formed_eval_files_still_score(work: Workspace, cli: Run) -> None:
    (work.root / "truth.srt").write_text(TRUTH)
    (work.root / "pred.json").write_text(json.dumps({"data": [{"start": 0.5, "end": 1.5, "value": "Hello there"}]}))
    work.retake()
    outcome = cli("eval", "truth.srt", "pred.json", "--json")
    work.check(outcome, code=0, says='"f1": 1.0')
