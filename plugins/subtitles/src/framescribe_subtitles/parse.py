"""Parsing SRT and WebVTT text into timed segments, tolerant of what real files contain.

The format is told from the content (a WebVTT file starts with ``WEBVTT``), not
from the file name, since players do the same and misnamed files are common.
Cue text loses its styling (HTML tags, ASS override blocks, VTT voice and class
spans) and keeps its line breaks; cues come back sorted by time, overlaps kept.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from framescribe import BadInput, Segment

from .textfile import decode_subtitle_bytes

SRT_HINT = "an SRT cue is a number, a line like `00:00:01,000 --> 00:00:02,500`, its text, then a blank line"
VTT_HINT = "a WebVTT cue is a line like `00:00:01.000 --> 00:00:02.500` (optionally followed by settings), then its text"

# <i>, </font>, <font color="red">, <c.yellow>, <v Bob>, <ruby>, and VTT timestamp tags <00:00:01.500>.
_TAG = re.compile(r"</?[A-Za-z][\w.-]*(?:\s[^<>]*)?>|<\d{1,2}(?::\d{2}){1,2}\.\d{3}>")
# ASS override blocks such as {\an8} or {\i1\c&H00FFFF&}; a brace block without a backslash is kept.
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_VTT_TIMING = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3})(?:\s|$)")
_COMMA_MS = re.compile(r"(\d:\d{1,2}),(\d{1,3})")


def read_subtitle_file(path: Path, encoding: str | None = None) -> list[Segment]:
    """Segments of an SRT or WebVTT file; BadInput naming the file (and line) when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_subtitle_text(decode_subtitle_bytes(data, path, encoding), path)


def parse_subtitle_text(text: str, path: Path) -> list[Segment]:
    # One newline convention (CRLF and old Mac CR become LF) so line numbers mean the same everywhere.
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadInput(f"{path}: the subtitle file holds no text", hint="give an SRT or WebVTT file with at least one cue")
    is_vtt = text.lstrip(" \t\n").startswith("WEBVTT")
    segments = _parse_vtt(text, path) if is_vtt else _parse_srt(text, path)
    if not segments:
        raise BadInput(f"{path}:1: no subtitle cues found (expected SRT or WebVTT)", hint=VTT_HINT if is_vtt else SRT_HINT)
    return sorted(segments, key=lambda s: (s.start, s.end))


def clean_cue_text(raw: str) -> str:
    """Cue text without styling, entities decoded, one cleaned line per text line."""
    raw = raw.replace("\\N", "\n").replace("\\h", " ")  # ASS hard line breaks and hard spaces
    raw = _ASS_OVERRIDE.sub("", raw)
    lines = []
    for line in raw.splitlines():
        line = html.unescape(_TAG.sub("", line))
        line = _SPACES.sub(" ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def _segment(start: float, end: float, raw: str) -> Segment | None:
    value = clean_cue_text(raw)
    if not value or end < start:
        return None
    return Segment(start, end, value)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse_srt(text: str, path: Path) -> list[Segment]:
    import srt

    timing = re.compile(rf"^\s*{srt.RGX_TIMESTAMP} *-[ -] *> *{srt.RGX_TIMESTAMP}")
    for number, line in enumerate(text.split("\n"), 1):
        # srt lets a cue's text run over blank lines, so a broken timing line could
        # otherwise vanish into the cue before it instead of being reported.
        if "-->" in line and not timing.match(line):
            raise BadInput(f"{path}:{number}: not valid SRT: bad cue timing {line.strip()[:60]!r}", hint=SRT_HINT)
    out = []
    try:
        for sub in srt.parse(text):
            for line in sub.content.split("\n"):
                if timing.match(line):
                    raise BadInput(f"{path}:{_line_at(text, text.find(line))}: not valid SRT: the cue before timing "
                                   f"{line.strip()!r} does not end (missing blank line, or a stray line before it?)",
                                   hint=SRT_HINT)
            seg = _segment(sub.start.total_seconds(), sub.end.total_seconds(), sub.content)
            if seg is not None:
                out.append(seg)
    except srt.SRTParseError as exc:
        bad = exc.unmatched_content.strip().splitlines()
        offset = exc.expected_start + (len(exc.unmatched_content) - len(exc.unmatched_content.lstrip()))
        shown = bad[0][:60] if bad else ""
        raise BadInput(f"{path}:{_line_at(text, offset)}: not valid SRT: cannot read {shown!r}", hint=SRT_HINT) from None
    except ValueError as exc:  # srt.TimestampParseError and friends
        raise BadInput(f"{path}:{_line_of_message(text, str(exc))}: not valid SRT: {exc}", hint=SRT_HINT) from None
    return out


def _line_of_message(text: str, message: str) -> int:
    # srt's timestamp errors quote the bad timestamp; find the line holding it.
    for quoted in re.findall(r"'([^']+)'", message):
        at = text.find(quoted)
        if at >= 0:
            return _line_at(text, at)
    return 1


def _parse_vtt(text: str, path: Path) -> list[Segment]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    lines = text.split("\n")
    # Check every timing line ourselves first: webvtt-py skips a malformed cue
    # silently and names no line, and a dropped cue is worse than an error.
    for number, line in enumerate(lines, 1):
        if "-->" in line:
            if not _VTT_TIMING.match(line):
                raise BadInput(f"{path}:{number}: not valid WebVTT: bad cue timing {line.strip()[:60]!r}", hint=VTT_HINT)
            # "00:00:01,000" is a common SRT habit in VTT files; read it as players do.
            lines[number - 1] = _COMMA_MS.sub(r"\1.\2", line, count=2)
    first = next(i for i, line in enumerate(lines) if line.strip())  # the WEBVTT line; blank lines before it are tolerated
    lines[first] = lines[first].lstrip()
    try:
        captions = webvtt.from_buffer(io.StringIO("\n".join(lines[first:]) + "\n"))
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise BadInput(f"{path}:1: not valid WebVTT: {exc}", hint=VTT_HINT) from None
    out = []
    for cap in captions.captions:
        seg = _segment(cap.start_time.in_milliseconds() / 1000, cap.end_time.in_milliseconds() / 1000, cap.raw_text)
        if seg is not None:
            out.append(seg)
    return out
