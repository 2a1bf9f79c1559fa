"""Geometric refinement of a table's grid with the page's words and ruling lines.

The structure model gives a logical grid whose boundaries are approximate: they cut through
text lines, miss a column or a row here and there, and split multi-line cells. The PDF knows
better where the text is. Here:

- rows come from *bands*, horizontal strips of overlapping text lines: a row boundary lies
  in a vertical gap between two bands (or on a rule that parts lines beside a label set
  across them). Which gaps are boundaries: those holding a horizontal rule that runs across
  a column boundary; in a table ruled row by row, only those; otherwise also those the
  model put a boundary near, those between two lines that both carry numbers in the same
  columns (two records, never one wrapped cell), and those under a heading that runs over
  several columns holding cells of their own; but not those inside a wrapped heading;
- columns come from whitespace: x-ranges that (almost) no text line covers. Which gaps are
  boundaries: those holding a vertical rule; in a table ruled column by column, only those;
  otherwise those the model put a boundary near, and clear gaps splitting a model column into
  two columns that both hold text in many lines.

The steps live in the grid package's modules, one a stage, each with its thresholds at its
top (why, and in what unit):

    text       what a word's text says: a figure, a bullet, leaders, a typed rule
    intervals  intervals on one axis: union, runs, which interval holds a point
    lines      words into text lines (bands), a line's phrases, prose, where figures start
    gaps       Gap and Axis; the rules in a gap, model boundaries snapped into gaps
    frame      TableFrame: what every step of one table reads
    columns    find_columns(frame): whitespace, vertical rules, the model's columns
    records    which row gaps part two records, which only cut a wrapped label
    rows       find_rows(frame): line gaps, horizontal rules, the model's rows

This module keeps the names the rest of the code reads (`refine.text_bands`, ...) and the
two entry points with their pieces as arguments, which build the frame. Merged cells are
found in `spans`, the table's extent in `detect.extent`. Everything works on word boxes in
the displayed page frame, so rotated pages, right-to-left and CJK text (where a word can be
a whole run) need nothing special. No model is needed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from doctables.geometry import Box
from doctables.grid.columns import column_gaps, find_columns
from doctables.grid.frame import TableFrame
from doctables.grid.gaps import Axis, Gap, RuleLine, rule_slack
from doctables.grid.intervals import SEGMENT_BREAK, join_intervals, locate, merge_runs, union_length
from doctables.grid.lines import (
    CROSSING_GAP,
    PHRASE_GAP,
    TALL_GLYPH,
    Band,
    first_data_line,
    is_prose,
    median_height,
    phrase_count,
    phrases,
    same_line,
    text_bands,
)
from doctables.grid.rows import WRAP_GAP, find_rows, row_gaps
from doctables.grid.rows import groups_records as _groups_records
from doctables.grid.text import BULLETS, is_bullet, is_filler, is_number, text_rule, without_trailing_leaders
from doctables.model.layout import Word

__all__ = [
    "BULLETS", "CROSSING_GAP", "PHRASE_GAP", "SEGMENT_BREAK", "TALL_GLYPH", "WRAP_GAP",
    "Axis", "Band", "Gap", "TableFrame",
    "column_gaps", "find_columns", "find_rows", "first_data_line", "is_bullet", "is_filler",
    "is_number", "is_prose", "join_intervals", "locate", "median_height", "merge_runs",
    "phrase_count", "phrases", "refine_columns", "refine_rows", "row_gaps", "rule_slack",
    "same_line", "text_bands", "text_rule", "union_length", "without_trailing_leaders",
    "_groups_records",
]


def refine_columns(
    model_edges: Sequence[float],
    words: Sequence[Word],
    bands: Sequence[Band],
    body: Sequence[Band],
    vertical: Sequence[RuleLine],
    box: Box,
    unit: float,
) -> Axis:
    """Column boundaries, from whitespace and vertical rules, the model's as the prior (see
    `columns.find_columns`)."""
    frame = TableFrame(words=words, bands=bands, box=box, unit=unit, vertical=vertical, body=body,
                       model_columns=model_edges)
    return find_columns(frame)


def refine_rows(
    model_edges: Sequence[float],
    words: Sequence[Word],
    bands: Sequence[Band],
    horizontal: Sequence[RuleLine],
    box: Box,
    col_edges: Sequence[float],
    header_bottom: float,
    unit: float,
    groups: Sequence[Box] = (),
    columns_ruled: bool = False,
    row_spans: Sequence[Box] = (),
    column_rule_ends: Sequence[tuple[int, float]] = (),
    read_from_image: bool = False,
) -> Axis:
    """Row boundaries, from the gaps between text lines and horizontal rules, the model's as
    the prior (see `rows.find_rows`). `groups` are the heading rows where the model has
    cells spanning columns; `columns_ruled`, whether vertical rules part the columns;
    `row_spans`, the model's cells spanning rows; `column_rule_ends`, where rules on inner
    column boundaries (by index) start or stop inside the table; `read_from_image`, whether
    the words and rules were read off an image (OCR)."""
    frame = TableFrame(
        words=words, bands=bands, box=box, unit=unit, horizontal=horizontal, header_bottom=header_bottom,
        model_rows=model_edges, groups=groups, row_spans=row_spans,
        col_edges=col_edges, columns_ruled=columns_ruled, column_rule_ends=column_rule_ends,
        read_from_image=read_from_image,
    )
    return find_rows(frame)
