"""Finding text in frames and preparing it for a reader (framescribe.video.regions)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from framescribe.video import (
    binary_variants,
    binary_variants_with_counts,
    letter_blobs,
    letter_count,
    median_image,
    sorted_frames,
)
from framescribe.video.regions import EDGE_THRESHOLD, edge_map, stripe_coherence

FRAME = 1 / 30


def test_sorted_frames_and_median_agree_with_numpy() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 20):
        for shape in ((9, 13), (9, 13, 3)):
            crops = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
            expected = np.sort(np.stack(crops), axis=0)
            got = sorted_frames(crops)
            assert len(got) == n and all(np.array_equal(expected[i], got[i]) for i in range(n)), n
            assert np.array_equal(median_image(crops), np.median(np.stack(crops), axis=0).astype(np.uint8)), n


def test_variant_counts_and_blobs_are_the_letter_count() -> None:
    rng = np.random.default_rng(2)
    base = np.full((60, 400), 90, np.uint8)
    cv2.putText(base, "Counted once", (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 235, 2, cv2.LINE_AA)
    crops = [np.clip(base.astype(int) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8) for _ in range(6)]
    stack = sorted_frames(crops)
    counted, scale = binary_variants_with_counts(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    plain, plain_scale = binary_variants(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    assert counted and scale == plain_scale
    assert all(np.array_equal(a, b) for (a, _), b in zip(counted, plain, strict=True))
    for variant, n in counted:
        assert n == letter_count(variant) == len(letter_blobs(variant))
    assert max(n for _, n in counted) >= 9  # the letters of "Counted once", give or take a joined pair


def test_stripes_run_one_way_and_letters_do_not() -> None:
    line = line_image("Sphinx of black quartz")
    yy, xx = np.mgrid[0:40, 0:120]
    stripes = np.where((xx - yy) % 9 < 3, 40, 170).astype(np.uint8)
    for img, low, high in ((line, 0.0, 0.45), (stripes, 0.9, 1.0)):
        coherence = stripe_coherence(img, edge_map(img) > EDGE_THRESHOLD)
        assert low <= coherence <= high


@pytest.mark.parametrize(("fill", "outline"), [(245, 10), (10, 245)])
def test_after_an_outlined_text_comes_the_plain_image_of_its_own_colour(fill: int, outline: int) -> None:
    # An outline's rings outnumber the letters they hold, so by letter count alone the outline would be read
    # second: a wasted Tesseract call before the letters' own plain image, on most outlined captions.
    rng = np.random.default_rng(1)
    base = np.full((90, 560), 140, np.uint8)
    cv2.putText(base, "Walled in", (40, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, outline, 7, cv2.LINE_AA)
    cv2.putText(base, "Walled in", (40, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, fill, 3, cv2.LINE_AA)
    letters = np.abs(base.astype(int) - fill) < 60
    crops = [np.clip(base.astype(int) + rng.integers(-4, 5, base.shape), 0, 255).astype(np.uint8) for _ in range(6)]
    stack = sorted_frames(crops)
    counted, _ = binary_variants_with_counts(stack[3], None, 30, 0.0, (stack[0], stack[-1]))
    assert len(counted) == 3  # the letters walled in by the outline, then a plain image of each colour

    def on_letters(variant: np.ndarray) -> float:
        ink = variant[12:-12, 12:-12] < 128  # the pipeline pads every variant by 12 white pixels
        size = (ink.shape[1], ink.shape[0])
        inside = cv2.resize(letters.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        return float((ink & inside).sum() / max(1, ink.sum()))

    shares = [on_letters(v) for v, _ in counted]
    assert shares[0] > 0.8 and shares[1] > 0.8 and shares[2] < 0.2, shares
    assert counted[2][1] > counted[1][1]  # what makes this case: the outline's rings counted as more letters


def test_changed_digit_is_seen_on_a_still_picture() -> None:
    import cv2
    import numpy as np

    from framescribe.video.regions import EDGE_THRESHOLD, edge_map, matches

    def page(n: int, background: Any) -> Any:
        img = background.copy()
        cv2.putText(img, f"Slide {n} of 5", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
        return img

    still = np.full((34, 137), 40, np.uint8)
    ref = page(2, still)
    edges = edge_map(ref) > EDGE_THRESHOLD
    assert matches(ref, edges, page(2, still), strip=10, detail=edges)
    assert not matches(ref, edges, page(3, still), strip=10, detail=edges)


def test_text_line_touching_a_tall_still_object_is_found() -> None:
    import cv2
    import numpy as np

    from framescribe.video import find_text_boxes

    frame = np.full((540, 304), 50, np.uint8)
    cv2.rectangle(frame, (140, 150), (175, 539), 200, 2)  # a mast/rocket outline running through the caption
    cv2.rectangle(frame, (74, 375), (230, 402), 10, -1)  # the caption's box, on top of it
    cv2.putText(frame, "Worth the wait", (80, 395), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 255, 1, cv2.LINE_AA)
    boxes = find_text_boxes(frame, frame.copy(), 8)
    assert any(b.rect.y >= 370 and b.rect.y2 <= 408 and b.rect.w >= 100 for b in boxes), boxes


def line_image(text: str, width: int = 700) -> np.ndarray:
    """Black letters on white, about 30 px tall, with the white border the pipeline's variants have."""
    img = np.full((70, width), 255, np.uint8)
    cv2.putText(img, text, (14, 48), cv2.FONT_HERSHEY_DUPLEX, 1.2, 0, 2, cv2.LINE_AA)
    return np.where(img < 128, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("window", [(230, 120, 120, 80), (0, 0, 640, 360), (380, 200, 200, 120)])
def test_a_search_window_finds_what_the_whole_picture_holds_there(window: tuple[int, int, int, int]) -> None:
    """Boxes searched for in a window are boxes of the whole picture, all that meet it; a line it cuts comes out whole."""
    from framescribe.video import find_text_boxes
    from framescribe.video.regions import Rect

    rng = np.random.default_rng(3)
    prev = cv2.GaussianBlur(rng.integers(0, 255, (360, 640), dtype=np.uint8), (0, 0), 4)
    cur = prev.copy()
    for img in (prev, cur):  # still text on a still picture: both samples show it
        cv2.putText(img, "Costs fell in every region", (120, 170), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2, cv2.LINE_AA)
        cv2.putText(img, "Slide 2", (430, 300), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 240, 2, cv2.LINE_AA)
    whole = find_text_boxes(cur, prev, 8)
    assert len(whole) == 2
    x, y, w, h = window
    found = find_text_boxes(cur, prev, 8, window=Rect(x, y, w, h))
    meeting = {b.rect for b in whole if b.rect.x2 > x and b.rect.x < x + w and b.rect.y2 > y and b.rect.y < y + h}
    assert meeting and meeting <= {b.rect for b in found} <= {b.rect for b in whole}


def test_stable_mask_is_the_spread_over_the_stack_in_float32() -> None:
    """Sums added up by OpenCV give the very mask of the mean and spread over a float32 stack (grey and colour)."""
    from framescribe.video.regions import stable_mask

    def over_stack(crops: list[Any], max_spread: float) -> Any:
        stack = np.stack(crops).astype(np.float32)
        mean = stack.mean(axis=0)
        spread = np.sqrt(np.maximum((stack * stack).sum(axis=0) / len(crops) - mean * mean, 0))
        return (spread.mean(axis=2) if spread.ndim == 3 else spread) < max_spread

    rng = np.random.default_rng(3)
    for case in range(400):
        n, h, w = int(rng.integers(2, 25)), int(rng.integers(1, 40)), int(rng.integers(1, 60))
        shape = (h, w, 3) if case % 2 else (h, w)
        base, noise = rng.integers(0, 256, shape), int(rng.integers(0, 40))
        crops = [np.clip(base + rng.integers(-noise, noise + 1, shape), 0, 255).astype(np.uint8) for _ in range(n)]
        limit = float(rng.integers(1, 30))
        assert np.array_equal(stable_mask(crops, limit), over_stack(crops, limit)), case


def test_a_masked_mean_is_numpys_to_the_bit() -> None:
    """OpenCV's masked mean, made exact, equals NumPy's (whole-number means included, where a last bit decides)."""
    from framescribe.video.regions import _masked_mean

    rng = np.random.default_rng(11)
    for case in range(3000):
        h, w = int(rng.integers(1, 50)), int(rng.integers(1, 200))
        img = rng.integers(0, 256, (h, w)).astype(np.uint8)
        if case % 3 == 0:
            img[:] = int(rng.integers(0, 256))  # every mean a whole number
        where = rng.random((h, w)) < rng.random()
        if where.any():
            assert _masked_mean(img, where.view(np.uint8), int(where.sum())) == float(img[where].mean()), case


def test_blobs_touching_the_edge_are_dropped_and_only_those() -> None:
    """Against the plain way: label the blobs, drop every label found on the edge (unless that leaves too little)."""
    from framescribe.video.regions import _drop_border_blobs

    def plain(text: Any) -> Any:
        n, labels = cv2.connectedComponents(text.astype(np.uint8), connectivity=8)
        edge = set(labels[0]) | set(labels[-1]) | set(labels[:, 0]) | set(labels[:, -1])
        out = np.isin(labels, [i for i in range(1, n) if i not in edge])
        return out if out.sum() > 0.3 * text.sum() else text

    rng = np.random.default_rng(4)
    for case in range(500):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 60))
        text = rng.random((h, w)) < rng.random() * 0.6
        assert np.array_equal(_drop_border_blobs(text), plain(text)), case
