"""Settings of the `subtitles` backend (``[backends.subtitles]`` in the config)."""

from __future__ import annotations

from pydantic import Field

from framescribe.settings import BackendSettings


class SubtitleSettings(BackendSettings):
    encoding: str | None = Field(None, description="force a text encoding for subtitle files (a Python codec name such "
                                 "as 'shift_jis'); none: detect it (BOM, UTF-8/16, then charset-normalizer)")
    beside: bool = Field(True, description="look for <video stem>[.<lang>].srt/.vtt beside the video")
    embedded: bool = Field(True, description="read the subtitle tracks inside the video (text, bitmap and closed captions)")
