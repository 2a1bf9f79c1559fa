"""From a page image and its layout to tables: detect, recognise structure, assign text."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from doctables.detect import extent, lattice
from doctables.detect.regions import find_regions
from doctables.geometry import Box, union_box
from doctables.grid import refine, spans
from doctables.grid.tokens import LogicalCell, decode_grid
from doctables.model.layout import PageLayout, Rule, Word, joined_text
from doctables.model.tables import Cell, CellWord, Table
from doctables.models import TableModels

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


def extract_tables(
    image: np.ndarray, layout: PageLayout, models: TableModels, read_from_image: bool = False
) -> list[Table]:
    """All tables on a page; `image` is the page rendering (RGB) that `layout` describes;
    `read_from_image`: its words were read with OCR (see `regions.find_regions`)."""
    points_per_pixel = layout.width / layout.image_width
    # The page's rules (the PDF's own, or those read off a page image) may give a table its grid.
    grids = lattice.page_ruled_tables(layout, read_from_image)
    tables: list[Table] = []
    for found in find_regions(image, layout, models.detector, read_from_image):
        region = found.box
        crop_box = _grow(found.crop or region, _CROP_MARGIN, layout.width, layout.height)
        x0, y0, x1, y1 = (round(v / points_per_pixel) for v in crop_box)
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
            detection_score=found.score,
            structure_score=structure.score,
            grids=grids,
            read_from_image=read_from_image,
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
    grids: Sequence[lattice.Lattice] = (),
    read_from_image: bool = False,
) -> Table | None:
    """Combine the model's logical cells and boxes with the page's words and rules: the grid
    comes from the text lines, the whitespace and the rules (the model's boundaries as the
    prior), merged cells from the rules, the model and the text. None when what the region
    holds is not a table (a list, a boxed caption). `grids`: ruled tables of the page; one that
    is this table, cleanly, gives the rows and columns (see lattice.table_grid);
    `read_from_image`: the page's words and rules were read off its image."""
    model_rows = max(c.row + c.row_span for c in logical)
    model_columns = max(c.col + c.col_span for c in logical)
    region, words = _table_words(layout, region)
    grown = _grow(region, _REGION_SLACK, layout.width, layout.height)
    typed_rules = [r for r in map(refine.text_rule, words_in(layout.words, grown)) if r is not None]
    outer = _outer_box(region, [cell_boxes[c.index] for c in logical], words)
    model_grid = Grid(
        row_edges=_edges(logical, cell_boxes, model_rows, axis=1, lo=outer[1], hi=outer[3]),
        col_edges=_edges(logical, cell_boxes, model_columns, axis=0, lo=outer[0], hi=outer[2]),
    )
    header_rows = _header_rows(logical)
    if not words:
        grid = snap_to_rules(model_grid, layout.rules, outer)
        placed = [
            (c, range(c.row, c.row + c.row_span), range(c.col, c.col + c.col_span)) for c in logical
        ]
        return _table(table_id, layout, outer, grid, placed, {}, [], cell_scores,
                      detection_score, structure_score, header_rows)
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    header_bottom = model_grid.row_edges[header_rows] if header_rows < model_rows else outer[1]
    header_bottom = max(header_bottom, refine.first_data_line(bands, words, outer))
    body = [b for b in bands if (b.y0 + b.y1) / 2 > header_bottom]
    if len(body) < 2:
        body = bands
    horizontal, vertical = _table_rules([*layout.rules, *typed_rules], outer)
    ruled = lattice.table_grid(list(grids), outer, words, horizontal, vertical, unit, read_from_image)
    if ruled is not None:
        outer = ruled.box
    cols = refine.refine_columns(model_grid.col_edges, words, bands, body, vertical, outer, unit)
    if ruled is not None:
        cols = replace(cols, edges=list(ruled.xs), ruled=True)
    if cols.ruled:
        glued = len(words)
        words = spans.split_glued(words, cols.edges, vertical, unit)
        if len(words) != glued:
            bands = refine.text_bands(words, unit)
    groups = [
        (
            model_grid.col_edges[c.col],
            model_grid.row_edges[c.row],
            model_grid.col_edges[c.col + c.col_span],
            model_grid.row_edges[c.row + 1],
        )
        for c in logical
        if c.col_span > 1
    ]
    row_spans = [
        (
            model_grid.col_edges[c.col],
            model_grid.row_edges[c.row],
            model_grid.col_edges[c.col + c.col_span],
            model_grid.row_edges[c.row + c.row_span],
        )
        for c in logical
        if c.row_span > 1
    ]
    rows = refine.refine_rows(
        model_grid.row_edges, words, bands, horizontal, outer, cols.edges, header_bottom, unit, groups, cols.ruled,
        row_spans, _column_rule_ends(vertical, horizontal, cols.edges, outer, unit), read_from_image,
    )
    if ruled is not None:
        rows = replace(rows, edges=list(ruled.ys), ruled=True, hard=set())
    grid = Grid(row_edges=rows.edges, col_edges=cols.edges)
    slot_words: dict[tuple[int, int], list[int]] = {}
    for i, word in enumerate(words):
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        slot_words.setdefault(grid.locate(cx, cy), []).append(i)
    header_edge = rows.model_edges[header_rows] if header_rows < model_rows else outer[1]
    new_header_rows = len(spans.covered(rows.edges, outer[1], header_edge)) if header_rows else 0
    placed = _place_cells(
        logical, model_grid, rows, cols, slot_words, words, horizontal, vertical, unit, new_header_rows
    )
    if spans.is_bullet_list(slot_words, words, len(rows.edges) - 1, len(cols.edges) - 1):
        return None
    if not spans.has_grid_of_text(placed, slot_words):
        return None
    return _table(table_id, layout, outer, grid, placed, slot_words, words, cell_scores,
                  detection_score, structure_score, new_header_rows)


