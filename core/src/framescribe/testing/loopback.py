"""A real HTTP server on 127.0.0.1 for testing remote backends: routes, scripted replies, a request log, misbehaviours.

A plugin's tests implement the service's API as routes (a function from the
recorded request to a :class:`Reply`), and queue faults with :meth:`LoopbackServer.script`::

    from framescribe.testing.loopback import LoopbackServer, Reply

    with LoopbackServer() as server:
        server.route("POST", "/v1/ocr", lambda request: Reply.json(202, {"id": "job_1"}))
        server.script("POST", "/v1/ocr", Reply.error(503), times=2)     # the next two calls fail
        ...                                                               # point the backend at server.url
        assert server.requests[-1].header("x-api-key") == "sk-test"

Misbehaviours, as :class:`Reply` constructors: ``redirect`` (to another port:
another origin), ``echo_header`` (an HTML/JSON/text error page quoting a
request header, as a proxy does with a key), ``drip`` (a body a few bytes at a
time), ``hang`` (accept and say nothing), ``drop`` (close without an answer),
``truncated`` (a Content-Length the body never reaches), ``malformed`` (not the
JSON promised). Every request is recorded before it is answered, a
misbehaving one included.

The pytest plugin offers a started server as the ``framescribe_http_server``
fixture; for one server per module, use the class in a module-scoped fixture
and call :meth:`LoopbackServer.reset` between tests.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request as the server saw it. ``headers`` keys are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    client: str
    at: float
    port: int = 0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    @functools.cached_property
    def fields(self) -> dict[str, str]:
        """The text fields of a multipart/form-data body (a dict a route may annotate)."""
        return self.form()[0]

    @functools.cached_property
    def files(self) -> dict[str, tuple[str, bytes]]:
        """The files of a multipart/form-data body: name -> (filename, content)."""
        return self.form()[1]

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        """A multipart/form-data body as (fields, files); files are name -> (filename, content)."""
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        ctype = self.header("content-type") or ""
        if not ctype.startswith("multipart/form-data"):
            return fields, files
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body)
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, content)
            else:
                fields[name] = content.decode("utf-8", "replace")
        return fields, files


@dataclass
class Reply:
    """What the server does with a request: an answer, or one of the misbehaviours."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"
    kind: str = "answer"  # answer | drop | hang | drip | drip_headers | truncated
    delay: float = 0.0  # seconds before answering (or, for drip, between chunks)
    chunk: int = 1  # bytes per drip

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), dict(headers or {}))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8",
             headers: dict[str, str] | None = None) -> Reply:
        return cls(status, text.encode(), dict(headers or {}), content_type)

    @classmethod
    def error(cls, status: int, message: str = "failure injected by the test server") -> Reply:
        return cls.json(status, {"error": {"code": f"http_{status}", "message": message}})

    @classmethod
    def redirect(cls, location: str, status: int = 307) -> Reply:
        return cls(status, b"", {"Location": location}, None)

    @classmethod
    def drop(cls) -> Reply:
        """Close the connection without a word."""
        return cls(kind="drop")

    @classmethod
    def hang(cls, seconds: float = 60.0) -> Reply:
        """Accept the request and send nothing for ``seconds`` (or until the server stops)."""
        return cls(kind="hang", delay=seconds)

    @classmethod
    def drip(cls, body: bytes, interval: float = 1.0, status: int = 200, content_type: str = "application/json",
             chunk: int = 1) -> Reply:
        """Headers at once, then the body ``chunk`` bytes every ``interval`` seconds."""
        return cls(status, body, {}, content_type, kind="drip", delay=interval, chunk=chunk)

    @classmethod
    def drip_headers(cls, status: int = 200, interval: float = 1.0, chunk: int = 1) -> Reply:
        """The status line and headers themselves ``chunk`` bytes every ``interval`` seconds."""
        return cls(status, b"{}", {"X-Padding": "p" * 200}, "application/json", kind="drip_headers", delay=interval,
                   chunk=chunk)

    @classmethod
    def truncated(cls, body: bytes = b'{"status": "ok", "data": [{"start": 1', status: int = 200) -> Reply:
        """Promise more bytes (Content-Length) than are sent, then close."""
        return cls(status, body, {}, "application/json", kind="truncated")

    @classmethod
    def malformed(cls, status: int = 200, body: bytes = b"<html>502 Bad Gateway</html>") -> Reply:
        """A body that is not the JSON its Content-Type promises (a proxy's error page)."""
        return cls(status, body, {}, "application/json")

    @staticmethod
    def echo_header(name: str, status: int = 401, style: str = "html") -> Handler:
        """A handler answering an error page that quotes the request's ``name`` header (html, json or text)."""

        def answer(request: Recorded) -> Reply:
            value = request.header(name) or ""
            if style == "json":
                return Reply.json(status, {"error": {"message": f"invalid credentials {value}"}})
            if style == "text":
                return Reply.text(status, f"denied: {name}={value!r}")
            page = f"<html><body><h1>{status}</h1><p>Proxy refused {name}: {value}</p></body></html>"
            return Reply.text(status, page, "text/html; charset=utf-8")

        return answer


