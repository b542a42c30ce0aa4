"""Finding ffmpeg and probing media files, for backends that read video or audio.

``ffmpeg_exe()`` prefers ``$FRAMESCRIBE_FFMPEG``, then ``ffmpeg`` on PATH, then
the binary shipped by the ``imageio-ffmpeg`` package. ``probe()`` reads the
container with PyAV (``pip install 'framescribe[video]'``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import BadInput, MissingDependency

INSTALL_VIDEO = "pip install 'framescribe[video]'"


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    env = os.environ.get("FRAMESCRIBE_FFMPEG")
    if env:
        return env
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise MissingDependency("no ffmpeg binary found", hint="pip install imageio-ffmpeg, or put ffmpeg on PATH") from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_available() -> str | None:
    """None when an ffmpeg binary can be found, else the reason (for BackendSpec.check)."""
    try:
        ffmpeg_exe()
    except MissingDependency as exc:
        return f"{exc.message}: {exc.hint}"
    return None


@dataclass(frozen=True)
class VideoStream:
    index: int
    width: int
    height: int
    fps: float | None
    rotation: int  # degrees a player rotates the picture (display matrix)
    codec: str


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int | None
    channels: int | None
    language: str | None


@dataclass(frozen=True)
class SubtitleStream:
    index: int
    codec: str
    language: str | None
    title: str | None


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float | None
    video: list[VideoStream] = field(default_factory=list)
    audio: list[AudioStream] = field(default_factory=list)
    subtitles: list[SubtitleStream] = field(default_factory=list)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Streams and duration of ``path`` (a str or path-like); BadInput when it is not a media file ffmpeg can read."""
    path = Path(path)
    try:
        import av
    except ImportError:
        raise MissingDependency("PyAV is not installed", hint=INSTALL_VIDEO) from None
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{path} is not a media file ffmpeg can read ({exc})", hint="check the file is a complete video") from None
    with container:
        duration = float(container.duration / 1_000_000) if container.duration else None
        videos, audios, subs = [], [], []
        for s in container.streams:
            lang = s.metadata.get("language")
            if s.type == "video":
                cc: Any = s.codec_context
                rate = s.average_rate or s.guessed_rate
                videos.append(VideoStream(s.index, cc.width, cc.height, float(rate) if rate else None,
                                          _rotation(s), cc.name))
                if duration is None and s.duration and s.time_base:
                    duration = float(s.duration * Fraction(s.time_base))
            elif s.type == "audio":
                cc = s.codec_context
                audios.append(AudioStream(s.index, cc.name, cc.sample_rate, cc.channels, lang))
            elif s.type == "subtitle":
                # A codec this ffmpeg does not know (e.g. S_TEXT/WEBVTT in older builds) has no codec context.
                name = s.codec_context.name if s.codec_context is not None else "unknown"
                subs.append(SubtitleStream(s.index, name, lang, s.metadata.get("title")))
    return MediaInfo(path, duration, videos, audios, subs)


def _rotation(stream: object) -> int:
    # PyAV exposes the display matrix as side data on recent versions; older
    # files carry a "rotate" tag instead.
    meta = getattr(stream, "metadata", {}) or {}
    if "rotate" in meta:
        try:
            return int(meta["rotate"]) % 360
        except ValueError:
            return 0
    try:
        side = stream.side_data  # type: ignore[attr-defined]
        for key in ("DISPLAYMATRIX", "display_matrix"):
            if key in side:
                return round(-float(side[key])) % 360
    except Exception:
        pass
    return 0
