"""Result and request types shared by the core and every backend.

Plain dataclasses: cheap to import, easy to build in a plugin, and turned
into JSON by ``to_dict`` in the seeds' shape (``{"data": [...]}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from .secrets import redact_data

Capability = Literal["transcribe", "video_text", "image_ocr"]
CAPABILITIES: tuple[Capability, ...] = ("transcribe", "video_text", "image_ocr")
VIDEO_CAPABILITIES: tuple[Capability, ...] = ("transcribe", "video_text")


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels of the source image or frame."""

    x: int
    y: int
    width: int
    height: int

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Box:
        return cls(int(data["x"]), int(data["y"]), int(data["width"]), int(data["height"]))


@dataclass(frozen=True)
class Segment:
    """A piece of text shown or spoken between ``start`` and ``end`` seconds."""

    start: float
    end: float
    value: str
    confidence: float | None = None
    box: Box | None = None
    words: tuple[Word, ...] | None = None
    # On screen for most of the video (a channel logo, a watermark): see docs/video-pipeline.md.
    persistent: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "value": self.value}
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 4)
        if self.box is not None:
            out["box"] = self.box.to_dict()
        if self.words is not None:
            out["words"] = [w.to_dict() for w in self.words]
        if self.persistent:
            out["persistent"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        box = data.get("box")
        words = data.get("words")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            value=str(data["value"]),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            box=Box.from_dict(box) if box else None,
            words=tuple(Word.from_dict(w) for w in words) if words is not None else None,
            persistent=bool(data.get("persistent", False)),
        )


@dataclass(frozen=True)
class Skipped:
    """A backend of the chain that did not answer, and why."""

    backend: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"backend": self.backend, "reason": self.reason}


@dataclass
class VideoResult:
    """Timed segments of a video plus what the core knows about how they were made."""

    segments: list[Segment]
    backend: str = ""
    language: str | None = None
    duration: float | None = None
    source: str | None = None
    skipped: list[Skipped] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    # Files the backend read besides the media (a sidecar transcript, say), as it recorded them; set by the
    # chain so a caller never writes its output over one. Not part of the result's serialised form.
    read: list[str] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": [s.to_dict() for s in self.segments],
            "backend": self.backend,
            "language": self.language,
            "duration": self.duration,
            "source": self.source,
            "skipped": [s.to_dict() for s in self.skipped],
            # A backend may copy a server's record into metadata; a key it echoed must not reach output or the cache.
            "metadata": redact_data(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoResult:
        return cls(
            segments=[Segment.from_dict(s) for s in data.get("data", [])],
            backend=str(data.get("backend") or ""),
            language=data.get("language"),
            duration=data.get("duration"),
            source=data.get("source"),
            skipped=[Skipped(str(s["backend"]), str(s["reason"])) for s in data.get("skipped", [])],
            metadata=dict(data.get("metadata") or {}),
        )

    def clipped(self, start: float | None, end: float | None) -> VideoResult:
        """Segments cut to ``[start, end]``; segments wholly outside are dropped."""
        return replace(self, segments=clip_segments(self.segments, start, end))


def clip_segments(segments: Iterable[Segment], start: float | None, end: float | None) -> list[Segment]:
    lo = 0.0 if start is None else start
    hi = float("inf") if end is None else end
    out = []
    for seg in segments:
        # A zero-length segment inside the range still belongs to it.
        if (seg.end <= lo or seg.start >= hi) and not (seg.start == seg.end and lo <= seg.start < hi):
            continue
        out.append(replace(seg, start=max(seg.start, lo), end=min(seg.end, hi)))
    return out


@dataclass(frozen=True)
class Word:
    text: str
    box: Box | None = None
    confidence: float | None = None
    start: float | None = None  # seconds, for timed words of a transcript
    end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.box is not None:
            out["box"] = self.box.to_dict()
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 4)
        if self.start is not None:
            out["start"] = round(self.start, 3)
        if self.end is not None:
            out["end"] = round(self.end, 3)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        box = data.get("box")
        return cls(
            text=str(data["text"]),
            box=Box.from_dict(box) if box else None,
            confidence=data.get("confidence"),
            start=data.get("start"),
            end=data.get("end"),
        )


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    box: Box | None = None
    confidence: float | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "box": self.box.to_dict() if self.box else None,
            "confidence": self.confidence,
            "words": [w.to_dict() for w in self.words],
        }


