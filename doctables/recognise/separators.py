"""Thousands separators made consistent down a column of figures read with OCR.

Small or blurred text makes a comma and a full stop one speck of ink apart: in a column of
"606,451", "131,176", "1,039,025" the recogniser reads "301.398" now and then. Where the
column shows which separator it groups thousands with, a figure grouped with the other one
is that column's misreading, and is written with the column's separator."""

from __future__ import annotations

import re
from dataclasses import replace

from doctables.model.tables import Cell, CellWord, Table

# A figure grouped in thousands by "," or by "." (its first group never "0": "0.125" is a
# fraction), standing alone: not part of a longer run of digits and separators.
_GROUPED = {
    ",": re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,]|\.\d{3})"),
    ".": re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.]|,\d{3})"),
}
# A column's separator is the one at least this many of its figures use, and this many
# times as many as use the other.
_MIN_FIGURES = 2
_MAJORITY = 2


def consistent_separators(table: Table) -> Table:
    """The table with, in each column, figures grouped by the separator the column's other
    figures do not use rewritten with the one they do."""
    columns: dict[int, list[int]] = {}
    for k, cell in enumerate(table.cells):
        if cell.col_span == 1:
            columns.setdefault(cell.col, []).append(k)
    cells = list(table.cells)
    for members in columns.values():
        counts = {sep: sum(len(pattern.findall(cells[k].text)) for k in members) for sep, pattern in _GROUPED.items()}
        for usual, other in ((",", "."), (".", ",")):
            if counts[usual] >= _MIN_FIGURES and counts[usual] >= _MAJORITY * max(1, counts[other]) and counts[other]:
                for k in members:
                    cells[k] = _regrouped(cells[k], other, usual)
    return replace(table, cells=cells)


def _regrouped(cell: Cell, wrong: str, right: str) -> Cell:
    def fix(text: str) -> str:
        return _GROUPED[wrong].sub(lambda m: m.group(0).replace(wrong, right), text)

    if not _GROUPED[wrong].search(cell.text):
        return cell
    return replace(cell, text=fix(cell.text), words=[CellWord(fix(w.text), w.bbox, w.confidence) for w in cell.words])
