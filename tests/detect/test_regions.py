"""Where the tables of a page are (doctables.detect.regions), on constructed pages: the grid
test, aligned blocks of words, stacked tables, regions grown by the rows they cut off, and
the detector's regions checked and completed (a detector double, no model)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from geometry_builders import CHAR, SIZE, figures_table, lattice_rules, line, page, paragraph, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.detect import regions
from doctables.geometry import union_box
from doctables.grid import refine
from doctables.model.layout import Rule, Word
from doctables.recognise.marks import unread_marks

FAST = settings(max_examples=50, deadline=None)
IMAGE = np.zeros((800, 600, 3), np.uint8)

GRID = figures_table(300, 6)  # lines at 300 .. 370, columns at 100, 200, 260, 320; ends at 340
GRID_BOX = (100, 300, 340.0, 380.0)


@dataclass
class Detection:
    box: tuple
    score: float


class Detector:
    """A detector double without the layout model: its table regions come from detect()."""

    threshold = 0.5

    def __init__(self, *boxes, score: float = 0.9):
        self.boxes, self.score = boxes, score

    def detect(self, image):
        return [Detection(b, self.score) for b in self.boxes]


class LayoutDetector:
    """A double of the layout model: regions by label, each (box, score)."""

    threshold = 0.5

    def __init__(self, found: dict[str, list[tuple[tuple, float]]]):
        self.found = found
        self.asked: list = []

    def detect_regions(self, image, labels, threshold):
        self.asked.append((labels, threshold))
        return {label: [Detection(b, s) for b, s in self.found.get(label, []) if s >= threshold] for label in labels}


# ------------------------------------------------------------------------------ words in


def test_refine_words_keeps_words_centred_inside_and_drops_leaders():
    words = line(100, ("a ........ b", 100)) + [word("out", 90, 100), word("edge", 96, 100)]
    kept = regions.refine_words(words, (100, 95, 200, 115))
    assert [w.text for w in kept] == ["a", "b", "edge"]  # "edge" is centred at 106


# ----------------------------------------------------------------------------- grid test


def test_a_grid_of_short_texts_looks_tabular():
    assert regions.looks_tabular(GRID, (95, 295, 360, 385))


def test_running_text_does_not_look_tabular():
    assert not regions.looks_tabular(paragraph(100, 8), (95, 95, 400, 200))


def test_too_few_words_or_lines_do_not_look_tabular():
    assert not regions.looks_tabular(GRID[:5], (95, 295, 360, 385))
    two_lines = figures_table(300, 2)
    assert len(two_lines) == 8 and not regions.looks_tabular(two_lines, (95, 295, 360, 330))


def test_chart_axis_labels_do_not_look_tabular():
    words = []
    for r, value in enumerate(("0.35", "0.30", "0.25", "0.20", "0.15", "0.10")):
        words += line(100 + 30 * r, (value, 100))
    words += line(290, ("2004", 150), ("2005", 220), ("2006", 290), ("2007", 360))
    assert not regions.looks_tabular(words, (95, 95, 400, 305))


def test_long_phrases_in_columns_do_not_look_tabular():
    words = []
    for r in range(5):
        words += line(100 + 14 * r, ("one two three four", 100), ("five six seven eight", 300))
    assert not regions.looks_tabular(words, (95, 95, 420, 170))


def test_long_labels_beside_figures_look_tabular():
    labels = (
        "contact us feature on the page",
        "search feature of each portal",
        "audio or video contents shown",
        "a site map or an index",
        "advanced search options such as filters",
        "help feature or a questions section",
    )
    words = []
    for r, (label, figure) in enumerate(zip(labels, ("185", "168", "148", "131", "101", "89"))):
        words += line(100 + 14 * r, (label, 100), (figure, 330))
    assert len(words) > regions._MAX_WORDS_PER_PHRASE * 2 * len(labels)  # over three words a phrase in all
    assert regions.looks_tabular(words, (95, 95, 360, 190))


def test_a_long_label_running_past_a_column_edge_is_still_the_stub():
    # A stray gap in the labels put a column edge at 250: the labels start in the stub
    # column and run past it, beside their figures.
    labels = ("open university education for all the adult learners", "other education of the people in the work")
    words = []
    for r in range(6):
        words += line(100 + 14 * r, (labels[r % 2], 100), (str(100 + r), 360), (str(50 + r), 400))
    bands = refine.text_bands(words, SIZE)
    edges = [95, 250, 350, 390, 420]
    assert regions._short_phrases(words, bands, edges, SIZE)
    prose = paragraph(100, 6)
    assert not regions._short_phrases(prose, refine.text_bands(prose, SIZE), edges, SIZE)


def test_long_items_after_bullets_or_numbers_in_prose_do_not_look_tabular():
    bullets, numbered = [], []
    for r in range(6):
        bullets += line(100 + 14 * r, ("•", 100), ("one two three four five six", 130))
        numbered += line(100 + 14 * r, ("one two three four", 100), ("five six 2019 and eight more", 300))
    assert not regions.looks_tabular(bullets, (95, 95, 360, 190))
    assert not regions.looks_tabular(numbered, (95, 95, 460, 190))


# ------------------------------------------------------------------------- aligned blocks


def test_an_aligned_block_between_paragraphs_is_the_grid():
    words = paragraph(200, 4) + GRID + paragraph(400, 4)
    assert regions.aligned_blocks(words) == [GRID_BOX]


def test_no_aligned_block_in_running_text_or_an_empty_page():
    assert regions.aligned_blocks(paragraph(100, 8)) == []
    assert regions.aligned_blocks([]) == []
    assert regions.aligned_blocks(figures_table(300, 2)) == []  # two lines: under the grid test's three


def test_a_bulleted_list_is_no_block_however_far_its_items_stand_from_their_bullets():
    # Short items set well right of their bullets, and under them a justified line read in
    # pieces: a list and a paragraph, no grid.
    words = []
    for r, item in enumerate(("degrees,", "basic studies", "work experience", "special activities.")):
        words += line(100 + 14 * r, ("•", 100), (item, 116))
    words += line(156, ("In", 100), ("vocational", 120), ("teacher", 185), ("colleges (several", 250))
    assert regions.aligned_blocks(words) == []
    # Marks in the cells of a row, after its label, are cells all the same.
    ticks = []
    for r, label in enumerate(("Fast", "Cheap", "Open", "Local")):
        ticks += line(100 + 14 * r, (label, 100), ("•", 200), ("•", 260))
    assert len(regions.aligned_blocks(ticks)) == 1


def test_lines_running_across_a_gap_are_paragraphs_not_a_column_beside_a_table():
    # Paragraph lines ending in figures, their word spaces lined up at x=218.5 (one line has
    # a word over it): the lines run on across it with a word space.
    paragraphs = []
    for r in range(6):
        paragraphs += line(100 + 12 * r, ("shares of the company and (iii) 29,962,500", 100 + 4 * (r == 3)))
    assert regions._lines_run_across(paragraphs, 218.5)
    # A column of text beside a table: a gutter between them on every line.
    beside = []
    for r in range(6):
        beside += line(100 + 12 * r, ("shares of the company and", 100), ("2019", 330), ("12.5", 380))
    assert not regions._lines_run_across(beside, 300.0)


def test_a_justified_paragraph_read_in_pieces_is_no_block():
    # OCR splits a justified line at its wider spaces: pieces side by side, their gaps lined
    # up over four lines by chance, but the ink fills each line. The grid below is a block.
    pieces = [
        ("voting Shares, and (ii) 35,000,000", "voting Series A-1", "Preferred Shares, and (iii)"),
        ("voting Shares, and (iv) 7,945,757", "voting Series A-3", "Preferred Shares, and (v)"),
        ("24,554,243 voting Series A-4 Prefe", "rred Shares, and (", "vi) 46,240,971 voting Serie"),
        ("outstanding Preferred Shares 2019", "converted into Sha", "res on a 1:1 basis by way of"),
    ]
    text = [w for k, row in enumerate(pieces) for w in line(100 + 12 * k, *zip(row, (100, 290, 390)))]
    assert regions.aligned_blocks(text) == []
    assert regions.aligned_blocks(text + GRID) == [GRID_BOX]


def test_a_section_heading_inside_a_grid_does_not_break_its_block():
    words = figures_table(300, 4) + line(356, ("Women", 100)) + figures_table(370, 4)[4:]
    (block,) = regions.aligned_blocks(words)
    assert block == union_box([w.bbox for w in words])


def test_three_lines_of_running_text_part_two_blocks():
    lower = figures_table(384, 4)
    words = figures_table(300, 3) + paragraph(344, 3) + lower
    blocks = regions.aligned_blocks(words)
    assert len(blocks) == 2
    assert blocks[0] == union_box([w.bbox for w in figures_table(300, 3)])
    assert blocks[1] == union_box([w.bbox for w in lower])


# ------------------------------------------------------------------------------ stacked


def test_two_stacked_tables_with_a_repeated_heading_are_split_between_them():
    first, second = figures_table(100, 6), figures_table(204, 6)
    parts = regions.split_stacked(first + second, (95, 95, 360, 300))
    assert parts == [(95, 95, 360, 192.0), (95, 192.0, 360, 300)]  # 192: between 180 and 204


def test_one_table_with_section_breaks_is_not_split():
    words = figures_table(100, 4) + line(176, ("Women", 100))
    for r in range(3):
        words += line(190 + 14 * r, (f"w{r}", 100), ("1.0", 200), ("2.0", 260), ("3.0", 320))
    assert regions.split_stacked(words, (95, 95, 360, 260)) == [(95, 95, 360, 260)]


def test_a_small_region_is_never_split():
    words = figures_table(100, 2) + figures_table(150, 2)
    assert regions.split_stacked(words, (95, 95, 360, 200)) == [(95, 95, 360, 200)]


# --------------------------------------------------------------------------- extend rows


def test_a_region_grows_by_the_heading_row_it_cut_off():
    assert regions.extend_to_rows(GRID, (95, 312, 360, 385)) == (95, 299.0, 360, 385)


def test_a_region_grows_by_up_to_two_rows_below():
    # Lines at 300 .. 370 (bottom 380): the region ends at 353, above the last two.
    assert regions.extend_to_rows(GRID, (95, 298, 360, 353)) == (95, 298, 360, 381.0)
    assert regions.extend_to_rows(GRID, (95, 298, 360, 367)) == (95, 298, 360, 381.0)


def test_a_region_grows_by_a_heading_a_blank_line_above_but_not_by_a_caption_or_prose():
    head = line(286, ("Variable", 100), ("Assumption", 300))
    assert regions.extend_to_rows(head + GRID, (95, 298, 360, 385)) == (95, 285.0, 360, 385)
    caption = line(286, ("Table 3. Results", 100))
    assert regions.extend_to_rows(caption + GRID, (95, 298, 360, 385)) == (95, 298, 360, 385)
    assert regions.extend_to_rows(paragraph(286, 1) + GRID, (95, 298, 360, 385)) == (95, 298, 360, 385)


def test_a_region_grows_by_the_first_line_of_a_column_heading_wrapped_above_it():
    # "Approximate" over "percentage" (the last column's heading, wrapped over two lines):
    # one phrase over one column, set on the heading as its next line is.
    above = line(287, ("Approximate", 300))
    assert regions.extend_to_rows(above + GRID, (95, 298, 360, 385)) == (95, 286.0, 360, 385)
    # Not over the first column (a caption's place), nor a line apart from the heading.
    assert regions.extend_to_rows(line(287, ("Approximate", 100)) + GRID, (95, 298, 360, 385)) == (95, 298, 360, 385)
    assert regions.extend_to_rows(line(280, ("Approximate", 300)) + GRID, (95, 298, 360, 385)) == (95, 298, 360, 385)


def test_a_region_does_not_grow_past_the_table_bottom_rule():
    rule = Rule(95, 354, 360, 354)
    assert regions.extend_to_rows(GRID, (95, 298, 360, 353), rules=[rule]) == (95, 298, 360, 353)


def test_a_region_does_not_grow_into_another_table():
    other = (95, 350, 360, 390)
    assert regions.extend_to_rows(GRID, (95, 298, 360, 353), others=[other]) == (95, 298, 360, 353)


def test_a_region_cutting_off_a_column_grows_sideways_to_take_it_in():
    # The last column (320 .. 335) lies outside the region.
    assert regions.extend_to_rows(GRID, (95, 298, 300, 385)) == (95, 298, 341.0, 385)


def test_a_region_with_few_words_stays_as_it_is():
    assert regions.extend_to_rows(GRID, (95, 298, 360, 311)) == (95, 298, 360, 311)


# ------------------------------------------------------------------------- find_regions


def test_the_detectors_table_regions_are_kept_top_to_bottom():
    lower = figures_table(500, 6)
    found = regions.find_regions(IMAGE, page(GRID + lower), Detector((95, 495, 360, 585), (95, 295, 360, 385)))
    assert [(r.box, r.label, r.score) for r in found] == [
        ((95, 295, 360, 385), "table", 0.9),
        ((95, 495, 360, 585), "table", 0.9),
    ]


def test_a_page_the_detector_is_silent_on_that_is_all_one_grid_is_a_table():
    (found,) = regions.find_regions(IMAGE, page(GRID), Detector())
    assert (found.box, found.label, found.score) == (GRID_BOX, "grid", 0.5)


def test_a_grid_between_paragraphs_is_found_on_a_page_read_with_ocr_only():
    layout = page(paragraph(200, 4) + GRID + paragraph(400, 4))
    assert regions.find_regions(IMAGE, layout, Detector()) == []
    (found,) = regions.find_regions(IMAGE, layout, Detector(), read_from_image=True)
    assert (found.box, found.label) == (GRID_BOX, "grid")


def test_a_ruled_table_the_detector_missed_comes_from_the_rules():
    xs, ys = [100, 200, 300], [500, 520, 540, 560]
    ruled = []
    for r in range(3):
        ruled += line(ys[r] + 5, (f"key{r}", 105), (f"val{r}", 205))
    layout = page(GRID + ruled, lattice_rules(xs, ys))
    found = regions.find_regions(IMAGE, layout, Detector((95, 295, 360, 385)))
    assert [(r.box, r.label) for r in found] == [((95, 295, 360, 385), "table"), ((100, 500, 300, 560), "ruled")]
    # A ruled table the detector found is not found twice.
    found = regions.find_regions(IMAGE, layout, Detector((95, 295, 360, 385), (98, 498, 302, 562)))
    assert [r.label for r in found] == ["table", "table"]


def test_a_low_score_table_or_a_figure_is_a_table_when_its_words_form_a_grid():
    layout = page(GRID + paragraph(500, 10))
    detector = LayoutDetector({"figure": [((95, 295, 360, 385), 0.6), ((95, 495, 420, 570), 0.7)]})
    found = regions.find_regions(IMAGE, layout, detector)
    assert [(r.box, r.label) for r in found] == [((95, 295, 360, 385), "figure")]
    assert detector.asked == [(("table", "figure", "text"), 0.25)]
    detector = LayoutDetector({"table": [((95, 295, 360, 385), 0.3)]})
    assert [r.label for r in regions.find_regions(IMAGE, layout, detector)] == ["table"]
    detector = LayoutDetector({"table": [((95, 295, 360, 385), 0.2)]})  # under the floor
    assert regions.find_regions(IMAGE, layout, detector) == []


def test_a_figure_over_a_photographed_page_is_cut_to_the_table_between_its_paragraphs():
    # The layout model takes a photographed page for one figure; its words, a grid with
    # paragraphs above and below, pass the grid test as a whole.
    table = figures_table(300, 16)
    layout = page(paragraph(250, 2) + table + paragraph(560, 2))
    detector = LayoutDetector({"figure": [((5, 5, 595, 795), 0.9)]})
    assert regions.looks_tabular(regions.refine_words(layout.words, (5, 5, 595, 795)), (5, 5, 595, 795))
    (found,) = regions.find_regions(IMAGE, layout, detector, read_from_image=True)
    assert (found.box, found.label) == (union_box([w.bbox for w in table]), "figure")


def test_a_figure_over_a_table_with_its_title_and_heading_lines_keeps_them():
    # Lines outside the grid's block that are not running text (a title, a heading over
    # the columns) are the table's: the region is cut to all its words, not to the block.
    title = line(260, ("TABLE 4 Initial parameters", 100))
    heading = line(280, ("Unchanged policies", 100))
    words = title + heading + GRID
    layout = page(words)
    detector = LayoutDetector({"figure": [((5, 5, 595, 795), 0.9)]})
    (found,) = regions.find_regions(IMAGE, layout, detector, read_from_image=True)
    assert found.box == union_box([w.bbox for w in words])


def _tick(image: np.ndarray, x: int, y: int) -> None:
    """A tick about 7 x 8 pixels drawn in black, its top left at (x, y)."""
    for k in range(3):
        image[y + 4 + k, x + k : x + k + 2] = 0
    for k in range(7):
        image[y + 6 - k, x + 2 + k // 2 + k : x + 4 + k // 2 + k] = 0


def _table_of_ticks() -> tuple[list[Word], list[Word], np.ndarray]:
    """A heading line, five row labels under it, and a page image with ticks drawn in the
    rows' three figure columns (not every slot)."""
    heading = line(300, ("Risk", 100), ("Equity", 200), ("Rates", 260), ("Credit", 320))
    labels = [w for k in range(1, 6) for w in line(300 + 14 * k, (f"product{k}", 100))]
    image = np.full((800, 600, 3), 255, np.uint8)
    for k in range(1, 6):
        for column, x in enumerate((210, 270, 330)):
            if (k + column) % 3:
                _tick(image, x, 301 + 14 * k)
    return heading, labels, image


