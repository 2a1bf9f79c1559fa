"""Tables that continue across pages: finding the parts and joining them into one table.

A table B on page p+1 continues a table A on page p when all of these hold:

- **place**: A is the last table of its page (no other table of page p starts below A's top)
  and ends in the lower part of the page (its bottom at or below `BOTTOM_FRACTION` = 2/3 of
  the page height); B is the first table of its page (no other table of page p+1 ends above
  B's bottom) and starts in the upper part (its top at or above `TOP_FRACTION` = 1/3 of the
  page height). Both parts are measured on their own (displayed) pages, so page size and
  rotation do not matter;
- **columns**: the same number of columns, and each column's centre, as a fraction of the page
  width, within `COLUMN_TOLERANCE` = 0.04 (about 24 pt on a Letter page) of the matching
  column's centre;
- **header**: B repeats A's header rows (the same texts, compared without case and extra
  whitespace, whether or not B's rows are flagged as header), or B has no header rows of its
  own. A header on B that differs from A's, or a header on B when A has none, starts a new
  table.

Chains follow from pairs: A -> B -> C for a table over three pages. When two tables of a page
could both continue onto the next (side by side), the one whose columns line up best wins.

`merge_chain` joins the parts: the first part's rows, then each further part's rows without
the header rows it repeats. The merged table's id is the first part's id with ``-merged``
appended; its page, box and page size are the first part's, its confidences the lowest of the
parts'; its cells keep the boxes they have on their own pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from doctables.model.result import ResultDocument, as_result
from doctables.model.tables import Cell, Table
from doctables.outputs.textract import grid_edges

BOTTOM_FRACTION = 2 / 3  # the earlier part ends at or below this fraction of its page's height
TOP_FRACTION = 1 / 3  # the later part starts at or above this fraction of its page's height
COLUMN_TOLERANCE = 0.04  # column centres may differ by this fraction of the page width
MERGED_SUFFIX = "-merged"


def link_continuations(result: ResultDocument | Mapping[str, Any]) -> list[list[str]]:
    """Chains of table ids (two or more, in page order) that form one table across pages of a
    result document (typed, or its JSON as a dict)."""
    return link_tables(as_result(result).tables)


def link_tables(tables: Sequence[Table]) -> list[list[str]]:
    """`link_continuations` over Table objects."""
    by_page: dict[int, list[Table]] = {}
    for table in tables:
        by_page.setdefault(table.page, []).append(table)

    following: dict[str, str] = {}
    taken: set[str] = set()
    for page in sorted(by_page):
        later = by_page.get(page + 1)
        if not later:
            continue
        firsts = [b for b in later if _first_on_page(b, later) and _starts_high(b)]
        lasts = [a for a in by_page[page] if _last_on_page(a, by_page[page]) and _ends_low(a)]
        pairs = []
        for a in lasts:
            for b in firsts:
                score = _column_distance(a, b)
                if score is not None and _headers_allow(a, b):
                    pairs.append((score, a.table_id, b.table_id))
        for _, a_id, b_id in sorted(pairs):
            if a_id in following or b_id in taken:
                continue
            following[a_id] = b_id
            taken.add(b_id)

    chains = []
    for table in sorted(tables, key=lambda t: (t.page, t.table_id)):
        if table.table_id in taken or table.table_id not in following:
            continue
        chain = [table.table_id]
        while chain[-1] in following:
            chain.append(following[chain[-1]])
        chains.append(chain)
    return chains


def merge_chain(tables: Sequence[Table]) -> Table:
    """One table made of the parts of a chain, in order (see the module's notes)."""
    if not tables:
        raise ValueError("merge_chain needs at least one table")
    first = tables[0]
    columns = max(t.columns for t in tables)
    cells: list[Cell] = [replace(c, words=list(c.words)) for c in first.cells]
    rows = first.rows
    for part in tables[1:]:
        drop = repeated_header_rows(first, part)
        for cell in part.cells:
            end = cell.row + cell.row_span
            if end <= drop:
                continue
            start = max(cell.row, drop)
            cells.append(
                replace(
                    cell,
                    row=start - drop + rows,
                    row_span=end - start,
                    is_header=False,
                    words=list(cell.words),
                )
            )
        rows += part.rows - drop
    return Table(
        table_id=first.table_id + MERGED_SUFFIX,
        page=first.page,
        bbox=first.bbox,
        page_width=first.page_width,
        page_height=first.page_height,
        rows=rows,
        columns=columns,
        confidence=min(t.confidence for t in tables),
        structure_confidence=min(t.structure_confidence for t in tables),
        cells=cells,
    )


def merged_tables(result: ResultDocument | Mapping[str, Any]) -> list[Table]:
    """The merged table of every chain of `result` (typed, or its JSON as a dict), in chain order."""
    tables = {t.table_id: t for t in as_result(result).tables}
    return [merge_chain([tables[i] for i in chain]) for chain in link_tables(list(tables.values()))]


def repeated_header_rows(first: Table, part: Table) -> int:
    """How many leading rows of `part` repeat the header rows of `first` (0 or first's count)."""
    count = first.header_rows
    if count == 0 or part.rows < count:
        return 0
    return count if _row_texts(first, count) == _row_texts(part, count) else 0


# --- the tests ------------------------------------------------------------------------------


def _ends_low(table: Table) -> bool:
    return table.bbox[3] >= BOTTOM_FRACTION * table.page_height


def _starts_high(table: Table) -> bool:
    return table.bbox[1] <= TOP_FRACTION * table.page_height


def _last_on_page(table: Table, page_tables: Sequence[Table]) -> bool:
    return not any(o is not table and o.bbox[1] > table.bbox[1] and o.bbox[1] >= table.bbox[3] - 1.0
                   for o in page_tables)


def _first_on_page(table: Table, page_tables: Sequence[Table]) -> bool:
    return not any(o is not table and o.bbox[3] < table.bbox[3] and o.bbox[3] <= table.bbox[1] + 1.0
                   for o in page_tables)


def _column_distance(a: Table, b: Table) -> float | None:
    """The largest difference between matching column centres (fractions of the page width),
    or None when the columns do not line up."""
    if a.columns != b.columns or a.columns == 0:
        return None
    centres_a, centres_b = _column_centres(a), _column_centres(b)
    worst = max(abs(x - y) for x, y in zip(centres_a, centres_b))
    return worst if worst <= COLUMN_TOLERANCE else None


def _column_centres(table: Table) -> list[float]:
    edges = grid_edges(
        [(c.col, c.col_span, c.bbox[0], c.bbox[2]) for c in table.cells],
        table.columns,
        table.bbox[0],
        table.bbox[2],
    )
    return [(edges[i] + edges[i + 1]) / 2 / table.page_width for i in range(table.columns)]


def _headers_allow(a: Table, b: Table) -> bool:
    if repeated_header_rows(a, b):
        return True
    return b.header_rows == 0


def _row_texts(table: Table, count: int) -> list[list[str]]:
    grid = table.grid() if all(_fits(c, table) for c in table.cells) else _safe_grid(table)
    return [[" ".join(text.split()).casefold() for text in row] for row in grid[:count]]


def _fits(cell: Cell, table: Table) -> bool:
    return 0 <= cell.row < table.rows and 0 <= cell.col < table.columns


def _safe_grid(table: Table) -> list[list[str]]:
    grid = [["" for _ in range(table.columns)] for _ in range(table.rows)]
    for cell in table.cells:
        if _fits(cell, table):
            grid[cell.row][cell.col] = cell.text
    return grid
