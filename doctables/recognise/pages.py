"""What the page image shows, measured cheaply with numpy: its ink, the text-like part of it,
how much of that the text layer covers, the direction and skew of its text lines, and ruling
lines drawn in it (a scan has no vector rules).

All of it works on a reduced binary map of about one pixel per point (72 dpi).

Memory: what takes the whole page (the ink map's source, the scan's cleaning, the rule
search) goes a strip of rows at a time (models.image.STRIP_PIXELS each), so that a page holds
its input and its outputs (bytes and bit masks) and only a strip's temporaries besides; a
25-megapixel page's float or 16-bit planes would each be 100 MB and more. Strips give the
same result as the whole page: what a pixel becomes depends on the rows within a fixed reach
of it, and each strip is read with that many rows of the page beside it.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image

from doctables.model.layout import PageLayout, Rule, Word
from doctables.models.image import by_plane
from doctables.models.image import strip_rows
from doctables.recognise.components import label, label_runs, runs

# A pixel is ink when its grey level (0-255) is below this.
_INK_LEVEL = 150
# An image's darkest strokes and its paper: these percentiles of its grey levels; strokes
# at least this much darker than the paper (grey levels) are ink at all.
_DARK_SHARE = 2
_PAPER_SHARE = 90
_MIN_INK_CONTRAST = 60
_LEVEL_SAMPLE = 1_000_000
# Text-like components of the point map (1 px ~ 1 pt): glyphs and words, not rules, frames,
# photos or specks.
_TEXT_MIN_PIXELS = 3
_TEXT_MAX_HEIGHT = 40
_TEXT_MAX_WIDTH = 400
_RULE_THICKNESS = 3
# The text layer is usable when its word boxes (grown by this, points) cover this share of
# the text-like ink; a page with less text-like ink than this (pixels of the point map) has
# nothing for a text layer to miss.
_WORD_SLACK = 2.0
_MIN_COVERAGE = 0.6
_MIN_TEXT_INK = 150
# ... and when fewer than this share of its words are garbage (see _garbage).
_MAX_GARBAGE = 0.3
# How far (in line heights) a word's first or last glyph may stand beyond its CTC span: the
# span falls inside the glyphs, at most about half a wide glyph in from the word's edge.
_GLYPH_REACH = 0.5
# Ink components this small (image pixels) are specks in a scan.
_SPECK_PIXELS = 2
# Skew search: degrees either side and step of the coarse pass, then the fine step.
_SKEW_RANGE = 5.0
_SKEW_COARSE = 0.25
_SKEW_FINE = 0.05
# A skew is taken only when its projection is this much sharper than the unturned one (on
# the dev crops and pages turned by half a degree, 12% and more; on straight ones, under 1%).
_SKEW_GAIN = 1.05
_MAX_POINTS = 60_000
# A ruling line in the image: a run of ink this long (points), at most this thick; grey
# levels averaged over this many pixels along it must be below the level; breaks shorter
# than the bridge (points) are closed.
_IMAGE_RULE_LENGTH = 30.0
IMAGE_RULE_THICKNESS = 3.0
# A dark rule may be this thick (points) where it is drawn over most of its length: a
# double rule (two hairlines 2-3 points apart, a table's border) that a scan blurs into one
# band, or a heavy rule.
_HEAVY_RULE_THICKNESS = 4.5
_RULE_SMOOTH = 5
_RULE_LEVEL = 170
# ... or, for a light rule (a grey hairline of a screenshot), this much darker than the
# paper around it across the line (a grey-level black top-hat): a shading's edge is a step,
# not a line, and shows no such contrast.
RULE_CONTRAST = 25.0
_RULE_BRIDGE = 2.0
# Rows this many pixels beyond a rule may hold ink over at most this share of its length
# (where cell text or crossing rules touch it).
_RULE_CLEARANCE = 2
_RULE_SIDE_INK = 0.35


@dataclass
class InkMap:
    """A page's ink at about one pixel per point, and the factor back to image pixels."""

    mask: np.ndarray  # bool, H x W
    pixels_per_cell: float  # image pixels per map pixel
    points_per_cell: float  # page points per map pixel


