"""framescribe's conformance kit on the twelvelabs backend, against the loopback Twelve Labs server."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from framescribe.testing import BackendConformance


class TestTwelveLabsConformance(BackendConformance):
    backend = "twelvelabs"
    # The test server answers with the seeds' example payloads.
    expected_text: ClassVar[dict[str, str]] = {
        "transcribe": "Oh I'm so glad I was recording it.",
        "video_text": "DID YOU GET THAT ON VIDEO?",
    }
    # Those payloads were recorded on a longer video (segments past 300 s) than the 11 s clip uploaded here, so
    # the kit's "segments end within the media" check cannot apply: the times are the server's, in seconds.
    duration_slack: ClassVar[float] = float("inf")

    @pytest.fixture
    def backend_settings(self, server: Any) -> dict[str, Any]:
        return {"api_url": server.url, "index_id": server.index_id, "poll_interval": 0.01, "timeout": 20, "max_retries": 1}

    @pytest.fixture
    def sample_video(self, video: Path) -> Path:
        # The kit's own sample is shorter and smaller than the API accepts.
        return video