def test_a_table_of_ticks_on_a_small_image_grows_from_its_heading_to_its_rows():
    """A screenshot of a table whose body is row labels and ticks: text detection reads the
    labels and the heading, not the ticks; the model boxed only the heading as a table. The
    ticks, marks beside the words, show the body's columns and the region grows over it."""
    heading, labels, image = _table_of_ticks()
    marks = unread_marks(image, heading + labels, 1.0)
    assert len(marks) == sum(1 for k in range(1, 6) for c in range(3) if (k + c) % 3)
    layout = page(heading + labels)
    detector = LayoutDetector({"table": [((195, 295, 355, 312), 0.9)]})
    (found,) = regions.find_regions(image, layout, detector, read_from_image=True)
    assert found.box[1] <= 300 and found.box[3] >= 300 + 14 * 5 + SIZE - 1 and found.box[0] <= 100
    # Without the ticks the region stays the heading's.
    (alone,) = regions.find_regions(np.full((800, 600, 3), 255, np.uint8), layout, detector, read_from_image=True)
    assert alone.box[3] < 320
    # Marks make no table where the model found none (a chart's legend and its labels).
    assert regions.find_regions(image, layout, LayoutDetector({}), read_from_image=True) == []


def test_a_table_of_ticks_the_model_is_unsure_of_is_confirmed_by_its_marks():
    """A screenshot of a table of ticks that the model calls a table below its threshold
    over the whole table: its words (labels under a heading) are no grid; with the ticks
    beside them they are, and the region is the model's. A figure's region is not helped so."""
    heading, labels, image = _table_of_ticks()
    layout = page(heading + labels)
    unsure = LayoutDetector({"table": [((95, 295, 360, 385), 0.4)]})
    (found,) = regions.find_regions(image, layout, unsure, read_from_image=True)
    assert found.box[3] >= 300 + 14 * 5 + SIZE - 1
    blank = np.full((800, 600, 3), 255, np.uint8)
    assert all(r.box[3] < 320 for r in regions.find_regions(blank, layout, unsure, read_from_image=True))
    figure = LayoutDetector({"figure": [((95, 295, 360, 385), 0.8)]})
    assert all(r.box[3] < 320 for r in regions.find_regions(image, layout, figure, read_from_image=True))

