"""The decoder of framescribe.video: one open per video, probing included."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from framescribe.testing.video_clips import STANDARD, Caption, ClipSpec, make_clip
from framescribe.video import Reading, Region, SampleReader, extract_video_text, probe_video
from framescribe.video import decode as decode_module

FRAME = 1 / 30
# x264 with a B-pyramid: B-frames that other frames refer to, so skipping "non-reference" frames must keep them.
PYRAMID = ClipSpec([Caption(0.5, 2.5, "Reference frames", (150, 300), stroke=(0, 0, 0))],
                   duration=3.0, extra=["-preset", "slow", "-x264-params", "ref=8:bframes=5:b-pyramid=normal"])


class NoReader:
    def read(self, region: Region) -> list[Reading]:
        return []


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("decode") / "standard.mp4", STANDARD)


def test_the_pipeline_opens_each_video_once(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = av.open

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(decode_module.av, "open", counting_open)
    result = extract_video_text(clip, NoReader())
    assert opened == [str(clip)]
    assert result.metadata["width"] == 640 and result.duration == pytest.approx(8.0, abs=0.05)
    opened.clear()
    extract_video_text(str(clip), NoReader(), start=2.0, end=4.0)  # seeking reuses the same open file
    assert opened == [str(clip)]


def test_the_reader_knows_the_video_and_starts_from_the_probed_frame(clip: Path) -> None:
    frames = SampleReader(clip, 0.5)
    assert frames.info == probe_video(clip)
    samples = list(frames)
    # A sample every half second, then the last frame as the tail (for refining the last boundaries).
    assert [round(s.time, 3) for s in samples[:16]] == [0.5 * i for i in range(16)] and len(samples) == 17
    assert frames.decoded == 240  # the probed first frame is counted once, not decoded twice


def test_a_reader_never_iterated_can_be_closed(clip: Path) -> None:
    frames = SampleReader(str(clip), 1.0)
    frames.close()
    assert frames.info.height == 360


def test_skipping_non_reference_frames_decodes_about_half(framescribe_standard_clip: Path) -> None:
    with av.open(str(framescribe_standard_clip)) as container:
        total = sum(1 for _ in container.decode(video=0))
    every = SampleReader(framescribe_standard_clip, 0.25)
    every_times = [s.time for s in every]
    skipping = SampleReader(framescribe_standard_clip, 0.25, skip_nonref=True)
    skipping_times = [s.time for s in skipping]
    assert every.decoded == total
    assert skipping.decoded < 0.75 * total  # libx264's B-frames that nothing refers to are not decoded
    # Still a sample every quarter second, each within a frame or two of the full decode's.
    assert len(skipping_times) == len(every_times)
    assert all(abs(a - b) <= 2 * FRAME + 1e-6 for a, b in zip(skipping_times, every_times, strict=True))


def test_the_frames_kept_are_decoded_exactly_as_in_a_full_decode(framescribe_clip_factory: Any) -> None:
    clip = framescribe_clip_factory("pyramid.mp4", PYRAMID)

    def frames(skip: str | None) -> dict[int, np.ndarray]:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            if skip:
                stream.codec_context.skip_frame = skip
            return {f.pts: f.to_ndarray(format="gray") for f in container.decode(stream)}

    full, kept = frames(None), frames("NONREF")
    assert 0 < len(kept) < 0.75 * len(full)
    assert all(np.array_equal(image, full[pts]) for pts, image in kept.items())


def test_one_decoding_thread_gives_the_same_pictures_as_frame_threading(clip: Path) -> None:
    # The pipeline decodes in one thread on machines of few cores (decoder_threads): only the CPU may change.
    one = SampleReader(clip, 0.5, threads=1, skip_nonref=True)
    auto = SampleReader(clip, 0.5, skip_nonref=True)
    ones, autos = list(one), list(auto)
    assert len(ones) == len(autos) == 17 and one.decoded == auto.decoded
    for a, b in zip(ones, autos, strict=True):
        assert a.time == b.time and len(a.between) == len(b.between)
        assert np.array_equal(a.image, b.image) and np.array_equal(a.gray, b.gray)


def test_the_pipeline_decodes_in_one_thread_on_few_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from framescribe.video import pipeline

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert pipeline.decoder_threads() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert pipeline.decoder_threads() == 0  # FFmpeg's own frame threading


@pytest.mark.parametrize("extra", [[], ["-pix_fmt", "yuvj420p"],
                                   ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"],
                                   ["-pix_fmt", "yuv444p"]],
                         ids=["yuv420p", "full-range", "bt709", "yuv444p"])
def test_colour_crops_are_the_pixels_of_the_whole_converted_frame(
        framescribe_clip_factory: Any, extra: list[str]) -> None:
    # The pipeline converts only the parts of a sample it needs (Sample.colour); what the reader gets must not
    # depend on that: every crop is the same as the crop of FFmpeg's whole-frame conversion, odd edges included.
    spec = ClipSpec(STANDARD.captions, duration=2.0, extra=extra)
    clip = framescribe_clip_factory(f"colour-{'-'.join(extra) or 'plain'}.mp4", spec)
    samples = list(SampleReader(clip, 0.5, skip_nonref=True, threads=1))
    assert len(samples) >= 4
    h, w = samples[0].gray.shape
    rects = [(0, 0, w, h), (1, 1, 2, 2), (101, 57, 333, 140), (100, 56, 332, 141), (w - 61, h - 33, w, h),
             (w - 7, 3, w + 20, 30), (5, 7, 5, 9)]
    for sample in samples:
        whole = sample.frame.to_ndarray(format="bgr24")
        for x, y, x2, y2 in rects:
            part = sample.colour(x, y, x2, y2)
            assert part.flags.c_contiguous and np.array_equal(part, whole[y:y2, x:x2]), (x, y, x2, y2)
        assert np.array_equal(sample.image, whole)
    converted = decode_module.colour_crop(samples[0].frame, 10, 10, 50, 50)
    assert (converted is None) == (extra == ["-pix_fmt", "yuv444p"])  # 4:4:4 converts whole frames instead
    # Converted later, in another thread, after the frames are gone (the pipeline's readers): the same pixels.
    later = [(s.colour_later(x, y, x2, y2), s.frame.to_ndarray(format="bgr24")[y:y2, x:x2])
             for s in samples for x, y, x2, y2 in rects]
    del samples
    with ThreadPoolExecutor(1) as pool:
        parts = list(pool.map(lambda pair: pair[0].bgr(), later))
    assert all(np.array_equal(part, want) for part, (_, want) in zip(parts, later, strict=True))
