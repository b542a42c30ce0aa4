"""The command line: exit codes, stdout/stderr split, -o files, secrets, cheap start-up."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from framescribe.cli import main

FAKE = str(Path(__file__).parent / "plugins" / "fake_backends.py")
pytestmark = pytest.mark.usefixtures("no_installed_plugins")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_backends_lists_plugin_backends_with_availability(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "backends", "--plugin", FAKE)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("fake-")}
    assert "unavailable: fake-down is down on purpose" in lines["fake-down"]
    assert lines["fake-echo"].rstrip().endswith("available")
    assert "transcribe, video_text, image_ocr" in lines["fake-echo"]


def test_video_text_to_stdout_and_chain_from_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, media: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[capabilities]\nvideo_text = ["fake-down", "fake-echo"]\n')
    code, out, err = run(capsys, "video-text", str(media), "--plugin", FAKE, "--config", str(config), "-q")
    assert code == 0, err
    data = json.loads(out)
    assert data["backend"] == "fake-echo" and data["skipped"][0]["backend"] == "fake-down"
    assert err == ""


@pytest.mark.parametrize("fmt", ["srt", "vtt", "txt", "json"])
def test_output_file_in_each_format(capsys: pytest.CaptureFixture[str], tmp_path: Path, media: Path, fmt: str) -> None:
    out_file = tmp_path / f"out.{fmt}"
    code, out, _ = run(capsys, "video-text", str(media), "--plugin", FAKE, "-b", "fake-echo", "-f", fmt, "-o", str(out_file))
    assert code == 0 and out == ""
    assert "second" in out_file.read_text()


def test_bad_input_exits_2_without_traceback_or_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, media: Path) -> None:
    out_file = tmp_path / "out.srt"
    code, _, err = run(capsys, "video-text", str(media), "--plugin", FAKE, "-b", "fake-bad", "-o", str(out_file))
    assert code == 2
    assert err.startswith("Error: ") and "fake-bad rejects everything" in err
    assert "Traceback" not in err
    assert not out_file.exists() and list(tmp_path.iterdir()) == [media]


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "video-text", str(tmp_path / "nope.mp4"), "--plugin", FAKE, "-b", "fake-echo")
    assert code == 2 and "does not exist" in err


def test_no_backend_available_exits_1(capsys: pytest.CaptureFixture[str], media: Path) -> None:
    code, _, err = run(capsys, "video-text", str(media), "--plugin", FAKE, "-b", "fake-down")
    assert code == 1 and "fake-down is down on purpose" in err and "framescribe backends" in err


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[capabilities]\nvideo_text = ["nope"]\n', "unknown backend 'nope'; installed backends for video_text: fake-bad"),
        ('[backends.fake-echo]\nbogus = 1\n', "unknown key 'bogus'; allowed keys: prefix, api_key"),
        ("[capabilities\n", "malformed TOML"),
    ],
)
def test_bad_config_exits_2_naming_file_and_choices(capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, expected: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    code, _, err = run(capsys, "backends", "--plugin", FAKE, "--config", str(config))
    assert code == 2
    assert str(config) in err and expected in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str], media: Path) -> None:
    code, _, err = run(capsys, "video-text", str(media), "--format", "docx")
    assert code == 2 and "docx" in err


def test_config_masks_secrets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_ECHO_KEY", "topsecret-123")
    code, out, err = run(capsys, "config", "--plugin", FAKE, "-vv")
    assert code == 0
    assert json.loads(out)["backends"]["fake-echo"]["api_key"] == "********"
    assert "topsecret-123" not in out + err


def test_ocr_several_images_as_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    images = []
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / name).write_bytes(name.encode())
        images.append(str(tmp_path / name))
    code, out, _ = run(capsys, "ocr", *images, "--plugin", FAKE, "-b", "fake-echo", "-f", "json")
    assert code == 0
    assert [r["text"] for r in json.loads(out)] == ["echo a.png", "echo b.png", "echo c.png"]


def test_ocr_checks_every_input_before_working(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png?")
    code, _, err = run(capsys, "ocr", str(tmp_path / "a.png"), str(tmp_path), "--plugin", FAKE, "-b", "fake-echo")
    assert code == 2 and "is a directory" in err


def test_plugins_command_reports_broken_entry_points(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "brokenplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[framescribe]\nbroken = no_such_module_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "broken")
    code, out, _ = run(capsys, "plugins", "--plugin", FAKE)
    assert code == 0
    assert "broken 0.1  (entry point of brokenplug)  FAILED: ModuleNotFoundError" in out
    assert "backends: fake-bad, fake-down, fake-echo, fake-flaky" in out


HEAVY = ("cv2", "numpy", "tesserocr", "pytesseract", "httpx", "faster_whisper", "ctranslate2", "av", "onnxruntime",
         "rapidocr_onnxruntime", "boto3", "PIL")


def test_help_imports_no_heavy_library() -> None:
    # All installed plugins load here (no allowlist), as for a user.
    env = {k: v for k, v in os.environ.items() if k != "FRAMESCRIBE_PLUGINS"}
    code = (
        "import sys\nfrom framescribe.cli import main\n"
        "rc = main(['--help'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "video-text" in proc.stdout
    heavy = proc.stdout.strip().splitlines()[-1]
    assert heavy == "[]", f"framescribe --help imported {heavy}"


def test_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "framescribe.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("framescribe, version ")


def test_main_gives_the_callers_logging_back(capsys: pytest.CaptureFixture[str], media: Path) -> None:
    import logging

    root = logging.getLogger()
    mine = logging.NullHandler()
    root.addHandler(mine)
    handlers, level = root.handlers[:], root.level
    try:
        code, _, err = run(capsys, "video-text", str(media), "--plugin", FAKE, "-b", "fake-echo", "-vv")
        assert code == 0, err
        assert "framescribe: " in err  # the run logged through its own handler
        assert root.handlers == handlers and mine in root.handlers
        assert root.level == level
    finally:
        root.removeHandler(mine)


# -- the common options before the command (`framescribe -v backends`) --------------------------------


CRASHING_PLUGIN = '''
import framescribe
from framescribe import BackendSpec

@framescribe.hookimpl
def register_backends(register):
    register(BackendSpec.create("boom", ["video_text"], description="crashes"))

@framescribe.hookimpl
def video_text(backend, request, context):
    raise RuntimeError("boom went the backend")
'''


def test_plugin_and_config_before_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[capabilities]\nvideo_text = ["fake-echo"]\n')
    code, out, err = run(capsys, "--plugin", FAKE, "--config", str(config), "backends")
    assert code == 0, err
    assert "fake-echo" in out and f"chains ({config})" in out and "video_text: fake-echo" in out


@pytest.mark.parametrize(
    ("before", "after", "traceback"),
    [(["-vv"], [], True), (["-v"], ["-v"], True), ([], ["-vv"], True), (["-v"], [], False)],
    ids=["-vv before", "-v before and after", "-vv after", "-v before"],
)
def test_verbosity_before_and_after_the_command_adds_up(capsys: pytest.CaptureFixture[str], tmp_path: Path, media: Path,
                                                        before: list[str], after: list[str], traceback: bool) -> None:
    plugin = tmp_path / "crashing.py"
    plugin.write_text(CRASHING_PLUGIN)
    code, _, err = run(capsys, *before, "--plugin", str(plugin), "video-text", str(media), "-b", "boom", *after)
    assert code == 1 and "backend boom failed: RuntimeError: boom went the backend" in err
    assert ("Traceback" in err) is traceback  # -vv (however it is given) is debug level, with tracebacks


def test_quiet_before_the_command(capsys: pytest.CaptureFixture[str], media: Path) -> None:
    code, out, err = run(capsys, "-q", "--plugin", FAKE, "video-text", str(media), "-b", "fake-echo", "-v")
    assert code == 0 and json.loads(out)["backend"] == "fake-echo"
    assert err == ""  # -q wins over -v: only errors


def test_no_cache_before_the_command(capsys: pytest.CaptureFixture[str], media: Path, calls: Any) -> None:
    # Each run loads the fake plugin afresh, so calls() counts that run alone: 1 ran the backend, 0 was the cache.
    def ran(*before: str) -> int:
        code, _, err = run(capsys, *before, "--plugin", FAKE, "video-text", str(media), "-b", "fake-echo")
        assert code == 0, err
        return int(calls("fake-echo"))

    assert ran() == 1  # fills the cache
    assert ran() == 0  # the cache answers
    assert ran("--no-cache") == 1  # given before the command, --no-cache still skips it


def test_plugins_before_and_after_the_command_both_load(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plugin = tmp_path / "crashing.py"
    plugin.write_text(CRASHING_PLUGIN)
    code, out, err = run(capsys, "--plugin", FAKE, "backends", "--plugin", str(plugin))
    assert code == 0, err
    assert "fake-echo" in out and "boom" in out


def test_two_different_configs_are_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text("")
    code, _, err = run(capsys, "--config", str(tmp_path / "a.toml"), "backends", "--config", str(tmp_path / "b.toml"))
    assert code == 2 and "--config given twice" in err


def test_plugin_command_from_a_plugin_given_before_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plugin = tmp_path / "greeter.py"
    plugin.write_text(
        "import click\nimport framescribe\nfrom framescribe.cli import common_options\n\n"
        "@framescribe.hookimpl\ndef register_commands(cli):\n"
        "    @cli.command('greet')\n    @common_options\n"
        "    def greet(**opts):\n        click.echo(f\"hello verbose={opts['verbose']} quiet={opts['quiet']}\")\n"
    )
    code, out, err = run(capsys, "--plugin", str(plugin), "-v", "greet", "-q")
    assert code == 0, err
    assert out == "hello verbose=1 quiet=True\n"


# -- shell completion (docs/cli.md) ------------------------------------------------------------------


def _completion_block() -> str:
    text = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    blocks = re.findall(r"```sh\n(eval \"\$\(_FRAMESCRIBE_COMPLETE=bash_source framescribe\)\"\n)```", text)
    assert len(blocks) == 1, "docs/cli.md shows the bash completion line once"
    return blocks[0]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_documented_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    # The docs' line, run in bash as a user's ~/.bashrc would; then what a TAB after `framescribe vid` offers.
    script = _completion_block() + (
        "complete -p framescribe\n"
        # What bash does on TAB: fill COMP_WORDS/COMP_CWORD, call the registered function, read COMPREPLY.
        'tab() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _framescribe_completion framescribe; '
        'echo "words: ${COMPREPLY[*]}"; }\n'
        "tab framescribe vid\n"
        "tab framescribe ocr --la\n"
    )
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", FRAMESCRIBE_PLUGINS="")
    proc = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("complete ") and lines[0].endswith(" framescribe")
    assert lines[1] == "words: video-text"
    assert sorted(lines[2].split()[1:]) == ["--language", "--layout"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_scripts_for_zsh_and_fish_are_generated(shell: str) -> None:
    env = dict(os.environ, _FRAMESCRIBE_COMPLETE=f"{shell}_source")
    proc = subprocess.run([sys.executable, "-m", "framescribe"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and "_FRAMESCRIBE_COMPLETE" in proc.stdout and "framescribe" in proc.stdout
