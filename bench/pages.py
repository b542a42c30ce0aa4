"""Generated pages for image OCR, one set per class a user meets, each with the exact text drawn.

    from pages import make_pages
    for page in make_pages(Path("bench/out/pages")): page.path, page.cls, page.truth

Classes: ``transparent`` (L+A, RGBA and palette images with dark and with
light text, as PNG, WebP, GIF and TIFF), ``rotated`` (one page turned 0, 90,
180 and 270 degrees, each also with a 3 degree skew), ``screenshot`` (UI text
in small anti-aliased fonts, light and dark), ``low_res`` (small crops of
small text), ``infographic`` (text over colour panels at several sizes) and
``photo`` (a page in perspective with uneven light, colour cast, blur and
noise). Everything is seeded: the same command draws the same pixels.
The truth of a page is its lines top to bottom, left to right within a row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from clipgen import load_font
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from texts import SLIDES, SUBTITLES

INK = (25, 25, 25)


@dataclass(frozen=True)
class Page:
    path: Path
    cls: str
    truth: str
    note: str  # what the page is, for the table


def _lines(start: int, count: int) -> list[str]:
    return [SUBTITLES[(start + i) % len(SUBTITLES)] for i in range(count)]


def _text_mask(lines: list[str], font: ImageFont.FreeTypeFont, pad: int = 30, gap: float = 1.5) -> Image.Image:
    """The lines drawn white on black (an 8-bit coverage mask, anti-aliased), tight with ``pad`` around."""
    step = round(font.size * gap)
    width = max(round(font.getlength(line)) for line in lines) + 2 * pad
    mask = Image.new("L", (width, pad * 2 + step * len(lines)), 0)
    draw = ImageDraw.Draw(mask)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * step), line, font=font, fill=255)
    return mask


# -- transparent ------------------------------------------------------------------------------------------------


def _transparent() -> list[tuple[str, Image.Image, str, str]]:
    font = load_font("DejaVuSans.ttf", 30)
    out = []

    def add(name: str, lines: list[str], make: Callable[[Image.Image], Image.Image], note: str) -> None:
        out.append((name, make(_text_mask(lines, font)), "\n".join(lines), note))

    def la(level: int) -> Callable[[Image.Image], Image.Image]:
        # The text lives in the alpha channel only: every pixel has the same grey, the letters are opaque.
        return lambda m: Image.merge("LA", (Image.new("L", m.size, level), m))

    def rgba(colour: tuple[int, int, int]) -> Callable[[Image.Image], Image.Image]:
        def make(m: Image.Image) -> Image.Image:
            # Transparent pixels hold colour too (black here, as many exporters leave them): only alpha says "no".
            img = Image.new("RGBA", m.size, (0, 0, 0, 0))
            img.paste(Image.new("RGBA", m.size, (*colour, 255)), mask=m)
            return img
        return make

    def palette(colour: tuple[int, int, int]) -> Callable[[Image.Image], Image.Image]:
        def make(m: Image.Image) -> Image.Image:
            # A two-colour palette image: index 0 transparent (its colour the same as the text's), 1 the text.
            img = Image.new("P", m.size, 0)
            img.putpalette([*colour, *colour] + [0] * 762)
            img.paste(1, mask=m.point(lambda v: 255 if v >= 128 else 0))
            img.info["transparency"] = 0
            return img
        return make

    add("alpha_text_la.png", _lines(0, 3), la(0), "L+A, black everywhere, text in alpha (PNG)")
    add("white_text_la.png", _lines(3, 3), la(255), "L+A, white text on transparent (PNG)")
    add("dark_text_rgba.webp", _lines(6, 3), rgba(INK), "RGBA, dark text (WebP)")
    add("light_text_rgba.tiff", _lines(9, 3), rgba((250, 250, 250)), "RGBA, light text (TIFF)")
    add("yellow_text_rgba.png", _lines(12, 3), rgba((255, 210, 40)), "RGBA, yellow text (PNG)")
    add("dark_text_palette.gif", _lines(15, 3), palette((10, 10, 10)), "palette + transparency, dark text (GIF)")
    add("light_text_palette.png", _lines(18, 3), palette((255, 255, 255)), "palette + transparency, light text (PNG)")
    return out


# -- rotated --------------------------------------------------------------------------------------------------------


def _upright_page() -> tuple[Image.Image, str]:
    """An A5-like page at 150 dpi: a title and paragraphs of 22 px serif text."""
    page = Image.new("RGB", (874, 1240), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    title, body = load_font("DejaVuSerif-Bold.ttf", 34), load_font("DejaVuSerif.ttf", 22)
    lines = ["Notes from the harbour"]
    draw.text((90, 90), lines[0], font=title, fill=INK)
    y = 170
    for i in range(24):
        line = SUBTITLES[(40 + i) % len(SUBTITLES)]
        draw.text((90, y), line, font=body, fill=INK)
        lines.append(line)
        y += 52 if i % 6 == 5 else 38
    return page, "\n".join(lines)


def _rotated() -> list[tuple[str, Image.Image, str, str]]:
    page, truth = _upright_page()
    out = []
    for turn in (0, 90, 180, 270):
        for skew in (0, 3):
            # PIL turns counterclockwise; a page "rotated 90" here is turned 90 degrees clockwise, as a scan of a
            # page fed sideways. The skew is a small extra turn, as from a crooked scan.
            img = page.rotate(-(turn + skew), expand=True, fillcolor=(255, 255, 255), resample=Image.Resampling.BICUBIC)
            name = f"page_{turn:03d}" + (f"_skew{skew}" if skew else "") + ".png"
            out.append((name, img, truth, f"A5 page turned {turn} deg" + (f" + {skew} deg skew" if skew else "")))
    return out


# -- screenshots ------------------------------------------------------------------------------------------------------


def _screenshot(dark: bool, size: int) -> tuple[Image.Image, str]:
    """A settings window: title bar, a sidebar of sections, rows of labels and values, buttons; small UI fonts."""
    bg, panel, fg, dim = ((32, 33, 36), (45, 46, 50), (232, 234, 237), (154, 160, 166)) if dark else \
        ((246, 246, 246), (255, 255, 255), (32, 33, 36), (95, 99, 104))
    img = Image.new("RGB", (1024, 640), bg)
    draw = ImageDraw.Draw(img)
    ui, bold = load_font("DejaVuSans.ttf", size), load_font("DejaVuSans-Bold.ttf", size + 2)
    lines: list[str] = []
    draw.rectangle((0, 0, 1024, 36), fill=panel)
    draw.text((16, 10), "Preferences - Notes", font=bold, fill=fg)
    lines.append("Preferences - Notes")
    sections = ["General", "Accounts", "Sync", "Appearance", "Shortcuts", "Privacy"]
    rows = [("Default folder", "Documents/Notes"), ("Save every", "5 minutes"), ("Spell check", "English (UK)"),
            ("Font size", "12 points"), ("Theme", "Follow the system"), ("Backups kept", "14 days"),
            ("Last synced", "Today at 09:41"), ("Storage used", "312 MB of 2 GB")]
    draw.rectangle((0, 36, 200, 640), fill=panel)
    # Reading order: the sidebar first (a column), then the rows; each row is one line "label value".
    for i, s in enumerate(sections):
        draw.text((20, 60 + i * 32), s, font=ui, fill=fg if i else dim)
        lines.append(s)
    y = 60
    for label, value in rows:
        draw.text((240, y), label, font=ui, fill=dim)
        draw.text((480, y), value, font=ui, fill=fg)
        lines.append(f"{label} {value}")
        y += 40
    for i, button in enumerate(("Cancel", "Apply changes")):
        x = 700 + i * 130
        draw.rounded_rectangle((x, 580, x + 120, 612), 6, fill=(26, 115, 232) if i else panel,
                               outline=dim)
        draw.text((x + 12, 588), button, font=ui, fill=(255, 255, 255) if i else fg)
    lines.append("Cancel Apply changes")
    return img, "\n".join(lines)


def _screenshots() -> list[tuple[str, Image.Image, str, str]]:
    out = []
    for dark in (False, True):
        for size in (12, 14):
            img, truth = _screenshot(dark, size)
            name = f"settings_{'dark' if dark else 'light'}_{size}px.png"
            out.append((name, img, truth, f"UI window, {size} px anti-aliased, {'dark' if dark else 'light'}"))
    return out


# -- low-resolution crops ---------------------------------------------------------------------------------------


def _low_res() -> list[tuple[str, Image.Image, str, str]]:
    out = []
    for i, (px, count) in enumerate(((11, 2), (13, 3), (16, 1))):
        font = load_font("DejaVuSans.ttf", px)
        lines = _lines(60 + 4 * i, count)
        mask = _text_mask(lines, font, pad=6, gap=1.4)
        img = Image.new("RGB", mask.size, (255, 255, 255))
        img.paste(Image.new("RGB", mask.size, INK), mask=mask)
        out.append((f"crop_{px}px.png", img, "\n".join(lines), f"{img.width}x{img.height} crop of {px} px text"))
    # A crop saved small as JPEG, as a thumbnail is: blockier than the PNGs.
    font = load_font("DejaVuSerif.ttf", 14)
    lines = _lines(75, 2)
    mask = _text_mask(lines, font, pad=8)
    img = Image.new("RGB", mask.size, (255, 255, 255))
    img.paste(Image.new("RGB", mask.size, INK), mask=mask)
    out.append(("crop_14px.jpg", img, "\n".join(lines), f"{img.width}x{img.height} crop of 14 px serif text, JPEG 75"))
    return out


# -- infographics ---------------------------------------------------------------------------------------------


def _infographic(seed: int) -> tuple[Image.Image, str]:
    """Panels of colour with text of several sizes: a banner, three stat cards, a caption strip."""
    rng = random.Random(seed)
    img = Image.new("RGB", (1200, 900), (245, 241, 232))
    draw = ImageDraw.Draw(img)
    lines: list[str] = []
    banner, fg = rng.choice([((24, 60, 110), (255, 255, 255)), ((200, 60, 40), (255, 255, 255)),
                             ((20, 110, 90), (250, 240, 200))])
    draw.rectangle((0, 0, 1200, 160), fill=banner)
    title = SLIDES[seed % len(SLIDES)][0]
    draw.text((60, 40), title, font=load_font("DejaVuSans-Bold.ttf", 56), fill=fg)
    lines.append(title)
    cards = [((255, 205, 60), (40, 30, 10)), ((60, 150, 220), (255, 255, 255)), ((230, 90, 120), (255, 255, 255))]
    rng.shuffle(cards)
    numbers = [f"{rng.randint(11, 98)}%", f"{rng.randint(2, 9)}.{rng.randint(1, 9)}M", f"{rng.randint(120, 990)}"]
    words = [_lines(rng.randint(0, 80), 1)[0] for _ in range(3)]
    row_big, row_small = [], []
    for i, ((colour, ink), number, caption) in enumerate(zip(cards, numbers, words, strict=True)):
        x = 60 + i * 370
        draw.rounded_rectangle((x, 210, x + 340, 520), 18, fill=colour)
        draw.text((x + 30, 240), number, font=load_font("DejaVuSans-Bold.ttf", 80), fill=ink)
        # The caption wraps into the card: two lines of 20 px.
        half = caption.split()
        cut = len(half) // 2
        a, b = " ".join(half[:cut]), " ".join(half[cut:])
        small = load_font("DejaVuSans.ttf", 22)
        draw.text((x + 30, 380), a, font=small, fill=ink)
        draw.text((x + 30, 414), b, font=small, fill=ink)
        row_big.append(number)
        row_small.append((a, b))
    lines.append(" ".join(row_big))
    lines.append(" ".join(a for a, _ in row_small))
    lines.append(" ".join(b for _, b in row_small))
    draw.rectangle((0, 580, 1200, 900), fill=(52, 52, 60))
    for i, line in enumerate(_lines(seed * 7 + 20, 5)):
        draw.text((60, 610 + i * 52), line, font=load_font("DejaVuSans.ttf", 28), fill=(236, 236, 236))
        lines.append(line)
    return img, "\n".join(lines)


def _infographics() -> list[tuple[str, Image.Image, str, str]]:
    note = "colour panels: 56 px title, 80 px numbers, 22-28 px text"
    return [(f"infographic_{seed}.png", *_infographic(seed), note) for seed in (1, 2)]


# -- photos of text -------------------------------------------------------------------------------------------


def _photo(seed: int) -> tuple[Image.Image, str]:
    """The A5 page's top half photographed: perspective, uneven warm light, slight blur, sensor noise, JPEG."""
    rng = np.random.default_rng(seed)
    page, truth = _upright_page()
    page = page.crop((0, 0, 874, 640))
    keep = "\n".join(truth.split("\n")[:13])
    w, h = 1280, 960
    # Corners of the page in the photo (clockwise from top left), a little off square.
    jitter = rng.uniform(-40, 40, 8)
    quad = [150 + jitter[0], 110 + jitter[1], 1130 + jitter[2], 150 + jitter[3],
            1100 + jitter[4], 860 + jitter[5], 180 + jitter[6], 820 + jitter[7]]
    coeffs = _perspective(quad, page.size)
    table = Image.new("RGB", (w, h), (120, 92, 64))
    warped = page.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    inside = Image.new("L", page.size, 255).transform((w, h), Image.Transform.PERSPECTIVE, coeffs)
    table.paste(warped, mask=inside)
    arr = np.asarray(table.filter(ImageFilter.GaussianBlur(0.8)), np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.75 + 0.3 * np.exp(-(((xx - w * 0.3) / w) ** 2 + ((yy - h * 0.3) / h) ** 2) * 2)
    arr = arr * light[..., None] * np.array([1.0, 0.95, 0.82])
    arr += rng.normal(0, 6, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), keep


def _perspective(quad: list[float], size: tuple[int, int]) -> list[float]:
    """PIL's PERSPECTIVE coefficients mapping the photo's pixels back onto the page of ``size``."""
    w, h = size
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = list(zip(quad[0::2], quad[1::2], strict=True))
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def _photos() -> list[tuple[str, Image.Image, str, str]]:
    note = "page photographed: perspective, warm uneven light, noise"
    return [(f"photo_{seed}.jpg", *_photo(seed), note) for seed in (1, 2)]


CLASSES: dict[str, Callable[[], list[tuple[str, Image.Image, str, str]]]] = {
    "transparent": _transparent,
    "rotated": _rotated,
    "screenshot": _screenshots,
    "low_res": _low_res,
    "infographic": _infographics,
    "photo": _photos,
}
RENDERED = ("transparent", "rotated", "screenshot", "low_res", "infographic")  # scanned/rendered: target CER <= 0.02


def make_pages(folder: Path, classes: tuple[str, ...] = tuple(CLASSES)) -> list[Page]:
    """Write every page of ``classes`` under ``folder`` (cheap: rebuilt each run) with its truth beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for cls in classes:
        for name, img, truth, note in CLASSES[cls]():
            path = folder / name
            if name.endswith(".jpg"):
                img.save(path, quality=75)
            elif name.endswith(".webp"):
                img.save(path, lossless=True)
            elif name.endswith(".tiff"):
                img.save(path, compression="tiff_deflate")
            else:
                img.save(path)
            path.with_suffix(".truth.txt").write_text(truth + "\n", encoding="utf-8")
            out.append(Page(path, cls, truth, note))
    return out
