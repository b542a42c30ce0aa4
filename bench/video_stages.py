"""How close each stage of the text-in-video pipeline alone comes to the decode-only time: a floor for the whole.

    python bench/video_stages.py                  # the 720p clips, 3 turns each
    python bench/video_stages.py --only slides_720p --runs 5

Per clip, taking turns, it times (wall and CPU seconds, medians of the turns):

- ``ffmpeg -i CLIP -map 0:v:0 -f null -``: the decode-only time of bench/video_text.py;
- decoding alone as the pipeline decodes (``SampleReader``: its threads, non-reference frames skipped);
- decoding and finding text, with a reader that reads nothing: the whole pipeline but OCR;
- the whole ``tesseract`` backend.

Each ratio is over the decode-only wall time. Decoding plus finding is the
floor the whole run cannot go below however fast reading gets; what reading
adds on top is the CPU it needs that the first two stages leave idle.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tables import markdown, save
from video_cpu import CLIPS, HD, warmed_up

from framescribe import Framescribe
from framescribe.media import ffmpeg_exe
from framescribe.video import Reading, Region, SampleReader, extract_video_text
from framescribe.video.pipeline import decoder_threads

STAGES = ["decode-only (ffmpeg)", "decoding (pipeline)", "decoding + finding", "whole (tesseract)"]


class ReadsNothing:
    """A reader that returns at once: the pipeline without OCR."""

    def read(self, region: Region) -> list[Reading]:
        return []


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(run: Callable[[], Any]) -> tuple[float, float]:
    began, cpu = time.perf_counter(), _cpu()
    run()
    return time.perf_counter() - began, _cpu() - cpu


def stages(video: Path, fs: Framescribe) -> list[Callable[[], Any]]:
    from framescribe_tesseract.settings import TesseractSettings
    from framescribe_tesseract.video_text import video_options

    # The backend's own settings (same samples, same threads), but reading on to the end although nothing is read.
    options = dataclasses.replace(video_options(TesseractSettings()), give_up_unread=0)
    return [
        lambda: subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-map", "0:v:0", "-f", "null", "-"],
                               check=True, stdin=subprocess.DEVNULL),
        lambda: sum(1 for _ in SampleReader(video, 1.0 / options.sample_rate, skip_nonref=True, threads=decoder_threads())),
        lambda: extract_video_text(video, ReadsNothing(), options),
        lambda: fs.video_text(video, backend="tesseract"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=HD, help="just this clip (repeatable)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    clips = args.only or HD
    fs = warmed_up(clips, "tesseract")
    if fs is None:
        return 2
    totals = {s: [0.0, 0.0] for s in STAGES}
    rows = []
    for clip in clips:
        runs = stages(CLIPS / f"{clip}.mp4", fs)
        turns: dict[str, list[tuple[float, float]]] = {s: [] for s in STAGES}
        for _ in range(args.runs):
            for name, run in zip(STAGES, runs, strict=True):  # turns: a drifting load slows every stage alike
                turns[name].append(timed(run))
        medians = {s: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for s, t in turns.items()}
        decode_wall = medians[STAGES[0]][0]
        for s, (wall, cpu) in medians.items():
            totals[s][0] += wall
            totals[s][1] += cpu
            rows.append([clip, s, wall, cpu, f"{wall / decode_wall:.2f}x"])
    for s, (wall, cpu) in totals.items():
        rows.append([f"**all {len(clips)}**", s, wall, cpu, f"{wall / totals[STAGES[0]][0]:.2f}x"])
    table = markdown(["clip", "stage", "wall s", "CPU s", "x decode-only wall"], rows)
    print(table)
    save(Path(__file__).parent / "out" / "video_stages.md", "Text in video: each stage against decode-only", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
