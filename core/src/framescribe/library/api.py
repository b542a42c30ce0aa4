"""The library's Python API: index folders of media, search them, read results back.

    from framescribe.library import Library
    with Library("media.sqlite3") as lib:
        summary = lib.index(["lectures/"], jobs=2)
        for hit in lib.search('"quarterly targets"'):
            print(hit.media, hit.start, hit.snippet)
        results = lib.results("lectures/week1.mp4")   # {"video_text": VideoResult, ...}

The ``framescribe index`` and ``framescribe search`` commands are thin layers
over this class.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import BadInput
from ..types import CAPABILITIES, Capability, OcrResult, VideoResult
from .indexer import Indexer, IndexProgress, IndexSummary
from .store import DEFAULT_CANDIDATES, Hit, LibraryStore, MediaRecord
from .walk import kind_of
from .work import Setup

if TYPE_CHECKING:
    from ..api import Framescribe


def default_library_path() -> Path:
    """``library.sqlite3`` in the user data directory (``$FRAMESCRIBE_LIBRARY`` overrides it)."""
    env = os.environ.get("FRAMESCRIBE_LIBRARY")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("framescribe")) / "library.sqlite3"


class Library:
    """A library of media files and their text in one SQLite file (created when missing)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        target = Path(path) if path is not None else default_library_path()
        if path is None:
            target.parent.mkdir(parents=True, exist_ok=True)
        self.path = target
        self.store = LibraryStore(target)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- indexing -------------------------------------------------------------

    def index(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        config: str | os.PathLike[str] | None = None,
        plugins: Sequence[str] = (),
        capabilities: Sequence[Capability] | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        prune: bool = False,
        jobs: int = 1,
        executor: str = "local",
        scheduler: str | None = None,
        dask_client: Any = None,
        language: str | None = None,
        use_cache: bool = True,
        progress: IndexProgress | None = None,
    ) -> IndexSummary:
        """Index ``paths`` (files and folders, recursively) and return what was done.

        ``config`` and ``plugins`` are those of the single-file commands; every
        worker builds its chains from them (``plugins`` given as files must be
        readable by the workers). ``executor`` is ``"local"`` (``jobs``
        processes, started with ``spawn``: a script calling this with jobs > 1
        needs the ``if __name__ == "__main__":`` guard; 1 runs here) or ``"dask"`` (``scheduler`` address, or a
        ``dask_client`` already connected).
        """
        from ..api import Framescribe
        from .executors import DaskExecutor, Executor, LocalExecutor

        if capabilities is not None:
            unknown = [c for c in capabilities if c not in CAPABILITIES]
            if unknown:
                raise BadInput(f"unknown capability {unknown[0]!r}; choose from {', '.join(CAPABILITIES)}")
        from ..config import find_config

        # Found here, as the CLI finds it, and handed to every worker by absolute path: a worker elsewhere
        # has another working directory and environment.
        found = find_config(config)
        config_path = None if found is None else os.path.abspath(found)
        plugin_paths = tuple(os.path.abspath(p) if p.endswith(".py") or os.sep in p else p for p in plugins)
        setup = Setup(config_path, plugin_paths, use_cache, language)
        # The client checks the config once before any work, so a mistake there is a usage error, not N failures.
        fs: Framescribe = Framescribe(config_path, plugins=plugin_paths, use_cache=use_cache)
        runner: Executor
        if executor == "dask":
            runner = DaskExecutor(setup, scheduler, dask_client)
        elif executor == "local":
            runner = LocalExecutor(jobs, setup)
        else:
            raise BadInput(f"unknown executor {executor!r}; choose local or dask")
        try:
            return Indexer(self.store, fs, setup, capabilities).run(
                paths, runner, include=include, exclude=exclude, prune=prune, progress=progress)
        finally:
            fs.close()

    def add(
        self,
        media: str | os.PathLike[str],
        results: Mapping[Capability, VideoResult | list[OcrResult]],
        *,
        error: str | None = None,
        kind: str | None = None,
        duration: float | None = None,
    ) -> None:
        """Record results made elsewhere (a server's finished job) for ``media``, replacing what was there.

        The file's size, mtime and hash are taken when it exists here, so a
        later ``index`` of the same file finds it unchanged only if its
        settings fingerprint matches too (results added this way have none,
        so ``index`` re-does them with the configured chains).
        """
        path = os.path.abspath(media)
        size = mtime = digest = None
        if os.path.isfile(path):
            from ..state import file_digest

            st = os.stat(path)
            size, mtime, digest = st.st_size, st.st_mtime_ns, file_digest(Path(path))
        if duration is None:
            duration = max((r.duration for r in results.values() if isinstance(r, VideoResult) and r.duration),
                           default=None)
        self.store.put(path, kind=kind or kind_of(path), results=results, error=error, size=size, mtime_ns=mtime,
                       hash=digest, duration=duration)

    def remove(self, media: str | os.PathLike[str]) -> None:
        self.store.remove(os.path.abspath(media))

    # -- reading --------------------------------------------------------------

    def search(self, query: str, *, capability: Capability | None = None, media: str | None = None, limit: int = 20,
               candidates: int = DEFAULT_CANDIDATES, mark: tuple[str, str] = ("[", "]")) -> list[Hit]:
        """Segments matching ``query`` (FTS5 syntax, checked), best first.

        ``media`` is a glob over absolute paths (``*/lectures/*``). When more
        than ``candidates`` segments match, only the most recently indexed
        ``candidates`` of them are ranked (0 ranks every match with FTS5's
        bm25; slower).
        """
        if limit < 1:
            raise BadInput(f"--limit {limit}: must be at least 1")
        return self.store.search(query, capability=capability, media_glob=media, limit=limit, candidates=candidates,
                                 mark=mark)

    def results(self, media: str | os.PathLike[str]) -> dict[Capability, VideoResult | list[OcrResult]]:
        """Every result held for ``media``: a VideoResult per timed capability, a list of pages for image_ocr."""
        return self.store.results_for(os.path.abspath(media))

    def media(self, *, offset: int = 0, limit: int = 100, status: str | None = None,
              glob: str | None = None) -> list[MediaRecord]:
        """A page of the library's files in path order (``status``: ok or failed)."""
        return self.store.media(offset=offset, limit=limit, status=status, glob=glob)

    def get(self, media: str | os.PathLike[str]) -> MediaRecord | None:
        return self.store.record(os.path.abspath(media))

    def count(self, status: str | None = None) -> int:
        return self.store.count(status)
