"""The benchmark clip generator (bench/clipgen.py): the ground truth says exactly what is drawn, and when.

Tiny clips (a few frames at 320x180) over a still photo, so any change in a
caption's box between two frames can only come from the caption.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import av
import numpy as np
import pytest

from framescribe.evaluate import score_segments
from framescribe.formats import read_timed_text
from framescribe.media import ffmpeg_exe

from .bench_loader import BENCH, load_bench

clipgen = load_bench("clipgen")
make_clips = load_bench("make_clips")  # imports its siblings by plain name

WHITE = clipgen.Style("DejaVuSans-Bold.ttf", 0.12, (255, 255, 255), outline=(0, 0, 0))
STILL = (clipgen.Shot("chelsea", 10.0),)


def decode_display(path: Path, width: int, height: int) -> Any:
    """All frames as a player shows them (ffmpeg applies the display matrix), as an N x H x W x 3 array."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        offset = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        return [float(f.time) - offset for f in container.decode(stream)]


def box_diff(a: Any, b: Any, box: dict[str, int]) -> float:
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    return float(np.abs(a[y:y + h, x:x + w].astype(int) - b[y:y + h, x:x + w].astype(int)).mean())


def outside_diff(a: Any, b: Any, boxes: list[dict[str, int]], margin: int = 6) -> float:
    mask = np.ones(a.shape[:2], bool)
    for box in boxes:
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        mask[max(0, y - margin):y + h + margin, max(0, x - margin):x + w + margin] = False
    return float(np.abs(a.astype(int) - b.astype(int))[mask].mean())


def test_truth_matches_what_is_drawn(tmp_path: Path) -> None:
    clip = clipgen.Clip(
        "tiny", (320, 180), 3.0, STILL, fps=10,
        texts=(clipgen.Text(0.5, 1.5, "HELLO", WHITE, (0.5, 0.9), "mb"),
               clipgen.Text(1.04, 2.51, "TOP", WHITE, (0.05, 0.05), "lt")),
    )
    video, truth_path, rebuilt = clipgen.build(clip, tmp_path)
    assert rebuilt and video.suffix == ".mp4"
    truth = read_timed_text(truth_path)
    raw = {s["value"]: s for s in json.loads(truth_path.read_text())["data"]}
    # Spans snap to frames: TOP asked for 1.04-2.51 s is on frames 11..25 (1.1 s up to 2.6 s).
    assert [(s.start, s.end, s.value) for s in truth.segments] == [(0.5, 1.5, "HELLO"), (1.1, 2.6, "TOP")]
    assert truth.duration == pytest.approx(3.0)
    assert frame_times(video) == pytest.approx([i / 10 for i in range(30)], abs=1e-6)

    frames = decode_display(video, 320, 180)
    assert len(frames) == 30
    hello, top = raw["HELLO"]["box"], raw["TOP"]["box"]
    blank = frames[0]
    # Frame 10 (1.0 s) shows HELLO only; frame 15 both; frame 28 neither.
    assert box_diff(frames[10], blank, hello) > 25
    assert box_diff(frames[10], blank, top) < 3
    assert box_diff(frames[15], blank, top) > 25
    assert box_diff(frames[28], blank, hello) < 3 and box_diff(frames[28], blank, top) < 3
    # The first and last frames of a span show it, the frames just outside do not.
    assert box_diff(frames[5], blank, hello) > 25 and box_diff(frames[4], blank, hello) < 3
    assert box_diff(frames[14], blank, hello) > 25 and box_diff(frames[15], frames[28], hello) < 3
    # Nothing is drawn outside the boxes.
    assert outside_diff(frames[15], blank, [hello, top]) < 2

    # A perfect prediction scores perfectly against the truth file.
    assert score_segments(truth.segments, truth.segments).f1 == 1.0
    assert clipgen.build(clip, tmp_path)[2] is False  # up to date: not rebuilt


def test_variable_frame_rate_times_are_the_truths_times(tmp_path: Path) -> None:
    clip = clipgen.Clip("vfr", (320, 180), 3.0, STILL, vfr=((1, 30), (1, 12), (1, 20)),
                        texts=(clipgen.Text(1.2, 2.1, "SLOW", WHITE, (0.5, 0.5), "mm"),))
    expected = [i / 30 for i in range(30)] + [1 + i / 12 for i in range(12)] + [2 + i / 20 for i in range(20)]
    assert clipgen.frame_times(clip) == pytest.approx(expected)
    video, truth_path, _ = clipgen.build(clip, tmp_path)
    assert frame_times(video) == pytest.approx(expected, abs=1e-3)
    segment = read_timed_text(truth_path).segments[0]
    # 1.2 s falls between 12 fps frames (1.1667, 1.25): the first frame showing it is at 1.25 s; 2.1 s -> 2.1.
    assert (segment.start, segment.end) == (pytest.approx(1.25, abs=1e-6), pytest.approx(2.1, abs=1e-6))


