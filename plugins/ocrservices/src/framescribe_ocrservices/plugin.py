"""The ``ocrservices`` backend: the spec, the hooks and the ``ocrservices-process`` command.

Cheap to import: boto3 and httpx load only when an image is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import framescribe
from framescribe import BackendSpec, ImageRequest, OcrResult, RunContext

from .settings import OcrServicesSettings, check

if TYPE_CHECKING:
    import click

NAME = "ocrservices"


@framescribe.hookimpl
def register_backends(register: Callable[[BackendSpec], None]) -> None:
    register(BackendSpec.create(
        NAME, ["image_ocr"],
        description="OCR Services API: upload to S3, then POST /api/ocr/process",
        settings=OcrServicesSettings, check=check, local=False,
    ))


@framescribe.hookimpl
def image_ocr(backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult] | None:
    from .service import ocr_image

    return [ocr_image(request, context)]


@framescribe.hookimpl
def register_commands(cli: click.Group) -> None:
    from .command import process_command

    cli.add_command(process_command)