def _table_words(layout: PageLayout, region: Box) -> tuple[Box, list[Word]]:
    """The words of a region (leaders left out), and the region less a caption above and
    notes below that the detector took in."""
    grown = _grow(region, _REGION_SLACK, layout.width, layout.height)
    words = [w for w in words_in(layout.words, grown) if not refine.is_filler(w.text)]
    if not words:
        return region, words
    unit = refine.median_height(words)
    near, _ = _table_rules(layout.rules, grown)
    top, bottom = extent.trim_extent(words, refine.text_bands(words, unit), unit, near)
    if top is None and bottom is None:
        return region, words
    region = (
        region[0],
        max(region[1], top) if top is not None else region[1],
        region[2],
        min(region[3], bottom) if bottom is not None else region[3],
    )
    grown = _grow(region, _REGION_SLACK, layout.width, layout.height)
    return region, words_in(words, (grown[0], region[1], grown[2], region[3]))


def _place_cells(
    logical: list[LogicalCell],
    model_grid: Grid,
    rows: refine.Axis,
    cols: refine.Axis,
    slot_words: dict[tuple[int, int], list[int]],
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
    unit: float,
    header_rows: int,
) -> list[tuple[LogicalCell | None, range, range]]:
    """The cells of the refined grid, each with the model cell it came from. Merged cells:
    in a ruled table, where rules are missing; then the model's spanning cells, mapped onto
    the refined grid, where the text and the rules agree; then stub headings beside ruled
    column groups, and headings the text shows running over several columns. Every slot
    left over is a cell of its own."""
    row_edges, col_edges = rows.edges, cols.edges
    taken: set[tuple[int, int]] = set()
    placed: list[tuple[LogicalCell | None, range, range]] = []
    owner = _owner_map(logical)

    def source_of(r: int, c: int) -> LogicalCell | None:
        cy = (row_edges[r] + row_edges[r + 1]) / 2
        cx = (col_edges[c] + col_edges[c + 1]) / 2
        index = owner.get(model_grid.locate(cx, cy))
        return logical[index] if index is not None and index < len(logical) else None

    def take(span_rows: range, span_cols: range, source: LogicalCell | None) -> None:
        taken.update((r, c) for r in span_rows for c in span_cols)
        placed.append((source, span_rows, span_cols))

    def free(span_rows: range, span_cols: range) -> bool:
        return not any((r, c) in taken for r in span_rows for c in span_cols)

    def on_grid(cell: LogicalCell) -> tuple[range, range]:
        return (
            spans.covered(row_edges, rows.model_edges[cell.row], rows.model_edges[cell.row + cell.row_span]),
            spans.covered(col_edges, cols.model_edges[cell.col], cols.model_edges[cell.col + cell.col_span]),
        )

    # Only the cells the model itself spans: a one-slot cell of the model over several
    # refined slots is the model's coarser grid (a heading line and the line under it in one
    # model row), not a merged cell.
    spanning = sorted((c for c in logical if c.row_span * c.col_span > 1), key=lambda c: -(c.row_span * c.col_span))
    model_spans = {on_grid(c) for c in spanning}
    for span_rows, span_cols in spans.rule_spans(rows, cols, horizontal, vertical, unit):
        # Rules that leave a block open and a model cell over the same block outvote text
        # lines set further apart than a wrapped cell's (a label centred in a tall cell).
        both = (span_rows, span_cols) in model_spans
        # Across a boundary between records (see rows.find_rows) a block is one cell only
        # where it holds one line of text (a label beside them) or the model spans it too.
        across_records = any(row_edges[r] in rows.hard for r in span_rows[1:])
        if across_records and not both and _rows_with_text(span_rows, span_cols, slot_words) >= 2:
            continue
        # Figures stacked in a block are cells of their own where the table parts those rows
        # elsewhere: by a rule (one lost under this block on a scan) or by records.
        if spans.stacked_figures(span_rows, span_cols, slot_words, words) and (
            across_records or spans.drawn_across(span_rows, row_edges, horizontal, unit)
        ):
            continue
        if spans.span_agrees(span_rows, span_cols, slot_words, words, unit, lines_apart=both):
            take(span_rows, span_cols, source_of(span_rows.start, span_cols.start))
    for cell in spanning:
        span_rows, span_cols = on_grid(cell)
        if len(span_rows) * len(span_cols) <= 1 or not free(span_rows, span_cols):
            continue
        if any(row_edges[r] in rows.hard for r in span_rows[1:]) or any(
            col_edges[c] in cols.hard for c in span_cols[1:]
        ):
            continue
        if not spans.span_agrees(span_rows, span_cols, slot_words, words, unit):
            continue
        if spans.stacked_figures(span_rows, span_cols, slot_words, words):
            continue
        if spans.ruled_apart(span_rows, span_cols, row_edges, col_edges, horizontal, vertical, unit):
            continue
        take(span_rows, span_cols, cell)
    for span_rows, span_cols in spans.rule_spans(rows, cols, horizontal, vertical, unit, header_rows):
        if free(span_rows, span_cols) and spans.span_agrees(span_rows, span_cols, slot_words, words, unit):
            take(span_rows, span_cols, source_of(span_rows.start, span_cols.start))
    for span_rows, span_cols in spans.text_spans(rows, cols, slot_words, words, horizontal, unit):
        if free(span_rows, span_cols) and not spans.ruled_apart(
            span_rows, span_cols, row_edges, col_edges, horizontal, vertical, unit
        ):
            take(span_rows, span_cols, source_of(span_rows.start, span_cols.start))
    for r in range(len(row_edges) - 1):
        for c in range(len(col_edges) - 1):
            if (r, c) not in taken:
                placed.append((source_of(r, c), range(r, r + 1), range(c, c + 1)))
    placed.sort(key=lambda p: (p[1].start, p[2].start))
    return placed


