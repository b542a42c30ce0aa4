"""framescribe plugin `tesseract`: the backend spec and its hooks. Heavy libraries load only when a hook runs."""

from __future__ import annotations

from collections.abc import Callable

import framescribe
from framescribe.backend import BackendSpec, RunContext
from framescribe.types import ImageRequest, OcrResult, VideoRequest, VideoResult

from .settings import TesseractSettings

NAME = "tesseract"


def _check(settings: TesseractSettings) -> str | None:
    from .engines import engine_reason
    from .tessdata import missing_languages, tessdata_dir

    reason = engine_reason(settings.engine, settings.tesseract_cmd)
    if reason:
        return reason
    folder = tessdata_dir(settings.tessdata_dir)
    missing = missing_languages(folder, settings.languages)
    if missing:
        return f"language data {', '.join(missing)} not in {folder}: pip install {' '.join('tessdata.' + m for m in missing)}"
    return None


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        NAME, ["image_ocr", "video_text"],
        description="Tesseract OCR (tesserocr or the tesseract binary) with OpenCV text finding; offline",
        settings=TesseractSettings, check=_check, local=True,
    ))


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult] | None:
    from .image_ocr import ocr_image

    return ocr_image(request.image, context.settings, request.language, request.layout)


@framescribe.hookimpl
def video_text(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .video_text import run_video_text

    return run_video_text(request, context)
