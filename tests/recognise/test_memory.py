"""Memory of the page-sized image steps (issue 15, finding 2): a big scanned page is held in
bytes and bit masks, with only a strip's temporaries besides, and the strips give what the
whole page gave.

On a 25-megapixel grey scan (bench.hostile) the scan's cleaning took 764 MB on top of the page,
the rule search 381 MB and the ink map 72 MB (32.7, 16.0 and 3.0 bytes a pixel, float and
16-bit planes of the whole page); Pillow held the RGB page at 4 bytes a pixel in and out of
each warp and deskew. The budgets below are bytes a pixel of the page (an RGB page is 3): the
step's output, its bit masks, and a margin for the strips, here a 64th of the page."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from doctables.model.layout import PageLayout
from doctables.models import image as image_helpers
from doctables.models.image import by_plane
from doctables.recognise import components, pages, perspective
from doctables.recognise.ocr_models import OcrModels
from doctables.recognise.page_text import prepare_page
from doctables.recognise.transform import deskew_image
from doctables.settings import Settings

# Bytes a pixel of the page, at most, each step may hold at its peak (numpy's allocations,
# which tracemalloc sees), its output included.
_INK_MAP_BUDGET = 0.5  # the map is a few hundredths of the page; before: 3.0
_CLEAN_BUDGET = 5.0  # the cleaned RGB page (3) and its ink mask (1); before: 32.7
_RULES_BUDGET = 3.0  # bit masks: the faint lines and a direction's ink; before: 16.0
# Bytes a pixel of the page Pillow may hold in one image during a warp, deskew or shrink: a
# channel (before: the RGB page, which Pillow stores at 4 bytes a pixel).
_PILLOW_BUDGET = 1.0


def _scan(height: int, width: int, seed: int = 0, colour: bool = False) -> np.ndarray:
    """A grey scan as a scanner gives it, decoded as RGB: paper at 228 with noise, lines of
    dark strokes, a ruled table (one rule light grey), specks; `colour` tints a band."""
    rng = np.random.default_rng(seed)
    grey = np.clip(rng.normal(228, 3, (height, width)), 0, 255).astype(np.uint8)
    for row in range(height // 20, height - height // 20, max(20, height // 60)):
        for col in range(width // 20, width - width // 10, 23):
            if rng.random() < 0.8:
                grey[row : row + 12, col : col + int(rng.integers(3, 15))] = int(rng.integers(20, 90))
    top, bottom, left, right = height // 4, 3 * height // 4, width // 10, 9 * width // 10
    for y in range(top, bottom + 1, (bottom - top) // 8):
        grey[y : y + 3, left:right] = 40
    grey[top + 10 : top + 11, left:right] = 190  # a light hairline
    for x in range(left, right + 1, (right - left) // 5):
        grey[top:bottom, x : x + 2] = 45
    specks = rng.random(grey.shape) < 0.0005
    grey[specks] = rng.integers(0, 120, int(specks.sum()), dtype=np.uint8)
    image = np.repeat(grey[..., None], 3, axis=2)
    if colour:
        image[height // 10 : height // 5, :, 2] //= 2
    return image


def _peak(step, *args):
    """(result, peak bytes numpy allocated while `step` ran, above what was held before)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        result = step(*args)
        return result, tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()


