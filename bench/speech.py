"""Speech benchmark: the whisper backend's accuracy, speed, overhead and memory on the committed speech clips.

    python bench/speech.py                   # all three parts, about 20 minutes on 2 cores
    python bench/speech.py --runs 5 --long-seconds 120 --skip-memory

1. Accuracy and speed: word error rate (jiwer, after lower-casing and dropping
   punctuation) and real-time factor (seconds of work per second of audio) of
   ``framescribe transcribe --backend whisper`` on each clip of
   plugins/whisper/tests/data (espeak-ng speech with exact transcripts).
2. Overhead: framescribe (API call, cache off, model already loaded) against
   calling faster-whisper directly on the same file with the same model and
   settings; runs alternate, and each runner's fastest of ``--runs`` (the run least
   disturbed by other work) is compared, in CPU time and wall time. Target: <= 5 %.
3. Memory and long media: how far RSS rises above "model loaded" while a fresh
   process transcribes the clips repeated to ``--long-seconds`` (1x, longer than
   the backend's 300 s window) and four times that (4x), framescribe and
   faster-whisper directly, with ``--memory-beam-size`` (1: greedy, to keep this
   part short); with the real-time factor and WER of each, which is also the
   overhead on media longer than one window. framescribe decodes and recognises
   in windows, so its rise should stay flat; faster-whisper decodes the whole
   soundtrack and its spectrogram first.

Tables are printed and written to bench/out/speech.md. Timing on a busy machine
is noisy: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the packaged model only: never fetch from a hub

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tables

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "plugins" / "whisper" / "tests" / "data"
OUT = Path(__file__).resolve().parent / "out"
CLIPS = ("hello", "weather", "two_parts")


def words_of(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def reference(name: str) -> str:
    return words_of(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))["transcript"])


def settings() -> Any:
    from framescribe_whisper.settings import WhisperSettings

    return WhisperSettings()


def direct_model(s: Any) -> Any:
    """A WhisperModel made exactly as the backend makes it, but by the caller: faster-whisper on its own."""
    from faster_whisper import WhisperModel

    from framescribe_whisper.model import resolve_model

    return WhisperModel(resolve_model(s.model).source, device=s.device, compute_type=s.compute_type,
                        cpu_threads=s.cpu_threads or os.cpu_count() or 1)


def run_direct(model: Any, path: Path, s: Any) -> str:
    segments, _ = model.transcribe(str(path), language=s.language or "en", beam_size=s.beam_size,
                                   vad_filter=s.vad_filter, word_timestamps=s.word_timestamps)
    return " ".join(seg.text.strip() for seg in segments)


def run_framescribe(fs: Any, path: Path) -> str:
    result = fs.transcribe(path, backend="whisper")
    return " ".join(seg.value for seg in result.segments)


def duration_of(path: Path) -> float:
    from framescribe.media import probe

    info = probe(path)
    return float(info.duration or 0.0)


def accuracy_and_overhead(runs: int) -> tuple[str, str]:
    import jiwer

    from framescribe import Framescribe

    s = settings()
    fs = Framescribe(use_cache=False)
    model = direct_model(s)
    for name in CLIPS:  # warm-up: both models loaded, caches and threads started
        run_framescribe(fs, DATA / f"{name}.mp4")
        run_direct(model, DATA / f"{name}.mp4", s)
    rows, over_rows = [], []
    refs, hyps = [], []
    totals = {"fs_wall": 0.0, "direct_wall": 0.0, "fs_cpu": 0.0, "direct_cpu": 0.0, "audio": 0.0}
    for name in CLIPS:
        path = DATA / f"{name}.mp4"
        audio = duration_of(path)
        times: dict[str, list[float]] = {"fs_wall": [], "direct_wall": [], "fs_cpu": [], "direct_cpu": []}
        text = direct_text = ""
        for _ in range(runs):  # alternate, so a burst of load elsewhere hits both alike
            wall, cpu = time.perf_counter(), time.process_time()
            text = run_framescribe(fs, path)
            times["fs_wall"].append(time.perf_counter() - wall)
            times["fs_cpu"].append(time.process_time() - cpu)
            wall, cpu = time.perf_counter(), time.process_time()
            direct_text = run_direct(model, path, s)
            times["direct_wall"].append(time.perf_counter() - wall)
            times["direct_cpu"].append(time.process_time() - cpu)
        med = {k: statistics.median(v) for k, v in times.items()}
        # The overhead compares each runner's fastest run: the one least disturbed by other work on the machine.
        best = {k: min(v) for k, v in times.items()}
        for k, v in best.items():
            totals[k] += v
        totals["audio"] += audio
        ref = reference(name)
        refs.append(ref)
        hyps.append(words_of(text))
        rows.append([name, round(audio, 2), jiwer.wer(ref, words_of(text)), jiwer.wer(ref, words_of(direct_text)),
                     med["fs_wall"] / audio, med["fs_cpu"] / audio])
        over_rows.append(_overhead_row(name, best))
    rows.append(["all", round(totals["audio"], 2), jiwer.wer(refs, hyps), None, None, None])
    over_rows.append(_overhead_row("all", totals))
    accuracy = tables.markdown(["clip", "audio s", "WER framescribe", "WER faster-whisper", "RTF wall (median)",
                                "RTF CPU (median)"], rows)
    overhead = tables.markdown(["clip", "framescribe CPU s (best)", "faster-whisper CPU s (best)", "overhead CPU",
                                "framescribe wall s (best)", "faster-whisper wall s (best)", "overhead wall"], over_rows)
    return accuracy, overhead


def _overhead_row(name: str, t: dict[str, float]) -> list[object]:
    return [name, t["fs_cpu"], t["direct_cpu"], f"{100 * (t['fs_cpu'] / t['direct_cpu'] - 1):+.1f}%",
            t["fs_wall"], t["direct_wall"], f"{100 * (t['fs_wall'] / t['direct_wall'] - 1):+.1f}%"]


def make_long(seconds: float) -> Path:
    """The clips in a row, repeated until about ``seconds`` long (stream copy: quick)."""
    from framescribe.media import ffmpeg_exe

    folder = OUT / "speech"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"long_{int(seconds)}s.mp4"
    if target.exists():
        return target
    cycle = sum(duration_of(DATA / f"{n}.mp4") for n in CLIPS)
    repeats = max(1, round(seconds / cycle))
    listing = folder / f"long_{int(seconds)}s.txt"
    listing.write_text("".join(f"file '{DATA / n}.mp4'\n" for _ in range(repeats) for n in CLIPS), encoding="utf-8")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(target)], check=True)
    (folder / f"long_{int(seconds)}s.ref.txt").write_text(" ".join(reference(n) for _ in range(repeats) for n in CLIPS),
                                                          encoding="utf-8")
    return target


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker(kind: str, path: Path, beam_size: int) -> None:
    """One transcription in this fresh process; prints seconds, memory and the text as JSON.

    The model is loaded first and the peak-RSS mark reset after it (Linux
    /proc/self/clear_refs), so ``peak_mb`` is the peak while transcribing: what
    grows with the media, not the libraries and weights every run loads alike.
    """
    s = settings().model_copy(update={"beam_size": beam_size})
    if kind == "framescribe":
        from framescribe import Framescribe
        from framescribe_whisper.model import load_model

        load_model(s)  # the backend's own model cache: the call below reuses it
        runner = Framescribe({"backends": {"whisper": {"beam_size": beam_size}}}, use_cache=False)
    else:
        runner = direct_model(s)
    loaded_mb = _status_kb("VmRSS") / 1024
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    t = time.perf_counter()
    text = run_framescribe(runner, path) if kind == "framescribe" else run_direct(runner, path, s)
    seconds = time.perf_counter() - t
    peak_mb = _status_kb("VmHWM") / 1024
    print(json.dumps({"seconds": seconds, "loaded_mb": loaded_mb, "peak_mb": peak_mb,
                      "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "text": text}))


# glibc raises its mmap threshold each time a large block is freed, so later large arrays come
# from the heap and fragment it: the peak RSS then creeps up with the number of windows though
# nothing is kept. A fixed threshold shows what the windows themselves hold.
MMAP_FIXED = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}
RUNNERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("framescribe", "framescribe", {}),
    ("faster-whisper", "faster-whisper", {}),
    ("framescribe, glibc mmap threshold 1 MiB", "framescribe", MMAP_FIXED),
)


def memory(long_seconds: float, beam_size: int) -> str:
    import jiwer

    rows = []
    peaks: dict[str, list[float]] = {}
    for factor in (1, 4):
        path = make_long(long_seconds * factor)
        ref = path.with_name(path.stem + ".ref.txt").read_text(encoding="utf-8")
        audio = duration_of(path)
        for label, kind, env in RUNNERS:
            out = subprocess.run([sys.executable, __file__, "--worker", kind, str(path), str(beam_size)],
                                 capture_output=True, text=True,
                                 check=True, env={**os.environ, "HF_HUB_OFFLINE": "1", **env})
            data = json.loads(out.stdout.strip().splitlines()[-1])
            growth = data["peak_mb"] - data["loaded_mb"]
            peaks.setdefault(label, []).append(growth)
            rows.append([f"{factor}x", label, round(audio, 1), round(data["loaded_mb"], 1), round(data["peak_mb"], 1),
                         round(growth, 1), data["seconds"] / audio, jiwer.wer(ref, words_of(data["text"]))])
            print(f"  {factor}x {label}: +{growth:.0f} MB over the loaded model, {data['seconds']:.1f} s", flush=True)
    for kind, (one, four) in peaks.items():
        rows.append(["4x/1x", kind, None, None, None, f"{four / max(one, 1e-9):.2f}x", None, None])
    return tables.markdown(["length", "runner", "audio s", "RSS after load MB", "peak RSS MB", "growth MB", "RTF", "WER"],
                           rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per clip and runner")
    parser.add_argument("--long-seconds", type=float, default=330.0, help="length of the 1x media for the memory part")
    parser.add_argument("--memory-beam-size", type=int, default=1, help="beam size of both runners in the memory part")
    parser.add_argument("--skip-memory", action="store_true", help="only accuracy, speed and overhead")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "PATH", "BEAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), int(args.worker[2]))
        return
    s = settings()
    print(f"model {s.model}, compute_type {s.compute_type}, beam_size {s.beam_size}, "
          f"cpu_threads {s.cpu_threads or os.cpu_count()}, window {s.window_seconds:g} s", flush=True)
    accuracy, overhead = accuracy_and_overhead(args.runs)
    print("\nAccuracy and speed (RTF: seconds of work per second of audio)\n" + accuracy)
    print("Overhead of framescribe over faster-whisper called directly (target <= 5%; CPU time is the steadier measure "
          "on a shared machine)\n" + overhead)
    body = f"### Accuracy and speed\n\n{accuracy}\n### Overhead over faster-whisper directly\n\n{overhead}"
    if not args.skip_memory:
        print("Memory (fresh process per row)...", flush=True)
        mem = memory(args.long_seconds, args.memory_beam_size)
        print("\n" + mem)
        body += ("\n### Memory while transcribing, 1x and 4x media length\n\n"
                 f"growth = peak RSS during the transcription minus RSS with the model loaded; "
                 f"beam size {args.memory_beam_size}. The last runner is framescribe with glibc's "
                 f"malloc mmap threshold fixed (MALLOC_MMAP_THRESHOLD_=1048576): glibc otherwise raises it "
                 f"after each large free, and heap fragmentation, not data kept, makes the peak creep up "
                 f"from window to window.\n\n" + mem)
    tables.save(OUT / "speech.md", "Speech (whisper backend, tiny.en)", body)


if __name__ == "__main__":
    main()
