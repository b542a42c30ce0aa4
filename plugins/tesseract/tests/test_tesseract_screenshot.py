"""Screenshots: UI text in small fonts on a large page, which Tesseract misreads at the size it is drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe import Framescribe

SECTIONS = ["General", "Accounts", "Sync", "Appearance", "Shortcuts", "Privacy"]
ROWS = [("Default folder", "Documents/Notes"), ("Save every", "5 minutes"), ("Spell check", "English (UK)"),
        ("Font size", "12 points"), ("Theme", "Follow the system"), ("Backups kept", "14 days")]
BUTTONS = ("Cancel", "Apply changes")


def _settings_window(px: int, dark: bool = False) -> Image.Image:
    """A settings window of 1024x640: a sidebar, label/value rows and two framed buttons (the second white on
    blue), all in ``px`` px text, light or dark."""
    bg, panel, fg, dim = ((32, 33, 36), (45, 46, 50), (232, 234, 237), (154, 160, 166)) if dark else \
        ((246, 246, 246), (255, 255, 255), (32, 33, 36), (95, 99, 104))
    ui = ImageFont.load_default(size=px)
    img = Image.new("RGB", (1024, 640), bg)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 200, 640), fill=panel)
    for i, section in enumerate(SECTIONS):
        draw.text((20, 60 + i * 32), section, font=ui, fill=fg)
    for i, (label, value) in enumerate(ROWS):
        draw.text((240, 60 + i * 40), label, font=ui, fill=dim)
        draw.text((480, 60 + i * 40), value, font=ui, fill=fg)
    for i, button in enumerate(BUTTONS):
        x = 700 + i * 130
        draw.rounded_rectangle((x, 580, x + 120, 612), 6, fill=(26, 115, 232) if i else panel, outline=dim)
        draw.text((x + 12, 588), button, font=ui, fill=(255, 255, 255) if i else fg)
    return img


SHOTS = {"light_12px": lambda: _settings_window(12), "light_14px": lambda: _settings_window(14),
         "dark_12px": lambda: _settings_window(12, dark=True)}


@pytest.fixture(scope="module")
def screenshot_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("screenshots")
    fs = Framescribe({}, use_cache=False)
    out = {}
    for name, window in SHOTS.items():
        path = folder / f"{name}.png"
        window().save(path)
        out[name] = fs.image_ocr(path, backend="tesseract")[0].text
    return out


@pytest.mark.parametrize("px", list(SHOTS))
def test_small_capitals_keep_their_case(screenshot_text: dict[str, str], px: str) -> None:
    # At 12-14 px Tesseract read "Sync", "Shortcuts", "Spell" as "sync", "shortcuts", "spell".
    words = screenshot_text[px].split()
    for word in ("Sync", "Shortcuts", "Spell", "Save"):
        assert word in words, (word, screenshot_text[px])


@pytest.mark.parametrize("px", list(SHOTS))
def test_button_labels_are_read(screenshot_text: dict[str, str], px: str) -> None:
    # Tesseract's layout analysis took the small buttons for pictures and left their labels out.
    lines = [line.strip() for line in screenshot_text[px].splitlines()]
    assert any("Cancel" in line for line in lines), screenshot_text[px]
    assert any("Apply changes" in line for line in lines), screenshot_text[px]


@pytest.mark.parametrize("px", list(SHOTS))
def test_every_row_read_exactly(screenshot_text: dict[str, str], px: str) -> None:
    text = " ".join(screenshot_text[px].split())
    for label, value in ROWS:
        assert label in text and value in text, (label, value, screenshot_text[px])
    for section in SECTIONS:
        assert section in text.split(), (section, screenshot_text[px])


def test_word_boxes_stay_on_the_page_as_drawn(tmp_path: Path) -> None:
    # Read enlarged, the words' boxes are given back in the page's own pixels.
    path = tmp_path / "shot.png"
    _settings_window(12).save(path)
    result = Framescribe({}, use_cache=False).image_ocr(path, backend="tesseract", layout=True)[0]
    assert result.layout
    boxes = {w.text: w.box for block in result.layout for line in block.lines for w in line.words}
    box = boxes["Shortcuts"]
    assert box is not None
    assert 15 <= box.x <= 25 and 60 + 4 * 32 - 6 <= box.y <= 60 + 4 * 32 + 6, box
    assert box.width < 100 and box.height < 20, box


def test_pictures_in_a_screenshot_add_no_words(tmp_path: Path) -> None:
    # Small pictures are picture blocks too, of a widget's size: read as lines, they must not turn into words.
    rng = np.random.default_rng(7)
    window = _settings_window(12)
    for x, y, w, h in ((240, 520, 90, 40), (400, 500, 120, 60), (560, 530, 60, 30)):
        texture = rng.integers(0, 256, (h // 6 + 1, w // 6 + 1, 3), dtype=np.uint8)
        window.paste(Image.fromarray(texture).resize((w, h), Image.Resampling.BICUBIC), (x, y))
    path = tmp_path / "with_pictures.png"
    window.save(path)
    # One thread: whether a page is split over threads depends on how busy the machine is, and the split
    # reading of this page once gave a stray "I" from a texture under CI load (seen once in five full runs).
    config = {"backends": {"tesseract": {"workers": 1}}}
    text = Framescribe(config, use_cache=False).image_ocr(path, backend="tesseract")[0].text
    drawn = {word for line in [*SECTIONS, *BUTTONS, *(f"{a} {b}" for a, b in ROWS)] for word in line.split()}
    read = {word for word in text.split() if any(c.isalnum() for c in word)}
    assert read == drawn, (read - drawn, drawn - read)
