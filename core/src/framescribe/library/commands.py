"""``framescribe index`` and ``framescribe search``: thin command-line layers over :class:`Library`.

Registered on the main command group by :func:`register`. Exit codes as for
every command: 0 ok, 1 some files failed, 2 usage error or bad input
(including a search query that cannot be parsed).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..cli_options import common_options, output_option
from ..types import CAPABILITIES
from .eta import Eta, clock_text  # stdlib only: no cost at start-up

log = logging.getLogger("framescribe")

_EPILOG = """\b
Defaults for --library, --executor, --scheduler and --jobs can be set under
[library] in the config file. Docs: docs/library.md."""


def _logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="framescribe: %(message)s", stream=sys.stderr, force=True)


def _library_defaults(config_path: str | None) -> dict[str, Any]:
    from ..config import load_config

    return load_config(config_path).library


def _library_path(option: str | None, defaults: dict[str, Any]) -> Path | None:
    chosen = option or defaults.get("path")
    return None if chosen is None else Path(os.path.expanduser(chosen))


class _Eta:
    """Progress over files with the time left, estimated from the files really indexed so far."""

    def __init__(self, quiet: bool) -> None:
        from ..progress import ProgressBar

        self.bar = ProgressBar("index", enabled=False if quiet else None)
        self.eta = Eta()

    def __call__(self, done: int, total: int, path: str, skipped: bool) -> None:
        self.eta.update(skipped)
        self.bar(done, total, f"{done}/{total} ETA {clock_text(self.eta.left(done, total))} {Path(path).name}")

    def close(self) -> None:
        self.bar.close()


def register(cli: click.Group) -> None:
    """Add ``index`` and ``search`` to ``cli`` (called by framescribe.cli)."""
    cli.add_command(_index_command(common_options))
    cli.add_command(_search_command(common_options, output_option))


def _index_command(common_options: Callable[[Any], Any]) -> click.Command:
    @click.command("index", epilog=_EPILOG)
    @click.argument("paths", nargs=-1, type=click.Path())
    @click.option("--library", "library_path", type=click.Path(dir_okay=False),
                  help="The library file [default: [library].path, else library.sqlite3 in the user data dir].")
    @click.option("--include", multiple=True, metavar="GLOB", help="Only files matching (repeatable) [default: media suffixes].")
    @click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching (repeatable).")
    @click.option("--capability", "-c", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
                  help="Only these capabilities (repeatable) [default: all a file's streams allow].")
    @click.option("--language", "-l", metavar="LANG", help="Language hint for every file, e.g. en.")
    @click.option("--prune", is_flag=True, help="Remove library entries under PATHS whose files no longer exist.")
    @click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
                  help="Local worker processes [default: [library].jobs, else one per core].")
    @click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
                  help="Where files are indexed [default: [library].executor, else local].")
    @click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
    @common_options
    def index_cmd(paths: tuple[str, ...], library_path: str | None, include: tuple[str, ...], exclude: tuple[str, ...],
                  capabilities: tuple[str, ...], language: str | None, prune: bool, jobs: int | None,
                  executor: str | None, scheduler: str | None, as_json: bool, config_path: str | None,
                  plugins: tuple[str, ...], verbose: int, quiet: bool, no_cache: bool) -> None:
        """Index the media in PATHS (files and folders, recursively) into a library.

        Videos give their on-screen text (video_text) and, with an audio stream,
        their speech (transcribe); audio files their speech; images their text
        (image_ocr, every page). Unchanged files are skipped; each file is
        committed on its own, so an interrupted run keeps what it finished.

        \b
        Examples:
          framescribe index lectures/ --library lectures.sqlite3
          framescribe index scans/ --include '*.tif' -c image_ocr --json
          framescribe index archive/ --executor dask --scheduler tcp://10.0.0.5:8786
        """
        from .api import Library
        from .executors import default_jobs

        _logging(verbose, quiet)
        defaults = _library_defaults(config_path)
        library = Library(_library_path(library_path, defaults))
        progress = _Eta(quiet or as_json)
        try:
            summary = library.index(
                paths, config=config_path, plugins=plugins,
                capabilities=[c for c in CAPABILITIES if c in capabilities] if capabilities else None,
                include=include, exclude=exclude, prune=prune, jobs=jobs or defaults.get("jobs") or default_jobs(),
                executor=executor or defaults.get("executor", "local"), scheduler=scheduler or defaults.get("scheduler"),
                language=language, use_cache=not no_cache, progress=progress)
        finally:
            progress.close()
            library.close()
        for warning in summary.warnings:
            log.warning("%s", warning)
        if as_json:
            click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
        else:
            for media, error in summary.failed:
                click.echo(f"failed: {media}: {error}", err=True)
            if not quiet:
                click.echo(f"indexed {summary.indexed}, unchanged {summary.unchanged}, failed {len(summary.failed)}, "
                           f"removed {summary.removed} (library: {library.path})", err=True)
        if summary.failed:
            from ..errors import FramescribeError  # exit code 1, like any failed run

            raise FramescribeError(f"{len(summary.failed)} of {summary.indexed + len(summary.failed)} files failed",
                                   hint="each failure is listed above and recorded in the library; the next run tries them again")

    return index_cmd


def _search_command(common_options: Callable[[Any], Any], output_option: Callable[[], Any]) -> click.Command:
    @click.command("search", epilog=_EPILOG)
    @click.argument("query")
    @click.option("--library", "library_path", type=click.Path(dir_okay=False),
                  help="The library file [default: [library].path, else library.sqlite3 in the user data dir].")
    @click.option("--capability", "-c", type=click.Choice(CAPABILITIES), help="Only segments of this capability.")
    @click.option("--media", "media_glob", metavar="GLOB", help="Only files whose absolute path matches, e.g. '*/2024/*'.")
    @click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=20, show_default=True, help="At most this many results.")
    @click.option("--format", "-f", "fmt", type=click.Choice(["txt", "json"]), default="txt", show_default=True)
    @output_option()
    @common_options
    def search_cmd(query: str, library_path: str | None, capability: str | None, media_glob: str | None, limit: int,
                   fmt: str, output: str | None, config_path: str | None, verbose: int, quiet: bool,
                   **_plugins_and_cache: Any) -> None:
        """Search the text of every indexed file: words, "exact phrases", prefix*, AND/OR/NOT.

        Results are ranked best first (bm25), each with its file, time range (or
        page) and a snippet with the match in [brackets].

        \b
        Examples:
          framescribe search 'quarterly targets' --library lectures.sqlite3
          framescribe search '"quarterly targets" OR budget*' -c video_text -f json
          framescribe search 'invoice NOT draft' --media '*/2024/*' -n 5
        """
        from ..errors import BadInput
        from ..outputs import check_output
        from .api import Library, default_library_path

        _logging(verbose, quiet)
        defaults = _library_defaults(config_path)
        path = _library_path(library_path, defaults) or default_library_path()
        destination = check_output(output, [path])  # before any work; never the library itself
        if not path.is_file():
            raise BadInput(f"library {path} does not exist", hint="index something first: framescribe index FOLDER --library FILE")
        with Library(path) as library:
            hits = library.search(query, capability=capability, media=media_glob, limit=limit)  # type: ignore[arg-type]
        if fmt == "json":
            text = json.dumps({"results": [h.to_dict() for h in hits]}, indent=2, ensure_ascii=False) + "\n"
        else:
            text = "".join(f"{h.media}  {_where(h.page, h.start, h.end)}  {h.capability}  {' '.join(h.snippet.split())}\n"
                           for h in hits)
        destination.write(text)

    return search_cmd


def _where(page: int | None, start: float | None, end: float | None) -> str:
    if page:
        return f"page {page}"
    return "-" if start is None else f"{_clock(start)}-{_clock(end)}"


def _clock(seconds: float | None) -> str:
    s = round(seconds or 0.0)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
