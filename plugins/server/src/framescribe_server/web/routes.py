"""The page's routes: the library list, search, one media file with its text, downloads, uploads, login.

Every page is rendered on the server by autoescaping Jinja2 templates, so text from the library (segment
text is untrusted input) reaches the browser as text; the one place markup is added to it (``<mark>``
around a search match) escapes the snippet first. Pages carry a Content-Security-Policy that allows only
this server's own script and stylesheet (no inline script, no other origin).

Who may look: with no API keys (loopback only) everyone who reaches the server; with keys, a request with
a key header, or a browser session opened by ``POST /login`` (see :mod:`.sessions`). The library is shared:
every key sees all of it; a key sees only its own upload jobs.
"""

from __future__ import annotations

import math
import mimetypes
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from framescribe import BadInput
from framescribe.formats import OCR_FORMATS, VIDEO_FORMATS, format_ocr, format_video
from framescribe.images import sniff as sniff_image
from framescribe.types import OcrResult, VideoResult

from .. import uploads
from ..auth import LOCAL_OWNER
from ..context import ServerContext, Slot, client_address, locked_out_for, presented_key
from ..errors import ApiError
from ..store import FAILED, SUCCEEDED
from . import upload
from .catalog import MARK_CLOSE, MARK_OPEN, Catalog, media_id
from .sessions import COOKIE, TTL, Sessions

HERE = Path(__file__).resolve().parent
PER_PAGE = 50
HITS_PER_PAGE = 20
MAX_HITS = 500
CAPABILITY_ORDER = ("transcribe", "video_text", "image_ocr")
CAPABILITY_TITLES = {"transcribe": "Speech", "video_text": "On-screen text", "image_ocr": "Text in the image"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the page's own form posts.
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "Cache-Control": "no-store", "X-Frame-Options": "DENY"}
# A media file opened on its own is rendered by the browser; sandboxed, an SVG or HTML file runs nothing.
FILE_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache"}
DOWNLOAD_TYPES = {"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt; charset=utf-8",
                  "json": "application/json", "txt": "text/plain; charset=utf-8",
                  "tsv": "text/tab-separated-values; charset=utf-8"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

router = APIRouter(include_in_schema=False)
templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined)


class LoginNeeded(Exception):
    """Raised by :func:`viewer` when a key-protected server gets a request with neither a key nor a session."""