def test_a_heading_and_a_body_the_model_drew_apart_are_one_table():
    heading = line(272, ("2010", 200), ("2011", 260), ("2012", 320))
    body = figures_table(300, 6)[4:]  # GRID without its heading line: lines at 314 .. 370
    detector = LayoutDetector({"table": [((195, 270, 345, 284), 0.8), ((95, 300, 360, 385), 0.9)]})
    (found,) = regions.find_regions(IMAGE, page(heading + body), detector)
    assert found.box == (95, 270, 360, 385)
    # Text between them, or a gap of more than two lines, keeps them apart.
    between = line(288, ("Table", 100))
    assert len(regions.find_regions(IMAGE, page(heading + between + body), detector)) == 2
    far = LayoutDetector({"table": [((195, 250, 345, 264), 0.8), ((95, 300, 360, 385), 0.9)]})
    heading = line(252, ("2010", 200), ("2011", 260), ("2012", 320))
    assert len(regions.find_regions(IMAGE, page(heading + body), far)) == 2


def test_row_labels_the_model_boxed_as_text_beside_the_table_are_taken_in():
    # The model's table region holds the figures; the rows' labels, on the same lines, are a
    # text region to its left. They are read with OCR, and taken into the table.
    table, labels = (195, 295, 345, 385), (95, 295, 150, 385)
    found = {"table": [(table, 0.9)], "text": [(labels, 0.9)]}
    assert regions.candidate_boxes(IMAGE, LayoutDetector(found)) == [table, labels]
    (region,) = regions.find_regions(IMAGE, page(GRID), LayoutDetector(found))
    assert region.box == (100, 295, 345, 385)
    # Lines of running text beside it are not its labels.
    prose = [w for k in range(6) for w in line(300 + 14 * k, ("one two three four five six", 20))]
    figures = [w for w in GRID if w.bbox[0] >= 200]
    found = {"table": [(table, 0.9)], "text": [((15, 295, 160, 385), 0.9)]}
    (region,) = regions.find_regions(IMAGE, page(prose + figures), LayoutDetector(found))
    assert region.box == table
    # A text region above or below the table is no row label.
    found = {"table": [(table, 0.9)], "text": [((95, 200, 340, 260), 0.9)]}
    assert regions.candidate_boxes(IMAGE, LayoutDetector(found)) == [table]


