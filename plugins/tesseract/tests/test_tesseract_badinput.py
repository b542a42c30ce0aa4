"""Bad input through the CLI: a clear message, exit code 2, no traceback, no output file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from framescribe.cli import main
from framescribe.media import ffmpeg_exe
from framescribe.testing.video_clips import ClipSpec, text_image


def run_cli(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    out = tmp_path / "out.json"
    config = tmp_path / "framescribe.toml"
    config.write_text("", encoding="utf-8")
    code = main([*args, "--backend", "tesseract", "--no-cache", "--config", str(config), "-o", str(out)])
    return code, capsys.readouterr().err, out


def assert_bad_input(code: int, err: str, out: Path, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert not out.exists()
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="module")
def small_clip(framescribe_clip_factory: Callable[[str, ClipSpec], Path]) -> Path:
    return framescribe_clip_factory("small.mp4", ClipSpec([], duration=4.0))


def make_video_input(kind: str, tmp_path: Path, small_clip: Path) -> Path:
    path = tmp_path / f"{kind}.mp4"
    if kind == "zero_byte":
        path.write_bytes(b"")
    elif kind == "not_a_video":
        path.write_text("this is a shopping list, not a video\n" * 50)
    elif kind == "corrupt":
        data = bytearray(small_clip.read_bytes())
        data[64:] = os.urandom(len(data) - 64)  # container header kept, everything after it is noise
        path.write_bytes(bytes(data))
    elif kind == "truncated":
        path.write_bytes(small_clip.read_bytes()[: small_clip.stat().st_size // 2])
    elif kind == "truncated_faststart":
        full = tmp_path / "faststart.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(small_clip), "-c", "copy", "-movflags", "+faststart",
                        str(full)], check=True)
        path.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    elif kind == "audio_only":
        path = tmp_path / "audio.m4a"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                        "-c:a", "aac", str(path)], check=True)
    elif kind == "directory":
        path.mkdir()
    elif kind == "missing":
        pass
    return path


VIDEO_CASES = {
    "zero_byte": "empty",
    "not_a_video": "not a",
    "corrupt": "",
    "truncated": "",
    "truncated_faststart": "",
    "audio_only": "no video stream",
    "directory": "directory",
    "missing": "does not exist",
}


@pytest.mark.parametrize("kind", sorted(VIDEO_CASES))
def test_bad_video(kind: str, tmp_path: Path, small_clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_video_input(kind, tmp_path, small_clip)
    code, err, out = run_cli(["video-text", str(path)], tmp_path, capsys)
    assert_bad_input(code, err, out, str(path.name), VIDEO_CASES[kind])
    if kind in ("corrupt", "truncated", "truncated_faststart"):
        assert any(w in err for w in ("corrupt", "truncated", "not a video")), err


def test_good_video_writes_output(tmp_path: Path, framescribe_standard_clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, out = run_cli(["video-text", str(framescribe_standard_clip), "--end", "2"], tmp_path, capsys)
    assert code == 0, err
    assert "NEWS 24" in out.read_text()


def make_image_input(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.png"
    if kind == "zero_byte":
        path.write_bytes(b"")
    elif kind == "not_an_image":
        path.write_text("plain text pretending to be a png\n")
    elif kind == "truncated":
        text_image(["Cut short"]).save(tmp_path / "full.png")
        path.write_bytes((tmp_path / "full.png").read_bytes()[:400])
    elif kind == "huge":
        # 20000 x 20000 one-bit pixels: a few kilobytes on disk, 400 million pixels decoded.
        Image.new("1", (20000, 20000)).save(path, optimize=True)
    elif kind == "directory":
        path.mkdir()
    return path


IMAGE_CASES = {
    "zero_byte": "empty",
    "not_an_image": "not an image",
    "truncated": "",
    "huge": "too large",
    "directory": "directory",
    "missing": "does not exist",
}


@pytest.mark.parametrize("kind", sorted(IMAGE_CASES))
def test_bad_image(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_image_input(kind, tmp_path)
    code, err, out = run_cli(["ocr", str(path)], tmp_path, capsys)
    assert_bad_input(code, err, out, path.name, IMAGE_CASES[kind])


def test_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    from framescribe.errors import BadInput
    from framescribe_tesseract.images import open_pages

    path = make_image_input("huge", tmp_path)
    assert path.stat().st_size < 200_000
    with pytest.raises(BadInput, match="limit"):
        open_pages(path, max_pixels=60_000_000)


@pytest.mark.parametrize("command", ["ocr", "video-text"])
def test_unreadable_file(command: str, small_clip: Path) -> None:
    # Root reads everything, so the CLI runs as `nobody` on a file only root may read. pytest's own temporary
    # folders are private to root, hence a world-traversable folder of our own.
    with tempfile.TemporaryDirectory(prefix="fs-perm-") as folder:
        root = Path(folder)
        root.chmod(0o777)
        path = root / ("secret.png" if command == "ocr" else "secret.mp4")
        if command == "ocr":
            text_image(["Secret"]).save(path)
        else:
            shutil.copy(small_clip, path)
        path.chmod(0o600)
        config = root / "framescribe.toml"
        config.write_text("")
        config.chmod(0o644)
        out = root / "out.json"
        env = {**os.environ, "HOME": str(root), "FRAMESCRIBE_CACHE_DIR": str(root / "cache"), "XDG_CONFIG_HOME": str(root)}
        cli = str(Path(sys.executable).with_name("framescribe"))
        # As root, drop to `nobody`; as anyone else, the owner's read bit is enough to take away.
        as_other = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        if not as_other:
            path.chmod(0o200)
        proc = subprocess.run([*as_other, cli, command, str(path),
                               "--backend", "tesseract", "--no-cache", "--config", str(config), "-o", str(out)],
                              capture_output=True, text=True, env=env, timeout=120, cwd=root)
        assert proc.returncode == 2, proc.stderr
        assert "not readable" in proc.stderr and "Traceback" not in proc.stderr
        assert not out.exists()
