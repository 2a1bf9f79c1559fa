"""Turn HTML structure tokens into logical cells: row, column, spans and header flag."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPAN = re.compile(r'(rowspan|colspan)="(\d+)"')


@dataclass(frozen=True)
class LogicalCell:
    """A cell's place in the grid; `index` is its position among the cell-start tokens."""

    index: int
    row: int
    col: int
    row_span: int
    col_span: int
    in_header: bool


def decode_grid(tokens: list[str]) -> list[LogicalCell]:
    """Place every <td> of the token stream on a grid, skipping positions that spans cover."""
    cells: list[LogicalCell] = []
    occupied: set[tuple[int, int]] = set()
    row = -1
    col = 0
    in_header = False
    pending: dict[str, int] | None = None  # attributes of an open '<td' token

    def place(row_span: int, col_span: int) -> None:
        nonlocal col
        while (row, col) in occupied:
            col += 1
        cells.append(LogicalCell(len(cells), row, col, row_span, col_span, in_header))
        for r in range(row, row + row_span):
            for c in range(col, col + col_span):
                occupied.add((r, c))
        col += col_span

    for token in tokens:
        if token == "<thead>":
            in_header = True
        elif token == "</thead>":
            in_header = False
        elif token == "<tr>":
            row += 1
            col = 0
        elif token in ("<td></td>", "<td>"):
            row = max(row, 0)
            place(1, 1)
        elif token == "<td":
            row = max(row, 0)
            pending = {"rowspan": 1, "colspan": 1}
        elif pending is not None and _SPAN.search(token):
            name, value = _SPAN.search(token).groups()  # type: ignore[union-attr]
            pending[name] = max(1, int(value))
        elif token == ">" and pending is not None:
            place(pending["rowspan"], pending["colspan"])
            pending = None
    if pending is not None:  # a stream cut off inside a cell still has that cell
        place(pending["rowspan"], pending["colspan"])
    return _clip_spans(cells)


def _clip_spans(cells: list[LogicalCell]) -> list[LogicalCell]:
    """Keep row spans inside the rows the table actually has."""
    if not cells:
        return cells
    rows = max(c.row for c in cells) + 1
    return [
        LogicalCell(c.index, c.row, c.col, min(c.row_span, rows - c.row), c.col_span, c.in_header)
        for c in cells
    ]
