"""Regenerate examples/demo.mp4 and examples/demo.truth.json with the benchmark clip generator.

    pip install -r requirements-dev.txt -r bench/requirements.txt
    python examples/make_demo.py

Two captions over a slowly panning photo (scikit-image's ``coffee``), in a
clean boxed subtitle style Tesseract reads reliably; 6 s of 640x360 H.264.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "bench"))

from clipgen import Clip, Shot, Style, Text, build  # noqa: E402

CAPTION = Style("DejaVuSans-Bold.ttf", 0.075, (255, 255, 255), box=(0, 0, 0, 225), box_pad=0.35)

DEMO = Clip(
    "demo", (640, 360), 6.0,
    shots=(Shot("coffee", 6.0, (0.4, 0.5, 1.15), (0.6, 0.5, 1.3), ease=False),),
    texts=(Text(0.5, 2.8, "Hello from framescribe", CAPTION, (0.5, 0.9), "mb"),
           Text(3.2, 5.6, "Text in video, read offline", CAPTION, (0.5, 0.9), "mb")),
    fps=25, crf=23,
    description="framescribe demo: two boxed captions over a panning photo",
)


def main() -> int:
    video, truth, _ = build(DEMO, HERE, force=True)
    print(f"{video} ({video.stat().st_size // 1024} KB), {truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
