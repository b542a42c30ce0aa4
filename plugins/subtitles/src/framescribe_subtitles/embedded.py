"""Subtitle streams inside a container: which ones hold text, and reading one out with ffmpeg."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from framescribe import BackendError, BackendUnavailable, Segment
from framescribe.media import SubtitleStream, ffmpeg_exe

from .parse import clean_cue_text, parse_subtitle_text

_BINARY = re.compile("[\x00-\x08\x0e-\x1f]")

# Codecs ffmpeg can turn into SRT text. Bitmap formats (dvd_subtitle,
# hdmv_pgs_subtitle, dvb_subtitle) are read with OCR (bitmaps.py).
TEXT_CODECS = frozenset({
    "mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text", "microdvd", "subviewer", "subviewer1",
    "jacosub", "sami", "realtext", "mpl2", "pjs", "stl", "vplayer",
})


def is_text_stream(stream: SubtitleStream) -> bool:
    return stream.codec in TEXT_CODECS


def read_stream(video: Path, stream: SubtitleStream) -> list[Segment]:
    """The cues of subtitle stream ``stream`` of ``video``, converted to SRT by ffmpeg and parsed."""
    import ffmpeg

    label = Path(f"{video} (subtitle stream #{stream.index}, {stream.codec})")
    try:
        out, _ = (
            ffmpeg.input(str(video))
            .output("pipe:", map=f"0:{stream.index}", f="srt")
            .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
            .run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise BackendError(f"ffmpeg could not read {label}: {detail[-1] if detail else 'no message'}") from None
    text = out.decode("utf-8", "replace")
    if not text.strip():
        raise BackendUnavailable(f"{label} holds no cues")
    return parse_subtitle_text(text, label)


def packets_as_text(video: Path, stream_index: int) -> list[Segment] | None:
    """The cues of a stream whose codec ffmpeg does not know, when its packets are plain text; else None.

    Matroska text tracks carry one cue per block: ``S_TEXT/WEBVTT`` (which older
    ffmpeg builds, and PyAV's, report as codec "unknown") holds the cue's text
    (identifier and settings live beside it), with the block's time and duration.
    Binary packets (an unknown picture format) are not guessed at.
    """
    import av

    cues: list[tuple[float, float | None, str]] = []
    with av.open(str(video)) as container:
        stream = container.streams[stream_index]
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1000)
        origin = Fraction(container.start_time or 0, 1_000_000)
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            try:
                text = bytes(packet).decode("utf-8")
            except UnicodeDecodeError:
                return None
            if _BINARY.search(text):
                return None
            start = float(packet.pts * time_base - origin)
            end = start + float(packet.duration * time_base) if packet.duration else None
            cues.append((start, end, text))
    cues.sort(key=lambda c: c[0])
    segments = []
    for n, (start, end, text) in enumerate(cues):
        if end is None:  # no duration: until the next cue
            end = cues[n + 1][0] if n + 1 < len(cues) else start
        value = clean_cue_text(text)
        if value and end >= start:
            segments.append(Segment(start, end, value))
    return segments
