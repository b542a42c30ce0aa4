"""Images a user would not forgive an empty reading of: text on transparency, and text Tesseract cannot read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe import Framescribe
from framescribe.errors import NoBackendAnswered
from framescribe.evaluate import char_error_rate

MESSAGE = "This is test message"


def _mask(text: str = MESSAGE, size: tuple[int, int] = (620, 110)) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).text((25, 25), text, font=ImageFont.load_default(size=44), fill=255)
    return mask


def _alpha_only() -> Image.Image:
    """pytesseract's test image: grey+alpha, black everywhere, the letters opaque, the rest transparent."""
    mask = _mask()
    return Image.merge("LA", (Image.new("L", mask.size, 0), mask))


def _rgba(colour: tuple[int, int, int], hidden: tuple[int, int, int]) -> Image.Image:
    """Text of ``colour`` on transparent pixels whose own colour is ``hidden``."""
    mask = _mask()
    image = Image.new("RGBA", mask.size, (*hidden, 0))
    image.paste(Image.new("RGBA", mask.size, (*colour, 255)), mask=mask)
    return image


def _palette(colour: tuple[int, int, int]) -> Image.Image:
    """Two palette entries of one colour: 0 transparent, 1 the letters."""
    image = Image.new("P", (620, 110), 0)
    image.putpalette([*colour, *colour] + [0] * 762)
    image.paste(1, mask=_mask().point(lambda v: 255 if v >= 128 else 0))
    image.info["transparency"] = 0
    return image


CASES: dict[str, Callable[[], Image.Image]] = {
    "alpha_only.png": _alpha_only,
    "alpha_only.webp": _alpha_only,
    "alpha_only.tiff": _alpha_only,
    "dark_on_black_rgba.png": lambda: _rgba((20, 20, 20), (0, 0, 0)),
    "white_on_white_rgba.webp": lambda: _rgba((255, 255, 255), (255, 255, 255)),
    "white_rgba.tiff": lambda: _rgba((250, 250, 250), (250, 250, 250)),
    "dark_palette.gif": lambda: _palette((0, 0, 0)),
    "white_palette.png": lambda: _palette((255, 255, 255)),
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("transparent")
    for name, make in CASES.items():
        image = make()
        image.save(folder / name, lossless=True) if name.endswith(".webp") else image.save(folder / name)
    return folder


@pytest.mark.parametrize("name", list(CASES))
def test_text_on_transparency_is_read(images: Path, name: str) -> None:
    [result] = Framescribe({}, use_cache=False).image_ocr(images / name, backend="tesseract")
    assert char_error_rate(MESSAGE, result.text) <= 0.05, result.text


def test_every_page_of_a_transparent_tiff_is_flattened(tmp_path: Path) -> None:
    path = tmp_path / "pages.tiff"
    first, second = _alpha_only(), _rgba((255, 255, 255), (255, 255, 255))
    first.convert("RGBA").save(path, save_all=True, append_images=[second])
    results = Framescribe({}, use_cache=False).image_ocr(path, backend="tesseract")
    assert [r.page for r in results] == [1, 2]
    assert all(char_error_rate(MESSAGE, r.text) <= 0.05 for r in results), [r.text for r in results]


def _unreadable(path: Path) -> Path:
    """Grey text on darker grey under sensor noise: plain to see, and Tesseract reads nothing of it."""
    image = Image.new("L", (800, 200), 90)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["Meeting moved to Friday", "Bring the signed forms"]):
        draw.text((30, 30 + 70 * i), line, font=ImageFont.load_default(size=40), fill=130)
    noise = np.random.default_rng(1).normal(0, 15, (200, 800))
    Image.fromarray(np.clip(np.asarray(image, dtype=float) + noise, 0, 255).astype(np.uint8)).save(path)
    return path


def test_text_tesseract_cannot_read_is_not_a_quiet_empty_success(tmp_path: Path) -> None:
    path = _unreadable(tmp_path / "noisy.png")
    with pytest.raises(NoBackendAnswered, match=r"clearly holds text .* Tesseract read nothing"):
        Framescribe({}, use_cache=False).image_ocr(path, backend="tesseract")
    # In a chain, the next backend gets the image.
    [result] = Framescribe({"capabilities": {"image_ocr": ["tesseract", "rapidocr"]}}, use_cache=False).image_ocr(path)
    assert result.backend == "rapidocr" and "Friday" in result.text
    assert [s.backend for s in result.skipped] == ["tesseract"] and "clearly holds text" in result.skipped[0].reason


def test_an_image_without_text_stays_an_empty_success(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    coarse = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    photo = Image.fromarray(coarse).resize((640, 480), Image.Resampling.BICUBIC)
    for name, image in {"blank.png": Image.new("RGB", (640, 480), "white"), "photo.png": photo}.items():
        image.save(tmp_path / name)
        [result] = Framescribe({}, use_cache=False).image_ocr(tmp_path / name, backend="tesseract")
        assert result.text == "" and result.word_count == 0
