"""Text-in-video benchmark: accuracy and speed of video_text backends on the clips of make_clips.py.

    python bench/video_text.py                         # tesseract backend + naive baseline, every clip
    python bench/video_text.py -b tesseract -b rapidocr --only news_1080p
    python bench/video_text.py --no-baseline --config my.toml
    python bench/video_text.py --no-baseline --runs 3    # median times of 3 turns per clip: steadier ratios

Per clip and method: F1, precision, recall, mean character error (CER) of the
matched segments, median boundary error, wall time, the decode-only time of
the same clip (``ffmpeg -i CLIP -f null -`` with the ffmpeg framescribe uses)
and their ratio. The naive baseline OCRs the whole of every sampled frame
(same sampling rate) and merges identical consecutive readings; the last
column is how many times faster the backend is than it. Predictions are kept
in bench/out/pred/METHOD/CLIP.json for ``framescribe eval``; the table goes to
bench/out/video_text.md too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_clips
import naive
import tables
from clipgen import build

from framescribe.errors import FramescribeError
from framescribe.evaluate import Score, combine, score_segments
from framescribe.formats import read_timed_text, write_atomic
from framescribe.media import ffmpeg_exe
from framescribe.types import Segment, VideoResult

OUT = Path(__file__).resolve().parent / "out"
BASELINE = "naive"


@dataclass
class Run:
    clip: str
    method: str
    score: Score | None
    seconds: float
    decode_seconds: float
    error: str | None = None
    speedup: float | None = None
    notes: list[str] = field(default_factory=list)


def decode_only(path: Path) -> float:
    """Seconds ffmpeg takes to decode every frame of ``path`` and throw it away."""
    began = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                   check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - began


DEFAULT_CHAIN = "default"  # -b default: the default chain, as a user without a config runs it


def run_backend(fs: object, name: str, video: Path) -> tuple[list[Segment], float]:
    began = time.perf_counter()
    backend = None if name == DEFAULT_CHAIN else name
    result: VideoResult = fs.video_text(video, backend=backend)  # type: ignore[attr-defined]
    return result.segments, time.perf_counter() - began


def save_prediction(method: str, clip: str, segments: list[Segment]) -> None:
    path = OUT / "pred" / method / f"{clip}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(VideoResult(segments, backend=method).to_dict(), indent=1, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-b", "--backend", action="append",
                        help=f"backend to measure (repeatable); '{DEFAULT_CHAIN}' runs the default chain [default: tesseract]")
    parser.add_argument("--only", action="append", choices=sorted(make_clips.CLIPS), help="just this clip (repeatable)")
    parser.add_argument("--config", help="framescribe config file with backend settings [default: built-in defaults]")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive whole-frame baseline")
    parser.add_argument("--sample-rate", type=float, default=4.0,
                        help="baseline frames per second; keep it equal to the backend's sample_rate [default: 4]")
    parser.add_argument("--baseline-engine", choices=["auto", "tesserocr", "pytesseract"], default="auto",
                        help="OCR of the baseline; auto = pytesseract if a tesseract binary exists, else tesserocr")
    parser.add_argument("--runs", type=int, default=1,
                        help="time each clip this many times, decode-only and the backends taking turns; the table "
                        "shows median times (the baseline runs once) [default: 1]")
    parser.add_argument("--markdown", type=Path, default=OUT / "video_text.md", help="where to write the table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    backends = args.backend or ["tesseract"]

    from framescribe import Framescribe

    fs = Framescribe(args.config or {}, use_cache=False)
    ocr = None if args.no_baseline else naive.make_ocr(args.baseline_engine)
    runs: list[Run] = []
    for name in args.only or list(make_clips.CLIPS):
        clip = make_clips.CLIPS[name]()
        video, truth_path, _ = build(clip, make_clips.OUT_DIR)
        truth = read_timed_text(truth_path).segments
        # Turns rather than blocks: a machine whose load drifts slows both sides alike.
        decode_times: list[float] = []
        times: dict[str, list[float]] = {b: [] for b in backends}
        found: dict[str, list[Segment]] = {}
        failed: dict[str, str] = {}
        for _ in range(args.runs):
            decode_times.append(decode_only(video))
            for backend in (b for b in backends if b not in failed):
                try:
                    segments, seconds = run_backend(fs, backend, video)
                except FramescribeError as exc:
                    failed[backend] = str(exc).splitlines()[0]
                    print(f"{name}: {backend} failed: {exc}", flush=True)
                    continue
                found.setdefault(backend, segments)
                times[backend].append(seconds)
        decode_s = statistics.median(decode_times)
        for backend in backends:
            if backend in failed:
                runs.append(Run(name, backend, None, 0.0, decode_s, error=failed[backend]))
                continue
            save_prediction(backend, name, found[backend])
            seconds = statistics.median(times[backend])
            runs.append(Run(name, backend, score_segments(truth, found[backend]), seconds, decode_s))
            print(f"{name}: {backend} {seconds:.1f} s, F1 {runs[-1].score.f1:.3f}", flush=True)  # type: ignore[union-attr]
        if ocr is not None:
            (segments, frames), seconds = naive.timed(lambda v=video: naive.naive_video_text(v, args.sample_rate, ocr))
            save_prediction(BASELINE, name, segments)
            base = Run(name, f"{BASELINE} ({ocr.name}, {frames} frames)", score_segments(truth, segments), seconds, decode_s)
            runs.append(base)
            print(f"{name}: baseline {seconds:.1f} s, F1 {base.score.f1:.3f}", flush=True)  # type: ignore[union-attr]
            for r in runs:
                if r.clip == name and r.score is not None and r is not base and r.seconds > 0:
                    r.speedup = seconds / r.seconds
    if ocr is not None:
        ocr.close()
    body = table(runs, backends)
    print()
    print(body)
    tables.save(args.markdown, "Text in video", body + NOTES.format(rate=args.sample_rate))
    return 0 if all(r.error is None for r in runs) else 1


NOTES = """
F1, P, R: segment precision/recall (match = temporal IoU >= 0.5 and CER <= 0.2, one-to-one).
CER: mean character error rate of the matched segments. Boundary: median over matches of the mean
|start diff| and |end diff|, seconds. Time: wall seconds end to end (decoding included). Decode: `ffmpeg -i CLIP
-f null -` on the same clip, measured in the same run (with --runs N: medians of N turns each). x decode: time /
decode. Speed-up: naive baseline time / backend time. The naive baseline OCRs the whole frame every {rate:g} samples per second.
"""


def table(runs: list[Run], backends: list[str]) -> str:
    headers = ["clip", "method", "F1", "P", "R", "CER", "boundary s", "time s", "decode s", "x decode", "speed-up"]
    rows: list[list[object]] = []
    for r in runs:
        if r.score is None:
            rows.append([r.clip, r.method, f"error: {r.error}", None, None, None, None, None, r.decode_seconds, None, None])
            continue
        s = r.score
        rows.append([r.clip, r.method, s.f1, s.precision, s.recall, s.mean_cer, s.median_boundary_error, r.seconds,
                     r.decode_seconds, f"{r.seconds / r.decode_seconds:.2f}x", None if r.speedup is None else f"{r.speedup:.1f}x"])
    methods = [*backends, BASELINE]
    for method in methods:
        mine = [r for r in runs if (r.method == method or r.method.startswith(method + " ")) and r.score is not None]
        if not mine:
            continue
        total = combine(r.score for r in mine if r.score is not None)
        seconds = sum(r.seconds for r in mine)
        decode = sum(r.decode_seconds for r in mine)
        base = sum(r.seconds for r in runs if r.method.startswith(BASELINE) and r.clip in {m.clip for m in mine})
        speedup = f"{base / seconds:.1f}x" if method != BASELINE and base and seconds else None
        rows.append([f"**all {len(mine)} clips**", method, total.f1, total.precision, total.recall, total.mean_cer,
                     total.median_boundary_error, seconds, decode, f"{seconds / decode:.2f}x", speedup])
    return tables.markdown(headers, rows)


if __name__ == "__main__":
    sys.exit(main())
