"""Writing results as json, srt, vtt, txt and tsv; reading timed text back.

SRT and VTT go through the ``srt`` and ``webvtt-py`` libraries, so what we
write is what other tools read.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

from .errors import BadInput

# The atomic writer lives with the rest of the output rules; these names stay importable from here.
from .outputs import atomic_output as atomic_output
from .outputs import write_atomic as write_atomic
from .types import OcrResult, Segment, VideoResult

VIDEO_FORMATS = ("json", "srt", "vtt", "txt")
OCR_FORMATS = ("txt", "json", "tsv")


def format_video(result: VideoResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "srt":
        import srt

        subs = [
            srt.Subtitle(i, timedelta(seconds=s.start), timedelta(seconds=max(s.end, s.start)), s.value)
            for i, s in enumerate(result.segments, 1)
        ]
        return str(srt.compose(subs, reindex=False))
    if fmt == "vtt":
        import webvtt

        vtt = webvtt.WebVTT()
        for s in result.segments:
            vtt.captions.append(webvtt.Caption(_vtt_time(s.start), _vtt_time(max(s.end, s.start)), s.value))
        buf = io.StringIO()
        vtt.write(buf)
        return buf.getvalue()
    if fmt == "txt":
        return "".join(f"[{_clock(s.start)} --> {_clock(s.end)}] {s.value}\n" for s in result.segments)
    raise BadInput(f"unknown format {fmt!r} for timed text; choose one of {', '.join(VIDEO_FORMATS)}")


def format_ocr(results: Sequence[OcrResult], fmt: str) -> str:
    if fmt == "txt":
        return "\f".join(r.text.rstrip("\n") + "\n" for r in results)
    if fmt == "json":
        payload = [r.to_dict() for r in results]
        return json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, ensure_ascii=False) + "\n"
    if fmt == "tsv":
        # The columns of Tesseract's TSV, so existing tools can read it.
        rows = ["level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"]
        for r in results:
            page = r.page or 1
            for b_i, block in enumerate(r.layout or [], 1):
                for l_i, line in enumerate(block.lines, 1):
                    for w_i, word in enumerate(line.words, 1):
                        box = word.box
                        x, y, w, h = (box.x, box.y, box.width, box.height) if box else (-1, -1, -1, -1)
                        conf = -1 if word.confidence is None else round(word.confidence, 2)
                        rows.append(f"5\t{page}\t{b_i}\t1\t{l_i}\t{w_i}\t{x}\t{y}\t{w}\t{h}\t{conf}\t{word.text}")
        return "\n".join(rows) + "\n"
    raise BadInput(f"unknown format {fmt!r} for OCR; choose one of {', '.join(OCR_FORMATS)}")


def read_timed_text(path: str | os.PathLike[str]) -> VideoResult:
    """Read a json (framescribe or the seeds' shape), srt or vtt file into a VideoResult."""
    p = Path(path)
    suffix = p.suffix.lower().lstrip(".")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {p}: {exc}") from exc
    if suffix == "json":
        try:
            data = json.loads(text, parse_constant=_no_constant)
            if isinstance(data, list):
                data = {"data": data}
            return _finite_times(VideoResult.from_dict(data), p)
        except RecursionError:
            raise BadInput(f"{p}: JSON nested too deeply to be a result",
                           hint="a result is {\"data\": [{\"start\": ..., \"end\": ..., \"value\": ...}]}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{p}: not a framescribe or seeds-shaped JSON result ({exc})") from exc
    if suffix == "srt":
        import srt

        try:
            subs = list(srt.parse(text))
        except srt.SRTParseError as exc:
            raise BadInput(f"{p}: not valid SRT: {exc}") from exc
        return VideoResult([Segment(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in subs], source=str(p))
    if suffix == "vtt":
        import webvtt

        try:
            captions = webvtt.from_buffer(io.StringIO(text)).captions
        except Exception as exc:  # webvtt raises several unrelated types on bad input
            raise BadInput(f"{p}: not valid WebVTT: {exc}") from exc
        return VideoResult(
            [Segment(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, c.text) for c in captions],
            source=str(p),
        )
    raise BadInput(f"{p}: unknown timed-text format {suffix!r}; use .json, .srt or .vtt")


def _no_constant(name: str) -> NoReturn:
    # json accepts NaN and Infinity, which are not JSON; a time that is not a number would score as nothing.
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_times(result: VideoResult, path: Path) -> VideoResult:
    for i, s in enumerate(result.segments, 1):
        if not (math.isfinite(s.start) and math.isfinite(s.end)):
            raise BadInput(f"{path}: segment {i} has a time that is not a finite number (start={s.start}, end={s.end})",
                           hint="times are seconds, e.g. 1.5")
    return result


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _clock(seconds: float) -> str:
    return _vtt_time(seconds)