def _rows_with_text(rows: range, cols: range, slot_words: dict[tuple[int, int], list[int]]) -> int:
    return sum(any(slot_words.get((r, c)) for c in cols) for r in rows)


def _table(
    table_id: str,
    layout: PageLayout,
    outer: Box,
    grid: Grid,
    placed: list[tuple[LogicalCell | None, range, range]],
    slot_words: dict[tuple[int, int], list[int]],
    words: list[Word],
    cell_scores: list[float],
    detection_score: float,
    structure_score: float,
    header_rows: int,
) -> Table:
    cells = []
    for source, rows, cols in placed:
        ordered = reading_order([words[i] for r in rows for c in cols for i in slot_words.get((r, c), [])])
        confidence = structure_score
        if source is not None and source.index < len(cell_scores):
            confidence = cell_scores[source.index]
        cells.append(
            Cell(
                row=rows.start,
                col=cols.start,
                row_span=len(rows),
                col_span=len(cols),
                text=joined_text([w.text for w in ordered]),
                bbox=(
                    grid.col_edges[cols.start],
                    grid.row_edges[rows.start],
                    grid.col_edges[cols.stop],
                    grid.row_edges[rows.stop],
                ),
                confidence=confidence,
                is_header=rows.start < header_rows,
                words=[CellWord(w.text, w.bbox, w.confidence) for w in ordered],
            )
        )
    return Table(
        table_id=table_id,
        page=layout.page,
        bbox=outer,
        page_width=layout.width,
        page_height=layout.height,
        rows=len(grid.row_edges) - 1,
        columns=len(grid.col_edges) - 1,
        confidence=detection_score,
        structure_confidence=structure_score,
        cells=cells,
    )