def _small_strips(page: np.ndarray, monkeypatch) -> None:
    """Strips of a 64th of the page, so that what is measured is what the page holds (a strip
    is a fixed number of pixels: on a 25-megapixel page, a 25th of it)."""
    monkeypatch.setattr(image_helpers, "STRIP_PIXELS", page.shape[0] * page.shape[1] // 64, raising=False)


@pytest.fixture(scope="module")
def big_page() -> np.ndarray:
    return _scan(1800, 1350)


@pytest.mark.parametrize("step", ["ink_map", "clean_scan", "image_rules"])
def test_page_sized_steps_hold_the_page_in_bytes_and_bit_masks(step, big_page, monkeypatch):
    _small_strips(big_page, monkeypatch)
    pixels = big_page.shape[0] * big_page.shape[1]
    points_per_pixel = 72.0 / 300.0
    if step == "ink_map":
        ink, used = _peak(pages.ink_map, big_page, points_per_pixel)
        assert ink.mask.any()
        budget = _INK_MAP_BUDGET
    elif step == "clean_scan":
        cleaned, used = _peak(pages.clean_scan, big_page)
        assert cleaned is not big_page and (cleaned == 255).mean() > 0.5  # the paper was made white
        budget = _CLEAN_BUDGET
    else:
        rules, used = _peak(pages.image_rules, big_page, points_per_pixel)
        assert sum(r.horizontal for r in rules) >= 3 and sum(not r.horizontal for r in rules) >= 2
        budget = _RULES_BUDGET
    assert used <= budget * pixels, f"{step}: {used / pixels:.1f} bytes a pixel"


def test_pillow_holds_a_channel_not_the_rgb_page(big_page, monkeypatch, pillow_bytes_held):
    held = pillow_bytes_held
    _small_strips(big_page, monkeypatch)
    pixels = big_page.shape[0] * big_page.shape[1]
    colour = big_page.copy()
    colour[:200, :, 0] //= 2  # the channel-by-channel path, not the grey page's shortcut
    matrix = np.array([[1.0, 0.01, 0.0], [0.005, 1.0, 0.0], [0.01, 0.0, 1.0]])
    perspective.estimate(big_page, 72.0 / 300.0)  # its grey reduced a strip at a time
    for page in (big_page, colour):
        perspective.warp_image(page, matrix)
        deskew_image(page, 0.7)
        pages.shrink(page, 0.4)
    assert held and max(held) <= _PILLOW_BUDGET * pixels, f"Pillow held {max(held) / pixels:.1f} bytes a pixel"


def test_strips_give_what_the_whole_page_gave(monkeypatch):
    """The strip-wise steps against the same steps done in one strip (the whole page), with
    strips of two rows: every halo (the closing's, the specks', the dilation's) crosses several."""
    page = _scan(300, 260, seed=3, colour=True)
    grey_page = np.ascontiguousarray(page[..., 1])
    points_per_pixel = 72.0 / 150.0

    def results():
        ink = pages.ink_map(page, 72.0 / 300.0)
        parts = components.label(pages.is_ink(page))
        return [
            ink.mask,
            pages.is_ink(page),
            pages.clean_scan(page),
            pages.clean_scan(grey_page),
            pages.image_rules(page, points_per_pixel),
            pages.image_rules(grey_page, points_per_pixel),
            components.runs(pages.is_ink(page)),
            (parts.x0, parts.y0, parts.x1, parts.y1, parts.pixels),
            perspective._reduced_grey(page, 72.0 / 300.0)[0],
        ]

    monkeypatch.setattr(image_helpers, "STRIP_PIXELS", 10**9)
    whole = results()
    monkeypatch.setattr(image_helpers, "STRIP_PIXELS", 2 * 260)
    strips = results()
    for expected, got in zip(whole, strips, strict=True):
        if isinstance(expected, np.ndarray):
            assert np.array_equal(expected, got)
        elif isinstance(expected, tuple):
            assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
        else:
            assert expected == got


@pytest.mark.parametrize("seed", range(4))
def test_specks_are_the_components_of_one_or_two_pixels(seed):
    """Neighbour counts find exactly what labelling the components found: those of at most two
    pixels (a 2 x 2 box at most), whose boxes were cleared."""
    rng = np.random.default_rng(seed)
    mask = rng.random((120, 90)) < (0.03, 0.08, 0.15, 0.3)[seed]
    expected = mask.copy()
    parts = components.label(mask)
    small = np.nonzero((parts.pixels <= 2) & (parts.width <= 2) & (parts.height <= 2))[0]
    for i in small.tolist():
        expected[parts.y0[i] : parts.y1[i], parts.x0[i] : parts.x1[i]] = False
    got = mask.copy()
    pages._remove_specks(got)
    assert small.size > 0 and np.array_equal(got, expected)


def test_a_channel_at_a_time_is_what_pillow_gives_the_rgb_page():
    rng = np.random.default_rng(5)
    page = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    grey = np.repeat(page[..., :1], 3, axis=2)
    coefficients = (1.0, 0.05, -3.0, 0.02, 0.97, 2.0, 0.0004, -0.0002)
    operations = [
        lambda im, fill: im.transform((120, 90), Image.Transform.PERSPECTIVE, coefficients, Image.BICUBIC, fillcolor=fill),
        lambda im, fill: im.rotate(1.3, resample=Image.BICUBIC, expand=False, fillcolor=fill),
        lambda im, fill: im.resize((47, 35), Image.BILINEAR),
    ]
    for image in (page, grey):
        for operation in operations:
            rgb = np.asarray(operation(Image.fromarray(image), (255, 255, 255)))
            one = by_plane(image, lambda plane, operation=operation: operation(plane, 255))
            assert np.array_equal(one, rgb)


def test_the_ink_level_of_a_page_reads_a_sample_of_it():
    page = np.full((4000, 3000, 3), 250, np.uint8)
    page[1000:1010, 500:2500] = 120  # grey strokes lighter than the fixed ink level
    tracemalloc.start()
    level = pages.ink_level(page)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < page.nbytes  # a sample's copies, never the page's grey in floats (8 bytes a pixel)
    assert level == pages._INK_LEVEL  # the strokes are under 2% of the page: paper alone


class _NoText:
    """OCR models that find and read nothing."""

    def detect(self, image, scale=1.0):
        return []

    def recognise(self, crops):
        return []


def test_a_skewed_scan_holds_two_copies_of_itself_once_deskewed(big_page):
    """Past the deskew, a page read with OCR holds two copies of itself besides the page given:
    the cleaned page deskewed (for the table models) and the scan deskewed (for the recogniser
    and the rules); the cleaned page before its deskew is let go (a 25-megapixel page is 72 MB
    a copy; before, three copies were held)."""
    scan = deskew_image(big_page, 1.0)
    height, width = scan.shape[:2]
    layout = PageLayout(page=1, width=width * 0.24, height=height * 0.24, rotation=0, dpi=300,
                        image_width=width, image_height=height)
    held: list[int] = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]

        def regions(upright):
            held.append(tracemalloc.get_traced_memory()[0] - before)
            return []

        _, _, decision = prepare_page(scan, layout, Settings(), regions, OcrModels(_NoText(), _NoText()))
    finally:
        tracemalloc.stop()
    assert decision.ocr is False and abs(decision.skew) > 0.5  # deskewed, nothing to read
    assert held and held[0] <= 2.5 * scan.nbytes, f"{held[0] / scan.nbytes:.2f} copies of the page"