@dataclass(frozen=True)
class Block:
    lines: tuple[Line, ...]
    box: Box | None = None
    confidence: float | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "box": self.box.to_dict() if self.box else None,
            "confidence": self.confidence,
            "lines": [line.to_dict() for line in self.lines],
        }


@dataclass
class OcrResult:
    """The text of one image (or one page of a multi-page image)."""

    text: str
    confidence: float | None = None
    language: str | None = None
    word_count: int | None = None
    orientation: int | None = None  # degrees the image was rotated clockwise before reading
    layout: list[Block] | None = None
    page: int | None = None  # 1-based page number for multi-page images
    backend: str = ""
    source: str | None = None
    skipped: list[Skipped] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    read: list[str] = field(default_factory=list, repr=False, compare=False)  # as VideoResult.read

    def __post_init__(self) -> None:
        if self.word_count is None:
            self.word_count = len(self.text.split())

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "confidence": self.confidence,
            "language": self.language,
            "word_count": self.word_count,
            "orientation": self.orientation,
            "page": self.page,
            "layout": None if self.layout is None else [b.to_dict() for b in self.layout],
            "backend": self.backend,
            "source": self.source,
            "skipped": [s.to_dict() for s in self.skipped],
            # A backend may copy a server's record into metadata; a key it echoed must not reach output or the cache.
            "metadata": redact_data(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OcrResult:
        layout = data.get("layout")
        return cls(
            text=str(data.get("text", "")),
            confidence=data.get("confidence"),
            language=data.get("language"),
            word_count=data.get("word_count"),
            orientation=data.get("orientation"),
            layout=None if layout is None else [_block_from_dict(b) for b in layout],
            page=data.get("page"),
            backend=str(data.get("backend") or ""),
            source=data.get("source"),
            skipped=[Skipped(str(s["backend"]), str(s["reason"])) for s in data.get("skipped", [])],
            metadata=dict(data.get("metadata") or {}),
        )


def layout_from_text(text: str) -> list[Block]:
    """Blocks (paragraphs), lines and words of plain text, without boxes.

    For backends whose service returns text but no layout: ``--layout`` still
    gets the structure the text itself shows.
    """
    blocks: list[Block] = []
    lines: list[Line] = []
    for raw in [*text.splitlines(), ""]:
        words = tuple(Word(w) for w in raw.split())
        if words:
            lines.append(Line(words))
        elif lines:
            blocks.append(Block(tuple(lines)))
            lines = []
    return blocks


def _block_from_dict(data: Mapping[str, Any]) -> Block:
    def box(d: Any) -> Box | None:
        return Box.from_dict(d) if d else None

    lines = tuple(
        Line(tuple(Word.from_dict(w) for w in ln.get("words", [])), box(ln.get("box")), ln.get("confidence"))
        for ln in data.get("lines", [])
    )
    return Block(lines, box(data.get("box")), data.get("confidence"))


@dataclass(frozen=True)
class VideoRequest:
    """What a caller asked of a video capability.

    ``media`` is None only when ``video_id`` names a video a remote backend
    already holds. ``start``/``end`` are seconds, already validated by the core.
    """

    media: Path | None
    start: float | None = None
    end: float | None = None
    language: str | None = None
    transcript: Path | None = None  # transcribe only: a transcript the user supplies
    video_id: str | None = None


@dataclass(frozen=True)
class ImageRequest:
    """What a caller asked of ``image_ocr``."""

    image: Path
    language: str | None = None
    layout: bool = False
