"""A nil mark's long dash read as the CJK numeral one (doctables.recognise.dashes)."""

from __future__ import annotations

from doctables.model.tables import Cell, CellWord, Table
from doctables.recognise.dashes import nil_dashes


def _table(*texts: str) -> Table:
    cells = [
        Cell(0, k, 1, 1, text, (10.0 * k, 0, 10.0 * k + 10, 10), 0.9, words=[CellWord(text, (10.0 * k, 0, 10.0 * k + 10, 10), 0.9)])
        for k, text in enumerate(texts)
    ]
    return Table("0001-01", 1, (0, 0, 10.0 * len(texts), 10), 612.0, 792.0, 1, len(texts), 0.9, 0.9, cells)


def test_a_lone_one_among_latin_cells_is_the_em_dash_of_a_nil_cell():
    done = nil_dashes(_table("Total", "1,204", "\u4e00", "n/a"))
    assert [c.text for c in done.cells] == ["Total", "1,204", "\u2014", "n/a"]
    assert done.cells[2].words[0].text == "\u2014"


def test_in_a_table_of_chinese_text_the_one_is_left_as_read():
    table = _table("\u6301\u80a1\u6bd4\u4f8b", "\u4e00", "12")
    assert nil_dashes(table) is table
