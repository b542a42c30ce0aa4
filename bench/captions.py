"""Closed captions and bitmap subtitle tracks: what reading them costs.

    python bench/captions.py                # 3 runs, a 2-minute 720p MPEG-TS with CEA-608 captions
    python bench/captions.py --runs 5 --minutes 4

Closed captions: the subtitles backend demuxes the video packets and decodes the
608 bytes itself (no picture decoded); the plain alternative is ffmpeg's lavfi
``movie=FILE[out+subcc]`` source, which decodes every picture to hand over the
captions. Decode-only (``ffmpeg -i FILE -f null -``) is the floor any
picture-decoding way pays. The three take turns run by run; the table gives
medians and ratios measured within the run. Bitmap tracks: the seconds per
subtitle picture of a PGS track read through the image_ocr chain (tesseract by
default). The media is made by plugins/subtitles/tests/caption_media.py (a
moving test pattern, so decoding costs what real video costs). The table also
goes to bench/out/captions.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins" / "subtitles" / "tests"))  # the media makers

import tables
from caption_media import FPS, bitmap_videos, captioned_videos, standard_script

from framescribe import Framescribe
from framescribe.media import ffmpeg_exe
from framescribe_subtitles.bitmaps import read_bitmap_track
from framescribe_subtitles.captions import scan_captions

HERE = Path(__file__).resolve().parent


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = standard_script()
        script = standard_script(max(1, round(args.minutes * 60 * FPS / len(one.pairs))))
        video = captioned_videos(folder, script, picture="testsrc2=s=1280x720", reencode=False)["ts"]
        seconds = len(script.pairs) / FPS

        def ours() -> None:
            scan_captions(video, 0).decode()

        def lavfi() -> None:
            subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"movie={video.name}[out+subcc]", "-map", "0:1",
                            "-f", "srt", "-"], cwd=folder, check=True, capture_output=True)

        def decode_only() -> None:
            subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "null", "-"], check=True)

        times: dict[str, list[float]] = {"ours": [], "lavfi": [], "decode": []}
        for _ in range(args.runs):
            times["ours"].append(timed(ours))
            times["lavfi"].append(timed(lavfi))
            times["decode"].append(timed(decode_only))
        med = {k: statistics.median(v) for k, v in times.items()}
        rows: list[list[object]] = [
            [f"CEA-608, {seconds:.0f} s 720p MPEG-TS", "subtitles (packets)", med["ours"], 1.0],
            ["", "lavfi movie+subcc", med["lavfi"], f"{med['lavfi'] / med['ours']:.1f}x"],
            ["", "decode only", med["decode"], f"{med['decode'] / med['ours']:.1f}x"],
        ]
        cues = [(0.5 + 2 * n, 2.0 + 2 * n, f"Bitmap subtitle number {n + 1}") for n in range(10)]
        pgs = bitmap_videos(folder, cues)["pgs"]
        fs = Framescribe(use_cache=False)

        def read_image(image: Path, language: str | None) -> str:
            return "\n".join(page.text for page in fs.image_ocr(image, language=language))

        per_event = [timed(lambda: read_bitmap_track(pgs, 1, read_image, None)) / len(cues) for _ in range(args.runs)]
        rows.append(["PGS, 10 pictures", "subtitles (OCR per picture)", statistics.median(per_event), "-"])
    body = tables.markdown(["media", "reader", "median s", "ratio to ours"], rows)
    print(body)
    print("Machine shared with other work: compare the ratios, not the seconds.")
    tables.save(HERE / "out" / "captions.md", "Captions and bitmap subtitles", body)


if __name__ == "__main__":
    main()
