"""The ASGI app: the four API shapes, ``/healthz``, the OpenAPI document and docs; the lifespan starts the
job pool (recovering the last run's records), sweeps expired records, and on shutdown checkpoints.

``create_app`` takes everything from its arguments, so tests and ``framescribe serve`` build it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import framescribe
from framescribe import Framescribe

from . import api_imagehq, api_ocrservices, api_openai, api_videoindex, errors
from .auth import Keys
from .chains import Chains
from .context import ServerContext
from .jobs import JobPool
from .settings import ServeSettings
from .store import Job, Store
from .throttle import Throttle

log = logging.getLogger("framescribe.server")
SWEEP_EVERY = 60.0


def build_context(fs: Framescribe, settings: ServeSettings, data_dir: Path, *, plugins: Sequence[str] = (),
                  use_cache: bool = True, library: Any = None) -> ServerContext:
    """Everything the app needs; ``plugins`` and ``use_cache`` as given to ``fs`` (worker processes build their own)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "server.sqlite3")
    chains = Chains(fs, processes=settings.workers if settings.isolation == "process" else 0, plugins=plugins,
                    use_cache=use_cache)
    ctx = ServerContext(fs, settings, data_dir, store, Keys(settings.keys(), data_dir), chains, library=library,
                        throttle=Throttle(settings.auth_max_failures, settings.auth_window_seconds))
    if library is not None:  # finished jobs land in it (landing.py), uploads of the page too: one lock for all
        from .web.catalog import Catalog

        ctx.catalog = Catalog(library)
    runners = {
        api_videoindex.API: lambda job, progress: api_videoindex.run(ctx, job, progress),
        api_imagehq.API: lambda job, progress: api_imagehq.run(ctx, job, progress),
        api_ocrservices.API: lambda job, progress: api_ocrservices.run(ctx, job, progress),
        api_openai.API: lambda job, progress: api_openai.run(ctx, job, progress),
    }

    def expires_after(job: Job) -> float | None:
        return ctx.expires(job.created)

    def ended(job: Job) -> None:
        if settings.upload_retention_hours == 0 and job.upload_dir:
            shutil.rmtree(job.upload_dir, ignore_errors=True)
            store.forget_upload(job.id)

    ctx.pool = JobPool(store, settings.workers, settings.max_jobs_per_key, runners, expires_after, ctx.scrub, ended)
    return ctx


def sweep(ctx: ServerContext, now: float | None = None) -> dict[str, int]:
    """Delete what retention says is over: expired jobs and videos, and uploads of ended jobs."""
    now = time.time() if now is None else now
    removed = {"jobs": 0, "uploads": 0, "records": 0}
    for job in ctx.store.expired_jobs(now):
        if job.upload_dir:
            shutil.rmtree(job.upload_dir, ignore_errors=True)
        ctx.store.delete_job(job.id)
        removed["jobs"] += 1
    keep = ctx.settings.upload_retention_hours * 3600
    for job in ctx.store.finished_uploads(now - keep):
        shutil.rmtree(job.upload_dir or "", ignore_errors=True)
        ctx.store.forget_upload(job.id)
        removed["uploads"] += 1
    removed["records"] = ctx.store.delete_expired_records(now)
    return removed


class ServerTiming:
    """ASGI middleware: a ``Server-Timing: app;dur=MS`` header, the time the server spent before answering
    (the part of a client's latency that is the server's own, rather than the network's or the CPU queue's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", f"app;dur={took:.2f}".encode())]}
            await send(message)

        await self.app(scope, receive, timed)


def create_app(ctx: ServerContext) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert ctx.pool is not None
        recovered = ctx.pool.start()
        app.state.recovered = recovered

        async def sweeper() -> None:
            while True:
                try:
                    await run_in_threadpool(sweep, ctx)
                except Exception:  # a sweep that fails is tried again later; it must not stop the server
                    log.exception("server: retention sweep failed")
                await asyncio.sleep(SWEEP_EVERY)

        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            stopped = await run_in_threadpool(ctx.pool.stop, ctx.settings.shutdown_grace)
            log.info("server: stopped (%d job(s) checkpointed)", stopped["checkpointed"])
            ctx.chains.close()
            ctx.store.close()

    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from the server itself.
    app = FastAPIOffline(
        title="framescribe serve",
        version=framescribe.__version__,
        description="The video-indexing, ImageHQ, OCR Services and OpenAI transcription APIs, answered by framescribe's "
                    "local chains. Send the key as `x-api-key` or `Authorization: Bearer KEY`.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.add_middleware(ServerTiming)
    app.add_exception_handler(errors.ApiError, errors.api_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(Exception, errors.unexpected_error)
    for module in (api_videoindex, api_imagehq, api_ocrservices, api_openai):
        app.include_router(module.router)
    if ctx.library is not None:  # the page (web/) looks at the library; without one there is nothing to show
        from . import web

        web.install(app, ctx)

    @app.get("/healthz", tags=["server"])
    async def healthz() -> dict[str, Any]:
        """Liveness and load: no key needed, and nothing about anyone's jobs."""
        pool = ctx.pool
        assert pool is not None
        return {"status": "ok" if pool.accepting else "stopping", "version": framescribe.__version__,
                "workers": pool.workers, "queued": pool.queued(), "uptime": round(time.time() - ctx.started, 1)}

    return app
