"""What every API module shares: the facade, the settings, the records, the pool, the keys; and the helpers
that turn a request into a job (reserve a slot, save the upload, record, queue) and wait for one."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request

from framescribe import Framescribe

from .auth import Keys
from .chains import Chains
from .errors import ApiError, shape_for
from .jobs import JobPool
from .settings import ServeSettings
from .store import Job, Store
from .throttle import Throttle

HOW_TO_AUTH = {
    "videoindex": "send it in the x-api-key header",
    "ocrservices": "send it in the X-API-Key header",
    "imagehq": "send it as Authorization: Bearer KEY",
    "openai": "send it as Authorization: Bearer KEY",
    "plain": "send it in the x-api-key header or as Authorization: Bearer KEY",
}


@dataclass
class ServerContext:
    fs: Framescribe
    settings: ServeSettings
    data_dir: Path
    store: Store
    keys: Keys
    chains: Chains
    pool: JobPool | None = None
    library: Any = None  # a framescribe library, when --library is given
    catalog: Any = None  # web.catalog.Catalog on that library: every write to it goes through its lock
    throttle: Throttle = field(default_factory=Throttle)  # failed key attempts per client address
    started: float = field(default_factory=time.time)

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"

    def upload_dir(self, job_id: str) -> Path:
        return self.uploads / job_id

    def expires(self, from_time: float | None = None) -> float | None:
        hours = self.settings.retention_hours
        return None if hours == 0 else (from_time or time.time()) + hours * 3600

    def scrub(self, text: str) -> str:
        """Server paths out of a message a client will read: an upload is named by its file name only."""
        root = str(self.uploads) + "/"
        while root in text:
            start = text.index(root)
            slash = text.find("/", start + len(root))
            text = text[:start] + text[slash + 1:] if slash != -1 else text[:start]
        return text.replace(str(self.data_dir), "<data-dir>")


def ctx_of(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def owner(request: Request) -> str:
    """The FastAPI dependency every API route uses: the owner id of the request's key, or 401."""
    ctx = ctx_of(request)
    presented = presented_key(request)
    if ctx.keys.required:
        refuse_if_locked_out(ctx, request)
    found = ctx.keys.owner(presented)
    if found is None:
        if presented:  # a missing key is not a guess; a wrong one is
            ctx.throttle.failed(client_address(request))
        how = HOW_TO_AUTH[shape_for(request.url.path)]
        what = "no API key given" if not presented else "the API key is not valid"
        raise ApiError(401, f"{what}: {how}", "api_key_invalid")
    return found


def presented_key(request: Request) -> str | None:
    """The API key a request carries: ``X-API-Key``, or else ``Authorization: Bearer KEY``."""
    presented = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if not presented and auth[:7].lower() == "bearer ":
        presented = auth[7:].strip()
    return presented


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def locked_out_for(ctx: ServerContext, request: Request) -> int | None:
    """Seconds the request's address must wait before its keys are checked again (None: not locked out)."""
    return ctx.throttle.retry_after(client_address(request))


def refuse_if_locked_out(ctx: ServerContext, request: Request) -> None:
    """429 with Retry-After, before any key is looked at, while the address is locked out (see :mod:`.throttle`)."""
    wait = locked_out_for(ctx, request)
    if wait is not None:
        raise ApiError(429, f"too many failed API key attempts from this address; try again in {wait} s",
                       "too_many_requests", headers={"Retry-After": str(wait)})


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(12)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    when = datetime.fromtimestamp(ts, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Slot:
    """A job slot of one owner, held from the first byte of an upload until the job is queued (or given back)."""

    def __init__(self, ctx: ServerContext, owner: str) -> None:
        assert ctx.pool is not None
        self.ctx, self.owner, self.pool = ctx, owner, ctx.pool
        if not self.pool.accepting:
            raise ApiError(503, "the server is shutting down; retry shortly", "unavailable", headers={"Retry-After": "5"})
        if not self.pool.reserve(owner):
            raise ApiError(429, f"this key already has {ctx.settings.max_jobs_per_key} jobs queued or running, the most "
                                "allowed; retry when one has finished", "too_many_requests", headers={"Retry-After": "2"})
        self.taken = True
        self.job_id = new_id()
        self.directory = ctx.upload_dir(self.job_id)

    def queue(self, api: str, request: dict[str, Any], *, job_id: str | None = None, on_done: Any = None) -> Job:
        """Record the job and hand it to the pool (the slot passes to the job)."""
        job = self.ctx.store.add_job(job_id or self.job_id, self.owner, api, request,
                                     str(self.directory) if self.directory.exists() else None, None)
        self.taken = False
        self.pool.submit(job, on_done)
        return job

    def give_back(self) -> None:
        if self.taken:
            self.taken = False
            self.pool.release(self.owner)
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.give_back()


async def run_and_wait(slot: Slot, api: str, request: dict[str, Any], job_id: str | None = None) -> Job:
    """Queue a job and wait for it without blocking the event loop (for the synchronous APIs)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Job] = loop.create_future()

    def settle(job: Job) -> None:
        if not done.done():
            done.set_result(job)

    def finished(job: Job) -> None:
        loop.call_soon_threadsafe(settle, job)

    slot.queue(api, request, job_id=job_id, on_done=finished)
    return await done
