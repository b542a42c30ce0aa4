"""Reading a video's audio as 16 kHz mono windows, decoded as it is needed.

faster-whisper would decode the whole soundtrack into memory first (and build
its spectrogram from all of it), so memory would grow with the length of the
media. Here PyAV decodes only the requested range, and the audio is handed on in
windows of at most ``window_seconds``. After each window the reader is told
where the next one starts (:meth:`AudioWindows.resume_at`): the recogniser
chooses that point the way whisper chooses its own next 30 s chunk, so the audio
after it is read again rather than lost. Memory stays about one window, however
long the media is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from framescribe import BadInput

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Window:
    """``samples`` (float32, 16 kHz mono) starting ``offset`` seconds into the media; ``last``: nothing follows."""

    offset: float
    samples: np.ndarray
    last: bool

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass
class AudioWindows:
    """The audio of ``path`` between ``start`` and ``end`` seconds, as :class:`Window` s of at most ``window_seconds``."""

    path: Path
    start: float | None = None
    end: float | None = None
    window_seconds: float = 60.0
    duration: float | None = field(default=None, init=False)  # of the media, when the container says
    _resume: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        import av

        try:
            self._container: Any = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise BadInput(f"{self.path} is not a media file ffmpeg can read ({exc})",
                           hint="check the file is a complete video or audio file") from None
        if not self._container.streams:
            self._container.close()
            raise BadInput(f"{self.path} is not a media file ffmpeg can read (no audio or video streams: damaged or truncated?)",
                           hint="check the file is a complete video or audio file") from None
        if not self._container.streams.audio:
            self._container.close()
            raise BadInput(f"{self.path} has no audio track: there is no speech to transcribe",
                           hint="for text shown on screen use `framescribe video-text`") from None
        self._stream = self._container.streams.audio[0]
        if self._container.duration:
            self.duration = self._container.duration / 1_000_000
        if self.start is not None and self.duration is not None and self.start >= self.duration:
            self._container.close()
            raise BadInput(f"start {self.start:g} s is past the end of {self.path} ({self.duration:.1f} s)")

    @property
    def span(self) -> float | None:
        """Seconds of audio the windows will cover, when the duration is known."""
        if self.duration is None:
            return None
        end = self.duration if self.end is None else min(self.end, self.duration)
        return max(0.0, end - (self.start or 0.0))

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AudioWindows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resume_at(self, seconds: float) -> None:
        """Start the next window at ``seconds`` (media time) instead of right after the current one."""
        self._resume = seconds

    def __iter__(self) -> Iterator[Window]:
        size = int(self.window_seconds * SAMPLE_RATE)
        source = self._samples()
        pending: list[np.ndarray] = []
        pending_len = 0
        offset: float | None = None  # time of pending's first sample
        exhausted = False
        while True:
            while pending_len <= size and not exhausted:  # one sample more than a window: tells whether more follows
                block = next(source, None)
                if block is None:
                    exhausted = True
                    break
                if offset is None:
                    offset = block[0]
                pending.append(block[1])
                pending_len += len(block[1])
            if offset is None:
                raise BadInput(f"{self.path}: no audio could be decoded in the requested range (corrupt or empty audio "
                               "track?)", hint="check the file plays, and that --start/--end fall inside it")
            if pending_len == 0:
                return
            buffer = np.concatenate(pending)
            pending = [buffer]  # the blocks themselves are no longer needed
            window = Window(offset, buffer[:size].astype(np.float32) / 32768.0, exhausted and pending_len <= size)
            self._resume = None
            yield window
            if window.last:
                return
            used = len(window.samples)
            if self._resume is not None:
                # At least a second, so a window always moves the reader on.
                used = min(used, max(SAMPLE_RATE, round((self._resume - offset) * SAMPLE_RATE)))
            pending, pending_len = [buffer[used:]], len(buffer) - used
            offset += used / SAMPLE_RATE

    def _samples(self) -> Iterator[tuple[float, np.ndarray]]:
        """Mono int16 blocks at 16 kHz inside [start, end), each with the time of its first sample."""
        import av

        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        lo = self.start or 0.0
        hi = float("inf") if self.end is None else self.end
        if self.start:
            # Seek lands on a packet at or before start; the samples before it are dropped below.
            self._container.seek(int(self.start * 1_000_000), any_frame=False)
        clock: float | None = None  # time of the next resampled sample
        for frame in self._decoded_frames_then_flush():
            if clock is None:
                if frame is None:
                    return  # no audio frame at all: nothing buffered to flush
                clock = float(frame.time) if frame.time is not None else 0.0
            for out in resampler.resample(frame):
                block = out.to_ndarray().reshape(-1)
                first, clock = clock, clock + len(block) / SAMPLE_RATE
                trimmed = _trim(block, first, lo, hi)
                if trimmed is not None:
                    yield trimmed
            if clock >= hi:
                return

    def _decoded_frames_then_flush(self) -> Iterator[Any | None]:
        """The decoded frames, then ``None``: resampling ``None`` flushes the samples the resampler still holds,
        so the last of them go through the same timing and trimming as the rest."""
        yield from self._decoded_frames()
        yield None

    def _decoded_frames(self) -> Iterator[Any]:
        import av

        for packet in self._container.demux(self._stream):
            try:
                yield from packet.decode()
            except av.error.InvalidDataError:
                continue  # a damaged packet: skip it, as players do


def _trim(block: np.ndarray, first: float, lo: float, hi: float) -> tuple[float, np.ndarray] | None:
    last = first + len(block) / SAMPLE_RATE
    if last <= lo or first >= hi:
        return None
    skip = max(0, round((lo - first) * SAMPLE_RATE))
    keep = len(block) if last <= hi else round((hi - first) * SAMPLE_RATE)
    if keep <= skip:
        return None
    return first + skip / SAMPLE_RATE, block[skip:keep]
