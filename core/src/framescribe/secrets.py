"""Secrets: every form a key takes in text, one registry of the keys this process knows, and redaction.

A key leaks in forms a plain ``str.replace`` misses: escaped by ``repr`` (a key
read from a file with Windows line endings shows as ``sk-1\\r``), as bytes
(``b'sk-1\\r'`` in an HTTP library's error), JSON-escaped, or URL-encoded when a
``${KEY}`` sits inside a URL. :func:`secret_forms` lists them all.

The settings layer registers every secret value when settings are built
(:func:`register`); errors, log records, results and HTTP clients then mask
every registered value in every form (:func:`redact`). Log records are masked
by a record factory installed on the first registration, so a handler anyone
configures (the CLI's ``-vv``, an embedding program's) never sees a key, in the
message or in a traceback.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any

MASK = "****"
# Shorter values would mask innocent text everywhere; real keys are far longer.
MIN_LENGTH = 6


def secret_forms(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text: raw, stripped, escaped (repr, ascii, bytes, JSON), URL-encoded."""
    encoded = secret.encode("utf-8", "backslashreplace")
    forms = {
        secret,
        secret.strip(),
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(encoded)[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
    }
    return {f for f in forms if len(f) >= MIN_LENGTH}


class Redactor:
    """Masks a set of secrets, in all their forms, in text and in JSON-like data."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._forms: tuple[str, ...] = ()
        self.add(*secrets)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __repr__(self) -> str:  # never the values
        return f"Redactor({len(self._secrets)} secrets)"

    def add(self, *secrets: str | None) -> None:
        new = {s for s in secrets if s and len(s.strip()) >= MIN_LENGTH} - self._secrets
        if not new:
            return
        with self._lock:
            self._secrets |= new
            forms = set(self._forms)
            for s in new:
                forms |= secret_forms(s)
            # Longest first, so a form that contains another is masked whole.
            self._forms = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def redact_data(self, data: Any) -> Any:
        """``data`` (dicts, lists, strings, scalars) with every string redacted, keys included."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {self.redact_data(k): self.redact_data(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return type(data)(self.redact_data(v) for v in data)
        return data


_known = Redactor()
_factory_installed = False


def register(*secrets: str | None) -> None:
    """Remember secrets of this process, so every surface masks them from now on."""
    _known.add(*secrets)
    if _known:
        _install_log_redaction()


def redact(text: str) -> str:
    """``text`` with every registered secret masked, in every form."""
    return _known.redact(text) if _known else text


def redact_data(data: Any) -> Any:
    return _known.redact_data(data) if _known else data


def _install_log_redaction() -> None:
    global _factory_installed
    with _known._lock:
        if _factory_installed:
            return
        _factory_installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error report
        return
    masked = redact(message)
    if masked != message:  # records without a secret keep their msg and args for whoever inspects them
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
