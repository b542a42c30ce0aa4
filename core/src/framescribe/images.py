"""What kind of image a file is, from its first bytes.

Remote backends check this before anything is uploaded, so a text file is
bad input at once rather than a failed (and perhaps billed) job.
"""

from __future__ import annotations

from pathlib import Path

from .errors import BadInput

# format -> (file extension, MIME type)
FORMATS = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "bmp": ("bmp", "image/bmp"),
    "tiff": ("tiff", "image/tiff"),
    "webp": ("webp", "image/webp"),
    "heic": ("heic", "image/heic"),
    "avif": ("avif", "image/avif"),
}


def sniff(head: bytes) -> str | None:
    """The format (a key of FORMATS) of a file starting with ``head`` (16 bytes are enough), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "heic"
    return None


def image_format(path: Path, backend: str) -> str:
    """The format of the image at ``path``, or BadInput saying it is not one this backend can send."""
    with path.open("rb") as fh:
        head = fh.read(16)
    found = sniff(head)
    if found is None:
        raise BadInput(f"{path}: not an image {backend} can read", hint=f"{backend} takes {', '.join(FORMATS)} files")
    return found


# ISO-BMFF brands of image sequences (animated AVIF, HEIF sequences): these are moving pictures.
_SEQUENCE_BRANDS = (b"avis", b"msf1", b"hevs", b"hevm")


def still_image(path: Path) -> str | None:
    """The format when ``path`` holds a single still picture (not a video, not an animation), else None.

    ffmpeg opens a PNG or JPEG as a one-frame "video", so video commands ask this first and point the
    user to ``ocr`` instead of reading one frame as a film.
    """
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    found = sniff(head[:16])
    if found is None:
        return None
    if found == "png" and _png_is_animated(head):
        return None
    if found == "gif" and (b"NETSCAPE2.0" in head or b"ANIMEXTS1.0" in head):  # the looping extension of animations
        return None
    if found == "webp" and head[12:16] == b"VP8X" and len(head) > 20 and head[20] & 0x02:  # VP8X animation flag
        return None
    if found in ("heic", "avif") and head[8:12] in _SEQUENCE_BRANDS:
        return None
    return found


def check_not_still_image(path: Path) -> None:
    """BadInput when a file given as a video is a still picture, with the command that reads one."""
    kind = still_image(path)
    if kind is not None:
        raise BadInput(f"{path} is a still image ({kind.upper()}), not a video",
                       hint=f"for the text in an image use `framescribe ocr {path}`")


def _png_is_animated(head: bytes) -> bool:
    # APNG puts an acTL chunk before the first IDAT; walk the chunk headers up to there.
    pos = 8
    while pos + 8 <= len(head):
        length = int.from_bytes(head[pos:pos + 4], "big")
        kind = head[pos + 4:pos + 8]
        if kind == b"acTL":
            return True
        if kind == b"IDAT":
            return False
        pos += 12 + length
    return False
