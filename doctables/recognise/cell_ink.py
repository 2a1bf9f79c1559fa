"""Cells of a table read from an image that came out empty while the image shows a mark in
them: the mark is read on its own.

Text detection finds lines of text; a lone short mark (a tick, a dash for nil, a single digit
or letter set apart in its cell) is often no line to it, and its cell came out empty though
the page shows something there. Once the grid is known, each such cell's ink is cut out and
set on plain paper (nothing of its neighbours with it) and read apart from the other cells'
marks, side by side with them on a strip (`TextRecognizer.recognise_apart`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from doctables.geometry import Box
from doctables.model.layout import unspaced_script
from doctables.model.tables import CellWord, Table
from doctables.recognise import pages
from doctables.recognise.components import label
from doctables.recognise.ocr_models import OcrModels

# A mark may stand out over its row's edges by this share of the row's height.
_REACH = 0.5
# An ink shape wider than this many text lines' heights (or across most of its cell) is a
# rule (an underline, a border), not a glyph; so is one taller than its cell's row.
_RULE_LINES = 1.5
_RULE_SHARE = 0.9
# A mark at most this share of a text line high and this many times as wide as high is a
# bar: a dash.
_FLAT = 0.3
_BAR = 2.0
# A cell's edges lie in the gaps between texts, or on rules: a shape whose middle is within
# this share of a text line of them is a piece of a rule (a dashed one, or one broken on a
# photo), not a glyph.
_EDGE = 0.25
# A mark that is a stroke down narrower than this share of a text line is a piece of a
# rule: a glyph's stem has its serifs or a flag ("1").
_THIN = 0.12
# A dash stands in the middle of its row: within this share of the row's height of it.
_DASH_MIDDLE = 0.25
# Fewer ink pixels than this (after specks are removed) are dirt, not a mark.
_MIN_INK = 6
# The mark is cut out with this share of its height of paper around it (at least 2 pixels):
# the recogniser reads a lone glyph surer with some paper around it, as a line's crop has.
_PAD = 0.5
# What a mark alone in a cell may read as: letters and figures, and the marks tables are
# filled with (ticks, crosses, bullets, stars, dashes).
_MARKS = frozenset("✓✔√✗✘×•●○◦*+%#")
_STROKES = frozenset("-_‐‑‒–—―−─━一－ー")
# A dash for nil is written as the dash its length says, against the text line's height (a
# word box's, about twice the font's x-height): a hyphen is a third of an em, an en dash
# half of one, an em dash a whole one.
_HYPHEN, _EN_DASH, _EM_DASH = "-", "\u2013", "\u2014"
_HYPHEN_LONGEST = 0.3
_EN_DASH_LONGEST = 0.6
_ROOT, _TICK = "\u221a", "\u2713"
# At most this many marks are read a table: a strip of about a dozen is a run of the
# recogniser (about 60 ms at two threads); a tax table's columns of figures that text
# detection passed over whole are some hundreds.
_MAX_MARKS = 1024
# Readings less sure than this are left out (the recogniser's line score, 0..1).
_MIN_SCORE = 0.5


@dataclass(frozen=True)
class _Mark:
    cell: int  # index in the table's cells
    box: tuple[int, int, int, int]  # the mark's ink, image pixels
    crop: np.ndarray  # the mark on paper, a little paper around it (a bar: a text line tall)
    flat: bool  # a short bar, much wider than high, low against the text's lines


def read_empty_cells(table: Table, image: np.ndarray, points_per_pixel: float, models: OcrModels) -> Table:
    """The table with its empty cells that hold a mark in `image` (the upright page the
    table was found on, `points_per_pixel` its scale) given the mark's reading."""
    table = _ticks(table)
    empty = [k for k, cell in enumerate(table.cells) if not cell.text.strip()]
    if not empty:
        return table
    height, width = image.shape[:2]
    x0, y0, x1, y1 = (int(v / points_per_pixel) for v in table.bbox)
    level = pages.ink_level(image[max(0, y0):min(height, y1), max(0, x0):min(width, x1)])
    taken = [w.bbox for cell in table.cells for w in cell.words]
    heights = sorted(b[3] - b[1] for b in taken)
    line = heights[len(heights) // 2] / points_per_pixel if heights else 0.0
    marks: list[_Mark] = []
    for k in empty:  # row by row, as the cells come
        if len(marks) == _MAX_MARKS:
            break
        mark = _mark(k, table.cells[k].bbox, image, points_per_pixel, level, taken, line)
        if mark is not None:
            marks.append(mark)
    if not marks:
        return table
    # A mark is read cut close (the recogniser is surest of a tick or a figure so); a short
    # flat bar is a dash for nil however it reads (close, as "_" or even "1"; a line tall, as
    # "-" or "一"), and is read cut a line tall only for its confidence.
    readings = models.recognizer.recognise_apart([m.crop for m in marks])
    cells = list(table.cells)
    ideographic = any(unspaced_script(ch) for cell in cells for ch in cell.text)
    for mark, result in zip(marks, readings):
        dash = _dash(mark.box[2] - mark.box[0], line)
        if mark.flat:
            text = dash
        else:
            text = _as_mark(result.text.strip(), ideographic, dash)
            if not text or result.score < _MIN_SCORE:
                continue
        mx0, my0, mx1, my1 = mark.box
        box = (mx0 * points_per_pixel, my0 * points_per_pixel, mx1 * points_per_pixel, my1 * points_per_pixel)
        cells[mark.cell] = replace(cells[mark.cell], text=text, words=[CellWord(text, box, round(result.score, 4))])
    return replace(table, cells=cells)


def _ticks(table: Table) -> Table:
    """A cell holding nothing but a square-root sign holds a tick: the recogniser has only
    "√" for the ticks it sees in a line of text."""
    if not any(cell.text.strip() == _ROOT for cell in table.cells):
        return table
    cells = [
        replace(cell, text=_TICK, words=[replace(w, text=_TICK) for w in cell.words]) if cell.text.strip() == _ROOT
        else cell
        for cell in table.cells
    ]
    return replace(table, cells=cells)


def _dash(width: float, line: float) -> str:
    """The dash a bar `width` pixels long is, beside text lines `line` pixels high."""
    if not line or _HYPHEN_LONGEST * line <= width <= _EN_DASH_LONGEST * line:
        return _EN_DASH
    return _HYPHEN if width < _HYPHEN_LONGEST * line else _EM_DASH


def _as_mark(text: str, ideographic: bool, dash: str) -> str:
    """A lone mark's reading as the cell's text (`dash` for any stroke), or "" where it is
    no plausible mark."""
    if text and set(text) <= _STROKES:
        # A stroke alone in a cell is a dash for nil, whichever stroke the recogniser took it
        # for (it reads Chinese too: "一", "one", is one of them).
        return dash
    if text == _ROOT:
        return _TICK
    if not ideographic and any(unspaced_script(ch) for ch in text):
        return ""
    return text if all(ch.isalnum() or ch in _MARKS or ch in ".,()" for ch in text) else ""


def _mark(
    index: int, cell: Box, image: np.ndarray, points_per_pixel: float, level: float, taken: list[Box], line: float
) -> _Mark | None:
    """The mark in a cell: the ink shapes whose middle lies inside it (a mark may stand out
    over a tight row's edges; a figure set right, to its edge), less other cells' words and
    the rules, set on plain paper; None when the cell shows none. `line`: a text line's
    height (pixels), as tall as a dash is cut (alone it shows no baseline)."""
    height, width = image.shape[:2]
    cx0, cy0, cx1, cy1 = (v / points_per_pixel for v in cell)
    reach = _REACH * (cy1 - cy0)
    wx0, wy0 = max(0, int(cx0)), max(0, int(cy0 - reach))
    wx1, wy1 = min(width, int(np.ceil(cx1))), min(height, int(np.ceil(cy1 + reach)))
    if wx1 - wx0 < 4 or wy1 - wy0 < 4:
        return None
    window = image[wy0:wy1, wx0:wx1]
    ink = pages.denoise(pages.is_ink(window, level))
    for bx0, by0, bx1, by1 in taken:
        a0, b0 = int(bx0 / points_per_pixel) - wx0, int(by0 / points_per_pixel) - wy0
        a1, b1 = int(np.ceil(bx1 / points_per_pixel)) - wx0, int(np.ceil(by1 / points_per_pixel)) - wy0
        if a1 > 0 and b1 > 0 and a0 < ink.shape[1] and b0 < ink.shape[0]:
            ink[max(0, b0):b1, max(0, a0):a1] = False
    if int(ink.sum()) < _MIN_INK:
        return None
    parts = label(ink)
    mid_x = (parts.x0 + parts.x1) / 2 + wx0
    mid_y = (parts.y0 + parts.y1) / 2 + wy0
    longest = _RULE_LINES * line if line else _RULE_SHARE * (cx1 - cx0)
    edge = _EDGE * line
    inside = (
        (mid_x > cx0 + edge) & (mid_x < cx1 - edge) & (mid_y > cy0) & (mid_y < cy1)
        & (parts.width < min(longest, _RULE_SHARE * (cx1 - cx0))) & (parts.height < cy1 - cy0)
    )
    if int(parts.pixels[inside].sum()) < _MIN_INK:
        return None
    own = np.zeros_like(ink)
    for i in np.nonzero(inside)[0]:
        y0, y1, x0, x1 = int(parts.y0[i]), int(parts.y1[i]), int(parts.x0[i]), int(parts.x1[i])
        own[y0:y1, x0:x1] |= ink[y0:y1, x0:x1]
    top, bottom = int(parts.y0[inside].min()), int(parts.y1[inside].max())
    left, right = int(parts.x0[inside].min()), int(parts.x1[inside].max())
    # The mark's pixels and their edge (anti-aliasing) on white paper.
    grown = own.copy()
    grown[1:, :] |= own[:-1, :]
    grown[:-1, :] |= own[1:, :]
    grown[:, 1:] |= grown[:, :-1]
    grown[:, :-1] |= grown[:, 1:]
    alone = np.where(grown[..., None] if window.ndim == 3 else grown, window, 255).astype(np.uint8)
    pad = max(2, round(_PAD * (bottom - top)))
    extra = max(pad, round((line - (bottom - top)) / 2))
    flat = bottom - top <= _FLAT * line and right - left >= _BAR * (bottom - top)
    if flat and abs(wy0 + (top + bottom) / 2 - (cy0 + cy1) / 2) > _DASH_MIDDLE * (cy1 - cy0):
        return None  # a bar off the row's middle is a piece of a rule (broken on a photo)
    if flat and right - left > _RULE_LINES * line:
        return None  # dot leaders, blurred into one bar
    if right - left < _THIN * line and bottom - top > 2 * (right - left):
        return None  # a stroke down, thinner than a glyph: a piece of a rule
    crop = _on_paper(alone[top:bottom, left:right], extra if flat else pad, pad)
    return _Mark(index, (wx0 + left, wy0 + top, wx0 + right, wy0 + bottom), crop, flat)


def _on_paper(mark: np.ndarray, up_down: int, sides: int) -> np.ndarray:
    widths = ((up_down, up_down), (sides, sides)) + (((0, 0),) if mark.ndim == 3 else ())
    return np.ascontiguousarray(np.pad(mark, widths, constant_values=255))
