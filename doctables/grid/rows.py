"""Rows of a table, from the gaps between text lines and horizontal rules, the model's as the
prior.

The steps, in `find_rows`' order: the gaps between bands (`row_gaps`), rules cutting a band
between lines beside a label set across them (`rule_cuts`), gaps inside a band beside the
model's cells spanning rows (`gaps_beside_spans`); the model's boundaries snapped into
gaps; whether rules draw the rows (a ruling row by row, not rules over groups of records:
`groups_records`); the gaps between two records (`records.record_splits`); and, where the
text draws the rows, the boundaries that only cut wrapped text taken out again
(`wrapped_heading`, `wrapped_body`, `records.wrapped_labels`). Lengths in points; `unit` is
the text height, and thresholds that are lengths are multiples of it unless they say
points."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from doctables.geometry import Box, centre_in
from doctables.grid.frame import TableFrame
from doctables.grid.gaps import STRONG_RULE, Axis, Gap, crosses, rule_cover, rule_slack, snap
from doctables.grid.intervals import SEGMENT_BREAK, join_intervals, locate
from doctables.grid.lines import BAND_SHRINK, PHRASE_GAP, TALL_GLYPH, Band, median_height, same_line
from doctables.grid.lines import text_bands, word_height
from doctables.grid.records import column_texts, figures_shared, record_splits, wrapped_labels
from doctables.grid.text import is_number
from doctables.model.layout import Word

# Gaps found beside a spanning cell closer than this (units) to another gap are that gap.
_BESIDE_DEDUPE = 0.5
# Rows are ruled when strong rules part at least this share of the body's counted
# boundaries, and number at least two (at least one in the body where vertical rules part
# the columns, two without: one over the total is no ruling).
_RULED_ROWS = 0.5
# Rules down at least this many column boundaries starting (or stopping) in one gap draw a
# row boundary there.
_RULE_ENDS = 2
# Only rules this far (points) inside the text's top and bottom cut a band (further out: the
# table's border).
_INSIDE_TEXT = 1.0
# A word's glyphs lie inside its box by at least this much (points).
_GLYPH_MARGIN = 1.0
# Gaps already part two lines when within this distance (points) of them.
_PARTED_SLACK = 1.0
# Lines closer than this (units) may be one wrapped cell.
WRAP_GAP = 0.6
# Lines this far apart (units) or further are rows apart: a cell's own lines are set closer
# (see WRAP_GAP), and no text crosses the gap.
_BLANK_LINE = 1.0
# Lines closer than this (units) follow each other as a wrapped cell's do.
_TIGHT_GAP = 0.3
# The heading's wrapped lines start from this far (points) above its top word.
_HEADING_TOP = 1.0
# A model group's row lies in the heading row when its top is within this many units under
# the row's top ...
_GROUP_ROW_SLACK = 0.5
# ... and a group heading set on two lines runs over this share of the group's width.
_GROUP_EXTENT = 0.5


def find_rows(frame: TableFrame) -> Axis:
    """Row boundaries, from the gaps between text lines and horizontal rules, the model's as
    the prior; boundaries between split records are ones no cell may span. Reads the
    frame's columns (`col_edges`, `columns_ruled`, `column_rule_ends`) and the model's
    rows, groups (cells spanning columns) and row spans (cells spanning rows)."""
    words, bands, horizontal, unit = frame.words, frame.bands, frame.horizontal, frame.unit
    col_edges, header_bottom, columns_ruled = frame.col_edges, frame.header_bottom, frame.columns_ruled
    model_edges = frame.model_rows
    x0, y0, x1, y1 = frame.box
    inner = model_edges[1:-1]
    gaps = row_gaps(bands)
    for g in gaps:
        g.crossing = crosses(rule_cover(g, horizontal, (x0, x1), rule_slack(unit)), col_edges)
    cuts = rule_cuts(gaps, frame)
    beside = [
        b for b in gaps_beside_spans(frame)
        if not any(abs(b.position - g.position) < _BESIDE_DEDUPE * unit for g in gaps + cuts)
    ]
    for g in cuts + beside:
        g.crossing = crosses(rule_cover(g, horizontal, (x0, x1), rule_slack(unit)), col_edges)
    gaps = sorted(gaps + cuts + beside, key=lambda g: g.lo)
    split = {i for i, g in enumerate(gaps) if any(g is b for b in beside)}
    if not gaps:
        return Axis([y0, y1], list(model_edges))
    snapped = snap(inner, gaps)
    moved = [gaps[g].position if g is not None else b for b, g in zip(inner, snapped)]
    chosen = {g for g in snapped if g is not None}
    # A rule separates rows where it runs across a column boundary: the edges of a shading
    # behind the text of one column (or one line) do not.
    single = len(col_edges) <= 2
    strong = {i for i, g in enumerate(gaps) if g.crossing or (single and g.rule >= STRONG_RULE)}
    # Rules down two or more column boundaries that start (or stop) in one gap draw a row
    # boundary there with no rule across: a title over all the columns inside the frame.
    # (They say nothing of whether rules draw every row.)
    slack = rule_slack(unit)
    ends = {
        i for i, g in enumerate(gaps)
        if len({k for k, y in frame.column_rule_ends if g.lo - slack <= y <= g.hi + slack}) >= _RULE_ENDS
    }
    # Ruled row by row: rules part the body's lines wherever the model parts them (most
    # places); rules in the heading only (or every few rows) leave the rows to the model.
    body = {i for i, g in enumerate(gaps) if g.lo > header_bottom}
    # Where vertical rules draw the columns too, horizontal rules are what part the rows; a
    # table ruled only across (a rule under the heading, one over the total) leaves the
    # rows it does not rule to the text and the model: without vertical rules, ruled row by
    # row takes two or more rules between body lines (one over the total is no ruling).
    texts = [column_texts(b, words, col_edges) for b in bands]  # each line's text by column
    records = record_splits(gaps, texts, frame)
    counted = chosen if columns_ruled else chosen | strong
    if not columns_ruled:
        # Body lines that are two records (figures in the same columns) are rows apart
        # whatever the model drew: rules that leave most of them unparted are no ruling row
        # by row (a low-resolution image's model rows hold several records each).
        counted |= records
    least = 1 if columns_ruled else 2
    ruled = len(strong & body) >= max(least, _RULED_ROWS * len(counted & body)) and len(strong) >= 2
    if ruled and not columns_ruled:
        # As many records left unparted as rules between them, or records left unparted
        # between most pairs of rules: the rules group the records (every two, a region's),
        # they do not draw the rows.
        unparted = (records & body) - strong
        ruled = len(unparted) < len(strong & body) and not groups_records(gaps, body, strong, unparted)
    hard: set[int] = set()  # rules block spans only where they run (see ruled_apart)
    if ruled:
        keep = set(strong) | split
        # A rule under a heading over a group of columns parts the group's heading from
        # the column headings below it, though the headings beside them, set across both
        # lines, leave no gap under the rule: in a table ruled both ways (every cell drawn)
        # it is a row boundary too. (Without vertical rules, as under a booktabs group
        # heading, the headings beside it may be wrapped over both lines.)
        if columns_ruled:
            for cut in heading_rule_cuts([gaps[g] for g in keep], frame):
                gaps.append(cut)
                keep.add(len(gaps) - 1)
        if frame.read_from_image:
            # Off an image, two records in one ruled row that the model parts as well are
            # two rows: a light rule between them was not found (a screenshot's grey
            # hairline, a scan's broken one). Either alone is not enough: a figure wrapped
            # in a narrow column reads as a second record, and the model parts a cell's
            # lines now and then. (A text layer's rules are all there: two lines of figures
            # in one ruled row are one cell's lines.)
            beside_records = {i for i in split if gaps[i].records and i in body}
            unruled_records = ((records & body & chosen) | beside_records) - strong
            keep |= unruled_records
            hard |= unruled_records
    else:
        # A blank line's space across the table parts rows wherever the model drew its
        # boundaries (off a small image, they can stand a line away from where they belong).
        blank = {i for i, g in enumerate(gaps) if g.above is not None and g.hi - g.lo >= _BLANK_LINE * unit}
        keep = chosen | strong | split | blank
        # Two records are never one cell, wherever the boundary between them came from.
        keep |= records
        hard |= records
        fixed = strong | hard | split | blank
        keep -= wrapped_heading(gaps, keep - fixed, keep, frame)
        keep -= wrapped_body(gaps, keep - fixed, keep, frame)
        keep -= wrapped_labels(gaps, keep - fixed, texts, frame)
    keep |= ends
    # A rule and a text gap may stand at one place: one boundary (no row of no height).
    edges = [y0, *sorted({gaps[g].position for g in keep if y0 < gaps[g].position < y1}), y1]
    hard_positions = {gaps[g].position for g in hard}
    return Axis(edges, [model_edges[0], *moved, model_edges[-1]], ruled, hard_positions)


def row_gaps(bands: Sequence[Band]) -> list[Gap]:
    """The gap under each band but the last (two overlapping bands: a gap of no height where
    they meet)."""
    gaps = []
    for k, (above, below) in enumerate(itertools.pairwise(bands)):
        lo, hi = above.y1, below.y0
        if hi < lo:
            lo = hi = (lo + hi) / 2
        gaps.append(Gap(lo, hi, above=k))
    return gaps


def rule_cuts(gaps: list[Gap], frame: TableFrame, parted: bool = True) -> list[Gap]:
    """Horizontal rules that run through a band without cutting any word they pass: in a
    ruled table a label set beside several ruled rows shares its band with them. With
    `parted` False, also rules between lines that a gap parts already (not on the rule).
    A rule must run across a column boundary and part two lines under it, each within a
    unit of it."""
    words, unit, col_edges = frame.words, frame.unit, frame.col_edges
    x0, _, x1, _ = frame.box
    if not words:
        return []
    # Only between text: a rule above or below all of it is the table's border.
    y0 = min(w.bbox[1] for w in words) + _INSIDE_TEXT
    y1 = max(w.bbox[3] for w in words) - _INSIDE_TEXT
    slack = rule_slack(unit)
    lines: dict[float, list[tuple[float, float]]] = {}
    for y, a, b in frame.horizontal:
        if y0 < y < y1 and min(x1, b) > max(x0, a):
            lines.setdefault(round(y * 2) / 2, []).append((max(x0, a), min(x1, b)))
    # A word's box runs from the font's ascender to its descender: a rule set tight against
    # the text crosses that margin without cutting the word. Boxes much taller than the text
    # (a symbol font's bullet) say little about where the glyph is.
    glyphs = [(w, _core(w)) for w in words if word_height(w) <= TALL_GLYPH * unit]
    cuts: list[Gap] = []
    for y, spans in sorted(lines.items()):
        if any(g.lo - slack <= y <= g.hi + slack for g in gaps + cuts):
            continue
        runs = join_intervals(spans, join=SEGMENT_BREAK)
        if not crosses(runs, col_edges):
            continue
        under = [(w, core) for w, core in glyphs if any(min(b, w.bbox[2]) > max(a, w.bbox[0]) for a, b in runs)]
        if any(top < y < bottom for _, (top, bottom) in under):
            continue
        # It must part two lines under it, close above and below, that no gap parts yet.
        above = max((w.bbox[3] for w, (_, bottom) in under if bottom <= y), default=None)
        below = min((w.bbox[1] for w, (top, _) in under if top >= y), default=None)
        if above is None or below is None or y - above > unit or below - y > unit:
            continue
        if parted and any(above - _PARTED_SLACK < g.position < below + _PARTED_SLACK for g in gaps + cuts):
            continue
        cuts.append(Gap(y, y))
    return cuts


def _core(word: Word) -> tuple[float, float]:
    """The vertical extent of a word's glyphs: its box less the font's margins."""
    margin = max(_GLYPH_MARGIN, BAND_SHRINK * word_height(word))
    return word.bbox[1] + margin, word.bbox[3] - margin


def groups_records(gaps: list[Gap], body: set[int], strong: set[int], unparted: set[int]) -> bool:
    """Whether more than half of the stretches of body lines between one rule and the next
    (and after the last) hold a record boundary that no rule draws: rules over groups of
    records, not a ruling with a rule missed here and there (a scan's)."""
    stretches: list[bool] = []
    for i in sorted(body, key=lambda i: gaps[i].lo):
        if i in strong:
            stretches.append(False)
        elif stretches and i in unparted:
            stretches[-1] = True
    return len(stretches) >= 2 and sum(stretches) > 0.5 * len(stretches)


def heading_rule_cuts(kept: list[Gap], frame: TableFrame) -> list[Gap]:
    """Rules in the heading that part two lines under them and run across a column
    boundary, though other gaps part those lines, away from the boundaries `kept` (a
    double rule, less than a unit apart, is one boundary)."""
    unit, box = frame.unit, frame.box
    found = []
    for cut in rule_cuts(kept, frame, parted=False):
        if cut.lo >= frame.header_bottom or any(abs(g.position - cut.lo) < unit for g in kept):
            continue
        if crosses(rule_cover(cut, frame.horizontal, (box[0], box[2]), rule_slack(unit)), frame.col_edges):
            found.append(cut)
    return found


def gaps_beside_spans(frame: TableFrame) -> list[Gap]:
    """Gaps inside a band between lines that a text spanning rows beside them joins into
    one band (a label of two lines centred beside three rows): the band's words outside the
    model's row-spanning cells, banded alone, fall apart into lines, and the model draws a
    row boundary between them."""
    words, model_edges = frame.words, frame.model_rows[1:-1]
    found: list[Gap] = []
    for band in frame.bands:
        spans = [s for s in frame.row_spans if s[1] < band.y1 and s[3] > band.y0]
        if not spans:
            continue

        rest = [words[i] for i in band.words if not any(centre_in(words[i].bbox, s) for s in spans)]
        if len(rest) == len(band.words) or len(rest) < 2:
            continue
        lines = text_bands(rest, median_height(rest))
        for above, below in itertools.pairwise(lines):
            centre_above = (above.y0 + above.y1) / 2
            centre_below = (below.y0 + below.y1) / 2
            if not any(centre_above < e < centre_below for e in model_edges):
                continue
            lo, hi = above.y1, below.y0
            if hi < lo:
                lo = hi = (lo + hi) / 2
            found.append(Gap(lo, hi, records=figures_shared(above, below, rest, frame.col_edges)))
    return found


def wrapped_heading(gaps: list[Gap], candidates: set[int], keep: set[int], frame: TableFrame) -> set[int]:
    """Boundaries inside the heading that only cut wrapped heading text: in every column
    holding text on both sides, the lines are words, not numbers, and follow each other
    closely; and the row above holds no heading over a group of columns (the frame's
    `groups`: where the model put cells spanning columns)."""
    words, col_edges, header_bottom, unit = frame.words, frame.col_edges, frame.header_bottom, frame.unit
    removed: set[int] = set()
    positions = sorted(gaps[g].position for g in keep)
    for g in candidates:
        at = gaps[g].position
        if at >= header_bottom:
            continue
        k = positions.index(at)
        top = positions[k - 1] if k > 0 else min(w.bbox[1] for w in words) - _HEADING_TOP
        bottom = positions[k + 1] if k + 1 < len(positions) else float("inf")
        above: dict[int, list[Word]] = {}
        below: dict[int, list[Word]] = {}
        for w in words:
            cy = (w.bbox[1] + w.bbox[3]) / 2
            column = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
            if top < cy < at:
                above.setdefault(column, []).append(w)
            elif at < cy < bottom:
                below.setdefault(column, []).append(w)
        if any((w.bbox[1] + w.bbox[3]) / 2 > header_bottom for ws in below.values() for w in ws):
            continue  # the row below is body, not heading
        if any(heads_group(group, top, at, words, unit) for group in frame.groups):
            continue  # the row above holds a heading over a group of columns
        shared = set(above) & set(below)
        if not shared or any(is_number(w.text) for c in shared for w in above[c] + below[c]):
            continue
        if all(
            min(w.bbox[1] for w in below[c]) - max(w.bbox[3] for w in above[c]) <= WRAP_GAP * unit
            for c in shared
        ):
            removed.add(g)
    return removed


def heads_group(group: Box, top: float, at: float, words: Sequence[Word], unit: float) -> bool:
    """Whether the row between `top` and `at` holds the heading of a model cell spanning
    columns (`group`: its columns and its first row): the cell's row lies in it (a boundary
    above that runs through the cell's row leaves its heading above), and the row's text over
    the group's columns is one phrase (several are headings of their own), on lines running
    over much of the group when there are several."""
    x0, y0, x1, y1 = group
    if not top < (y0 + y1) / 2 < at or top > y0 + _GROUP_ROW_SLACK * unit:
        return False
    over = sorted(
        (w for w in words if top < (w.bbox[1] + w.bbox[3]) / 2 < at and x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1),
        key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0]),
    )
    lines: list[list[Word]] = []
    for w in over:
        if lines and same_line(lines[-1][-1], w):
            lines[-1].append(w)
        else:
            lines.append([w])
    one_phrase = all(
        b.bbox[0] - a.bbox[2] <= PHRASE_GAP * unit
        for ln in lines
        for a, b in itertools.pairwise(sorted(ln, key=lambda w: w.bbox[0]))
    )
    if len(lines) < 2 or not one_phrase:
        return one_phrase
    # Lines stacked in one column of the group are that column's heading, wrapped; a heading
    # over the group set on two lines runs over much of its width.
    extent = max(w.bbox[2] for w in over) - min(w.bbox[0] for w in over)
    return extent >= _GROUP_EXTENT * (x1 - x0)


