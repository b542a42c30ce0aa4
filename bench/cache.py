"""What the result cache costs and saves: a run with the cache off, a miss (run + store), and a hit.

Three cases through ``Framescribe`` in this process, each timed ``--runs`` times
with the sides taking turns (medians):

* ``ocr``       tesseract on a generated text image (the answer depends on the media only);
* ``subtitles`` transcribe with a sidecar ``.srt`` beside a generated clip (a hit re-checks the
                recorded sidecar listing and digests);
* ``lookup``    a plain cache hit in isolation: ``ResultCache.get`` of one answer among ``--entries``.

Ratios are within one run: miss / off is the cache's overhead on a miss (1.0 means free), hit / off
its saving. The machine may be shared: read the ratios, not the seconds.

    python bench/cache.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import tables

from framescribe import Framescribe
from framescribe.cache import ResultCache
from framescribe.testing.media import make_text_image, make_text_video

OUT = Path(__file__).parent / "out"


def _timed(fn: Callable[..., object], *args: object) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def measure(call: Callable[[Framescribe], object], runs: int, folder: Path) -> dict[str, float]:
    """Median seconds of one call with the cache off, on a miss and on a hit (Framescribe built beforehand)."""
    times: dict[str, list[float]] = {"off": [], "miss": [], "hit": []}
    call(Framescribe({}, use_cache=False))  # warm-up: imports, models
    for run in range(runs):
        os.environ["FRAMESCRIBE_CACHE_DIR"] = str(folder / f"cache{run}")
        ResultCache().put("an-earlier-answer", {"data": []})  # the cache file exists, as after a first run
        off, cached, fresh = Framescribe({}, use_cache=False), Framescribe({}), Framescribe({})
        if run % 2:  # the cache-off side goes first on odd runs and last on even ones, against order effects
            times["off"].append(_timed(call, off))
        times["miss"].append(_timed(call, cached))
        # A new Framescribe: nothing remembered in memory (digests), the hit comes from the file.
        times["hit"].append(_timed(call, fresh))
        if not run % 2:
            times["off"].append(_timed(call, off))
        for fs in (off, cached, fresh):
            fs.close()
    return {k: statistics.median(v) for k, v in times.items()}


def lookup(entries: int, runs: int, folder: Path) -> dict[str, float]:
    cache = ResultCache(folder / "lookup.sqlite3")
    answer = {"data": [{"start": float(i), "end": i + 1.0, "value": f"caption {i}"} for i in range(50)]}
    for i in range(entries):
        cache.put(f"key{i}", answer)
    gets = [_timed(cache.get, f"key{entries // 2}") for _ in range(runs * 20)]
    cache.close()
    return {"off": float("nan"), "miss": float("nan"), "hit": statistics.median(gets)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median) [default: 5]")
    parser.add_argument("--entries", type=int, default=5000, help="answers in the cache for the lookup case")
    parser.add_argument("--markdown", type=Path, default=OUT / "cache.md", help="where to write the table")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fs-bench-cache-") as tmp:
        folder = Path(tmp)
        image = make_text_image(folder / "scan.png", "THE CACHE ONLY MAKES THINGS FASTER", size=(1200, 200))
        clip = make_text_video(folder / "talk.mp4", [(0.0, 2.0, "TALK")], size=(320, 180), fps=5)
        (folder / "talk.srt").write_text("".join(
            f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\nline {i}\n\n" for i in range(50)))
        cases = {
            "ocr (tesseract)": measure(lambda fs: fs.image_ocr(image, backend="tesseract"), args.runs, folder),
            "transcribe (subtitles, sidecar)": measure(lambda fs: fs.transcribe(clip, backend="subtitles"),
                                                       args.runs, folder),
            f"lookup among {args.entries} answers": lookup(args.entries, args.runs, folder),
        }
    rows: list[list[object]] = []
    for name, t in cases.items():
        off = t["off"]
        rows.append([name, off * 1000 if off == off else None, t["miss"] * 1000 if t["miss"] == t["miss"] else None,
                     t["hit"] * 1000, f"{t['miss'] / off:.2f}x" if off == off else None,
                     f"{t['hit'] / off:.3f}x" if off == off else None])
    headers = ["case", "cache off ms", "miss ms", "hit ms", "miss / off", "hit / off"]
    body = tables.markdown(headers, rows)
    print(body)
    note = (f"\nMedians of {args.runs} runs, the sides taking turns, in one process after a warm-up; "
            "miss: an empty cache (run + store); hit: a new Framescribe on the same cache file.\n")
    tables.save(args.markdown, "Result cache", body + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