def is_ink(image: np.ndarray, level: float = _INK_LEVEL) -> np.ndarray:
    """Pixels darker than the ink level (mean of the channels of an RGB image)."""
    if image.ndim == 2:
        return image < level
    height, width = image.shape[:2]
    step = strip_rows(width)
    if height <= step:
        return _ink_rgb(image, level)
    dark = np.empty((height, width), dtype=bool)
    for top in range(0, height, step):
        dark[top : top + step] = _ink_rgb(image[top : top + step], level)
    return dark


def _ink_rgb(image: np.ndarray, level: float) -> np.ndarray:
    total = image[..., 0].astype(np.uint16)
    total += image[..., 1]
    total += image[..., 2]
    return total < 3 * level


def ink_level(image: np.ndarray) -> float:
    """The ink level for an image's own text: the fixed level, or halfway between its paper
    and its darkest strokes where those are lighter (small or grey text, whose anti-aliased
    strokes never reach the fixed level: its words came out thinned and their spaces
    widened, a screenshot of it passed for a blank page)."""
    if image.size == 0:
        return float(_INK_LEVEL)
    # A page's levels from about a megapixel of it: no page-sized float copy.
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / _LEVEL_SAMPLE)))
    sample = image[::step, ::step]
    grey = sample if sample.ndim == 2 else sample.mean(axis=2)
    dark, paper = (float(v) for v in np.percentile(grey, (_DARK_SHARE, _PAPER_SHARE)))
    if paper - dark < _MIN_INK_CONTRAST:
        return float(_INK_LEVEL)  # paper and its noise, no strokes
    return max(float(_INK_LEVEL), (dark + paper) / 2)


def shows_text(image: np.ndarray, points_per_pixel: float) -> bool:
    """Whether a page image shows text at its own ink level (see `ink_level`)."""
    return text_ink(ink_map(image, points_per_pixel, ink_level(image))).total >= _MIN_TEXT_INK


