"""Small sample media made on the fly, so a plugin's tests need no checked-in files.

Needs the ``video`` extra (OpenCV, NumPy): ``pip install 'framescribe[video]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_IMAGE_TEXT = "FRAMESCRIBE 42"
# (start, end, text): what the default sample video shows and when.
DEFAULT_VIDEO_TEXT: tuple[tuple[float, float, str], ...] = ((0.0, 2.0, "HELLO WORLD"), (2.0, 4.0, "SECOND CARD"))


def _frame(width: int, height: int, text: str) -> Any:
    import cv2
    import numpy as np

    frame = np.full((height, width, 3), 255, np.uint8)
    if text:
        scale = max(0.5, min(1.2, width / (22 * max(len(text), 1))))
        thickness = max(1, int(scale * 2))
        words = text.split()
        sizes = [cv2.getTextSize(w, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[0] for w in words]
        # Hershey fonts leave barely more room between words than between letters, which some
        # recognisers read as one word; a space 0.4 of the cap height, as in
        # common text faces, keeps words apart.
        cap = max(h for _, h in sizes)
        gap = cap * 2 // 5
        x = (width - sum(w for w, _ in sizes) - gap * (len(words) - 1)) // 2
        y = (height + cap) // 2
        for word, (w, _) in zip(words, sizes, strict=True):
            cv2.putText(frame, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA)
            x += w + gap
    return frame


def make_text_image(path: str | Path, text: str = DEFAULT_IMAGE_TEXT, size: tuple[int, int] = (640, 160)) -> Path:
    """Write black ``text`` centred on a white ``size`` (width, height) image; the format follows the suffix."""
    import cv2

    out = Path(path)
    if not cv2.imwrite(str(out), _frame(size[0], size[1], text)):
        raise OSError(f"OpenCV could not write {out}")
    return out


def make_text_video(
    path: str | Path,
    cards: Sequence[tuple[float, float, str]] = DEFAULT_VIDEO_TEXT,
    size: tuple[int, int] = (640, 360),
    fps: int = 10,
) -> Path:
    """Write a video showing each ``(start, end, text)`` card; blank white between cards.

    MPEG-4 Part 2 for most names; a ``.webm`` name gets VP8, which browsers play (tests of a web page).
    """
    import cv2

    out = Path(path)
    duration = max(end for _, end, _ in cards) if cards else 1.0
    codec = "VP80" if out.suffix.lower() == ".webm" else "mp4v"
    fourcc = cv2.VideoWriter_fourcc(*codec)  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(out), fourcc, fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV could not open a video writer for {out}")
    try:
        frames: dict[str, Any] = {}
        for i in range(round(duration * fps)):
            t = (i + 0.5) / fps
            text = next((c for s, e, c in cards if s <= t < e), "")
            if text not in frames:
                frames[text] = _frame(size[0], size[1], text)
            writer.write(frames[text])
    finally:
        writer.release()
    return out
