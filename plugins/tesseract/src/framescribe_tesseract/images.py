"""Opening images for OCR: formats, pages, EXIF orientation, and a pixel limit against decompression bombs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from framescribe.errors import BadInput
from framescribe.transparency import flatten

FORMATS = "PNG, JPEG, TIFF, WebP, BMP"


def open_pages(path: Path, max_pixels: int) -> list[Image.Image]:
    """Every page of the image at ``path``, loaded and upright as a viewer shows it (EXIF orientation applied),
    as L or RGB (transparency flattened: :func:`framescribe.transparency.flatten`)."""
    # The core checked the file before the chain ran (framescribe.inputs); what is left to catch is what opening finds.
    try:
        with warnings.catch_warnings():
            limit = Image.MAX_IMAGE_PIXELS or float("inf")
            warnings.simplefilter("error" if max_pixels <= limit else "ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big(path, None, max_pixels) from None
    except UnidentifiedImageError:
        raise BadInput(f"{path} is not an image this backend can read", hint=f"supported formats: {FORMATS}") from None
    except PermissionError:
        raise BadInput(f"image {path} is not readable (permission denied)") from None
    except OSError as exc:
        raise BadInput(f"{path} cannot be opened as an image ({exc})", hint=f"supported formats: {FORMATS}") from None
    with img:
        pages = []
        for number, frame in enumerate(_frames(img), start=1):
            w, h = frame.size
            if w * h > max_pixels:
                raise _too_big(path, (w, h), max_pixels)
            try:
                frame.load()
                page = ImageOps.exif_transpose(frame) if number == 1 else frame.copy()
            except (OSError, SyntaxError, ValueError) as exc:
                raise BadInput(f"{path} is corrupt or truncated (page {number}: {exc})",
                               hint="check that the file opens in an image viewer") from None
            # Transparent images are flattened onto a background their text reads against, never plain RGB:
            # that keeps the colour of transparent pixels, often black everywhere (text only in the alpha).
            pages.append(flatten(page))
        return pages


def _frames(img: Image.Image) -> Iterator[Image.Image]:
    if getattr(img, "n_frames", 1) > 1 and img.format == "TIFF":
        yield from ImageSequence.Iterator(img)
    else:
        yield img


def _too_big(path: Path, size: tuple[int, int] | None, max_pixels: int) -> BadInput:
    dims = f"{size[0]}x{size[1]} = {size[0] * size[1]:,} pixels" if size else "more pixels than Pillow allows"
    return BadInput(f"{path} is too large to read safely ({dims}; the limit is {max_pixels:,})",
                    hint="raise max_pixels in [backends.tesseract] if you trust this image")
