"""The errors framescribe shows to users.

Every error a user can cause or fix derives from :class:`FramescribeError`;
the CLI prints its message (and hint) without a traceback and exits with its
``exit_code``. What a backend raises also decides what a chain does next:

* :class:`BackendUnavailable` -- this backend cannot serve right now (not
  installed, no key, network down, retries used up): the chain tries the next.
* :class:`BadInput` -- the request itself is wrong: the chain stops at once,
  since no other backend could do better.
* :class:`BackendError` -- the backend ran and failed (a job the server
  rejected, a 4xx with a message): the chain stops and reports it.
"""

from __future__ import annotations

import errno

from .secrets import redact

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class FramescribeError(Exception):
    """Base of every error meant for a user; ``hint`` says what to do about it."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Masked once, here: the message reaches the terminal, logs, results' "skipped" reasons and
        # the chain's summary, and must carry no key that a server echoed or a library quoted.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint is not None else None

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class BadInput(FramescribeError):
    """The input is unusable (missing, unreadable, wrong format, bad time range)."""

    exit_code = EXIT_USAGE


class ConfigError(FramescribeError):
    """The configuration is wrong: names the file, the key or line, and valid choices."""

    exit_code = EXIT_USAGE


class UnknownBackend(ConfigError):
    """A backend name that no installed plugin registers."""


class BackendUnavailable(FramescribeError):
    """This backend cannot serve here or now; a chain falls back to the next one."""


class MissingDependency(BackendUnavailable):
    """A library or binary this backend needs is not installed; ``hint`` says how to install it."""


class BackendError(FramescribeError):
    """The backend ran and failed in a way another backend would not fix."""


class NoBackendAnswered(FramescribeError):
    """Every backend of a chain was unavailable."""


# Operating-system errors a user causes or can fix (a path, a full disk), and the exit code each deserves.
_OS_ERRORS: dict[int, tuple[str, type[FramescribeError], str | None]] = {
    errno.ENAMETOOLONG: ("file name too long", BadInput, "use a shorter name"),
    errno.EACCES: ("permission denied", BadInput, "check the file's and its directory's permissions"),
    errno.EPERM: ("operation not permitted", BadInput, "check the file's and its directory's permissions"),
    errno.EROFS: ("read-only file system", BadInput, "write somewhere else"),
    errno.ENOENT: ("no such file or directory", BadInput, None),
    errno.ENOTDIR: ("a part of the path is not a directory", BadInput, None),
    errno.EISDIR: ("is a directory", BadInput, "give a file name"),
    errno.ELOOP: ("too many levels of symbolic links", BadInput, None),
    errno.ENOSPC: ("no space left on device", FramescribeError, "free some space or write somewhere else"),
    errno.EDQUOT: ("disk quota exceeded", FramescribeError, "free some space or write somewhere else"),
    errno.EFBIG: ("file too large for this file system", FramescribeError, "write somewhere else"),
}


def user_error(exc: OSError, doing: str | None = None) -> FramescribeError:
    """``exc`` as a message for the user: what failed, on which file, and what to do.

    A path problem is bad input (exit 2), a full disk a failure (exit 1); any other errno stays an
    unexpected failure (exit 1) but is still said plainly, with the file it concerns.
    """
    what, cls, hint = _OS_ERRORS.get(exc.errno or -1, (exc.strerror or type(exc).__name__, FramescribeError, None))
    where = exc.filename if exc.filename is not None else None
    head = doing or (f"cannot use {where}" if where is not None else "")
    text = f"{head}: {what}" if head else what
    if where is not None and doing and str(where) not in doing:
        text += f" ({where})"
    return cls(text, hint=hint)


def is_user_os_error(exc: OSError) -> bool:
    """True when ``exc`` is one of the errors :func:`user_error` knows a user can fix."""
    return exc.errno in _OS_ERRORS
