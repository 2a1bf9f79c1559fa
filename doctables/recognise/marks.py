"""Marks on a page image that text detection passed over: ticks, crosses, dashes, a lone
figure, set apart in the cells of a table. They are no line of text to the detector, so a
table of ticks shows only its labels and headings as words; as tokens beside the words
they show its columns."""

from __future__ import annotations

import numpy as np

from doctables.geometry import Box
from doctables.model.layout import Word
from doctables.recognise import pages
from doctables.recognise.components import label

# A mark stands at least this share of a text line's height (the median word box) high, at
# most one line: smaller is dirt or punctuation, taller a figure or a rule.
_LOW = 0.25
_HIGH = 1.0
# ... and is at most this many lines wide (wider is a rule or a word's ink).
_WIDE = 1.5
# Shapes this close side by side (a share of a line) make one mark ("N/A", "10").
_JOIN = 0.3
MARK_TEXT = "\u2022"  # what a mark token reads as: it is a token for alignment, never text


def unread_marks(image: np.ndarray, words: list[Word], points_per_pixel: float) -> list[Word]:
    """Glyph-sized ink shapes of `image` outside every word's box, joined into marks, as
    tokens (text `MARK_TEXT`, boxes in points, confidence 0)."""
    if not words:
        return []
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    line = heights[len(heights) // 2] / points_per_pixel
    if line < 4:
        return []
    ink = pages.denoise(pages.is_ink(image, pages.ink_level(image)))
    height, width = ink.shape
    taken = [
        (max(0, int(x0 / points_per_pixel)), max(0, int(y0 / points_per_pixel)),
         min(width, int(np.ceil(x1 / points_per_pixel))), min(height, int(np.ceil(y1 / points_per_pixel))))
        for x0, y0, x1, y1 in (w.bbox for w in words)
    ]
    for a0, b0, a1, b1 in taken:
        ink[b0:b1, a0:a1] = False
    parts = label(ink)
    glyph = (parts.height >= _LOW * line) & (parts.height <= _HIGH * line) & (parts.width <= _WIDE * line)
    boxes = sorted(
        (int(parts.x0[i]), int(parts.y0[i]), int(parts.x1[i]), int(parts.y1[i])) for i in np.nonzero(glyph)[0]
    )
    marks: list[list[int]] = []
    for x0, y0, x1, y1 in boxes:
        for mark in marks:
            if x0 - mark[2] <= _JOIN * line and min(y1, mark[3]) > max(y0, mark[1]):
                mark[:] = [min(mark[0], x0), min(mark[1], y0), max(mark[2], x1), max(mark[3], y1)]
                break
        else:
            marks.append([x0, y0, x1, y1])
    reach = _JOIN * line
    return [
        Word(MARK_TEXT, _as_word_box(mark, line, points_per_pixel), confidence=0.0)
        for mark in marks
        if mark[2] - mark[0] <= _WIDE * line
        # a mark stands apart: ink just outside a word's box is a piece of its glyphs
        and not any(
            a0 - reach < mark[2] and mark[0] < a1 + reach and b0 < mark[3] and mark[1] < b1 for a0, b0, a1, b1 in taken
        )
    ]


def _as_word_box(mark: list[int], line: float, points_per_pixel: float) -> Box:
    """The mark's extent across, a word's height about its middle (points)."""
    x0, y0, x1, y1 = mark
    middle = (y0 + y1) / 2
    return (
        x0 * points_per_pixel,
        (middle - line / 2) * points_per_pixel,
        x1 * points_per_pixel,
        (middle + line / 2) * points_per_pixel,
    )
