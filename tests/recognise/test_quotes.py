"""Quotation marks and apostrophes of OCR'd text set as typeset text sets them
(doctables.recognise.quotes)."""

from __future__ import annotations

import pytest

from doctables.model.tables import Cell, CellWord, Table
from doctables.recognise.quotes import typographic, typographic_quotes


@pytest.mark.parametrize(
    ("read", "typeset"),
    [
        ("(RMB'000)", "(RMB\u2019000)"),
        ("Don't know", "Don\u2019t know"),
        ("policyholders' account", "policyholders\u2019 account"),
        ("'Contact us' feature", "\u2018Contact us\u2019 feature"),
        ('the "Help" page', "the \u201cHelp\u201d page"),
        ("('Help')", "(\u2018Help\u2019)"),
        ("5' 10\"", "5' 10\""),  # feet and inches stay
        ("' alone", "' alone"),
        ("no marks", "no marks"),
    ],
)
def test_straight_marks_become_the_typographic_marks_their_place_calls_for(read, typeset):
    assert typographic(read) == typeset


def test_a_table_gets_typographic_marks_in_its_cells_and_their_words():
    cell = Cell(0, 0, 1, 1, "Don't", (0, 0, 10, 10), 0.9, words=[CellWord("Don't", (0, 0, 10, 10), 0.9)])
    other = Cell(0, 1, 1, 1, "12", (10, 0, 20, 10), 0.9, words=[CellWord("12", (10, 0, 20, 10), 0.9)])
    table = Table("0001-01", 1, (0, 0, 20, 10), 612.0, 792.0, 1, 2, 0.9, 0.9, [cell, other])
    done = typographic_quotes(table)
    assert [c.text for c in done.cells] == ["Don\u2019t", "12"]
    assert done.cells[0].words[0].text == "Don\u2019t"
