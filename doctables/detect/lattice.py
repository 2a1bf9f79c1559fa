"""Ruled tables found from the page's ruling lines alone.

Horizontal and vertical rules that touch one another form a connected drawing; one whose
lines cut the area into a grid of at least two rows and two columns, with text in two or
more columns of two or more rows, is a ruled table. The layout model misses some of these
(it may call a page of boxed forms one big figure), so they complete its regions; a model
region holding two or more of them is split along them.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from doctables.geometry import Box, area, centre_in, intersection
from doctables.grid import refine
from doctables.model.layout import PageLayout, Rule, Word

# Segments of one line closer than this (points) are joined; a rule's end this close to
# another rule touches it.
_JOIN = 2.0
_TOUCH = 2.5
# Positions of parallel lines closer than this (points) are one grid line (double rules,
# the two edges of a thin filled bar).
_SAME_LINE = 3.0
# The smallest table drawn with rules, in points.
_MIN_WIDTH, _MIN_HEIGHT = 30.0, 15.0
# Lattices closer than this (points) to the page's edge are decoration.
_PAGE_EDGE = 4.0
# Share of the cells that must hold text, and of the words that may run across a column rule.
_MIN_FILLED = 0.2
_MAX_CROSSING = 0.1
# A page with more segments than this is a drawing, not a page of tables: skip it.
_MAX_SEGMENTS = 4000


@dataclass(frozen=True)
class Lattice:
    """A connected set of rules and the grid lines it draws."""

    box: Box
    xs: list[float]  # vertical grid lines, left to right
    ys: list[float]  # horizontal grid lines, top to bottom


def page_ruled_tables(layout: PageLayout, read_from_image: bool) -> list[Lattice]:
    """`ruled_tables` of a page. A text layer's page edges hold decoration (a border drawn
    round the page, a band at its top) and its rules are all drawn; a page image is often a
    table cut out or a screenshot of one, its rules at the image's edges, its outer border
    faint or cut off."""
    if read_from_image:
        return ruled_tables(layout.rules, layout.words, open_sides=True)
    return ruled_tables(layout.rules, layout.words, layout.width, layout.height)


def ruled_tables(
    rules: list[Rule], words: list[Word], page_width: float = 0.0, page_height: float = 0.0,
    open_sides: bool = False,
) -> list[Lattice]:
    """The ruled tables of a page: lattices of at least 2 x 2 cells, with a rule running
    down and one running across most of the table inside it, text in at least two columns
    of at least two rows and in a fair share of the cells, and no text running across its
    column rules. Lattices reaching the page's edge are page decoration. `open_sides`: the
    lattice's outer sides may be undrawn, closed where its rules end (a page image's
    faint outer border, or one cut off with the image's edge: one column rule is enough)."""
    if len(rules) > _MAX_SEGMENTS:
        return []
    horizontal = _merge([(r.y0, r.x0, r.x1) for r in rules if r.horizontal])
    vertical = _merge([(r.x0, r.y0, r.y1) for r in rules if not r.horizontal])
    least_down = 1 if open_sides else 2
    if len(horizontal) < 2 or len(vertical) < least_down:
        return []
    found = []
    for hs, vs in _components(horizontal, vertical):
        if len(hs) < 3 or len(vs) < least_down:
            continue
        x0 = min(min(a for _, a, _ in hs), min(p for p, _, _ in vs))
        x1 = max(max(b for _, _, b in hs), max(p for p, _, _ in vs))
        y0 = min(min(p for p, _, _ in hs), min(a for _, a, _ in vs))
        y1 = max(max(p for p, _, _ in hs), max(b for _, _, b in vs))
        if x1 - x0 < _MIN_WIDTH or y1 - y0 < _MIN_HEIGHT:
            continue
        if page_width and (x0 < _PAGE_EDGE or x1 > page_width - _PAGE_EDGE):
            continue
        if page_height and (y0 < _PAGE_EDGE or y1 > page_height - _PAGE_EDGE):
            continue
        xs, ys = _lines([p for p, _, _ in vs]), _lines([p for p, _, _ in hs])
        if open_sides:
            xs, ys = _lines([x0, *xs, x1]), _lines([y0, *ys, y1])
        lattice = Lattice((x0, y0, x1, y1), xs, ys)
        if _has_full_inner_rules(lattice, hs, vs) and _holds_a_grid_of_text(lattice, words):
            found.append(lattice)
    return found


