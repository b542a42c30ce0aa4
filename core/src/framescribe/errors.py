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

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class FramescribeError(Exception):
    """Base of every error meant for a user; ``hint`` says what to do about it."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
