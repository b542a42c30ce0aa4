"""framescribe.outputs and errors.user_error on their own: what each kind of -o becomes, and the atomic writer
that plugin commands still reach through formats.write_atomic."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from framescribe.errors import EXIT_FAILURE, EXIT_USAGE, BadInput, user_error
from framescribe.formats import write_atomic
from framescribe.outputs import check_output


@pytest.mark.parametrize("spelling", [None, "-", "/dev/stdout", "/dev/fd/1"])
def test_standard_output_spellings(spelling: str | None) -> None:
    assert check_output(spelling).kind == "stdout"


def test_devices_and_fifos_are_streams_and_files_are_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to("real.txt")
    assert check_output("/dev/null").kind == "stream"
    assert check_output(str(fifo)).kind == "stream"
    out = check_output(str(tmp_path / "link"))
    assert out.kind == "file" and out.path == tmp_path / "real.txt"  # the link's target gets written


def test_inputs_that_do_not_exist_are_left_to_the_input_checks(tmp_path: Path) -> None:
    out = check_output(str(tmp_path / "out.txt"), inputs=[tmp_path / "missing.mp4", None, ""])
    assert out.kind == "file"


def test_same_file_is_found_through_a_hard_link(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    os.link(tmp_path / "a.png", tmp_path / "b.png")
    with pytest.raises(BadInput, match="are the same file"):
        check_output(str(tmp_path / "b.png"), inputs=[tmp_path / "a.png"])


def test_write_atomic_into_a_fifo_writes_straight(tmp_path: Path) -> None:
    # Plugin commands that call formats.write_atomic (ocrservices-process) get this without a change.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_write_atomic_follows_a_symlink_and_fits_a_long_name(tmp_path: Path) -> None:
    name = "x" * 255
    (tmp_path / "link").symlink_to(name)
    write_atomic(tmp_path / "link", "long\n")
    assert (tmp_path / "link").is_symlink() and (tmp_path / name).read_text() == "long\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["link", name])


def test_new_result_files_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


@pytest.mark.parametrize(
    ("code", "exit_code", "says"),
    [
        (errno.ENAMETOOLONG, EXIT_USAGE, "file name too long"),
        (errno.EACCES, EXIT_USAGE, "permission denied"),
        (errno.EROFS, EXIT_USAGE, "read-only file system"),
        (errno.ENOSPC, EXIT_FAILURE, "no space left on device"),
        (errno.EIO, EXIT_FAILURE, os.strerror(errno.EIO)),
    ],
)
def test_user_error_names_the_problem_and_the_file(code: int, exit_code: int, says: str) -> None:
    error = user_error(OSError(code, os.strerror(code), "/data/out.txt"))
    assert error.exit_code == exit_code
    assert says in str(error) and "/data/out.txt" in str(error)