class PageError(Exception):
    """A request the page refuses, answered with an HTML error page."""

    def __init__(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.headers = status, title, message, headers


@dataclass
class Web:
    ctx: ServerContext
    catalog: Catalog
    sessions: Sessions


def install(app: FastAPI, ctx: ServerContext) -> None:
    """Add the page to ``app``: its routes, its assets under ``/assets``, and the upload jobs' runner."""
    assert ctx.pool is not None and ctx.catalog is not None
    web = Web(ctx, ctx.catalog, Sessions())
    app.state.web = web
    ctx.pool.runners[upload.API] = lambda job, progress: upload.run(ctx, web.catalog, job, progress)
    app.include_router(router)
    app.mount("/assets", StaticFiles(directory=HERE / "static"), name="assets")
    app.add_exception_handler(LoginNeeded, _login_needed)
    app.add_exception_handler(PageError, _page_error)


# -- helpers ---------------------------------------------------------------------------------------------


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def clock(seconds: float | None) -> str:
    """``1:02:03.4`` / ``2:03.4``: a time as people read it on a player."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    tenths = round(seconds * 10)
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    s, t = divmod(rest, 10)
    return f"{h}:{m:02d}:{s:02d}.{t}" if h else f"{m}:{s:02d}.{t}"


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    whole = round(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


templates.filters["clock"] = clock
templates.filters["duration"] = duration
templates.globals["titles"] = CAPABILITY_TITLES


def render(request: Request, template: str, code: int = 200, **values: Any) -> HTMLResponse:
    web = _web(request)
    html = templates.get_template(template).render(
        keys_required=web.ctx.keys.required, logged_in=bool(request.cookies.get(COOKIE)), **values)
    return HTMLResponse(html, code, headers=PAGE_HEADERS)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status, title=title, message=message)


def marked(snippet: str) -> Markup:
    """The snippet escaped, then its match markers turned into ``<mark>``: text stays text."""
    text = str(escape(snippet))
    return Markup(text.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


def number(raw: str | None, default: float, low: float, high: float) -> float:
    """A query parameter as a number inside [low, high]; anything else is the default (pages never 422)."""
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        return default
    return min(high, max(low, value)) if math.isfinite(value) else default


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this server only (no ``//host`` or ``\\``), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def hostname(host: str) -> str:
    """The name part of a Host header (``[::1]:8000`` -> ``[::1]``), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def name_parts(path: str) -> tuple[str, str]:
    return os.path.basename(path), os.path.dirname(path)


# -- who is looking ----------------------------------------------------------------------------------------


def viewer(request: Request) -> str:
    """The owner id of the request: its key header, else its session cookie; LoginNeeded when neither."""
    web = _web(request)
    keys = web.ctx.keys
    if not keys.required:
        # Open only on loopback: a page reached under another host name may be a DNS-rebinding attack.
        if hostname(request.headers.get("host", "")) not in LOOPBACK_HOSTS:
            raise PageError(403, "Not here", "Without API keys the page answers only at a loopback address "
                                             "(http://127.0.0.1:PORT/ or http://localhost:PORT/).")
        return LOCAL_OWNER
    presented = presented_key(request)
    if presented:
        wait = locked_out_for(web.ctx, request)
        if wait is not None:  # the key is not checked: a guess during the lock-out must not be confirmed
            raise PageError(429, "Too many failed attempts", f"Too many failed attempts; try again in {wait} s.",
                            {"Retry-After": str(wait)})
        found = keys.owner(presented)
        if found is not None:
            return found
        web.ctx.throttle.failed(client_address(request))
    found = web.sessions.owner(request.cookies.get(COOKIE))
    if found is None:
        raise LoginNeeded
    return found


def same_origin(request: Request) -> None:
    """A form POST from another site is refused (a page elsewhere must not upload or log in through ours)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        raise PageError(403, "Refused", "This form can only be sent from the server's own page.")


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    page = error_page(request, exc.status, exc.title, exc.message)
    page.headers.update(exc.headers or {})
    return page


async def _login_needed(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(target, safe=""), 303)
    return error_page(request, 401, "Log in first", "This server needs an API key: log in on /login.")


# -- the library --------------------------------------------------------------------------------------------


def _row(record: Any) -> dict[str, Any]:
    name, folder = name_parts(record.path)
    return {"id": media_id(record.path), "name": name, "folder": folder, "kind": record.kind,
            "duration": record.duration, "status": record.status, "error": record.error,
            "backends": [(c, record.backends[c]) for c in CAPABILITY_ORDER if c in record.backends]}


def _uploads(web: Web, who: str) -> list[dict[str, Any]]:
    """This owner's upload jobs still queued or running, and those that ended in the last hour."""
    jobs = web.ctx.store.jobs(who, upload.API, limit=20)
    out = []
    for job in jobs:
        if job.status in (SUCCEEDED, FAILED) and job.finished and job.finished < web.ctx.started:
            continue
        out.append({"id": job.id, "name": job.request.get("filename", ""), "status": job.status,
                    "progress": round(job.progress), "error": job.error})
    return out[:10]


@router.get("/", response_class=HTMLResponse)
async def library_page(request: Request) -> Response:
    web = _web(request)
    who = viewer(request)
    status = request.query_params.get("status")
    status = status if status in ("ok", "failed") else None
    page = int(number(request.query_params.get("page"), 1, 1, 1e9))
    records, total = await run_in_threadpool(web.catalog.page, (page - 1) * PER_PAGE, PER_PAGE, status)
    pages = max(1, math.ceil(total / PER_PAGE))
    jobs = await run_in_threadpool(_uploads, web, who)
    return render(request, "library.html", rows=[_row(r) for r in records], total=total, page=page, pages=pages,
                  status=status, jobs=jobs, max_upload_mb=web.ctx.settings.max_upload_mb)


# -- search ----------------------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request) -> Response:
    web = _web(request)
    viewer(request)
    query = request.query_params.get("q", "").strip()
    page = int(number(request.query_params.get("page"), 1, 1, MAX_HITS // HITS_PER_PAGE))
    if not query:
        return render(request, "search.html", query="", hits=[], page=1, more=False, problem=None)
    try:
        hits = await run_in_threadpool(web.catalog.search, query, page * HITS_PER_PAGE + 1)
    except BadInput as exc:
        problem = exc.message + (f" ({exc.hint})" if getattr(exc, "hint", None) else "")
        return render(request, "search.html", 400, query=query, hits=[], page=1, more=False, problem=problem)
    shown = hits[(page - 1) * HITS_PER_PAGE: page * HITS_PER_PAGE]
    rows = []
    for hit in shown:
        name, folder = name_parts(hit.media)
        where = f"?t={hit.start:g}&c={hit.capability}#here" if hit.start is not None else f"?c={hit.capability}#here"
        rows.append({"href": f"/media/{media_id(hit.media)}{where}", "name": name, "folder": folder,
                     "capability": hit.capability, "start": hit.start, "end": hit.end, "page": hit.page,
                     "snippet": marked(hit.snippet)})
    return render(request, "search.html", query=query, hits=rows, page=page, more=len(hits) > page * HITS_PER_PAGE,
                  problem=None)


# -- one media file -------------------------------------------------------------------------------------


def _image_size(path: str) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(path) as img:
            return int(img.width), int(img.height)
    except Exception:  # not readable as an image here: the page shows it without boxes
        return None


def _boxes(pages: list[OcrResult]) -> list[dict[str, Any]]:
    """The layout's line boxes (block boxes where a block has no lines with boxes), each with its text."""
    out: list[dict[str, Any]] = []
    for result in pages:
        for block in result.layout or []:
            lines = [line for line in block.lines if line.box is not None]
            if lines:
                out.extend({"box": line.box, "text": line.text} for line in lines)
            elif block.box is not None:
                out.append({"box": block.box, "text": block.text})
    return out


def _media_view(web: Web, path: str, start: float | None, chosen: str | None, boxes: bool) -> dict[str, Any] | None:
    record = web.catalog.record(path)
    if record is None:
        return None
    results = web.catalog.results(path)
    sections = []
    marked_here = False  # one segment is "here" (the anchor of a search hit), in the first section that has it
    for capability in [c for c in CAPABILITY_ORDER if c in results]:
        result = results[capability]
        if isinstance(result, VideoResult):
            ordered = sorted(result.segments, key=lambda s: (s.start, s.end))
            here = None
            if start is not None and chosen in (None, capability) and not marked_here:
                here = next((i for i, s in enumerate(ordered) if s.start <= start < max(s.end, s.start + 0.001)), None)
            marked_here = marked_here or here is not None
            segments = [{"start": s.start, "end": s.end, "value": s.value, "here": i == here} for i, s in enumerate(ordered)]
            sections.append({"capability": capability, "backend": result.backend, "segments": segments, "pages": None,
                             "formats": VIDEO_FORMATS})
        else:
            pages = [{"page": p.page, "lines": [line for line in p.text.splitlines() if line.strip()]} for p in result]
            sections.append({"capability": capability, "backend": result[0].backend if result else "", "segments": None,
                             "pages": pages, "formats": OCR_FORMATS})
    overlay = None
    has_layout = record.kind == "image" and any(r.layout for r in results.get("image_ocr", []) if isinstance(r, OcrResult))
    if boxes and has_layout:
        size = _image_size(path)
        pages_ = results.get("image_ocr", [])
        if size is not None and isinstance(pages_, list):
            overlay = {"width": size[0], "height": size[1], "boxes": _boxes(pages_)}
    name, folder = name_parts(path)
    return {"record": record, "name": name, "folder": folder, "sections": sections, "overlay": overlay,
            "has_layout": has_layout, "on_disk": os.path.isfile(path)}


@router.get("/media/{mid}", response_class=HTMLResponse)
async def media_page(request: Request, mid: str) -> Response:
    web = _web(request)
    viewer(request)
    path = await run_in_threadpool(web.catalog.path_of, mid)
    if path is None:
        return error_page(request, 404, "Not in the library", "The library holds no file with this id.")
    raw_t = request.query_params.get("t")
    start = number(raw_t, 0.0, 0.0, 1e7) if raw_t is not None else None
    chosen = request.query_params.get("c")
    boxes = request.query_params.get("boxes") == "1"
    view = await run_in_threadpool(_media_view, web, path, start, chosen, boxes)
    if view is None:
        return error_page(request, 404, "Not in the library", "This file was removed from the library.")
    source = f"/media/{mid}/file" + (f"#t={start:g}" if start else "")
    return render(request, "media.html", id=mid, source=source, start=start, boxes=boxes, **view)


@router.get("/media/{mid}/file")
async def media_file(request: Request, mid: str) -> Response:
    """The file itself; Starlette's FileResponse answers Range requests (206 with Content-Range), so players seek."""
    web = _web(request)
    viewer(request)
    path = await run_in_threadpool(web.catalog.path_of, mid)
    if path is None or not os.path.isfile(path):
        return error_page(request, 404, "No such file", "The library holds no file with this id, or it is no longer on disk.")
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=FILE_HEADERS)


def _attachment(filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/media/{mid}/download/{name}")
async def download(request: Request, mid: str, name: str) -> Response:
    """``CAPABILITY.FORMAT`` of one file: srt, vtt, json, txt for timed text; txt, json, tsv for images."""
    web = _web(request)
    viewer(request)
    path = await run_in_threadpool(web.catalog.path_of, mid)
    capability, _, fmt = name.partition(".")
    results = await run_in_threadpool(web.catalog.results, path) if path is not None else {}
    result = results.get(capability)
    if path is None or result is None:
        return error_page(request, 404, "Nothing to download", "The library holds no such result.")
    if isinstance(result, VideoResult):
        if fmt not in VIDEO_FORMATS:
            return error_page(request, 404, "No such format", f"Timed text comes as {', '.join(VIDEO_FORMATS)}.")
        body = format_video(result, fmt)
    else:
        if fmt not in OCR_FORMATS:
            return error_page(request, 404, "No such format", f"Image text comes as {', '.join(OCR_FORMATS)}.")
        body = format_ocr(result, fmt)
    stem = os.path.splitext(os.path.basename(path))[0]
    headers = {"Content-Disposition": _attachment(f"{stem}.{capability}.{fmt}"), "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-store"}
    return Response(body, media_type=DOWNLOAD_TYPES[fmt], headers=headers)


# -- uploads ---------------------------------------------------------------------------------------------


@router.post("/upload")
async def upload_file(request: Request) -> Response:
    """A video, audio file or image from the page's form: saved, queued as a job, then its progress page."""
    web = _web(request)
    ctx = web.ctx
    try:
        who = viewer(request)
        same_origin(request)
        with Slot(ctx, who) as slot:
            form = await uploads.read_form(request, ctx.settings.max_upload_bytes, max_files=1)
            part = uploads.file(form, "file")
            assert part is not None
            head = await uploads.head(part)
            kind = "image" if sniff_image(head) is not None else uploads.sniff_media(head)
            name = uploads.safe_name(part.filename)
            if kind is None:
                raise ApiError(400, f"{name} is not a video, audio file or image this server reads", "unsupported_format")
            directory = upload.media_dir(ctx, slot.job_id)
            try:
                saved = await uploads.save(part, directory, name)
                job = slot.queue(upload.API, {"media": str(saved), "kind": kind, "filename": name})
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
    except ApiError as exc:
        return error_page(request, exc.status, "Upload refused", exc.message)
    return RedirectResponse(f"/jobs/{job.id}", 303)


def _job_view(web: Web, who: str, job_id: str) -> dict[str, Any] | None:
    job = web.ctx.store.job(job_id, owner=who, api=upload.API)
    if job is None:
        return None
    done = job.status in (SUCCEEDED, FAILED)
    media = job.request.get("media") if done else None  # a failed file is in the library too, with its reason
    return {"id": job.id, "name": job.request.get("filename", ""), "status": job.status, "progress": round(job.progress),
            "error": job.error, "media_url": f"/media/{media_id(media)}" if media else None,
            "done": done}


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_page(request: Request, job_id: str) -> Response:
    web = _web(request)
    who = viewer(request)
    view = await run_in_threadpool(_job_view, web, who, job_id)
    if view is None:
        return error_page(request, 404, "No such upload", "There is no upload job with this id for you.")
    return render(request, "job.html", job=view)


@router.get("/jobs/{job_id}/status")
async def job_status(request: Request, job_id: str) -> Response:
    """The job page's script polls this for the progress bar."""
    web = _web(request)
    who = viewer(request)
    view = await run_in_threadpool(_job_view, web, who, job_id)
    if view is None:
        return JSONResponse({"error": "no such upload job"}, 404, headers={"Cache-Control": "no-store"})
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


# -- logging in (key-protected servers) ------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    web = _web(request)
    target = safe_next(request.query_params.get("next"))
    if not web.ctx.keys.required:
        return RedirectResponse(target, 303)
    return render(request, "login.html", target=target, problem=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    web = _web(request)
    same_origin(request)
    if int(request.headers.get("content-length") or 0) > 8192:
        return error_page(request, 413, "Too large", "A login form is a few bytes.")
    form = await request.form(max_files=0, max_fields=4)
    target = safe_next(str(form.get("next") or "/"))
    key = str(form.get("key") or "")
    if not web.ctx.keys.required:
        return RedirectResponse(target, 303)
    wait = locked_out_for(web.ctx, request)
    if wait is not None:  # the key is not checked: a guess during the lock-out must not be confirmed
        page = render(request, "login.html", 429, target=target, problem=f"Too many failed attempts; try again in {wait} s.")
        page.headers["Retry-After"] = str(wait)
        return page
    who = web.ctx.keys.owner(key) if key else None
    if who is None:
        if key:
            web.ctx.throttle.failed(client_address(request))
        return render(request, "login.html", 401, target=target,
                      problem="That is not one of this server's API keys." if key else "Enter an API key.")
    response = RedirectResponse(target, 303)
    response.set_cookie(COOKIE, web.sessions.open(who), max_age=int(TTL), path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    web = _web(request)
    same_origin(request)
    web.sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
