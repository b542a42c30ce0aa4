"""API keys: who is asking, as an owner id that is a keyed hash of the key, compared in constant time.

The keys themselves live only in memory. Records, logs and errors see the
owner id: HMAC-SHA256 of the key under a random secret kept in the data
directory (``owner.secret``, mode 0600), so a copied database alone does not
let anyone test guesses of a key. With no keys configured (loopback only),
every request is the one local owner.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

LOCAL_OWNER = "local"


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "owner.secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    value = secrets.token_bytes(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value.hex())
    return value


class Keys:
    def __init__(self, keys: list[str], data_dir: Path) -> None:
        self._secret = _secret(data_dir)
        self._known = [self._digest(k) for k in keys]

    @property
    def required(self) -> bool:
        return bool(self._known)

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._secret, key.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()

    def owner(self, presented: str | None) -> str | None:
        """The owner id for ``presented``, or None when it is not a configured key.

        Every known key is compared (no early exit), each with compare_digest,
        so the time taken says nothing about which key, or how much of one, matched.
        """
        if not self._known:
            return LOCAL_OWNER
        if not presented:
            return None
        digest = self._digest(presented)
        found: bytes | None = None
        for known in self._known:
            if hmac.compare_digest(digest, known):
                found = known
        return None if found is None else "k_" + found.hex()[:32]
