"""framescribe's conformance kit on the rapidocr backend, with the kit's own sample media."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from framescribe.testing import BackendConformance


class TestRapidOcrConformance(BackendConformance):
    backend = "rapidocr"
    # The pipeline finds the sample video's two words as separate texts, so one word is what a
    # video segment can be expected to hold.
    expected_text: ClassVar[Mapping[str, str]] = {"image_ocr": "FRAMESCRIBE 42", "video_text": "HELLO"}
