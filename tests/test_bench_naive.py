"""The naive baseline of bench/video_text.py: sampling by presentation time and merging identical readings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .bench_loader import load_bench

clipgen = load_bench("clipgen")
naive = load_bench("naive")


def test_blocks_split_on_blank_lines_and_collapse_space() -> None:
    assert naive.blocks("CAM 2\n\nHello  there\nfriend\n\n\f") == ["CAM 2", "Hello there friend"]
    assert naive.blocks(" \n\n ") == []


def test_identical_consecutive_readings_become_one_segment(tmp_path: Path) -> None:
    clip = clipgen.Clip("n", (160, 90), 2.0, (clipgen.Shot("coffee", 2.0),), texts=(), fps=10)
    video, _, _ = clipgen.build(clip, tmp_path)
    seen: list[float] = []

    def fake_ocr(rgb: Any) -> str:  # what a reader would say at each sample: by count, since frames carry no time
        seen.append(len(seen) * 0.5)
        t = seen[-1]
        parts = ["LOGO"]
        if 0.5 <= t < 1.5:
            parts.append("caption one")
        return "\n\n".join(parts)

    segments, frames = naive.naive_video_text(video, 2.0, fake_ocr)
    assert frames == 4  # samples at 0, 0.5, 1.0, 1.5 s
    assert [(s.start, s.end, s.value) for s in segments] == [
        (0.0, pytest.approx(2.0), "LOGO"),  # on every sample: one segment to the end of the video
        (0.5, 1.5, "caption one"),
    ]


def test_sampled_frames_follow_presentation_times_of_variable_rate_video(tmp_path: Path) -> None:
    clip = clipgen.Clip("v", (160, 90), 2.0, (clipgen.Shot("coffee", 2.0),), texts=(), vfr=((1, 30), (1, 12)))
    video, _, _ = clipgen.build(clip, tmp_path)
    times = [t for t, rgb in naive.sampled_frames(video, 4.0) if rgb is not None]
    # 12 fps frames after 1 s sit at 1 + k/12: the first at or after 1.25 is 1.25, after 1.5 is 1.5, after 1.75 is 1.75.
    assert times == pytest.approx([0.0, 0.2667, 0.5, 0.7667, 1.0, 1.25, 1.5, 1.75], abs=1e-3)
