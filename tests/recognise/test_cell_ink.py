"""Empty cells of a table read from an image whose mark text detection passed over: the
mark is read alone (doctables.recognise.cell_ink), with the real recogniser."""

from __future__ import annotations

import numpy as np
import pymupdf

from doctables.model.tables import Cell, CellWord, Table
from doctables.recognise import cell_ink
from doctables.recognise.cell_ink import read_empty_cells
from doctables.recognise.ocr_models import load_ocr_models
from doctables.settings import Settings

SCALE = 2.0  # pixels a point


def _page_image(draw) -> np.ndarray:
    """A 300 x 120 pt page drawn by `draw(page)`, rendered at 144 dpi."""
    document = pymupdf.open()
    page = document.new_page(width=300, height=120)
    draw(page)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(SCALE, SCALE))
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[..., :3].copy()


def _cell(col: int, text: str = "", x0: float = 0.0) -> Cell:
    bbox = (20.0 + 80 * col, 40.0, 100.0 + 80 * col, 70.0)
    words = [CellWord(text, (x0, 50.0, x0 + 30, 62.0))] if text else []
    return Cell(0, col, 1, 1, text, bbox, 0.9, words=words)


def _table(cells: list[Cell]) -> Table:
    return Table("0001-01", 1, (20.0, 40.0, 260.0, 70.0), 300.0, 120.0, 1, len(cells), 0.9, 0.9, cells)


def test_a_lone_figure_and_a_nil_dash_in_empty_cells_are_read():
    def draw(page):
        page.insert_text((30, 60), "Total", fontsize=11)
        page.insert_text((135, 60), "7", fontsize=11)
        page.draw_line((212, 55), (222, 55), width=1.2)  # a dash for nil, drawn

    table = _table([_cell(0, "Total", 30), _cell(1), _cell(2)])
    found = read_empty_cells(table, _page_image(draw), 1 / SCALE, load_ocr_models(Settings()))
    assert [c.text for c in found.cells] == ["Total", "7", "\u2014"]  # a bar nearly an em long
    (word,) = found.cells[1].words
    assert 130 <= word.bbox[0] < word.bbox[2] <= 145  # the mark's own box, in points


def test_a_dash_for_nil_is_the_dash_its_length_says():
    def draw(page):
        page.insert_text((30, 60), "Total", fontsize=11)
        page.draw_line((136, 56), (139.5, 56), width=0.8)  # a hyphen's length (a third of an em)
        page.draw_line((216, 56), (222, 56), width=0.8)  # an en dash's (half an em)

    table = _table([_cell(0, "Total", 30), _cell(1), _cell(2)])
    found = read_empty_cells(table, _page_image(draw), 1 / SCALE, load_ocr_models(Settings()))
    assert [c.text for c in found.cells] == ["Total", "-", "\u2013"]


def test_blank_cells_rules_and_a_neighbours_overflowing_text_stay_empty():
    def draw(page):
        page.insert_text((30, 60), "A label running on past its cell", fontsize=11)
        page.draw_line((180, 20), (180, 100), width=0.8)  # a column rule down the table
        page.draw_line((180, 52), (260, 52), width=0.8)  # and one across it
        page.draw_line((190, 66), (250, 66), width=0.8)  # an underline: a rule, not a dash

    table = _table([_cell(0, "A label running on past its cell", 30), _cell(1), _cell(2)])
    # The label's words, as the grid found them (fitted to their ink), run on into the second cell.
    label = "A label running on past its cell"
    end = 30.0 + pymupdf.get_text_length(label, fontsize=11)
    table.cells[0].words = [CellWord(label, (30.0, 50.0, end, 62.0))]
    found = read_empty_cells(table, _page_image(draw), 1 / SCALE, load_ocr_models(Settings()))
    assert [c.text for c in found.cells][1:] == ["", ""]


def test_a_square_root_sign_alone_in_a_cell_is_a_tick():
    cells = [_cell(0, "Hedging", 30), _cell(1, "\u221a", 130), _cell(2, "\u221a2", 210)]
    found = read_empty_cells(_table(cells), _page_image(lambda page: None), 1 / SCALE, load_ocr_models(Settings()))
    assert [c.text for c in found.cells] == ["Hedging", "\u2713", "\u221a2"]
    assert found.cells[1].words[0].text == "\u2713"


def test_a_table_is_read_at_most_its_budget_of_marks_row_by_row(monkeypatch):
    def draw(page):
        page.insert_text((135, 60), "7", fontsize=11)
        page.insert_text((215, 60), "8", fontsize=11)

    monkeypatch.setattr(cell_ink, "_MAX_MARKS", 1)
    table = _table([_cell(0, "Total", 30), _cell(1), _cell(2)])
    found = read_empty_cells(table, _page_image(draw), 1 / SCALE, load_ocr_models(Settings()))
    assert [c.text for c in found.cells] == ["Total", "7", ""]
