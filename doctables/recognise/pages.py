"""What the page image shows, measured cheaply with numpy: its ink, the text-like part of it,
how much of that the text layer covers, the direction and skew of its text lines, and ruling
lines drawn in it (a scan has no vector rules).

All of it works on a reduced binary map of about one pixel per point (72 dpi).
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image

from doctables.model.layout import PageLayout, Rule, Word
from doctables.recognise.components import label, runs

# A pixel is ink when its grey level (0-255) is below this.
_INK_LEVEL = 150
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


def is_ink(image: np.ndarray) -> np.ndarray:
    """Pixels darker than the ink level (mean of the channels of an RGB image)."""
    if image.ndim == 2:
        return image < _INK_LEVEL
    total = image[..., 0].astype(np.uint16)
    total += image[..., 1]
    total += image[..., 2]
    return total < 3 * _INK_LEVEL


def ink_map(image: np.ndarray, points_per_pixel: float) -> InkMap:
    """Binary ink map of an RGB page image, reduced to about one pixel per point."""
    dark = is_ink(image)
    factor = max(1, round(1.0 / points_per_pixel)) if points_per_pixel > 0 else 1
    height, width = dark.shape
    if factor > 1:
        h, w = height // factor, width // factor
        cells = dark[: h * factor, : w * factor].view(np.uint8)
        # Ink pixels per cell, summed over strided views (a reshape-and-sum is 5x slower).
        count = np.zeros((h, w), dtype=np.uint16)
        for dy in range(factor):
            for dx in range(factor):
                count += cells[dy::factor, dx::factor]
        # A cell is ink when at least two of its image pixels are (a lone speck is noise).
        mask = count >= min(2, factor * factor)
    else:
        mask = dark
    return InkMap(mask=mask, pixels_per_cell=float(factor), points_per_cell=factor * points_per_pixel)


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
    hairline) is found by its contrast with the paper just beside it rather than by its level."""
    # Grey levels in bytes and window sums in 16 bits: a 25-megapixel page's planes stay
    # at 25-50 MB each.
    grey = image if image.ndim == 2 else (image.astype(np.uint16).sum(axis=2) // 3).astype(np.uint8)
    length = max(4, int(_IMAGE_RULE_LENGTH / points_per_pixel))
    thick = max(1, math.ceil(IMAGE_RULE_THICKNESS / points_per_pixel))
    bridge = max(1, round(_RULE_BRIDGE / points_per_pixel))
    across = 2 * (thick // 2 + 1) + 1  # odd, so that the closing's window is centred
    found: list[Rule] = []
    planes = (grey, np.ascontiguousarray(grey.T))
    # The paper a thin line lies on is a grey-level closing across it (a running max, then
    # min, over a few more pixels than a rule is thick); a shading's edge is a step that
    # the closing keeps, so it shows no contrast.
    light = [
        _row_sums(_running(_running(plane, across, np.maximum), across, np.minimum) - plane, _RULE_SMOOTH)
        > RULE_CONTRAST * _RULE_SMOOTH
        for plane in planes
    ]
    for transposed, plane in enumerate(planes):
        ink = _row_sums(plane, _RULE_SMOOTH) < _RULE_LEVEL * _RULE_SMOOTH
        dark = _lines(ink, length, thick, bridge)
        # Where a light rule crosses another, neither shows contrast across itself: the
        # crossing counts for both.
        faint_mask = light[transposed] | light[1 - transposed].T
        # Beside a light line, neither dark ink nor more light line: the feet of a line of
        # serif text make a light line too, under the dark strokes of its letters.
        faint = _lines(faint_mask, length, thick, bridge, faint_mask | ink)
        faint = [line for line in faint if not _drawn(line, dark, thick)]
        for row, start, end in dark + faint:
            y, a, b = row * points_per_pixel, start * points_per_pixel, end * points_per_pixel
            found.append(Rule(y, a, y, b) if transposed else Rule(a, y, b, y))
    return found


def _lines(
    mask: np.ndarray, length: int, thick: int, bridge: int, beside: np.ndarray | None = None
) -> list[tuple[float, int, int]]:
    """(row, start, end) in pixels of the lines along the rows of `mask`: runs at least
    `length` long (breaks under `bridge` closed), at most `thick` rows thick, with the rows
    beside them mostly clear in `beside` (`mask` itself when None)."""
    rows, x0, x1 = _bridged_runs(mask, bridge)
    long = (x1 - x0) >= length
    rows, x0, x1 = rows[long], x0[long], x1[long]
    if rows.size == 0:
        return []
    # Long runs of adjacent rows that overlap form one line; its thickness must be small.
    line = np.zeros(mask.shape, dtype=bool)
    for r, a, b in zip(rows.tolist(), x0.tolist(), x1.tolist()):
        line[r, a:b] = True
    parts = label(line)
    found = []
    for i in range(len(parts)):
        if parts.height[i] > thick or parts.width[i] < length:
            continue
        y0, y1, x0, x1 = int(parts.y0[i]), int(parts.y1[i]), int(parts.x0[i]), int(parts.x1[i])
        if not _clear_beside(mask if beside is None else beside, y0, y1, x0, x1):
            continue  # a line of text (bold, or dense), not a rule
        found.append(((y0 + y1) / 2.0, x0, x1))
    return found


def _drawn(line: tuple[float, int, int], lines: list[tuple[float, int, int]], thick: int) -> bool:
    """Whether `line` is one of `lines` already (as close as a rule is thick, mostly overlapping)."""
    row, a, b = line
    return any(abs(row - r) <= thick and min(b, e) - max(a, s) > 0.5 * (b - a) for r, s, e in lines)


def _clear_beside(mask: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> bool:
    """Whether the rows just above and just below a candidate rule are mostly free of ink,
    as beside a rule (a text line's neighbouring rows hold the rest of its glyphs)."""
    above = mask[max(0, y0 - _RULE_CLEARANCE), x0:x1]
    below = mask[min(mask.shape[0] - 1, y1 - 1 + _RULE_CLEARANCE), x0:x1]
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
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))


def denoise(mask: np.ndarray) -> np.ndarray:
    """Ink pixels that have at least one ink neighbour (8-connected): lone specks removed."""
    padded = np.pad(mask, 1)
    neighbours = np.zeros(mask.shape, dtype=np.uint8)
    height, width = mask.shape
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy == 1 and dx == 1:
                continue
            neighbours += padded[dy:dy + height, dx:dx + width]
    return mask & (neighbours > 0)


def fit_words(line_ink: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Horizontal extents (pixels of the line crop) of a line's words: the recognised word
    spans (CTC positions, which fall inside the glyphs) moved onto the ink, each word ending
    at the blank columns nearest the model's boundary between it and the next."""
    if not spans:
        return []
    columns = line_ink.any(axis=0)
    inked = np.nonzero(columns)[0]
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
    the renderings they were trained on; text and rules keep their shape."""
    grey = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float32)
    sample = grey[::4, ::4].ravel()
    bright = sample[sample > np.percentile(sample, 50)]
    if bright.size == 0:
        return image
    paper = float(np.median(bright))
    noise = 1.4826 * float(np.median(np.abs(bright - paper)))
    white = paper - max(6.0, 3.0 * noise)
    if white <= 64:
        return image
    scaled = np.clip(image.astype(np.float32) * (255.0 / white), 0, 255).astype(np.uint8)
    # Specks: ink components of at most two pixels (a full stop at 144 dpi has four or more).
    ink = is_ink(scaled)
    parts = label(ink)
    small = np.nonzero((parts.pixels <= _SPECK_PIXELS) & (parts.width <= 2) & (parts.height <= 2))[0]
    for i in small.tolist():
        ink[parts.y0[i]:parts.y1[i], parts.x0[i]:parts.x1[i]] = False
    # Paper: whatever is not ink nor touching it (the edges of strokes stay grey), which
    # takes light noise away too.
    scaled[~_dilate(ink)] = 255
    return scaled


def _dilate(mask: np.ndarray) -> np.ndarray:
    """A 3 x 3 dilation."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return wide
