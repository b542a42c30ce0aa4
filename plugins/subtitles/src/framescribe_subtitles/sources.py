"""Where a transcript can come from, and choosing one by language.

In order: subtitle files beside the video (``clip.srt``, ``clip.en.vtt``,
``clip.eng.srt``), then text subtitle streams inside it. A requested language
picks among them; with no language, several candidates in different languages
are an error that lists them, since guessing would silently pick the wrong one.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from framescribe import BadInput
from framescribe.languages import is_known_language, normalize_language
from framescribe.media import SubtitleStream

if TYPE_CHECKING:
    from .tracks import Track

SUBTITLE_SUFFIXES = (".srt", ".vtt")


@dataclass(frozen=True)
class Candidate:
    """One transcript we could read: a file beside the video, or a stream inside it."""

    label: str
    language: str | None  # ISO 639-1 when known
    path: Path | None = None
    stream: SubtitleStream | None = None
    track: Track | None = None

    def describe(self) -> str:
        return f"{self.label} ({self.language or 'language not tagged'})"


def files_beside(video: Path) -> list[Candidate]:
    """Subtitle files named after ``video``: ``<stem>.srt`` or ``<stem>.<lang>[.<flags>].vtt``."""
    stem = video.stem
    found = []
    try:
        entries = sorted(video.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        suffix = entry.suffix.lower()
        if suffix not in SUBTITLE_SUFFIXES or not entry.is_file():
            continue
        if name[: -len(suffix)] == stem:
            found.append(Candidate(name, None, path=entry))
        elif name.startswith(stem + "."):
            tags = name[len(stem) + 1 : -len(suffix)].split(".")
            lang = normalize_language(tags[0]) if is_known_language(tags[0]) else None
            found.append(Candidate(name, lang, path=entry))
    return found


def sidecar_patterns(video: Path) -> list[str]:
    """fnmatch patterns for every name :func:`files_beside` can pick (for the cache's record of inputs)."""
    stem = glob.escape(video.stem)
    return [f"{stem}{tags}{suffix}" for tags in ("", ".*") for suffix in SUBTITLE_SUFFIXES]


def streams_inside(streams: Sequence[SubtitleStream]) -> list[Candidate]:
    return [
        Candidate(f"subtitle stream #{s.index} ({s.codec}{', ' + s.title if s.title else ''})", normalize_language(s.language),
                  stream=s)
        for s in streams
    ]


def language_of_name(path: Path) -> str | None:
    """The language a transcript's file name is tagged with (``talk.en.vtt`` -> ``en``), if any."""
    parts = path.name.split(".")
    for tag in reversed(parts[1:-1]):
        if is_known_language(tag):
            return normalize_language(tag)
    return None


def choose(candidates: Sequence[Candidate], language: str | None, video: Path) -> Candidate | None:
    """The candidate to read, None when none fits ``language``; BadInput when the choice is ambiguous."""
    if not candidates:
        return None
    if language is not None:
        wanted = normalize_language(language)
        matches = [c for c in candidates if c.language is not None and c.language == wanted]
        if matches:
            return matches[0]  # same language twice (e.g. .srt and .vtt): the first in name/stream order
        untagged = [c for c in candidates if c.language is None]
        # A lone untagged file ("clip.srt") is most likely in the language the user speaks of.
        if len(untagged) == 1 and len(candidates) == 1:
            return untagged[0]
        return None
    languages = {c.language for c in candidates}
    if len(candidates) == 1 or len(languages) == 1:
        return candidates[0]
    listed = "; ".join(c.describe() for c in candidates)
    raise BadInput(
        f"{video}: several transcripts to choose from: {listed}",
        hint="choose one with --language LANG (e.g. --language en), or give --transcript FILE",
    )


def choose_in_order(groups: Sequence[Sequence[Candidate]], language: str | None, video: Path) -> Candidate | None:
    """The candidate to read from groups in order of preference (text, captions, bitmap tracks).

    With a language: the first candidate tagged with it, in group order; failing that, when
    nothing at all is tagged, a lone candidate of the first non-empty group (as a lone untagged
    file is used). With no language: the first non-empty group decides, as :func:`choose` does
    (several languages there are an error that lists them).
    """
    present = [list(g) for g in groups if g]
    if not present:
        return None
    if language is None:
        return choose(present[0], None, video)
    wanted = normalize_language(language)
    for group in present:
        for candidate in group:
            if candidate.language is not None and candidate.language == wanted:
                return candidate
    if all(c.language is None for g in present for c in g) and len(present[0]) == 1:
        return present[0][0]
    return None
