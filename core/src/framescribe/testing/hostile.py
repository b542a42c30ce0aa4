"""Assertions for hostile-input tests: nothing changed, nothing left behind, no secret anywhere.

Used by the project's adversarial suite (``tests/adversarial``) and offered to
plugin authors: run a command the way a user would, then check the promises
framescribe makes about users' files and keys::

    from framescribe.testing.hostile import Snapshot, assert_no_secret, run_cli

    before = Snapshot(tmp_path)
    outcome = run_cli(["ocr", str(image), "-o", str(image)])
    assert outcome.code == 2 and "are the same file" in outcome.stderr
    before.assert_unchanged()
    assert_no_secret("sk-123", outcome, tmp_path)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..secrets import secret_forms as _forms

# Names a half-written output may carry (our own ``.NAME.XXXX.part`` and common editors' temporaries).
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial")


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code and both output streams."""

    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> Outcome:
    """Run ``framescribe ARGS`` in a child process, as a user's shell would (own HOME, signals, exit code)."""
    full_env = dict(os.environ if env is None else env)
    proc = subprocess.run(
        [sys.executable, "-m", "framescribe", *args],
        env=full_env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Snapshot:
    """The content hash of every regular file under some roots, to compare after a run."""

    def __init__(self, *roots: str | os.PathLike[str]) -> None:
        self.roots = [Path(r) for r in roots]
        self.hashes = self._take()

    def _take(self) -> dict[Path, str]:
        hashes: dict[Path, str] = {}
        for root in self.roots:
            files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
            for path in files:
                hashes[path] = file_hash(path)
        return hashes

    def assert_unchanged(self, *, allow_new: bool = True) -> None:
        """Every file seen before still exists with the same bytes; new files only where ``allow_new``."""
        after = self._take()
        changed = [str(p) for p, h in self.hashes.items() if after.get(p) != h]
        assert not changed, f"input files changed or vanished: {changed}"
        if not allow_new:
            new = sorted(str(p) for p in set(after) - set(self.hashes))
            assert not new, f"files appeared: {new}"

    def new_files(self) -> list[Path]:
        return sorted(set(self._take()) - set(self.hashes))


def assert_no_partial_files(*roots: str | os.PathLike[str]) -> None:
    """No half-written output (``*.part`` and the like) is left under ``roots``."""
    left = [str(p) for r in roots for p in Path(r).rglob("*") if p.name.endswith(PARTIAL_SUFFIXES)]
    assert not left, f"partial files left behind: {left}"


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can show up in text (raw, stripped, escaped, URL-encoded): framescribe's own list.

    A short stripped secret would match innocent text; the caller chooses secrets long enough to be unique.
    """
    return _forms(secret)


def assert_no_secret(secret: str, *where: Outcome | str | os.PathLike[str] | Iterable[Path]) -> None:
    """``secret`` appears in no output stream, and in no file (SQLite databases included) under the paths given."""
    forms = secret_forms(secret)
    texts: list[tuple[str, bytes]] = []
    for item in where:
        if isinstance(item, Outcome):
            texts += [("stdout", item.stdout.encode()), ("stderr", item.stderr.encode())]
        elif isinstance(item, str) and not os.path.exists(item):
            texts.append(("text", item.encode()))
        else:
            paths = [Path(item)] if isinstance(item, (str, os.PathLike)) else list(item)
            for path in paths:
                files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
                texts += [(str(f), f.read_bytes()) for f in files]
    for name, data in texts:
        for form in forms:
            assert form.encode() not in data, f"secret found in {name} (as {form!r})"


class Workspace:
    """A test's own directory of inputs, snapshotted, and the checks every hostile case ends with.

    ::

        ws = Workspace(tmp_path, secret="sk-123", also_scan=[cache_dir])
        outcome = run_cli(["ocr", "scan.png", "-o", "scan.png"], cwd=tmp_path)
        ws.check(outcome, code=2, says="are the same file")
    """

    def __init__(self, root: str | os.PathLike[str], *, secret: str | None = None,
                 also_scan: Sequence[str | os.PathLike[str]] = ()) -> None:
        self.root = Path(root)
        self.secret = secret
        self.also_scan = [Path(p) for p in also_scan]
        self.before = Snapshot(self.root)

    def retake(self) -> None:
        """Snapshot again, after the test added inputs of its own."""
        self.before = Snapshot(self.root)

    def check(self, outcome: Outcome, *, code: int, says: str | Sequence[str] = (), new_files: bool = False) -> None:
        """The exit code and message; inputs unchanged; no partial file; the secret nowhere; no traceback."""
        assert outcome.code == code, f"exit {outcome.code}, wanted {code}: {outcome.stderr}"
        for text in [says] if isinstance(says, str) else says:
            assert text in outcome.text, f"{text!r} not in {outcome.text!r}"
        assert "Traceback" not in outcome.stderr
        self.before.assert_unchanged(allow_new=new_files)
        assert_no_partial_files(self.root)
        if self.secret is not None:
            assert_no_secret(self.secret, outcome, self.root, *[p for p in self.also_scan if p.exists()])
