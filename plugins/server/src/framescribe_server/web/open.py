"""Opening ``--library FILE`` for ``framescribe serve``: a usage error (exit 2) when it cannot be, not a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from framescribe import ConfigError
from framescribe.library import Library


def open_library(path: str) -> Library:
    """The library at ``path`` (created when the file is missing, as ``framescribe index`` does)."""
    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise ConfigError(f"--library {path}: the folder {target.parent} does not exist",
                          hint="give a library file made by framescribe index, or a new file in an existing folder")
    try:
        return Library(target)
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(f"--library {path}: cannot be opened as a library ({exc})",
                          hint="give a library file made by framescribe index, or a new file name") from None
