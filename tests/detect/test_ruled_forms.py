"""Born-digital ruled tables and forms, drawn here with PyMuPDF and read through the real
conversion (words and rules from the PDF): the PDF's own rules decide regions and grids
where they draw a clean grid; a watermark set across the page is not cell text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymupdf

from geometry_builders import line

from doctables.convert.render import extract_words, render_page
from doctables.detect import lattice, regions
from doctables.geometry import centre_in
from doctables.grid import refine
from doctables.grid.tokens import decode_grid
from doctables.model.layout import PageLayout, Rule
from doctables.page.assemble import build_table

SIZE = 9.0


def _ruled_table(page: pymupdf.Page, x0: float, y0: float, widths: list[float], rows: list[list[str]],
                 height: float = 2 * SIZE) -> tuple[list[float], list[float]]:
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [y0 + k * height for k in range(len(rows) + 1)]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]), width=0.6)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 3, ys[r] + 0.5 * height + 0.35 * SIZE), text, fontsize=SIZE)
    return xs, ys


def _layout(page: pymupdf.Page) -> PageLayout:
    return render_page(page, 1, 72).layout


@dataclass
class _Detection:
    box: tuple
    score: float
    label: str = "table"


class _Detector:
    """A detector double: one table region (in pixels of the 72 dpi rendering = points)."""

    threshold = 0.5

    def __init__(self, *boxes):
        self.boxes = boxes

    def detect(self, image):
        return [_Detection(b, 0.9) for b in self.boxes]


def _rows(n: int, tag: str) -> list[list[str]]:
    return [["Bracket", "Rate", "Amount"]] + [[f"{tag}{k}", f"{k + 3}%", f"{k * 1234 + 17:,}.00"] for k in range(n)]


def test_side_by_side_ruled_tables_in_one_region_stay_apart():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    left_xs, left_ys = _ruled_table(page, 50, 100, [110, 60, 80], _rows(6, "a"))
    # A gutter of a few points between the two tables' rules, narrower than a column gap.
    right_xs, _ = _ruled_table(page, left_xs[-1] + 5, 100, [110, 60, 80], _rows(6, "b"))
    layout = _layout(page)
    image = np.full((792, 612, 3), 255, dtype=np.uint8)
    found = regions.find_regions(image, layout, _Detector((45, 95, right_xs[-1] + 5, left_ys[-1] + 5)))
    assert len(found) == 2
    assert found[0].box[2] <= left_xs[-1] + 1 < right_xs[0] - 1 <= found[1].box[0]


def test_a_region_cutting_a_ruled_table_takes_it_in_whole():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs, ys = _ruled_table(page, 50, 100, [110, 60, 80], _rows(8, "a"))
    layout = _layout(page)
    image = np.full((792, 612, 3), 255, dtype=np.uint8)
    # The model's box stops two rows short of the table's bottom.
    found = regions.find_regions(image, layout, _Detector((45, 95, xs[-1] + 5, ys[-3])))
    assert len(found) == 1
    assert found[0].box[3] >= ys[-1]


def test_the_rules_give_the_rows_under_a_stub_heading_set_across_two_of_them():
    # A two-level heading: the stub's heading is centred over both heading rows, so its text
    # line joins theirs; the rules still part the group headings from the ones under them.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs = [50, 120, 180, 240, 300, 360]
    ys = [100 + 14 * k for k in range(8)]
    for k, y in enumerate(ys):
        page.draw_line((xs[1] if k == 1 else xs[0], y), (xs[-1], y), width=0.6)
    for k, x in enumerate(xs):
        page.draw_line((x, ys[1] if k in (2, 4) else ys[0]), (x, ys[-1]), width=0.6)
    page.insert_text((53, (ys[0] + ys[2]) / 2 + 2.5), "Radius", fontsize=7)
    page.insert_text((130, ys[0] + 9.5), "Boom 40", fontsize=7)
    page.insert_text((250, ys[0] + 9.5), "Boom 60", fontsize=7)
    for c in range(1, 5):
        page.insert_text((xs[c] + 3, ys[1] + 9), "front" if c % 2 else "side", fontsize=5.5)
    for r in range(2, 7):
        page.insert_text((53, ys[r] + 9.5), str(10 * r), fontsize=7)
        for c in range(1, 5):
            page.insert_text((xs[c] + 3, ys[r] + 9.5), f"{r * 100 + c}", fontsize=7)
    layout = _layout(page)
    # A model that saw the two heading rows as one, with a cell over each group.
    row_edges = [ys[0], ys[2], *ys[3:]]
    tokens = ["<tr>", "<td></td>", "<td", ' colspan="2"', ">", "</td>", "<td", ' colspan="2"', ">", "</td>", "</tr>"]
    boxes = [(xs[0] + 1, ys[0] + 1, xs[1] - 1, ys[2] - 1), (xs[1] + 1, ys[0] + 1, xs[3] - 1, ys[2] - 1),
             (xs[3] + 1, ys[0] + 1, xs[5] - 1, ys[2] - 1)]
    for r in range(1, len(row_edges) - 1):
        tokens += ["<tr>"] + ["<td></td>"] * 5 + ["</tr>"]
        boxes += [(xs[c] + 1, row_edges[r] + 1, xs[c + 1] - 1, row_edges[r + 1] - 1) for c in range(5)]
    logical = decode_grid(tokens)
    grids = lattice.ruled_tables(layout.rules, layout.words, layout.width, layout.height)
    table = build_table(
        table_id="0001-01", layout=layout, region=(45, 95, 365, ys[-1] + 4), logical=logical, cell_boxes=boxes,
        cell_scores=[0.9] * len(boxes), detection_score=0.9, structure_score=0.8, grids=grids,
    )
    assert (table.rows, table.columns) == (7, 5)
    grid = table.grid()
    assert grid[0][1] == "Boom 40" and grid[1][1] == "front" and grid[1][2] == "side"
    stub = next(c for c in table.cells if c.row == 0 and c.col == 0)
    assert (stub.row_span, stub.text) == (2, "Radius")
    group = next(c for c in table.cells if c.row == 0 and c.col == 3)
    assert group.col_span == 2


def test_a_ruled_row_holding_several_records_is_no_clean_grid():
    # Rules only around the heading and the body: the body's lines are records the rules do
    # not part, so the rules alone do not give the rows.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs = [50, 150, 220, 300]
    ys = [100, 118, 118 + 6 * 14]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]), width=0.6)
    page.insert_text((53, 112), "Name", fontsize=SIZE)
    page.insert_text((153, 112), "2011", fontsize=SIZE)
    page.insert_text((223, 112), "2012", fontsize=SIZE)
    for k in range(6):
        y = 118 + 14 * k + 10
        page.insert_text((53, y), f"item{k}", fontsize=SIZE)
        page.insert_text((153, y), f"{k}.5", fontsize=SIZE)
        page.insert_text((223, y), f"{k}.7", fontsize=SIZE)
    layout = _layout(page)
    grids = lattice.ruled_tables(layout.rules, layout.words, layout.width, layout.height)
    assert len(grids) == 1
    unit = refine.median_height(layout.words)
    assert lattice.table_grid(grids, grids[0].box, layout.words, [], [], unit) is None


def test_a_watermark_across_the_page_is_not_read_as_text():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _ruled_table(page, 50, 100, [110, 60, 80], _rows(12, "a"))
    page.insert_text((150, 300), "CONFIDENTIAL", fontsize=40, color=(0.8, 0.8, 0.8),
                     morph=(pymupdf.Point(300, 250), pymupdf.Matrix(-40)))
    page.insert_text((400, 300), "Side note", fontsize=SIZE, rotate=90)
    texts = [w.text for w in extract_words(page)]
    assert "CONFIDENTIAL" not in texts
    assert "a11" in texts and "note" in texts


def test_a_region_taking_in_an_address_and_a_caption_is_cut_to_its_ruled_table():
    # An invoice: the model's box runs from the address over the line items to the note
    # under them; the rules draw the table.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for k, text in enumerate(["Northwind Traders", "4 Harbour Lane", "Bristol BS1 5TT"]):
        page.insert_text((50, 80 + 12 * k), text, fontsize=SIZE)
    page.insert_text((50, 130), "Invoice no. 2291 of 03.12.2026", fontsize=SIZE)
    xs, ys = _ruled_table(page, 50, 150, [110, 60, 80], _rows(8, "a"))
    page.insert_text((50, ys[-1] + 14), "Net amount: 496,00", fontsize=SIZE)
    layout = _layout(page)
    image = np.full((792, 612, 3), 255, dtype=np.uint8)
    found = regions.find_regions(image, layout, _Detector((45, 68, xs[-1] + 5, ys[-1] + 20)))
    assert len(found) == 1
    box = found[0].box
    assert abs(box[1] - ys[0]) < 1 and abs(box[3] - ys[-1]) < 1
    # The structure model still reads the crop of the model's own box.
    assert found[0].crop is not None and found[0].crop[1] <= 68 + 1e-6


def _grid_of(page: pymupdf.Page, region: tuple) -> lattice.Lattice | None:
    layout = _layout(page)
    grids = lattice.ruled_tables(layout.rules, layout.words, layout.width, layout.height)
    words = [w for w in layout.words if centre_in(w.bbox, region)]
    horizontal = [(r.y0, r.x0, r.x1) for r in layout.rules if r.horizontal]
    vertical = [(r.x0, r.y0, r.y1) for r in layout.rules if not r.horizontal]
    return lattice.table_grid(grids, region, words, horizontal, vertical, refine.median_height(words))


def test_a_short_stroke_inside_a_cell_is_no_column_line():
    # The edge of a highlight inside one cell: a vertical stroke a third of the cell high,
    # hanging from a row rule.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs, ys = _ruled_table(page, 50, 100, [110, 60, 80], _rows(5, "a"))
    page.draw_line((140, ys[3]), (140, ys[3] + 6), width=0.6)
    grid = _grid_of(page, (48, 98, xs[-1] + 2, ys[-1] + 2))
    assert grid is not None
    assert len(grid.xs) == 4 and len(grid.ys) == len(ys)


def test_a_white_gap_between_shaded_cells_is_one_column_line():
    # Two strokes a few points apart (the edges of neighbouring shadings) part the columns
    # once; a heading running over both columns may cross them.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs = [50, 160, 164, 240, 320]
    ys = [100 + 18 * k for k in range(6)]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    for x in xs:
        page.draw_line((x, ys[0] if x in (xs[0], xs[-1]) else ys[1]), (x, ys[-1]), width=0.6)
    page.insert_text((120, 112), "Release thresholds", fontsize=SIZE)
    for r in range(1, 5):
        page.insert_text((53, ys[r] + 12), f"substance{r}", fontsize=SIZE)
        page.insert_text((167, ys[r] + 12), f"{r}00", fontsize=SIZE)
        page.insert_text((243, ys[r] + 12), f"{r}0", fontsize=SIZE)
    grid = _grid_of(page, (48, 98, 322, ys[-1] + 2))
    assert grid is not None
    assert len(grid.xs) == 4


def test_a_region_cut_short_takes_in_the_rows_but_not_a_title_in_the_box():
    # A ruled box whose first row is the table's title, set across all the columns; the
    # model's box starts under the title and stops two rows short of the bottom.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs = [50, 160, 230, 310]
    ys = [100 + 18 * k for k in range(10)]
    for k, y in enumerate(ys):
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    page.draw_line((xs[0], ys[0]), (xs[0], ys[-1]), width=0.6)
    page.draw_line((xs[-1], ys[0]), (xs[-1], ys[-1]), width=0.6)
    for x in xs[1:-1]:
        page.draw_line((x, ys[1]), (x, ys[-1]), width=0.6)
    page.insert_text((60, 112), "Exhibit 9: rates of the three periods", fontsize=SIZE)
    for r, row in enumerate(_rows(8, "a")):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 3, ys[r + 1] + 12), text, fontsize=SIZE)
    layout = _layout(page)
    image = np.full((792, 612, 3), 255, dtype=np.uint8)
    found = regions.find_regions(image, layout, _Detector((45, ys[1] - 3, xs[-1] + 5, ys[-3])))
    assert len(found) == 1
    box = found[0].box
    assert box[3] >= ys[-1] - 1 and box[1] > ys[0] + 5


def test_heading_lines_drawn_apart_over_a_ruled_body_stay_with_it():
    # The heading is set above the ruled body, a few points apart from its top rule.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for k, text in enumerate(["Company address line", "Street 12", "Town"]):
        page.insert_text((50, 60 + 12 * k), text, fontsize=SIZE)
    xs, ys = _ruled_table(page, 50, 130, [110, 60, 80], [r for r in _rows(8, "a")][1:])
    for c, text in enumerate(["Bracket", "Rate", "Amount"]):
        page.insert_text((xs[c] + 3, 124), text, fontsize=SIZE)
    layout = _layout(page)
    image = np.full((792, 612, 3), 255, dtype=np.uint8)
    found = regions.find_regions(image, layout, _Detector((45, 50, xs[-1] + 5, ys[-1] + 4)))
    assert len(found) == 1
    assert 100 < found[0].box[1] < 118


def test_a_row_rule_missed_on_an_image_leaves_two_records_out_of_the_lattice():
    """Rules read off a low-resolution scan miss one row's rule: the lattice's row then holds
    two lines of cells side by side. In a PDF that is a box of two lines (a form's label
    over its value) and the lattice stands; off an image it is two records, and the grid is
    left to the text (no lattice)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    rows = [["Country", "Amount"], ["Egypt", "6.60"], ["Jordan", "4.20"], ["Lebanon", "2.57"], ["Syria", "33.42"]]
    xs, ys = _ruled_table(page, 50, 100, [110, 80], rows)
    layout = _layout(page)
    missed = [r for r in layout.rules if not (r.horizontal and abs(r.y0 - ys[2]) < 1)]
    words = [w for w in layout.words if centre_in(w.bbox, (48, 98, xs[-1] + 2, ys[-1] + 2))]
    grids = lattice.ruled_tables(missed, words, layout.width, layout.height)
    horizontal = [(r.y0, r.x0, r.x1) for r in missed if r.horizontal]
    vertical = [(r.x0, r.y0, r.y1) for r in missed if not r.horizontal]
    unit = refine.median_height(words)
    region = (48, 98, xs[-1] + 2, ys[-1] + 2)
    kept = lattice.table_grid(grids, region, words, horizontal, vertical, unit)
    assert kept is not None and len(kept.ys) == len(ys) - 1
    assert lattice.table_grid(grids, region, words, horizontal, vertical, unit, read_off_image=True) is None


