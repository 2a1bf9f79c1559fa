"""A table's own renderings: CSV, Markdown, HTML and a pandas DataFrame (the conventions for
merged cells, headers and spreadsheet formulas are in `doctables.outputs.exports`)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd


class GridCell(Protocol):
    """What a rendering reads of a cell (`doctables.model.tables.Cell` is one)."""

    row: int
    col: int
    row_span: int
    col_span: int
    text: str
    is_header: bool


class Table(Protocol):
    """What a rendering reads of a table (`doctables.model.tables.Table` is one); a protocol,
    so that this module stands below the dataclasses that call it."""

    table_id: str
    page: int
    rows: int
    columns: int

    @property
    def cells(self) -> Sequence[GridCell]: ...

    @property
    def header_rows(self) -> int: ...


# --- the grid with its spans -----------------------------------------------------------------


@dataclass(frozen=True)
class SpannedCell:
    row: int
    col: int
    rows: int
    cols: int
    text: str
    is_header: bool


def cell_spans(table: Table) -> tuple[list[SpannedCell], dict[tuple[int, int], SpannedCell]]:
    """The table's cells with spans clipped to the grid and to each other (the earlier cell in
    row-major order keeps a contested position), and the cell that owns each position."""
    owner: dict[tuple[int, int], SpannedCell] = {}
    spans: list[SpannedCell] = []
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        clipped = clip_span(cell, table.rows, table.columns, owner)
        if clipped is None:
            continue
        r0, c0, r1, c1 = clipped
        span = SpannedCell(r0, c0, r1 - r0, c1 - c0, cell.text, cell.is_header)
        spans.append(span)
        for r in range(r0, r1):
            for c in range(c0, c1):
                owner[(r, c)] = span
    return spans, owner


def clip_span(cell: GridCell, rows: int, columns: int,
              taken: Container[tuple[int, int]]) -> tuple[int, int, int, int] | None:
    """The positions (r0, c0, r1, c1, ends exclusive) a cell covers, its spans clipped to the
    grid and to positions already `taken`; None when its start is outside the grid or taken."""
    r0, c0 = cell.row, cell.col
    if not (0 <= r0 < rows and 0 <= c0 < columns) or (r0, c0) in taken:
        return None
    c1 = min(columns, c0 + max(1, cell.col_span))
    for c in range(c0 + 1, c1):
        if (r0, c) in taken:
            c1 = c
            break
    r1 = min(rows, r0 + max(1, cell.row_span))
    for r in range(r0 + 1, r1):
        if any((r, c) in taken for c in range(c0, c1)):
            r1 = r
            break
    return r0, c0, r1, c1


def _grid(table: Table, fill_merged: bool = False) -> list[list[str]]:
    _, owner = cell_spans(table)
    grid = [["" for _ in range(table.columns)] for _ in range(table.rows)]
    for (r, c), span in owner.items():
        if fill_merged or (span.row, span.col) == (r, c):
            grid[r][c] = span.text
    return grid


# --- formats of one table --------------------------------------------------------------------


def to_csv(table: Table, *, fill_merged: bool = False, escape_formulas: bool = True) -> str:
    """The table's rows as CSV (RFC 4180: comma, double quotes where needed, CRLF); empty cells
    are empty fields; a merged cell's text at its top-left only unless `fill_merged`.

    Cells a spreadsheet would run as a formula get a leading single quote (see
    `escape_formula`), and cells holding ``;`` or a tab are quoted; `escape_formulas=False`
    writes every text as extracted (only for a reader that never evaluates cells)."""
    grid = _grid(table, fill_merged)
    if not escape_formulas:
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerows(grid)
        return buffer.getvalue()
    return "".join(_csv_record([escape_formula(text) for text in row]) for row in grid)


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP,
# "CSV Injection"); tab and carriage return are the separators some of them trim first.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text a spreadsheet reads as a number, which no formula can hide in: sign, currency, digits with
# group and decimal marks, exponent, percent.
_PLAIN_NUMBER = re.compile(r"[+-]?[$€£¥]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
# Characters a spreadsheet may split a CSV line on besides the comma (a semicolon in many locales).
_CSV_QUOTED = re.compile(r'[,";\t\r\n]')


def escape_formula(text: str) -> str:
    """`text` made inert for a spreadsheet: a single quote in front when it would be evaluated
    (first character ``=``, ``+``, ``-``, ``@``, tab or carriage return, or one of the first four
    after leading spaces), unless it is a plain number (``-12.5``, ``+3``, ``-1,234.5``) or a
    lone ``-``. The spreadsheet shows the text without the quote."""
    if not text or text[0] in "\t\r":
        return "'" + text if text else text
    head = text.lstrip(" \u00a0\n\x0b\x0c")
    if not head or head[0] not in "=+-@":
        return text
    value = head.rstrip()
    if value == "-" or _PLAIN_NUMBER.fullmatch(value):
        return text
    return "'" + text


def _csv_record(fields: list[str]) -> str:
    """One CSV record as `csv.writer` with QUOTE_MINIMAL writes it, also quoting a field that
    holds ``;`` or a tab."""
    if fields == [""]:
        return '""\r\n'  # as csv.writer: a lone empty field, told apart from an empty line
    out = []
    for text in fields:
        out.append('"' + text.replace('"', '""') + '"' if _CSV_QUOTED.search(text) else text)
    return ",".join(out) + "\r\n"


def to_pandas(table: Table, *, fill_merged: bool = False) -> pd.DataFrame:
    """A pandas DataFrame of the table's body rows, the header rows as its column index (a
    MultiIndex with one level per header row when there are several; a RangeIndex when the table
    has none). Values are strings; empty cells are ""."""
    import pandas as pd

    header = min(table.header_rows, table.rows)
    _, owner = cell_spans(table)
    body = _grid(table, fill_merged)[header:]
    if header == 0:
        return pd.DataFrame(body, columns=pd.RangeIndex(table.columns), dtype=object)
    levels = [[owner[(r, c)].text if (r, c) in owner else "" for c in range(table.columns)] for r in range(header)]
    if header == 1:
        columns: Any = pd.Index(levels[0], dtype=object)
    else:
        columns = pd.MultiIndex.from_arrays(levels)
    return pd.DataFrame(body, columns=columns, dtype=object)


def to_markdown(table: Table) -> str:
    """A GitHub pipe table; merged cells repeated over the positions they cover, header rows
    flattened into the one header line (see the module's notes)."""
    header = min(table.header_rows, table.rows)
    grid = _grid(table, fill_merged=True)
    if header:
        titles = []
        for c in range(table.columns):
            parts: list[str] = []
            for r in range(header):
                text = " ".join(grid[r][c].split())
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
            titles.append(" / ".join(parts))
    else:
        titles = [""] * table.columns
    lines = [_md_row(titles), "|" + "|".join(" --- " for _ in range(table.columns)) + "|"]
    lines.extend(_md_row(row) for row in grid[header:])
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\|`*_\[\]<>])")


def markdown_cell(text: str) -> str:
    lines = [_MD_SPECIAL.sub(r"\\\1", " ".join(line.split())) for line in text.splitlines()]
    return "<br>".join(line for line in lines if line)


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(markdown_cell(c) for c in cells) + " |"


def to_html(table: Table) -> str:
    """An HTML ``<table>``: header rows in ``<thead>`` (``<th scope="col">``), the rest in
    ``<tbody>``, merged cells with ``rowspan`` / ``colspan``, every text escaped (line breaks
    become ``<br>``). A span reaching past the header rows is cut at them (a row span cannot
    cross row groups in HTML)."""
    header = min(table.header_rows, table.rows)
    spans, _ = cell_spans(table)
    groups = [(0, header, "thead", "th"), (header, table.rows, "tbody", "td")]
    attrs = f' data-table-id="{html.escape(table.table_id)}" data-page="{int(table.page)}"'
    out = [f"<table{attrs}>"]
    for start, end, group, tag in groups:
        if start >= end:
            continue
        # Each span, clipped to the group; a span starting above the group (a header cell
        # reaching into the body) leaves its positions in the group to empty cells.
        starts: dict[tuple[int, int], SpannedCell] = {}
        covered: set[tuple[int, int]] = set()
        for span in spans:
            if not (start <= span.row < end):
                continue
            rows = min(span.rows, end - span.row)
            clipped = SpannedCell(span.row, span.col, rows, span.cols, span.text, span.is_header)
            starts[(span.row, span.col)] = clipped
            for r in range(span.row, span.row + rows):
                for c in range(span.col, span.col + span.cols):
                    covered.add((r, c))
        out.append(f"<{group}>")
        for r in range(start, end):
            row = ["<tr>"]
            for c in range(table.columns):
                span = starts.get((r, c))
                if span is not None:
                    extra = ""
                    if span.rows > 1:
                        extra += f' rowspan="{span.rows}"'
                    if span.cols > 1:
                        extra += f' colspan="{span.cols}"'
                    if tag == "th":
                        extra = ' scope="colgroup"' + extra if span.cols > 1 else ' scope="col"' + extra
                    row.append(f"<{tag}{extra}>{_html_text(span.text)}</{tag}>")
                elif (r, c) not in covered:
                    row.append(f"<{tag}></{tag}>")
            row.append("</tr>")
            out.append("".join(row))
        out.append(f"</{group}>")
    out.append("</table>")
    return "\n".join(out) + "\n"


def _html_text(text: str) -> str:
    return "<br>".join(html.escape(line, quote=True) for line in text.splitlines())
