"""The core's conformance kit run on ocrservices, against loopback S3 (moto) and the loopback OCR Services server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framescribe.testing import BackendConformance


class TestOcrServicesConformance(BackendConformance):
    backend = "ocrservices"

    @pytest.fixture
    def backend_settings(self, settings_for: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        return settings_for()
