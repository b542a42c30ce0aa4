"""Test media for video tests (the core's and any reader's), made on the fly: captions over a moving picture at known times.

Nothing is checked in: the backgrounds are seeded procedural pictures, the
text uses Pillow's built-in scalable font, and ffmpeg (from imageio-ffmpeg)
encodes H.264 so the decoder sees what real videos look like.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from framescribe.media import ffmpeg_exe

FPS = 30
SIZE = (640, 360)


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str
    xy: tuple[int, int]
    size: int = 26
    fill: tuple[int, int, int] = (255, 255, 255)
    stroke: tuple[int, int, int] | None = None
    box: tuple[int, int, int] | None = None
    shadow: tuple[int, int, int] | None = None
    box_width: int | None = None  # a box (bar) this wide instead of one fitted around the text
    font: str | None = None  # a TrueType/OpenType file (collection index 2: Noto CJK's Simplified Chinese face)


@dataclass
class ClipSpec:
    captions: Sequence[Caption]
    duration: float
    size: tuple[int, int] = SIZE
    fps: int = FPS
    pan: tuple[float, float] = (30.0, 12.0)  # background motion, pixels per second
    extra: list[str] = field(default_factory=list)  # ffmpeg output options
    # A still patch (x, y, w, h) of thin diagonal stripes, like wood grain: its edges hold still while the picture
    # pans and line up like letters, but they are scenery.
    stripes: tuple[int, int, int, int] | None = None
    # A picture-in-picture (x, y, w, h) whose own picture pans at 40 pixels per second (a video beside a slide).
    inset: tuple[int, int, int, int] | None = None


def background(w: int, h: int, seed: int = 1) -> np.ndarray:
    """A photo-like picture twice the frame size: smooth colour fields with soft shapes and grain."""
    rng = np.random.default_rng(seed)
    small = rng.integers(30, 225, (h // 48 + 3, w // 48 + 3, 3), dtype=np.uint8)
    big = cv2.resize(small, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
    for _ in range(60):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        centre = (int(rng.integers(0, w * 2)), int(rng.integers(0, h * 2)))
        cv2.circle(big, centre, int(rng.integers(8, 50)), colour, -1, cv2.LINE_AA)
    big = cv2.GaussianBlur(big, (5, 5), 0)
    grain = np.asarray(rng.normal(0, 6, big.shape)).astype(np.int16)
    return np.clip(big.astype(np.int16) + grain, 0, 255).astype(np.uint8)


def caption_font(c: Caption) -> Any:
    if c.font is None:
        return ImageFont.load_default(size=c.size)
    return ImageFont.truetype(c.font, c.size, index=2 if c.font.endswith(".ttc") else 0)


def ink_bbox(c: Caption, size: tuple[int, int] = SIZE) -> tuple[int, int, int, int]:
    """The pixels the caption really covers (glyphs, outline, box): (left, top, right, bottom), right/bottom exclusive."""
    ys, xs = np.nonzero(sprite(c, *size)[:, :, 3])
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian fonts-noto-cjk (.ci/apt-packages.txt)


def sprite(c: Caption, w: int, h: int) -> np.ndarray:
    """The caption drawn on a transparent RGBA layer the size of the frame."""
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    font = caption_font(c)
    if c.box:
        left, top, right, bottom = d.textbbox(c.xy, c.text, font=font)
        right = right + 8 if c.box_width is None else left - 8 + c.box_width
        d.rectangle((left - 8, top - 6, right, bottom + 6), fill=(*c.box, 255))
    if c.shadow:
        d.text((c.xy[0] + 2, c.xy[1] + 2), c.text, font=font, fill=(*c.shadow, 255))
    kw: dict[str, Any] = {"stroke_width": 2, "stroke_fill": (*c.stroke, 255)} if c.stroke else {}
    d.text(c.xy, c.text, font=font, fill=(*c.fill, 255), **kw)
    return np.asarray(layer)[:, :, [2, 1, 0, 3]].copy()  # BGRA


def make_clip(path: Path, spec: ClipSpec) -> Path:
    w, h = spec.size
    bg = background(w, h)
    layers = [(c, sprite(c, w, h)) for c in spec.captions]
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
           "-r", str(spec.fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "30",
           "-pix_fmt", "yuv420p", *spec.extra, str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for i in range(round(spec.duration * spec.fps)):
        t = i / spec.fps
        ox, oy = int(spec.pan[0] * t) % w, int(spec.pan[1] * t) % h
        frame = bg[oy:oy + h, ox:ox + w].astype(np.float32)
        if spec.stripes:
            x, y, sw, sh = spec.stripes
            yy, xx = np.mgrid[y:y + sh, x:x + sw]
            frame[y:y + sh, x:x + sw] = np.where((((xx - yy) % 9) < 3)[..., None], (40, 60, 90), (150, 170, 200))
        if spec.inset:
            x, y, iw, ih = spec.inset
            ix = int(40 * t) % w
            frame[y:y + ih, x:x + iw] = bg[h - ih:h, ix:ix + iw]
        for c, layer in layers:
            if c.start <= t + 1e-9 < c.end:
                alpha = layer[:, :, 3:4].astype(np.float32) / 255.0
                frame = frame * (1 - alpha) + layer[:, :, :3] * alpha
        proc.stdin.write(frame.astype(np.uint8).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    return path


# The standard clip: two captions one after another at the bottom, a boxed lower third overlapping
# the second, and a corner label shown throughout.
STANDARD = ClipSpec(
    captions=[
        Caption(1.0, 3.0, "The quick brown fox jumps", (150, 300), stroke=(0, 0, 0)),
        Caption(3.5, 5.5, "Sphinx of black quartz", (170, 300), fill=(255, 225, 0), stroke=(0, 0, 0)),
        Caption(4.0, 7.0, "Officials urge calm", (40, 230), size=24, fill=(20, 20, 20), box=(235, 235, 235)),
        Caption(0.0, 8.0, "NEWS 24", (500, 20), size=28, shadow=(0, 0, 0)),
    ],
    duration=8.0,
)


def text_image(lines: Sequence[str], size: tuple[int, int] = (900, 300), font_size: int = 34) -> Image.Image:
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    for i, line in enumerate(lines):
        d.text((30, 30 + i * int(font_size * 1.8)), line, font=font, fill="black")
    return img
