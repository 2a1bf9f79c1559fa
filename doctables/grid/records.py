"""Records: which gaps between two body lines part two records (never one cell, whatever the
model drew), and which only cut a row label that wrapped. A line is read by column:
`column_texts` gives each column's text on it. Lengths in points; `unit` is the text height,
and thresholds that are lengths are multiples of it unless they say points."""

from __future__ import annotations

from collections.abc import Sequence

from doctables.geometry import Box
from doctables.grid.frame import TableFrame
from doctables.grid.gaps import Gap
from doctables.grid.intervals import locate
from doctables.grid.lines import CROSSING_GAP, Band, median_height, same_line
from doctables.grid.text import CURRENCY, is_number
from doctables.model.layout import Word

# A line's text in each column: its extent and its first word.
ColumnTexts = dict[int, tuple[Box, Word]]

# Two lines carrying figures in at least this many shared columns are two records.
_SHARED_FIGURES = 2
# A word space, in units (a text line's height is about twice the x-height).
_WORD_SPACE = 0.3
# A wrapped label's later lines may hang indented under its first by this many units, under
# a first line running this share of the column's widest line.
_HANG_LEAST, _HANG_MOST = 0.5, 4.0
_HANG_LINE = 0.6
# Texts of two lines in one column overlapping across this share of the narrower are stacked.
_STACKED_OVERLAP = 0.5
# A line ends within the heading when its bottom is at most this far (points) under it.
_HEADING_SLACK = 1.0


def column_texts(band: Band, words: Sequence[Word], col_edges: Sequence[float]) -> ColumnTexts:
    """A line's text in each column: its extent and its first word."""
    found: ColumnTexts = {}
    for i in sorted(band.words, key=lambda i: words[i].bbox[0]):
        w = words[i]
        c = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
        if c in found:
            (x0, y0, x1, y1), first = found[c]
            found[c] = ((x0, min(y0, w.bbox[1]), max(x1, w.bbox[2]), max(y1, w.bbox[3])), first)
        else:
            found[c] = (w.bbox, w)
    return found


def record_splits(gaps: list[Gap], texts: list[ColumnTexts], frame: TableFrame) -> set[int]:
    """Gaps between two body lines that are two records: both carry numbers in the same two
    or more columns; both hold text in the first column and another, the lower line's
    first label word fitting on the upper line (no label wrapped there); or a record's
    line over a label that starts the next one. Also gaps between a line running across
    columns and a line with separate cells in two or more of those columns (a heading over
    them, never part of their row). `texts`: each band's `column_texts`."""
    bands, words, col_edges, header_bottom = frame.bands, frame.words, frame.col_edges, frame.header_bottom
    added: set[int] = set()
    numeric = [_numeric_columns(b, words, col_edges) for b in bands]
    # The height of these words, which may differ from the frame's unit (measured before
    # glued words were split).
    unit = median_height(words)
    phrases = [_phrase_columns(b, words, col_edges, unit) for b in bands]
    body = [(b.y0 + b.y1) / 2 >= header_bottom for b in bands]
    widest = _widest_label(texts, body)
    for gi, gap in enumerate(gaps):
        k = gap.above
        if k is None:
            continue
        if body[k] and len(numeric[k] & numeric[k + 1]) >= _SHARED_FIGURES:
            added.add(gi)
        elif body[k] and _unwrapped(texts[k], texts[k + 1], widest, unit):
            added.add(gi)
        elif body[k] and numeric[k] and not numeric[k + 1] and _label_starts(texts[k], texts[k + 1], widest, unit):
            added.add(gi)
        elif _heads(phrases[k], phrases[k + 1]) or _heads(phrases[k + 1], phrases[k]):
            # Inside the heading, lines of cells wrapped column by column are one row.
            if not (bands[k + 1].y1 <= header_bottom + _HEADING_SLACK
                    and _stacked(bands[k], bands[k + 1], words, col_edges)):
                added.add(gi)
    return added


def wrapped_labels(gaps: list[Gap], candidates: set[int], texts: list[ColumnTexts], frame: TableFrame) -> set[int]:
    """Body boundaries under a row label's line that wrapped: the line holds text in the
    first column only, no figures, and the line below goes on with it there, either because
    its first word would not have fitted on the line (it ran to the column's widest line's
    width) or because it hangs indented under a line that runs most of that width (figures
    stand on a wrapped label's last line). `texts`: each band's `column_texts`."""
    bands, words, col_edges, header_bottom, unit = (
        frame.bands, frame.words, frame.col_edges, frame.header_bottom, frame.unit
    )
    if len(col_edges) < 3:
        return set()
    widest = _widest_label(texts, [(b.y0 + b.y1) / 2 > header_bottom for b in bands])
    removed: set[int] = set()
    for g in candidates:
        k = gaps[g].above
        if k is None or gaps[g].lo <= header_bottom:
            continue
        upper, lower = texts[k], texts[k + 1]
        if set(upper) != {0} or 0 not in lower or any(is_number(words[i].text) for i in bands[k].words):
            continue
        (ux0, _, ux1, _), _ = upper[0]
        (lx0, _, _, _), first = lower[0]
        if is_number(first.text):
            continue  # figures set in under a heading: a record of their own
        runs_on = (ux1 - ux0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) > widest
        hangs = _HANG_LEAST * unit <= lx0 - ux0 <= _HANG_MOST * unit and ux1 - ux0 >= _HANG_LINE * widest
        # A label with its figures ends its record: the next line goes back to the left (the
        # next label), where lines set in as far as it with figures of their own are the
        # items under a heading, not a label's last line.
        after = texts[k + 2] if k + 2 < len(texts) else {}
        ends = (
            not any(is_number(words[i].text) for i in bands[k + 1].words)
            or 0 not in after
            or after[0][0][0] < lx0 - _HANG_LEAST * unit
        )
        if (runs_on or hangs) and ends:
            removed.add(g)
    return removed


