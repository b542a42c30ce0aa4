"""Finding overlay text in frames, and preparing it for OCR.

Overlay text (captions, labels, lower thirds) stays still while the picture
behind it moves, so a text candidate is a cluster of strong edges that did
not change between two samples. On a still picture everything is stable;
then every edge cluster is a candidate and OCR confidence sorts them out.
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]  # uint8 pictures; OpenCV's stubs type results loosely
Mask = npt.NDArray[Any]  # bool

EDGE_THRESHOLD = 40  # morphological gradient of a text stroke against anything is far above this
STRIP_THRESHOLD = 28.0  # mean grey change on one character's edge pixels that makes it another character
STATIC_THRESHOLD = 10  # grey levels two samples may differ by and still count as unchanged
MOVING_SHARE = 0.015  # share of the pixels around a text that changed: above it the picture moves (a slow pan)
MIN_LINE_ASPECT = 2.5  # width / height of a line box: three letters or more (shorter scraps are mostly scenery)
TARGET_LETTER_HEIGHT = 30  # pixels; Tesseract reads capitals of about this height best
UNCHANGED_THUMBNAIL = 2  # grey levels two samples' 320-pixel thumbnails may differ by and show the same picture


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def x2(self) -> int:
        return self.x + self.w

    @property
    def y2(self) -> int:
        return self.y + self.h

    def scaled(self, f: float) -> Rect:
        return Rect(round(self.x * f), round(self.y * f), max(1, round(self.w * f)), max(1, round(self.h * f)))

    def padded(self, px: int, width: int, height: int) -> Rect:
        x, y = max(0, self.x - px), max(0, self.y - px)
        return Rect(x, y, min(width, self.x2 + px) - x, min(height, self.y2 + px) - y)

    def union(self, o: Rect) -> Rect:
        x, y = min(self.x, o.x), min(self.y, o.y)
        return Rect(x, y, max(self.x2, o.x2) - x, max(self.y2, o.y2) - y)

    def iou(self, o: Rect) -> float:
        ix = max(0, min(self.x2, o.x2) - max(self.x, o.x))
        iy = max(0, min(self.y2, o.y2) - max(self.y, o.y))
        inter = ix * iy
        return inter / float(self.w * self.h + o.w * o.h - inter) if inter else 0.0

    def overlap_of_smaller(self, o: Rect) -> float:
        ix = max(0, min(self.x2, o.x2) - max(self.x, o.x))
        iy = max(0, min(self.y2, o.y2) - max(self.y, o.y))
        return ix * iy / float(min(self.w * self.h, o.w * o.h))


@dataclass(frozen=True)
class TextBox:
    """A candidate text area in work-image pixels, with the height of its lines."""

    rect: Rect
    line_height: int
    lines: int
    parts: tuple[Rect, ...] = ()  # the lines of the block


def gray(image: Image) -> Image:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def edge_map(g: Image) -> Image:
    grad = cv2.morphologyEx(g, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return grad


class Sketch(NamedTuple):
    """What :func:`find_text_boxes` derives from one work image; a sample's serves as ``cur`` and then as ``prev``."""

    blurred: Image  # 3x3 box blur: single-pixel noise does not count as change
    small: Image  # float32, 320 pixels wide, for finding the camera's pan


