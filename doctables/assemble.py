"""From a page image and its layout to tables: detect, recognise structure, assign text."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from .geometry import Box, scale, union_box
from .grid import LogicalCell, decode_grid
from .layout import PageLayout, Rule, Word
from .models import TableModels
from .tables import Cell, Table

# Margin (points) added around a detected table before cropping: the detector's box
# often cuts the outer border or the first letters.
_CROP_MARGIN = 6.0
# A word belongs to a table when its centre lies within the region grown by this (points).
_REGION_SLACK = 2.0


@dataclass(frozen=True)
class Grid:
    """Row and column boundaries of a table in points: len(rows) = rows + 1."""

    row_edges: list[float]
    col_edges: list[float]

    def locate(self, x: float, y: float) -> tuple[int, int]:
        """Row and column of a point, clamped into the grid."""
        row = min(max(bisect_right(self.row_edges, y) - 1, 0), len(self.row_edges) - 2)
        col = min(max(bisect_right(self.col_edges, x) - 1, 0), len(self.col_edges) - 2)
        return row, col


def extract_tables(image: np.ndarray, layout: PageLayout, models: TableModels) -> list[Table]:
    """All tables on a page; `image` is the page rendering (RGB) that `layout` describes."""
    points_per_pixel = layout.width / layout.image_width
    tables: list[Table] = []
    detections = models.detector.detect(image)
    for detection in sorted(detections, key=lambda d: (d.box[1], d.box[0])):
        region = scale(detection.box, points_per_pixel)
        crop_box = _grow(region, _CROP_MARGIN, layout.width, layout.height)
        x0, y0, x1, y1 = (int(round(v / points_per_pixel)) for v in crop_box)
        crop = image[y0:y1, x0:x1]
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            continue
        structure = models.structure.recognise(crop)
        logical = decode_grid(structure.tokens)
        if not logical or len(structure.cell_boxes) < len(logical):
            continue
        cell_boxes = [
            (
                crop_box[0] + b[0] * points_per_pixel,
                crop_box[1] + b[1] * points_per_pixel,
                crop_box[0] + b[2] * points_per_pixel,
                crop_box[1] + b[3] * points_per_pixel,
            )
            for b in structure.cell_boxes
        ]
        table = build_table(
            table_id=f"{layout.page:04d}-{len(tables) + 1:02d}",
            layout=layout,
            region=region,
            logical=logical,
            cell_boxes=cell_boxes,
            cell_scores=structure.cell_scores,
            detection_score=detection.score,
            structure_score=structure.score,
        )
        if table is not None:
            tables.append(table)
    return tables


def build_table(
    *,
    table_id: str,
    layout: PageLayout,
    region: Box,
    logical: list[LogicalCell],
    cell_boxes: list[Box],
    cell_scores: list[float],
    detection_score: float,
    structure_score: float,
) -> Table | None:
    """Combine the model's logical cells and boxes with the page's words and rules."""
    rows = max(c.row + c.row_span for c in logical)
    columns = max(c.col + c.col_span for c in logical)
    words = words_in(layout.words, _grow(region, _REGION_SLACK, layout.width, layout.height))
    outer = _outer_box(region, [cell_boxes[c.index] for c in logical], words)
    grid = Grid(
        row_edges=_edges(logical, cell_boxes, rows, axis=1, lo=outer[1], hi=outer[3]),
        col_edges=_edges(logical, cell_boxes, columns, axis=0, lo=outer[0], hi=outer[2]),
    )
    grid = snap_to_rules(grid, layout.rules, outer)
    owner = _owner_map(logical)
    texts: dict[int, list[Word]] = {}
    for word in words:
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        position = grid.locate(cx, cy)
        index = owner.get(position)
        if index is not None:
            texts.setdefault(index, []).append(word)
    header_rows = _header_rows(logical)
    cells = [
        Cell(
            row=c.row,
            col=c.col,
            row_span=c.row_span,
            col_span=c.col_span,
            text=join_words(texts.get(c.index, [])),
            bbox=(
                grid.col_edges[c.col],
                grid.row_edges[c.row],
                grid.col_edges[c.col + c.col_span],
                grid.row_edges[c.row + c.row_span],
            ),
            confidence=cell_scores[c.index] if c.index < len(cell_scores) else structure_score,
            is_header=c.row < header_rows,
        )
        for c in logical
    ]
    return Table(
        table_id=table_id,
        page=layout.page,
        bbox=outer,
        page_width=layout.width,
        page_height=layout.height,
        rows=rows,
        columns=columns,
        confidence=detection_score,
        structure_confidence=structure_score,
        cells=cells,
    )


def words_in(words: list[Word], region: Box) -> list[Word]:
    """Words whose centre lies inside `region`."""
    x0, y0, x1, y1 = region
    return [
        w
        for w in words
        if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1
    ]


def join_words(words: list[Word]) -> str:
    """Reading-order text of a cell's words: lines top to bottom, words left to right."""
    if not words:
        return ""
    ordered = sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
    lines: list[list[Word]] = []
    for word in ordered:
        if lines and _same_line(lines[-1][-1], word):
            lines[-1].append(word)
        else:
            lines.append([word])
    return " ".join(" ".join(w.text for w in sorted(line, key=lambda w: w.bbox[0])) for line in lines)