def ink_map(image: np.ndarray, points_per_pixel: float, level: float = _INK_LEVEL) -> InkMap:
    """Binary ink map of an RGB page image, reduced to about one pixel per point (a strip of
    the page at a time: the full-size ink mask is never made)."""
    factor = max(1, round(1.0 / points_per_pixel)) if points_per_pixel > 0 else 1
    points_per_cell = factor * points_per_pixel
    if factor == 1:
        return InkMap(mask=is_ink(image, level), pixels_per_cell=1.0, points_per_cell=points_per_cell)
    height, width = image.shape[:2]
    h, w = height // factor, width // factor
    mask = np.empty((h, w), dtype=bool)
    step = max(1, strip_rows(width) // factor)  # map rows a strip
    for top in range(0, h, step):
        bottom = min(h, top + step)
        cells = is_ink(image[top * factor : bottom * factor, : w * factor], level).view(np.uint8)
        # Ink pixels per cell, summed over strided views (a reshape-and-sum is 5x slower).
        count = np.zeros((bottom - top, w), dtype=np.uint16)
        for dy in range(factor):
            for dx in range(factor):
                count += cells[dy::factor, dx::factor]
        # A cell is ink when at least two of its image pixels are (a lone speck is noise).
        mask[top:bottom] = count >= min(2, factor * factor)
    return InkMap(mask=mask, pixels_per_cell=float(factor), points_per_cell=points_per_cell)


@dataclass(frozen=True)
class TextInk:
    """Centres (map pixels) and sizes in pixels of the text-like components of an ink map."""

    cx: np.ndarray
    cy: np.ndarray
    pixels: np.ndarray

    @property
    def total(self) -> int:
        return int(self.pixels.sum())


def text_ink(ink: InkMap) -> TextInk:
    parts = label(ink.mask)
    w, h = parts.width, parts.height
    thin_rule = ((h <= _RULE_THICKNESS) & (w > 25)) | ((w <= _RULE_THICKNESS) & (h > 25))
    keep = (
        (parts.pixels >= _TEXT_MIN_PIXELS)
        & (h <= _TEXT_MAX_HEIGHT)
        & (w <= _TEXT_MAX_WIDTH)
        & (h >= 2)
        & ~thin_rule
        # solid blocks (filled boxes, photo fragments) are not glyphs
        & (parts.pixels < 0.85 * w * h + 4)
    )
    return TextInk(
        cx=(parts.x0[keep] + parts.x1[keep]) / 2.0,
        cy=(parts.y0[keep] + parts.y1[keep]) / 2.0,
        pixels=parts.pixels[keep],
    )


def coverage(ink: InkMap, text: TextInk, words: list[Word]) -> float:
    """Share of the text-like ink whose component centre lies in a (grown) word box."""
    if text.total == 0:
        return 1.0
    height, width = ink.mask.shape
    covered = np.zeros((height, width), dtype=bool)
    scale = 1.0 / ink.points_per_cell
    for word in words:
        x0 = max(0, int((word.bbox[0] - _WORD_SLACK) * scale))
        y0 = max(0, int((word.bbox[1] - _WORD_SLACK) * scale))
        x1 = min(width, math.ceil((word.bbox[2] + _WORD_SLACK) * scale))
        y1 = min(height, math.ceil((word.bbox[3] + _WORD_SLACK) * scale))
        if x1 > x0 and y1 > y0:
            covered[y0:y1, x0:x1] = True
    ys = np.clip(text.cy.astype(int), 0, height - 1)
    xs = np.clip(text.cx.astype(int), 0, width - 1)
    inside = covered[ys, xs]
    return float(text.pixels[inside].sum() / text.total)


def _garbage(text: str) -> bool:
    """A word no text layer of a real document would hold: replacement or private-use
    characters, control characters, or no letter or digit at all in a long run of symbols."""
    if any(unicodedata.category(ch) in ("Co", "Cc", "Cs") or ch == "\ufffd" for ch in text):
        return True
    letters = sum(ch.isalnum() for ch in text)
    return len(text) >= 4 and letters < 0.5 * len(text)


def judge_text_layer(layout: PageLayout, ink: InkMap, text: TextInk) -> tuple[str, str]:
    """("usable" | "absent" | "insufficient", reason) for the page's text layer."""
    words = [w for w in layout.words if w.text.strip()]
    if not words:
        if text.total < _MIN_TEXT_INK:
            return "absent", "the page has no text layer and shows little or no text"
        return "absent", "the page has no text layer; its text is only in the image"
    garbage = sum(_garbage(w.text) for w in words) / len(words)
    if garbage > _MAX_GARBAGE:
        return "insufficient", (
            f"{garbage:.0%} of the text layer's {len(words)} words are unreadable characters"
        )
    share = coverage(ink, text, words)
    if text.total >= _MIN_TEXT_INK and share < _MIN_COVERAGE:
        return "insufficient", (
            f"the text layer's {len(words)} words cover only {share:.0%} of the text visible "
            "in the page image"
        )
    return "usable", f"the text layer's {len(words)} words cover {share:.0%} of the visible text"


def _points(ink: InkMap, text: TextInk | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ink pixel coordinates of the map (a fixed-seed sample when there are many)."""
    ys, xs = np.nonzero(ink.mask)
    if xs.size > _MAX_POINTS:
        pick = np.random.default_rng(0).choice(xs.size, _MAX_POINTS, replace=False)
        xs, ys = xs[pick], ys[pick]
    return xs.astype(np.float64), ys.astype(np.float64)


def _profile_sharpness(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """For each angle (degrees), how peaked the projection of the points across lines of that
    slope is: sum of squared bin counts, relative to the points spread evenly over the
    ink's extent across the lines (1.0). The extent is taken unslanted for every angle: a
    slanted projection is longer, and dividing by its own length would favour large angles
    on wide images."""
    scores = np.zeros(angles.size)
    n = xs.size
    extent = float(np.floor(ys.max() - ys.min()) + 1) if n else 1.0
    for i, angle in enumerate(angles):
        offsets = ys - xs * math.tan(math.radians(angle))
        bins = np.floor(offsets - offsets.min()).astype(np.int64)
        counts = np.bincount(bins).astype(np.float64)
        scores[i] = float((counts**2).sum() * extent / (n * n))
    return scores


def line_direction(ink: InkMap) -> tuple[bool, float, float]:
    """(text lines run vertically, sharpness across horizontal lines, across vertical lines)."""
    xs, ys = _points(ink)
    if xs.size < 200:
        return False, 0.0, 0.0
    angles = np.arange(-_SKEW_RANGE, _SKEW_RANGE + 1e-9, 0.5)
    horizontal = float(_profile_sharpness(xs, ys, angles).max())
    vertical = float(_profile_sharpness(ys, xs, angles).max())
    return vertical > horizontal * 1.1, horizontal, vertical


def estimate_skew(ink: InkMap) -> float:
    """Angle (degrees) of the text lines: positive when they run down to the right. The
    angle whose projection profile is the most peaked, searched coarse then fine."""
    xs, ys = _points(ink)
    if xs.size < 200:
        return 0.0
    coarse = np.arange(-_SKEW_RANGE, _SKEW_RANGE + 1e-9, _SKEW_COARSE)
    best = float(coarse[int(np.argmax(_profile_sharpness(xs, ys, coarse)))])
    fine = np.arange(best - _SKEW_COARSE, best + _SKEW_COARSE + 1e-9, _SKEW_FINE)
    sharpness = _profile_sharpness(xs, ys, fine)
    level = _profile_sharpness(xs, ys, np.zeros(1))[0]
    if sharpness.max() < _SKEW_GAIN * level:
        # Lines that are straight already: a slant that lines up one column's rows with
        # its neighbour's is not a skew.
        return 0.0
    return float(fine[int(np.argmax(sharpness))])


def image_rules(image: np.ndarray, points_per_pixel: float) -> list[Rule]:
    """Horizontal and vertical ruling lines drawn in the image, in points: long thin runs of
    ink (what render.extract_drawings finds in a born-digital page's drawings). The grey levels
    are averaged along the line's direction first and small breaks are bridged, so that a
    faint, noisy rule of a scan still reads as one line. A light rule (a screenshot's grey
    hairline) is found by its contrast with the paper just beside it rather than by its level.

    The grey planes (rows, and columns as rows) are read a strip at a time: what the page
    holds is a few bit masks (1 byte a pixel each), not its grey, sums and closings."""
    length = max(4, int(_IMAGE_RULE_LENGTH / points_per_pixel))
    thick = max(1, math.ceil(IMAGE_RULE_THICKNESS / points_per_pixel))
    heavy = max(thick, math.ceil(_HEAVY_RULE_THICKNESS / points_per_pixel))
    bridge = max(1, round(_RULE_BRIDGE / points_per_pixel))
    across = 2 * (thick // 2 + 1) + 1  # odd, so that the closing's window is centred
    found: list[Rule] = []
    # Where a light rule crosses another, neither shows contrast across itself: the
    # crossing counts for both. The columns' faint mask is the rows' one turned (a view).
    faint = _light(image, across, transposed=False)
    faint |= _light(image, across, transposed=True).T
    for transposed in (0, 1):
        faint_mask = faint.T if transposed else faint
        ink = _plane_ink(image, transposed=bool(transposed))
        dark = _lines(ink, length, thick, bridge, heaviest=heavy)
        # Beside a light line, neither dark ink nor more light line: the feet of a line of
        # serif text make a light line too, under the dark strokes of its letters.
        faint_lines = _lines(faint_mask, length, thick, bridge, (faint_mask, ink))
        faint_lines = [line for line in faint_lines if not _drawn(line, dark, thick)]
        del ink
        for row, start, end in dark + faint_lines:
            y, a, b = row * points_per_pixel, start * points_per_pixel, end * points_per_pixel
            found.append(Rule(y, a, y, b) if transposed else Rule(a, y, b, y))
    return found


def _grey(image: np.ndarray) -> np.ndarray:
    """Grey levels in bytes (the mean of an RGB image's channels, rounded down)."""
    if image.ndim == 2:
        return image
    total = image[..., 0].astype(np.uint16)
    for channel in range(1, image.shape[2]):
        total += image[..., channel]
    total //= 3
    return total.astype(np.uint8)


def _plane_rows(image: np.ndarray, transposed: bool, start: int, stop: int) -> np.ndarray:
    """Rows start..stop of the image's grey plane, or of its transpose (columns as rows)."""
    if transposed:
        return np.ascontiguousarray(_grey(image[:, start:stop]).T)
    return _grey(image[start:stop])


def _plane_ink(image: np.ndarray, transposed: bool) -> np.ndarray:
    """Where the grey plane (or its transpose), averaged over _RULE_SMOOTH pixels along its
    rows, is dark enough for a rule."""
    size = image.shape[1] if transposed else image.shape[0]
    other = image.shape[0] if transposed else image.shape[1]
    ink = np.empty((size, other), dtype=bool)
    step = strip_rows(other)
    for top in range(0, size, step):
        plane = _plane_rows(image, transposed, top, min(size, top + step))
        ink[top : top + step] = _row_sums(plane, _RULE_SMOOTH) < _RULE_LEVEL * _RULE_SMOOTH
    return ink


def _light(image: np.ndarray, across: int, transposed: bool) -> np.ndarray:
    """Where the grey plane (or its transpose) is darker, summed over _RULE_SMOOTH pixels
    along its rows, than the paper it lies on by RULE_CONTRAST a pixel. The paper a thin line
    lies on is a grey-level closing across it (a running max, then min, over a few more
    pixels than a rule is thick); a shading's edge is a step that the closing keeps, so it
    shows no contrast. Each strip is read with the rows the closing reaches beside it."""
    size = image.shape[1] if transposed else image.shape[0]
    other = image.shape[0] if transposed else image.shape[1]
    light = np.empty((size, other), dtype=bool)
    before, after = across // 2, across - 1 - across // 2
    step = strip_rows(other)
    for top in range(0, size, step):
        bottom = min(size, top + step)
        # the max reaches `before` rows up and `after` down, and the min as far again
        start, stop = max(0, top - 2 * before), min(size, bottom + 2 * after)
        block = _plane_rows(image, transposed, start, stop)
        closing = _running(_running(block, across, np.maximum), across, np.minimum)
        inner = slice(top - start, bottom - start)
        light[top:bottom] = (
            _row_sums(closing[inner] - block[inner], _RULE_SMOOTH) > RULE_CONTRAST * _RULE_SMOOTH
        )
    return light


def _lines(
    mask: np.ndarray,
    length: int,
    thick: int,
    bridge: int,
    beside: tuple[np.ndarray, ...] | None = None,
    heaviest: int = 0,
) -> list[tuple[float, int, int]]:
    """(row, start, end) in pixels of the lines along the rows of `mask`: runs at least
    `length` long (breaks under `bridge` closed), at most `thick` rows thick (or, given
    `heaviest`, at most that many rows drawn over most of their length: a heavy or double
    rule, blurred into one band on a scan, with its soft edges), with the rows beside them
    mostly clear in `beside` (the masks' union; `mask` itself when None)."""
    rows, x0, x1 = _long_runs(mask, bridge, length)
    if rows.size == 0:
        return []
    # Long runs of adjacent rows that overlap form one line; its thickness must be small.
    parts = label_runs(rows, x0, x1, mask.shape[1])
    found = []
    for i in range(len(parts)):
        if parts.width[i] < length:
            continue
        y0, y1, x0, x1 = int(parts.y0[i]), int(parts.y1[i]), int(parts.x0[i]), int(parts.x1[i])
        if parts.height[i] > thick and not (heaviest and _core_rows(mask, y0, y1, x0, x1) <= heaviest):
            continue
        if not _clear_beside((mask,) if beside is None else beside, y0, y1, x0, x1):
            continue  # a line of text (bold, or dense), not a rule
        found.append(((y0 + y1) / 2.0, x0, x1))
    return found


def _core_rows(mask: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> int:
    """How many rows of a band of `mask` are set over at least half its width."""
    return int(np.count_nonzero(mask[y0:y1, x0:x1].mean(axis=1) >= 0.5))


def _long_runs(mask: np.ndarray, bridge: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of `mask` at least `length` long once breaks under `bridge` are closed, a
    strip of rows at a time (a bridge never crosses rows)."""
    step = strip_rows(mask.shape[1])
    found = []
    for top in range(0, mask.shape[0], step):
        rows, x0, x1 = _bridged_runs(mask[top : top + step], bridge)
        long = (x1 - x0) >= length
        found.append((rows[long] + top, x0[long], x1[long]))
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty
    rows, x0, x1 = (np.concatenate(parts) for parts in zip(*found))
    return rows, x0, x1


def _drawn(line: tuple[float, int, int], lines: list[tuple[float, int, int]], thick: int) -> bool:
    """Whether `line` is one of `lines` already (as close as a rule is thick, mostly overlapping)."""
    row, a, b = line
    return any(abs(row - r) <= thick and min(b, e) - max(a, s) > 0.5 * (b - a) for r, s, e in lines)


def _clear_beside(masks: tuple[np.ndarray, ...], y0: int, y1: int, x0: int, x1: int) -> bool:
    """Whether the rows just above and just below a candidate rule are mostly free of ink
    (in any of `masks`), as beside a rule (a text line's neighbouring rows hold the rest of
    its glyphs)."""
    last = masks[0].shape[0] - 1
    above_row, below_row = max(0, y0 - _RULE_CLEARANCE), min(last, y1 - 1 + _RULE_CLEARANCE)
    above = np.logical_or.reduce([m[above_row, x0:x1] for m in masks])
    below = np.logical_or.reduce([m[below_row, x0:x1] for m in masks])
    return float(above.mean()) <= _RULE_SIDE_INK and float(below.mean()) <= _RULE_SIDE_INK


def _running(plane: np.ndarray, size: int, pick: np.ufunc) -> np.ndarray:
    """`pick` (np.maximum or np.minimum) over a window of `size` rows centred on each row
    (a grey-level dilation or erosion across the rows); windows doubled, log2(size) passes."""
    before = size // 2
    padded = np.pad(plane, ((before, size - 1 - before), (0, 0)), mode="edge")
    span, result = 1, padded
    while 2 * span <= size:
        result = pick(result[:-span], result[span:])
        span *= 2
    if span < size:
        result = pick(result[: -(size - span)], result[size - span :])
    return result[: plane.shape[0]]


def _row_sums(plane: np.ndarray, width: int) -> np.ndarray:
    """Each row's sums over `width` pixels (bytes in, 16 bits out; same size, the edge pixel
    repeated beyond the ends): a sum of shifted copies."""
    padded = np.pad(plane, ((0, 0), (width // 2, width - 1 - width // 2)), mode="edge")
    columns = plane.shape[1]
    total = padded[:, :columns].astype(np.uint16)
    for shift in range(1, width):
        total += padded[:, shift : shift + columns]
    return total


def _bridged_runs(mask: np.ndarray, bridge: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True per row, with runs of one row less than `bridge` pixels apart joined."""
    rows, x0, x1 = runs(mask)
    if rows.size < 2:
        return rows, x0, x1
    joins = (rows[1:] == rows[:-1]) & (x0[1:] - x1[:-1] < bridge)
    starts = np.concatenate([[True], ~joins])
    group = np.cumsum(starts) - 1
    first = np.nonzero(starts)[0]
    ends = np.zeros(first.size, dtype=x1.dtype)
    np.maximum.at(ends, group, x1)
    return rows[first], x0[first], ends


def shrink(image: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if image.ndim == 2:
        return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
    return by_plane(image, lambda plane: plane.resize(size, Image.BILINEAR))


def denoise(mask: np.ndarray) -> np.ndarray:
    """Ink pixels that have at least one ink neighbour (8-connected): lone specks removed."""
    return mask & (_neighbours(mask) > 0)


def fit_words(line_ink: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Horizontal extents (pixels of the line crop) of a line's words: the recognised word
    spans (CTC positions, which fall inside the glyphs) moved onto the ink, each word ending
    at the blank columns nearest the model's boundary between it and the next."""
    if not spans:
        return []
    columns = line_ink.any(axis=0)
    # Ink at the crop's ends a glyph's width or more beyond the read words is a neighbour's
    # edge the line box took in (a figure of the next column, cut): no word reaches it.
    reach = _GLYPH_REACH * line_ink.shape[0]
    inked = np.nonzero(columns)[0]
    if inked.size:
        runs = np.split(inked, np.nonzero(np.diff(inked) > 1)[0] + 1)
        kept = [run for run in runs if run[-1] + 1 > spans[0][0] - reach and run[0] < spans[-1][1] + reach]
        inked = np.concatenate(kept) if kept else inked
    if inked.size == 0:
        return spans
    first, last = int(inked[0]), int(inked[-1]) + 1
    # Blank runs inside the line's ink: (start, end) of columns without ink.
    padded = np.concatenate(([1], columns[first:last].astype(np.int8), [1]))
    change = np.diff(padded)
    starts = np.nonzero(change == -1)[0] + first
    ends = np.nonzero(change == 1)[0] + first
    gaps = list(zip(starts.tolist(), ends.tolist()))
    cuts: list[tuple[int, int]] = []
    low = first
    for (_, right_end), (left_start, _) in itertools.pairwise(spans):
        middle = (right_end + left_start) / 2.0
        usable = [g for g in gaps if g[0] >= low]
        if not usable:
            break
        # the nearest blank run to the boundary, wider runs preferred when equally near
        best = min(usable, key=lambda g: (max(0.0, g[0] - middle, middle - g[1]), -(g[1] - g[0])))
        cuts.append(best)
        low = best[1]
    if len(cuts) != len(spans) - 1:
        return spans
    edges = [first] + [v for cut in cuts for v in cut] + [last]
    fitted = []
    for k in range(len(spans)):
        x0, x1 = edges[2 * k], edges[2 * k + 1]
        fitted.append((float(x0), float(max(x1, x0 + 1))))
    return fitted


def clean_scan(image: np.ndarray) -> np.ndarray:
    """A scan with its paper made white and lone specks removed: grey levels are stretched so
    that the paper (the bright pixels' median less three times their noise) maps to white,
    then specks (ink components of one or two pixels) and every pixel that is neither ink nor
    next to ink are made white. The table models see a page like
    the renderings they were trained on; text and rules keep their shape.

    In bytes: the stretch is a table of the 256 levels, applied a strip at a time; specks and
    paper are found in strips of the ink mask with the rows that decide them beside each."""
    sample_pixels = image[::4, ::4]
    sample = (sample_pixels.mean(axis=2) if image.ndim == 3 else sample_pixels.astype(np.float32)).ravel()
    bright = sample[sample > np.percentile(sample, 50)]
    if bright.size == 0:
        return image
    paper = float(np.median(bright))
    noise = 1.4826 * float(np.median(np.abs(bright - paper)))
    white = paper - max(6.0, 3.0 * noise)
    del sample, bright
    if white <= 64:
        return image
    # Every grey level as the stretch in float32 makes it (the same arithmetic, once a level).
    stretch = np.clip(np.arange(256, dtype=np.float32) * (255.0 / white), 0, 255).astype(np.uint8)
    height, width = image.shape[:2]
    step = strip_rows(width)
    scaled = np.empty_like(image)
    for top in range(0, height, step):
        scaled[top : top + step] = stretch[image[top : top + step]]
    ink = is_ink(scaled)
    # Specks: ink components of at most two pixels (a full stop at 144 dpi has four or more).
    _remove_specks(ink)
    # Paper: whatever is not ink nor touching it (the edges of strokes stay grey), which
    # takes light noise away too.
    for top in range(0, height, step):
        bottom = min(height, top + step)
        start, stop = max(0, top - 1), min(height, bottom + 1)
        paper_here = ~_dilate(ink[start:stop])[top - start : bottom - start]
        if scaled.ndim == 3:
            paper_here = paper_here[..., None]
        np.copyto(scaled[top:bottom], 255, where=paper_here)
    return scaled


def _remove_specks(ink: np.ndarray) -> None:
    """Clear (in place) the ink components of one or two pixels: a pixel with no ink
    neighbour, or two neighbours that have none but each other (8-connected), as labelling the
    components and keeping those of at most two pixels would. A strip at a time, read with the
    two rows beside it that a neighbour's neighbours reach; a speck cleared in one strip leaves
    its other pixel alone, hence still a speck, in the next."""
    height, width = ink.shape
    step = strip_rows(width)
    for top in range(0, height, step):
        bottom = min(height, top + step)
        start, stop = max(0, top - 2), min(height, bottom + 2)
        part = ink[start:stop]
        count = _neighbours(part)
        single = part & (count == 1)
        speck = (part & (count == 0)) | (single & (_neighbours(single) > 0))
        ink[top:bottom][speck[top - start : bottom - start]] = False


def _neighbours(mask: np.ndarray) -> np.ndarray:
    """Each pixel's count of set pixels among its 8 neighbours."""
    padded = np.pad(mask, 1)
    neighbours = np.zeros(mask.shape, dtype=np.uint8)
    height, width = mask.shape
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy == 1 and dx == 1:
                continue
            neighbours += padded[dy : dy + height, dx : dx + width]
    return neighbours


def _dilate(mask: np.ndarray) -> np.ndarray:
    """A 3 x 3 dilation."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return wide
