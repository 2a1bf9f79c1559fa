"""A nil mark's long dash read as the CJK numeral one.

The recogniser's alphabet holds Chinese and Latin text, and a long flat stroke standing alone
in a cell (the em dash a table sets for nil) it reads as "一" about as often as as a dash.
In a table whose other cells hold no CJK text that reading is the dash: it is written as the
em dash, the long one. (In a table of Chinese text "一" is left as read.)"""

from __future__ import annotations

import re
from dataclasses import replace

from doctables.model.tables import Table

_ONE = "\u4e00"
_EM_DASH = "\u2014"
# CJK unified ideographs (with extension A) and compatibility ideographs.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def nil_dashes(table: Table) -> Table:
    """A table read with OCR with each cell that is only "一" written as an em dash, when no
    other cell of it holds CJK text."""
    lone = [c.text.strip() == _ONE for c in table.cells]
    if not any(lone) or any(_CJK.search(c.text) for c, alone in zip(table.cells, lone) if not alone):
        return table
    cells = [
        replace(c, text=c.text.replace(_ONE, _EM_DASH), words=[replace(w, text=w.text.replace(_ONE, _EM_DASH))
                                                                for w in c.words])
        if alone else c
        for c, alone in zip(table.cells, lone)
    ]
    return replace(table, cells=cells)