def _long_labelled_table(top: float) -> list[Word]:
    """A heading over three columns of figures and records whose labels run to five words."""
    words = line(top, ("2010", 300), ("2011", 360), ("2012", 420))
    for r in range(1, 6):
        y = top + 14 * r
        label = f"The Mutual Life Insurance Company {r}"
        words += line(y, (label, 20), (f"{r}.1", 300), (f"{r}.2", 360), (f"{r}.3", 420))
    return words


def test_on_a_small_image_read_whole_a_region_over_part_of_a_grid_grows_to_the_grid():
    # A screenshot of a table: the model boxes the figures as a figure; the long row labels
    # and the heading line, read by OCR with the rest of the image, are the table's too.
    table = _long_labelled_table(300)
    figures = (295, 312, 445, 385)
    detector = LayoutDetector({"figure": [(figures, 0.6)]})
    (found,) = regions.find_regions(IMAGE, page(table), detector, read_from_image=True)
    assert found.box == (20, 300, 445, 385)
    # A page image read region by region, or a born-digital page, keeps the model's region
    # (its words beyond it were not read, or are another block's).
    large = np.zeros((2200, 1700, 3), np.uint8)
    (found,) = regions.find_regions(large, page(table), detector, read_from_image=True)
    assert found.box[0] == 295
    (found,) = regions.find_regions(IMAGE, page(table), detector)
    assert found.box[0] == 295