def _same_line(a: Word, b: Word) -> bool:
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    return overlap > 0.5 * min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])


def _edges(
    logical: list[LogicalCell], boxes: list[Box], count: int, *, axis: int, lo: float, hi: float
) -> list[float]:
    """Boundaries between consecutive rows (axis=1) or columns (axis=0) from the cell boxes
    of cells that span exactly one of them; gaps are interpolated."""
    starts: list[list[float]] = [[] for _ in range(count)]
    ends: list[list[float]] = [[] for _ in range(count)]
    for cell in logical:
        first = cell.row if axis == 1 else cell.col
        span = cell.row_span if axis == 1 else cell.col_span
        box = boxes[cell.index]
        starts[first].append(box[axis])
        ends[first + span - 1].append(box[axis + 2])
    edges: list[float | None] = [lo]
    for i in range(1, count):
        if ends[i - 1] and starts[i]:
            edges.append((statistics.median(ends[i - 1]) + statistics.median(starts[i])) / 2)
        elif starts[i]:
            edges.append(statistics.median(starts[i]))
        elif ends[i - 1]:
            edges.append(statistics.median(ends[i - 1]))
        else:
            edges.append(None)
    edges.append(hi)
    return _monotonic(_interpolate(edges))


def _interpolate(edges: list[float | None]) -> list[float]:
    known = [(i, v) for i, v in enumerate(edges) if v is not None]
    result: list[float] = []
    for i, value in enumerate(edges):
        if value is not None:
            result.append(value)
            continue
        before = max((k for k in known if k[0] < i), key=lambda k: k[0])
        after = min((k for k in known if k[0] > i), key=lambda k: k[0])
        t = (i - before[0]) / (after[0] - before[0])
        result.append(before[1] + t * (after[1] - before[1]))
    return result


def _monotonic(edges: list[float]) -> list[float]:
    """Clamp inner edges into [first, last] and make them non-decreasing."""
    lo, hi = edges[0], edges[-1]
    fixed = [lo]
    for value in edges[1:-1]:
        fixed.append(min(max(value, fixed[-1]), hi))
    fixed.append(hi)
    return fixed


def snap_to_rules(grid: Grid, rules: list[Rule], outer: Box) -> Grid:
    """Move each inner boundary onto a ruling line drawn near it, when one is there."""
    width, height = outer[2] - outer[0], outer[3] - outer[1]
    horizontal = [
        r.y0
        for r in rules
        if r.horizontal
        and outer[1] - 2 <= r.y0 <= outer[3] + 2
        and min(r.x1, outer[2]) - max(r.x0, outer[0]) > 0.1 * width
    ]
    vertical = [
        r.x0
        for r in rules
        if not r.horizontal
        and outer[0] - 2 <= r.x0 <= outer[2] + 2
        and min(r.y1, outer[3]) - max(r.y0, outer[1]) > 0.1 * height
    ]
    return Grid(
        row_edges=_snap(grid.row_edges, horizontal),
        col_edges=_snap(grid.col_edges, vertical),
    )


def _snap(edges: list[float], lines: list[float]) -> list[float]:
    if not lines:
        return edges
    snapped = list(edges)
    for i in range(1, len(edges) - 1):
        tolerance = 0.45 * min(edges[i] - edges[i - 1], edges[i + 1] - edges[i])
        nearest = min(lines, key=lambda v: abs(v - edges[i]))
        if abs(nearest - edges[i]) <= tolerance:
            snapped[i] = nearest
    return _monotonic(snapped)


def _owner_map(logical: list[LogicalCell]) -> dict[tuple[int, int], int]:
    owner: dict[tuple[int, int], int] = {}
    for cell in logical:
        for r in range(cell.row, cell.row + cell.row_span):
            for c in range(cell.col, cell.col + cell.col_span):
                owner.setdefault((r, c), cell.index)
    return owner


def _header_rows(logical: list[LogicalCell]) -> int:
    """Rows marked as <thead> by the model; without one, the first row and the rows a
    cell of the first row spans down into."""
    marked = [c.row + c.row_span for c in logical if c.in_header]
    if marked:
        return max(marked)
    first = [c.row_span for c in logical if c.row == 0]
    return max(first) if first else 0


def _outer_box(region: Box, cell_boxes: list[Box], words: list[Word]) -> Box:
    """The table's extent: its cells and words, kept within the detected region."""
    parts = list(cell_boxes) + [w.bbox for w in words]
    if not parts:
        return region
    x0, y0, x1, y1 = union_box(parts)
    return (max(x0, region[0]), max(y0, region[1]), min(x1, region[2]), min(y1, region[3]))


def _grow(box: Box, margin: float, width: float, height: float) -> Box:
    return (
        max(0.0, box[0] - margin),
        max(0.0, box[1] - margin),
        min(width, box[2] + margin),
        min(height, box[3] + margin),
    )
