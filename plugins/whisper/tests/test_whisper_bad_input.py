"""Bad input to the whisper backend through the CLI: a clear message, exit 2, no traceback, no output file."""

from __future__ import annotations

from pathlib import Path

import pytest

from framescribe import BadInput, ConfigError, Framescribe
from framescribe.cli import main

DATA = Path(__file__).parent / "data"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "framescribe.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("backend", ["whisper", None])
def test_video_without_audio(tmp_path: Path, backend: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "out.srt"
    args = ["transcribe", str(DATA / "no_audio.mp4"), "-f", "srt", "-o", str(out_file)]
    code, _, err = run_cli(args + (["-b", backend] if backend else []), capsys)
    assert code == 2
    assert "no_audio.mp4 has no audio track" in err
    assert not out_file.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["whisper", None])
@pytest.mark.parametrize("content", ["header-then-garbage", "random"])
def test_corrupt_file(tmp_path: Path, backend: str | None, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    corrupt = tmp_path / "broken.mp4"
    head = (DATA / "hello.mp4").read_bytes()[:64] if content == "header-then-garbage" else b""
    corrupt.write_bytes(head + bytes(range(7, 250)) * 40)
    out_file = tmp_path / "out.json"
    code, _, err = run_cli(["transcribe", str(corrupt), "-o", str(out_file)] + (["-b", backend] if backend else []), capsys)
    assert code == 2
    assert "broken.mp4 is not a media file ffmpeg can read" in err
    assert not out_file.exists()


def test_model_path_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "models" / "nowhere"
    config = config_file(tmp_path, f'[backends.whisper]\nmodel = "{missing}"\n')
    out_file = tmp_path / "out.txt"
    code, _, err = run_cli(["transcribe", str(DATA / "hello.mp4"), "-b", "whisper", "--config", str(config),
                            "-f", "txt", "-o", str(out_file)], capsys)
    assert code == 2
    assert f"whisper model path {missing} does not exist" in err
    assert not out_file.exists()


def test_model_directory_that_is_not_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello", encoding="utf-8")
    fs = Framescribe({"backends": {"whisper": {"model": str(folder)}}}, use_cache=False)
    with pytest.raises(BadInput, match="not a CTranslate2 model directory"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper")
    (folder / "model.bin").write_bytes(b"not weights")
    with pytest.raises(BadInput, match=r"no tokenizer\.json"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(BadInput, match="cannot load whisper model"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper")


def test_unknown_model_size_is_a_config_error() -> None:
    fs = Framescribe({"backends": {"whisper": {"model": "enormous"}}}, use_cache=False)
    with pytest.raises(ConfigError, match="enormous"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper")


def test_start_past_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["transcribe", str(DATA / "hello.mp4"), "-b", "whisper", "--start", "60"], capsys)
    assert code == 2
    assert "past the end" in err


@pytest.mark.parametrize(("key", "value"), [("compute_type", '"int3"'), ("beam_size", "0"), ("colour", '"red"')])
def test_bad_settings_are_config_errors(tmp_path: Path, key: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_file(tmp_path, f"[backends.whisper]\n{key} = {value}\n")
    code, _, err = run_cli(["transcribe", str(DATA / "hello.mp4"), "-b", "whisper", "--config", str(config)], capsys)
    assert code == 2
    assert key in err and "[backends.whisper]" in err
