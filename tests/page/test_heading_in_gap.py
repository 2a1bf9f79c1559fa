"""A heading set flush left over right-aligned figures, with no column rules: it stands in the
whitespace between two columns of figures and heads the one whose heading is otherwise empty."""

from __future__ import annotations

from doctables.grid.tokens import decode_grid
from doctables.model.layout import PageLayout, Rule, Word
from doctables.page.assemble import build_table

CHAR, SIZE = 5.0, 10.0


def _word(text: str, x0: float, y0: float) -> Word:
    return Word(text, (x0, y0, x0 + CHAR * len(text), y0 + SIZE))


def _right(text: str, x1: float, y0: float) -> Word:
    return _word(text, x1 - CHAR * len(text), y0)


def test_a_heading_in_the_gap_heads_the_column_with_no_heading():
    # Columns: Item (left), Price (figures ending at 250), VAT (figures ending at 330). The
    # "VAT" heading starts at 262, in the gap between 250 and the VAT figures (from 310).
    words = [_word("Item", 100, 100), _word("Price", 200, 100), _word("VAT", 262, 100)]
    rules = [Rule(95, 96, 335, 96), Rule(95, 114, 335, 114)]
    for r in range(5):
        y = 120 + 16 * r
        words += [_word(f"thing{r}", 100, y), _right(f"{r + 1}0.00", 250, y), _right("20%", 330, y)]
    # A model grid with the VAT boundary at 256 (the middle of the figures' gap is 280).
    col_edges, row_edges = [95, 190, 256, 335], [96, 116] + [118 + 16 * (r + 1) for r in range(5)]
    tokens, boxes = [], []
    for r in range(len(row_edges) - 1):
        tokens += ["<tr>"] + ["<td></td>"] * 3 + ["</tr>"]
        boxes += [(col_edges[c] + 1, row_edges[r] + 1, col_edges[c + 1] - 1, row_edges[r + 1] - 1) for c in range(3)]
    layout = PageLayout(page=1, width=600, height=800, rotation=0, dpi=72, image_width=600, image_height=800,
                        words=words, rules=rules)
    table = build_table(
        table_id="0001-01", layout=layout, region=(95, 96, 335, row_edges[-1]), logical=decode_grid(tokens),
        cell_boxes=boxes, cell_scores=[0.9] * len(boxes), detection_score=0.9, structure_score=0.8,
    )
    assert table is not None
    assert table.grid()[0] == ["Item", "Price", "VAT"]
    assert table.grid()[1] == ["thing0", "10.00", "20%"]
