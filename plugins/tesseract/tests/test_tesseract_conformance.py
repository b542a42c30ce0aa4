"""The tesseract backend against framescribe's conformance kit (registration, cheap import, results, bad input)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from framescribe.testing import BackendConformance


class TestTesseractConformance(BackendConformance):
    backend = "tesseract"
    expected_text: ClassVar[Mapping[str, str]] = {"image_ocr": "FRAMESCRIBE 42", "video_text": "HELLO WORLD"}
