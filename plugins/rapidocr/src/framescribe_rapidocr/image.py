"""``image_ocr`` for the rapidocr backend: one OcrResult with an optional block/line/word layout."""

from __future__ import annotations

from typing import Any

from framescribe import BackendUnavailable, Block, ImageRequest, Line, OcrResult, RunContext, Word
from framescribe.text_presence import missed_text

from .engine import TextLine, load_image, read_lines


def ocr_image(request: ImageRequest, context: RunContext) -> list[OcrResult]:
    image = load_image(request.image)
    context.progress(0, 1, request.image.name)
    lines = read_lines(image, context.settings)
    context.progress(1, 1, request.image.name)
    chars = sum(len(ln.text) for ln in lines)
    missed = missed_text(chars, lambda: _gray(image))
    if missed is not None and context.settings.min_confidence > 0:
        # Lines the user's min_confidence dropped are not a failure to read: look again without it (rare: only
        # when almost nothing was kept from an image that clearly holds text).
        unfiltered = read_lines(image, context.settings.model_copy(update={"min_confidence": 0.0}))
        if missed_text(sum(len(ln.text) for ln in unfiltered), lambda: _gray(image)) is None:
            missed = None
    if missed is not None:
        # Not a quiet success with no text: the chain tries its next backend, or the user hears why.
        raise BackendUnavailable(f"the image clearly holds text ({missed.lines} lines of letters found) but RapidOCR "
                                 f"read {'almost nothing' if chars else 'nothing'} of it ({chars} characters)")
    return [to_result(lines, request.layout, image.shape[1], image.shape[0])]


def _gray(image: Any) -> Any:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def to_result(lines: list[TextLine], layout: bool, width: int, height: int) -> OcrResult:
    text = "\n".join(ln.text for ln in lines)
    words = sum(len(ln.words) for ln in lines)
    # Mean over words, so one long line does not count as much as many short ones would.
    confidence = sum(ln.confidence * len(ln.words) for ln in lines) / words if words else None
    result = OcrResult(text=text, confidence=confidence, metadata={"width": width, "height": height})
    if layout:
        # RapidOCR finds lines, not paragraphs: each line is its own block.
        result.layout = [
            Block((Line(tuple(Word(t, b, c) for t, b, c in ln.words), ln.box, ln.confidence),), ln.box, ln.confidence)
            for ln in lines
        ]
    return result
