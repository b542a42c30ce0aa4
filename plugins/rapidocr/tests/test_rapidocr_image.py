"""image_ocr with RapidOCR: scene text on photo-like backgrounds, layout boxes, settings, a missing library."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe import Framescribe, MissingDependency
from framescribe_rapidocr import engine
from framescribe_rapidocr.settings import RapidOcrSettings


@pytest.fixture
def fs() -> Framescribe:
    return Framescribe({}, use_cache=False)


def test_reads_captions_on_a_photo(fs: Framescribe, make_photo_with_text: Callable[..., Path]) -> None:
    image = make_photo_with_text([("Meet me at the harbour", (60, 120)), ("Platform 9 at 17:45", (60, 330))])
    [result] = fs.image_ocr(image, backend="rapidocr")
    assert result.text.splitlines() == ["Meet me at the harbour", "Platform 9 at 17:45"]
    assert result.confidence is not None and result.confidence > 0.8
    assert result.word_count == 9
    assert result.metadata == {"width": 800, "height": 450}


def test_layout_has_a_block_per_line_and_word_boxes_where_the_words_are(
        fs: Framescribe, make_photo_with_text: Callable[..., Path]) -> None:
    image = make_photo_with_text([("LEFT WORDS", (40, 100)), ("lower line", (400, 380))])
    [result] = fs.image_ocr(image, backend="rapidocr", layout=True)
    assert result.layout is not None
    assert [b.text for b in result.layout] == ["LEFT WORDS", "lower line"]
    first, second = (b.lines[0] for b in result.layout)
    assert [w.text for w in first.words] == ["LEFT", "WORDS"]
    left, words = first.words
    assert left.box is not None and words.box is not None and first.box is not None
    # Drawn at x=40 with the baseline at y=100 (cap height about 30 px).
    assert abs(left.box.x - 40) <= 12 and 60 <= left.box.y <= 80
    assert left.box.x + left.box.width <= words.box.x + 4, "words are left to right and do not overlap"
    assert first.box.x <= left.box.x and words.box.x + words.box.width <= first.box.x + first.box.width + 2
    assert second.box is not None and second.box.x >= 390 and second.box.y > 330


def test_min_confidence_drops_what_it_should(make_photo_with_text: Callable[..., Path]) -> None:
    image = make_photo_with_text([("Clear words here", (60, 200))])
    strict = Framescribe({"backends": {"rapidocr": {"min_confidence": 1.0}}}, use_cache=False)
    [result] = strict.image_ocr(image, backend="rapidocr")
    assert result.text == "" and result.confidence is None and result.word_count == 0


def test_a_blank_image_has_no_text(fs: Framescribe, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 255, np.uint8))
    [result] = fs.image_ocr(blank, backend="rapidocr", layout=True)
    assert result.text == "" and result.layout == []


def test_a_truncated_png_is_bad_input(fs: Framescribe, make_photo_with_text: Callable[..., Path], tmp_path: Path) -> None:
    from framescribe import BadInput

    good = make_photo_with_text([("text", (60, 200))])
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(BadInput, match=r"cut\.png is not an image"):
        fs.image_ocr(cut, backend="rapidocr")


def test_without_rapidocr_the_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails as if not installed
    row = next(b for b in Framescribe({}).backends() if b.name == "rapidocr")
    assert not row.available
    assert row.reason == "rapidocr_onnxruntime not installed: pip install framescribe-rapidocr"
    with pytest.raises(MissingDependency, match="rapidocr_onnxruntime is not installed"):
        engine._engine(True, 63)  # a combination no other test has cached


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        RapidOcrSettings(min_confidence=2)
    with pytest.raises(ValueError, match="detector"):
        RapidOcrSettings.model_validate({"detector": "psychic"})


def test_small_text_is_read_scaled_up_with_boxes_in_image_pixels(fs: Framescribe,
                                                                  make_photo_with_text: Callable[..., Path]) -> None:
    # Lines about 24 px tall: the backend reads the image again at 40 px lines (where RapidOCR keeps
    # the spaces between words; on bench/ clip subtitles_360p that took F1 from 0.75 to 1.0).
    path = make_photo_with_text([("The snow came earlier than usual.", (12, 70))], size=(520, 120), scale=0.55)
    [result] = fs.image_ocr(path, backend="rapidocr", layout=True)
    assert result.text == "The snow came earlier than usual."
    assert result.layout is not None
    line_box = result.layout[0].box
    assert line_box is not None and line_box.height < 30 and line_box.x < 30, "boxes are in pixels of the original image"


def test_text_only_in_the_alpha_channel_is_read(fs: Framescribe, tmp_path: Path) -> None:
    # Grey+alpha, black everywhere, the letters opaque: OpenCV's colour decoding alone sees a black rectangle.
    mask = Image.new("L", (620, 110), 0)
    ImageDraw.Draw(mask).text((25, 25), "This is test message", font=ImageFont.load_default(size=44), fill=255)
    path = tmp_path / "alpha.png"
    Image.merge("LA", (Image.new("L", mask.size, 0), mask)).save(path)
    [result] = fs.image_ocr(path, backend="rapidocr")
    assert result.text.replace(" ", "") == "Thisistestmessage", result.text


def test_lines_dropped_by_min_confidence_are_not_a_failure_to_read(tmp_path: Path) -> None:
    image = Image.new("L", (800, 200), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["Meeting moved to Friday", "Bring the signed forms"]):
        draw.text((30, 30 + 70 * i), line, font=ImageFont.load_default(size=40), fill=0)
    path = tmp_path / "plain.png"
    image.save(path)
    strict = Framescribe({"backends": {"rapidocr": {"min_confidence": 1.0}}}, use_cache=False)
    [result] = strict.image_ocr(path, backend="rapidocr")
    assert result.text == "" and result.word_count == 0


def test_a_gap_between_chinese_and_latin_is_read_as_a_space(tmp_path: Path) -> None:
    # RapidOCR's recogniser writes "新闻8NEWS" for this logo; its character boxes show the gaps.
    from framescribe.testing.video_clips import NOTO_CJK

    if not Path(NOTO_CJK).exists():
        pytest.fail(f"{NOTO_CJK} is missing: install fonts-noto-cjk (.ci/apt-packages.txt)")
    img = Image.new("RGB", (420, 120), (20, 40, 120))
    ImageDraw.Draw(img).text((30, 30), "新闻 8 NEWS", font=ImageFont.truetype(NOTO_CJK, 30, index=2),
                             fill=(255, 255, 255))
    lines = engine.read_lines(np.asarray(img)[:, :, ::-1].copy(), RapidOcrSettings())
    assert [ln.text.replace("8 N", "8N") for ln in lines] == ["新闻 8NEWS"]
    assert lines[0].words[0][0] == "新闻"