def figures_shared(above: Band, below: Band, words: Sequence[Word], col_edges: Sequence[float]) -> bool:
    """Whether two lines carry figures in the same two or more columns (two records)."""
    shared = _numeric_columns(above, words, col_edges) & _numeric_columns(below, words, col_edges)
    return len(shared) >= _SHARED_FIGURES


def _numeric_columns(band: Band, words: Sequence[Word], col_edges: Sequence[float]) -> set[int]:
    """The columns where a line holds figures only (a currency sign set apart from its
    figure, "$ 1,498", goes with it)."""
    texts: dict[int, list[str]] = {}
    for i in band.words:
        w = words[i]
        cx = (w.bbox[0] + w.bbox[2]) / 2
        texts.setdefault(locate(col_edges, cx), []).append(w.text)
    return {
        c for c, t in texts.items()
        if all(is_number(x) or x.strip() in CURRENCY for x in t) and any(is_number(x) for x in t)
    }


def _widest_label(texts: list[ColumnTexts], body: list[bool]) -> float:
    """The width of the widest text of a body line in the first column: as wide as the
    column's text may run before it wraps."""
    return max((t[0][0][2] - t[0][0][0] for t, in_body in zip(texts, body) if in_body and 0 in t), default=0.0)


def _unwrapped(upper: ColumnTexts, lower: ColumnTexts, widest: float, unit: float) -> bool:
    """Whether two lines are two records of text: they share the first column and another,
    and the lower line's first word in the first column would have fitted on the upper
    line within that column's widest line (so the row's label did not wrap there)."""
    shared = set(upper) & set(lower)
    if 0 not in shared or len(shared) < 2:
        return False
    (x0, _, x1, _), _ = upper[0]
    first = lower[0][1]
    return (x1 - x0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) <= widest


def _label_starts(upper: ColumnTexts, lower: ColumnTexts, widest: float, unit: float) -> bool:
    """Whether a line of text in the first column only, under a record's line (its label
    and figures), starts the next record: it stands no further right than the record's
    label, and its first word would have fitted on the label's line (no wrapped label goes
    on there)."""
    if set(lower) != {0} or 0 not in upper:
        return False
    (ux0, _, ux1, _), _ = upper[0]
    (lx0, _, _, _), first = lower[0]
    if lx0 > ux0 + _HANG_LEAST * unit:
        return False
    return (ux1 - ux0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) <= widest


def _stacked(upper: Band, lower: Band, words: Sequence[Word], col_edges: Sequence[float]) -> bool:
    """Whether two lines hold text set one over the other in every column they share (two or
    more, all the columns of one of them): the two lines of cells wrapped column by column
    ("Less than" over "$10,000"), not a heading centred over the cells of a group."""
    extents: list[dict[int, tuple[float, float]]] = []
    for band in (upper, lower):
        by_column: dict[int, tuple[float, float]] = {}
        for i in band.words:
            w = words[i]
            c = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
            lo, hi = by_column.get(c, (w.bbox[0], w.bbox[2]))
            by_column[c] = (min(lo, w.bbox[0]), max(hi, w.bbox[2]))
        extents.append(by_column)
    above, below = extents
    shared = set(above) & set(below)
    if len(shared) < 2 or shared not in (set(above), set(below)):
        return False
    for c in shared:
        (a0, a1), (b0, b1) = above[c], below[c]
        if min(a1, b1) - max(a0, b0) < _STACKED_OVERLAP * min(a1 - a0, b1 - b0):
            return False
    return True


def _phrase_columns(band: Band, words: Sequence[Word], col_edges: Sequence[float], unit: float) -> list[set[int]]:
    """The columns each phrase of a band lies in."""
    ordered = sorted(band.words, key=lambda i: words[i].bbox[0])
    result: list[set[int]] = []
    previous = None
    for i in ordered:
        w = words[i]
        columns = {locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)}
        joined = (
            previous is not None
            and same_line(previous, w)
            and w.bbox[0] - previous.bbox[2] <= CROSSING_GAP * unit
        )
        if joined:
            result[-1] |= columns
        else:
            result.append(columns)
        previous = w
    return result


def _heads(above: list[set[int]], below: list[set[int]]) -> bool:
    """Whether a phrase of `above` runs over two or more columns that hold separate phrases
    of `below`."""
    for spanned in above:
        if len(spanned) < 2:
            continue
        under = [p for p in below if p <= spanned]
        if len(under) >= 2:
            return True
    return False
