"""Decoding sampled frames with PyAV, in a thread of their own.

PyAV with FFmpeg's own frame threading decodes as fast as ``ffmpeg -f null``
on this kind of machine (measured: 1.11 s vs 1.12 s for 12 s of 720p H.264,
OpenCV's grab() 1.13 s, unthreaded PyAV 1.76 s) when nothing else runs; the
pipeline chooses the number of threads (``threads``), since frame threading
costs more CPU in all. Unlike OpenCV it gives
each frame's presentation time, so variable frame rate is handled. Only the
sampled frames are converted to arrays; the frames decoded between two
samples are kept as cheap references so the pipeline can find the exact
frame where a text appears or disappears without decoding again.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from ..errors import BadInput
from ..images import check_not_still_image

Image = npt.NDArray[Any]  # uint8 pictures; OpenCV's stubs type results loosely
_HINT = "check that the file is a complete video (try playing it, or re-encode it with ffmpeg)"


@dataclass
class Sample:
    """A sampled frame: its time (seconds from the start of the video) and its displayed picture.

    The colour picture is converted only where it is asked for: :meth:`colour`
    converts just a part of it, :attr:`image` the whole frame (once). The
    pipeline needs colour only around the texts it tracks, about a tenth of
    the picture, and converting every sample whole cost about as much CPU as
    finding text in it.
    """

    index: int
    time: float
    gray: Image  # luma of the displayed frame
    frame: Any = field(repr=False)  # the decoded av.VideoFrame
    rotation: int = 0  # degrees counterclockwise a player turns ``frame``
    between: list[tuple[float, Any]] = field(default_factory=list)  # (time, av.VideoFrame) decoded since the last sample
    end_time: float | None = None  # set on the last sample: when the video (or the range) ends
    _image: Image | None = field(default=None, init=False, repr=False)

    @property
    def image(self) -> Image:
        """The whole frame in colour (BGR), turned as a player shows it."""
        if self._image is None:
            self._image = to_display(self.frame, self.rotation)
        return self._image

    def colour(self, x: int, y: int, x2: int, y2: int) -> Image:
        """``image[y:y2, x:x2]`` (a copy), the same pixels, converting only that part when the frame allows it."""
        return self.colour_later(x, y, x2, y2).bgr()

    def colour_later(self, x: int, y: int, x2: int, y2: int) -> ColourCrop:
        """Like :meth:`colour`, but converted only when its ``bgr()`` is first called (in any thread)."""
        if self._image is None and self.rotation == 0:
            part = ColourCrop.cut(self.frame, x, y, x2, y2)
            if part is not None:
                return part
        return ColourCrop(self.image[y:y2, x:x2].copy())


@dataclass(frozen=True)
class VideoInfo:
    width: int  # of the displayed (rotated) frame
    height: int
    duration: float | None
    fps: float | None
    rotation: int  # degrees counterclockwise a player turns the decoded picture


_LUMA_FIRST = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}


def luma(frame: Any, rotation: int) -> Image:
    """The grey picture of a decoded frame, turned for display.

    For 8-bit YUV frames that is the Y plane as it is, which costs a copy
    instead of a colour conversion: refining boundaries looks at many frames.
    """
    return np.ascontiguousarray(luma_view(frame, rotation))


def luma_view(frame: Any, rotation: int) -> Image:
    """Like :func:`luma` but without copying: crop it, then copy the crop."""
    if frame.format.name in _LUMA_FIRST:
        plane = frame.planes[0]
        arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
    else:
        arr = frame.to_ndarray(format="gray")
    if rotation:
        arr = np.rot90(arr, rotation // 90)  # counterclockwise, as the display matrix says
    return arr


def to_display(frame: Any, rotation: int) -> Image:
    """A decoded frame as an array, turned the way a player shows it."""
    return _turn(_reformatter(frame.width, frame.height).reformat(frame, format="bgr24", threads=1).to_ndarray(), rotation)


# 4:2:0 frames whose crops convert exactly like the whole frame: FFmpeg's unscaled YUV-to-RGB conversion works on
# pairs of lines and columns that share one chroma sample, so a crop on even coordinates gives the same pixels.
_CROPPABLE = {"yuv420p", "yuvj420p"}
_local = threading.local()
_MAX_REFORMATTERS = 32


def _reformatter(width: int, height: int) -> Any:
    """This thread's converter for pictures of this size.

    PyAV's ``to_ndarray`` makes a new one per call, which sets up FFmpeg's
    scaler and starts its slice threads every time: about a quarter of the
    conversion's cost for a whole 720p frame, most of it for a small crop.
    """
    cache: dict[tuple[int, int], Any] = _local.__dict__.setdefault("reformatters", {})
    found = cache.get((width, height))
    if found is None:
        if len(cache) >= _MAX_REFORMATTERS:
            cache.clear()
        found = cache[(width, height)] = VideoReformatter()
    return found


def colour_crop(frame: Any, x: int, y: int, x2: int, y2: int) -> Image | None:
    """``frame.to_ndarray(format="bgr24")[y:y2, x:x2]`` converting only that part; None for frames it cannot crop.

    The crop is widened to even coordinates (whole chroma samples), converted with the same FFmpeg conversion
    as the whole frame, then trimmed: the pixels are the same (a test compares them).
    """
    part = ColourCrop.cut(frame, x, y, x2, y2)
    return None if part is None else part.bgr()


class ColourCrop:
    """A part of a decoded frame, kept as its YUV planes and converted to colour when first asked for.

    Cutting the planes out is a copy; converting costs about ten times as
    much. The pipeline keeps up to twice the crops of a text it uses
    (thinning them as the text stays on screen) and wants colour only for
    those it reads, in the reader threads: so the conversion waits until
    then. Made from a converted picture, it just holds it.
    """

    __slots__ = ("_bgr", "_colorspace", "_format", "_packed", "_range", "_trim")

    def __init__(self, bgr: Image | None = None, *, packed: Image | None = None, pixel_format: str = "",
                 colorspace: Any = None, color_range: Any = None, trim: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        self._bgr = bgr
        self._packed = packed  # FFmpeg's 4:2:0 layout of the even-aligned crop: Y, then U and V at a quarter each
        self._format, self._colorspace, self._range = pixel_format, colorspace, color_range
        self._trim = trim  # rows and columns of the even-aligned crop that were asked for

    @classmethod
    def cut(cls, frame: Any, x: int, y: int, x2: int, y2: int) -> ColourCrop | None:
        """``frame``'s pixels ``[y:y2, x:x2]``, not yet converted; None for frames that cannot be cut this way."""
        w, h = frame.width, frame.height
        if frame.format.name not in _CROPPABLE or w % 2 or h % 2:
            return None
        x, y, x2, y2 = max(0, x), max(0, y), min(w, x2), min(h, y2)
        if x2 <= x or y2 <= y:
            return cls(np.zeros((max(0, y2 - y), max(0, x2 - x), 3), np.uint8))
        ex, ey = x & ~1, y & ~1
        ex2, ey2 = min(w, x2 + (x2 & 1)), min(h, y2 + (y2 & 1))
        cw, ch = ex2 - ex, ey2 - ey
        planes = [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size) for p in frame.planes]
        packed = np.empty((ch * 3 // 2, cw), np.uint8)
        packed[:ch] = planes[0][ey:ey2, ex:ex2]
        chroma = packed[ch:].reshape(-1)
        quarter = (ch // 2) * (cw // 2)
        chroma[:quarter] = planes[1][ey // 2:ey2 // 2, ex // 2:ex2 // 2].reshape(-1)
        chroma[quarter:] = planes[2][ey // 2:ey2 // 2, ex // 2:ex2 // 2].reshape(-1)
        return cls(packed=packed, pixel_format=frame.format.name, colorspace=frame.colorspace,
                   color_range=frame.color_range, trim=(y - ey, y2 - ey, x - ex, x2 - ex))

    def bgr(self) -> Image:
        """The crop in colour (BGR), converted once."""
        if self._bgr is None:
            assert self._packed is not None
            part = VideoFrame.from_ndarray(self._packed, format=self._format)
            part.colorspace = self._colorspace
            part.color_range = self._range
            ch, cw = self._packed.shape[0] * 2 // 3, self._packed.shape[1]
            y0, y1, x0, x1 = self._trim
            whole = _reformatter(cw, ch).reformat(part, format="bgr24", threads=1).to_ndarray()
            self._bgr, self._packed = np.ascontiguousarray(whole[y0:y1, x0:x1]), None
        return self._bgr


def _turn(arr: Image, rotation: int) -> Image:
    if rotation == 90:
        return cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if rotation == 180:
        return cv2.rotate(arr, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(arr, cv2.ROTATE_90_CLOCKWISE)
    return arr


def _open(path: Path) -> Any:
    if not path.exists():
        raise BadInput(f"video {path} does not exist")
    if path.is_dir():
        raise BadInput(f"video {path} is a directory, not a file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except PermissionError:
        raise BadInput(f"video {path} is not readable (permission denied)") from None
    if size == 0:
        raise BadInput(f"video {path} is empty (0 bytes)")
    check_not_still_image(path)  # ffmpeg would read it as a one-frame video
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise BadInput(f"{path} is not a video ffmpeg can read ({_short(exc)})", hint=_HINT) from None
    if not container.streams.video:
        kinds = sorted({str(s.type) for s in container.streams}) or ["nothing"]
        container.close()
        raise BadInput(f"{path} has no video stream (it holds {', '.join(kinds)})",
                       hint="video_text needs a video; for speech use `framescribe transcribe`")
    return container


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def _rotation(stream: Any, frame: Any) -> int:
    rot = getattr(frame, "rotation", None)
    if rot is None:
        try:
            rot = int(stream.metadata.get("rotate", 0))
        except ValueError:
            rot = 0
    return int(round(rot / 90.0) * 90) % 360


def _start_offset(container: Any, stream: Any) -> float:
    if stream.start_time is not None and stream.time_base:
        return float(stream.start_time * stream.time_base)
    return 0.0


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Size, duration and rotation of the first video stream of ``path`` (a str or path-like); BadInput when it
    cannot be decoded."""
    path = Path(path)
    with _open(path) as container:
        return _probe(container, path)[0]


def _probe(container: Any, path: Path) -> tuple[VideoInfo, Any, Iterator[Any]]:
    """What :func:`probe_video` tells, from an open container; with the first frame and the decoder that made it,
    so a reader that starts at the beginning goes on decoding from there instead of opening the file again."""
    stream = container.streams.video[0]
    frames = container.decode(stream)
    try:
        frame = next(frames)
    except StopIteration:
        raise BadInput(f"{path} has a video stream but no frame could be decoded", hint=_HINT) from None
    except av.error.FFmpegError as exc:
        raise BadInput(f"{path} is corrupt: its first frame cannot be decoded ({_short(exc)})", hint=_HINT) from None
    rot = _rotation(stream, frame)
    w, h = (frame.height, frame.width) if rot in (90, 270) else (frame.width, frame.height)
    duration = None
    if container.duration:
        duration = container.duration / 1_000_000
    elif stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    rate = stream.average_rate or stream.guessed_rate
    return VideoInfo(w, h, duration, float(rate) if rate else None, rot), frame, frames


@dataclass
class _DecodeState:
    """Where :meth:`SampleReader._decode` is in the video."""

    next_at: float  # time of the next sample
    frame_step: float  # shortest time between two frames seen: the last frame's duration
    index: int = 0  # of the next sample
    between: list[tuple[float, Any]] = field(default_factory=list)
    pending: Sample | None = None  # the last sample, held back until the next (the last one gets the end time)
    last_t: float | None = None
    rotation: int | None = None


class SampleReader:
    """Decodes ``path`` from ``start`` to ``end`` in a background thread and yields samples every ``step`` seconds.

    Iterate it once; it stops its thread when the iteration ends or is
    abandoned. ``decoded`` counts every frame decoded. With
    ``skip_nonref`` the decoder skips the frames no other frame is predicted
    from (most B-frames): about half the frames of a typical H.264 file, and
    40 % of the decoding time; samples and the frames between them then come
    from the frames that remain, a frame or two apart. ``info`` is the
    :class:`VideoInfo` of the file, known once the reader is made (the file is
    opened once, for both); call :meth:`close` if it is never iterated.
    ``threads``: FFmpeg's decoding threads, 0 for its own choice (frame
    threading over every core).
    """

    def __init__(self, path: str | os.PathLike[str], step: float, start: float | None = None, end: float | None = None,
                 keep_between: bool = True, queue_size: int = 4, skip_nonref: bool = False, threads: int = 0) -> None:
        path = self.path = Path(path)
        self.step = step
        self.start = start or 0.0
        self.end = end
        self.keep_between = keep_between
        self.skip_nonref = skip_nonref
        self.decoded = 0
        self.rotation = 0
        self.last_time: float | None = None
        self._queue: queue.Queue[Sample | BaseException | None] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._container = _open(path)
        try:
            stream = self._container.streams.video[0]
            # Before the first frame is decoded: the codec takes these when it opens.
            stream.thread_type = "AUTO"
            if threads:
                stream.codec_context.thread_count = threads
            if skip_nonref:
                stream.codec_context.skip_frame = "NONREF"
            self.info, first, rest = _probe(self._container, path)
        except BaseException:
            self._container.close()
            raise
        self._head: Iterator[Any] = itertools.chain([first], rest)

    def close(self) -> None:
        """Close the file; only needed when the reader is never iterated."""
        self._container.close()

    def __iter__(self) -> Iterator[Sample]:
        thread = threading.Thread(target=self._run, name="framescribe-decode", daemon=True)
        thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            while thread.is_alive():  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    thread.join(0.05)
            self._container.close()

    def _put(self, item: Sample | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            self._decode()
        except BaseException as exc:
            self._put(exc)

    def _decode(self) -> None:
        container = self._container
        stream = container.streams.video[0]
        offset = _start_offset(container, stream)
        # From the start, decoding goes on from the frame the probe decoded; after a seek, from the seek point.
        frames = self._head if self.start <= 0 else itertools.chain(self._seek(container, stream, offset),
                                                                    container.decode(stream))
        state = _DecodeState(next_at=self.start,
                             frame_step=1.0 / float(stream.average_rate) if stream.average_rate else 1 / 30)
        try:
            for frame in frames:
                if self._stop.is_set():
                    return
                t = self._frame_time(frame, offset, state.last_t)
                if t is None:
                    continue
                if self.end is not None and t >= self.end:
                    break
                self._count(stream, frame, t, state)
                if t + 1e-6 >= state.next_at:
                    if not self._emit_sample(frame, t, state):
                        return
                elif self.keep_between:
                    state.between.append((t, frame))
        except av.error.FFmpegError as exc:
            if state.last_t is None:
                raise BadInput(f"{self.path} is corrupt: no frame could be decoded ({_short(exc)})", hint=_HINT) from None
            raise BadInput(f"{self.path} is corrupt or truncated: decoding failed after {state.last_t:.2f} s "
                           f"({_short(exc)})", hint=_HINT) from None
        self._finish(state)

    def _frame_time(self, frame: Any, offset: float, last_t: float | None) -> float | None:
        """Seconds of ``frame`` from the start of the video, or None for a frame to pass over."""
        if frame.pts is None or frame.time is None:
            return None
        t = float(frame.time) - offset
        if last_t is not None and t <= last_t:
            return None  # duplicate or out-of-order timestamps after a seek
        if t < self.start - 1e-6:
            return None
        return t

    def _count(self, stream: Any, frame: Any, t: float, state: _DecodeState) -> None:
        """Book-keeping for every frame decoded in range: the count, the rotation, the shortest frame step."""
        self.decoded += 1
        if state.rotation is None:
            state.rotation = self.rotation = _rotation(stream, frame)
        if state.last_t is not None and t - state.last_t > 0:
            state.frame_step = min(state.frame_step, t - state.last_t)
        state.last_t = t

    def _emit_sample(self, frame: Any, t: float, state: _DecodeState) -> bool:
        """Make ``frame`` the next sample and hand over the one before; False when the consumer stopped."""
        rotation = state.rotation or 0
        sample = Sample(state.index, t, luma(frame, rotation), frame, rotation, state.between)
        state.index += 1
        state.between = []
        while state.next_at <= t + 1e-6:
            state.next_at += self.step
        if state.pending is not None and not self._put(state.pending):
            return False
        state.pending = sample
        return True

    def _finish(self, state: _DecodeState) -> None:
        """After the last frame: the last sample (and the tail of frames after it) with the end time, then the end."""
        pending, last_t = state.pending, state.last_t
        if pending is None:
            where = f" between {self.start:g} s and {self.end:g} s" if self.end is not None else f" after {self.start:g} s"
            if self.start > 0 or self.end is not None:
                raise BadInput(f"{self.path} has no video frames{where}", hint="check --start/--end against the video's length")
            raise BadInput(f"{self.path} has a video stream but no frame could be decoded", hint=_HINT)
        self._check_complete(last_t)
        assert last_t is not None
        self.last_time = last_t
        end_time = last_t + state.frame_step
        if self.end is not None:
            end_time = min(end_time, self.end)
        pending.end_time = end_time
        if state.between:
            # Frames after the last sample: the tail of the video, kept for refining the last boundaries.
            rotation = state.rotation or 0
            t_last, last_frame = state.between[-1]
            tail = Sample(state.index, t_last, luma(last_frame, rotation), last_frame, rotation, state.between[:-1],
                          end_time)
            pending.end_time = None
            if self._put(pending):
                self._put(tail)
        else:
            self._put(pending)
        self._put(None)

    def _seek(self, container: Any, stream: Any, offset: float) -> list[Any]:
        """Seek to the keyframe before ``start``; returns the frames already decoded to check where it landed.

        Containers without an index (MPEG-TS) seek by guessing a byte
        position and can land after ``start``: then seek further back, and
        in the end decode from the beginning.
        """
        if self.start <= 0 or not stream.time_base:
            return []
        for back in (0.0, 5.0, 30.0, None):
            try:
                if back is None:
                    container.seek(0, stream=stream)
                    return []
                target = int((max(0.0, self.start - back) + offset) / stream.time_base)
                container.seek(target, stream=stream, backward=True, any_frame=False)
                for frame in container.decode(stream):
                    if frame.pts is not None and frame.time is not None:
                        if float(frame.time) - offset <= self.start + 1e-3:
                            return [frame]
                        break
                else:
                    continue  # nothing after the seek point at all
            except av.error.FFmpegError:
                continue
        return []

    def _check_complete(self, last_t: float | None) -> None:
        # A file cut short still opens when its index is at the front; its
        # frames just stop. Compare with the duration the container claims.
        container = self._container
        if self.end is not None or last_t is None or not container.duration:
            return
        claimed = container.duration / 1_000_000
        if claimed > 2.0 and last_t < claimed * 0.9 - 1.0:
            raise BadInput(
                f"{self.path} is truncated: its frames stop at {last_t:.2f} s but the file claims {claimed:.2f} s",
                hint=_HINT,
            )
