"""Browser sessions of a key-protected server: a browser cannot send ``x-api-key``, so it logs in once.

``POST /login`` with a configured key opens a session: a random token goes to the browser in an
``HttpOnly; SameSite=Strict`` cookie (``Secure`` too when the request came over HTTPS), and the server keeps
only the token's SHA-256 with the key's owner id and an expiry. The key itself is never stored, never put
in a URL and never sent back. Sessions live in memory: a restart logs everyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

COOKIE = "framescribe_session"
TTL = 12 * 3600.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class Sessions:
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._open: dict[str, tuple[str, float]] = {}  # sha256(token) -> (owner, expires)

    def open(self, owner: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._open = {k: v for k, v in self._open.items() if v[1] > now}  # forget expired ones as new ones come
            self._open[_digest(token)] = (owner, now + self.ttl)
        return token

    def owner(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            found = self._open.get(_digest(token))
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._open.pop(_digest(token), None)
