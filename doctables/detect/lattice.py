"""Ruled tables found from the page's ruling lines alone.

Horizontal and vertical rules that touch one another form a connected drawing; one whose
lines cut the area into a grid of at least two rows and two columns, with text in two or
more columns of two or more rows, is a ruled table. The layout model misses some of these
(it may call a page of boxed forms one big figure), so they complete its regions; a model
region holding two or more of them is split along them.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from doctables.geometry import Box
from doctables.model.layout import Rule, Word

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


def ruled_tables(
    rules: list[Rule], words: list[Word], page_width: float = 0.0, page_height: float = 0.0
) -> list[Lattice]:
    """The ruled tables of a page: lattices of at least 2 x 2 cells, with a rule running
    down and one running across most of the table inside it, text in at least two columns
    of at least two rows and in a fair share of the cells, and no text running across its
    column rules. Lattices reaching the page's edge are page decoration."""
    if len(rules) > _MAX_SEGMENTS:
        return []
    horizontal = _merge([(r.y0, r.x0, r.x1) for r in rules if r.horizontal])
    vertical = _merge([(r.x0, r.y0, r.y1) for r in rules if not r.horizontal])
    if len(horizontal) < 2 or len(vertical) < 2:
        return []
    found = []
    for hs, vs in _components(horizontal, vertical):
        if len(hs) < 3 or len(vs) < 2:
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
        lattice = Lattice((x0, y0, x1, y1), _lines([p for p, _, _ in vs]), _lines([p for p, _, _ in hs]))
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
