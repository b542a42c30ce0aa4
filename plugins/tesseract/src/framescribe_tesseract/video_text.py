"""video_text for the `tesseract` backend: framescribe's pipeline with a Tesseract reader."""

from __future__ import annotations

import os

from framescribe.backend import RunContext
from framescribe.errors import BadInput
from framescribe.types import VideoRequest, VideoResult
from framescribe.video import VideoOptions, extract_video_text, require_readable

from .settings import TesseractSettings
from .tessdata import tessdata_dir, to_tesseract_languages
from .video_reader import TesseractReader

GIVE_UP_UNREAD = 5  # lasting text regions back from the reader, none of them read, before tesseract gives up on a video


def video_options(s: TesseractSettings) -> VideoOptions:
    # Tesseract is the slowest step: one reader thread per core (the `workers` setting), beside the decoder.
    workers = s.workers or os.cpu_count() or 1
    return VideoOptions(sample_rate=s.sample_rate, min_confidence=s.video_min_confidence,
                        min_text_height=s.min_text_height, regions=tuple(s.regions), ocr_workers=min(workers, 8),
                        every_frame=s.every_frame, persistent=s.persistent_text,
                        # A script its language data does not cover: give up after a few captions, not the whole
                        # video, so the next backend starts sooner (require_readable below raises either way).
                        give_up_unread=GIVE_UP_UNREAD)


def run_video_text(request: VideoRequest, context: RunContext) -> VideoResult:
    s: TesseractSettings = context.settings
    if request.media is None:
        raise BadInput("the tesseract backend reads local video files; no file was given")
    languages = to_tesseract_languages(request.language, s.languages)
    reader = TesseractReader(languages, s.engine, tessdata_dir(s.tessdata_dir), s.tesseract_cmd, s.oem)
    result = extract_video_text(request.media, reader, video_options(s), start=request.start, end=request.end,
                                progress=context.progress)
    # Text in a script these languages do not cover reads as nothing: let the chain try the next backend.
    require_readable(result, f"tesseract ({languages})",
                     hint="install Tesseract language data for it and pass --language, or use another backend "
                     "(-b rapidocr)")
    result.language = languages
    result.metadata["engine"] = reader.engine.name
    return result