def test_rotated_clip_shows_the_truth_upright(tmp_path: Path) -> None:
    clip = clipgen.Clip("rot", (180, 320), 1.0, STILL, fps=10, rotation=-90,
                        texts=(clipgen.Text(0.5, 1.0, "UP", WHITE, (0.1, 0.05), "lt"),))
    video, truth_path, _ = clipgen.build(clip, tmp_path)
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)  # stored sideways
        assert next(container.decode(stream)).rotation == -90
    frames = decode_display(video, 180, 320)
    box = json.loads(truth_path.read_text())["data"][0]["box"]
    assert box["y"] < 40  # near the top of the upright picture
    assert box_diff(frames[7], frames[0], box) > 25


def test_transport_stream_starts_late_but_truth_counts_from_the_first_frame(tmp_path: Path) -> None:
    clip = clipgen.Clip("ts", (320, 180), 1.0, STILL, fps=10, container="ts",
                        texts=(clipgen.Text(0.3, 0.7, "TS", WHITE, (0.5, 0.5), "mm"),))
    video, truth_path, _ = clipgen.build(clip, tmp_path)
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.start_time is not None and stream.time_base is not None
        assert float(stream.start_time * stream.time_base) > 1.0
    assert frame_times(video) == pytest.approx([i / 10 for i in range(10)], abs=1e-3)
    segment = read_timed_text(truth_path).segments[0]
    assert (segment.start, segment.end) == (pytest.approx(0.3), pytest.approx(0.7))


def test_text_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        clipgen.render_sprite(clipgen.Text(0, 1, "far too long a line for a tiny frame", WHITE), 160, 90)


def test_benchmark_set_is_seeded_and_within_the_brief() -> None:
    clips = [make() for make in make_clips.CLIPS.values()]
    again = [make() for make in make_clips.CLIPS.values()]
    assert [c.digest() for c in clips] == [c.digest() for c in again]
    assert len(clips) >= 6
    for clip in clips:
        times = clipgen.frame_times(clip)
        # The footage-like clips (issue 18) are kept short: each shows one kind of problem.
        assert (10 if clip.name in make_clips.FOOTAGE else 20) <= clip.duration <= 60
        assert min(clip.size) >= 360 and max(clip.size) <= 1920
        visible = clipgen.schedule(clip, times)
        assert min((v.end - v.start for v in visible), default=1.0) >= 0.45
        for v in visible:  # every text fits its frame
            clipgen.render_sprite(v.text, *clip.size)
    assert any(c.vfr for c in clips) and any(c.rotation for c in clips) and any(c.container == "ts" for c in clips)


def test_every_background_is_a_bundled_freely_licensed_photo_or_generated() -> None:
    for make in make_clips.CLIPS.values():
        clip = make()
        shots = [*clip.shots, *(clip.inset.shots if clip.inset else ())]
        for shot in shots:
            assert shot.photo in clipgen.PHOTOS or shot.photo.startswith(("solid:", "gradient:", "texture:")), shot.photo
    with pytest.raises(ValueError, match="not one of"):
        clipgen.load_photo("camera")
    with pytest.raises(ValueError, match="not one of"):
        clipgen.load_photo("texture:marble")


def test_a_fading_text_is_true_from_full_opacity_and_drawn_while_it_fades() -> None:
    style = clipgen.Style("DejaVuSans-Bold.ttf", 0.2, (255, 255, 255))
    text = clipgen.Text(1.0, 3.0, "FADE", style, (0.5, 0.5), "mm", fade=(0.5, 0.4))
    clip = clipgen.Clip("fade", (320, 180), 4.0, STILL, (text,), fps=10)
    times = clipgen.frame_times(clip)
    (v,) = clipgen.schedule(clip, times)
    assert (v.start, v.end) == pytest.approx((1.5, 2.7)) and (times[v.first], times[v.stop]) == pytest.approx((1.0, 3.0))
    assert clipgen.opacity(text, 1.2) == pytest.approx(0.4) and clipgen.opacity(text, 2.0) == 1.0


def test_committed_demo_is_what_make_demo_makes() -> None:
    examples = BENCH.parent / "examples"
    demo = _load_path("make_demo", examples / "make_demo.py").DEMO
    truth = json.loads((examples / "demo.truth.json").read_text())
    assert truth["metadata"]["digest"] == demo.digest()
    video = examples / "demo.mp4"
    assert video.stat().st_size < 300_000
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == demo.size
        assert sum(1 for _ in container.decode(stream)) == truth["metadata"]["frames"]


def _load_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
