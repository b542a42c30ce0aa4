"""Every caption track a video carries, what kind it is, and whether it can be read.

Kinds, in the order the backend prefers them (see the README for the rule):

- ``text``: subtitle streams whose cues are text (SubRip, ASS, WebVTT, mov_text...),
  and streams of a codec this ffmpeg does not know whose packets are plain text
  (a WebVTT track in MKV, ``S_TEXT/WEBVTT``, is one in some builds);
- ``captions``: CEA-608 closed captions inside the video stream, one track per
  channel that holds captions (CC1-CC4);
- ``bitmap``: PGS, VobSub, DVB pictures, read with the image_ocr chain.

A stream that is none of these (or an unknown codec with binary packets) is
listed as ``unreadable`` with the reason, never an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from framescribe import Segment
from framescribe.languages import normalize_language
from framescribe.media import MediaInfo, SubtitleStream

from .bitmaps import BITMAP_CODECS
from .embedded import TEXT_CODECS, packets_as_text

log = logging.getLogger("framescribe.subtitles")
Kind = Literal["text", "captions", "bitmap", "unreadable"]
KINDS: tuple[Kind, ...] = ("text", "captions", "bitmap")  # the order of preference


@dataclass(frozen=True)
class Track:
    kind: Kind
    index: int  # the stream's index; for captions, the video stream's
    codec: str
    language: str | None  # ISO 639-1 when tagged
    title: str | None = None
    channel: str | None = None  # CC1-CC4 for captions
    reason: str | None = None  # why an unreadable track is not read
    cues: tuple[Segment, ...] = field(default=(), compare=False, repr=False)  # captions and packet text, read while listing
    in_video: bool = False  # captions carried by the video stream itself

    @property
    def label(self) -> str:
        if self.kind == "captions":
            return f"closed captions {self.channel} (CEA-608 in {'video stream' if self.in_video else 'caption track'} #{self.index})"
        return f"{self.kind} subtitle stream #{self.index} ({self.codec}{', ' + self.title if self.title else ''})"

    def describe(self) -> str:
        return f"{self.label} ({self.language or 'language not tagged'})"


def list_tracks(video: Path, info: MediaInfo, captions: bool = True) -> list[Track]:
    """The tracks of ``video`` (probed as ``info``); with ``captions``, the video streams are scanned for CEA-608."""
    tracks = [_subtitle_track(video, stream) for stream in info.subtitles]
    if captions:
        tracks += caption_tracks(video, info)
    return tracks


def caption_tracks(video: Path, info: MediaInfo) -> list[Track]:
    """The closed-caption channels in the video streams of ``video`` (reads every video packet, decodes none)."""
    tracks: list[Track] = []
    for stream in info.video:
        tracks += _caption_tracks(video, stream.index, stream.codec, info)
    return tracks


def _subtitle_track(video: Path, stream: SubtitleStream) -> Track:
    from .captions import CAPTION_STREAM_CODECS

    language = normalize_language(stream.language)
    if stream.codec in CAPTION_STREAM_CODECS:
        return _caption_stream_track(video, stream, language)
    if stream.codec in TEXT_CODECS:
        return Track("text", stream.index, stream.codec, language, stream.title)
    if stream.codec in BITMAP_CODECS:
        return Track("bitmap", stream.index, stream.codec, language, stream.title)
    try:
        cues = packets_as_text(video, stream.index)
    except Exception as exc:  # no stream may break the listing, however broken
        log.debug("stream #%d of %s", stream.index, video, exc_info=True)
        return Track("unreadable", stream.index, stream.codec, language, stream.title,
                     reason=f"codec {stream.codec!r} is unknown to ffmpeg here and its packets could not be read ({exc})")
    if cues is None:
        return Track("unreadable", stream.index, stream.codec, language, stream.title,
                     reason=f"codec {stream.codec!r} is not a subtitle codec ffmpeg reads here and its packets are not text")
    if not cues:
        return Track("unreadable", stream.index, stream.codec, language, stream.title,
                     reason=f"codec {stream.codec!r} is unknown to ffmpeg here and its packets hold no text cues")
    return Track("text", stream.index, stream.codec, language, stream.title, cues=tuple(cues))


def _caption_stream_track(video: Path, stream: SubtitleStream, language: str | None) -> Track:
    from .captions import scan_captions

    try:
        found = scan_captions(video, stream.index).decode()
    except Exception as exc:  # no stream may break the listing
        log.debug("stream #%d of %s", stream.index, video, exc_info=True)
        found, problem = {}, f"its packets could not be read ({exc})"
    else:
        problem = "it holds no captions"
    if not found:
        return Track("unreadable", stream.index, stream.codec, language, stream.title, reason=f"a caption track, but {problem}")
    # The first channel with captions (CC1 nearly always).
    channel, cues = min(found.items())
    return Track("captions", stream.index, stream.codec, language, stream.title, channel=channel, cues=tuple(cues))


def _caption_tracks(video: Path, index: int, codec: str, info: MediaInfo) -> list[Track]:
    from .captions import CAPTION_CODECS, scan_captions

    if codec not in CAPTION_CODECS:
        return []
    try:
        scan = scan_captions(video, index)
    except Exception as exc:
        log.info("subtitles: could not scan video stream #%d of %s for closed captions: %s", index, video, exc)
        return []
    audio_language = next((normalize_language(a.language) for a in info.audio if a.language), None)
    return [Track("captions", index, "eia_608", audio_language, channel=channel, cues=tuple(cues), in_video=True)
            for channel, cues in sorted(scan.decode().items())]