def test_wrapped_cells_centred_in_a_tall_ruled_row_off_an_image_keep_the_lattice():
    """A ruled row whose cells wrap over different numbers of lines, each centred in its box
    (a bond's issuer over three lines, amounts wrapped "100,00" / "0"), as OCR boxes them:
    the lines of the two-line cells have a one-line cell's line between them, so they are
    one row's wrapped cells, not two records, and the lattice stands off an image too."""
    xs, ys = [50, 140, 200, 245, 290], [100, 118, 186]
    rules = [Rule(xs[0], y, xs[-1], y) for y in ys] + [Rule(x, ys[0], x, ys[-1]) for x in xs]
    words = line(104, ("Issuer", 53), ("Bank", 143), ("Amount", 203), ("Balance", 248), size=9)
    for c, lines in ((0, ["Nanjing", "Hi-tech", "Group"]), (1, ["ICBC"]), (2, ["100,00", "0"]), (3, ["100,00", "0"])):
        first = 152 - 20 * (len(lines) - 1) / 2 - 4.5  # lines 20 pt apart, as a Chinese form's
        for k, text in enumerate(lines):
            words += line(first + 20 * k, (text, xs[c] + 3), size=9)
    grids = lattice.ruled_tables(rules, words, 612, 792)
    horizontal = [(r.y0, r.x0, r.x1) for r in rules if r.horizontal]
    vertical = [(r.x0, r.y0, r.y1) for r in rules if not r.horizontal]
    region = (48, 98, 292, 188)
    kept = lattice.table_grid(grids, region, words, horizontal, vertical, 9.0, read_off_image=True)
    assert kept is not None and len(kept.ys) == 3 and len(kept.xs) == 5
    # Two lines side by side with nothing between them are two records (a missed rule).
    records = words[:4] + line(137.5, ("Egypt", 53), ("6.60", 203), ("7.10", 248), size=9)
    records += line(157.5, ("Jordan", 53), ("4.20", 203), ("5.00", 248), size=9)
    grids = lattice.ruled_tables(rules, records, 612, 792)
    assert lattice.table_grid(grids, region, records, horizontal, vertical, 9.0, read_off_image=True) is None
