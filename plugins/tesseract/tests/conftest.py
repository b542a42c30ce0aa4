"""Fixtures of the tesseract plugin's tests; clips come from framescribe's pytest plugin (framescribe_clip_factory,
framescribe_standard_clip)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def reader() -> Any:
    from framescribe_tesseract import TesseractReader

    return TesseractReader("eng")