def _coverage(lines: list[tuple[float, float, float]], position: float, lo: float, hi: float) -> float:
    spans = sorted(
        (max(lo, a), min(hi, b)) for p, a, b in lines if abs(p - position) <= _SAME_LINE and min(hi, b) > max(lo, a)
    )
    total, end = 0.0, float("-inf")
    for a, b in spans:
        if b > end:
            total += b - max(a, end)
            end = b
    return total / (hi - lo) if hi > lo else 0.0


def _has_full_inner_rules(
    lattice: Lattice, hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]
) -> bool:
    """An inner column rule running down most of the table and an inner row rule running
    across most of it: the edges of shading behind lines of running text do not."""
    x0, y0, x1, y1 = lattice.box
    down = any(_coverage(vs, x, y0, y1) >= 0.5 for x in lattice.xs[1:-1])
    across = any(_coverage(hs, y, x0, x1) >= 0.5 for y in lattice.ys[1:-1])
    return down and across


def _merge(segments: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Join collinear segments (position, start, end) that overlap or nearly touch."""
    merged: list[list[float]] = []
    for position, a, b in sorted(segments, key=lambda s: (round(s[0]), s[1])):
        if merged and abs(merged[-1][0] - position) <= 0.5 and a <= merged[-1][2] + _JOIN:
            merged[-1][2] = max(merged[-1][2], b)
        else:
            merged.append([position, a, b])
    return [(p, a, b) for p, a, b in merged]


def _components(
    horizontal: list[tuple[float, float, float]], vertical: list[tuple[float, float, float]]
) -> list[tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]]:
    """Groups of horizontal and vertical segments connected by touching."""
    n = len(horizontal)
    parent = list(range(n + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    vx = np.array([v[0] for v in vertical])
    va = np.array([v[1] for v in vertical]) - _TOUCH
    vb = np.array([v[2] for v in vertical]) + _TOUCH
    for i, (y, a, b) in enumerate(horizontal):
        touching = np.nonzero((vx >= a - _TOUCH) & (vx <= b + _TOUCH) & (va <= y) & (y <= vb))[0]
        root = find(i)
        for k in touching:
            parent[find(n + int(k))] = root
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for k, v in enumerate(vertical):
        groups.setdefault(find(n + k), ([], []))[1].append(v)
    return list(groups.values())


def _lines(positions: list[float]) -> list[float]:
    lines: list[float] = []
    for p in sorted(positions):
        if lines and p - lines[-1] <= _SAME_LINE:
            continue
        lines.append(p)
    return lines


def _holds_a_grid_of_text(lattice: Lattice, words: list[Word]) -> bool:
    if len(lattice.xs) < 3 or len(lattice.ys) < 3:
        return False
    columns_by_row: dict[int, set[int]] = {}
    x0, y0, x1, y1 = lattice.box
    inside = crossing = 0
    for w in words:
        cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
        if not (x0 < cx < x1 and y0 < cy < y1):
            continue
        inside += 1
        crossing += any(w.bbox[0] + 1.0 < x < w.bbox[2] - 1.0 for x in lattice.xs[1:-1])
        row = bisect_right(lattice.ys, cy)
        col = bisect_right(lattice.xs, cx)
        columns_by_row.setdefault(row, set()).add(col)
    cells = (len(lattice.xs) - 1) * (len(lattice.ys) - 1)
    filled = sum(len(cols) for cols in columns_by_row.values())
    return (
        sum(len(cols) >= 2 for cols in columns_by_row.values()) >= 2
        and filled >= _MIN_FILLED * cells
        and crossing <= _MAX_CROSSING * inside
    )


# A ruled table is the table a region holds when the region's words lie in it and it lies
# (this share of its area) in the region.
_SAME_TABLE = 0.9
# A lattice row holding this many text lines with cells side by side holds records, not
# one wrapped row (a form's box holds a label line and a value line).
_RECORD_LINES = 3
# A lattice column whose lines, this many and this share of them, show two phrases apart by
# this many text heights holds two columns of text that no rule parts.
_HIDDEN_COLUMN_LINES = 3
_HIDDEN_COLUMN_SHARE = 0.5
_HIDDEN_COLUMN_GAP = 1.5
# A grid line must draw whole sides of this many cells (of all, in a grid one cell across).
_DRAWN_SIDES = 2


def table_grid(
    grids: list[Lattice],
    box: Box,
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
    unit: float,
    read_off_image: bool = False,
) -> Lattice | None:
    """The ruled table whose grid is the table's own: it holds all the table's words and lies
    in the table's box; no word runs across one of its drawn rules; no row of it holds
    several records, no column two columns of text. Then its lines are the rows and columns,
    whatever a model or the whitespace says. Rules `read_off_image` may miss a line (broken
    on a low-resolution scan): there two lines one under the other with cells in the same
    two or more columns are two records (see _rows_hold_records)."""
    if not words:
        return None
    for grid in grids:
        if not all(centre_in(w.bbox, grid.box) for w in words):
            continue
        if _cut_by_rules(grid, words, horizontal, vertical):
            continue
        xs = _join_narrow(_drawn_lines(grid.xs, grid.box[0], grid.box[2], vertical, grid.ys), words, 0, unit)
        ys = _join_narrow(_drawn_lines(grid.ys, grid.box[1], grid.box[3], horizontal, xs), words, 1, unit)
        drawn = _holding_text(xs, ys, words)
        if intersection(drawn.box, box) < _SAME_TABLE * area(drawn.box):
            continue
        if _rows_hold_records(drawn, words, unit, read_off_image) or _columns_hold_columns(drawn, words, unit):
            continue
        return drawn
    return None


def _holding_text(xs: list[float], ys: list[float], words: list[Word]) -> Lattice:
    """The grid less the rows at its top and bottom that hold no text (a title row the
    region left out)."""
    rows_used = {bisect_right(ys, (w.bbox[1] + w.bbox[3]) / 2) - 1 for w in words}
    first, last = max(0, min(rows_used)), min(len(ys) - 2, max(rows_used))
    ys = ys[first : last + 2]
    return Lattice((xs[0], ys[0], xs[-1], ys[-1]), xs, ys)


def _join_narrow(lines: list[float], words: list[Word], axis: int, unit: float) -> list[float]:
    """Lines less one of each pair closer than a line of text with no text of its own in the
    strip between them (the two edges of a white gap between shaded cells, a double rule)."""
    kept = list(lines)
    k = 1
    while k < len(kept) and len(kept) > 2:
        a, b = kept[k - 1], kept[k]
        if b - a < unit and not any(_holds(w, a, b, axis) for w in words):
            # Drop the inner one of the two lines (the outer edge stays).
            del kept[k if k < len(kept) - 1 else k - 1]
            continue
        k += 1
    return kept


def _holds(word: Word, lo: float, hi: float, axis: int) -> bool:
    """Whether a word is text of the strip [lo, hi]: centred in it, and not a word running
    far across it (a heading spanning the columns on both sides)."""
    a, b = word.bbox[axis], word.bbox[axis + 2]
    return lo <= (a + b) / 2 <= hi and b - a <= 1.5 * max(hi - lo, word.bbox[3 - axis] - word.bbox[1 - axis])


def _drawn_lines(
    lines: list[float], lo: float, hi: float, rules: list[tuple[float, float, float]], across: list[float]
) -> list[float]:
    """The grid's lines along one axis (`lo`, `hi`: its outer lines there; `across`: its
    lines on the other axis), outer edges included: an inner line is one only where its rules
    draw whole sides of `_DRAWN_SIDES` cells (a short stroke, such as the edge of a shading
    inside a cell, does not part the table; nor does the edge of the shading of one cell
    whose neighbours' text runs on across it)."""
    ends = sorted(set(across))
    inner = []
    for line in lines:
        if line <= lo + _SAME_LINE or line >= hi - _SAME_LINE:
            continue
        near = [(a, b) for p, a, b in rules if abs(p - line) <= _SAME_LINE]
        sides = sum(_covers(near, a, b) for a, b in itertools.pairwise(ends))
        if sides >= min(_DRAWN_SIDES, len(ends) - 1):
            inner.append(line)
    return [lo, *inner, hi]


def _covers(spans: list[tuple[float, float]], lo: float, hi: float) -> bool:
    """Whether the spans cover [lo, hi] but for the width of a crossing rule at each end."""
    covered = refine.union_length([(max(lo, a), min(hi, b)) for a, b in spans if min(hi, b) > max(lo, a)])
    return covered >= (hi - lo) - 2 * _SAME_LINE


def _cut_by_rules(
    grid: Lattice,
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
) -> bool:
    """Whether a drawn rule of one of the grid's lines runs through a word (the grid is not
    where the cells are: underlines, strike-throughs, rules of another drawing)."""
    for w in words:
        x0, y0, x1, y1 = w.bbox
        # A word's box runs from ascender to descender: a rule set tight against the text
        # may cross that margin without cutting a glyph.
        margin = max(1.0, 0.25 * (y1 - y0))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for x in grid.xs[1:-1]:
            if x0 + margin < x < x1 - margin and any(
                abs(p - x) <= _SAME_LINE and a <= cy <= b for p, a, b in vertical
            ):
                return True
        for y in grid.ys[1:-1]:
            if y0 + margin < y < y1 - margin and any(
                abs(p - y) <= _SAME_LINE and a <= cx <= b for p, a, b in horizontal
            ):
                return True
    return False


def _rows_hold_records(grid: Lattice, words: list[Word], unit: float, read_off_image: bool = False) -> bool:
    """Whether a row of the grid holds several lines of cells: two with figures in the same
    two or more columns, or `_RECORD_LINES` with text in two or more columns. Off an image
    (where a rule between records may be missed) two lines one under the other with text
    in the same two or more columns are records already; lines with a line of other
    columns' cells between them are the wrapped cells of one row, centred in their boxes."""
    by_row: dict[int, list[Word]] = {}
    for w in words:
        by_row.setdefault(bisect_right(grid.ys, (w.bbox[1] + w.bbox[3]) / 2), []).append(w)
    for row_words in by_row.values():
        bands = refine.text_bands(row_words, unit)
        if len(bands) < 2:
            continue
        filled: list[set[int]] = []
        numeric: list[set[int]] = []
        for band in bands:
            texts: dict[int, list[str]] = {}
            for i in band.words:
                w = row_words[i]
                texts.setdefault(bisect_right(grid.xs, (w.bbox[0] + w.bbox[2]) / 2), []).append(w.text)
            filled.append(set(texts))
            numeric.append({c for c, t in texts.items() if all(refine.is_number(x) for x in t)})
        if read_off_image:
            if any(len(a & b) >= 2 for a, b in itertools.pairwise(filled)):
                return True
            continue
        if sum(len(columns) >= 2 for columns in filled) >= _RECORD_LINES:
            return True
        if any(len(a & b) >= 2 for a, b in itertools.combinations(numeric, 2)):
            return True
    return False


def _columns_hold_columns(grid: Lattice, words: list[Word], unit: float) -> bool:
    """Whether a column of the grid holds two columns of text: in many of its lines, two
    phrases apart by a wide space."""
    by_column: dict[int, list[Word]] = {}
    for w in words:
        by_column.setdefault(bisect_right(grid.xs, (w.bbox[0] + w.bbox[2]) / 2), []).append(w)
    for column_words in by_column.values():
        bands = refine.text_bands(column_words, unit)
        apart = 0
        for band in bands:
            xs = sorted((column_words[i].bbox[0], column_words[i].bbox[2]) for i in band.words)
            apart += any(b[0] - a[1] > _HIDDEN_COLUMN_GAP * unit for a, b in itertools.pairwise(xs))
        if apart >= _HIDDEN_COLUMN_LINES and apart >= _HIDDEN_COLUMN_SHARE * len(bands):
            return True
    return False


def side_by_side(grids: list[Lattice], box: Box) -> list[Lattice]:
    """The ruled tables lying (mostly) in a region, when two or more of them stand side by
    side in it (their heights overlap, their widths do not): the region took in neighbouring
    tables across the gutter between their rules."""
    held = sorted((g for g in grids if intersection(g.box, box) >= 0.5 * area(g.box)), key=lambda g: g.box[0])
    if len(held) < 2:
        return []
    beside = any(
        a.box[2] <= b.box[0] and min(a.box[3], b.box[3]) > max(a.box[1], b.box[1])
        for a, b in itertools.combinations(held, 2)
    )
    return held if beside else []
