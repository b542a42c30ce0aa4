"""Finished API jobs into the library (``framescribe serve --library FILE``), so their text is searchable and
the page lists them.

The upload is copied (hard-linked when it can be) to ``<data-dir>/library-media/<job>/`` first: the library
points at that copy, which outlives the job's upload (deleted when the job ends, ``upload_retention_hours``),
so the page can still play or show the file. Only the server process writes: the job's runner, a thread of
the server process, calls :func:`land` after the chains answered (only the chains run in worker processes
with ``isolation = "process"``), and the write goes through the :class:`~.web.catalog.Catalog` lock that the
page's uploads use. Without a library nothing is copied or written. A library that cannot be written is
logged; the API job still answers as it would.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from framescribe.types import OcrResult, VideoResult

from .context import ServerContext

log = logging.getLogger("framescribe.server")


def keep(ctx: ServerContext, job_id: str, upload: Path, part: str = "") -> Path:
    """A copy of ``upload`` under ``<data-dir>/library-media/<job>/[<part>/]`` (the page's uploads live there
    too); ``part`` keeps apart two files of one job with the same name."""
    target = ctx.data_dir / "library-media" / job_id / part / upload.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        os.link(upload, partial)  # same file system: no second copy of a large video
    except OSError:
        shutil.copyfile(upload, partial)
    os.replace(partial, target)  # never a half-copied file under the name the library holds
    return target


def land(ctx: ServerContext, job_id: str, upload: Path, results: dict[str, VideoResult | list[OcrResult]], *,
         kind: str, error: str | None = None, duration: float | None = None, part: str = "") -> None:
    """Add one finished file of job ``job_id`` to the library, when the server has one."""
    catalog: Any = ctx.catalog
    if catalog is None:
        return
    try:
        kept = keep(ctx, job_id, upload, part)
        catalog.add(str(kept), results, error=error, kind=kind, duration=duration)
    except Exception:  # the library is an extra: the API's answer must not depend on it
        log.exception("server: job %s could not be added to the library", job_id)
