"""Where a command's result goes: checked before any work, written so that no user's file is ever lost.

Every command that writes a result (``video-text``, ``transcribe``, ``ocr``, plugin commands, the coming
``index`` and ``serve``) goes through :func:`check_output` before it starts and :meth:`Output.write` at
the end::

    out = check_output(opts["output"], inputs=[video, transcript])   # BadInput (exit 2) at once
    ...                                                               # the work
    out.write(text)

The rules (docs/cli.md, "Where results go"):

* nothing, ``-``, ``/dev/stdout``: standard output.
* an existing file that is not a regular file (a FIFO, a terminal, ``/dev/null``), and anything under
  ``/dev`` or ``/proc`` (``/dev/stderr``, ``/dev/fd/N``, which may lead to a file the shell opened):
  written straight to it. A temporary file beside it could not be renamed over it, and must never be
  created in ``/dev``; nothing new is created there at all.
* anything else is a regular file, written atomically: a temporary file in the same directory, renamed
  over the target only once complete, so a failed or interrupted run leaves the old file (or nothing).
  A symlink is followed: the link stays and the file it points at gets the result.
* checked before the work: the target is not a directory, its directory exists and can be written to,
  its name fits the file system, and it is not one of the run's inputs under any spelling (symlink,
  hard link, ``./``): like coreutils' ``cp a a``, "are the same file", exit 2.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from .errors import BadInput, user_error

# Spellings of standard output; /dev/stdout through open() would reopen (and so truncate) a file the
# shell redirected stdout to, and to a pipe it is no different from writing to sys.stdout.
STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})

# Bytes of the target's name kept in its temporary name: ".NAME.XXXXXXXX.part" must fit where NAME fits (255).
_TEMP_NAME_KEEP = 200


@dataclass(frozen=True)
class Output:
    """A checked destination for a result; ``kind`` says how it is written."""

    spelling: str | None  # as the user gave it (None: no -o)
    kind: Literal["stdout", "stream", "file"]
    path: Path | None = None  # the file written (symlinks followed), for "stream" and "file"

    def write(self, text: str) -> None:
        """Write ``text`` whole: to stdout, straight into a stream, or atomically into a file."""
        try:
            if self.kind == "stdout":
                sys.stdout.write(text)
                sys.stdout.flush()
            elif self.kind == "stream":
                assert self.path is not None
                # Append mode: a FIFO or device ignores it; /dev/fd/N onto a file the shell opened must not be truncated.
                with open(self.path, "a", encoding="utf-8", newline="") as f:
                    f.write(text)
            else:
                assert self.path is not None
                with atomic_output(self.path) as f:
                    f.write(text)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not an error to report
        except OSError as exc:
            raise user_error(exc, f"cannot write {self}") from None

    def __str__(self) -> str:
        return "standard output" if self.kind == "stdout" else str(self.spelling)


def check_output(spelling: str | os.PathLike[str] | None,
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Output:
    """Where ``-o SPELLING`` will write; BadInput at once when it cannot, or when it is one of ``inputs``."""
    if spelling is None or str(spelling) in STDOUT_NAMES:
        return Output(None if spelling is None else str(spelling), "stdout")
    shown = str(spelling)
    if shown == "":
        raise BadInput("-o was given an empty file name")
    try:
        return _check(shown, [i for i in inputs if i is not None and str(i) != ""])
    except OSError as exc:
        raise user_error(exc, f"cannot write {shown}") from None


def _check(shown: str, inputs: list[str | os.PathLike[str]]) -> Output:
    given = Path(shown)
    try:
        st = given.stat()  # follows symlinks: what would be written
    except (FileNotFoundError, NotADirectoryError):
        st = None
    special = given.absolute().parts[1:2] in (("dev",), ("proc",))
    if st is None and special:
        raise BadInput(f"output {shown} does not exist", hint="framescribe writes into /dev and /proc only to what is there")
    if st is not None:
        _refuse_inputs(shown, st, inputs)
        if stat.S_ISDIR(st.st_mode):
            raise BadInput(f"output {shown} is a directory", hint="give a file name, e.g. -o result.json")
        # /dev/stderr or /dev/fd/3 may lead to a regular file the shell opened (2>>log): append to it, never replace.
        if not stat.S_ISREG(st.st_mode) or special:
            return Output(shown, "stream", given)
        # No write bit at all is the owner's "keep this" (root could still replace it; we don't).
        if not os.access(given, os.W_OK) or not st.st_mode & 0o222:
            raise BadInput(f"output {shown} is read-only", hint="framescribe does not write over a file you protected; "
                                                              "choose another -o path or make it writable")
    target = given.resolve() if given.is_symlink() else given  # a dangling link: write where it points
    parent = target.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise BadInput(f"cannot write {shown}: directory {parent} {what}",
                       hint=f"create it first (mkdir -p {parent}) or choose another -o path")
    _check_name_fits(shown, target)
    _probe_directory(shown, parent)
    return Output(shown, "file", target)


def _refuse_inputs(shown: str, st: os.stat_result, inputs: list[str | os.PathLike[str]]) -> None:
    for item in inputs:
        try:
            other = os.stat(item)
        except OSError:
            continue  # an input that is not there is reported by the input checks
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            raise BadInput(f"'{shown}' and '{item}' are the same file",
                           hint="-o names one of the inputs; choose another output path (framescribe never "
                                "writes over its input)")


def _check_name_fits(shown: str, target: Path) -> None:
    try:
        limit = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(target.name))
    if size > limit:
        raise BadInput(f"cannot write {shown}: the file name is too long ({size} bytes; this file system allows {limit})",
                       hint="choose a shorter -o name")


def _probe_directory(shown: str, parent: Path) -> None:
    # os.access alone is not the truth (root, ACLs, a read-only mount, a full inode table): create and remove a
    # temporary file the way the final write will.
    try:
        fd, probe = tempfile.mkstemp(prefix=".framescribe.", suffix=".part", dir=parent)
    except OSError as exc:
        exc.filename = str(parent)  # the probe's own name would only confuse
        raise user_error(exc, f"cannot write {shown}: directory {parent}") from None
    os.close(fd)
    os.unlink(probe)


def _temp_prefix(name: str) -> str:
    # Cut on a byte count, then drop a character the cut split in two.
    short = os.fsencode(name)[:_TEMP_NAME_KEEP].decode(errors="ignore") or "out"
    return f".{short}."


@contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path``; rename over it only if the block succeeds.

    A target that exists and is not a regular file (a FIFO, a device) is opened and written straight
    instead: nothing is created beside it. A symlink is followed, so the link keeps pointing at the result.
    """
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"output {target} is a directory")
    if target.exists() and not target.is_file():
        with open(target, "a" if mode == "w" else mode, encoding="utf-8", newline="") as stream:
            yield stream
        return
    if target.is_symlink():
        target = target.resolve()
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise BadInput(f"output directory {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target.name), suffix=".part", dir=parent)
    try:
        with os.fdopen(fd, mode, encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _keep_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _keep_mode(target: Path, tmp: str) -> None:
    # mkstemp makes 0600 files; a result should get the permissions a plain open() would give it (or keep the
    # replaced file's), so others who could read it before still can.
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_output`."""
    with atomic_output(path) as f:
        f.write(text)
