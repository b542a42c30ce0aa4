"""RapidOCR itself: one engine per settings, images loaded with OpenCV, results as plain lines.

Heavy imports (numpy, cv2, rapidocr_onnxruntime, onnxruntime) live here, not in plugin.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from framescribe import BadInput, Box, MissingDependency

from .settings import RapidOcrSettings

INSTALL = "pip install framescribe-rapidocr (it depends on rapidocr_onnxruntime)"


@dataclass(frozen=True)
class TextLine:
    """One line RapidOCR read: its text, score, box, and the words inside it (with boxes when known)."""

    text: str
    confidence: float
    box: Box
    words: tuple[tuple[str, Box | None, float | None], ...]


@lru_cache(maxsize=4)
def _engine(use_angle_cls: bool, threads: int, max_side: int = 960) -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise MissingDependency(f"rapidocr_onnxruntime is not installed ({exc})", hint=INSTALL) from None
    n = threads if threads > 0 else -1
    # text_score=0: the backend filters by its own min_confidence, so it can report what it dropped.
    # RapidOCR's default scales every image up until its *shorter* side is 736 px: a 72 px
    # caption crop becomes 736 x 2300 and takes seconds. Capping the longer side keeps
    # crops and frames at their own size (PaddleOCR's own default is a 960 px cap).
    return RapidOCR(use_cls=use_angle_cls, text_score=0.0, intra_op_num_threads=n, inter_op_num_threads=n,
                    det_limit_type="max", det_limit_side_len=max_side)


# The ONNX sessions are shared; RapidOCR keeps per-call state on the engine object, so calls are serialised.
_lock = threading.Lock()


def engine(settings: RapidOcrSettings) -> Any:
    return _engine(settings.use_angle_cls, settings.threads, settings.max_side)


def load_image(path: Path) -> Any:
    """The image at ``path`` as a BGR array; BadInput when OpenCV cannot decode it."""
    import cv2
    import numpy as np

    data = np.fromfile(str(path), dtype=np.uint8)
    flat = _flattened(path)
    if flat is not None:
        return flat
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise BadInput(f"{path} is not an image OpenCV can read", hint="use png, jpeg, tiff, webp or bmp")
    return image


def _flattened(path: Path) -> Any | None:
    """The image as BGR composited onto a readable background when it has transparency, else None.

    OpenCV's IMREAD_COLOR keeps the colour of transparent pixels: text that
    lives only in the alpha channel (black pixels everywhere) would be a black
    rectangle. Pillow reads the header alone to tell, so opaque images cost nothing here.
    """
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    from framescribe.transparency import flatten, has_alpha

    try:
        with Image.open(path) as img:
            if not has_alpha(img):
                return None
            img.load()
            rgb = flatten(ImageOps.exif_transpose(img)).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None  # OpenCV decides, with its own error
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


# RapidOCR's recogniser drops the spaces between words when lines are small (about 25 px tall:
# "Thesnowcameearlierthanusual."); the same image scaled so lines are ~40 px reads them.
LINE_HEIGHT = 40
MAX_UPSCALED_PIXELS = 8_000_000


def read_lines(image: Any, settings: RapidOcrSettings, scale: float | None = None) -> list[TextLine]:
    """Every text line RapidOCR finds in a BGR ``image`` scoring at least ``settings.min_confidence``, top to bottom.

    ``scale``: read the image scaled by this factor (a caller that knows the text's size).
    Without it, when the lines found are small the image is read again scaled up so they are
    about LINE_HEIGHT pixels tall. Boxes are always in pixels of ``image``.
    """
    if scale is None:
        lines = _read(image, settings, 1.0)
        heights = sorted(ln.box.height for ln in lines)
        if not heights:
            return lines
        scale = LINE_HEIGHT / max(heights[len(heights) // 2], 1)
        if scale < 1.25:
            return lines
    h, w = image.shape[:2]
    scale = min(scale, 4.0, (MAX_UPSCALED_PIXELS / (h * w)) ** 0.5)
    if abs(scale - 1.0) < 0.05:
        return _read(image, settings, 1.0)
    import cv2

    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return _read(cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation), settings, scale)


def _read(image: Any, settings: RapidOcrSettings, factor: float) -> list[TextLine]:
    ocr = engine(settings)
    with _lock:
        raw, _elapsed = ocr(image, return_word_box=True)
    lines = []
    for item in raw or []:
        points, text, score = item[0], str(item[1]).strip(), float(item[2])
        if not text or score < settings.min_confidence:
            continue
        # With return_word_box, items 3-5 are the per-character boxes, characters and scores.
        words = _words(text, score, item[3:6] if len(item) >= 6 else None, factor, _line_ink(image, points))
        if len(words) > len(text.split()):
            text = " ".join(w for w, _, _ in words)  # with the spaces the boxes show between scripts ("新闻 8 NEWS")
        lines.append(TextLine(text, score, _box(points, factor), words))
    lines.sort(key=lambda ln: (ln.box.y, ln.box.x))
    return lines


def _box(points: Any, factor: float = 1.0) -> Box:
    xs = [float(p[0]) / factor for p in points]
    ys = [float(p[1]) / factor for p in points]
    x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
    return Box(x0, y0, max(0, round(max(xs)) - x0), max(0, round(max(ys)) - y0))


def _line_ink(image: Any, points: Any) -> tuple[int, list[bool]]:
    """Where the line's crop starts (x, pixels of ``image``) and which of its columns hold ink."""
    from framescribe.video import ink_columns

    xs, ys = [int(p[0]) for p in points], [int(p[1]) for p in points]
    x0, y0 = max(0, min(xs)), max(0, min(ys))
    return x0, ink_columns(image[y0:max(ys) + 1, x0:max(xs) + 1])


def _words(text: str, score: float, word_info: Any, factor: float,
           ink: tuple[int, list[bool]] | None = None) -> tuple[tuple[str, Box | None, float | None], ...]:
    """Group RapidOCR's per-character boxes into space-separated words; without them, words have no box.

    A word also ends where the script changes across a gap wider than the line's usual
    spacing (the recogniser writes no space between Chinese and Latin runs).
    """
    try:
        char_boxes, chars, char_scores = word_info
        if len(char_boxes) != len(chars) or "".join(chars).strip() != text:
            raise ValueError("characters do not spell the line")
    except (TypeError, ValueError):
        return tuple((w, None, score) for w in text.split())
    from framescribe.video import missing_spaces

    x0, columns = ink if ink is not None else (0, None)
    spans = [(str(ch), min(float(p[0]) for p in b) - x0, max(float(p[0]) for p in b) - x0)
             for ch, b in zip(chars, char_boxes, strict=True)]
    breaks = set(missing_spaces(spans, columns))
    words: list[tuple[str, Box | None, float | None]] = []
    current: list[tuple[str, Any, float]] = []

    def flush() -> None:
        if current:
            word = "".join(c for c, _, _ in current)
            box = _box([p for _, b, _ in current for p in b], factor)
            words.append((word, box, sum(s for _, _, s in current) / len(current)))
            current.clear()

    for i, (ch, b, s) in enumerate(zip(chars, char_boxes, char_scores, strict=True)):
        if i in breaks:
            flush()
        if ch.isspace():
            flush()
        else:
            current.append((ch, b, float(s)))
    flush()
    return tuple(words)