def sketch(work: Image) -> Sketch:
    blurred = cv2.blur(work, (3, 3))
    h, w = work.shape
    f = 320.0 / w
    # Linear is plenty for a global shift and, unlike area averaging at odd factors, costs next to nothing.
    small = cv2.resize(blurred, (320, max(8, round(h * f))), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return Sketch(blurred, small)


def _follow_camera(prev: Sketch, cur: Sketch) -> Image | None:
    """``prev`` shifted by the global motion between the two samples, or None when the picture did not pan."""
    h, w = cur.blurred.shape
    f = 320.0 / w
    (dx, dy), response = cv2.phaseCorrelate(prev.small, cur.small)
    dx, dy = dx / f, dy / f
    if response < 0.05 or (dx * dx + dy * dy) < 2.0:
        return None
    shift = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    return cv2.warpAffine(prev.blurred, shift, (w, h), borderMode=cv2.BORDER_REPLICATE)


def changed_box(before: Sketch, now: Sketch) -> Rect | None:
    """The part of the work image that changed between two samples, from their thumbnails; None when nothing did.

    "Changed" is the test of a still picture: a thumbnail pixel more than
    ``UNCHANGED_THUMBNAIL`` grey levels apart.
    """
    moved = cv2.absdiff(before.small, now.small) > UNCHANGED_THUMBNAIL
    # The box of a mask's non-zero pixels, without listing them (all of them in a moving picture).
    x, y, w, h = cv2.boundingRect(moved.view(np.uint8))
    if w == 0:
        return None
    # The thumbnail is resized with linear interpolation: one of its pixels reaches a pixel into the work image's
    # next ones, so the box grows by one thumbnail pixel each way.
    H, W = now.blurred.shape
    fx, fy = W / now.small.shape[1], H / now.small.shape[0]
    x1, y1 = max(0, int((x - 1) * fx)), max(0, int((y - 1) * fy))
    x2, y2 = min(W, int(np.ceil((x + w + 1) * fx))), min(H, int(np.ceil((y + h + 1) * fy)))
    return Rect(x1, y1, x2 - x1, y2 - y1)


def find_text_boxes(cur: Image, prev: Image | None, min_line_height: int, roi: Mask | None = None,
                    sketches: tuple[Sketch, Sketch] | None = None, window: Rect | None = None) -> list[TextBox]:
    """Text candidates in grey work image ``cur``: stable strong edges grouped into lines, lines into blocks.

    ``prev`` is the previous sample (same size); None treats everything as
    stable. ``sketches``: :func:`sketch` of ``prev`` and ``cur`` when the
    caller keeps them (each sample's is needed twice). ``window``: the only
    part of the picture where new text can be (where it changed lately);
    when a box found there reaches the window's edge, the whole picture is
    searched, so a line that reaches out of it comes out whole.
    """
    if window is None or prev is None:
        return _find_text_boxes(cur, prev, min_line_height, roi, sketches, Rect(0, 0, cur.shape[1], cur.shape[0]))
    boxes = _find_text_boxes(cur, prev, min_line_height, roi, sketches, window)
    H, W = cur.shape
    for b in boxes:
        r = b.rect
        if (r.x <= window.x and window.x > 0) or (r.y <= window.y and window.y > 0) \
                or (r.x2 >= window.x2 and window.x2 < W) or (r.y2 >= window.y2 and window.y2 < H):
            return _find_text_boxes(cur, prev, min_line_height, roi, sketches, Rect(0, 0, W, H))
    return boxes


def _find_text_boxes(cur: Image, prev: Image | None, min_line_height: int, roi: Mask | None,
                     sketches: tuple[Sketch, Sketch] | None, window: Rect) -> list[TextBox]:
    """:func:`find_text_boxes` in ``window`` of the picture, boxes in the whole picture's pixels."""
    h = cur.shape[0]  # sizes follow the whole picture's, not the window's
    wx, wy, wx2, wy2 = window.x, window.y, window.x2, window.y2
    cut = cur[wy:wy2, wx:wx2]
    cand = edge_map(cut) > EDGE_THRESHOLD
    if prev is not None:
        before, now = sketches or (sketch(prev), sketch(cur))
        cand &= cv2.absdiff(now.blurred[wy:wy2, wx:wx2], before.blurred[wy:wy2, wx:wx2]) < STATIC_THRESHOLD
        # A pan moves the whole picture; a window is cut only when most of it held still, so the camera did not
        # pan then (a moving picture-in-picture can still correlate as one: its own motion is not the camera's).
        whole = window.w * window.h >= cur.shape[0] * cur.shape[1]
        moved = _follow_camera(before, now) if whole else None
        if moved is not None:
            # Edges that also match the panned picture (lines along the pan) are scenery, not overlay.
            cand &= cv2.absdiff(now.blurred, moved) >= STATIC_THRESHOLD
    if roi is not None:
        cand &= roi[wy:wy2, wx:wx2]
    m: Image = cand.view(np.uint8)  # 0 and 1: the morphology and the contours only tell zero from non-zero
    # Drop isolated stable specks (a background that happens to match), then join letters into lines.
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    gap = max(5, h // 60)
    lines_img = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap * 2 + 1, 3)))
    # Outer contours give the same boxes as connected components, several times faster on busy pictures.
    contours, _ = cv2.findContours(lines_img, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    lines: list[Rect] = []
    max_h = h // 4
    boxes = [cv2.boundingRect(c) for c in contours]  # tuples of ints
    wide = cv2.getStructuringElement(cv2.MORPH_RECT, (gap * 4 + 1, 1))
    for x, y, bw, bh in boxes:
        if bh > max_h and bw > gap * 4:
            # A line of text that touches a tall still object (a mast, a building edge) joins it into one tall
            # blob; the line is much wider than the object's edges, so a wide opening frees it.
            sub = cv2.morphologyEx(lines_img[y:y + bh, x:x + bw], cv2.MORPH_OPEN, wide)
            inner, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for c in inner:
                ix, iy, iw, ih = (int(v) for v in cv2.boundingRect(c))
                if _line_like(cand, x + ix, y + iy, iw, ih, min_line_height, max_h):
                    lines.append(Rect(wx + x + ix, wy + y + iy, iw, ih))
        elif _line_like(cand, x, y, bw, bh, min_line_height, max_h):
            lines.append(Rect(wx + x, wy + y, bw, bh))
    return _group_lines(lines)


def _line_like(cand: Mask, x: int, y: int, bw: int, bh: int, min_h: int, max_h: int) -> bool:
    """Whether the stable edges ``cand`` in a box look like a line of letters."""
    if bh < min_h or bh > max_h or bw < bh * MIN_LINE_ASPECT or bw < 12:
        return False
    box_edges = cand[y:y + bh, x:x + bw]
    density = int(np.count_nonzero(box_edges)) / box_edges.size
    if density < 0.12 or density > 0.75:  # text strokes fill a moderate share of their line box
        return False
    edges8 = box_edges.astype(np.uint8)
    pieces = cv2.connectedComponents(edges8, connectivity=8)[0] - 1
    if pieces >= 3:  # letters are separate strokes; a stray scrap of scenery is one or two
        return True
    # Small bold letters' edges run together into one blob; their counters (in a, e, o, @) still show as holes.
    _, hierarchy = cv2.findContours(edges8, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return hierarchy is not None and int((hierarchy[0][:, 3] >= 0).sum()) >= 3


def _group_lines(lines: list[Rect]) -> list[TextBox]:
    """Lines close above each other with overlapping extents form one block (a two-line subtitle)."""
    lines = sorted(lines, key=lambda r: (r.y, r.x))
    blocks: list[list[Rect]] = []
    for r in lines:
        for block in blocks:
            last = block[-1]
            vgap = r.y - last.y2
            hover = min(r.x2, last.x2) - max(r.x, last.x)
            same_size = 0.6 <= r.h / last.h <= 1.6
            # Lines of one text are centred or left-aligned together; a label beside a caption is neither.
            aligned = (abs((r.x + r.x2) - (last.x + last.x2)) / 2 < 0.2 * max(r.w, last.w)
                       or abs(r.x - last.x) < max(r.h, last.h))
            if -last.h // 2 <= vgap <= max(r.h, last.h) * 0.8 and hover > 0.3 * min(r.w, last.w) and same_size and aligned:
                block.append(r)
                break
        else:
            blocks.append([r])
    out = []
    for block in blocks:
        rect = block[0]
        for r in block[1:]:
            rect = rect.union(r)
        out.append(TextBox(rect, int(statistics.median(r.h for r in block)), len(block), tuple(block)))
    return out


def stripe_coherence(g: Image, where: Mask) -> float:
    """How much the edges of grey image ``g`` at ``where`` all run one way: 0 for strokes every way, 1 for stripes.

    Letters have vertical and horizontal strokes, whose gradients cancel in
    the doubled-angle sum of the structure tensor; the grain of wood or a
    striped cloth panned along its own direction runs one way only, stays
    still edge for edge and so passes for overlay text. Measured on the
    bench clips' regions: texts 0.0-0.41, such scenery mostly 0.6-1.
    """
    f = g.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)[where]
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)[where]
    xx, yy, xy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    return float(np.sqrt((xx - yy) ** 2 + 4 * xy * xy) / (xx + yy + 1e-9))


