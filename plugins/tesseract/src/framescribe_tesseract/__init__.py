"""framescribe backend `tesseract`: image OCR and text in video with Tesseract (tesserocr or pytesseract) and OpenCV."""

from __future__ import annotations

__all__ = ["TesseractReader"]


def __getattr__(name: str) -> object:
    # The reader pulls in numpy and tesserocr; import it only when asked for.
    if name == "TesseractReader":
        from .video_reader import TesseractReader

        return TesseractReader
    raise AttributeError(name)
