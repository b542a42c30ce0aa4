"""The core's conformance kit run on imagehq, against the loopback ImageHQ server."""

from __future__ import annotations

from typing import Any

import pytest

from framescribe.testing import BackendConformance

API_KEY = "ihq-test-key-5f2a9c0d7e1b"


class TestImageHqConformance(BackendConformance):
    backend = "imagehq"

    @pytest.fixture
    def backend_settings(self, imagehq: Any) -> dict[str, Any]:
        return {"api_url": imagehq.url, "api_key": API_KEY, "poll_interval": 0.02, "timeout": 10}