def _column_rule_ends(
    vertical: list[tuple[float, float, float]],
    horizontal: list[tuple[float, float, float]],
    col_edges: list[float],
    box: Box,
    unit: float,
) -> list[tuple[int, float]]:
    """Where rules on the table's inner column boundaries (by index) start or stop, away
    from its top and bottom, at no rule across (a grid drawn cell by cell ends its rules
    at every junction) and not where the rule goes on after a break."""
    slack = refine.rule_slack(unit)
    ends = []
    for x, top, bottom in vertical:
        edge = next((k for k, e in enumerate(col_edges[1:-1]) if abs(x - e) <= slack), None)
        if edge is None:
            continue
        for y in (top, bottom):
            if not box[1] + unit < y < box[3] - unit:
                continue
            if any(abs(y - hy) <= slack and hx0 - slack <= x <= hx1 + slack for hy, hx0, hx1 in horizontal):
                continue
            if any(abs(x - vx) <= slack and vy0 - slack <= y <= vy1 + slack and (vy0, vy1) != (top, bottom)
                   for vx, vy0, vy1 in vertical):
                continue
            ends.append((edge, y))
    return ends


def _table_rules(
    rules: list[Rule], outer: Box
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Rules touching the table as (position, start, end): horizontal ones by y, vertical
    ones by x."""
    slack = 3.0
    horizontal, vertical = [], []
    for r in rules:
        if r.horizontal:
            if outer[1] - slack <= r.y0 <= outer[3] + slack and r.x1 > outer[0] and r.x0 < outer[2]:
                horizontal.append((r.y0, r.x0, r.x1))
        elif outer[0] - slack <= r.x0 <= outer[2] + slack and r.y1 > outer[1] and r.y0 < outer[3]:
            vertical.append((r.x0, r.y0, r.y1))
    return horizontal, vertical


def words_in(words: list[Word], region: Box) -> list[Word]:
    """Words whose centre lies inside `region`."""
    x0, y0, x1, y1 = region
    return [
        w
        for w in words
        if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1
    ]


def join_words(words: list[Word]) -> str:
    """Reading-order text of a cell's words (see reading_order)."""
    return joined_text([w.text for w in reading_order(words)])


def reading_order(words: list[Word]) -> list[Word]:
    """A cell's words in reading order: lines top to bottom, words left to right (right to
    left in a line of Hebrew or Arabic script). Vertical text (every word taller than wide)
    keeps the order the words come in, which is the PDF's own."""
    if not words:
        return []
    if all(_vertical(w) for w in words):
        return list(words)
    typical = statistics.median(w.bbox[3] - w.bbox[1] for w in words)
    # A box much taller than the text (a symbol font's bullet) would join the lines it
    # overlaps into one: such words go to the line nearest their centre afterwards.
    tall = [w for w in words if w.bbox[3] - w.bbox[1] > refine.TALL_GLYPH * typical]
    regular = [w for w in words if w.bbox[3] - w.bbox[1] <= refine.TALL_GLYPH * typical] or tall
    if regular is tall:
        tall = []
    lines: list[list[Word]] = []
    for word in sorted(regular, key=_centre_y):
        if lines and _same_line(lines[-1][-1], word):
            lines[-1].append(word)
        else:
            lines.append([word])
    for word in tall:
        nearest = min(lines, key=lambda line: abs(_centre_y(word) - statistics.median(map(_centre_y, line))))
        nearest.append(word)
    result: list[Word] = []
    for line in lines:
        rtl = _right_to_left(line)
        result.extend(sorted(line, key=lambda w: -w.bbox[2] if rtl else w.bbox[0]))
    return result


def _right_to_left(line: list[Word]) -> bool:
    """Whether most letters of a line are of a right-to-left script."""
    rtl = ltr = 0
    for word in line:
        for ch in word.text:
            if "\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufefc":
                rtl += 1
            elif ch.isalpha():
                ltr += 1
    return rtl > ltr


def _centre_y(word: Word) -> float:
    return (word.bbox[1] + word.bbox[3]) / 2


def _vertical(word: Word) -> bool:
    width, height = word.bbox[2] - word.bbox[0], word.bbox[3] - word.bbox[1]
    return len(word.text) > 1 and height > 1.5 * width


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
