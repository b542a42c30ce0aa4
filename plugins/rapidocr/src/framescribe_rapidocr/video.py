"""``video_text`` for the rapidocr backend: framescribe's text-in-video pipeline with RapidOCR as its reader.

The pipeline (``framescribe.video``) samples frames, finds text, tracks it
while unchanged and merges readings; this module only reads the regions it
hands over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framescribe import BadInput, Box, RunContext, VideoRequest, VideoResult, Word

from .engine import read_lines
from .settings import RapidOcrSettings

if TYPE_CHECKING:  # the pipeline imports OpenCV, NumPy and PyAV: only when a video is read
    from framescribe.video import Reading, Region


class RapidOcrReader:
    """A ``framescribe.video.TextReader``: RapidOCR finds and reads the lines of a region."""

    def __init__(self, settings: RapidOcrSettings) -> None:
        self.settings = settings

    def read(self, region: Region) -> list[Reading]:
        import cv2

        from framescribe.video import Reading

        # In stable mode the temporal median keeps the overlay text and washes out a moving
        # background; a whole frame (full_frame mode) has no median worth the name.
        image = region.median if region.frames > 1 else region.crop
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        stable = region.frames > 1 or bool(region.variants)
        # The pipeline crops tight around the text; RapidOCR's detector clips the outer letters
        # of a line that touches the edge ("HELL" for "HELLO"), so give it a margin.
        pad = max(8, image.shape[0] // 4) if stable else 0
        if pad:
            image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        # The pipeline knows how tall the text is: region.scale brings its lines to about 40 px,
        # the height at which RapidOCR keeps the spaces between words.
        lines = read_lines(image, self.settings, scale=max(1.0, region.scale) if stable else None)
        readings = [
            Reading(ln.text, ln.confidence, _shift(ln.box, -pad),
                    tuple(Word(t, None if b is None else _shift(b, -pad), c) for t, b, c in ln.words))
            for ln in lines
        ]
        if stable and len(readings) > 1:
            # The pipeline found one block (a two-line subtitle, say): it is one text, so one reading.
            return [_join(readings)]
        return readings


def _join(readings: list[Reading]) -> Reading:
    from framescribe.video import Reading

    boxes = [r.box for r in readings if r.box is not None]
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.width for b in boxes), max(b.y + b.height for b in boxes)
    words = tuple(w for r in readings for w in (r.words or ()))
    confidence = sum(r.confidence for r in readings) / len(readings)
    return Reading("\n".join(r.text for r in readings), confidence, Box(x0, y0, x1 - x0, y1 - y0), words or None)


def _shift(box: Box, by: int) -> Box:
    x, y = max(0, box.x + by), max(0, box.y + by)
    return Box(x, y, box.width, box.height)


def read_video(request: VideoRequest, context: RunContext) -> VideoResult:
    if request.media is None:
        raise BadInput("rapidocr reads local video files; it cannot use --video-id")
    from framescribe.video import VideoOptions, extract_video_text

    settings: RapidOcrSettings = context.settings
    options = VideoOptions(sample_rate=settings.sample_rate, min_confidence=settings.min_confidence,
                           detector=settings.detector, persistent=settings.persistent_text)
    result = extract_video_text(request.media, RapidOcrReader(settings), options,
                                start=request.start, end=request.end, progress=context.progress)
    result.metadata.setdefault("engine", "rapidocr")
    return result