def test_a_region_grows_to_its_own_grid_and_not_to_another_below_it():
    upper, lower = _long_labelled_table(100), _long_labelled_table(400)
    detector = LayoutDetector({"figure": [((295, 112, 445, 185), 0.6)], "table": [((15, 395, 450, 485), 0.9)]})
    layout = page(upper + paragraph(250, 4) + lower)
    found = regions.find_regions(IMAGE, layout, detector, read_from_image=True)
    assert [r.box for r in found] == [(20, 100, 445, 185), (15, 395, 450, 485)]
    # Two regions in one block of aligned lines (two tables whose lines align across the
    # heading between them) are two tables: neither grows over the other.
    heading = line(200, ("Second part", 20))
    lower = _long_labelled_table(214)
    detector = LayoutDetector({"figure": [((295, 112, 445, 185), 0.6)], "table": [((295, 226, 445, 299), 0.9)]})
    found = regions.find_regions(IMAGE, page(upper + heading + lower), detector, read_from_image=True)
    assert len(found) == 2 and found[0].box[3] < found[1].box[1]


def test_a_chart_whose_labels_make_a_grid_is_not_a_table():
    curves = [(110 + 20 * k, 310, 125 + 20 * k, 320) for k in range(3)]
    detector = LayoutDetector({"figure": [((95, 295, 360, 385), 0.8)]})
    assert regions.find_regions(IMAGE, page(GRID, graphics=curves), detector) == []
    one_long_line = [(100, 300, 330, 370)]
    assert regions.find_regions(IMAGE, page(GRID, graphics=one_long_line), detector) == []
    assert len(regions.find_regions(IMAGE, page(GRID), detector)) == 1


