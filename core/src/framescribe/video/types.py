"""The pieces of the text-in-video pipeline an OCR engine sees: options, regions, readings, the reader protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ..types import Box, Word

if TYPE_CHECKING:
    import numpy.typing as npt

    Image = npt.NDArray[Any]
else:  # numpy is only imported where the pipeline runs
    Image = object


@dataclass(frozen=True)
class VideoOptions:
    """How the pipeline samples, finds, filters and merges text.

    ``regions`` are areas of interest as (x, y, width, height): values <= 1
    are fractions of the frame, larger values are pixels of the displayed
    (rotated) frame. Text outside every region is ignored.
    """

    sample_rate: float = 4.0  # samples per second; 4 catches a caption shown for 0.5 s twice
    min_confidence: float = 0.5  # 0..1; readings below are dropped
    min_text_height: int = 10  # pixels of the displayed frame; smaller lines are ignored
    regions: Sequence[tuple[float, float, float, float]] = ()
    detector: Literal["stable", "full_frame"] = "stable"  # full_frame: the reader finds text in whole frames
    refine_boundaries: bool = True  # find the exact frame where a text appears and disappears
    max_crops: int = 12  # frames per text used for its temporal median
    merge_gap: float = 1.0  # seconds: equal readings closer than this become one segment
    merge_similarity: float = 0.8  # 0..1 ratio above which two readings count as the same text
    ocr_workers: int = 1  # threads calling the reader; each gets its own reader state if it keeps any
    work_height: int = 540  # frames taller than this are shrunk to this height to find text (never for OCR)
    # Decode every frame, so boundaries are exact to the frame. By default the frames no other frame is
    # predicted from (most B-frames) are skipped: decoding costs 40 % less, boundaries land within a frame or two.
    every_frame: bool = False
    # Texts on screen for at least PERSISTENT_SHARE of the time read (logos, watermarks) are marked
    # ``Segment.persistent``; "drop" leaves them out (for extracting subtitles).
    persistent: Literal["keep", "drop"] = "keep"
    # Stop early once this many lasting text regions came back from the reader and it read none of them: the
    # result is then partial, its PipelineStats ``unreadable`` (pair it with ``require_readable``, which raises).
    # 0 reads the whole video whatever comes back. Saves a reader that cannot read the script the whole pass.
    give_up_unread: int = 0

    def __post_init__(self) -> None:
        if not 0.05 <= self.sample_rate <= 60:
            raise ValueError(f"sample_rate must be between 0.05 and 60 per second, not {self.sample_rate}")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be between 0 and 1, not {self.min_confidence}")
        if self.persistent not in ("keep", "drop"):
            raise ValueError(f"persistent must be 'keep' or 'drop', not {self.persistent!r}")
        if self.min_text_height < 1:
            raise ValueError("min_text_height must be at least 1 pixel")
        for r in self.regions:
            if len(r) != 4 or r[2] <= 0 or r[3] <= 0 or r[0] < 0 or r[1] < 0:
                raise ValueError(f"region {r!r} must be (x, y, width, height) with positive size")


@dataclass
class Region:
    """One piece of on-screen text as the pipeline found it, ready for an OCR engine.

    ``crop`` is the colour (BGR) crop of the most recent frame showing it,
    ``median`` the per-pixel median of that crop over up to ``max_crops``
    sampled frames (overlay text stays put while the picture moves, so the
    median keeps the text and washes out the background), ``stable`` the
    mask of pixels that hardly changed over those frames (None when fewer
    than three frames were seen), and ``variants`` black-on-white binary
    images of the text, most likely polarity first, scaled by ``scale``
    relative to ``crop`` so lines are about 40 px tall, and ``letters`` the
    :func:`~framescribe.video.letter_count` of each variant (None when
    whoever built the Region did not count them). ``box`` is where
    ``crop`` lies in the displayed frame. With ``VideoOptions.detector ==
    "full_frame"`` the region is the whole frame and ``variants`` is empty.
    """

    box: Box
    crop: Image
    median: Image
    stable: Image | None
    variants: list[Image]
    scale: float
    line_count: int
    time: float  # seconds of the frame ``crop`` comes from
    frames: int  # how many sampled frames went into ``median``
    letters: list[int] | None = None  # letter_count of each variant, where the pipeline counted them already


@dataclass(frozen=True)
class Reading:
    """Text an engine read in a region.

    ``confidence`` is 0..1. ``box`` is optional and in ``Region.crop``
    pixels; engines that find their own text lines return one Reading per
    line (or block) with its box, and the pipeline tracks each separately.
    """

    text: str
    confidence: float
    box: Box | None = None
    words: tuple[Word, ...] | None = None
    # The engine read some of the region but saw a whole line of it it could not read (bilingual captions and
    # Latin-only language data): the reading is kept, but does not count the region as read (PipelineStats).
    partial: bool = False


@runtime_checkable
class TextReader(Protocol):
    """An OCR engine for the pipeline.

    ``read`` may be called from several threads at once (``ocr_workers``);
    keep per-thread state (``threading.local``) if the engine is not
    thread-safe. Return an empty list when the region holds no text.
    """

    def read(self, region: Region) -> list[Reading]: ...


UNREAD_SHARE = 0.75  # share of the lasting regions left unread above which the reader cannot read this video's text
PARTLY_SHARE = 0.5  # share of the lasting regions read only in part (Reading.partial) above which it cannot either


@dataclass
class PipelineStats:
    """What the pipeline did: how many frames it decoded, sampled and read."""

    decoded_frames: int = 0
    sampled_frames: int = 0
    regions_read: int = 0
    reader_calls: int = 0
    refined_boundaries: int = 0
    gave_up: bool = False  # stopped early: the reader read none of the first give_up_unread lasting regions
    still_skipped: int = 0  # samples of a still picture in which text was not looked for again (the last one's found)
    searched_in_part: int = 0  # samples in which text was looked for only where the picture changed lately
    # Regions on screen for at least a second that were handed to the reader, and those of them of which it read
    # nothing kept with confidence 0.7: many such regions mean text the engine cannot read (a script it has no data
    # for, read as nothing or as unsure guesses).
    lasting_regions: int = 0
    unread_regions: int = 0
    # Lasting regions whose every kept reading left a line unread (Reading.partial): the English line of a
    # bilingual caption read, the Chinese one not. Scenery seldom does that, so half of them is enough.
    partly_read_regions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def unreadable(self) -> bool:
        """Whether the reader read next to nothing of the lasting text the pipeline found (see ``unread_regions``),
        or only part of most of it (see ``partly_read_regions``)."""
        if self.gave_up:  # the run stopped because of that (VideoOptions.give_up_unread)
            return True
        if self.unread_regions >= 2 and self.unread_regions >= UNREAD_SHARE * self.lasting_regions:
            return True
        return self.partly_read_regions >= 2 and self.partly_read_regions >= PARTLY_SHARE * self.lasting_regions

    def to_dict(self) -> dict[str, object]:
        return {
            "decoded_frames": self.decoded_frames,
            "sampled_frames": self.sampled_frames,
            "regions_read": self.regions_read,
            "reader_calls": self.reader_calls,
            "refined_boundaries": self.refined_boundaries,
            "still_skipped": self.still_skipped,
            "searched_in_part": self.searched_in_part,
            "gave_up": self.gave_up,
            "lasting_regions": self.lasting_regions,
            "unread_regions": self.unread_regions,
            "partly_read_regions": self.partly_read_regions,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }
