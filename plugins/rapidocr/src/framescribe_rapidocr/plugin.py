"""The rapidocr backend: hook implementations only. Cheap to import; RapidOCR loads on first use."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import framescribe
from framescribe import BackendSpec, ImageRequest, OcrResult, RunContext, VideoRequest, VideoResult

from .settings import RapidOcrSettings

NAME = "rapidocr"


def check(settings: RapidOcrSettings) -> str | None:
    for module, package in (("rapidocr_onnxruntime", "rapidocr_onnxruntime"), ("cv2", "opencv-python")):
        if importlib.util.find_spec(module) is None:
            return f"{package} not installed: pip install framescribe-rapidocr"
    return None


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        NAME,
        ["image_ocr", "video_text"],
        description="RapidOCR (PaddleOCR models on ONNX Runtime): scene text on photos and video; offline",
        settings=RapidOcrSettings,
        check=check,
        local=True,
    ))


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult] | None:
    from .image import ocr_image

    return ocr_image(request, context)


@framescribe.hookimpl
def video_text(backend: str, request: VideoRequest, context: RunContext) -> VideoResult | None:
    from .video import read_video

    return read_video(request, context)
