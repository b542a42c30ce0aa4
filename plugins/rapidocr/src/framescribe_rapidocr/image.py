"""``image_ocr`` for the rapidocr backend: one OcrResult with an optional block/line/word layout."""

from __future__ import annotations

from framescribe import Block, ImageRequest, Line, OcrResult, RunContext, Word

from .engine import TextLine, load_image, read_lines


def ocr_image(request: ImageRequest, context: RunContext) -> list[OcrResult]:
    image = load_image(request.image)
    context.progress(0, 1, request.image.name)
    lines = read_lines(image, context.settings)
    context.progress(1, 1, request.image.name)
    return [to_result(lines, request.layout, image.shape[1], image.shape[0])]


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