def wrapped_body(gaps: list[Gap], candidates: set[int], keep: set[int], frame: TableFrame) -> set[int]:
    """Body boundaries that only cut wrapped cell text, in a table whose records are set
    apart by wider gaps than their lines: the line below sits as close as the lines of a
    wrapped cell, starts no record (nothing in the first column), and holds words, not
    numbers, only in columns where the line above has text too."""
    bands, words, col_edges, header_bottom, unit = (
        frame.bands, frame.words, frame.col_edges, frame.header_bottom, frame.unit
    )
    if len(col_edges) < 3:
        return set()
    tight, wide = _TIGHT_GAP * unit, WRAP_GAP * unit
    if not any(gaps[g].hi - gaps[g].lo >= wide for g in keep if gaps[g].lo > header_bottom):
        return set()
    removed: set[int] = set()
    for g in candidates:
        gap = gaps[g]
        if gap.above is None or gap.lo <= header_bottom or gap.hi - gap.lo > tight:
            continue
        above, below = bands[gap.above], bands[gap.above + 1]
        columns_above = {locate(col_edges, (words[i].bbox[0] + words[i].bbox[2]) / 2) for i in above.words}
        columns_below = {locate(col_edges, (words[i].bbox[0] + words[i].bbox[2]) / 2) for i in below.words}
        if 0 in columns_below or not columns_below <= columns_above:
            continue
        if any(is_number(words[i].text) for i in [*above.words, *below.words]):
            continue
        removed.add(g)
    return removed
