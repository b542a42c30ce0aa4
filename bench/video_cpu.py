"""Where the CPU of a video_text run goes, against the CPU of decoding alone, in one process.

    python bench/video_cpu.py                       # the 720p clips, tesseract backend, 3 turns each
    python bench/video_cpu.py -b default --only commentary_720p --runs 1

On a shared machine wall time moves with other people's jobs; CPU seconds
move much less. Per clip and turn it measures the CPU seconds of
``ffmpeg -i CLIP -f null -`` (a child process) and of one ``video_text`` run
in this process, split by thread: the pipeline's decoder thread (decoding
itself on machines of up to four cores, see framescribe.video.pipeline.
decoder_threads), the native threads it does not own (FFmpeg's
frame-threading workers on more cores; an OCR library's own threads also
land here), the main thread (finding,
tracking and merging text) and the reader threads (OCR). Per-thread CPU comes
from /proc/self/task (Linux), sampled every 20 ms while the run goes on.
Medians over the turns; the ratio is our CPU over decode-only CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tables import markdown, save

from framescribe import Framescribe
from framescribe.media import ffmpeg_exe

CLIPS = Path(__file__).parent / "out" / "clips"
# The 720p clips Tesseract can read (commentary_720p is Chinese: tesseract with English data declines it;
# add it with --only when measuring rapidocr or the default chain).
HD = ["yellow_720p", "slides_720p", "credits_720p"]
ALL_HD = [*HD, "commentary_720p"]
PARTS = ["decoder thread", "native threads", "finding/tracking", "reading", "other"]
_TICK = os.sysconf("SC_CLK_TCK")


def _task_cpu(tid: int) -> float | None:
    try:
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


class ThreadCpu:
    """CPU seconds per part of the pipeline while a block runs (threads that end keep their last sample)."""

    def __init__(self) -> None:
        self.start: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()

    def _label(self, tid: int) -> str:
        names = {t.native_id: t.name for t in threading.enumerate()}
        name = names.get(tid)
        if name is None:
            return "native threads"
        if name == "framescribe-decode":
            return "decoder thread"
        if name.startswith("framescribe-ocr"):
            return "reading"
        if name == "MainThread":
            return "finding/tracking"
        return "other"

    def _sample(self) -> None:
        for entry in os.listdir("/proc/self/task"):
            tid = int(entry)
            cpu = _task_cpu(tid)
            if cpu is None or tid == threading.get_native_id():
                continue
            self.start.setdefault(tid, cpu)
            label = self.last[tid][0] if tid in self.last else self._label(tid)
            self.last[tid] = (label, cpu)

    def __enter__(self) -> ThreadCpu:
        for entry in os.listdir("/proc/self/task"):  # threads alive before: count only what they add
            cpu = _task_cpu(int(entry))
            if cpu is not None:
                self.start[int(entry)] = cpu
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self._sample()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def parts(self) -> dict[str, float]:
        out = dict.fromkeys(PARTS, 0.0)
        for tid, (label, cpu) in self.last.items():
            out[label] += cpu - self.start.get(tid, cpu)
        return out


def decode_cpu(path: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                   check=True, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def warmed_up(clips: Sequence[str], backend: str | None) -> Framescribe | None:
    """A Framescribe that has run ``backend`` once (imports, models loaded in the reader threads); None, saying
    what to do, when a clip has not been made yet."""
    missing = [c for c in clips if not (CLIPS / f"{c}.mp4").exists()]
    if missing:
        print(f"missing clips {missing}: run python bench/make_clips.py first", file=sys.stderr)
        return None
    fs = Framescribe({}, use_cache=False)
    fs.video_text(CLIPS / "slides_720p.mp4", backend=backend)
    return fs


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", "--backend", default="tesseract", help="a backend, or 'default' for the default chain")
    ap.add_argument("--only", action="append", choices=ALL_HD, help="just this clip (repeatable)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    clips = args.only or HD
    backend = None if args.backend == "default" else args.backend
    fs = warmed_up(clips, backend)
    if fs is None:
        return 2
    rows, totals = [], dict.fromkeys(["decode", "ours", *PARTS, "wall"], 0.0)
    for clip in clips:
        video = CLIPS / f"{clip}.mp4"
        turns = []
        for _ in range(args.runs):
            dec = decode_cpu(video)
            began = time.perf_counter()
            with ThreadCpu() as split:
                fs.video_text(video, backend=backend)
            parts = split.parts()
            # Every thread of the process but the sampler itself (which process_time() would count).
            turns.append((dec, sum(parts.values()), parts, time.perf_counter() - began))
        dec = statistics.median(t[0] for t in turns)
        ours = statistics.median(t[1] for t in turns)
        parts = {p: statistics.median(t[2][p] for t in turns) for p in PARTS}
        wall = statistics.median(t[3] for t in turns)
        for k, v in [("decode", dec), ("ours", ours), ("wall", wall), *parts.items()]:
            totals[k] += v
        rows.append([clip, dec, ours, f"{ours / dec:.2f}x", *(parts[p] for p in PARTS), wall])
    rows.append([f"**all {len(clips)}**", totals["decode"], totals["ours"], f"{totals['ours'] / totals['decode']:.2f}x",
                 *(totals[p] for p in PARTS), totals["wall"]])
    headers = ["clip", "decode-only CPU s", "ours CPU s", "x decode", *(f"{p} s" for p in PARTS), "wall s"]
    table = markdown(headers, rows)
    print(table)
    share = {p: totals[p] / max(totals["ours"], 1e-9) for p in PARTS}
    print("share of our CPU: " + ", ".join(f"{p} {v:.0%}" for p, v in share.items()))
    save(Path(__file__).parent / "out" / f"video_cpu_{args.backend}.md",
         f"CPU of video_text ({args.backend}) against decode-only, per thread", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
