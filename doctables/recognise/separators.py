"""Thousands separators and currency signs made consistent down a column of figures read
with OCR.

Small or blurred text makes a comma and a full stop one speck of ink apart: in a column of
"606,451", "131,176", "1,039,025" the recogniser reads "301.398" now and then. Where the
column shows which separator it groups thousands with, a figure grouped with the other one
is that column's misreading, and is written with the column's separator. Likewise a dollar
sign set apart from its figure reads "5", "s" or "S" when small ("5 986" under "$ 1,498"):
where the column writes the sign so, its look-alike in the sign's place is the sign."""

from __future__ import annotations

import re
from dataclasses import replace

from doctables.model.layout import DOLLAR_LOOK_ALIKES
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
    cells = list(table.cells)
    for members in _columns(table):
        counts = {sep: sum(len(pattern.findall(cells[k].text)) for k in members) for sep, pattern in _GROUPED.items()}
        for usual, other in ((",", "."), (".", ",")):
            if counts[usual] >= _MIN_FIGURES and counts[usual] >= _MAJORITY * max(1, counts[other]) and counts[other]:
                for k in members:
                    cells[k] = _regrouped(cells[k], other, usual)
    return replace(table, cells=cells)


# What a small dollar sign set apart from its figure is misread as.
_SIGN = "$"
_FIGURE = re.compile(r"^[(\[-]?\d[\d.,]*[)\]%]?$")


def consistent_currency(table: Table) -> Table:
    """The table with, in each column where a dollar sign stands apart (alone in its cell,
    or before a figure), its look-alikes in the same place read as the sign: a cell that is
    only a look-alike in a column of lone signs, a look-alike before a figure in a column
    with "$ 1,498"."""
    cells = list(table.cells)
    for members in _columns(table):
        members = [k for k in members if cells[k].words]
        tokens = [[w.text for w in cells[k].words] for k in members]
        signs_alone = all(len(t) == 1 for t in tokens) and any(t == [_SIGN] for t in tokens)
        signed = any(len(t) == 2 and t[0] == _SIGN and _FIGURE.match(t[1]) for t in tokens)
        for k, t in zip(members, tokens):
            if t[0] in DOLLAR_LOOK_ALIKES and (
                (signs_alone and len(t) == 1) or (signed and len(t) == 2 and _FIGURE.match(t[1]))
            ):
                cells[k] = _signed(cells[k])
    return replace(table, cells=cells)


def _columns(table: Table) -> list[list[int]]:
    """The indices of the cells of each column (cells spanning columns left out)."""
    columns: dict[int, list[int]] = {}
    for k, cell in enumerate(table.cells):
        if cell.col_span == 1:
            columns.setdefault(cell.col, []).append(k)
    return list(columns.values())


def _signed(cell: Cell) -> Cell:
    first, *rest = cell.words
    words = [CellWord(_SIGN, first.bbox, first.confidence), *rest]
    return replace(cell, text=" ".join(w.text for w in words), words=words)


def _regrouped(cell: Cell, wrong: str, right: str) -> Cell:
    def fix(text: str) -> str:
        return _GROUPED[wrong].sub(lambda m: m.group(0).replace(wrong, right), text)

    if not _GROUPED[wrong].search(cell.text):
        return cell
    return replace(cell, text=fix(cell.text), words=[CellWord(fix(w.text), w.bbox, w.confidence) for w in cell.words])
