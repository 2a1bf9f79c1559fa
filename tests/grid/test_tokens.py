"""Decoding the structure model's HTML tokens into logical cells."""

from doctables.grid.tokens import LogicalCell, decode_grid


def _cells(tokens):
    return [(c.row, c.col, c.row_span, c.col_span) for c in decode_grid(tokens)]


def test_plain_rows_and_columns():
    tokens = ["<tr>", "<td></td>", "<td></td>", "</tr>", "<tr>", "<td></td>", "<td></td>", "</tr>"]
    assert _cells(tokens) == [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]


def test_colspan_moves_the_next_cell_right():
    tokens = ["<tr>", "<td", ' colspan="2"', ">", "</td>", "<td></td>", "</tr>"]
    assert _cells(tokens) == [(0, 0, 1, 2), (0, 2, 1, 1)]


def test_rowspan_reserves_the_slot_below():
    tokens = [
        "<tr>", "<td", ' rowspan="2"', ">", "</td>", "<td></td>", "</tr>",
        "<tr>", "<td></td>", "</tr>",
    ]
    # The second row's only cell lands in column 1: column 0 is covered from above.
    assert _cells(tokens) == [(0, 0, 2, 1), (0, 1, 1, 1), (1, 1, 1, 1)]


def test_both_spans_on_one_cell():
    tokens = [
        "<tr>", "<td", ' rowspan="2"', ' colspan="2"', ">", "</td>", "<td></td>", "</tr>",
        "<tr>", "<td></td>", "</tr>",
    ]
    assert _cells(tokens) == [(0, 0, 2, 2), (0, 2, 1, 1), (1, 2, 1, 1)]


def test_thead_marks_header_cells_only():
    tokens = [
        "<thead>", "<tr>", "<td></td>", "</tr>", "</thead>",
        "<tbody>", "<tr>", "<td></td>", "</tr>", "</tbody>",
    ]
    cells = decode_grid(tokens)
    assert [c.in_header for c in cells] == [True, False]


def test_indices_follow_cell_tokens():
    tokens = ["<tr>", "<td></td>", "<td", ' colspan="3"', ">", "</td>", "<td></td>", "</tr>"]
    assert [c.index for c in decode_grid(tokens)] == [0, 1, 2]


def test_stream_cut_off_inside_a_cell_keeps_that_cell():
    tokens = ["<tr>", "<td></td>", "<td", ' colspan="2"']
    assert _cells(tokens) == [(0, 0, 1, 1), (0, 1, 1, 2)]


def test_rowspan_past_the_last_row_is_clipped():
    tokens = ["<tr>", "<td", ' rowspan="5"', ">", "</td>", "<td></td>", "</tr>", "<tr>", "<td></td>", "</tr>"]
    cells = decode_grid(tokens)
    assert cells[0] == LogicalCell(0, 0, 0, 2, 1, False)


def test_cell_before_any_row_token_goes_to_row_zero():
    assert _cells(["<td></td>", "<td></td>"]) == [(0, 0, 1, 1), (0, 1, 1, 1)]


def test_zero_span_counts_as_one():
    tokens = ["<tr>", "<td", ' colspan="0"', ">", "</td>", "<td></td>", "</tr>"]
    assert _cells(tokens) == [(0, 0, 1, 1), (0, 1, 1, 1)]


def test_empty_stream():
    assert decode_grid([]) == []
