"""Tables continued across pages: linking the parts and merging them."""

from __future__ import annotations

import pytest

from doctables.model.tables import Cell, Table
from doctables.outputs import continuation
from doctables.outputs.continuation import link_continuations, link_tables, merge_chain, merged_tables

W, H = 612.0, 792.0
EDGES = (72.0, 200.0, 330.0, 460.0, 540.0)  # four columns


def part(table_id: str, page: int, top: float, bottom: float, body: list[list[str]], *,
         header: list[str] | None = None, edges=EDGES, header_flagged: bool = True,
         spans: dict[tuple[int, int], tuple[int, int]] | None = None) -> Table:
    """A table part: an optional header row, then `body`; cells on the column `edges`, rows of
    equal height between `top` and `bottom`; `spans` gives (row_span, col_span) by (row, col)."""
    rows = ([header] if header else []) + body
    columns = len(edges) - 1
    height = (bottom - top) / len(rows)
    spans = spans or {}
    covered = set()
    for (r, c), (rs, cs) in spans.items():
        covered |= {(r + dr, c + dc) for dr in range(rs) for dc in range(cs)} - {(r, c)}
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            box = (edges[c], top + r * height, edges[c + cs], top + (r + rs) * height)
            cells.append(Cell(r, c, rs, cs, text, box, 0.9, bool(header) and r == 0 and header_flagged))
    return Table(table_id, page, (edges[0], top, edges[-1], bottom), W, H, len(rows), columns, 0.9, 0.8, cells)


HEADER = ["Name", "Q1", "Q2", "Q3"]


def body(n: int, start: int = 0) -> list[list[str]]:
    return [[f"row {i}", str(i), str(2 * i), str(3 * i)] for i in range(start, start + n)]


def test_repeated_header_is_linked_and_dropped_when_merging():
    a = part("0001-01", 1, 300, 740, body(10), header=HEADER)
    b = part("0002-01", 2, 72, 300, body(5, 10), header=HEADER)
    assert link_tables([a, b]) == [["0001-01", "0002-01"]]
    merged = merge_chain([a, b])
    assert merged.table_id == "0001-01-merged"
    assert (merged.rows, merged.columns, merged.header_rows) == (16, 4, 1)
    assert merged.grid() == [HEADER] + body(15)
    assert merged.page == 1 and merged.bbox == a.bbox
    assert merged.confidence == 0.9 and merged.structure_confidence == 0.8
    # the parts themselves are unchanged
    assert a.rows == 11 and b.rows == 6 and b.cells[0].row == 0


def test_continuation_without_header_is_appended_whole():
    a = part("0001-01", 1, 300, 740, body(10), header=HEADER)
    b = part("0002-01", 2, 72, 300, body(5, 10))
    assert link_tables([a, b]) == [["0001-01", "0002-01"]]
    merged = merge_chain([a, b])
    assert merged.grid() == [HEADER] + body(15)
    assert merged.header_rows == 1


def test_an_unflagged_repeat_of_the_header_is_dropped_too():
    a = part("0001-01", 1, 300, 740, body(3), header=HEADER)
    b = part("0002-01", 2, 72, 300, body(2, 3), header=["name", "Q1 ", "Q2", "Q3"], header_flagged=False)
    assert link_tables([a, b]) == [["0001-01", "0002-01"]]
    assert merge_chain([a, b]).grid() == [HEADER] + body(5)


def test_tables_without_headers_link_and_merge():
    a = part("0001-01", 1, 500, 760, body(4))
    b = part("0002-01", 2, 40, 120, body(2, 4))
    assert link_tables([a, b]) == [["0001-01", "0002-01"]]
    merged = merge_chain([a, b])
    assert merged.grid() == body(6) and merged.header_rows == 0


def test_different_column_counts_are_not_linked():
    a = part("0001-01", 1, 300, 740, body(10), header=HEADER)
    b = part("0002-01", 2, 72, 300, [r[:3] for r in body(5, 10)], edges=EDGES[:4])
    assert link_tables([a, b]) == []


def test_shifted_columns_are_not_linked():
    a = part("0001-01", 1, 300, 740, body(10), header=HEADER)
    shifted = tuple(x + 0.05 * W for x in EDGES)
    assert link_tables([a, part("0002-01", 2, 72, 300, body(5, 10), edges=shifted)]) == []
    nudged = tuple(x + 0.02 * W for x in EDGES)  # within the tolerance
    assert link_tables([a, part("0002-01", 2, 72, 300, body(5, 10), edges=nudged)]) == [["0001-01", "0002-01"]]


def test_position_on_the_page_matters():
    high_end = part("0001-01", 1, 100, 400, body(5), header=HEADER)  # ends mid-page
    low_start = part("0002-01", 2, 400, 600, body(3, 5))  # starts mid-page
    good_a = part("0001-01", 1, 300, 740, body(5), header=HEADER)
    good_b = part("0002-01", 2, 72, 300, body(3, 5))
    assert link_tables([high_end, good_b]) == []
    assert link_tables([good_a, low_start]) == []
    assert link_tables([good_a, good_b]) == [["0001-01", "0002-01"]]
    # thresholds from the page's own size
    assert 400 < continuation.BOTTOM_FRACTION * H < 740 and 72 < continuation.TOP_FRACTION * H < 400