Handler = Callable[[Recorded], Reply]
Action = Reply | Handler


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) with routes, scripted replies and a request log."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, str, Action]] = []
        self._scripts: deque[tuple[str, str, Action]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- life -------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        self._stopping.clear()
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging and dripping handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget routes, scripts and the log (between tests sharing one server)."""
        with self._lock:
            self._routes.clear()
            self._scripts.clear()
            self.requests.clear()

    # -- what it answers --------------------------------------------------------

    def route(self, method: str, path: str, action: Action) -> None:
        """Answer ``method`` (``"*"``: any) requests whose path is ``path`` or under it.

        The longest matching path wins; of equal ones, the route added last.
        """
        with self._lock:
            self._routes.append((method.upper(), path, action))

    def script(self, method: str, path: str, *actions: Action, times: int = 1) -> None:
        """Answer the next matching requests with ``actions`` in turn (repeated ``times``), before any route."""
        with self._lock:
            for _ in range(times):
                self._scripts.extend((method.upper(), path, a) for a in actions)

    def clear_scripts(self) -> None:
        """Drop the scripted replies not used yet."""
        with self._lock:
            self._scripts.clear()

    def calls(self, method: str = "*", path: str = "") -> list[Recorded]:
        return [r for r in list(self.requests) if method in ("*", r.method) and r.path.startswith(path)]

    def _action_for(self, request: Recorded) -> Action:
        with self._lock:
            for i, (method, path, action) in enumerate(self._scripts):
                if _matches(method, path, request):
                    del self._scripts[i]
                    return action
            routes = [r for r in self._routes if _matches(r[0], r[1], request)]
        if not routes:
            return Reply.json(404, {"error": {"code": "not_found", "message": f"no route {request.method} {request.path}"}})
        # The longest path wins; of equal ones, the route added last (a test overriding a default).
        return max(enumerate(routes), key=lambda ir: (len(ir[1][1]), ir[0]))[1][2]

    def _record(self, handler: BaseHTTPRequestHandler, method: str) -> Recorded:
        parts = urlsplit(handler.path)
        body = _read_body(handler)
        request = Recorded(method, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                           {k.lower(): v for k, v in handler.headers.items()}, body, handler.client_address[0],
                           time.monotonic(), self.port)
        with self._lock:
            self.requests.append(request)
        return request

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        request = self._record(handler, method)
        action = self._action_for(request)
        reply = action if isinstance(action, Reply) else action(request)
        self._send(handler, reply)

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.kind == "drop":
            handler.close_connection = True
            return
        if reply.kind == "hang":
            self._stopping.wait(reply.delay)
            handler.close_connection = True
            return
        if reply.kind == "answer" and reply.delay:
            self._stopping.wait(reply.delay)
        if reply.kind == "drip_headers":
            self._drip_headers(handler, reply)
            return
        handler.send_response(reply.status)
        if reply.content_type:
            handler.send_header("Content-Type", reply.content_type)
        length = len(reply.body) + (1000 if reply.kind == "truncated" else 0)
        handler.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if reply.kind == "drip":
            for i in range(0, len(reply.body), reply.chunk):
                if self._stopping.wait(reply.delay):
                    break
                handler.wfile.write(reply.body[i:i + reply.chunk])
                handler.wfile.flush()
        else:
            handler.wfile.write(reply.body)
        if reply.kind == "truncated":
            handler.close_connection = True


    def _drip_headers(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        head = [f"HTTP/1.1 {reply.status} OK", f"Content-Type: {reply.content_type}", f"Content-Length: {len(reply.body)}",
                *(f"{k}: {v}" for k, v in reply.headers.items())]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body
        for i in range(0, len(data), reply.chunk):
            if self._stopping.wait(reply.delay):
                break
            handler.wfile.write(data[i:i + reply.chunk])
            handler.wfile.flush()
        handler.close_connection = True


class LoopbackService:
    """A base for the fake service in a plugin's tests: the subclass keeps the API's state and failure
    knobs and routes requests to its methods; ``http`` is the loopback server it answers on, and
    ``url``, ``port`` and ``requests`` (the log) are that server's."""

    def __init__(self, http: LoopbackServer) -> None:
        self.http = http

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def port(self) -> int:
        return self.http.port

    @property
    def requests(self) -> list[Recorded]:
        return self.http.requests


def _matches(method: str, path: str, request: Recorded) -> bool:
    if method not in ("*", request.method):
        return False
    base = path.rstrip("/")
    return request.path == path or request.path.startswith(base + "/") or path == "/"


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    length = handler.headers.get("Content-Length")
    if length is not None:
        return handler.rfile.read(int(length))
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return b""


def _handler_class(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionError, TimeoutError):  # the client gave up (a deadline): nothing to answer
                self.close_connection = True

        def do_GET(self) -> None:
            server._serve(self, "GET")

        def do_POST(self) -> None:
            server._serve(self, "POST")

        def do_PUT(self) -> None:
            server._serve(self, "PUT")

        def do_DELETE(self) -> None:
            server._serve(self, "DELETE")

        def do_HEAD(self) -> None:
            server._serve(self, "HEAD")

    return Handler


def free_port() -> int:
    """A loopback port that was free a moment ago: connecting to it is refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def started() -> Iterator[LoopbackServer]:
    """A server for a pytest fixture of any scope: ``yield from started()``."""
    with LoopbackServer() as server:
        yield server


@contextmanager
def s3_server() -> Iterator[str]:
    """A real S3-protocol server (moto's) on 127.0.0.1 while the block runs; yields its endpoint URL.

    For backends that read or write object storage: point boto3 at it with ``endpoint_url``. Needs
    ``moto[server]`` (a test dependency of the plugin, imported only here).
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