def temporal_median(crops: list[Image]) -> tuple[Image, Mask | None]:
    """Per-pixel median of same-size crops, and the mask of pixels whose colour hardly changed."""
    if len(crops) == 1:
        return crops[0], None
    return median_image(crops), stable_mask(crops)


def median_image(crops: list[Image]) -> Image:
    """Per-pixel median of same-size crops (of an even number: the lower mean of the middle two, like NumPy's)."""
    if len(crops) == 1:
        return crops[0]
    stack = sorted_frames(crops)
    n = len(crops)
    if n % 2:
        return stack[n // 2]
    out: Image = ((stack[n // 2 - 1].astype(np.uint16) + stack[n // 2]) // 2).astype(np.uint8)
    return out


def stable_mask(crops: list[Image], max_spread: float = 12.0) -> Mask:
    """Pixels of same-size crops whose value (mean over colour channels) hardly changed."""
    # The standard deviation from the sum and the sum of squares, added up by OpenCV without a float copy of the
    # whole stack. Both sums are whole numbers below 2**24 (up to 258 crops), exact in float32: the same result as NumPy's mean and
    # einsum over a float32 stack, at half the cost.
    n = np.float32(len(crops))
    total = np.zeros(crops[0].shape, np.float32)
    squares = np.zeros(crops[0].shape, np.float32)
    for c in crops:
        cv2.accumulate(c, total)
        cv2.accumulateSquare(c, squares)
    mean = total / n
    spread = np.sqrt(np.maximum(squares / n - mean * mean, 0))
    if spread.ndim == 3 and spread.shape[2] == 3:
        # The channels' mean, summed in the order np.mean(axis=2) sums three values, without its slow last axis.
        spread = (spread[:, :, 0] + spread[:, :, 1] + spread[:, :, 2]) / np.float32(3)
    elif spread.ndim == 3:
        spread = spread.mean(axis=2)
    out: Mask = spread < max_spread
    return out


def temporal_stats(grays: list[Image]) -> tuple[Image, Mask | None, Image, Image]:
    """Median, stable-pixel mask and low/high percentiles (see :func:`temporal_extremes`) of grey crops, in one sort."""
    if len(grays) == 1:
        return grays[0], None, grays[0], grays[0]
    stack = sorted_frames(grays)
    n = len(grays)
    k = n // 10
    return stack[n // 2], stable_mask(grays), stack[k], stack[n - 1 - k]


def temporal_extremes(crops: list[Image]) -> tuple[Image, Image]:
    """Per-pixel low and high percentiles of same-size grey crops (about the 10th and 90th).

    Light overlay text is light in every frame, so it survives in the low
    image while a moving background behind it darkens; dark text survives
    in the high image. One stray frame (a cut, a flash) does not count.
    """
    if len(crops) == 1:
        return crops[0], crops[0]
    stack = sorted_frames([gray(c) for c in crops])
    k = len(crops) // 10
    return stack[k], stack[len(crops) - 1 - k]


def sorted_frames(crops: list[Image]) -> list[Image]:
    """Same-size images sorted pixel by pixel: image i holds every pixel's i-th smallest value.

    A sorting network (Batcher's odd-even merge sort) of element-wise
    minimum and maximum over whole images: for the dozen frames of a text,
    fifteen times faster than sorting along the stacked axis with NumPy.
    """
    out = list(crops)
    for a, b in _sorting_network(len(out)):
        low = np.minimum(out[a], out[b])
        out[b] = np.maximum(out[a], out[b])
        out[a] = low
    return out


@functools.lru_cache(maxsize=64)
def _sorting_network(n: int) -> tuple[tuple[int, int], ...]:
    """Comparators (a, b), a < b, of Batcher's odd-even merge sort for ``n`` items.

    Built for the next power of two; comparators reaching past ``n`` meet
    only padding that sorts last, so they are left out.
    """
    size = 1
    while size < n:
        size *= 2
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    a, b = i + j, i + j + k
                    if a // (2 * p) == b // (2 * p) and b < n:
                        pairs.append((a, b))
            k //= 2
        p *= 2
    return tuple(pairs)


def binary_variants(median: Image, stable: Mask | None, line_height: int,
                    min_letter: float = 0.0, extremes: tuple[Image, Image] | None = None) -> tuple[list[Image], float]:
    """Black-on-white images of the text in ``median``, likeliest polarity first, and their scale.

    See :func:`binary_variants_with_counts`, which also tells each variant's :func:`letter_count`.
    """
    counted, scale = binary_variants_with_counts(median, stable, line_height, min_letter, extremes)
    return [v for v, _ in counted], scale


def binary_variants_with_counts(median: Image, stable: Mask | None, line_height: int, min_letter: float = 0.0,
                                extremes: tuple[Image, Image] | None = None) -> tuple[list[tuple[Image, int]], float]:
    """Black-on-white images of the text in ``median``, likeliest polarity first, and their scale.

    Light-on-dark, dark-on-light, outlined and boxed text all come out as
    two classes of stable pixels (text fill vs outline/box/shadow); which
    one is the text is guessed from what surrounds the stable area and
    confirmed by the reader's confidence on both. The image is enlarged so
    letters are about ``TARGET_LETTER_HEIGHT`` pixels tall. With
    ``extremes`` (:func:`temporal_extremes` of the same crops) light text is
    cut from the low image and dark text from the high one, which separates
    text from a moving background far better than the median does. Each
    variant comes with its :func:`letter_count`, known here for free.
    """
    g = gray(median)
    lo, hi = (g, g) if extremes is None else (gray(extremes[0]), gray(extremes[1]))
    mostly_stable = stable is None or stable.mean() > 0.85
    sel = np.ones(g.shape, bool) if mostly_stable or stable is None else stable
    values = g[sel]
    if values.size < 10 or int(values.max()) - int(values.min()) < 30:
        return [], 1.0
    thr, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    th = _Thresholds(float(thr), float(thr) if extremes is None else _otsu(lo[sel]),
                     float(thr) if extremes is None else _otsu(hi[sel]))
    bright = (lo > th.low) & sel
    dark = (hi <= th.high) & sel
    bright_first = _bright_is_text(bright, dark, sel, mostly_stable)
    # The text class has the tallest letter-sized blobs; the other class's blobs are counters and scraps.
    heights = [h for h in (_letter_height(_drop_border_blobs(bright)), _letter_height(_drop_border_blobs(dark))) if h]
    letter = max(heights) if heights else max(4.0, line_height * 0.7)
    if letter < min_letter:
        return [], 1.0
    scale = float(min(5.0, max(0.4, TARGET_LETTER_HEIGHT / letter)))
    g_full, lo, hi, sel = _enlarged(g, lo, hi if extremes is not None else None, sel, scale)
    plain, walled = _polarity_variants(g_full, lo, hi, sel, th, letter * scale, bright_first)
    return _in_order(plain, walled), scale


class _Thresholds(NamedTuple):
    """Otsu thresholds between text and the rest: of the median, of the low and of the high image."""

    median: float
    low: float
    high: float


def _bright_is_text(bright: Mask, dark: Mask, sel: Mask, mostly_stable: bool) -> bool:
    """Whether the bright class is the text: the class that forms the rim of the stable area (outline, box, or the
    frame around slide text) is not."""
    if mostly_stable:
        rim = np.zeros(sel.shape, bool)
        rim[:2, :] = rim[-2:, :] = rim[:, :2] = rim[:, -2:] = True
    else:
        rim = sel & (cv2.erode(sel.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0)
    bright_rim = int(np.count_nonzero(bright & rim)) / max(1, int(np.count_nonzero(bright)))
    dark_rim = int(np.count_nonzero(dark & rim)) / max(1, int(np.count_nonzero(dark)))
    return bright_rim <= dark_rim


def _enlarged(g: Image, lo: Image, hi: Image | None, sel: Mask, scale: float) -> tuple[Image, Image, Image, Mask]:
    """The median, low and high images (``hi`` None: the low one) and the selection, scaled by ``scale``."""
    if scale == 1.0:
        return g, lo, lo if hi is None else hi, sel
    size = (max(1, round(g.shape[1] * scale)), max(1, round(g.shape[0] * scale)))
    lo = cv2.resize(lo, size, interpolation=cv2.INTER_CUBIC)
    hi = lo if hi is None else cv2.resize(hi, size, interpolation=cv2.INTER_CUBIC)
    sel = cv2.resize(sel.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    return cv2.resize(g, size, interpolation=cv2.INTER_CUBIC), lo, hi, sel


_Counted = tuple[int, int, Mask]  # letter count, polarity rank, text mask


def _polarity_variants(g: Image, lo: Image, hi: Image, sel: Mask, th: _Thresholds, letter: float,
                       bright_first: bool) -> tuple[list[_Counted], list[_Counted]]:
    """For each polarity, likeliest first: the plain text mask, and the letters an outline or box walls in."""
    plain: list[_Counted] = []
    walled: list[_Counted] = []
    for rank, want_bright in enumerate((True, False) if bright_first else (False, True)):
        cls = ((lo > th.low) if want_bright else (hi <= th.high)) & sel
        # Anti-aliased edges of thin strokes blend with the moving picture and flicker, so they are not
        # stable; next to stable text pixels, the median says whether they belong to the text.
        near = cv2.dilate(cls.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        cls |= near & ((g > th.median) if want_bright else (g <= th.median))
        text, n = _keep_letters_counted(_drop_thick(_drop_border_blobs(cls), letter), letter)
        plain.append((n, rank, text))
        # Outlined and boxed letters are walled in by the other class (dark in every frame for light text):
        # what the wall encloses is the text, and scenery of the text's colour next to it is cut off.
        wall = (hi <= th.high) if want_bright else (lo > th.low)
        inside, n = _keep_letters_counted(_filled(wall), letter)
        if n >= 3 and n >= 0.5 * plain[-1][0]:
            walled.append((n, rank, inside))
    return plain, walled


def _in_order(plain: list[_Counted], walled: list[_Counted]) -> list[tuple[Image, int]]:
    """The variants as black-on-white images with a white border, walled letters first, and their letter counts."""
    walled = sorted(walled, key=lambda c: (-c[0], c[1]))
    # A wall tells the text's polarity better than letter counts, which the other class's counters and scraps
    # inflate: the plain variant of the leading walled one's polarity comes next (measured on the bench clips:
    # 4 % fewer Tesseract calls, the same readings).
    lead = walled[0][1] if walled else None
    ordered = walled + sorted(plain, key=lambda c: (c[1] != lead, -c[0], c[1]))
    out = []
    for n, _, text in ordered:
        img = np.where(text, 0, 255).astype(np.uint8)
        out.append((cv2.copyMakeBorder(img, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255), n))
    return out


def white_variant(colour: Image, scale: float, max_tint: int = 60) -> Image | None:
    """Black-on-white image of light, colourless text in a colour crop (BGR), at ``scale``; None if none is there.

    Brightness alone cannot tell white letters from a light, coloured picture behind them (fur, sand, sky);
    the darkest channel can: it stays high only where every channel is, i.e. on white. A fallback for
    white captions over bright, busy scenery where the grey variants of :func:`binary_variants` fail.
    """
    if colour.ndim != 3 or colour.shape[0] < 4 or colour.shape[1] < 4:
        return None
    low = colour.min(axis=2)
    tint = colour.max(axis=2).astype(np.int16) - low
    if int(low.max()) - int(low.min()) < 30:
        return None
    text = (low > _otsu(low)) & (tint < max_tint)
    if scale != 1.0:
        size = (max(1, round(text.shape[1] * scale)), max(1, round(text.shape[0] * scale)))
        text = cv2.resize(text.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) > 127
    letter = _letter_height(_drop_border_blobs(text))
    if letter is None:
        return None
    text, n = _keep_letters_counted(_drop_thick(_drop_border_blobs(text), letter), letter)
    if n < 3:
        return None
    img = np.where(text, 0, 255).astype(np.uint8)
    out: Image = cv2.copyMakeBorder(img, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    return out


def _filled(wall: Mask) -> Mask:
    """The letters a wall (outline or box) draws: the holes in it, without the wall's islands in them (counters)."""
    closed = cv2.morphologyEx(wall.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(closed, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros(wall.shape, np.uint8)
    if hierarchy is None:
        return out.astype(bool)
    parents = hierarchy[0][:, 3]
    depth = np.zeros(len(contours), int)
    for i in range(len(contours)):
        j = parents[i]
        while j >= 0:
            depth[i] += 1
            j = parents[j]
    # depth 0: outer edge of the wall, 1: a hole in it (a letter), 2: the wall inside that letter (a counter's rim)
    cv2.drawContours(out, [c for c, d in zip(contours, depth, strict=True) if d == 1], -1, 1, thickness=-1)
    cv2.drawContours(out, [c for c, d in zip(contours, depth, strict=True) if d == 2], -1, 0, thickness=-1)
    filled: Mask = (out > 0) & (closed == 0)
    return filled


def _otsu(values: Image) -> float:
    thr, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(thr)


def letter_count(variant: Image) -> int:
    """How many blobs of a black-on-white image are letter-like: similar in height to the typical blob."""
    return len(letter_blobs(variant))


def letter_blobs(variant: Image) -> list[tuple[int, int, int, int]]:
    """The letter-like blobs of :func:`letter_count` as (x, y, width, height)."""
    stats = cv2.connectedComponentsWithStats((variant < 128).astype(np.uint8), connectivity=8)[2]
    keep = stats[1:][_letter_like(stats[1:]), :4]
    return [(int(x), int(y), int(w), int(h)) for x, y, w, h in keep]


def _letter_like(stats: Image) -> Mask:
    """Which blobs (rows of connectedComponentsWithStats, background excluded) :func:`letter_count` counts."""
    out = np.zeros(len(stats), bool)
    if len(stats) < 3:
        return out
    big = stats[:, cv2.CC_STAT_AREA] >= 12
    if int(np.count_nonzero(big)) < 3:
        return out
    hs = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    med = float(np.median(hs[big]))
    out[:] = big & (hs >= 0.5 * med) & (hs <= 1.6 * med)
    return out


def count_lines(variant: Image) -> int:
    """Text lines in a black-on-white image: bands of rows with ink, separated by blank rows."""
    return len(line_bands(variant))


def line_bands(variant: Image) -> list[tuple[int, int]]:
    """The rows ``[start, end)`` of each text line in a black-on-white image, top to bottom.

    A line is a band of rows with ink (more than 2 % of the inkiest row's),
    separated from the next by blank rows, at least 0.4 times as tall as the
    tallest band: shorter bands are scraps, dots or underlines.
    """
    ink = np.count_nonzero(variant < 128, axis=1)
    rows = ink > max(1, 0.02 * int(ink.max(initial=0)))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.view(np.int8), [0]))))
    bands = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    if not bands:
        return []
    tallest = max(b - a for a, b in bands)
    return [(a, b) for a, b in bands if b - a >= 0.4 * tallest]


def _letter_height(text: Mask) -> float | None:
    """Median height of letter-sized blobs in a text mask, or None when there are too few to tell."""
    stats = cv2.connectedComponentsWithStats(text.astype(np.uint8), connectivity=8)[2][1:]
    hs = stats[:, cv2.CC_STAT_HEIGHT]
    heights = hs[(stats[:, cv2.CC_STAT_AREA] >= 6) & (hs >= 4) & (hs <= 0.9 * text.shape[0])]
    if len(heights) < 3:
        return None
    return float(np.median(heights))


def _keep_letters_counted(text: Mask, letter: float) -> tuple[Mask, int]:
    """Drop blobs far taller than a letter (scenery) and specks far smaller than a dot; with the
    :func:`letter_count` of what is kept (from the same labelling)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text.astype(np.uint8), connectivity=8)
    if n <= 1:
        return text, 0
    keep = np.zeros(n, bool)
    hs, areas = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    keep[1:] = (hs[1:] <= 2.5 * letter) & (areas[1:] >= max(2.0, 0.015 * letter * letter))
    # Keep only blobs on the rows where letters are: scraps above or below the text lines go.
    ys: npt.NDArray[np.intp] = stats[:, cv2.CC_STAT_TOP].astype(np.intp)
    bottoms: npt.NDArray[np.intp] = ys + hs.astype(np.intp)
    letters = keep & (hs >= 0.5 * letter) & (hs <= 1.8 * letter)
    # How many letters cover each row (+1 where one starts, -1 below where it ends, summed down the rows); a blob
    # stays if any of its rows has two. Whole arrays at once: junk regions have hundreds of blobs.
    cover = np.zeros(text.shape[0] + 1, np.int32)
    np.add.at(cover, ys[letters], 1)
    np.add.at(cover, bottoms[letters], -1)
    cover = np.cumsum(cover)[:-1]
    if int(cover.max(initial=0)) >= 3:
        rows_with_two = np.concatenate(([0], np.cumsum(cover >= 2)))
        keep &= rows_with_two[bottoms] > rows_with_two[ys]
    out: Mask = text.astype(bool, copy=False) if keep[1:].all() else keep[labels]
    # Dropping blobs joins none of the others: the kept blobs are the kept image's blobs.
    return out, int(np.count_nonzero(_letter_like(stats[keep])))


def _masked_mean(img: Image, where: Image, count: int) -> float:
    """``img[where].mean()`` of a one-channel uint8 image, ``where`` a 0/1 uint8 mask with ``count`` ones.

    OpenCV multiplies the sum by the reciprocal of the count, which can be
    a last bit off NumPy's division; the sum is a whole number, so rounding
    gets it back exactly, and dividing it gives NumPy's mean to the bit.
    """
    total = round(cv2.mean(img, where)[0] * count)
    return total / count


def _drop_thick(text: Mask, letter: float) -> Mask:
    """Remove patches far thicker than a letter's stroke: scenery of the text's colour touching the letters."""
    k = max(5, round(0.4 * letter)) | 1
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    m = text.astype(np.uint8)
    thick = cv2.dilate(cv2.morphologyEx(m, cv2.MORPH_OPEN, disk), np.ones((3, 3), np.uint8))
    if not thick.any():
        return text
    out: Mask = text & (thick == 0)
    return out


def _drop_border_blobs(text: Mask) -> Mask:
    """Remove blobs touching the crop's edge: the crop is padded around the text, so those are scenery."""
    # Framed in a ring of ink, every blob that touches the edge joins the ring: one label to compare against
    # instead of a table looked up for every pixel.
    m = cv2.copyMakeBorder(text.view(np.uint8) if text.dtype == bool else (text != 0).view(np.uint8), 1, 1, 1, 1,
                           cv2.BORDER_CONSTANT, value=1)
    labels = cv2.connectedComponents(m, connectivity=8)[1]
    inner = labels[1:-1, 1:-1]
    out: Mask = (inner != 0) & (inner != labels[0, 0])
    # A box or slide background touching the edge would take the whole text with it: keep the original then.
    return out if int(np.count_nonzero(out)) > 0.3 * int(np.count_nonzero(text)) else text


def matches(reference: Image, mask: Mask, crop: Image, threshold: float = 28.0, strip: int = 0,
            detail: Mask | None = None) -> bool:
    """Whether grey ``crop`` still shows the text of ``reference`` (compared on the text's own pixels).

    With ``strip`` (about a character's width, in pixels) and a still picture
    around the text, every vertical strip that wide is checked on its own too,
    on the pixels of ``detail`` (default ``mask``; all the text's edges, say,
    where ``mask`` keeps only those that never changed), so one changed
    character (a page number, a clock) counts as a change even in a long line.
    """
    if crop.shape != reference.shape:
        return False
    # Masks are counted and averaged over by OpenCV (as 0/1 views): tracking calls this for every text in every
    # sample, and NumPy's boolean indexing copied the pixels out first, at twice the cost.
    on_mask = mask.view(np.uint8)
    n_mask = cv2.countNonZero(on_mask)
    diff = cv2.absdiff(reference, crop)
    if n_mask == 0:
        return bool(diff.mean() < threshold / 2)
    if _masked_mean(diff, on_mask, n_mask) >= threshold:
        return False
    detail = mask if detail is None else detail
    n_detail = n_mask if detail is mask else cv2.countNonZero(detail.view(np.uint8))
    if strip <= 0 or mask.shape[1] < 2 * strip or n_detail in (0, detail.size):
        return True
    around = np.logical_not(detail).view(np.uint8)
    n_around = detail.size - n_detail
    moving = cv2.countNonZero(cv2.bitwise_and((diff > STATIC_THRESHOLD).view(np.uint8), around))
    if _masked_mean(diff, around, n_around) >= STATIC_THRESHOLD / 2 or moving / n_around > MOVING_SHARE:
        return True  # a moving picture behind the text also moves the text's edge pixels: trust the whole only
    # The new character's edges count too: where "2" became "3" the new strokes lie partly off the old ones.
    detail = detail | (edge_map(crop) > EDGE_THRESHOLD)
    masked = np.where(detail, diff, 0).astype(np.float32)
    cols_diff, cols_n = masked.sum(axis=0), detail.sum(axis=0).astype(np.float32)
    n_strips = detail.shape[1] // strip
    floor = max(12.0, 0.3 * float(cols_n.sum()) / max(1, n_strips))
    # Strips start at two offsets half a strip apart: a changed character straddling a strip border
    # shows up whole in one of them.
    for offset in (0, strip // 2):
        n = (detail.shape[1] - offset) // strip * strip
        strip_diff = cols_diff[offset:offset + n].reshape(-1, strip).sum(axis=1)
        strip_n = cols_n[offset:offset + n].reshape(-1, strip).sum(axis=1)
        busy = strip_n >= floor
        if np.any(strip_diff[busy] >= STRIP_THRESHOLD * strip_n[busy]):
            return False
    return True
