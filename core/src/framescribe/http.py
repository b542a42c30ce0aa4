"""HTTP behaviour shared by remote backends: one place for timeouts, retries and error mapping.

* timeouts, connection errors, 429 (honouring ``Retry-After``) and 5xx are
  retried with exponential backoff within ``max_retries``; past that the call
  raises :class:`BackendUnavailable`, so a chain falls back to its next backend;
* other 4xx raise :class:`BackendError` carrying the server's message, or
  :class:`BadInput` for 400/413/415/422 when ``bad_input_on_4xx`` is set;
* a body that is not the JSON promised raises :class:`BackendError`, never a crash;
* secrets given to the client are scrubbed from every message it raises.

``httpx`` is imported only when a client is made (``pip install 'framescribe[http]'``).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from .errors import BackendError, BackendUnavailable, BadInput, MissingDependency

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("framescribe.http")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "****")
    return text


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise MissingDependency("httpx is not installed", hint="pip install 'framescribe[http]'") from None
        self.backend = backend
        self.max_retries = max_retries
        self.backoff = backoff
        self._secrets = [s for s in secrets if s]
        self._sleep = sleep
        self._httpx = httpx
        self.client = httpx.Client(base_url=base_url, headers=headers or {}, timeout=timeout, verify=True,
                                   follow_redirects=True)

    def __repr__(self) -> str:  # never show headers: they hold the key
        return f"HttpClient(backend={self.backend!r}, base_url={str(self.client.base_url)!r})"

    def close(self) -> None:
        self.client.close()

    def scrub(self, text: str) -> str:
        return redact(text, self._secrets)

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
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                reason = f"{type(exc).__name__}: {self.scrub(str(exc)) or 'no response'}"
                delay = self._delay(attempt, None)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code in unavailable_statuses and response.status_code not in RETRY_STATUS:
                    raise BackendUnavailable(f"{self.backend}: {method} {self._path(url)} -> HTTP {response.status_code}: "
                                             f"{self.scrub(error_message(response))}")
                if response.status_code not in RETRY_STATUS:
                    self._raise_client_error(response, bad_input_on_4xx)
                reason = f"HTTP {response.status_code}: {self.scrub(error_message(response))}"
                delay = self._delay(attempt, response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                raise BackendUnavailable(
                    f"{self.backend}: {method} {self._path(url)} failed after {attempt + 1} attempts ({reason})"
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
        message = self.scrub(error_message(response))
        where = self._path(str(response.request.url.path))
        text = f"{self.backend}: {response.request.method} {where} -> HTTP {response.status_code}: {message}"
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
    deadline = clock() + timeout
    delay = interval
    while True:
        result = fetch()
        if on_update is not None:
            on_update(result)
        if done(result):
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            raise BackendUnavailable(f"{what} did not finish within {timeout:g} s", hint="raise the backend's timeout setting")
        sleep(min(delay, remaining))
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


def error_message(response: httpx.Response) -> str:
    """The server's own words: a JSON ``message``/``error``/``detail`` field, or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "error_message", "reason"):
            value = data.get(key)
            if isinstance(value, str) and value:
                code = data.get("code")
                return f"{value} ({code})" if isinstance(code, str) else value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return str(data)[:200]


def parse_json(response: httpx.Response, backend: str) -> Any:
    try:
        return response.json()
    except ValueError:
        snippet = response.text[:80].replace("\n", " ")
        raise BackendError(f"{backend}: the server sent a malformed response (not JSON): {snippet!r}") from None


def require(data: Any, key: str, backend: str, kind: type | tuple[type, ...] = object) -> Any:
    """``data[key]``, or a BackendError saying the response lacked it."""
    if not isinstance(data, dict) or key not in data or not isinstance(data[key], kind):
        raise BackendError(f"{backend}: unexpected response from the server: no valid {key!r} field")
    return data[key]
