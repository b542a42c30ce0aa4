"""Checks of what a user hands in, made once by the facade before any backend runs.

Plugin commands and backends that take files of their own use the same checks
(``from framescribe.inputs import check_input_file``), so every "no such file"
reads the same and is exit code 2.
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

from .errors import BadInput, user_error


def check_time_range(start: float | None, end: float | None) -> tuple[float | None, float | None]:
    """``start``/``end`` as floats; BadInput for negative, non-finite or empty ranges."""
    for label, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0):
            raise BadInput(f"invalid time range: {label}={value!r}", hint="start and end are seconds >= 0")
    if start is not None and end is not None and end <= start:
        raise BadInput(f"invalid time range: end ({end}) must be after start ({start})")
    return (None if start is None else float(start)), (None if end is None else float(end))


def check_input_file(path: str | os.PathLike[str] | None, what: str) -> Path:
    """``path`` as a Path when it names a readable, non-empty file; BadInput saying what is wrong otherwise.

    ``what`` names the role in the message ("video", "image", "transcript").
    """
    if path is None or str(path) == "":
        raise BadInput(f"no {what} given")
    p = Path(path)
    try:
        if not p.exists():
            if p.is_symlink():  # say why the link leads nowhere (missing target, a loop)
                os.stat(p)
            raise BadInput(f"{what} {p} does not exist")
        if p.is_dir():
            raise BadInput(f"{what} {p} is a directory, not a file")
        if not os.access(p, os.R_OK):
            raise BadInput(f"{what} {p} is not readable (permission denied)")
        if p.stat().st_size == 0:
            raise BadInput(f"{what} {p} is empty (0 bytes)")
    except OSError as exc:  # a name too long, a loop of symlinks: said as what it is, exit 2
        link = f" (a symbolic link to {os.readlink(p)})" if exc.errno in (errno.ELOOP, errno.ENOENT) else ""
        raise user_error(exc, f"cannot read {what} {p}{link}") from None
    return p
