"""framescribe.text_presence: telling "no text here" from "text the engine could not read"."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe.text_presence import ALMOST_NOTHING, find_text, missed_text

LINES = ["Meeting moved to Friday", "Bring the signed forms"]


def _text(background: int = 255, ink: int = 0, size: int = 40) -> Image.Image:
    image = Image.new("L", (800, 200), background)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(LINES):
        draw.text((30, 30 + 70 * i), line, font=ImageFont.load_default(size=size), fill=ink)
    return image


def _noisy(image: Image.Image, sigma: float) -> Any:
    noise = np.random.default_rng(1).normal(0, sigma, (image.height, image.width))
    return np.clip(np.asarray(image, dtype=float) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_lines_of_text_are_found_whichever_way_up(turn: int) -> None:
    found = find_text(np.asarray(_text().rotate(turn, expand=True, fillcolor=255)))
    assert found.clear and found.lines >= 2 and found.letters >= 30


def test_light_text_on_dark_and_text_in_noise_are_found() -> None:
    assert find_text(np.asarray(_text(background=20, ink=230))).clear
    # Grey text on a darker grey under heavy sensor noise: Tesseract reads nothing of it.
    assert find_text(_noisy(_text(background=90, ink=130), 15)).clear


@pytest.mark.parametrize("name", ["camera", "astronaut", "coffee", "chelsea", "coins", "grass", "brick", "gravel",
                                  "rocket", "moon", "hubble_deep_field", "cell"])
def test_photos_without_text_have_none(name: str) -> None:
    data = pytest.importorskip("skimage.data")  # bench/requirements.txt; part of requirements-dev.txt
    image = np.asarray(Image.fromarray(getattr(data, name)()).convert("L"))
    assert not find_text(image).clear


def test_blank_and_noise_have_no_text() -> None:
    assert not find_text(np.full((300, 400), 255, np.uint8)).clear
    assert not find_text(_noisy(Image.new("L", (400, 300), 128), 40)).clear


def test_missed_text_looks_only_at_almost_empty_readings() -> None:
    seen: list[int] = []

    def gray() -> Any:
        seen.append(1)
        return np.asarray(_text())

    assert missed_text(ALMOST_NOTHING, gray) is None and not seen  # a real reading: the image is not even looked at
    missed = missed_text(0, gray)
    assert missed is not None and missed.lines >= 2 and seen
    assert missed_text(3, lambda: np.full((100, 100), 255, np.uint8)) is None  # nothing there to miss
    assert missed_text(len("".join(LINES)) - 10, gray) is None  # most of it read: not missed