def test_what_the_model_reads_as_text_is_a_table_only_when_it_holds_figures():
    detector = LayoutDetector({"text": [((95, 295, 360, 385), 0.8)]})
    assert [r.label for r in regions.find_regions(IMAGE, page(GRID), detector)] == ["text"]
    words = []
    for r in range(6):
        words += line(300 + 14 * r, (f"name{r}", 100), ("alpha", 200), ("beta", 260), ("gamma", 320))
    assert regions.find_regions(IMAGE, page(words + paragraph(500, 10)), detector) == []


def test_of_two_nested_detections_the_outer_table_stays_unless_it_adds_only_prose():
    inner, outer = (95, 295, 360, 385), (95, 195, 360, 385)
    # The outer region adds rows of the table: it stays.
    taller = figures_table(230, 11)
    found = regions.find_regions(IMAGE, page(taller), Detector(inner, outer))
    assert [r.box for r in found] == [outer]
    # The outer region adds a paragraph above the table: the inner one stays.
    found = regions.find_regions(IMAGE, page(paragraph(200, 6) + GRID), Detector(inner, outer))
    assert [r.box for r in found] == [inner]
    # The outer region adds long row labels, each on the line of its figures: it stays.
    figures = [w for w in GRID if w.bbox[0] >= 200]
    labels = [w for k in range(6) for w in line(300 + 14 * k, (f"amortisation of deferred costs {k}", 20))]
    inner, outer = (195, 295, 345, 385), (15, 295, 345, 385)
    found = regions.find_regions(IMAGE, page(labels + figures), Detector(inner, outer))
    assert [r.box for r in found] == [outer]


def test_candidate_boxes_are_every_region_that_may_be_a_table():
    detector = LayoutDetector({
        "table": [((0, 0, 10, 10), 0.9), ((0, 20, 10, 30), 0.3), ((0, 40, 10, 50), 0.1)],
        "figure": [((0, 60, 10, 70), 0.6), ((0, 80, 10, 90), 0.4)],
        "text": [((0, 100, 10, 110), 0.9)],
    })
    assert regions.candidate_boxes(IMAGE, detector) == [(0, 0, 10, 10), (0, 20, 10, 30), (0, 60, 10, 70)]
    # A detector double without the layout model: its own regions, down to the low score.
    assert regions.candidate_boxes(IMAGE, Detector((1, 2, 3, 4), score=0.3)) == [(1, 2, 3, 4)]
    assert regions.candidate_boxes(IMAGE, Detector((1, 2, 3, 4), score=0.2)) == []


# ------------------------------------------------------------------------ generated grids


_CELLS = ["a", "id", "Name", "x", "12", "3.5", "1,040", "n/a", "Region", "2019", "-4.2", "yes"]


@st.composite
def page_grids(draw, min_rows=3, max_rows=9, min_cols=2):
    """A grid of one-word cells set at `top`: R rows x C columns, an even line pitch, each
    column's texts of one length (so every line fits the columns the others draw), column
    gaps wider than a word space. Returns the words by line, and the columns' x ranges."""
    n_rows, n_cols = draw(st.integers(min_rows, max_rows)), draw(st.integers(min_cols, 5))
    pitch = draw(st.floats(12, 18))
    lengths = [draw(st.integers(1, 6)) for _ in range(n_cols)]
    xs = [100.0]
    for c in range(n_cols - 1):
        xs.append(xs[-1] + CHAR * lengths[c] + draw(st.floats(max(12.0, 2.5 * lengths[c]), 60)))
    rows = []
    for r in range(n_rows):
        texts = [draw(st.text(alphabet="abcdefgh0123456789", min_size=n, max_size=n)) for n in lengths]
        rows.append([word(t, x, 300 + pitch * r) for t, x in zip(texts, xs)])
    return rows, [(x, x + CHAR * n) for x, n in zip(xs, lengths)]


@FAST
@given(page_grids())
def test_a_generated_grid_looks_tabular(grid):
    rows, cols = grid
    words = [w for row in rows for w in row]
    box = union_box([w.bbox for w in words])
    assert regions.looks_tabular(words, (box[0] - 5, box[1] - 2, box[2] + 5, box[3] + 2))


