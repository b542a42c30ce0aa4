"""Images with transparency, flattened onto a background their text can be read against.

OCR engines read colour, not alpha. Converting an image with alpha the
usual way (``image.convert("RGB")``, or OpenCV's ``IMREAD_COLOR``) keeps the
colour of transparent pixels, which is often black everywhere: a logo or a
screenshot whose letters live in the alpha channel then turns into a black
rectangle, and OCR reads nothing. Compositing onto a fixed white background
fails the other way, for white text on transparent. So the background is
chosen from the image:

- where opaque pixels cover at most half the image they are the drawing
  (letters, a logo on nothing): the background is the opposite of their
  typical brightness, black for light ink, white for dark ink;
- where they cover more, they are a page or a panel with transparent
  margins: the background continues it, white for a light page, black for a
  dark one.

Used by every backend that reads images itself; needs Pillow and numpy
(``pip install 'framescribe[image]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["background_level", "flatten", "has_alpha"]

ALPHA_MODES = frozenset({"LA", "La", "RGBA", "RGBa", "PA"})
OPAQUE = 128  # alpha at or above this counts as drawn when deciding the background
DRAWING_SHARE = 0.5  # opaque share of the image at most this much: the opaque pixels are the drawing, not a page
LIGHT = 128  # luminance at or above this is light ink (or a light page)


def has_alpha(image: Image.Image) -> bool:
    """Whether ``image`` carries transparency: an alpha channel, or a palette or colour key marked transparent."""
    return image.mode in ALPHA_MODES or "transparency" in image.info


def flatten(image: Image.Image) -> Image.Image:
    """``image`` without transparency: L for grey images, else RGB, composited onto a background that keeps
    the text readable (see the module's docstring). Images without transparency are only converted."""
    from PIL import Image

    if not has_alpha(image):
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    grey = image.mode in ("LA", "La") or (image.mode in ("L", "I", "I;16", "1") and "transparency" in image.info)
    rgba = image.convert("LA" if grey else "RGBA")
    if rgba.mode == "La":  # premultiplied forms are undone by the conversion above; kept for safety
        rgba = rgba.convert("LA")
    colour = rgba.getchannel(0) if grey else rgba.convert("RGB").convert("L")
    background = background_level(colour, rgba.getchannel("A"))
    canvas = Image.new(rgba.mode, rgba.size, (background, 255) if grey else (background,) * 3 + (255,))
    canvas.alpha_composite(rgba)
    return canvas.convert("L" if grey else "RGB")


def background_level(luminance: Image.Image, alpha: Image.Image) -> int:
    """0 or 255: the background for the drawing whose grey levels are ``luminance`` where ``alpha`` is opaque."""
    import numpy as np

    lum = np.asarray(luminance, dtype=np.uint8)
    drawn = np.asarray(alpha, dtype=np.uint8) >= OPAQUE
    share = float(drawn.mean()) if drawn.size else 0.0
    if share == 0.0:
        return 255  # nothing drawn: any background reads the same (nothing)
    light = float(np.median(lum[drawn])) >= LIGHT
    if share <= DRAWING_SHARE:
        return 0 if light else 255  # ink on nothing: the background contrasts with the ink
    return 255 if light else 0  # a page with transparent margins: the background continues the page
