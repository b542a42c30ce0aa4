"""framescribe backend ``ocrservices``: image OCR through the OCR Services API.

The image goes to object storage first (``ocr/{user_id}/{name}-{hash}.{ext}``),
then ``POST /api/ocr/process`` reads it there. :func:`process_key` OCRs an
object that is already in the bucket, with no upload.
"""

from __future__ import annotations

from .service import process_key

__all__ = ["process_key"]
