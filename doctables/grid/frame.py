"""TableFrame: what every step of one table's refinement reads, in one frozen object instead
of a dozen arguments. Lengths in points, in the displayed page's frame (y grows down)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from doctables.geometry import Box
from doctables.grid.gaps import RuleLine
from doctables.grid.lines import Band
from doctables.model.layout import Word


@dataclass(frozen=True)
class TableFrame:
    """One table's words, lines and rules, the structure model's grid as the prior, and (for
    the rows) the columns already found. Build it once per table; the rows' frame is the
    columns' `replace`d with the column edges (and the words, when glued words were split)."""

    words: Sequence[Word]  # the table's words, leaders left out
    bands: Sequence[Band]  # their text lines, top to bottom (lines.text_bands)
    box: Box  # the table's outer box
    unit: float  # the text height (lines.median_height): lengths scale by it
    horizontal: Sequence[RuleLine] = ()  # rules across, as (y, x0, x1)
    vertical: Sequence[RuleLine] = ()  # rules down, as (x, y0, y1)
    body: Sequence[Band] | None = None  # the lines under the heading; None: all of them
    header_bottom: float = float("-inf")  # where the heading ends (-inf: no heading)
    # The model's grid: its boundaries (outer ones included) and its cells spanning columns
    # (their columns and first row: the headings over groups) or rows (their whole box).
    model_rows: Sequence[float] = ()
    model_columns: Sequence[float] = ()
    groups: Sequence[Box] = ()
    row_spans: Sequence[Box] = ()
    # The columns, once found: their edges (outer ones included), whether vertical rules
    # part them, and where rules on inner column boundaries (by index) start or stop.
    col_edges: Sequence[float] = ()
    columns_ruled: bool = False
    column_rule_ends: Sequence[tuple[int, float]] = ()
    read_from_image: bool = False  # the words and rules were read off an image (OCR)

    @property
    def body_lines(self) -> Sequence[Band]:
        return self.bands if self.body is None else self.body
