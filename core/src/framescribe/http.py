"""HTTP behaviour shared by remote backends: one place for timeouts, retries and error mapping.

* timeouts, connection errors, 429 (honouring ``Retry-After``) and 5xx are
  retried with exponential backoff within ``max_retries``; past that the call
  raises :class:`BackendUnavailable`, so a chain falls back to its next backend;
* other 4xx raise :class:`BackendError` carrying the server's message, or
  :class:`BadInput` for 400/413/415/422 when ``bad_input_on_4xx`` is set;
* a body that is not the JSON promised raises :class:`BackendError`, never a crash;
* secrets given to the client (and every secret the settings registered) are
  scrubbed, in every form, from every message it raises;
* credentials never leave the API's origin: on a redirect (or any request) to
  another scheme, host or port, every credential header (``Authorization``,
  ``X-API-Key``, cookies, any header named in ``secret_headers`` or carrying a
  secret) is dropped first, as curl and requests do; same-origin redirects keep them;
* ``timeout`` is a total for each request (connect, headers and body), and a
  job's deadline (:func:`framescribe.deadline.deadline`) bounds every request and
  retry inside it, so a server dripping bytes cannot hold a run.

``httpx`` is imported only when a client is made (``pip install 'framescribe[http]'``).
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import secrets as known_secrets
from .deadline import deadline, remaining
from .errors import BackendError, BackendUnavailable, BadInput, MissingDependency
from .secrets import Redactor

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("framescribe.http")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
# Headers that carry credentials by their name; a backend adds its own with ``secret_headers``.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"})


def redact(text: str, values: Iterable[str | None]) -> str:
    """``text`` with each of ``values`` (and every registered secret) masked, in every form."""
    return known_secrets.redact(Redactor(values).redact(text))


def origin(url: Any) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: what "same origin" compares."""
    parts = urlsplit(str(url))
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class HttpClient:
    """An httpx.Client plus the retry policy; one per backend, reused across calls."""

    def __init__(
        self,
        base_url: str,
        *,
        backend: str,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        secrets: Iterable[str | None] = (),
        secret_headers: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import httpx

            from .transport import DeadlineTransport
        except ImportError:
            raise MissingDependency("httpx is not installed", hint="pip install 'framescribe[http]'") from None
        self.backend = backend
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self._redactor = Redactor(secrets)
        self._secret_headers = CREDENTIAL_HEADERS | {h.lower() for h in secret_headers}
        self._sleep = sleep
        self._httpx = httpx
        self._origin = origin(base_url)
        self._crossed = threading.local()  # per request: did it leave the origin (a redirect elsewhere)?
        self.client = httpx.Client(base_url=base_url, headers=headers or {}, timeout=timeout,
                                   transport=DeadlineTransport(base_url), follow_redirects=True,
                                   event_hooks={"request": [self._keep_credentials_home]})

    def __repr__(self) -> str:  # never show headers: they hold the key
        return f"HttpClient(backend={self.backend!r}, base_url={str(self.client.base_url)!r})"

    def close(self) -> None:
        self.client.close()

    def scrub(self, text: str) -> str:
        return known_secrets.redact(self._redactor.redact(text))

    def _keep_credentials_home(self, request: httpx.Request) -> None:
        """Called by httpx before every request it sends, redirects included: no credential leaves the origin."""
        if origin(request.url) == self._origin:
            return
        self._crossed.where = f"{request.url.host}:{request.url.port or ''}".rstrip(":")
        dropped = [name for name, value in request.headers.items()
                   if name.lower() in self._secret_headers or self._redactor.redact(value) != value]
        for name in dropped:
            del request.headers[name]
        if dropped:
            log.info("%s: not sending %s to another origin (%s)", self.backend, ", ".join(sorted(dropped)),
                     self._crossed.where)

    @contextlib.contextmanager
    def until(self, at: float | None) -> Iterator[None]:
        """Every request (and retry) in the block ends by ``at`` (``time.monotonic()``): a job's deadline."""
        with deadline(at):
            yield

    def request(self, method: str, url: str, *, bad_input_on_4xx: bool = False,
                rewind: Callable[[], None] | None = None, unavailable_statuses: Collection[int] = (),
                **kwargs: Any) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise a framescribe error.

        ``rewind`` is called before each retry, e.g. to seek an uploaded file back to 0.
        ``unavailable_statuses`` are 4xx codes that mean "not now" rather than "never"
        (e.g. 410 for a job output that has expired): they raise BackendUnavailable at once.
        """
        httpx = self._httpx
        attempt = 0
        while True:
            self._crossed.where = None
            try:
                with deadline(time.monotonic() + self.timeout):
                    response = self.client.request(method, url, **kwargs)
            except httpx.TimeoutException as exc:
                reason = f"{type(exc).__name__}: no complete answer within the {self.timeout:g} s timeout"
                delay = self._delay(attempt, None)
            except (httpx.TransportError, httpx.TooManyRedirects) as exc:
                reason = f"{type(exc).__name__}: {self.scrub(str(exc)) or 'no response'}"
                delay = self._delay(attempt, None)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code in unavailable_statuses and response.status_code not in RETRY_STATUS:
                    raise BackendUnavailable(f"{self.backend}: {method} {self._path(url)} -> HTTP {response.status_code}: "
                                             f"{error_message(response, self.scrub)}")
                if response.status_code not in RETRY_STATUS:
                    self._raise_client_error(response, bad_input_on_4xx)
                reason = f"HTTP {response.status_code}: {error_message(response, self.scrub)}"
                delay = self._delay(attempt, response.headers.get("Retry-After"))
            left = remaining()
            if attempt >= self.max_retries or (left is not None and left <= delay):
                spent = "" if attempt >= self.max_retries else "; the job's time is up"
                raise BackendUnavailable(
                    f"{self.backend}: {method} {self._path(url)} failed after {attempt + 1} attempts ({reason}{spent})"
                )
            log.info("%s: %s %s: %s; retrying in %.1fs", self.backend, method, self._path(url), reason, delay)
            self._sleep(delay)
            if rewind is not None:
                rewind()
            attempt += 1

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        return parse_json(self.request(method, url, **kwargs), self.backend)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            parsed = parse_retry_after(retry_after)
            if parsed is not None:
                return min(parsed, MAX_RETRY_AFTER)
        return self.backoff * (2**attempt) * (0.75 + random.random() / 2)

    def _path(self, url: str) -> str:
        return self.scrub(url.split("?", 1)[0])

    def _raise_client_error(self, response: httpx.Response, bad_input_on_4xx: bool) -> None:
        message = error_message(response, self.scrub)
        where = self._path(str(response.request.url.path))
        text = f"{self.backend}: {response.request.method} {where} -> HTTP {response.status_code}: {message}"
        crossed = getattr(self._crossed, "where", None)
        if crossed and response.status_code in (401, 403):
            raise BackendError(f"{text} (after a redirect to another origin, {crossed}, where the key was not sent)",
                               hint=f"check api_url of backend {self.backend}: the server sends requests elsewhere")
        if response.status_code in (401, 403):
            raise BackendError(text, hint=f"check the API key of backend {self.backend}")
        if bad_input_on_4xx and response.status_code in (400, 413, 415, 422):
            raise BadInput(text)
        raise BackendError(text)


def poll(
    fetch: Callable[[], Any],
    done: Callable[[Any], bool],
    *,
    interval: float,
    timeout: float,
    what: str,
    max_interval: float = 30.0,
    on_update: Callable[[Any], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Call ``fetch`` until ``done(result)``, backing off from ``interval`` up to ``max_interval``.

    Raises BackendUnavailable when ``timeout`` seconds pass first: a job that
    never finishes is a service that cannot serve now, so a chain falls back.
    """
    until = clock() + timeout
    delay = interval
    while True:
        with deadline(time.monotonic() + max(0.0, until - clock())):  # a fetch cannot outlast the polling
            result = fetch()
        if on_update is not None:
            on_update(result)
        if done(result):
            return result
        left = until - clock()
        if left <= 0:
            raise BackendUnavailable(f"{what} did not finish within {timeout:g} s", hint="raise the backend's timeout setting")
        sleep(min(delay, left))
        delay = min(delay * 1.5, max_interval)


def parse_retry_after(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_message(response: httpx.Response, scrub: Callable[[str], str] = known_secrets.redact) -> str:
    """The server's own words: a JSON ``message``/``error``/``detail`` field, or the start of the body.

    ``scrub`` masks secrets before anything is cut short, so a cut cannot leave part of a key.
    """
    return scrub(_server_words(response, scrub))


def _server_words(response: httpx.Response, scrub: Callable[[str], str]) -> str:
    try:
        data = response.json()
    except ValueError:
        return " ".join(scrub(response.text).split())[:200] or response.reason_phrase
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "error_message", "reason"):
            value = data.get(key)
            if isinstance(value, str) and value:
                code = data.get("code")
                return f"{value} ({code})" if isinstance(code, str) else value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return scrub(str(data))[:200]


def parse_json(response: httpx.Response, backend: str) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        snippet = " ".join(known_secrets.redact(response.text).split())[:80]
        raise BackendError(f"{backend}: the server sent a malformed response (not JSON): {snippet!r}") from None


def require(data: Any, key: str, backend: str, kind: type | tuple[type, ...] = object) -> Any:
    """``data[key]``, or a BackendError saying the response lacked it."""
    if not isinstance(data, dict) or key not in data or not isinstance(data[key], kind):
        raise BackendError(f"{backend}: unexpected response from the server: no valid {key!r} field")
    return data[key]
