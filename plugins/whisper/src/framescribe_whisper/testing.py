"""For tests that run whisper (this plugin's, and any chain that falls through to it): repeatable, offline runs.

    @pytest.fixture(autouse=True)
    def _repeatable(monkeypatch: pytest.MonkeyPatch) -> None:
        repeatable_whisper(monkeypatch)

Set ``HF_HUB_OFFLINE=1`` in ``os.environ`` at the top of the conftest or test module too: huggingface_hub
reads it once, when it is first imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

#: CTranslate2's sampler seed for tests.
SEED = 20261123


def repeatable_whisper(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model can come from a hub (HF_HUB_OFFLINE), and whisper decodes the same way every run.

    Whisper decodes again with sampling (temperature > 0) when a greedy pass looks poor, which tiny.en
    often does on synthetic speech, so CTranslate2's sampler is seeded, or runs would differ.
    """
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import ctranslate2

    ctranslate2.set_random_seed(SEED)
