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
