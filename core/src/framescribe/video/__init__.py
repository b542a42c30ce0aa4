"""The text-in-video pipeline, with the OCR step as a parameter.

    from framescribe.video import VideoOptions, extract_video_text
    result = extract_video_text("clip.mp4", reader, VideoOptions(sample_rate=4), start=10, end=40)

``reader`` is any object with ``read(region) -> list[Reading]`` (see
:class:`TextReader`). The pipeline samples frames (PyAV, presentation
times, seeking to ``start``), finds overlay text that stays still while the
picture moves, tracks each text while it is unchanged so it is read only
once, hands the reader a :class:`Region` (colour crop, temporal median,
stable-pixel mask, binary variants), merges equal readings and fragments into one
:class:`~framescribe.types.Segment` and refines each start and end to the
frame. Needs ``pip install 'framescribe[video]'``; see docs/video-pipeline.md.
"""

from __future__ import annotations

from ..errors import MissingDependency
from ..media import INSTALL_VIDEO
from .types import PipelineStats, Reading, Region, TextReader, VideoOptions

try:
    import av  # noqa: F401
    import cv2  # noqa: F401
    import numpy  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise MissingDependency(f"the video pipeline needs {exc.name}", hint=INSTALL_VIDEO) from exc

from .decode import SampleReader, VideoInfo, probe_video
from .merge import similarity
from .pipeline import extract_video_text, require_readable
from .regions import (
    binary_variants,
    binary_variants_with_counts,
    find_text_boxes,
    letter_blobs,
    letter_count,
    line_bands,
    median_image,
    sorted_frames,
    temporal_extremes,
    temporal_median,
    temporal_stats,
    white_variant,
)
from .spacing import ink_columns, missing_spaces, spaced_text

__all__ = [
    "PipelineStats",
    "Reading",
    "Region",
    "SampleReader",
    "TextReader",
    "VideoInfo",
    "VideoOptions",
    "binary_variants",
    "binary_variants_with_counts",
    "extract_video_text",
    "find_text_boxes",
    "ink_columns",
    "letter_blobs",
    "letter_count",
    "line_bands",
    "median_image",
    "missing_spaces",
    "probe_video",
    "require_readable",
    "similarity",
    "sorted_frames",
    "spaced_text",
    "temporal_extremes",
    "temporal_median",
    "temporal_stats",
    "white_variant",
]
