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

    font: str = "DejaVuSans.ttf"  # a file in matplotlib's mpl-data/fonts/ttf
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


@dataclass(frozen=True)
class Text:
    """``value`` shown from ``start`` to ``end`` seconds; ``anchor`` (Pillow's two letters: l/m/r, t/m/b) sits at ``pos``."""

    start: float
    end: float
    value: str
    style: Style
    pos: tuple[float, float] = (0.5, 0.92)  # fractions of the displayed frame
    anchor: str = "mb"


@dataclass(frozen=True)
class Shot:
    """A photo seen through a moving window: centre (fractions of the photo) and zoom (1 = just covers the frame)."""

    photo: str  # a name in PHOTOS, or "solid:RRGGBB" / "gradient:RRGGBB:RRGGBB" for slides
    duration: float
    start: tuple[float, float, float] = (0.5, 0.5, 1.0)
    end: tuple[float, float, float] = (0.5, 0.5, 1.0)
    ease: bool = True  # slow in and out (a camera move); False: constant speed, so the picture never stands still


@dataclass(frozen=True)
class Inset:
    """A picture-in-picture window (fractions of the frame: x, y, width, height) playing its own shots."""

    rect: tuple[float, float, float, float]
    shots: tuple[Shot, ...]
    border: RGB = (255, 255, 255)


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
    description: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def suffix(self) -> str:
        return "." + self.container

    def digest(self) -> str:
        """Changes whenever anything that shapes the output changes (used to skip up-to-date clips)."""
        blob = json.dumps([GENERATOR_VERSION, asdict(self)], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


GENERATOR_VERSION = 1
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


@lru_cache(maxsize=64)
def load_font(name: str, px: int) -> ImageFont.FreeTypeFont:
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
    if name not in PHOTOS:  # others may be missing from the wheel (fetched at run time) or not freely licensed
        raise ValueError(f"photo {name!r} is not one of {', '.join(PHOTOS)}")
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)


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


def composite(frame: Array, sprite: Sprite) -> None:
    x, y, w, h = sprite.box
    region = frame[y:y + h, x:x + w].astype(np.float32)
    frame[y:y + h, x:x + w] = (region * sprite.keep + sprite.premultiplied + 0.5).clip(0, 255).astype(np.uint8)


# --- backgrounds -----------------------------------------------------------------------------------------------------


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def render_shots(shots: Sequence[Shot], t: float, width: int, height: int) -> Array:
    """The background at time ``t``: the shot playing then, its window eased between start and end."""
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
    matrix = np.array([[scale, 0, width / 2 - scale * px], [0, scale, height / 2 - scale * py]], np.float64)
    return cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def render_frame(clip: Clip, t: float, sprites: Sequence[Sprite]) -> Array:
    """The displayed RGB frame at time ``t`` with ``sprites`` (the texts visible then) drawn on it."""
    width, height = clip.size
    frame = render_shots(clip.shots, t, width, height)
    if clip.inset:
        fx, fy, fw, fh = clip.inset.rect
        x, y, w, h = round(fx * width), round(fy * height), round(fw * width), round(fh * height)
        frame[y - 2:y + h + 2, x - 2:x + w + 2] = clip.inset.border
        frame[y:y + h, x:x + w] = render_shots(clip.inset.shots, t, w, h)
    for sprite in sprites:
        composite(frame, sprite)
    return frame


# --- encoding and ground truth ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visible:
    """A text with its span snapped to frames: shown on frames ``first`` .. ``stop - 1``."""

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
        end = times[stop] if stop < len(times) else end_of_video
        out.append(Visible(text, first, stop, times[first], end))
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
            shown = [s for v, s in zip(visible, sprites, strict=True) if v.first <= i < v.stop]
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