@FAST
@given(page_grids(), st.integers(1, 4), st.integers(1, 4))
def test_a_generated_grid_between_paragraphs_is_one_aligned_block(grid, above, below):
    rows, _ = grid
    words = [w for row in rows for w in row]
    box = union_box([w.bbox for w in words])
    text = paragraph(box[1] - 8 - 12 * above, above) + paragraph(box[3] + 8, below)
    assert regions.aligned_blocks(text + words) == [box]
    assert regions.aligned_blocks(words + text) == [box]  # the order of the words does not matter


@FAST
@given(page_grids(min_rows=5), st.sampled_from(["above", "below"]))
def test_a_region_cutting_off_a_row_of_a_generated_grid_grows_by_it(grid, side):
    rows, _ = grid
    words = [w for row in rows for w in row]
    box = union_box([w.bbox for w in words])
    cut = rows[0] if side == "above" else rows[-1]
    # The region leaves out the first (last) line: its edge halfway into the line gap.
    inner_top = rows[1][0].bbox[1] - 1.0 if side == "above" else box[1] - 1.0
    inner_bottom = rows[-2][0].bbox[3] + 1.0 if side == "below" else box[3] + 1.0
    region = (box[0] - 1.0, inner_top, box[2] + 1.0, inner_bottom)
    grown = regions.extend_to_rows(words, region)
    assert (grown[0], grown[2]) == (region[0], region[2])
    if side == "above":
        assert grown[1] == cut[0].bbox[1] - 1.0 and grown[3] == region[3]
    else:
        assert grown[3] == cut[0].bbox[3] + 1.0 and grown[1] == region[1]
    # Every word of the grid now lies in the region; nothing beyond it was taken.
    assert regions.refine_words(words, grown) == words


@FAST
@given(page_grids(min_rows=5, max_rows=7, min_cols=3), st.integers(3, 6), st.floats(1.6, 3.0))
def test_two_generated_tables_with_one_heading_stacked_are_split_between_them(grid, second_rows, space):
    rows, cols = grid
    pitch = rows[1][0].bbox[1] - rows[0][0].bbox[1]
    heading = ["Name", "Region", "Year", "Total", "Count"][: len(cols)]

    def table(top: float, n_rows: int) -> list[Word]:
        """The heading, then the grid's lines (over again if need be)."""
        words = [word(text, x, top) for text, (x, _) in zip(heading, cols)]
        for r in range(1, n_rows):
            y = top + pitch * r
            words += [Word(w.text, (w.bbox[0], y, w.bbox[2], y + SIZE)) for w in rows[r % len(rows)]]
        return words

    first = table(300.0, len(rows))
    last_bottom = 300.0 + pitch * (len(rows) - 1) + SIZE
    second_top = 300.0 + pitch * (len(rows) - 1 + space)  # a gap of `space` line pitches
    box = (90.0, 295.0, 600.0, second_top + pitch * second_rows + 5)
    parts = regions.split_stacked(first + table(second_top, second_rows), box)
    cut = (last_bottom + second_top) / 2
    assert parts == [(box[0], box[1], box[2], cut), (box[0], cut, box[2], box[3])]
    # The first table alone is one table.
    alone = (90.0, 295.0, 600.0, last_bottom + 5)
    assert regions.split_stacked(first, alone) == [alone]


# ------------------------------------------------------------------------- regions to read


def test_a_small_page_image_is_read_whole_and_a_page_by_its_candidates():
    detector = LayoutDetector({"figure": [((10, 20, 300, 200), 0.6)], "text": [((10, 300, 300, 400), 0.9)]})
    screenshot = np.zeros((400, 700, 3), dtype=np.uint8)
    assert regions.regions_to_read(screenshot, detector) == [(0.0, 0.0, 700.0, 400.0)]
    assert detector.asked == []  # the model is not asked
    page_image = np.zeros((1600, 1200, 3), dtype=np.uint8)
    assert regions.regions_to_read(page_image, detector) == [(10, 20, 300, 200)]  # text is not read
    assert regions.regions_to_read(page_image, LayoutDetector({})) == [(0.0, 0.0, 1200.0, 1600.0)]



def test_long_row_labels_far_left_of_a_region_of_figures_are_taken_in():
    # The detector boxed the figures only; the rows' labels (long, ragged) stand far to the
    # left on the same lines, past the reach of a cut-off column: they are the table's.
    figures = line(300, ("2015", 300), ("2016", 360), ("2017", 420))
    labels = ["Within 90 days", "Over 90 days and within 365 days", "Over 365 days", "Total"]
    for k, label in enumerate(labels):
        figures += line(314 + 14 * k, ("606,451", 300), ("462,869", 360), ("577,445", 420))
        figures += line(314 + 14 * k, (label, 60))
    (region,) = regions.find_regions(IMAGE, page(figures), Detector((295, 298, 460, 370)))
    assert region.box[0] <= 60 and region.box[2] >= 455
    # A justified column of the page's text beside the figures is not their labels.
    prose = [w for k in range(5) for w in line(300 + 14 * k, ("one two three four five six", 20))]
    numbers = [w for w in figures if w.bbox[0] >= 300]
    (region,) = regions.find_regions(IMAGE, page(prose + numbers), Detector((295, 298, 460, 370)))
    assert region.box[0] >= 290



