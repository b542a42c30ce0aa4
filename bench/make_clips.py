"""Build the text-in-video benchmark set: 12 clips (14-45 s, 360p-1080p) with exact ground truth.

    python bench/make_clips.py                 # all clips into bench/out/clips/ (skips up-to-date ones)
    python bench/make_clips.py --only news_1080p --force
    python bench/make_clips.py --list

Each clip ``NAME.mp4`` (or ``.ts``) comes with ``NAME.truth.json`` in the seeds'
shape (``{"data": [{"start", "end", "value", "box"}]}``), which
``framescribe eval`` reads. Everything is seeded: the same command gives the
same texts, timings and pictures on any machine. Needs bench/requirements.txt.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clipgen import CJK_SANS, CJK_SANS_BOLD, Clip, Inset, Occluder, Shot, Style, Text, build
from texts import BILINGUAL, CJK_LINES, CJK_PAIRS, PEOPLE, PLACE_CARDS, SHORT, SLIDES, SUBTITLES

OUT_DIR = Path(__file__).resolve().parent / "out" / "clips"


def pool(rng: random.Random, items: Sequence[str]) -> Iterator[str]:
    """Items in a seeded random order, reshuffled when used up, never the same twice in a row."""
    last = None
    while True:
        order = list(items)
        rng.shuffle(order)
        if order[0] == last:
            order.append(order.pop(0))
        yield from order
        last = order[-1]


def caption_track(
    rng: random.Random,
    lines: Iterator[str],
    start: float,
    end: float,
    style: Style,
    pos: tuple[float, float] = (0.5, 0.92),
    anchor: str = "mb",
    *,
    short_share: float = 0.15,
    max_duration: float = 3.5,
    joined_share: float = 0.25,
    two_line_share: float = 0.0,
) -> list[Text]:
    """Captions one after another, like subtitles: some only 0.55-0.85 s, some replacing the previous one at once."""
    out: list[Text] = []
    t = start
    while True:
        duration = rng.uniform(0.55, 0.85) if rng.random() < short_share else rng.uniform(1.2, max_duration)
        if t + duration > end:
            return out
        value = next(lines)
        if rng.random() < two_line_share:
            value = f"{value}\n{next(lines)}"
            duration = max(duration, 2.0)
        out.append(Text(round(t, 3), round(t + duration, 3), value, style, pos, anchor))
        t += duration + (0.0 if rng.random() < joined_share else rng.uniform(0.25, 1.2))


def subtitles_360p() -> Clip:
    rng = random.Random("subtitles_360p")
    style = Style("DejaVuSans.ttf", 0.065, (255, 255, 255), outline=(0, 0, 0), outline_width=0.1)
    return Clip(
        "subtitles_360p", (640, 360), 30.0,
        shots=(Shot("astronaut", 12, (0.3, 0.4, 1.2), (0.6, 0.5, 1.6)),
               Shot("chelsea", 10, (0.4, 0.5, 1.1), (0.6, 0.45, 1.3)),
               Shot("coffee", 8, (0.5, 0.6, 1.4), (0.45, 0.4, 1.1))),
        texts=tuple(caption_track(rng, pool(rng, SUBTITLES), 0.3, 29.7, style, two_line_share=0.2)),
        fps=30, description="white outlined subtitles (some two-line), DejaVu Sans, 30 fps, three shots with cuts",
    )


def yellow_720p() -> Clip:
    rng = random.Random("yellow_720p")
    style = Style("DejaVuSans-Bold.ttf", 0.055, (255, 221, 0), outline=(0, 0, 0), outline_width=0.1)
    label = Style("DejaVuSans-Bold.ttf", 0.04, (255, 255, 255), box=(200, 30, 30, 255), box_pad=0.3)
    return Clip(
        "yellow_720p", (1280, 720), 40.0,
        shots=(Shot("coffee", 14, (0.3, 0.5, 1.1), (0.7, 0.5, 1.3)),
               Shot("rocket", 13, (0.5, 0.5, 1.0), (0.55, 0.4, 1.8)),
               Shot("hubble_deep_field", 13, (0.4, 0.6, 1.2), (0.6, 0.4, 1.2))),
        texts=(Text(0, 40, "CAM 2", label, (0.03, 0.04), "lt"),
               *caption_track(rng, pool(rng, SUBTITLES), 0.5, 39.5, style)),
        fps=25, description="yellow outlined bold subtitles, boxed corner label on screen throughout, 25 fps",
    )


def news_1080p() -> Clip:
    rng = random.Random("news_1080p")
    logo = Style("DejaVuSans-Bold.ttf", 0.045, (255, 255, 255), shadow=(0, 0, 0), shadow_offset=0.06, shadow_blur=0.05)
    name = Style("DejaVuSans-Bold.ttf", 0.045, (255, 255, 255), box=(20, 40, 120, 235), align="left")
    role = Style("DejaVuSans.ttf", 0.035, (255, 255, 255), box=(0, 0, 0, 190), align="left")
    subs = Style("DejaVuSans.ttf", 0.04, (255, 255, 255), shadow=(0, 0, 0), shadow_offset=0.06, shadow_blur=0.06)
    thirds = []
    for (who, what), (a, b) in zip(PEOPLE, ((1.5, 7.0), (11.0, 16.5), (21.0, 26.0)), strict=False):
        thirds += [Text(a, b, who, name, (0.06, 0.70), "lb"), Text(a, b, what, role, (0.06, 0.715), "lt")]
    return Clip(
        "news_1080p", (1920, 1080), 30.0,
        shots=(Shot("rocket", 10, (0.4, 0.6, 1.1), (0.6, 0.5, 1.4)),
               Shot("astronaut", 10, (0.5, 0.3, 1.3), (0.5, 0.6, 1.3)),
               Shot("retina", 10, (0.5, 0.5, 1.0), (0.5, 0.5, 1.5))),
        texts=(Text(0, 30, "WORLD NEWS 24", logo, (0.97, 0.05), "rt"), *thirds,
               *caption_track(rng, pool(rng, SUBTITLES), 0.5, 29.5, subs, (0.5, 0.95), short_share=0.1)),
        fps=30, description="news: shadowed logo throughout, boxed two-part lower thirds, shadowed subtitles; up to 4 texts at once",
    )


def serif_480p() -> Clip:
    rng = random.Random("serif_480p")
    subs = Style("DejaVuSerif.ttf", 0.065, (255, 244, 214), shadow=(0, 0, 0), shadow_offset=0.08, shadow_blur=0.05)
    card = Style("DejaVuSerif-Italic.ttf", 0.055, (200, 240, 255), shadow=(0, 0, 0), shadow_offset=0.07, shadow_blur=0.04)
    cards = [Text(a, a + 3.0, text, card, (0.5, 0.06), "mt")
             for a, text in zip((2.0, 12.5, 22.0, 33.0), PLACE_CARDS, strict=True)]
    return Clip(
        "serif_480p", (854, 480), 40.0,
        shots=(Shot("chelsea", 10, (0.3, 0.5, 1.2), (0.7, 0.5, 1.2)),
               Shot("coffee", 10, (0.5, 0.5, 1.0), (0.5, 0.5, 1.6)),
               Shot("astronaut", 10, (0.2, 0.5, 1.3), (0.8, 0.5, 1.3)),
               Shot("retina", 10, (0.4, 0.4, 1.6), (0.6, 0.6, 1.2))),
        texts=(*cards, *caption_track(rng, pool(rng, SUBTITLES), 0.4, 39.6, subs)),
        fps=24, container="ts",
        description="shadowed serif subtitles and italic place cards at the top, 24 fps MPEG-TS (stream starts at 1.4 s)",
    )


def slides_720p() -> Clip:
    fonts = [("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"), ("STIXGeneralBol.ttf", "STIXGeneral.ttf"),
             ("DejaVuSerif-Bold.ttf", "DejaVuSerif.ttf"), ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"),
             ("DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")]
    texts: list[Text] = []
    per_slide = 9.0
    for k, ((title, bullets), (title_font, body_font)) in enumerate(zip(SLIDES, fonts, strict=True)):
        a, b = k * per_slide, (k + 1) * per_slide
        texts.append(Text(a, b, title, Style(title_font, 0.075, (20, 40, 90), align="left"), (0.06, 0.08), "lt"))
        for j, line in enumerate(bullets):
            style = Style(body_font, 0.045, (50, 50, 50), align="left")
            texts.append(Text(a + 1.5 + 2 * j, b, line, style, (0.08, 0.30 + 0.11 * j), "lt"))
        footer = Style("DejaVuSans.ttf", 0.03, (110, 110, 110), align="right")
        texts.append(Text(a, b, f"Slide {k + 1} of {len(SLIDES)}", footer, (0.96, 0.96), "rb"))
    return Clip(
        "slides_720p", (1280, 720), per_slide * len(SLIDES),
        shots=(Shot("gradient:F7F7F2:DDE3EC", per_slide * len(SLIDES)),),
        texts=tuple(texts),
        inset=Inset((0.72, 0.58, 0.24, 0.27), (Shot("astronaut", 25, (0.4, 0.3, 1.5), (0.5, 0.4, 2.0)),
                                                Shot("chelsea", 20, (0.5, 0.4, 1.3), (0.5, 0.5, 1.8)))),
        fps=30, description="slides: dark text on a still light background, bullets appearing one by one, "
                            "page numbers, a moving picture-in-picture; DejaVu, STIX and mono fonts",
    )


def vfr_540p() -> Clip:
    rng = random.Random("vfr_540p")
    subs = Style("DejaVuSans.ttf", 0.055, (0, 0, 0), box=(255, 255, 255, 235), box_pad=0.3)
    corner = Style("DejaVuSansMono-Bold.ttf", 0.04, (90, 255, 120), outline=(0, 0, 0), outline_width=0.1, align="left")
    note = Style("DejaVuSans-Oblique.ttf", 0.04, (255, 255, 255), outline=(30, 30, 30), outline_width=0.08, align="right")
    return Clip(
        "vfr_540p", (960, 540), 30.0,
        shots=(Shot("hubble_deep_field", 10, (0.3, 0.3, 1.2), (0.7, 0.7, 1.5)),
               Shot("retina", 10, (0.5, 0.5, 1.4), (0.4, 0.6, 1.0)),
               Shot("astronaut", 10, (0.6, 0.4, 1.2), (0.4, 0.5, 1.5))),
        texts=(Text(0, 30, "ARCHIVE FOOTAGE", corner, (0.03, 0.04), "lt"),
               Text(3, 12, "Recorded 14 May 2019", note, (0.97, 0.05), "rt"),
               Text(18, 27, "Location: Lisbon", note, (0.97, 0.05), "rt"),
               *caption_track(rng, pool(rng, SUBTITLES), 0.5, 29.5, subs)),
        vfr=((10, 30), (10, 12), (10, 30)),
        description="variable frame rate (30, 12, 30 fps): black text on white boxes, green mono corner label, "
                    "oblique notes top right",
    )


def portrait_360p() -> Clip:
    rng = random.Random("portrait_360p")
    boxed = Style("DejaVuSans-Bold.ttf", 0.032, (255, 255, 255), box=(0, 0, 0, 200), box_pad=0.35)
    handle = Style("DejaVuSans.ttf", 0.03, (255, 255, 255), shadow=(0, 0, 0), shadow_offset=0.08, shadow_blur=0.05)
    return Clip(
        "portrait_360p", (360, 640), 24.0,
        shots=(Shot("rocket", 12, (0.5, 0.3, 1.1), (0.5, 0.7, 1.4)),
               Shot("coffee", 12, (0.3, 0.5, 1.0), (0.7, 0.5, 1.2))),
        texts=(Text(0, 24, "@framescribe", handle, (0.5, 0.05), "mt"),
               *caption_track(rng, pool(rng, SHORT), 0.5, 23.5, boxed, (0.5, 0.72), "mm", max_duration=3.0)),
        fps=30, rotation=-90,
        description="phone video held upright: stored 640x360 with a -90 degree display matrix, boxed captions mid-screen",
    )


# -- closer to real footage: animated backgrounds, camera shake, grain, stronger compression -----------------------

GAP = "\u3000" * 4  # four ideographic spaces: the wide gap between two phrases of one subtitle line


def credits_720p() -> Clip:
    credit = Style("DejaVuSans.ttf", 0.04, (25, 35, 70), line_spacing=0.6)
    title = Style("DejaVuSans-Bold.ttf", 0.16, (255, 255, 255))
    byline = Style("DejaVuSans.ttf", 0.045, (255, 255, 255), shadow=(0, 0, 0), shadow_offset=0.05, shadow_blur=0.08)
    return Clip(
        "credits_720p", (1280, 720), 22.0,
        shots=(Shot("texture:sky", 7.5, (0.4, 0.5, 1.1), (0.5, 0.45, 1.15)),
               Shot("texture:foliage", 14.5, (0.4, 0.5, 1.2), (0.6, 0.5, 1.3), motion="sway")),
        texts=(Text(1.0, 6.5, "THE FOREST OPEN FILM PROJECT\nPRESENTS", credit, (0.5, 0.5), "mm", fade=(0.5, 0.5)),
               Text(8.5, 14.5, "Meadow Tales", title, (0.5, 0.45), "mm", fade=(1.0, 0.8)),
               Text(16.0, 21.0, "A FILM BY MARTA KOWALSKI", byline, (0.5, 0.82), "mm", fade=(0.4, 0.4))),
        occluders=(Occluder(10.2, 12.2, (0.12, 0.52), (0.88, 0.36)),),
        fps=24, crf=26, shake=3.0, grain=3.0,
        description="animated-film opening: a small centred 2-line credit fading in over drifting sky; a large bold "
                    "white title fading in over swaying foliage with a moth crossing it; a shadowed byline; shake, grain",
    )


def commentary_720p() -> Clip:
    logo = Style(CJK_SANS_BOLD, 0.04, (255, 255, 255), box=(200, 30, 30, 235), box_pad=0.3)
    subs = Style(CJK_SANS, 0.055, (255, 255, 255), outline=(0, 0, 0), outline_width=0.08)
    texts = [Text(0.0, 20.0, "新闻 8 NEWS", logo, (0.03, 0.04), "lt")]
    t = 0.8
    for a, b in CJK_PAIRS[:5]:
        texts.append(Text(round(t, 3), round(t + 3.6, 3), f"{a}{GAP}{b}", subs, (0.5, 0.94), "mb"))
        t += 3.6  # back to back
    return Clip(
        "commentary_720p", (1280, 720), 20.0,
        shots=(Shot("texture:night", 20, (0.3, 0.5, 1.1), (0.7, 0.5, 1.25), motion="lights"),),
        texts=tuple(texts), fps=30, crf=26, shake=2.0, grain=3.0,
        description="commentary: Chinese subtitles back to back, each one line of two phrases with a wide gap, "
                    "a boxed channel logo with text throughout, city lights drifting at night",
    )


def bilingual_480p() -> Clip:
    subs = Style(CJK_SANS, 0.055, (255, 255, 255), outline=(0, 0, 0), outline_width=0.08, line_spacing=0.2)
    mark = Style("DejaVuSans-Bold.ttf", 0.045, (255, 255, 255), opacity=0.6)
    texts = [Text(0.0, 20.0, "PIXELSTREAM", mark, (0.97, 0.05), "rt")]
    for k, (zh, en) in enumerate(BILINGUAL[:5]):
        a = 0.6 + 3.8 * k
        texts.append(Text(a, a + 3.0, f"{zh}\n{en}", subs, (0.5, 0.95), "mb"))
    return Clip(
        "bilingual_480p", (854, 480), 20.0,
        shots=(Shot("coffee", 10, (0.4, 0.5, 1.3), (0.55, 0.45, 1.4)),
               Shot("texture:foliage:1", 10, (0.5, 0.5, 1.2), (0.4, 0.5, 1.3), motion="sway")),
        texts=tuple(texts), fps=24, crf=27, shake=2.0, grain=2.5,
        description="film clip: two-line captions (Chinese over English), a translucent text watermark throughout",
    )


def city_800p() -> Clip:
    subs = Style(CJK_SANS, 0.05, (255, 255, 255), shadow=(0, 0, 0), shadow_offset=0.05, shadow_blur=0.06)
    texts = [Text(a, a + 2.8, line, subs, (0.5, 0.93), "mb") for a, line in zip((1.0, 6.5, 11.0), CJK_LINES, strict=False)]
    return Clip(
        "city_800p", (1920, 800), 14.0,
        shots=(Shot("texture:night:1", 14, (0.4, 0.5, 1.0), (0.6, 0.5, 1.2), motion="lights"),),
        texts=tuple(texts), fps=24, crf=26, shake=1.5, grain=2.0,
        description="wide film frame: shadowed Chinese subtitles with long gaps between them over bright city lights",
    )


def notext_480p() -> Clip:
    return Clip(
        "notext_480p", (854, 480), 14.0,
        shots=(Shot("texture:bark", 7, (0.3, 0.5, 1.1), (0.6, 0.5, 1.4)),
               Shot("texture:foliage:2", 7, (0.5, 0.4, 1.2), (0.5, 0.6, 1.2), motion="sway")),
        texts=(), fps=25, crf=28, shake=3.0, grain=3.0,
        description="no text at all: a textured tree trunk with glyph-like knots and cracks, then swaying foliage; "
                    "camera shake, grain, strong compression (every segment found is a false positive)",
    )


CLIPS = {c.__name__: c for c in (subtitles_360p, yellow_720p, news_1080p, serif_480p, slides_720p, vfr_540p, portrait_360p,
                                 credits_720p, commentary_720p, bilingual_480p, city_800p, notext_480p)}
FOOTAGE = ("credits_720p", "commentary_720p", "bilingual_480p", "city_800p", "notext_480p")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output directory [default: {OUT_DIR}]")
    parser.add_argument("--only", action="append", choices=sorted(CLIPS), help="build just this clip (repeatable)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--list", action="store_true", help="list the clips and exit")
    args = parser.parse_args(argv)
    for name in args.only or list(CLIPS):
        clip = CLIPS[name]()
        if args.list:
            w, h = clip.size
            print(f"{name:<16} {w}x{h} {clip.duration:>4.0f} s {len(clip.texts):>3} texts  {clip.description}")
            continue
        began = time.perf_counter()
        video, _truth_path, rebuilt = build(clip, args.out, force=args.force)
        state = f"built in {time.perf_counter() - began:.1f} s" if rebuilt else "up to date"
        print(f"{video}  ({len(clip.texts)} texts, {state})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
