"""Screenshots of the page (``framescribe serve --library``) for docs/server.md and the README.

    python docs/screenshots.py            # writes docs/images/page-*.png

Builds a small demo library in a temporary folder (generated media, text written with the library API),
starts ``framescribe serve --library`` on a free loopback port, and photographs the library list, a search
and a media page at a desktop and a phone width with Debian's Chromium (``apt-get install chromium``)
driven by Playwright (``pip install playwright``; no ``playwright install`` needed). Nothing leaves the machine.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from framescribe import OcrResult, Segment, VideoResult
from framescribe.library import Library
from framescribe.testing import make_text_image, make_text_video
from framescribe.types import Block, Box, Line, Word
from framescribe_server.testing import ServerProcess
from framescribe_server.web.catalog import media_id

OUT = Path(__file__).resolve().parent / "images"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--hide-scrollbars"]
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

SLIDES = [(0.0, 4.0, "Q3 REVIEW"), (4.0, 9.0, "QUARTERLY TARGETS"), (9.0, 14.0, "REVENUE +12%"), (14.0, 20.0, "NEXT STEPS")]
SPEECH = [
    (0.0, 3.5, "Good morning, and thanks for joining the third-quarter review."),
    (3.5, 8.0, "First, the quarterly targets: we set three of them in July."),
    (8.0, 12.5, "Revenue grew twelve percent, ahead of the plan."),
    (12.5, 16.0, "Support tickets went down for the second quarter in a row."),
    (16.0, 20.0, "Next steps: hiring for the data team and the new onboarding flow."),
]


def timed(cards: list[tuple[float, float, str]], backend: str, duration: float) -> VideoResult:
    return VideoResult([Segment(s, e, v) for s, e, v in cards], backend=backend, duration=duration)


def build(root: Path) -> dict[str, str]:
    talks, scans = root / "talks", root / "scans"
    talks.mkdir(parents=True)
    scans.mkdir()
    review = make_text_video(talks / "q3-review.webm", SLIDES, size=(640, 360), fps=5)
    standup = make_text_video(talks / "team-standup.webm", [(0.0, 6.0, "STANDUP")], size=(640, 360), fps=5)
    receipt = make_text_image(scans / "receipt-2026-03.png", "TOTAL 42.00 EUR", size=(640, 200))
    broken = talks / "recording-cut.mp4"
    broken.write_bytes(b"\x00" * 64)
    words = (Word("TOTAL", Box(120, 75, 150, 50)), Word("42.00", Box(290, 75, 130, 50)), Word("EUR", Box(440, 75, 90, 50)))
    page = OcrResult("TOTAL 42.00 EUR", confidence=0.93, language="eng", backend="tesseract",
                     layout=[Block((Line(words, Box(120, 75, 410, 50)),), Box(120, 75, 410, 50))])
    with Library(root / "library.sqlite3") as lib:
        lib.add(review, {"video_text": timed([(s, e, t.title()) for s, e, t in SLIDES], "tesseract", 20.0),
                         "transcribe": timed(SPEECH, "whisper", 20.0)}, kind="video", duration=20.0)
        lib.add(standup, {"video_text": timed([(0.0, 6.0, "Standup")], "tesseract", 6.0),
                          "transcribe": timed([(0.0, 6.0, "Yesterday I finished the quarterly report.")], "whisper", 6.0)},
                kind="video", duration=6.0)
        lib.add(receipt, {"image_ocr": [page]}, kind="image")
        lib.add(broken, {}, error="no video stream: the file ends after 64 bytes", kind="video")
    return {"video": media_id(str(review.resolve())), "image": media_id(str(receipt.resolve()))}


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    # A fixed folder, so the paths the pages show (and so the pictures) do not change from run to run.
    root = Path(tempfile.gettempdir()) / "framescribe-demo"
    shutil.rmtree(root, ignore_errors=True)
    try:
        ids = build(root / "media")
        config = {"serve": {"workers": 1, "isolation": "thread"}}
        env = {"FRAMESCRIBE_CACHE_DIR": str(root / "cache"), "XDG_CONFIG_HOME": str(root / "xdg"), "FRAMESCRIBE_CONFIG": ""}
        server = ServerProcess(root / "server", config=config, env=env,
                               args=["--library", str(root / "media" / "library.sqlite3")])
        pages = {"library": "/", "search": "/search?q=quarterly", "media": f"/media/{ids['video']}?t=5&c=transcribe"}
        with server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height},
                                              device_scale_factor=1, is_mobile=width_name == "phone")
                tab = context.new_page()
                for name, path in pages.items():
                    tab.goto(path)
                    if name == "media":
                        # Played a moment and paused at 0:05, so no loading spinner is left over the picture.
                        tab.evaluate("async () => { const v = document.querySelector('video'); v.muted = true;"
                                     " await v.play(); v.pause(); v.currentTime = 5; }")
                        tab.wait_for_function("() => { const v = document.querySelector('video');"
                                              " return v.readyState >= 2 && !v.seeking; }")
                        tab.wait_for_timeout(500)
                    target = OUT / f"page-{name}-{width_name}.png"
                    tab.screenshot(path=str(target), full_page=width_name == "phone")
                    print(target.relative_to(OUT.parent.parent))
                if width_name == "desktop":
                    tab.goto(f"/media/{ids['image']}?boxes=1")
                    target = OUT / "page-image-boxes-desktop.png"
                    tab.screenshot(path=str(target))
                    print(target.relative_to(OUT.parent.parent))
                context.close()
            browser.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
