"""The columns a page's text is set in. A page of two columns of running text (a paper, two
pages scanned or photographed as one) has every line of the page made of two phrases side by
side when read across the whole page: searched for grids so, it is one grid, and a table in
one of its columns is never found. Searched column by column, it is found. Lengths in
points; `unit` is the text height."""

from __future__ import annotations

import itertools

from doctables.grid import refine
from doctables.model.layout import Word

# A gutter is at least this wide (units): wider than any word space ...
_GUTTER = 1.0
# ... and crossed by at most one line in this many (a title over both columns, a table
# or a figure caption set across the page).
_CROSSING_ONE_IN = 10
# Each column beside a gutter holds at least this many lines of running text.
_PROSE_LINES = 3
# A line of running text has at least this many words.
_SENTENCE_WORDS = 4
# The coverage profile counts lines over steps of this width (points).
_STEP = 1.0


def page_columns(words: list[Word]) -> list[list[Word]]:
    """The words of each column of running text on the page, left to right: one list (all
    the words) where the page is set in one column, or its text in no columns of prose (a
    table filling the page has column gaps, but no running text either side of them)."""
    if not words:
        return [words]
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    left, right = min(w.bbox[0] for w in words), max(w.bbox[2] for w in words)
    cuts = [(lo + hi) / 2 for lo, hi in _gutters(words, bands, unit, left, right)]
    parts = _split(words, cuts)
    # Keep a cut only where the columns on both sides of it are running text.
    while len(parts) > 1:
        weak = next((k for k, part in enumerate(parts) if not _running_text(part)), None)
        if weak is None:
            break
        # The column that is no running text joins its neighbour: drop the cut beside it
        # (the one on its left, unless it is the first column).
        del cuts[max(0, weak - 1)]
        parts = _split(words, cuts)
    return parts


def _gutters(
    words: list[Word], bands: list[refine.Band], unit: float, left: float, right: float
) -> list[tuple[float, float]]:
    """The x-ranges inside the text's extent that no more than the allowed stray lines'
    phrases cover, at least a gutter wide."""
    size = int((right - left) / _STEP) + 1
    steps = [0] * (size + 1)  # +1 where a phrase starts covering, -1 past where it stops
    for band in bands:
        for a, b in refine.phrases(band, words, unit):
            first, past = max(0, int((a - left) / _STEP)), min(size, int((b - left) / _STEP) + 1)
            if past > first:
                steps[first] += 1
                steps[past] -= 1
    counts = list(itertools.accumulate(steps[:size]))
    allowance = len(bands) // _CROSSING_ONE_IN
    gutters: list[tuple[float, float]] = []
    start = None
    for i in range(size + 1):
        free = i < size and counts[i] <= allowance
        if free and start is None:
            start = i
        elif not free and start is not None:
            lo, hi = left + start * _STEP, left + i * _STEP
            if start > 0 and i < size and hi - lo >= _GUTTER * unit:
                gutters.append((lo, hi))
            start = None
    return gutters


def _split(words: list[Word], cuts: list[float]) -> list[list[Word]]:
    parts: list[list[Word]] = [[] for _ in range(len(cuts) + 1)]
    for w in words:
        centre = (w.bbox[0] + w.bbox[2]) / 2
        parts[sum(centre > c for c in cuts)].append(w)
    return [p for p in parts if p]


def _running_text(words: list[Word]) -> bool:
    """Whether a column holds lines of running text: lines of several words filling most of
    the column's width."""
    unit = refine.median_height(words)
    width = max(w.bbox[2] for w in words) - min(w.bbox[0] for w in words)
    bands = refine.text_bands(words, unit)
    prose = [b for b in bands if len(b.words) >= _SENTENCE_WORDS and refine.is_prose(b, words, width)]
    return len(prose) >= _PROSE_LINES
