"""Uploads from the page: the file is kept under ``<data-dir>/library-media/<job>/`` (the library points at
it, so it outlives the job), a job of the server's pool runs the chains for its kind, and the result is
added to the library, failed or not, so the list shows what happened."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from framescribe import FramescribeError

from ..context import ServerContext
from ..jobs import JobFailed
from ..store import Job
from .catalog import Catalog

API = "web"
CHAINS = {"video": ("video_text", "transcribe"), "audio": ("transcribe",), "image": ("image_ocr",)}


def media_dir(ctx: ServerContext, job_id: str) -> Path:
    return ctx.data_dir / "library-media" / job_id


def run(ctx: ServerContext, catalog: Catalog, job: Job, progress: Callable[[float], None]) -> dict[str, Any]:
    """Each capability of the file's kind in turn; what answered goes to the library with what failed."""
    media = Path(job.request["media"])
    kind = job.request["kind"]
    capabilities = CHAINS[kind]
    results: dict[str, Any] = {}
    failures: list[str] = []
    for i, capability in enumerate(capabilities):
        lo, hi = 100 * i / len(capabilities), 100 * (i + 1) / len(capabilities)

        def report(done: float, total: float | None = None, message: str = "", lo: float = lo, hi: float = hi) -> None:
            if total:
                progress(lo + (hi - lo) * min(1.0, done / total))

        progress(lo)
        try:
            results[capability] = ctx.chains.call(capability, media, report)
        except (FramescribeError, JobFailed) as exc:  # JobFailed: the worker process crashed twice on this file
            message = exc.message if isinstance(exc, FramescribeError) else str(exc)
            failures.append(f"{capability}: {ctx.scrub(message)}")
    error = "; ".join(failures) or None
    catalog.add(str(media), results, error=error, kind=kind)
    if not results:
        raise JobFailed(error or "nothing answered", "indexing_failed")
    return {"media": str(media), "capabilities": sorted(results), "failed": failures}