def test_a_text_layer_grid_the_model_is_silent_on_is_found_only_on_a_page_set_in_columns():
    """The layout model takes a spread of two columns of running text for one picture and
    finds no table; a grid in one column is found column by column. On a page of one column
    the model's silence on a text layer stands (a chart's labels, a paragraph's gaps)."""
    table = [Word(w.text, (w.bbox[0] + 220, w.bbox[1], w.bbox[2] + 220, w.bbox[3])) for w in figures_table(300, 6)]
    left = paragraph(100, 30, x=40)
    right = paragraph(100, 12, x=320) + table + paragraph(400, 12, x=320)
    silent = LayoutDetector({})
    (found,) = regions.find_regions(IMAGE, page(left + right), silent)
    assert found.box == union_box([w.bbox for w in table]) and found.label == "grid"
    one_column = paragraph(100, 12, x=100) + GRID + paragraph(400, 12, x=100)
    assert regions.find_regions(IMAGE, page(one_column), silent) == []
    # Read off an image (the model misses more there), the grid is found either way.
    (read,) = regions.find_regions(IMAGE, page(one_column), silent, read_from_image=True)
    assert read.box == GRID_BOX



def test_a_two_row_ruled_table_cut_out_to_its_borders_is_found_off_an_image():
    """A table cut out of a page with no margin: its border rules are the image's edges, and
    two rows are too few for the grid test of words. Off an image its rules make it a table;
    a text layer's page edge is decoration."""
    from doctables.model.layout import PageLayout

    xs, ys = [1.0, 100.0, 200.0, 300.0, 399.0], [1.0, 20.0, 40.0]
    rules = lattice_rules(xs, ys)
    words = line(5, ("Year", 5), ("2001", 105), ("2002", 205), ("2003", 305))
    words += line(25, ("Trained", 5), ("29 300", 105), ("25 800", 205), ("33 300", 305))
    layout = PageLayout(page=1, width=400, height=41, rotation=0, dpi=72, image_width=400, image_height=41,
                        words=words, rules=rules)
    image = np.full((41, 400, 3), 255, np.uint8)
    (found,) = regions.find_regions(image, layout, LayoutDetector({}), read_from_image=True)
    assert found.label == "ruled" and found.box == (1.0, 1.0, 399.0, 40.0)
    assert regions.find_regions(image, layout, LayoutDetector({})) == []



def test_a_screenshot_of_sentences_beside_labels_the_model_is_unsure_of_is_a_table():
    """A small image read whole: labels in one column, a sentence in the other on every
    line; the model calls it a table below its threshold. The words are no grid of short
    texts, but they are two columns: with the model's word for it, a table. A figure's
    region, or a page image too large to be a screenshot, is not taken so."""
    words = []
    labels = ["Population", "Young adults", "Older adults", "Income", "Revenue", "Inflation"]
    for k, label in enumerate(labels):
        words += line(300 + 14 * k, (label, 100), ("projections are consistent with the census", 220))
    box = (95, 295, 460, 385)
    small = np.full((400, 500, 3), 255, np.uint8)
    unsure = LayoutDetector({"table": [(box, 0.4)]})
    assert not regions.looks_tabular(regions.refine_words(words, box), box)
    (found,) = regions.find_regions(small, page(words), unsure, read_from_image=True)
    assert found.box == box
    assert regions.find_regions(small, page(words), LayoutDetector({"figure": [(box, 0.9)]}), read_from_image=True) == []
    large = np.full((1600, 1200, 3), 255, np.uint8)
    assert regions.find_regions(large, page(words), unsure, read_from_image=True) == []



def test_a_screenshot_of_a_heading_over_one_record_is_a_table():
    """Two lines of cells in columns are too few for the grid test on a page; a small image
    read whole that holds nothing else (a screenshot of a table of one record) is that table."""
    words = line(300, ("Products", 100), ("Butter", 200), ("Margarine", 260), ("Low fat", 340))
    words += line(314, ("Turnover", 100), ("6028", 200), ("1385", 260), ("836", 340))
    silent = LayoutDetector({})
    small = np.full((400, 500, 3), 255, np.uint8)
    (found,) = regions.find_regions(small, page(words), silent, read_from_image=True)
    assert found.box == union_box([w.bbox for w in words])
    large = np.full((1600, 1200, 3), 255, np.uint8)
    assert regions.find_regions(large, page(words), silent, read_from_image=True) == []
    assert regions.find_regions(small, page(words), silent) == []
