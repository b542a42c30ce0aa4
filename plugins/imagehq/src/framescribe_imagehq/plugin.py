"""The ``imagehq`` backend: the spec and the hook. Cheap to import: httpx loads only when an image is read."""

from __future__ import annotations

from collections.abc import Callable

import framescribe
from framescribe import BackendSpec, ImageRequest, OcrResult, RunContext

from .settings import ImageHqSettings, check

NAME = "imagehq"


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        NAME, ["image_ocr"],
        description="ImageHQ OCR API: asynchronous jobs (POST /v1/ocr, poll, download)",
        settings=ImageHqSettings, check=check, local=False,
    ))


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult] | None:
    from .jobs import run_job

    return [run_job(request, context)]
