"""The columns a page's text is set in (doctables.detect.page_columns), and the grid search
that goes column by column on a page set in columns of running text."""

from __future__ import annotations

from geometry_builders import figures_table, paragraph

from doctables.detect import regions
from doctables.detect.page_columns import page_columns
from doctables.model.layout import Word


def _moved(words: list[Word], dx: float) -> list[Word]:
    return [Word(w.text, (w.bbox[0] + dx, w.bbox[1], w.bbox[2] + dx, w.bbox[3]), w.line) for w in words]


def _two_column_page() -> tuple[list[Word], list[Word]]:
    """Paragraphs in a left column (40-267) and a right one (320-547) with a table (the
    right column's 380-620 ... its columns from 320) between its paragraphs."""
    left = paragraph(100, 30, x=40)
    table = _moved(figures_table(300, 6), 220)
    right = paragraph(100, 12, x=320) + table + paragraph(400, 12, x=320)
    return left, right


def test_a_page_of_two_columns_of_running_text_is_two_columns():
    left, right = _two_column_page()
    parts = page_columns(left + right)
    assert [sorted(map(id, p)) for p in parts] == [sorted(map(id, left)), sorted(map(id, right))]


def test_a_page_in_one_column_or_a_table_alone_is_one_column():
    words = paragraph(100, 10) + figures_table(300, 8) + paragraph(420, 10)
    assert len(page_columns(words)) == 1
    # A table filling the page has column gaps, but no running text beside them.
    assert len(page_columns(figures_table(100, 30))) == 1


def test_the_grid_in_one_column_of_a_two_column_page_is_found():
    """Read across the page, every line is two phrases side by side: the page is one
    block. Column by column, the table is a block of its own."""
    left, right = _two_column_page()
    blocks = regions.aligned_blocks(left + right)
    table = [w for w in right if 300 <= w.bbox[1] < 380]
    assert len(blocks) == 1
    x0, y0, x1, y1 = blocks[0]
    assert (x0, y0) == (min(w.bbox[0] for w in table), min(w.bbox[1] for w in table))
    assert (x1, y1) == (max(w.bbox[2] for w in table), max(w.bbox[3] for w in table))


def test_a_line_far_under_a_grid_is_no_row_of_its_block():
    """A page's footer (two phrases: a title and a page number) under a table, with blank
    space of several lines between: not part of the table's block."""
    from geometry_builders import line

    table = figures_table(300, 6)
    for gap in (4, 50):
        footer = line(380 + gap, ("Annex", 100), ("209", 320))
        (block,) = regions.aligned_blocks(table + footer)
        assert (block[3] > 380) == (gap == 4)