def test_pages_must_be_consecutive():
    a = part("0001-01", 1, 300, 740, body(5), header=HEADER)
    c = part("0003-01", 3, 72, 300, body(3, 5))
    assert link_tables([a, c]) == []


def test_another_table_in_between_breaks_the_link():
    two_columns = (72.0, 300.0, 540.0)
    a = part("0001-01", 1, 100, 560, body(5), header=HEADER)  # ends low enough on its own
    b = part("0002-01", 2, 72, 300, body(3, 5))
    assert link_tables([a, b]) == [["0001-01", "0002-01"]]
    below_a = part("0001-02", 1, 600, 750, [["x", "y"]], header=["A", "B"], edges=two_columns)
    assert link_tables([a, below_a, b]) == []
    a2 = part("0001-01", 1, 300, 740, body(5), header=HEADER)
    above_b = part("0002-01", 2, 40, 90, [["x", "y"]], header=["A", "B"], edges=two_columns)
    b2 = part("0002-02", 2, 120, 300, body(3, 5))
    assert link_tables([a2, b2]) == [["0001-01", "0002-02"]]
    assert link_tables([a2, above_b, b2]) == []


def test_a_different_header_on_the_next_page_starts_a_new_table():
    a = part("0001-01", 1, 300, 740, body(5), header=HEADER)
    b = part("0002-01", 2, 72, 300, body(3, 5), header=["Other", "A", "B", "C"])
    assert link_tables([a, b]) == []
    headless = part("0001-01", 1, 300, 740, body(5))
    assert link_tables([headless, b]) == []  # a header appears only on the later part


def test_a_chain_over_three_pages():
    a = part("0001-01", 1, 400, 740, body(5), header=HEADER)
    b = part("0002-01", 2, 60, 740, body(10, 5), header=HEADER)
    c = part("0003-01", 3, 60, 200, body(2, 15), header=HEADER)
    other = part("0003-02", 3, 300, 400, [["1", "2"]], edges=(72.0, 300.0, 540.0))
    assert link_tables([c, other, b, a]) == [["0001-01", "0002-01", "0003-01"]]
    merged = merge_chain([a, b, c])
    assert merged.grid() == [HEADER] + body(17)
    assert merged.rows == 18


def test_side_by_side_tables_link_the_best_aligned_one():
    left_edges = (40.0, 100.0, 160.0, 220.0, 290.0)
    right_edges = (320.0, 380.0, 440.0, 500.0, 570.0)
    left = part("0001-01", 1, 300, 740, body(5), edges=left_edges)
    right = part("0001-02", 1, 300, 740, body(5), edges=right_edges)
    b = part("0002-01", 2, 72, 300, body(3, 5), edges=tuple(x + 2 for x in right_edges))
    assert link_tables([left, right, b]) == [["0001-02", "0002-01"]]


def test_merged_cells_keep_their_spans_with_the_row_offset():
    a = part("0001-01", 1, 300, 740, body(3), header=HEADER)
    rows = [["Group", "1", "2", "3"], ["", "4", "5", "6"]]
    b = part("0002-01", 2, 72, 300, rows, header=HEADER, spans={(1, 0): (2, 1)})
    merged = merge_chain([a, b])
    group = next(c for c in merged.cells if c.text == "Group")
    assert (group.row, group.col, group.row_span, group.col_span) == (4, 0, 2, 1)
    assert not group.is_header
    assert merged.rows == 6 and merged.grid()[5] == ["", "4", "5", "6"]


def test_merge_chain_needs_tables():
    with pytest.raises(ValueError):
        merge_chain([])


def test_link_continuations_reads_a_result_document():
    a = part("0001-01", 1, 300, 740, body(10), header=HEADER)
    b = part("0002-01", 2, 72, 300, body(5, 10), header=HEADER)
    lone = part("0004-01", 4, 72, 300, body(5))
    result = {"tables": [t.to_dict() for t in (a, b, lone)], "page_results": []}
    assert link_continuations(result) == [["0001-01", "0002-01"]]
    (merged,) = merged_tables(result)
    assert merged.grid() == [HEADER] + body(15)
    assert link_continuations({"tables": []}) == []


def test_sample_document_has_no_continuation():
    # The sample's two tables: 5 columns on page 1 (ending mid-page), 4 on page 2.
    import json
    from pathlib import Path

    truth = json.loads((Path(__file__).resolve().parents[2] / "examples" / "sample.truth.json").read_text())
    tables = []
    for i, t in enumerate(truth["tables"]):
        columns = max(c["col"] + c["col_span"] for c in t["cells"])
        rows = max(c["row"] + c["row_span"] for c in t["cells"])
        cells = [Cell(c["row"], c["col"], c["row_span"], c["col_span"], c["text"], tuple(c["bbox"]), 1.0)
                 for c in t["cells"]]
        tables.append(Table(f"{t['page']:04d}-01", t["page"], tuple(t["bbox"]), W, H, rows, columns, 1.0, 1.0,
                            cells))
    assert link_tables(tables) == []
