"""Subtitle streams inside a container: which ones hold text, and reading one out with ffmpeg."""

from __future__ import annotations

from pathlib import Path

from framescribe import BackendError, BackendUnavailable, Segment
from framescribe.media import SubtitleStream, ffmpeg_exe

from .parse import parse_subtitle_text

# Codecs ffmpeg can turn into SRT text. Bitmap formats (dvd_subtitle,
# hdmv_pgs_subtitle, dvb_subtitle) would need OCR and are left out.
TEXT_CODECS = frozenset({
    "mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text", "microdvd", "subviewer", "subviewer1",
    "jacosub", "sami", "realtext", "mpl2", "pjs", "stl", "vplayer", "eia_608",
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
