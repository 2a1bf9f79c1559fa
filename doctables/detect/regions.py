"""Where the tables of a page are: the detector's table regions, checked and completed with
the page's words and rules.

The layout model labels some real tables `figure` (shaded or coloured tables, tables set in a
monospaced font) or `text` (small rule-less tables of figures), or gives them a low `table`
score. Such a region is kept when its words form a grid of short texts (most text lines hold
text in two or more columns, most grid slots hold text, the phrases are short and, for `text`,
most lines hold a number) and no curves or slanted lines are drawn in it: charts (axis labels,
data lines), diagrams (arrows), screenshots and running text are not tables. Ruled tables that
the model missed altogether come from the rules (see lattice). On a page the model is silent
on, the words alone may make tables: all of them one grid (a screenshot of a table), or, on a
page read with OCR, blocks of lines with cells side by side that form a grid.
A region holding two tables stacked one above the other (the second repeating the first's
heading) is split in two; two table regions stacked with only a blank line between them (the
model often draws a heading apart from its body) are joined. Row labels the model boxes as a
text region beside a table, on the table's lines, are taken into it (and, on a page image,
read with OCR with it). A figure or grid region whose words hold lines of running text
outside its blocks of cells side by side (a photographed page the model takes for one figure)
is cut to those blocks.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from doctables.detect import extent, lattice
from doctables.detect.page_columns import page_columns
from doctables.geometry import Box, area, centre_in, intersection, scale, union_box
from doctables.grid import refine
from doctables.model.layout import PageLayout, Rule, Word
from doctables.recognise.marks import unread_marks

# Extra candidates: table regions scored at least this, and figure regions at least this.
_LOW_TABLE_SCORE = 0.25
_FIGURE_SCORE = 0.5
_TEXT_SCORE = 0.5
# ... when this share of their lines hold a number.
_TEXT_TABLE_NUMBERS = 0.6
# A candidate with this many curves or slanted lines drawn in it is a chart or a diagram.
_FIGURE_GRAPHICS = 3
# ... or one that runs over this share of its width or height (a data line).
_FIGURE_SPAN = 0.3
# A region with this share of its area inside a larger one is nested in it.
_NESTED = 0.8
# Words per phrase of running text.
_RUNNING_WORDS = 4
# The detection score given to a ruled table found from the rules alone, and to a page
# whose words form one grid.
_RULED_SCORE = 0.5
_GRID_SCORE = 0.5
# A region's two sides are a column of text and a table only when fewer than this share
# of the lines with words on both go on across the gap between them with a word space.
_RUN_ACROSS = 0.25
# A candidate overlapping a kept region by more than this share of the smaller is a duplicate.
_DUPLICATE_OVERLAP = 0.3
# Lines just outside a region that may be rows of its table: how many, and how far (in
# the table's line pitch).
_EXTEND_LINES = 2
# ... and the lines of a run stand less than this far apart (units): about two blank lines.
_RUN_BREAK = 3.0
_EXTEND_REACH = 1.6
# A heading line over every column may stand this far (line pitches) above the body.
_HEADING_REACH = 2.6
# Columns cut off at a region's side: how many may be taken in, how far out (in line
# heights) they may start, and the share of the region's lines that must go on there.
_SIDE_COLUMNS = 2
_SIDE_REACH = 12.0
_SIDE_SHARE = 0.6
_SIDE_WORDS = 3
# Lines of text this many of a table's line pitches above and below the row labels left of
# it make them a column of the page's text instead.
_LABEL_REACH = 1.5
# Page images up to this many pixels (about 1000 x 1000) are read with OCR whole.
_SMALL_PAGE_PIXELS = 1_000_000
# The grid test.
_MIN_LINES = 3
# ... or this many, on a small image read whole that holds nothing else.
_SCREENSHOT_LINES = 2
_MIN_MULTI_COLUMN_LINES = 0.6
_MIN_FILLED_SLOTS = 0.5
_MAX_WORDS_PER_PHRASE = 3.0
# Lines at the top of a region that may be the heading a second table repeats.
_HEADING_LINES = 4
# A text region beside a table lies within the table's height (this share of its own) and
# overlaps it sideways by under this share of its width.
_BESIDE_WITHIN = 0.9
_BESIDE_OVERLAP = 0.1
# A region over more than this share of the page covers the page, not a table on it.
_WHOLE_PAGE = 0.5
# Two table regions stacked with at most this many text lines' height of blank between, the
# narrower lying across the other for this share of its width.
_STACKED_GAP_LINES = 2.0
_STACKED_SAME_WIDTH = 0.8


@dataclass(frozen=True)
class Region:
    """A table region in points on the displayed page."""

    box: Box
    score: float
    label: str
    # What the structure model is shown, when not the box: a model region cut down to the
    # ruled table in it (the model reads the crop it was tuned on, margins and all).
    crop: Box | None = None


def find_regions(image: np.ndarray, layout: PageLayout, detector, read_from_image: bool = False) -> list[Region]:
    """Table regions of a page, top to bottom. `read_from_image`: the page's words were read
    with OCR (the layout model, trained on clean renderings, misses more there)."""
    points_per_pixel = layout.width / layout.image_width if layout.image_width else 1.0
    page_area = layout.width * layout.height
    found = _detect(detector, image)
    threshold = getattr(detector, "threshold", 0.5)
    kept = [
        Region(scale(d.box, points_per_pixel), d.score, "table")
        for d in found.get("table", [])
        if d.score >= threshold
    ]
    kept = _join_stacked(_drop_nested(kept, layout.words), layout.words)
    extras = [
        Region(scale(d.box, points_per_pixel), d.score, label)
        for label, floor in (("table", _LOW_TABLE_SCORE), ("figure", _FIGURE_SCORE), ("text", _TEXT_SCORE))
        for d in found.get(label, [])
        if floor <= d.score and not (label == "table" and d.score >= threshold)
    ]
    small_read = read_from_image and image.shape[0] * image.shape[1] <= _SMALL_PAGE_PIXELS
    # The marks text detection passed over (a table's ticks) stand beside the words: a
    # table of ticks shows only its labels and headings as words.
    tokens = layout.words + unread_marks(image, layout.words, points_per_pixel) if small_read else layout.words
    for region in sorted(extras, key=lambda r: -r.score):
        if any(_overlap(region.box, k.box) > _DUPLICATE_OVERLAP for k in kept):
            continue
        if _drawn_figure(layout.graphics, region.box):
            continue
        words = refine_words(layout.words, region.box)
        if region.label == "text" and not _mostly_figures(words):
            continue  # what the model reads as text is a table only when it holds figures
        # Where the model saw a table, if unsure, on a small image read whole (a screenshot
        # of one): the marks beside the words count (on their own, a chart's legend and
        # labels would make a grid), and so do columns of sentences beside their labels.
        unsure_table = small_read and region.label == "table"
        with_marks = refine_words(tokens, region.box) if unsure_table else words
        if looks_tabular(words, region.box) or (unsure_table and looks_tabular(with_marks, region.box)):
            kept += _tables_within(region, layout.words, layout.graphics, page_area)
            continue
        if unsure_table and looks_tabular(words, region.box, short_texts=False):
            kept.append(region)  # its sentences are cells: no running text to cut it from
            continue
        # A table beside a column of running text, boxed together: a side of one of the
        # widest gaps through the region that is a table, beside running text.
        for part, rest in _sides(words, region.box):
            other = refine_words(layout.words, rest)
            if _lines_run_across(words, part[0] if part[0] > rest[0] else part[2]):
                continue  # paragraphs whose word spaces happen to line up, not two sides
            if other and _running_text(other) and looks_tabular(refine_words(layout.words, part), part):
                kept.append(Region(part, region.score, region.label))
                break
    text_boxes = [scale(t, points_per_pixel) for t in _text_boxes(found)]
    kept = [_with_row_labels(region, text_boxes, layout.words) for region in kept]
    kept = [_with_label_column(region, kept, layout.words) for region in kept]
    if small_read:
        # A table of ticks whose heading alone the model boxed shows its body's columns by
        # its marks. Only to grow a region the model found (see above).
        kept = _grown_to_word_grids(kept, tokens, layout.graphics)
    grids = lattice.page_ruled_tables(layout, read_from_image)
    if not read_from_image:
        kept = [fitted for region in kept for fitted in _fit_to_rules(region, grids, layout.words)]
    # Ruled tables the model did not find (nor call a table when it saw them).
    for grid in grids:
        if _drawn_figure(layout.graphics, grid.box):
            continue
        if not any(_overlap(grid.box, k.box) > _DUPLICATE_OVERLAP for k in kept):
            kept.append(Region(grid.box, _RULED_SCORE, "ruled"))
    if not kept and layout.words:
        # A page the model is silent on whose words all form a grid is one table (a
        # screenshot or a crop of a table, a spreadsheet printed alone).
        box = union_box([w.bbox for w in layout.words])
        words = refine_words(layout.words, box)
        # A small image read whole is a screenshot: two lines of cells in columns (a heading
        # over one record) are its table.
        least = _SCREENSHOT_LINES if small_read else _MIN_LINES
        if looks_tabular(words, box, least_lines=least) and not _drawn_figure(layout.graphics, box):
            kept += _tables_within(Region(box, _GRID_SCORE, "grid"), layout.words, layout.graphics, page_area)
        else:
            # Else each block of lines with cells side by side that forms a grid: a table
            # between paragraphs of a page image that the model did not see; on a text
            # layer, only on a page set in columns of running text, whose two columns the
            # model takes for one picture (on a page of one column, a text layer's grid
            # the model does not call a table is a chart's labels or a paragraph's gaps).
            columns = page_columns(words)
            if read_from_image or len(columns) > 1:
                blocks = _grid_blocks(words, layout.words, layout.graphics, columns)
                kept += [Region(block, _GRID_SCORE, "grid") for block in blocks]
    regions: list[Region] = []
    for region in kept:
        words = refine_words(layout.words, region.box)
        for box in split_stacked(words, region.box):
            others = [r.box for r in kept if r is not region]
            grown = extend_to_rows(layout.words, box, others, layout.rules)
            crop = union_box([region.crop, grown]) if region.crop is not None and box == region.box else None
            regions.append(Region(grown, region.score, region.label, crop))
    return sorted(regions, key=lambda r: (r.box[1], r.box[0]))


def _tables_within(region: Region, page_words: list[Word], graphics: list[Box], page_area: float) -> list[Region]:
    """A region the model did not call a table whose words form a grid, cut to the blocks of
    lines with cells side by side in it when lines of running text stand outside them: a
    photographed or scanned page that the model takes for one figure, with a table between
    its paragraphs, is not one table. Else the region, cut to its words when it covers most
    of the page."""
    words = refine_words(page_words, region.box)
    blocks = _grid_blocks(words, page_words, graphics)
    unit = refine.median_height(words)
    outside = [b for b in refine.text_bands(words, unit) if not any(_band_in(b, block) for block in blocks)]
    if len(outside) >= _MIN_LINES and _running_text([words[i] for b in outside for i in b.words]):
        return [Region(block, region.score, region.label) for block in blocks]
    if area(region.box) <= _WHOLE_PAGE * page_area:
        return [region]
    # The region's text is its table, but the region covers most of the page (the model's
    # figure over a whole photographed page): the table is where its text is. The structure
    # model still reads the region it was given (its cells follow the crop it sees).
    return [Region(union_box([w.bbox for w in words]), region.score, region.label, region.crop or region.box)]


def _grown_to_word_grids(regions: list[Region], page_words: list[Word], graphics: list[Box]) -> list[Region]:
    """On a small image read whole (a screenshot or a crop of a table), a region the model
    drew around part of a grid of words (the figures without their row labels or heading)
    grows to that grid: the block of aligned lines around the region's centre that passes
    the grid test, unless another region lies in that block too (two tables of a page read
    whole, a low-resolution scan, whose lines align across the heading between them)."""
    blocks = _grid_blocks(page_words, page_words, graphics)
    grown: list[Region] = []
    for region in regions:
        around = [
            b for b in blocks
            if centre_in(region.box, b) and not any(centre_in(o.box, b) for o in regions if o is not region)
        ]
        box = union_box([region.box, *around])
        if any(g.box == box for g in grown):
            continue
        grown.append(region if box == region.box else Region(box, region.score, region.label, region.crop))
    return grown


def _grid_blocks(
    words: list[Word], page_words: list[Word], graphics: list[Box], columns: list[list[Word]] | None = None
) -> list[Box]:
    """The aligned blocks of `words` whose page words pass the grid test, drawn figures left
    out. `columns`: `page_columns(words)`, where it was found already."""
    return [
        block
        for block in aligned_blocks(words, columns)
        if looks_tabular(refine_words(page_words, block), block) and not _drawn_figure(graphics, block)
    ]


def _band_in(band: refine.Band, box: Box) -> bool:
    return box[1] <= (band.y0 + band.y1) / 2 <= box[3]


def _fit_to_rules(region: Region, grids: list[lattice.Lattice], page_words: list[Word]) -> list[Region]:
    """A region and the ruled tables drawn in it, on a page with a text layer (whose rules are
    the PDF's own): ruled tables side by side in one region are each a table; a region holding
    ruled tables (and heading lines set over their columns) and, beside them, only text that
    forms no grid (an address, a caption, a total line) is those tables; a ruled table the
    region cuts is taken in whole."""
    beside = lattice.side_by_side(grids, region.box)
    if beside:
        return [Region(g.box, region.score, region.label) for g in beside]
    held = [g for g in grids if intersection(g.box, region.box) >= 0.5 * area(g.box)]
    if not held:
        return [region]
    words = refine_words(page_words, region.box)
    outside = [w for w in words if not any(centre_in(w.bbox, g.box) for g in held)]
    # The part of each ruled table the region covers, grown over the rows it cut off.
    parts = [_grow_over_rows(_clip(region.box, g.box), g, page_words) for g in held]
    ruled = _with_heading_lines(union_box(parts), outside, held)
    rest = [w for w in outside if not centre_in(w.bbox, ruled)]
    if len(rest) < 0.5 * len(words) and not looks_tabular(rest, union_box([w.bbox for w in rest] or [ruled])):
        return [Region(ruled, region.score, region.label, crop=region.crop or region.box)]
    return [Region(union_box([region.box, *parts]), region.score, region.label)]


def _clip(box: Box, to: Box) -> Box:
    return (max(box[0], to[0]), max(box[1], to[1]), min(box[2], to[2]), min(box[3], to[3]))


def _grow_over_rows(box: Box, grid: lattice.Lattice, page_words: list[Word]) -> Box:
    """A region grown over the rows of a ruled table that it cut off, row by row from its
    edge, while each row holds text in two or more of the table's columns (a title drawn in
    the table's box is no row of it)."""
    x0, y0, x1, y1 = box
    edges = sorted({grid.box[0], grid.box[2], *grid.xs})
    words = refine_words(page_words, grid.box)
    unit = refine.median_height(words) if words else 0.0

    def cells(lo: float, hi: float) -> bool:
        inside = [w for w in words if lo <= (w.bbox[1] + w.bbox[3]) / 2 <= hi]
        bands = refine.text_bands(inside, unit) if inside else []
        return any(_in_columns(b, inside, edges, unit) for b in bands) and not any(
            _crosses_columns(b, inside, edges, unit) for b in bands
        )

    top, bottom = y0, y1
    for lo, hi in reversed(list(itertools.pairwise(grid.ys))):
        if lo >= top - 1.0:
            continue
        if not cells(lo, hi):
            break
        y0 = lo
    for lo, hi in itertools.pairwise(grid.ys):
        if hi <= bottom + 1.0:
            continue
        if not cells(lo, hi):
            break
        y1 = hi
    return (min(x0, grid.box[0]), y0, max(x1, grid.box[2]), y1)


def _with_heading_lines(box: Box, words: list[Word], grids: list[lattice.Lattice]) -> Box:
    """A ruled table's box grown by the text lines right above and below it that hold
    phrases in two or more of its columns (a heading drawn apart from the ruled body)."""
    if not words:
        return box
    unit = refine.median_height(words)
    edges = sorted({box[0], box[2], *[x for g in grids for x in g.xs if box[0] < x < box[2]]})
    bands = [b for b in refine.text_bands(words, unit)
             if all(box[0] - unit <= words[i].bbox[0] and words[i].bbox[2] <= box[2] + unit for i in b.words)]
    x0, y0, x1, y1 = box
    for band in reversed([b for b in bands if b.y1 <= y0 + 1.0]):
        if y0 - band.y1 > _EXTEND_REACH * unit or not _in_columns(band, words, edges, unit):
            break
        y0 = band.y0 - 1.0
    for band in [b for b in bands if b.y0 >= y1 - 1.0]:
        if band.y0 - y1 > _EXTEND_REACH * unit or not _in_columns(band, words, edges, unit):
            break
        y1 = band.y1 + 1.0
    return (x0, y0, x1, y1)


def _in_columns(band: refine.Band, words: list[Word], edges: list[float], unit: float) -> bool:
    """Whether a line's phrases lie in two or more columns, none across a column line."""
    columns = set()
    for a, b in refine.phrases(band, words, unit):
        first, last = bisect_right(edges, a + 0.5), bisect_right(edges, b - 0.5)
        if first != last:
            return False
        columns.add(first)
    return len(columns) >= 2


def _crosses_columns(band: refine.Band, words: list[Word], edges: list[float], unit: float) -> bool:
    """Whether a phrase of the line runs across a column line (a title over the table)."""
    return any(
        bisect_right(edges, a + 0.5) != bisect_right(edges, b - 0.5) for a, b in refine.phrases(band, words, unit)
    )


def extend_to_rows(
    page_words: list[Word], box: Box, others: list[Box] = (), rules: list[Rule] = ()
) -> Box:
    """Grow a region that the detector drew too tight by the text line just above or below
    it (up to two each way) when that line is a row of the table: two or more phrases, each
    within one of the table's columns, inside the table's width, close to the table; not a
    caption above, nor a line under a rule across the table's width (its bottom border)."""
    inside = refine_words(page_words, box)
    if len(inside) < 6:
        return box
    unit = refine.median_height(inside)
    bands = refine.text_bands(inside, unit)
    if len(bands) < 3:
        return box
    gaps, _, _, _ = refine.column_gaps(inside, bands, bands, box[0], box[2], unit)
    if not gaps:
        return box
    edges = [box[0], *[(g.lo + g.hi) / 2 for g in gaps], box[2]]
    pitch = sorted(b.y0 - a.y0 for a, b in itertools.pairwise(bands))[(len(bands) - 1) // 2]
    x0, y0, x1, y1 = box
    x0, x1 = _extend_sideways(page_words, bands, inside, box, others, unit)
    if (x0, x1) != (box[0], box[2]):
        inside = refine_words(page_words, (x0, y0, x1, y1))
        bands = refine.text_bands(inside, unit)
        gaps, _, _, _ = refine.column_gaps(inside, bands, bands, x0, x1, unit)
        edges = [x0, *[(g.lo + g.hi) / 2 for g in gaps], x1]
    reach = max(_EXTEND_LINES * _EXTEND_REACH, _HEADING_REACH) * pitch
    near = [
        w for w in page_words
        if y0 - reach <= w.bbox[1] and w.bbox[3] <= y1 + reach
        and not (y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1)
        and x0 - unit <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 + unit
        and not refine.is_filler(w.text)
        and not any(centre_in(w.bbox, o) for o in others)
    ]
    for direction in (-1, 1):
        for _ in range(_EXTEND_LINES):
            edge = y0 if direction < 0 else y1
            # A heading may stand a blank line above the body: reach further up for a line
            # with a phrase over every column and no figures.
            up = _HEADING_REACH if direction < 0 and y0 == box[1] else _EXTEND_REACH
            candidates = [
                w for w in near
                if (edge - up * pitch <= w.bbox[1] and w.bbox[3] <= edge + 1.0 if direction < 0
                    else edge - 1.0 <= w.bbox[1] and w.bbox[3] <= edge + _EXTEND_REACH * pitch)
                and not (y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1)
            ]
            if not candidates:
                break
            lines = refine.text_bands(candidates, unit)
            line = lines[-1] if direction < 0 else lines[0]
            if not _is_row(line, candidates, edges, unit, x0, x1) and not (
                direction < 0 and _wrapped_heading_above(line, candidates, edges, page_words, (x0, y0, x1, y1), unit)
            ):
                break
            if edge - line.y1 > _EXTEND_REACH * pitch - (line.y1 - line.y0) and not _heads_every_column(
                line, candidates, edges
            ):
                break
            # Below the table's bottom rule are notes; above its heading, a caption.
            last = max((w.bbox[3] for w in inside if w.bbox[3] <= edge + 1.0), default=edge)
            if direction > 0 and _border_between(rules, (min(last, edge), line.y0), x0, x1):
                break
            first = " ".join(candidates[i].text for i in sorted(line.words, key=lambda i: candidates[i].bbox[0])[:2])
            if direction < 0 and extent.is_caption(first):
                break
            if direction < 0:
                y0 = min(candidates[i].bbox[1] for i in line.words) - 1.0
            else:
                y1 = max(candidates[i].bbox[3] for i in line.words) + 1.0
    return (x0, y0, x1, y1)


def _border_between(rules: list[Rule], span: tuple[float, float], x0: float, x1: float) -> bool:
    """A horizontal rule across (nearly) all of [x0, x1] within the vertical span."""
    lo, hi = span
    runs: dict[float, list[tuple[float, float]]] = {}
    for r in rules:
        if r.horizontal and lo - 1.0 <= r.y0 <= hi + 1.0:
            runs.setdefault(round(r.y0), []).append((r.x0, r.x1))
    width = x1 - x0
    for spans in runs.values():
        covered = sum(b - a for a, b in refine.merge_runs([(max(x0, a), min(x1, b)) for a, b in spans if b > a]))
        if covered >= 0.9 * width:
            return True
    return False


def _extend_sideways(
    page_words: list[Word],
    bands: list[refine.Band],
    inside: list[Word],
    box: Box,
    others: list[Box],
    unit: float,
) -> tuple[float, float]:
    """Widen a region that cuts off a column: when most of its text lines go on, on the same
    line and just past its left or right edge, with one short phrase each (a cell, not the
    start of a line of running text in the next column of the page), take those in."""
    x0, y0, x1, y1 = box
    lines = [
        (min(inside[i].bbox[1] for i in b.words), max(inside[i].bbox[3] for i in b.words)) for b in bands
    ]
    if not lines:
        return x0, x1
    outside = [
        w for w in page_words
        if y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1
        and not refine.is_filler(w.text)
        and not any(centre_in(w.bbox, o) for o in others)
    ]
    # How far out a cut-off column may start: as far as the table's own columns lie apart.
    gaps, _, _, _ = refine.column_gaps(inside, bands, bands, x0, x1, unit)
    reach = max([_SIDE_REACH * unit, *[1.5 * (g.hi - g.lo) for g in gaps]])
    for direction in (-1, 1):
        for _ in range(_SIDE_COLUMNS):
            edge = x0 if direction < 0 else x1
            ends: list[float] = []
            beyond = [
                w for w in outside
                if ((w.bbox[0] + w.bbox[2]) / 2 < edge if direction < 0 else (w.bbox[0] + w.bbox[2]) / 2 > edge)
            ]
            if not beyond:
                break
            for a, b in lines:
                on_line = [w for w in beyond if min(b, w.bbox[3]) - max(a, w.bbox[1]) > 0.5 * (w.bbox[3] - w.bbox[1])]
                on_line.sort(key=lambda w: -w.bbox[2] if direction < 0 else w.bbox[0])
                phrase = _first_phrase(on_line, direction, unit)
                if not phrase or len(phrase) > _SIDE_WORDS:
                    continue
                near = min(abs(w.bbox[2 if direction < 0 else 0] - edge) for w in phrase)
                far = max(abs(w.bbox[0 if direction < 0 else 2] - edge) for w in phrase)
                if near <= reach and far <= reach:
                    ends.append(min(w.bbox[0] for w in phrase) if direction < 0 else max(w.bbox[2] for w in phrase))
            if len(ends) < _SIDE_SHARE * len(lines):
                break
            if direction < 0:
                x0 = min(ends) - 1.0
            else:
                x1 = max(ends) + 1.0
    return x0, x1


def _first_phrase(ordered: list[Word], direction: int, unit: float) -> list[Word]:
    """The words nearest the edge that a word space joins; empty when the line of text runs
    on past them (running text, not a cell)."""
    phrase: list[Word] = []
    for w in ordered:
        if phrase:
            last = phrase[-1]
            space = last.bbox[0] - w.bbox[2] if direction < 0 else w.bbox[0] - last.bbox[2]
            if space > refine.PHRASE_GAP * unit:
                break
        phrase.append(w)
    return phrase


def _is_row(line: refine.Band, words: list[Word], edges: list[float], unit: float, x0: float, x1: float) -> bool:
    """Two or more phrases, each within one column, all within the table's width."""
    members = [words[i] for i in line.words]
    if any(w.bbox[0] < x0 - unit or w.bbox[2] > x1 + unit for w in members):
        return False
    if refine.phrase_count(line, words, unit) < 2:
        return False
    ordered = sorted(members, key=lambda w: w.bbox[0])
    phrase: list[Word] = []
    for w in [*ordered, None]:
        if w is not None and phrase and w.bbox[0] - phrase[-1].bbox[2] <= refine.PHRASE_GAP * unit:
            phrase.append(w)
            continue
        if phrase:
            first = bisect_right(edges, phrase[0].bbox[0] + 0.5)
            last = bisect_right(edges, phrase[-1].bbox[2] - 0.5)
            if first != last:
                return False
        phrase = [w] if w is not None else []
    return True


def _wrapped_heading_above(
    line: refine.Band, words: list[Word], edges: list[float], page_words: list[Word], box: Box, unit: float
) -> bool:
    """Whether a line of one phrase, no figures, within one column other than the first,
    sits on the table's top line as a column heading's first line sits on its second: set
    over the heading's text in that column, no further above it than a wrapped line."""
    members = sorted((words[i] for i in line.words), key=lambda w: w.bbox[0])
    if refine.phrase_count(line, words, unit) != 1 or any(refine.is_number(w.text) for w in members):
        return False
    lo, hi = members[0].bbox[0], members[-1].bbox[2]
    column = bisect_right(edges, (lo + hi) / 2)
    if column <= 1 or column >= len(edges) or lo < edges[column - 1] - unit or hi > edges[column] + unit:
        return False
    y0 = box[1]
    bottom = max(w.bbox[3] for w in members)
    below = [
        w for w in page_words
        if y0 - 0.5 * unit <= w.bbox[1] <= y0 + unit and w.bbox[1] > bottom - 0.5 * unit
        and bisect_right(edges, (w.bbox[0] + w.bbox[2]) / 2) == column
    ]
    return any(
        min(hi, w.bbox[2]) - max(lo, w.bbox[0]) >= 0.5 * min(hi - lo, w.bbox[2] - w.bbox[0])
        and w.bbox[1] - bottom <= refine.WRAP_GAP * unit
        for w in below
    )


def _heads_every_column(line: refine.Band, words: list[Word], edges: list[float]) -> bool:
    """Whether a line holds text, and no figures, in every column of the table."""
    members = [words[i] for i in line.words]
    used = {bisect_right(edges, (w.bbox[0] + w.bbox[2]) / 2) for w in members}
    return len(used) == len(edges) - 1 and not any(refine.is_number(w.text) for w in members)


def _drop_nested(regions: list[Region], page_words: list[Word]) -> list[Region]:
    """Of two table regions one inside the other, keep the inner one when the outer one adds
    only running text (a column of the page beside the table), else the outer one; long row
    labels left of an inner region of figures alone, on its lines, are the table's."""
    dropped: set[int] = set()
    for i, outer in enumerate(regions):
        for j, inner in enumerate(regions):
            if i == j or i in dropped or j in dropped or area(inner.box) >= area(outer.box):
                continue
            if intersection(inner.box, outer.box) < _NESTED * area(inner.box):
                continue
            extra = [w for w in refine_words(page_words, outer.box) if not centre_in(w.bbox, inner.box)]
            prose = extra and _running_text(extra) and not _row_labels(extra, refine_words(page_words, inner.box))
            dropped.add(i if prose else j)
    return [r for k, r in enumerate(regions) if k not in dropped]


def _join_stacked(regions: list[Region], page_words: list[Word]) -> list[Region]:
    """Table regions one just under the other, over the same width, with no text between
    them, joined: the layout model often draws a table's heading and its body apart, at
    the blank line between them."""
    joined = sorted(regions, key=lambda r: r.box[1])
    k = 0
    while k + 1 < len(joined):
        upper, lower = joined[k], joined[k + 1]
        if _stacked_parts(upper.box, lower.box, page_words):
            box = union_box([upper.box, lower.box])
            joined[k : k + 2] = [Region(box, max(upper.score, lower.score), upper.label)]
        else:
            k += 1
    return joined


def _stacked_parts(upper: Box, lower: Box, page_words: list[Word]) -> bool:
    narrower = min(upper[2] - upper[0], lower[2] - lower[0])
    if narrower <= 0 or min(upper[2], lower[2]) - max(upper[0], lower[0]) < _STACKED_SAME_WIDTH * narrower:
        return False
    words = refine_words(page_words, union_box([upper, lower]))
    if not words or lower[1] < upper[3]:
        return False
    # No further apart than two lines of their text, and nothing written between them.
    if lower[1] - upper[3] > _STACKED_GAP_LINES * refine.median_height(words):
        return False
    return not any(upper[3] < (w.bbox[1] + w.bbox[3]) / 2 < lower[1] for w in words)


def aligned_blocks(words: list[Word], columns: list[list[Word]] | None = None) -> list[Box]:
    """Runs of text lines that hold two or more phrases (cells side by side) and are not
    running text, each run with at least the grid test's number of lines; up to
    `_EXTEND_LINES` lines of one phrase may stand between two such lines (a stub cell
    wrapped over lines, a section heading). On a page set in columns of running text,
    column by column (`columns`: `page_columns(words)`, where it was found already)."""
    return [block for column in columns or page_columns(words) for block in _aligned_runs(column)]


def _aligned_runs(words: list[Word]) -> list[Box]:
    if not words:
        return []
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    width = max(w.bbox[2] for w in words) - min(w.bbox[0] for w in words)
    runs: list[tuple[int, int]] = []
    for k, band in enumerate(bands):
        # A justified line of a paragraph, read by OCR in pieces at its wider spaces, is
        # phrases side by side too, but its ink fills the line.
        if _cells_side_by_side(band, words, unit) < 2 or refine.is_prose(band, words, width):
            continue
        # Lines in between, or as much blank space as they would take, part two runs (a
        # page's footer far under a table is none of it).
        if runs and k - runs[-1][1] - 1 <= _EXTEND_LINES and band.y0 - bands[k - 1].y1 <= _RUN_BREAK * unit:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return [
        union_box([words[i].bbox for band in bands[first : last + 1] for i in band.words])
        for first, last in runs
        if last - first + 1 >= _MIN_LINES
    ]


def _cells_side_by_side(band: refine.Band, words: list[Word], unit: float) -> int:
    """The phrases of a line, a bullet opening it counted with its item (a list's line is
    one item, however far from its bullet the text starts)."""
    first = min(band.words, key=lambda i: words[i].bbox[0])
    if len(band.words) > 1 and refine.is_bullet(words[first].text):
        band = refine.Band(band.y0, band.y1, [i for i in band.words if i != first])
    return refine.phrase_count(band, words, unit)


def _running_text(words: list[Word]) -> bool:
    """Whether words read as lines of running text: long runs, few gaps."""
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    phrases = sum(refine.phrase_count(b, words, unit) for b in bands)
    return len(words) >= _RUNNING_WORDS * phrases


def _drawn_figure(graphics: list[Box], box: Box) -> bool:
    """Whether curves or slanted lines are drawn inside a region (a chart's data lines, a
    diagram's arrows): it is a figure, whatever grid its labels make."""
    x0, y0, x1, y1 = box
    inside = [g for g in graphics if x0 <= (g[0] + g[2]) / 2 <= x1 and y0 <= (g[1] + g[3]) / 2 <= y1]
    long = [g for g in inside if g[2] - g[0] >= _FIGURE_SPAN * (x1 - x0) or g[3] - g[1] >= _FIGURE_SPAN * (y1 - y0)]
    return len(inside) >= _FIGURE_GRAPHICS or bool(long)


def _mostly_figures(words: list[Word]) -> bool:
    """Whether most text lines hold a number."""
    unit = refine.median_height(words) if words else 0.0
    bands = refine.text_bands(words, unit) if words else []
    with_numbers = sum(any(refine.is_number(words[i].text) for i in b.words) for b in bands)
    return bool(bands) and with_numbers >= _TEXT_TABLE_NUMBERS * len(bands)


def refine_words(words: list[Word], box: Box) -> list[Word]:
    """Words whose centre lies in `box`, leaders and text rules left out."""
    x0, y0, x1, y1 = box
    return [
        w
        for w in words
        if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1
        and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1
        and not refine.is_filler(w.text)
    ]


def _overlap(a: Box, b: Box) -> float:
    smaller = min(area(a), area(b))
    return intersection(a, b) / smaller if smaller > 0 else 0.0


def candidate_boxes(image: np.ndarray, detector) -> list[Box]:
    """Every region (image pixels) that `find_regions` may take for a table: the detector's
    tables, down to the low score, and its figures. On a page image these are the parts
    read with OCR, so that their words can confirm a table the model was unsure of."""
    found = _detect(detector, image)
    boxes = [
        d.box
        for label, floor in (("table", _LOW_TABLE_SCORE), ("figure", _FIGURE_SCORE))
        for d in found.get(label, [])
        if d.score >= floor
    ]
    return boxes + [t for t in _text_boxes(found) if any(_beside(t, b) for b in boxes)]


def _text_boxes(found: dict[str, list]) -> list[Box]:
    return [d.box for d in found.get("text", []) if d.score >= _TEXT_SCORE]


def _beside(text: Box, table: Box) -> bool:
    """Whether a text region stands beside a table region, left or right of it and within
    its height: where the layout model often puts a table's row labels."""
    height = text[3] - text[1]
    if height <= 0 or min(text[3], table[3]) - max(text[1], table[1]) < _BESIDE_WITHIN * height:
        return False
    width = text[2] - text[0]
    side = min(text[2], table[2]) - max(text[0], table[0])
    return side < _BESIDE_OVERLAP * width and (text[2] <= table[2] or text[0] >= table[0])


def _with_row_labels(region: Region, text_boxes: list[Box], page_words: list[Word]) -> Region:
    """A table region widened over the text regions beside it whose lines are lines of the
    table (a row's label on the line of its figures) and not running text."""
    inside = refine_words(page_words, region.box)
    if len(inside) < 6:
        return region
    rows = refine.text_bands(inside, refine.median_height(inside))
    box = region.box
    for text in text_boxes:
        if not _beside(text, region.box):
            continue
        labels = refine_words(page_words, text)
        if labels and not _running_text(labels) and _on_rows(labels, rows):
            box = union_box([box, union_box([w.bbox for w in labels])])
    return region if box == region.box else Region(box, region.score, region.label, region.crop)


def _with_label_column(region: Region, regions: list[Region], page_words: list[Word]) -> Region:
    """A region of figures alone widened over the row labels left of it: the words on its
    lines between it and the page's margin (or the nearest other region), when they read as
    a table's labels (see _row_labels) and not as running text."""
    inside = refine_words(page_words, region.box)
    if len(inside) < 6:
        return region
    x0, y0, _, y1 = region.box
    rows = refine.text_bands(inside, refine.median_height(inside))
    stops = [o.box[2] for o in regions if o is not region and o.box[2] <= x0 and o.box[1] < y1 and o.box[3] > y0]
    left = max(stops, default=0.0)
    extra = [
        w for w in page_words
        if left <= w.bbox[0] and w.bbox[2] <= x0 and not refine.is_filler(w.text)
        and any(min(r.y1, w.bbox[3]) - max(r.y0, w.bbox[1]) > 0.5 * (w.bbox[3] - w.bbox[1]) for r in rows)
    ]
    if not extra or not _row_labels(extra, inside) or (_running_text(extra) and _justified(extra)):
        return region
    # A column of the page's text beside the table goes on above and below it; labels do not.
    pitch = sorted(b.y0 - a.y0 for a, b in itertools.pairwise(rows))[(len(rows) - 1) // 2] if len(rows) > 1 else 0.0
    labels = {id(w) for w in extra}
    beside = [w for w in page_words if left <= w.bbox[0] and w.bbox[2] <= x0 and id(w) not in labels]
    above = any(y0 - _LABEL_REACH * pitch <= w.bbox[3] <= y0 for w in beside)
    below = any(y1 <= w.bbox[1] <= y1 + _LABEL_REACH * pitch for w in beside)
    if above and below:
        return region
    box = union_box([region.box, union_box([w.bbox for w in extra])])
    return Region(box, region.score, region.label, region.crop)


def _justified(words: list[Word]) -> bool:
    """Whether lines of words start and end at the same places, as a justified paragraph's
    (labels of a table are set ragged on one side)."""
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    if len(bands) < 2:
        return False
    starts = [min(words[i].bbox[0] for i in b.words) for b in bands]
    ends = [max(words[i].bbox[2] for i in b.words) for b in bands]
    return max(starts) - min(starts) <= unit and max(ends) - min(ends) <= unit


def _row_labels(extra: list[Word], table: list[Word]) -> bool:
    """Whether `extra` words are the row labels of a table of figures: left of it, on its
    lines, where most of its lines start with a figure (a table has labels; a column of
    running text beside a table that has its own is another column of the page)."""
    if not table or max(w.bbox[2] for w in extra) > min(w.bbox[0] for w in table):
        return False
    rows = refine.text_bands(table, refine.median_height(table))
    starts = [min(b.words, key=lambda i: table[i].bbox[0]) for b in rows]
    figures = sum(refine.is_number(table[i].text) for i in starts)
    return figures >= 0.5 * len(rows) and _on_rows(extra, rows)


def _on_rows(labels: list[Word], rows: list[refine.Band]) -> bool:
    """Whether the lines of `labels` lie on a table's text lines `rows` (two or more, and half
    of them or more): row labels beside their figures, not a column of text with its own lines."""
    if not labels or not rows:
        return False
    lines = refine.text_bands(labels, refine.median_height(labels))
    on_rows = sum(any(min(r.y1, b.y1) - max(r.y0, b.y0) > 0.5 * (b.y1 - b.y0) for r in rows) for b in lines)
    return on_rows >= 2 and on_rows >= 0.5 * len(lines)


def regions_to_read(image: np.ndarray, detector) -> list[Box]:
    """The parts (image pixels) of a page image to read with OCR: all of a small image (a
    screenshot or a table cut out of a page, whose layout regions often leave out a column
    the model sees as apart, and which costs little more to read whole), else every region
    `candidate_boxes` gives, else, where the model sees nothing that could be a table, the
    whole page, so that its words can show a grid."""
    height, width = image.shape[:2]
    whole = (0.0, 0.0, float(width), float(height))
    if width * height <= _SMALL_PAGE_PIXELS:
        return [whole]
    return candidate_boxes(image, detector) or [whole]


def _detect(detector, image: np.ndarray) -> dict[str, list]:
    """The detector's regions for `table` and `figure`, from one run of the model. Falls back
    to the detector's own table regions when it is not the layout model (a test double)."""
    detect_regions = getattr(detector, "detect_regions", None)
    if detect_regions is None:
        return {"table": list(detector.detect(image))}
    threshold = min(_LOW_TABLE_SCORE, getattr(detector, "threshold", 0.5))
    return detect_regions(image, ("table", "figure", "text"), threshold)


def _sides(words: list[Word], box: Box) -> list[tuple[Box, Box]]:
    """The parts of a region on either side of its widest vertical gaps in the text (the
    three widest, widest first), each with the part beside it."""
    if len(words) < 12:
        return []
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    gaps, _, _, _ = refine.column_gaps(words, bands, bands, box[0], box[2], unit)
    parts: list[tuple[Box, Box]] = []
    for gap in sorted(gaps, key=lambda g: g.lo - g.hi)[:3]:
        middle = (gap.lo + gap.hi) / 2
        left, right = (box[0], box[1], middle, box[3]), (middle, box[1], box[2], box[3])
        parts += [(left, right), (right, left)]
    return parts


def _lines_run_across(words: list[Word], x: float) -> bool:
    """Whether a quarter or more of the text lines with words on both sides of `x` (or a
    word over it) go on across it with no more than a word space: lines of running text,
    not a column of text beside a table (a gutter parts those)."""
    unit = refine.median_height(words)
    both = across = 0
    for band in refine.text_bands(words, unit):
        left = [words[i].bbox[2] for i in band.words if words[i].bbox[2] <= x]
        right = [words[i].bbox[0] for i in band.words if words[i].bbox[0] >= x]
        through = any(words[i].bbox[0] < x < words[i].bbox[2] for i in band.words)
        if through or (left and right):
            both += 1
            across += through or min(right) - max(left) <= refine.PHRASE_GAP * unit
    return both > 0 and across >= _RUN_ACROSS * both


def looks_tabular(words: list[Word], box: Box, short_texts: bool = True, least_lines: int = _MIN_LINES) -> bool:
    """Whether the words of a region form a grid of short texts (of any texts, without
    `short_texts`: a table of sentences beside their labels), of at least `least_lines`."""
    if len(words) < 6:
        return False
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    if len(bands) < least_lines:
        return False
    gaps, _, _, _ = refine.column_gaps(words, bands, bands, box[0], box[2], unit)
    if not gaps:
        return False
    edges = [box[0], *[(g.lo + g.hi) / 2 for g in gaps], box[2]]
    columns = len(edges) - 1
    multi = filled = 0
    for band in bands:
        used = {bisect_right(edges, (words[i].bbox[0] + words[i].bbox[2]) / 2) for i in band.words}
        multi += len(used) >= 2
        filled += len(used)
    return (
        multi >= _MIN_MULTI_COLUMN_LINES * len(bands)
        and filled >= _MIN_FILLED_SLOTS * len(bands) * columns
        and (not short_texts or _short_phrases(words, bands, edges, unit))
    )


def _short_phrases(words: list[Word], bands: list[refine.Band], edges: list[float], unit: float) -> bool:
    """Whether the region's cells are short texts: at most a few words a phrase, counted
    without the column of the longest phrases when the other columns hold figures (a stub
    of five-word labels beside figures is a table; prose set in columns, items after their
    bullets, lines of prose running across the region, are not). A phrase belongs to the
    column it starts in: a long label runs on past a column's edge."""
    counts: dict[int, list[int]] = {}  # column (-1: lines of prose) -> [words, phrases, figures]
    width = edges[-1] - edges[0]
    for band in bands:
        prose = refine.is_prose(band, words, width)
        for lo, hi in refine.phrases(band, words, unit):
            inside = [words[i] for i in band.words if lo <= words[i].bbox[0] and words[i].bbox[2] <= hi]
            tally = counts.setdefault(-1 if prose else bisect_right(edges, lo + 1e-6), [0, 0, 0])
            tally[0] += len(inside)
            tally[1] += 1
            tally[2] += any(refine.is_number(w.text) for w in inside)
    columns = [c for c in counts if c >= 0]
    if len(columns) >= 2:
        longest = max(columns, key=lambda c: counts[c][0] / counts[c][1])
        rest = [t for c, t in counts.items() if c != longest]
        if sum(t[2] for t in rest) >= _TEXT_TABLE_NUMBERS * sum(t[1] for t in rest):
            del counts[longest]
    return sum(t[0] for t in counts.values()) <= _MAX_WORDS_PER_PHRASE * sum(t[1] for t in counts.values())


def split_stacked(words: list[Word], box: Box) -> list[Box]:
    """Split a region where the lines below a clear vertical gap repeat heading lines from the
    region's top: a second table under the first."""
    if len(words) < 12:
        return [box]
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    if len(bands) < 6:
        return [box]
    pitches = sorted(b.y0 - a.y0 for a, b in itertools.pairwise(bands))
    pitch = pitches[len(pitches) // 2]
    headings = [_heading_words(b, words) for b in bands[:_HEADING_LINES]]
    cuts: list[float] = []
    for k in range(_HEADING_LINES + 1, len(bands) - 2):
        above, below = bands[k - 1], bands[k]
        if below.y0 - above.y0 < 1.5 * pitch:
            continue
        again = [_heading_words(b, words) for b in bands[k : k + 2]]
        if any(_repeats(headings, h, again) for h in range(len(headings))):
            cuts.append((above.y1 + below.y0) / 2)
    if not cuts:
        return [box]
    edges = [box[1], *cuts, box[3]]
    return [(box[0], a, box[2], b) for a, b in itertools.pairwise(edges)]


def _repeats(headings: list[list[str]], first: int, again: list[list[str]]) -> bool:
    """Whether the lines `again` repeat the heading lines from `first` on: the same words
    (numbers aside) in two lines running, or in one line of three words or more."""
    same = 0
    for h, a in zip(headings[first:], again):
        if not h or sorted(h) != sorted(a):
            break
        same += 1
    return same >= 2 or (same == 1 and len(headings[first]) >= 3)


def _heading_words(band: refine.Band, words: list[Word]) -> list[str]:
    return [words[i].text.lower() for i in band.words if not refine.is_number(words[i].text)]
