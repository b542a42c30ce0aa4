"""Media for the rapidocr tests, drawn on the fly: text on busy, photo-like backgrounds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

FONT = cv2.FONT_HERSHEY_DUPLEX


def photo_background(width: int, height: int, seed: int = 7) -> Any:
    """Smooth colour blobs plus grain: a stand-in for a photo, which defeats plain binarisation."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(6, 10, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    image += rng.integers(-25, 26, size=image.shape, dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def draw_caption(image: Any, text: str, origin: tuple[int, int], scale: float = 1.2) -> None:
    """White text with a dark outline, as subtitles are drawn."""
    cv2.putText(image, text, origin, FONT, scale, (0, 0, 0), 6, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, scale, (255, 255, 255), 2, cv2.LINE_AA)


@pytest.fixture
def make_photo_with_text(tmp_path: Path) -> Callable[..., Path]:
    def make(lines: Sequence[tuple[str, tuple[int, int]]], size: tuple[int, int] = (800, 450), name: str = "photo.png",
             scale: float = 1.2) -> Path:
        image = photo_background(*size)
        for text, origin in lines:
            draw_caption(image, text, origin, scale)
        path = tmp_path / name
        cv2.imwrite(str(path), image)
        return path

    return make


@pytest.fixture
def make_captioned_video(tmp_path: Path) -> Callable[..., Path]:
    """A video whose photo background pans while captions stay put (or scroll, with scroll=True)."""

    def make(cards: Sequence[tuple[float, float, str]], duration: float = 4.0, size: tuple[int, int] = (640, 360),
             fps: int = 10, scroll: bool = False, name: str = "captioned.mp4") -> Path:
        width, height = size
        wide = photo_background(width * 2, height, seed=11)
        path = tmp_path / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)  # type: ignore[attr-defined]
        for i in range(round(duration * fps)):
            t = (i + 0.5) / fps
            x0 = int(i * 6) % width
            frame = np.ascontiguousarray(wide[:, x0:x0 + width])
            for start, end, text in cards:
                if start <= t < end:
                    x = 40 + (int((t - start) * 60) if scroll else 0)
                    draw_caption(frame, text, (x, height - 50))
            writer.write(frame)
        writer.release()
        return path

    return make
