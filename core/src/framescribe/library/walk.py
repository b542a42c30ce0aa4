"""From the paths a user names to the media files to index.

Folders are walked recursively, following symbolic links but never into a
folder already being walked (a loop is reported and skipped). A folder that
cannot be read is reported and skipped too: one bad corner must not stop a
library. Inside folders only files with a media suffix are taken (or those
matching ``--include``); a file named on the command line is always taken,
whatever its suffix, and its kind is found by probing it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..types import Capability

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
                            ".wmv", ".flv", ".3gp", ".ogv"})
AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".flac", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wma", ".aif", ".aiff"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})

# What each kind of media can give, before probing says which streams a file really has.
KIND_CAPABILITIES: dict[str, tuple[Capability, ...]] = {
    "video": ("video_text", "transcribe"),
    "audio": ("transcribe",),
    "image": ("image_ocr",),
    "unknown": ("video_text", "transcribe", "image_ocr"),
}


def kind_of(path: str | os.PathLike[str]) -> str:
    """video, audio, image or unknown, from the file name's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return "unknown"


@dataclass
class Walk:
    """The files found, and the problems met on the way (reported, never fatal)."""

    problems: list[str] = field(default_factory=list)


def check_roots(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The named paths, absolute; BadInput for one that does not exist (a usage error, before any work)."""
    if not paths:
        raise BadInput("no files or folders to index", hint="framescribe index FOLDER_OR_FILE ...")
    roots = []
    for p in paths:
        path = Path(os.path.abspath(p))
        if not path.exists():
            raise BadInput(f"{p} does not exist", hint="check the path; nothing was indexed")
        roots.append(path)
    return roots


def walk(roots: Sequence[Path], walk_state: Walk, *, include: Sequence[str] = (), exclude: Sequence[str] = (),
         capabilities: Sequence[Capability] | None = None) -> Iterator[Path]:
    """Media files under ``roots`` in a stable order; problems go to ``walk_state.problems``."""
    seen: set[str] = set()
    for root in roots:
        if root.is_dir():
            files: Iterator[Path] = _walk_folder(root, walk_state, set())
            explicit = False
        else:
            files, explicit = iter([root]), True
        for path in files:
            rel = path.name if explicit else str(path.relative_to(root))
            if not explicit and not _wanted(rel, include, capabilities):
                continue
            if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in exclude):
                continue
            if capabilities is not None and not set(KIND_CAPABILITIES[kind_of(path)]) & set(capabilities):
                continue
            key = str(path)
            if key not in seen:
                seen.add(key)
                yield path


def _wanted(rel: str, include: Sequence[str], capabilities: Sequence[Capability] | None) -> bool:
    if include:
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(Path(rel).name, g) for g in include)
    return kind_of(rel) != "unknown"


def _walk_folder(folder: Path, state: Walk, ancestors: set[tuple[int, int]]) -> Iterator[Path]:
    try:
        st = folder.stat()
    except OSError as exc:
        state.problems.append(f"{folder}: cannot read this folder ({exc.strerror or exc}); skipped")
        return
    key = (st.st_dev, st.st_ino)
    if key in ancestors:
        state.problems.append(f"{folder}: symbolic link loop (a folder inside itself); skipped")
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        state.problems.append(f"{folder}: cannot read this folder ({exc.strerror or exc}); skipped")
        return
    inner = ancestors | {key}
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows symbolic links
            is_file = not is_dir and entry.is_file()
        except OSError as exc:
            state.problems.append(f"{path}: {exc.strerror or exc}; skipped")
            continue
        if is_dir:
            yield from _walk_folder(path, state, inner)
        elif is_file:
            yield path
        elif entry.is_symlink():
            state.problems.append(f"{path}: broken symbolic link; skipped")
