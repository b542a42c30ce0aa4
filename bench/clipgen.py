"""Rendering benchmark clips with exact ground truth: text drawn over panning photographs, encoded to H.264.

A :class:`Clip` lists background shots (a photo of scikit-image's data, panned
and zoomed over time), optional picture-in-picture inset shots, and the texts
shown on top, each with its time span, position and :class:`Style`. Every
frame is rendered in Python (OpenCV for the warps, Pillow for the text, with
the TrueType fonts matplotlib ships so no system font is needed) and piped as
raw RGB into the ffmpeg binary framescribe uses (``framescribe.media.ffmpeg_exe``).

Ground truth is exact by construction: a text is visible on exactly the
frames whose presentation time lies in ``[start, end)``, and its span is
snapped to frame times before drawing, so the truth's ``start`` is the time
of the first frame showing it and ``end`` the time of the first frame after
it (or the end of the video). Times are seconds from the first frame, as a
player shows them, also for clips whose stream starts at a non-zero time.

Needs numpy, opencv-python, Pillow, scikit-image and matplotlib
(bench/requirements.txt) and framescribe itself.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageFont

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Array = npt.NDArray[Any]

# Photos shipped inside scikit-image's wheel, all public domain or CC0 (see examples/README.md).
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina")


@dataclass(frozen=True)
class Style:
    """How a text looks. Sizes are fractions of the frame height, widths fractions of the font size."""

    font: str = "DejaVuSans.ttf"  # a file in matplotlib's mpl-data/fonts/ttf, or CJK_SANS / CJK_SANS_BOLD
    size: float = 0.06
    color: RGB = (255, 255, 255)
    outline: RGB | None = None
    outline_width: float = 0.08
    box: RGBA | None = None  # a filled rectangle behind the text
    box_pad: float = 0.35
    shadow: RGB | None = None
    shadow_offset: float = 0.07
    shadow_blur: float = 0.04
    align: Literal["left", "center", "right"] = "center"
    line_spacing: float = 0.25
    opacity: float = 1.0  # below 1: a translucent watermark


@dataclass(frozen=True)
class Text:
    """``value`` shown from ``start`` to ``end`` seconds; ``anchor`` (Pillow's two letters: l/m/r, t/m/b) sits at ``pos``."""

    start: float
    end: float
    value: str
    style: Style
    pos: tuple[float, float] = (0.5, 0.92)  # fractions of the displayed frame
    anchor: str = "mb"
    # Seconds of fading in after ``start`` and out before ``end``: the truth is the span of full opacity.
    fade: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Shot:
    """A photo seen through a moving window: centre (fractions of the photo) and zoom (1 = just covers the frame)."""

    photo: str  # a name in PHOTOS, or "solid:RRGGBB" / "gradient:RRGGBB:RRGGBB" for slides
    duration: float
    start: tuple[float, float, float] = (0.5, 0.5, 1.0)
    end: tuple[float, float, float] = (0.5, 0.5, 1.0)
    ease: bool = True  # slow in and out (a camera move); False: constant speed, so the picture never stands still
    # Movement inside the picture, on top of the window's: "" none, "sway" (a near layer of foliage swaying and
    # drifting across a far one), "lights" (bright spots drifting and blinking, like a city at night)
    motion: str = ""


@dataclass(frozen=True)
class Inset:
    """A picture-in-picture window (fractions of the frame: x, y, width, height) playing its own shots."""

    rect: tuple[float, float, float, float]
    shots: tuple[Shot, ...]
    border: RGB = (255, 255, 255)


@dataclass(frozen=True)
class Occluder:
    """A dark moth-like shape that flies from ``a`` to ``b`` (fractions of the frame) between two times, over the text."""

    start: float
    end: float
    a: tuple[float, float]
    b: tuple[float, float]
    size: float = 0.06  # wing span, fraction of the frame height
    color: RGB = (70, 40, 20)


@dataclass(frozen=True)
class Clip:
    name: str
    size: tuple[int, int]  # width, height as a player shows the video
    duration: float
    shots: tuple[Shot, ...]
    texts: tuple[Text, ...]
    fps: float = 30.0
    # Variable frame rate: (seconds, fps) pieces played in turn, replacing ``fps``; rates must divide 60.
    vfr: tuple[tuple[float, float], ...] = ()
    inset: Inset | None = None
    rotation: int = 0  # display-matrix rotation written to the file (-90: a phone held upright)
    container: Literal["mp4", "ts"] = "mp4"  # MPEG-TS streams start at a non-zero time
    crf: int = 20
    shake: float = 0.0  # camera shake of the background, pixels (text overlays do not shake)
    grain: float = 0.0  # standard deviation of fresh noise added to every frame, grey levels
    occluders: tuple[Occluder, ...] = ()
    description: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def suffix(self) -> str:
        return "." + self.container

    def digest(self) -> str:
        """Changes whenever anything that shapes the output changes (used to skip up-to-date clips)."""
        blob = json.dumps([GENERATOR_VERSION, _without_defaults(asdict(self))], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


GENERATOR_VERSION = 1
# Fields added after the first clips were made: left out of the digest at their defaults, so those clips (and the
# committed demo) keep their digests.
_LATER_FIELDS = {"fade": [0.0, 0.0], "opacity": 1.0, "motion": "", "shake": 0.0, "grain": 0.0, "occluders": []}


def _without_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_defaults(v) for k, v in value.items()
                if not (k in _LATER_FIELDS and _plain(v) == _LATER_FIELDS[k])}
    if isinstance(value, (list, tuple)):
        return [_without_defaults(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value
VFR_TICK = 60  # VFR clips are timed in 1/60 s ticks, so 30, 20, 15, 12 and 10 fps are exact


def frame_times(clip: Clip) -> list[float]:
    """Presentation time of every frame, in seconds from the first frame."""
    if not clip.vfr:
        return [i / clip.fps for i in range(round(clip.duration * clip.fps))]
    times, tick = [], 0
    for seconds, fps in clip.vfr:
        step = VFR_TICK / fps
        if step != int(step):
            raise ValueError(f"VFR rate {fps} does not divide {VFR_TICK}")
        for _ in range(round(seconds * fps)):
            times.append(tick / VFR_TICK)
            tick += int(step)
    return times


def video_end(clip: Clip, times: Sequence[float]) -> float:
    """When the last frame stops being shown."""
    last_fps = clip.vfr[-1][1] if clip.vfr else clip.fps
    return times[-1] + 1 / last_fps


def snap(times: Sequence[float], t: float) -> int:
    """Index of the first frame shown at or after ``t``."""
    return bisect.bisect_left(times, t - 1e-9)


# --- fonts, photos and text sprites ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


# Noto Sans CJK (SIL Open Font License) from Debian's fonts-noto-cjk (.ci/apt-packages.txt); index 2 of the
# collection is the Simplified Chinese face.
CJK_SANS = "noto-cjk:NotoSansCJK-Regular.ttc"
CJK_SANS_BOLD = "noto-cjk:NotoSansCJK-Bold.ttc"
CJK_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
CJK_SC_INDEX = 2


@lru_cache(maxsize=64)
def load_font(name: str, px: int) -> ImageFont.FreeTypeFont:
    if name.startswith("noto-cjk:"):
        file = name.split(":", 1)[1]
        for folder in CJK_DIRS:
            if (folder / file).is_file():
                return ImageFont.truetype(str(folder / file), px, index=CJK_SC_INDEX)
        raise FileNotFoundError(f"font {file} not in {' or '.join(map(str, CJK_DIRS))} (apt-get install fonts-noto-cjk)")
    path = font_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"font {name} not in {font_dir()} (pip install matplotlib)")
    return ImageFont.truetype(str(path), px)


@lru_cache(maxsize=16)
def load_photo(name: str) -> Array:
    """An RGB uint8 photo from scikit-image's bundled data, or a generated slide background."""
    if name.startswith("solid:"):
        return np.full((16, 16, 3), _hex(name[6:]), np.uint8)
    if name.startswith("gradient:"):
        top, bottom = (np.array(_hex(h), np.float32) for h in name[9:].split(":"))
        ramp = np.linspace(0, 1, 256, dtype=np.float32)[:, None, None]
        return np.repeat((top * (1 - ramp) + bottom * ramp).round().astype(np.uint8), 16, axis=1)
    if name.startswith("texture:"):
        return texture(name[8:])
    if name not in PHOTOS:  # others may be missing from the wheel (fetched at run time) or not freely licensed
        raise ValueError(f"photo {name!r} is not one of {', '.join(PHOTOS)}")
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)


TEXTURES = ("foliage", "bark", "sky", "night")


@lru_cache(maxsize=8)
def texture(name: str) -> Array:
    """A seeded procedural picture (1800x1200 RGB) like real footage's busy backgrounds: ``TEXTURES``."""
    kind, _, seed_text = name.partition(":")
    if kind not in TEXTURES:
        raise ValueError(f"texture {kind!r} is not one of {', '.join(TEXTURES)}")
    rng = np.random.default_rng([TEXTURES.index(kind), int(seed_text or 0)])
    h, w = 1200, 1800

    def noise(cell: int, aspect: float = 1.0) -> Array:
        small = rng.random((max(2, int(h / (cell * aspect))) + 2, w // cell + 2)).astype(np.float32)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)

    if kind == "foliage":
        image, _ = _leaves(rng, w, h, 5000, fill=True)
    elif kind == "bark":
        # A tree trunk filling the view: vertical fibres, dark cracks and short glyph-like knots.
        fibre = 0.5 * noise(6, 0.08) + 0.3 * noise(24, 0.2) + 0.2 * noise(90)
        base = np.stack([60 + 70 * fibre, 80 + 80 * fibre, 100 + 90 * fibre], axis=-1)  # BGR-ish brown, as RGB below
        image = base[..., ::-1].clip(0, 255).astype(np.uint8).copy()
        for _ in range(260):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            length, width = int(rng.integers(12, 70)), int(rng.integers(2, 7))
            cv2.line(image, (x, y), (x + int(rng.integers(-4, 5)), y + length), (35, 25, 15), width, cv2.LINE_AA)
        for _ in range(80):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            axes = (int(rng.integers(4, 12)), int(rng.integers(8, 22)))
            cv2.ellipse(image, (x, y), axes, 0, 0, 360, (40, 30, 20), int(rng.integers(2, 5)), cv2.LINE_AA)
    elif kind == "sky":
        ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        top, bottom = np.array([70, 120, 200], np.float32), np.array([190, 215, 240], np.float32)
        image = np.repeat(top * (1 - ramp) + bottom * ramp, w, axis=1)
        cloud = np.clip((0.6 * noise(150) + 0.3 * noise(40) + 0.1 * noise(10) - 0.45) * 3.0, 0, 1)[..., None]
        image = (image * (1 - cloud) + 245 * cloud).clip(0, 255).astype(np.uint8)
    else:  # night: a city at night, dark with lit windows
        image = (np.stack([12 + 20 * noise(200)] * 3, axis=-1) * np.array([1.0, 1.1, 1.6])).astype(np.uint8)
        for _ in range(90):
            bx, bw = int(rng.integers(0, w)), int(rng.integers(60, 200))
            top_y = int(rng.integers(h // 4, h - 100))
            cv2.rectangle(image, (bx, top_y), (bx + bw, h), (25, 25, 35), -1)
            for _ in range(int(rng.integers(5, 40))):
                wx, wy = bx + int(rng.integers(4, max(5, bw - 8))), int(rng.integers(top_y + 4, h - 4))
                colour = tuple(int(c) for c in rng.choice([(255, 220, 150), (250, 250, 230), (255, 180, 90)]))
                cv2.rectangle(image, (wx, wy), (wx + 5, wy + 7), colour, -1)
    grain = rng.normal(0, 4, image.shape).astype(np.float32)
    return np.ascontiguousarray((image.astype(np.float32) + grain).clip(0, 255).astype(np.uint8))


def _leaves(rng: np.random.Generator, w: int, h: int, count: int, fill: bool) -> tuple[Array, Array]:
    """Leaf-shaped ellipses in greens with sunlit, nearly white ones: a picture and its coverage (0..1)."""
    image = np.zeros((h, w, 3), np.uint8)
    if fill:
        image[:] = (30, 60, 25)
    cover = np.zeros((h, w), np.uint8)
    for _ in range(count):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        axes = (int(rng.integers(10, 34)), int(rng.integers(4, 12)))
        angle = float(rng.uniform(0, 180))
        sunlit = rng.random() < 0.18
        g = int(rng.integers(150, 240)) if sunlit else int(rng.integers(60, 150))
        colour = (int(g * rng.uniform(0.7, 1.0)), g, int(g * rng.uniform(0.2, 0.9 if sunlit else 0.5)))
        cv2.ellipse(image, (x, y), axes, angle, 0, 360, colour, -1, cv2.LINE_AA)
        cv2.ellipse(cover, (x, y), axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
    return image, cover.astype(np.float32) / 255.0


@lru_cache(maxsize=4)
def near_leaves(seed: int = 0) -> tuple[Array, Array]:
    """A sparse layer of leaves (picture, coverage) that sways in front of a foliage shot."""
    return _leaves(np.random.default_rng([99, seed]), 1800, 1200, 900, fill=False)


def _hex(code: str) -> RGB:
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


@dataclass
class Sprite:
    """A text rendered once: premultiplied colour and 1 - alpha, placed at (x, y) of the displayed frame."""

    x: int
    y: int
    premultiplied: Array  # float32 h x w x 3
    keep: Array  # float32 h x w x 1: how much of the background shows through

    @property
    def box(self) -> tuple[int, int, int, int]:
        h, w = self.keep.shape[:2]
        return self.x, self.y, w, h


def render_sprite(text: Text, frame_w: int, frame_h: int) -> Sprite:
    s = text.style
    px = max(8, round(s.size * frame_h))
    font = load_font(s.font, px)
    stroke = max(1, round(s.outline_width * px)) if s.outline else 0
    spacing = round(s.line_spacing * px)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    bbox = probe.multiline_textbbox((0, 0), text.value, font=font, stroke_width=stroke, spacing=spacing, align=s.align)
    left, top, right, bottom = math.floor(bbox[0]), math.floor(bbox[1]), math.ceil(bbox[2]), math.ceil(bbox[3])
    pad = round(s.box_pad * px) if s.box else 0
    shadow_dx = max(1, round(s.shadow_offset * px)) if s.shadow else 0
    blur = s.shadow_blur * px if s.shadow else 0.0
    margin = pad + shadow_dx + math.ceil(2 * blur)
    w = right - left + 2 * margin
    h = bottom - top + 2 * margin
    origin = (margin - left, margin - top)
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if s.box:
        box_layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(box_layer).rectangle((margin - pad, margin - pad, w - margin + pad - 1, h - margin + pad - 1),
                                            fill=s.box)
        layer = Image.alpha_composite(layer, box_layer)
    if s.shadow:
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).multiline_text((origin[0] + shadow_dx, origin[1] + shadow_dx), text.value, font=font,
                                            fill=255, spacing=spacing, align=s.align)
        if blur > 0:
            mask = mask.filter(ImageFilter.GaussianBlur(blur))
        shadow = Image.new("RGBA", (w, h), (*s.shadow, 0))
        shadow.putalpha(mask)
        layer = Image.alpha_composite(layer, shadow)
    glyphs = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(glyphs).multiline_text(origin, text.value, font=font, fill=(*s.color, 255), spacing=spacing,
                                          align=s.align, stroke_width=stroke, stroke_fill=(*(s.outline or s.color), 255))
    layer = Image.alpha_composite(layer, glyphs)
    if s.box:  # trim the unused margin so the sprite box is the drawn box
        layer = layer.crop((margin - pad, margin - pad, w - margin + pad, h - margin + pad + shadow_dx))
        w, h = layer.size
    rgba = np.asarray(layer, dtype=np.float32) / 255.0
    alpha = rgba[..., 3:4]
    x = _place(text.pos[0] * frame_w, w, text.anchor[0], "lmr")
    y = _place(text.pos[1] * frame_h, h, text.anchor[1], "tmb")
    if x < 0 or y < 0 or x + w > frame_w or y + h > frame_h:
        raise ValueError(f"text {text.value!r} ({w}x{h} at {x},{y}) does not fit a {frame_w}x{frame_h} frame")
    return Sprite(x, y, rgba[..., :3] * alpha * 255.0, 1.0 - alpha)


def _place(at: float, extent: int, letter: str, letters: str) -> int:
    return round(at - extent * letters.index(letter) / 2)


def composite(frame: Array, sprite: Sprite, opacity: float = 1.0) -> None:
    x, y, w, h = sprite.box
    region = frame[y:y + h, x:x + w].astype(np.float32)
    if opacity >= 1.0:
        out = region * sprite.keep + sprite.premultiplied
    else:
        out = region * (1.0 - opacity * (1.0 - sprite.keep)) + opacity * sprite.premultiplied
    frame[y:y + h, x:x + w] = (out + 0.5).clip(0, 255).astype(np.uint8)


def opacity(text: Text, t: float) -> float:
    """How opaque ``text`` is at ``t`` (while it is shown): its fades ramp linearly."""
    fade_in, fade_out = text.fade
    level = 1.0
    if fade_in > 0:
        level = min(level, (t - text.start) / fade_in)
    if fade_out > 0:
        level = min(level, (text.end - t) / fade_out)
    return max(0.0, min(1.0, level))


def draw_occluder(frame: Array, occ: Occluder, t: float) -> None:
    """A moth-like shape (two flapping wings and a body) along its path, if it is flying at ``t``."""
    if not occ.start <= t < occ.end:
        return
    height, width = frame.shape[:2]
    u = (t - occ.start) / (occ.end - occ.start)
    cx = (occ.a[0] + (occ.b[0] - occ.a[0]) * u) * width
    cy = (occ.a[1] + (occ.b[1] - occ.a[1]) * u) * height + 0.02 * height * math.sin(10 * t)
    span = occ.size * height
    flap = 0.35 + 0.65 * abs(math.sin(18 * t))
    for side in (-1, 1):
        centre = (int(cx + side * span * 0.28), int(cy))
        cv2.ellipse(frame, centre, (int(span * 0.3), max(2, int(span * 0.25 * flap))), side * 25, 0, 360, occ.color,
                    -1, cv2.LINE_AA)
    cv2.ellipse(frame, (int(cx), int(cy)), (max(2, int(span * 0.06)), int(span * 0.2)), 0, 0, 360, (20, 15, 10), -1,
                cv2.LINE_AA)


# --- backgrounds -----------------------------------------------------------------------------------------------------


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def render_shots(shots: Sequence[Shot], t: float, width: int, height: int, shake: float = 0.0) -> Array:
    """The background at time ``t``: the shot playing then, its window eased between start and end.

    ``shake`` (pixels) moves the window by a seeded, jittery sum of sines, like a hand-held camera.
    """
    elapsed = 0.0
    shot = shots[-1]
    for candidate in shots:
        if t < elapsed + candidate.duration:
            shot = candidate
            break
        elapsed += candidate.duration
    else:
        elapsed -= shot.duration
    u = min(1.0, max(0.0, (t - elapsed) / shot.duration))
    u = _ease(u) if shot.ease else u
    cx, cy, zoom = (a + (b - a) * u for a, b in zip(shot.start, shot.end, strict=True))
    photo = load_photo(shot.photo)
    ph, pw = photo.shape[:2]
    scale = max(width / pw, height / ph) * zoom
    # Window centre kept inside the photo so the frame never shows past its edge.
    half_w, half_h = width / (2 * scale), height / (2 * scale)
    px = min(max(cx * pw, half_w), pw - half_w)
    py = min(max(cy * ph, half_h), ph - half_h)
    sx, sy = _shake(t, shake)
    matrix = np.array([[scale, 0, width / 2 - scale * px + sx], [0, scale, height / 2 - scale * py + sy]], np.float64)
    frame = cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    if shot.motion == "sway":
        leaves, cover = near_leaves()
        # The near layer is closer to the camera: it drifts faster than the window and sways in the wind.
        nx = 40.0 * (t - elapsed) + 25.0 * math.sin(1.3 * t) + 2 * sx
        ny = 12.0 * math.sin(0.9 * t + 1.0) + 2 * sy
        near = np.array([[scale * 1.3, 0, -nx], [0, scale * 1.3, -ny]], np.float64)
        layer = cv2.warpAffine(leaves, near, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        alpha = cv2.warpAffine(cover, near, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        frame = (frame * (1 - alpha[..., None]) + layer * alpha[..., None]).astype(np.uint8)
    elif shot.motion == "lights":
        rng = np.random.default_rng(7)
        n = 40
        xs, ys = rng.uniform(0, width, n), rng.uniform(0.3 * height, height, n)
        vx = rng.uniform(-60, 60, n)
        glow = np.zeros((height, width, 3), np.uint8)
        for i in range(n):
            x = int((xs[i] + vx[i] * t) % width)
            level = 0.55 + 0.45 * math.sin(3.0 * t + i)
            colour = tuple(int(c * level) for c in ((255, 240, 200) if i % 3 else (255, 160, 60)))
            cv2.circle(glow, (x, int(ys[i])), 6 + i % 9, colour, -1, cv2.LINE_AA)
        glow = cv2.GaussianBlur(glow, (0, 0), 5)
        frame = cv2.add(frame, glow)
    return frame


def _shake(t: float, amplitude: float) -> tuple[float, float]:
    if amplitude <= 0:
        return 0.0, 0.0
    x = math.sin(7.1 * t) + 0.6 * math.sin(13.7 * t + 1.0) + 0.4 * math.sin(23.3 * t + 2.0)
    y = math.sin(8.3 * t + 0.5) + 0.6 * math.sin(15.1 * t + 2.5) + 0.4 * math.sin(19.9 * t)
    return amplitude * x / 2.0, amplitude * y / 2.0


def render_frame(clip: Clip, t: float, sprites: Sequence[Sprite | tuple[Sprite, float]]) -> Array:
    """The displayed RGB frame at time ``t`` with ``sprites`` (the texts visible then, opaque or with their
    opacity) drawn on it."""
    width, height = clip.size
    frame = render_shots(clip.shots, t, width, height, clip.shake)
    if clip.inset:
        fx, fy, fw, fh = clip.inset.rect
        x, y, w, h = round(fx * width), round(fy * height), round(fw * width), round(fh * height)
        frame[y - 2:y + h + 2, x - 2:x + w + 2] = clip.inset.border
        frame[y:y + h, x:x + w] = render_shots(clip.inset.shots, t, w, h)
    for item in sprites:
        sprite, level = item if isinstance(item, tuple) else (item, 1.0)
        composite(frame, sprite, level)
    for occ in clip.occluders:
        draw_occluder(frame, occ, t)
    if clip.grain > 0:
        rng = np.random.default_rng(round(t * 1000))
        noise = rng.normal(0, clip.grain, frame.shape).astype(np.float32)
        frame = (frame.astype(np.float32) + noise).clip(0, 255).astype(np.uint8)
    return frame


# --- encoding and ground truth ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visible:
    """A text with its span snapped to frames: drawn on frames ``first`` .. ``stop - 1``.

    ``start``/``end`` are the truth: the frames where it is fully opaque (all of them for a text without fades).
    """

    text: Text
    first: int
    stop: int
    start: float
    end: float


def schedule(clip: Clip, times: Sequence[float]) -> list[Visible]:
    end_of_video = video_end(clip, times)
    out = []
    for text in clip.texts:
        first, stop = snap(times, text.start), min(snap(times, text.end), len(times))
        if stop <= first:
            raise ValueError(f"text {text.value!r} ({text.start}-{text.end} s) is on no frame of {clip.name}")
        opaque = [i for i in range(first, stop) if opacity(text, times[i]) >= 1.0 - 1e-9]
        if not opaque:
            raise ValueError(f"text {text.value!r} is never fully opaque in {clip.name}")
        end = times[opaque[-1] + 1] if opaque[-1] + 1 < len(times) else end_of_video
        out.append(Visible(text, first, stop, times[opaque[0]], end))
    return out


def truth(clip: Clip, visible: Sequence[Visible], sprites: Sequence[Sprite], times: Sequence[float]) -> dict[str, Any]:
    """The ground truth in the seeds' shape, each segment with the box it is drawn in (displayed frame pixels)."""
    rows = []
    for v, sprite in sorted(zip(visible, sprites, strict=True), key=lambda vs: (vs[0].start, vs[0].end, vs[0].text.value)):
        x, y, w, h = sprite.box
        rows.append({"start": round(v.start, 6), "end": round(v.end, 6), "value": v.text.value,
                     "box": {"x": x, "y": y, "width": w, "height": h}})
    width, height = clip.size
    return {
        "data": rows,
        "duration": round(video_end(clip, times), 6),
        "source": clip.name + clip.suffix,
        "metadata": {
            "generator": "bench/make_clips.py", "digest": clip.digest(), "width": width, "height": height,
            "fps": None if clip.vfr else clip.fps, "vfr": [list(p) for p in clip.vfr], "frames": len(times),
            "rotation": clip.rotation, "container": clip.container, "description": clip.description,
        },
    }


def ffmpeg_command(clip: Clip, stored_w: int, stored_h: int, out: Path) -> list[str]:
    from framescribe.media import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    if clip.rotation:
        # Stored pictures are turned so a player applying the display matrix shows clip.size upright.
        cmd += ["-noautorotate", "-display_rotation", str(clip.rotation)]
    rate = VFR_TICK if clip.vfr else clip.fps
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{stored_w}x{stored_h}", "-r", f"{rate:g}", "-i", "-"]
    if clip.vfr:
        cmd += ["-vf", f"setpts='{_vfr_expression(clip)}'", "-fps_mode", "passthrough"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(clip.crf), "-pix_fmt", "yuv420p"]
    cmd += ["-f", "mpegts"] if clip.container == "ts" else ["-f", "mp4", "-movflags", "+faststart"]
    return [*cmd, str(out)]


def _vfr_expression(clip: Clip) -> str:
    """setpts expression giving frame N its tick (input frames are numbered at VFR_TICK per second)."""
    pieces, first, tick = [], 0, 0
    for seconds, fps in clip.vfr:
        count, step = round(seconds * fps), int(VFR_TICK / fps)
        pieces.append((first, first + count, tick, step))
        first, tick = first + count, tick + count * step
    expr = f"{pieces[-1][2]}+(N-{pieces[-1][0]})*{pieces[-1][3]}"
    for start, stop, base, step in reversed(pieces[:-1]):
        expr = f"if(lt(N\\,{stop})\\,{base}+(N-{start})*{step}\\,{expr})"
    return expr


def _stored(frame: Array, rotation: int) -> Array:
    if rotation % 360 == 270:  # -90: shown turned clockwise, so stored turned counter-clockwise
        return cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if rotation % 360 == 90:
        return cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE)
    if rotation % 360 == 180:
        return cv2.rotate(frame, cv2.ROTATE_180)
    return frame


def build(clip: Clip, out_dir: Path, *, force: bool = False) -> tuple[Path, Path, bool]:
    """Write ``<name>.mp4|ts`` and ``<name>.truth.json`` into ``out_dir``; returns (video, truth, rebuilt).

    A clip whose truth file carries the same digest and whose video exists is left alone.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / (clip.name + clip.suffix)
    truth_path = out_dir / f"{clip.name}.truth.json"
    if not force and video.is_file() and truth_path.is_file():
        try:
            if json.loads(truth_path.read_text())["metadata"]["digest"] == clip.digest():
                return video, truth_path, False
        except (ValueError, KeyError):
            pass
    width, height = clip.size
    times = frame_times(clip)
    visible = schedule(clip, times)
    sprites = [render_sprite(v.text, width, height) for v in visible]
    stored_w, stored_h = (height, width) if clip.rotation % 180 else (width, height)
    partial = video.with_name(video.name + ".part")
    proc = subprocess.Popen(ffmpeg_command(clip, stored_w, stored_h, partial), stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for i, t in enumerate(times):
            shown = [(s, opacity(v.text, t) * v.text.style.opacity) for v, s in zip(visible, sprites, strict=True) if v.first <= i < v.stop]
            proc.stdin.write(_stored(render_frame(clip, t, shown), clip.rotation).tobytes())
        proc.stdin.close()
    except BrokenPipeError:
        pass  # ffmpeg stopped early; its exit code and message are reported below
    except BaseException:
        proc.kill()
        proc.wait()
        partial.unlink(missing_ok=True)
        raise
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed on {clip.name}: {err.strip()}")
    partial.replace(video)
    truth_path.write_text(json.dumps(truth(clip, visible, sprites, times), indent=1, ensure_ascii=False) + "\n")
    return video, truth_path, True
