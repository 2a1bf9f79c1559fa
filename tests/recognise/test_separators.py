"""Thousands separators made consistent down a column of figures read with OCR."""

from __future__ import annotations

from doctables.model.tables import Cell, CellWord, Table
from doctables.recognise.separators import consistent_currency, consistent_separators


def _table(columns: list[list[str]]) -> Table:
    box = (0.0, 0.0, 1.0, 1.0)
    cells = [
        Cell(r, c, 1, 1, text, box, 0.9, words=[CellWord(t, box) for t in text.split()])
        for c, texts in enumerate(columns)
        for r, text in enumerate(texts)
    ]
    return Table("0001-01", 1, (0.0, 0.0, 1.0, 1.0), 10.0, 10.0, len(columns[0]), len(columns), 0.9, 0.9, cells)


def texts(table: Table, col: int) -> list[str]:
    return [c.text for c in table.cells if c.col == col]


def test_a_figure_misread_with_the_other_separator_takes_its_columns():
    table = consistent_separators(_table([
        ["606,451", "131,176", "301.398", "(1.039.025)", "883,039", "1,277,028", "0.125"],
        ["1.234,5", "2.345,6", "3,456,7", "$ 4.567", "91,258", "x", "12.5"],
    ]))
    # Commas group the first column's thousands: the full stops grouping them were misread
    # (a fraction, "0.125", is no grouped figure).
    assert texts(table, 0) == ["606,451", "131,176", "301,398", "(1,039,025)", "883,039", "1,277,028", "0.125"]
    # The second groups with full stops (1.234,5): its one comma-grouped figure follows them.
    assert texts(table, 1) == ["1.234,5", "2.345,6", "3,456,7", "$ 4.567", "91.258", "x", "12.5"]
    assert [w.text for c in table.cells if c.row == 4 and c.col == 1 for w in c.words] == ["91.258"]


def test_a_column_without_a_clear_majority_is_left_as_read():
    table = _table([["1,234", "5.678", "9,012", "3.456"]])
    assert texts(consistent_separators(table), 0) == ["1,234", "5.678", "9,012", "3.456"]


def test_a_small_dollar_sign_misread_takes_its_columns_sign():
    table = consistent_currency(_table([
        ["$ 1,498", "(301)", "5 986", "s (174)", "5", "S 12"],
        ["$", "", "5", "s", "$", ""],
        ["5 986", "5", "12", "", "", ""],
    ]))
    # A column with "$ 1,498": a look-alike before a figure is the sign; a lone "5" is a figure.
    assert texts(table, 0) == ["$ 1,498", "(301)", "$ 986", "$ (174)", "5", "$ 12"]
    assert [c.words[0].text for c in table.cells if c.col == 0 and c.words][2] == "$"
    # A column of lone signs: its lone look-alikes are signs.
    assert texts(table, 1) == ["$", "", "$", "$", "$", ""]
    # No sign anywhere in the column: "5 986" is a figure with a space grouping thousands.
    assert texts(table, 2) == ["5 986", "5", "12", "", "", ""]
