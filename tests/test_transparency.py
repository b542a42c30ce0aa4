"""framescribe.transparency: images with alpha flattened onto a background their text reads against."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe.transparency import flatten, has_alpha


def _letters(size: tuple[int, int] = (400, 80)) -> Image.Image:
    """A coverage mask: the word drawn white on black."""
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).text((10, 10), "Message", font=ImageFont.load_default(size=40), fill=255)
    return mask


def _ink_and_background(flat: Image.Image, mask: Image.Image) -> tuple[float, float]:
    grey = np.asarray(flat.convert("L"), dtype=float)
    coverage = np.asarray(mask)
    return float(grey[coverage == 255].mean()), float(grey[coverage == 0].mean())  # edges are anti-aliased


def test_text_only_in_the_alpha_channel_lands_on_white() -> None:
    # pytesseract's test image: black pixels everywhere, the letters opaque, the rest transparent.
    mask = _letters()
    image = Image.merge("LA", (Image.new("L", mask.size, 0), mask))
    flat = flatten(image)
    ink, background = _ink_and_background(flat, mask)
    assert flat.mode == "L" and ink == 0 and background == 255
    # What plain conversion does, and why this module exists: the letters vanish into black.
    assert np.asarray(image.convert("L")).max() == 0


@pytest.mark.parametrize("colour", [(255, 255, 255), (255, 210, 40)])
def test_light_text_on_transparent_lands_on_black(colour: tuple[int, int, int]) -> None:
    mask = _letters()
    image = Image.new("RGBA", mask.size, (255, 255, 255, 0))  # transparent pixels as light as the ink
    image.paste(Image.new("RGBA", mask.size, (*colour, 255)), mask=mask)
    flat = flatten(image)
    ink, background = _ink_and_background(flat, mask)
    assert flat.mode == "RGB" and background == 0 and ink > 150


def test_a_page_with_transparent_margins_continues_the_page() -> None:
    # A white page covering most of the image, dark text on it, margins transparent: the margins become white.
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (20, 20, 380, 280))
    ImageDraw.Draw(image).text((40, 40), "Page", font=ImageFont.load_default(size=40), fill=(0, 0, 0, 255))
    flat = np.asarray(flatten(image).convert("L"))
    assert flat[5, 5] == 255 and flat[150, 200] == 255 and flat.min() < 60


def test_palette_and_colour_key_transparency() -> None:
    mask = _letters().point(lambda v: 255 if v >= 128 else 0)
    palette = Image.new("P", mask.size, 0)
    palette.putpalette([10, 10, 10, 10, 10, 10] + [0] * 762)
    palette.paste(1, mask=mask)
    palette.info["transparency"] = 0
    assert has_alpha(palette)
    ink, background = _ink_and_background(flatten(palette), mask)
    assert ink == 10 and background == 255


def test_images_without_transparency_are_only_converted() -> None:
    rgb = Image.new("RGB", (10, 10), (1, 2, 3))
    assert not has_alpha(rgb) and flatten(rgb) is rgb
    assert flatten(Image.new("CMYK", (10, 10))).mode == "RGB"
    fully_opaque = Image.new("RGBA", (10, 10), (200, 100, 50, 255))
    assert flatten(fully_opaque).getpixel((0, 0)) == (200, 100, 50)
