"""Bitmap subtitle tracks (PGS, VobSub, DVB): each picture with its timing, read by the image_ocr chain.

PyAV decodes a track into events: a set of palette images ("rects") placed on
the track's canvas, which need not be the video's size. An event shows from its
time until its duration runs out or the next event replaces or clears it (PGS
says "gone" only that way). Each event's rects are put together on a page of
their own and made into what OCR reads best: subtitle pictures are light
letters with a dark outline on a transparent background, in a palette of a few
colours, so the letters' colour is found and drawn dark on white, the outline
and background white, then the page enlarged when the letters are small.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from framescribe import BackendUnavailable, Segment
from framescribe.media import ffmpeg_exe

from .palettes import PgsPalettes, Tones, vobsub_palette, vobsub_tones

BITMAP_CODECS = frozenset({"hdmv_pgs_subtitle", "pgssub", "dvd_subtitle", "dvdsub", "dvb_subtitle", "dvbsub", "xsub"})
PALETTE_CODECS = frozenset({"hdmv_pgs_subtitle", "pgssub", "dvd_subtitle", "dvdsub"})  # palettes.py reads these
NO_END = 0xFFFFFFFF  # end_display_time of a subtitle whose end is the next one
MIN_LETTER_ROWS = 60  # pages shorter than this are enlarged (Tesseract reads letters 20+ pixels high best)

# Reads the text of one image file (the image_ocr chain); language as given to the backend.
ReadImage = Callable[[Path, str | None], str]


@dataclass
class BitmapEvent:
    start: float
    end: float
    page: Any  # numpy uint8 array, dark letters on white


def read_bitmap_track(video: Path, stream_index: int, read_image: ReadImage, language: str | None,
                      progress: Callable[[int, int, str], None] | None = None,
                      start: float | None = None, end: float | None = None) -> list[Segment]:
    """The events of bitmap subtitle track ``stream_index`` of ``video``, each read by ``read_image``.

    Only events showing between ``start`` and ``end`` (seconds) are read: OCR is the cost here.
    """
    segments = []
    with tempfile.TemporaryDirectory(prefix="framescribe-subtitles-") as folder:
        events = [e for e in bitmap_events(*_with_known_palette(video, stream_index, Path(folder)))
                  if (end is None or e.start < end) and (start is None or e.end > start)]
        if not events:
            raise BackendUnavailable(f"{video}: bitmap subtitle track #{stream_index} shows no pictures")
        for n, event in enumerate(events):
            image = Path(folder) / f"event{n:05d}.png"
            _write_png(image, event.page)
            text = "\n".join(line.strip() for line in read_image(image, language).splitlines() if line.strip())
            image.unlink()
            if text:
                segments.append(Segment(event.start, event.end, text))
            if progress is not None:
                progress(n + 1, len(events), f"bitmap subtitle {n + 1}/{len(events)}")
    return segments


def _with_known_palette(video: Path, stream_index: int, folder: Path) -> tuple[Path, int, Fraction]:
    """The track itself when we can read its palette (PGS, VobSub), else the track re-encoded to VobSub by ffmpeg.

    With the time the video's start counts from: the re-encoded track keeps the video's timestamps (-copyts).
    """
    import av

    with av.open(str(video)) as container:
        codec = container.streams[stream_index].codec_context.name
        origin = Fraction(container.start_time or 0, 1_000_000)
    if codec in PALETTE_CODECS:
        return video, stream_index, origin
    import ffmpeg

    out = folder / "track.mkv"
    try:
        (ffmpeg.input(str(video), copyts=None)
         .output(str(out), map=f"0:{stream_index}", **{"c:s": "dvdsub"})
         .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
         .run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True))
    except ffmpeg.Error as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise BackendUnavailable(f"{video}: ffmpeg could not turn bitmap subtitle track #{stream_index} ({codec}) into "
                                 f"pictures: {detail[-1] if detail else 'no message'}") from None
    return out, 0, origin


def bitmap_events(video: Path, stream_index: int, origin: Fraction | None = None) -> Iterator[BitmapEvent]:
    """Each picture of the track with its start and end in seconds from ``origin`` (default: the file's start)."""
    import av

    with av.open(str(video)) as container:
        stream: Any = container.streams[stream_index]
        codec = stream.codec_context.name
        time_base = Fraction(stream.time_base)
        if origin is None:
            origin = Fraction(container.start_time or 0, 1_000_000)
        pgs = PgsPalettes()
        lumas = vobsub_palette(stream.codec_context.extradata)
        pending: tuple[float, float | None, Any] | None = None  # start, end if known, page
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            data = bytes(packet)
            tones = pgs.update(data) if codec in ("hdmv_pgs_subtitle", "pgssub") else vobsub_tones(data, lumas)
            try:
                decoded = stream.codec_context.decode2(packet)
            except av.error.FFmpegError:
                continue  # a damaged packet loses its picture, not the track
            if decoded is None:
                continue
            at = float(packet.pts * time_base - origin) + decoded.start_display_time / 1000
            if pending is not None:
                start, end, page = pending
                yield BitmapEvent(start, min(end, at) if end is not None else at, page)
                pending = None
            rects = [r for r in decoded if getattr(r, "type", b"") == b"bitmap" and r.width > 0 and r.height > 0]
            if not rects:
                continue  # a "clear the screen" event
            pending = (at, _end_of(packet, decoded, time_base, at), compose(rects, tones))
        if pending is not None:
            start, end, page = pending
            duration = float(container.duration / 1_000_000) if container.duration else start + 5
            yield BitmapEvent(start, end if end is not None else max(duration, start), page)


def _end_of(packet: Any, decoded: Any, time_base: Fraction, start: float) -> float | None:
    # The container's duration is exact; the decoder's end_display_time is rounded (VobSub) or a
    # time-out (DVB); PGS has neither and ends at the next event.
    if packet.duration and packet.duration != NO_END:
        return start + float(packet.duration * time_base)
    if decoded.end_display_time and decoded.end_display_time != NO_END:
        return start + (decoded.end_display_time - decoded.start_display_time) / 1000
    return None


def compose(rects: list[Any], tones: Tones) -> Any:
    """The rects of one event on one page (their positions kept), as dark letters on white."""
    import numpy as np

    left = min(r.x for r in rects)
    top = min(r.y for r in rects)
    width = max(r.x + r.width for r in rects) - left
    height = max(r.y + r.height for r in rects) - top
    luma = np.zeros((height, width), np.uint8)
    alpha = np.zeros((height, width), np.uint8)
    lut = np.zeros((256, 2), np.uint8)  # indices the palette does not name stay transparent
    for index, (y, a) in tones.items():
        lut[index & 0xFF] = (y, a)
    for rect in rects:
        plane = next(iter(rect))
        indices = np.frombuffer(memoryview(plane)[: rect.width * rect.height], np.uint8).reshape(rect.height, rect.width)
        x, y = rect.x - left, rect.y - top
        luma[y:y + rect.height, x:x + rect.width] = lut[indices, 0]
        alpha[y:y + rect.height, x:x + rect.width] = lut[indices, 1]
    return letters_dark_on_white(luma, alpha)


def letters_dark_on_white(luma: Any, alpha_8: Any) -> Any:
    """Greyscale page with the letters dark and the outline and background white, enlarged if small."""
    import cv2
    import numpy as np

    alpha = alpha_8.astype(np.float32) / 255
    grey = luma.astype(np.float32)
    opaque = (alpha > 0.5).astype(np.uint8)
    light = grey > 127
    share = float(light[opaque > 0].mean()) if opaque.any() else 1.0
    if 0.1 < share < 0.9:
        # Two tones: letters and their outline. The outline is what touches the transparent
        # background, so the letters are the other tone.
        edge = (opaque > 0) & (cv2.erode(opaque, np.ones((3, 3), np.uint8)) == 0)
        letters_light = not bool(light[edge].mean() > 0.5)
    else:
        letters_light = share >= 0.5
    # Over a background of the outline's tone, the outline melts into it and only the letters stand out.
    background = 0.0 if letters_light else 255.0
    flat = grey * alpha + background * (1 - alpha)
    page = 255 - flat if letters_light else flat
    page = np.clip(page, 0, 255).astype(np.uint8)
    page = cv2.copyMakeBorder(page, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=255)
    if page.shape[0] < MIN_LETTER_ROWS * 2:
        page = cv2.resize(page, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return page


def _write_png(path: Path, page: Any) -> None:
    import cv2

    if not cv2.imwrite(str(path), page):
        raise OSError(f"OpenCV could not write {path}")
