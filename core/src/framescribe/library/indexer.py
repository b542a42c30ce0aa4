"""One indexing run: decide what changed, send it to an executor, write each outcome as it arrives.

A file is *unchanged* when the library holds it as indexed (status ``ok``)
with the same settings fingerprint and the same content: the same size and
mtime, or, when those moved, the same SHA-256. Anything else is indexed again,
and its old rows are replaced in the same transaction as the new ones are
written. Failed files are tried again on every run.

The settings fingerprint covers what decides a file's results: for each
capability its kind of file can have, the chain of backends, each backend's
settings (secrets masked, so rotating a key re-indexes nothing) and plugin
version, and the language hint.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..state import file_digest
from ..types import CAPABILITIES, Capability
from .store import LibraryStore
from .walk import KIND_CAPABILITIES, Walk, check_roots, kind_of, walk
from .work import Outcome, Setup, Task

if TYPE_CHECKING:
    from ..api import Framescribe
    from .executors import Executor

# done files, total files, the file just finished, whether it was skipped (unchanged) rather than indexed
IndexProgress = Callable[[int, int, str, bool], None]


@dataclass
class IndexSummary:
    """What a run did; ``to_dict`` is the ``--json`` summary."""

    indexed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: int = 0
    warnings: list[str] = field(default_factory=list)  # reported, not failures (symbolic link loops)
    media_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "failed": [{"media": m, "error": e} for m, e in self.failed],
            "removed": self.removed,
        }

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def fingerprint(fs: Framescribe, capabilities: Sequence[Capability], language: str | None) -> str:
    material: dict[str, Any] = {"language": language, "chains": {}}
    for cap in sorted(capabilities):
        chain = []
        for name in fs.chain_for(cap):
            reg = fs.host.backends.get(name)
            if reg is None:
                chain.append({"backend": name, "installed": False})
                continue
            plugin = fs.host.plugins.get(reg.plugin_name)
            chain.append({"backend": name, "version": plugin.version if plugin else None,
                          "settings": fs.settings_for(name).public_dict()})
        material["chains"][cap] = chain
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class _Pending:
    size: int
    mtime_ns: int
    hash: str
    fingerprint: str


class Indexer:
    def __init__(self, store: LibraryStore, fs: Framescribe, setup: Setup,
                 capabilities: Sequence[Capability] | None = None) -> None:
        self.store = store
        self.fs = fs
        self.setup = setup
        self.capabilities: tuple[Capability, ...] = tuple(c for c in CAPABILITIES if capabilities is None or c in capabilities)
        self._fingerprints: dict[str, str] = {}

    def _fingerprint_for(self, path: Path) -> str:
        kind = kind_of(path)
        if kind not in self._fingerprints:
            caps = [c for c in KIND_CAPABILITIES[kind] if c in self.capabilities]
            self._fingerprints[kind] = fingerprint(self.fs, caps, self.setup.language)
        return self._fingerprints[kind]

    def run(self, paths: Sequence[str | os.PathLike[str]], executor: Executor, *, include: Sequence[str] = (),
            exclude: Sequence[str] = (), prune: bool = False, progress: IndexProgress | None = None) -> IndexSummary:
        roots = check_roots(paths)
        summary = IndexSummary()
        state = Walk()
        files = [str(p) for p in walk(roots, state, include=include, exclude=exclude, capabilities=self.capabilities)]
        summary.failed.extend((p.split(": ", 1)[0], p) for p in state.problems if "cannot read" in p)
        summary.warnings.extend(p for p in state.problems if "cannot read" not in p)
        total = len(files)
        done = 0
        pending: dict[str, _Pending] = {}

        def tasks() -> Iterator[Task]:
            nonlocal done
            for path in files:
                todo = self._changed(path, summary)
                if todo is None:
                    done += 1
                    if progress:
                        progress(done, total, path, True)
                    continue
                pending[path] = todo
                yield Task(path, self.capabilities, self.setup)

        try:
            for task, outcome in executor.run(tasks()):
                self._write(outcome, pending.pop(task.path), summary)
                done += 1
                if progress:
                    progress(done, total, task.path, False)
        finally:
            executor.close()
        if prune:
            summary.removed = self._prune(roots)
        return summary

    def _changed(self, path: str, summary: IndexSummary) -> _Pending | None:
        """None when ``path`` is unchanged (counted); else what to remember when writing it."""
        p = Path(path)
        fp = self._fingerprint_for(p)
        try:
            st = p.stat()
            known = self.store.state_of(path)
            if known and known.status == "ok" and known.fingerprint == fp:
                if (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
                    summary.unchanged += 1
                    return None
                digest = file_digest(p)
                if known.size == st.st_size and known.hash == digest:
                    self.store.touch(path, st.st_size, st.st_mtime_ns)  # only touched, not edited
                    summary.unchanged += 1
                    return None
            else:
                digest = file_digest(p)
        except OSError:
            # Not readable by the client (gone, permissions): the worker says why, in the file's own failure.
            return _Pending(0, 0, "", fp)
        return _Pending(st.st_size, st.st_mtime_ns, digest, fp)

    def _write(self, outcome: Outcome, todo: _Pending, summary: IndexSummary) -> None:
        self.store.put(outcome.path, kind=outcome.kind, results=outcome.results, error=outcome.error,
                       size=todo.size or None, mtime_ns=todo.mtime_ns or None, hash=todo.hash or None,
                       duration=outcome.duration, fingerprint=todo.fingerprint)
        if outcome.error:
            summary.failed.append((outcome.path, outcome.error))
        else:
            summary.indexed += 1
            summary.media_seconds += outcome.duration or 0.0

    def _prune(self, roots: Sequence[Path]) -> int:
        """Remove the library's files under ``roots`` that no longer exist."""
        prefixes = [str(r) for r in roots]
        gone = [p for p in self.store.paths()
                if any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in prefixes) and _gone(p)]
        for p in gone:
            self.store.remove(p)
        return len(gone)


def _gone(path: str) -> bool:
    """True only when ``path`` surely no longer exists: a folder we may not read now is not a deletion."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False
