"""`-o` against users' files: never an input, checked before any work, non-regular targets written straight.

Each case asserts the exit code and message, that no input changed, that no partial file is left, and that the
configured key shows nowhere (``Work.check``); cases that must stop before the work also assert no backend ran.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from framescribe.testing.hostile import Outcome, Workspace, assert_no_partial_files

Run = Callable[..., Outcome]
FAKE_ECHO = ("--backend", "fake-echo")


# -- -o names an input ---------------------------------------------------------------------------------


def _spell(work: Workspace, target: Path, how: str) -> str:
    """Another name for ``target``: the one a user might type, or one made for the purpose (links)."""
    root = work.root
    if how == "same":
        return target.name
    if how == "dot-slash":
        return f"./{target.name}"
    if how == "absolute":
        return str(target.resolve())
    if how == "dot-dot":
        (root / "sub").mkdir()
        return f"sub/../{target.name}"
    if how == "double-slash":
        return f"{root}//{target.name}"
    if how == "symlink":
        (root / "link").symlink_to(target.name)
        return "link"
    if how == "symlink-chain":
        (root / "link1").symlink_to(target.name)
        (root / "link2").symlink_to("link1")
        return "link2"
    if how == "hard-link":
        os.link(target, root / "hard")
        return "hard"
    raise AssertionError(how)


SPELLINGS = ["same", "dot-slash", "absolute", "dot-dot", "double-slash", "symlink", "symlink-chain", "hard-link"]


@pytest.mark.parametrize("how", SPELLINGS)
def test_ocr_output_that_is_the_image_is_refused_before_any_work(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], how: str) -> None:
    output = _spell(work, work.root / "scan.png", how)
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", output)
    work.check(outcome, code=2, says=(f"'{output}' and 'scan.png' are the same file",), new_files=True)
    assert backend_calls() == 0


@pytest.mark.parametrize("how", ["same", "symlink", "hard-link"])
def test_video_text_output_that_is_the_video_is_refused(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], how: str) -> None:
    output = _spell(work, work.root / "clip.mp4", how)
    outcome = cli("video-text", "clip.mp4", *FAKE_ECHO, "-f", "srt", "-o", output)
    work.check(outcome, code=2, says=f"'{output}' and 'clip.mp4' are the same file", new_files=True)
    assert backend_calls() == 0


@pytest.mark.parametrize("how", ["same", "dot-slash"])
def test_transcribe_output_that_is_the_transcript_is_refused(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], how: str) -> None:
    output = _spell(work, work.root / "talk.srt", how)
    outcome = cli("transcribe", "clip.mp4", "--transcript", "talk.srt", *FAKE_ECHO, "-f", "srt", "-o", output)
    work.check(outcome, code=2, says=f"'{output}' and 'talk.srt' are the same file", new_files=True)
    assert backend_calls() == 0


def test_ocr_output_that_is_the_last_of_several_images_is_refused(
        work: Workspace, cli: Run, backend_calls: Callable[[], int]) -> None:
    root: Path = work.root
    for name in ("b.png", "c.png"):
        shutil.copy(root / "scan.png", root / name)
    work.retake()
    outcome = cli("ocr", "scan.png", "b.png", "c.png", *FAKE_ECHO, "-o", "./c.png")
    work.check(outcome, code=2, says="'./c.png' and 'c.png' are the same file")
    assert backend_calls() == 0


def test_output_that_is_the_config_file_is_refused(work: Workspace, cli: Run, backend_calls: Callable[[], int]) -> None:
    outcome = cli("--config", "framescribe.toml", "video-text", "clip.mp4", "-o", "framescribe.toml")
    work.check(outcome, code=2, says="'framescribe.toml' and 'framescribe.toml' are the same file")
    assert backend_calls() == 0


def test_output_that_is_a_plugin_file_is_refused(work: Workspace, cli: Run) -> None:
    root: Path = work.root
    plugin = root / "extra_plugin.py"
    plugin.write_text("")
    work.retake()
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "--plugin", "./extra_plugin.py", "-o", "extra_plugin.py")
    work.check(outcome, code=2, says="'extra_plugin.py' and './extra_plugin.py' are the same file")


def test_output_beside_the_input_with_a_similar_name_is_written(work: Workspace, cli: Run) -> None:
    # The refusal is by identity, not by name: scan.png.txt is a new file and must be written.
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "scan.png.txt")
    work.check(outcome, code=0, says="", new_files=True)
    assert (work.root / "scan.png.txt").read_text().startswith("echo")


# -- checked before the work ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "says"),
    [
        ("missing/out.txt", "directory missing does not exist"),
        ("a/b/c/out.txt", "directory a/b/c does not exist"),
        ("scan.png/out.txt", "directory scan.png is not a directory"),
        (".", "output . is a directory"),
        ("", "-o was given an empty file name"),
        ("x" * 300 + ".txt", "file name too long"),
        ("d/" * 2100 + "out.txt", "file name too long"),
    ],
    ids=["missing-dir", "missing-nested-dirs", "parent-is-a-file", "a-directory", "empty", "name-too-long",
         "path-too-long"],
)
def test_unusable_output_is_exit_2_before_any_work(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], output: str, says: str) -> None:
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", output)
    work.check(outcome, code=2, says=says)
    assert backend_calls() == 0
    assert "unexpected" not in outcome.stderr


def test_read_only_existing_output_is_not_replaced(work: Workspace, cli: Run, backend_calls: Callable[[], int]) -> None:
    root: Path = work.root
    kept = root / "kept.txt"
    kept.write_text("the user's own text\n")
    kept.chmod(0o444)
    work.retake()
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "kept.txt")
    work.check(outcome, code=2, says="output kept.txt is read-only")
    assert backend_calls() == 0


@contextmanager
def _tmpfs(target: Path, options: str, unmountable: str) -> Iterator[None]:
    """A tmpfs mounted with ``options`` on ``target`` while the block runs; the test is skipped, saying
    ``unmountable``, where this process may not mount."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(unmountable)
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=False)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory this process cannot write to: a plain chmod, or for root (whom permissions don't stop) a
    read-only tmpfs mount."""
    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() != 0:
        target.chmod(0o555)
        yield target
        target.chmod(0o755)
        return
    with _tmpfs(target, "ro,size=64k",
                unmountable="running as root without the right to mount: no directory is read-only for root here"):
        yield target


def test_read_only_directory_is_exit_2_before_any_work(
        work: Workspace, cli: Run, backend_calls: Callable[[], int], read_only_dir: Path) -> None:
    output = read_only_dir / "out.txt"
    outcome = cli("video-text", "clip.mp4", *FAKE_ECHO, "-o", output)
    reason = "read-only file system" if os.geteuid() == 0 else "permission denied"
    work.check(outcome, code=2, says=(f"cannot write {output}", reason))
    assert "unexpected" not in outcome.stderr and "PermissionError" not in outcome.stderr
    assert backend_calls() == 0
    assert list(read_only_dir.iterdir()) == []


# -- where it is written -------------------------------------------------------------------------------


def test_dash_is_standard_output(work: Workspace, cli: Run) -> None:
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "-")
    work.check(outcome, code=0, says="echo scan.png")
    assert not (work.root / "-").exists()


def test_dev_stdout_is_written_straight_not_beside(work: Workspace, cli: Run) -> None:
    before = set(os.listdir("/dev"))
    outcome = cli("video-text", "clip.mp4", *FAKE_ECHO, "-f", "srt", "-o", "/dev/stdout")
    work.check(outcome, code=0, says="00:00:00,000 --> 00:00:05,000")
    assert set(os.listdir("/dev")) == before


def test_dev_null_is_written_straight_not_beside(work: Workspace, cli: Run) -> None:
    before = set(os.listdir("/dev"))
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "/dev/null")
    work.check(outcome, code=0, says="")
    assert outcome.stdout == ""
    assert set(os.listdir("/dev")) == before


def test_fifo_is_written_straight(work: Workspace, cli: Run) -> None:
    root: Path = work.root
    fifo = root / "pipe"
    os.mkfifo(fifo)
    work.retake()
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "pipe")
    reader.join(10)
    work.check(outcome, code=0, says="")
    assert received and received[0].startswith(b"echo scan.png")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the pipe, not replaced by a file
    assert sorted(p.name for p in root.iterdir()) == sorted(["clip.mp4", "framescribe.toml", "pipe", "scan.png", "talk.srt"])


def test_full_device_is_exit_1_saying_so(work: Workspace, cli: Run) -> None:
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "/dev/full")
    work.check(outcome, code=1, says="cannot write /dev/full: no space left on device")
    assert "unexpected" not in outcome.stderr


def test_standard_output_on_a_full_device_is_one_clear_error(work: Workspace, fake_plugin: str) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "framescribe", "--plugin", fake_plugin, "ocr", "scan.png", *FAKE_ECHO],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    outcome = Outcome(proc.returncode, "", proc.stderr)
    work.check(outcome, code=1, says="cannot write standard output: no space left on device")
    assert proc.stderr.count("Error:") == 1 and "Exception ignored" not in proc.stderr


def test_symlink_to_another_file_keeps_the_link_and_fills_its_target(work: Workspace, cli: Run) -> None:
    root: Path = work.root
    (root / "results").mkdir()
    (root / "latest.txt").symlink_to("results/today.txt")  # dangling until written
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "latest.txt")
    work.check(outcome, code=0, says="", new_files=True)
    assert (root / "latest.txt").is_symlink()
    assert (root / "results" / "today.txt").read_text().startswith("echo scan.png")


def test_failed_run_keeps_the_previous_output(work: Workspace, cli: Run) -> None:
    root: Path = work.root
    (root / "out.srt").write_text("the previous result\n")
    work.retake()
    outcome = cli("video-text", "clip.mp4", "--backend", "fake-bad", "-o", "out.srt")
    work.check(outcome, code=2, says="fake-bad rejects everything")


def test_replaced_output_keeps_its_permissions(work: Workspace, cli: Run) -> None:
    root: Path = work.root
    out = root / "shared.txt"
    out.write_text("old\n")
    out.chmod(0o644)
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "shared.txt")
    work.check(outcome, code=0, new_files=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644 and out.read_text().startswith("echo scan.png")


def test_longest_allowed_name_is_written(work: Workspace, cli: Run) -> None:
    # The temporary file beside it needs a longer name than the target; it must still fit.
    name = "n" * 251 + ".txt"
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", name)
    work.check(outcome, code=0, says="", new_files=True)
    assert (work.root / name).read_text().startswith("echo scan.png")


def test_non_ascii_output_name_is_written(work: Workspace, cli: Run) -> None:
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "résumé — 結果.txt")
    work.check(outcome, code=0, says="", new_files=True)
    assert (work.root / "résumé — 結果.txt").exists()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB file system, to fill: a tmpfs mount (needs root)."""
    target = tmp_path / "tiny"
    target.mkdir()
    with _tmpfs(target, "size=64k",
                unmountable="needs the right to mount a small tmpfs (root); /dev/full covers a full disk elsewhere"):
        yield target


def test_disk_filling_up_during_the_write_leaves_the_old_file_and_no_partial(
        work: Workspace, cli: Run, tiny_disk: Path) -> None:
    (tiny_disk / "out.txt").write_text("the previous result\n")
    (tiny_disk / "filler").write_bytes(b"\0" * 40_000)
    # fake-echo's OCR text names the file; a long name makes the result bigger than the space left.
    long_name = work.root / ("p" * 200 + ".png")
    shutil.copy(work.root / "scan.png", long_name)
    work.retake()
    outcome = cli("ocr", *[str(long_name)] * 150, *FAKE_ECHO, "-o", tiny_disk / "out.txt")
    work.check(outcome, code=1, says=(f"cannot write {tiny_disk / 'out.txt'}: no space left on device", "hint:"))
    assert (tiny_disk / "out.txt").read_text() == "the previous result\n"
    assert_no_partial_files(tiny_disk)


def test_dev_stderr_onto_a_log_file_appends_to_it(work: Workspace, fake_plugin: str) -> None:
    # `2>>run.log -o /dev/stderr`: /dev/stderr leads to the user's regular log file, which must keep its lines.
    log = work.root / "run.log"
    log.write_text("yesterday's line\n")
    with open(log, "a") as stderr:
        proc = subprocess.run([sys.executable, "-m", "framescribe", "--plugin", fake_plugin, "-q", "ocr", "scan.png",
                               *FAKE_ECHO, "-o", "/dev/stderr"], stdout=subprocess.PIPE, stderr=stderr, text=True,
                              timeout=60, check=False)
    work.check(Outcome(proc.returncode, proc.stdout, ""), code=0, new_files=True)  # run.log is scanned for the key
    lines = log.read_text().splitlines()
    assert lines[0] == "yesterday's line" and lines[1].startswith("echo scan.png")


def test_a_new_file_under_dev_is_refused(work: Workspace, cli: Run, backend_calls: Callable[[], int]) -> None:
    before = set(os.listdir("/dev"))
    outcome = cli("ocr", "scan.png", *FAKE_ECHO, "-o", "/dev/framescribe-result.txt")
    work.check(outcome, code=2, says="output /dev/framescribe-result.txt does not exist")
    assert set(os.listdir("/dev")) == before and backend_calls() == 0


SLOW_PLUGIN = '''
import os
import time
from pathlib import Path

import framescribe as fs

register_backends = fs.hookimpl(lambda register: register(fs.BackendSpec.create("slow", ["video_text"])))


@fs.hookimpl
def video_text(backend, request, context):
    Path(os.environ["SLOW_STARTED"]).touch()  # the test interrupts only once the work has begun
    time.sleep(float(os.environ.get("SLOW_SECONDS", "30")))
    return fs.VideoResult([fs.Segment(0.0, 1.0, f"slow {request.media.name}")])
'''


def _start_slow(work: Workspace, fake_plugin: str, output: str, seconds: float) -> tuple[subprocess.Popen[str], Path]:
    (work.root / "slow_plugin.py").write_text(SLOW_PLUGIN)
    started = work.root.parent / "started"
    env = dict(os.environ, SLOW_STARTED=str(started), SLOW_SECONDS=str(seconds))
    # The fake plugin too: the workspace's framescribe.toml names its backend.
    proc = subprocess.Popen([sys.executable, "-m", "framescribe", "--plugin", fake_plugin, "--plugin", "slow_plugin.py", "--no-cache",
                             "video-text", "clip.mp4", "-b", "slow", "-f", "txt", "-o", output],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return proc, started


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if path.exists() or proc.poll() is not None:
            return
        threading.Event().wait(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)],
                         ids=["ctrl-c", "sigterm"])
def test_interrupted_run_keeps_the_previous_output_and_leaves_no_partial(
        work: Workspace, fake_plugin: str, sig: signal.Signals, code: int) -> None:
    (work.root / "out.txt").write_text("the previous result\n")
    proc, started = _start_slow(work, fake_plugin, "out.txt", 30)
    work.retake()
    _wait_for(started, proc)
    assert started.exists(), proc.communicate()[1]
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    work.check(Outcome(proc.returncode, out, err), code=code, says="interrupted" if sig == signal.SIGINT else ())
    assert (work.root / "out.txt").read_text() == "the previous result\n"


def test_two_runs_writing_one_output_leave_one_complete_result(work: Workspace, fake_plugin: str) -> None:
    first, started = _start_slow(work, fake_plugin, "out.txt", 0.5)
    _wait_for(started, first)
    assert started.exists(), first.communicate()[1]
    started.unlink()
    second, started = _start_slow(work, fake_plugin, "out.txt", 0.2)
    for proc in (first, second):
        out, err = proc.communicate(timeout=60)
        work.check(Outcome(proc.returncode, out, err), code=0, new_files=True)
    assert (work.root / "out.txt").read_text() == "[00:00:00.000 --> 00:00:01.000] slow clip.mp4\n"
