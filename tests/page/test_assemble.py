"""Assembling tables from the model's grid, the page's words and its ruling lines, on small
constructed layouts: no model, no PDF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from geometry_builders import SIZE, line, word

from doctables.detect import lattice, regions
from doctables.grid import refine
from doctables.grid.tokens import decode_grid
from doctables.model.layout import PageLayout, Rule, Word
from doctables.models.structure import StructureResult
from doctables.page.assemble import Grid, _place_cells, build_table, extract_tables, join_words


def layout_of(words: list[Word], rules: list[Rule] = ()) -> PageLayout:
    return PageLayout(
        page=1, width=600, height=800, rotation=0, dpi=72, image_width=600, image_height=800,
        words=list(words), rules=list(rules),
    )


def model_grid(row_edges, col_edges, spans=None, thead_rows=0):
    """Tokens decoded into logical cells, and one box per cell, for a model that saw the
    given boundaries. `spans` maps (row, col) to (row_span, col_span)."""
    spans = spans or {}
    covered = set()
    tokens: list[str] = []
    boxes = []
    for r in range(len(row_edges) - 1):
        if r == 0 and thead_rows:
            tokens.append("<thead>")
        if r == thead_rows and thead_rows:
            tokens.append("</thead>")
        tokens.append("<tr>")
        for c in range(len(col_edges) - 1):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            for i in range(r, r + rs):
                for j in range(c, c + cs):
                    covered.add((i, j))
            if (rs, cs) == (1, 1):
                tokens.append("<td></td>")
            else:
                tokens += ["<td", f' rowspan="{rs}"', f' colspan="{cs}"', ">", "</td>"]
            boxes.append(
                (col_edges[c] + 1, row_edges[r] + 1, col_edges[c + cs] - 1, row_edges[r + rs] - 1)
            )
        tokens.append("</tr>")
    return decode_grid(tokens), boxes


def table_of(words, row_edges, col_edges, rules=(), spans=None, thead_rows=0):
    logical, boxes = model_grid(row_edges, col_edges, spans, thead_rows)
    region = (col_edges[0], row_edges[0], col_edges[-1], row_edges[-1])
    return build_table(
        table_id="0001-01",
        layout=layout_of(words, rules),
        region=region,
        logical=logical,
        cell_boxes=boxes,
        cell_scores=[0.9] * len(boxes),
        detection_score=0.9,
        structure_score=0.8,
    )


def grid_texts(table) -> list[list[str]]:
    return table.grid()


def cell_at(table, row, col):
    return next(c for c in table.cells if c.row == row and c.col == col)


def crossing_words(table, words):
    """Words that an inner row or column boundary of the table cuts through."""
    rows = sorted({c.bbox[1] for c in table.cells} - {table.bbox[1]})
    cols = sorted({c.bbox[0] for c in table.cells} - {table.bbox[0]})
    cut = []
    for w in words:
        if any(w.bbox[1] + 0.5 < y < w.bbox[3] - 0.5 for y in rows):
            cut.append(w.text)
        if any(w.bbox[0] + 0.5 < x < w.bbox[2] - 0.5 for x in cols):
            cut.append(w.text)
    return cut


# ------------------------------------------------------------------------------------- rows


def test_row_boundaries_sit_between_text_lines():
    words = (
        line(100, ("Name", 100), ("Value", 200))
        + line(120, ("alpha", 100), ("12", 200))
        + line(140, ("beta", 100), ("34", 200))
    )
    # The model's boundaries cut the second and third lines near their tops.
    table = table_of(words, [98, 123, 143, 152], [98, 190, 260])
    assert grid_texts(table) == [["Name", "Value"], ["alpha", "12"], ["beta", "34"]]
    assert crossing_words(table, words) == []


def test_ruled_table_keeps_a_wrapped_cell_in_one_row():
    words = (
        line(100, ("Substance", 100), ("Threshold", 250))
        + line(122, ("Chlorine and compounds", 100), ("10 000", 250))
        + line(133, ("(as HCl)", 100))
        + line(155, ("Halons", 100), ("1", 250))
    )
    rules = [Rule(95, y, 320, y) for y in (97, 118, 150, 168)]
    rules += [Rule(x, 97, x, 168) for x in (95, 240, 320)]
    # The model split the wrapped first-column cell into two rows.
    table = table_of(words, [97, 118, 131, 150, 168], [95, 240, 320], rules=rules)
    assert table.rows == 3
    assert grid_texts(table) == [
        ["Substance", "Threshold"],
        ["Chlorine and compounds (as HCl)", "10 000"],
        ["Halons", "1"],
    ]


def test_shading_behind_one_column_does_not_split_a_wrapped_cell():
    words = (
        line(100, ("Substance", 100), ("Threshold", 250))
        + line(122, ("Chlorine and compounds", 100), ("10 000", 250))
        + line(133, ("(as HCl)", 100))
        + line(155, ("Halons", 100), ("1", 250))
    )
    rules = [Rule(95, y, 320, y) for y in (97, 118, 150, 168)]
    rules += [Rule(x, 97, x, 168) for x in (95, 240, 320)]
    # Edges of a highlight drawn behind each text line of the first column.
    for y0, y1 in ((122, 132.5), (132.5, 143), (155, 165)):
        rules += [Rule(98, y0, 230, y0), Rule(98, y1, 230, y1)]
    table = table_of(words, [97, 118, 150, 168], [95, 240, 320], rules=rules)
    assert grid_texts(table)[1] == ["Chlorine and compounds (as HCl)", "10 000"]


def test_rule_segments_drawn_cell_by_cell_still_separate_rows():
    words = (
        line(100, ("Group", 100), ("Share", 250))
        + line(120, ("Total: 47%", 100), ("12%", 250))
        + line(131, ("(several brands)", 100), ("(4.4%)", 250))
        + line(150, ("Others", 100), ("9.7%", 250))
    )
    rules = []
    for y in (97, 117, 147, 163):  # a segment per cell, with hairline breaks
        rules += [Rule(95, y, 239.5, y), Rule(240.5, y, 320, y)]
    rules += [Rule(x, 97, x, 163) for x in (95, 240, 320)]
    # The model put the wrapped lines in rows of their own.
    table = table_of(words, [97, 117, 129, 147, 163], [95, 240, 320], rules=rules)
    assert grid_texts(table) == [
        ["Group", "Share"],
        ["Total: 47% (several brands)", "12% (4.4%)"],
        ["Others", "9.7%"],
    ]


def test_stub_columns_set_apart_by_space_alone_inside_a_ruled_table_stay_apart():
    # Rules across each group and down every boundary but the one between the group's label
    # and its levels, which the text leaves clear on every line.
    words = line(100, ("Factor", 100), ("Level", 180), ("Air", 250), ("Soil", 310), ("Water", 370))
    records = [("Fuel", "Low"), ("Fuel", "High"), ("Time", "Low"), ("Time", "High")]
    for y, (factor, level) in zip((114, 126, 140, 152), records):
        words += line(y, (factor, 100), (level, 180), ("5%", 250), ("15%", 310), ("2%", 370))
    rules = [Rule(95, y, 420, y) for y in (97, 111, 137, 164)]
    rules += [Rule(x, 97, x, 164) for x in (95, 240, 300, 360, 420)]
    table = table_of(words, [97, 111, 124, 137, 150, 164], [95, 170, 240, 300, 360, 420], rules=rules)
    assert [row[:2] for row in grid_texts(table)] == [
        ["Factor", "Level"], ["Fuel", "Low"], ["Fuel", "High"], ["Time", "Low"], ["Time", "High"]
    ]


def test_two_records_in_one_model_row_are_split():
    words = (
        line(100, ("State", 100), ("Count", 200), ("Rate", 260))
        + line(114, ("Vermont", 100), ("880", 200), ("124.5", 260))
        + line(128, ("Alabama", 100), ("6,038", 200), ("121.7", 260))
        + line(142, ("Arizona", 100), ("7,806", 200), ("120.8", 260))
    )
    # The model missed a boundary: Vermont and Alabama share a row.
    table = table_of(words, [98, 112, 140, 153], [98, 190, 250, 300], thead_rows=1)
    assert table.rows == 4
    assert grid_texts(table)[1:] == [
        ["Vermont", "880", "124.5"],
        ["Alabama", "6,038", "121.7"],
        ["Arizona", "7,806", "120.8"],
    ]


def test_wrapped_text_line_is_not_split_from_its_row():
    words = (
        line(100, ("Type", 100), ("Description", 200))
        + line(114, ("Likert", 100), ("An ordered set of terms", 200))
        + line(125, ("from which to choose", 200))
        + line(142, ("Checklist", 100), ("A list of options", 200))
    )
    table = table_of(words, [98, 112, 139, 153], [98, 190, 330])
    assert grid_texts(table) == [
        ["Type", "Description"],
        ["Likert", "An ordered set of terms from which to choose"],
        ["Checklist", "A list of options"],
    ]


def test_last_wrapped_line_the_model_split_off_rejoins_its_record():
    """Records set 8 points apart, their wrapped lines 1 point apart: the model's boundary
    over the last line of a record, which holds words only under words and nothing in the
    first column, is not a row."""
    words = (
        line(100, ("Source", 100), ("Definition", 200), ("Examples", 330))
        + line(118, ("Major", 100), ("Emissions of ten tons", 200), ("Utilities and", 330))
        + line(129, ("or more a year", 200), ("refineries", 330))
        + line(147, ("Non-road", 100), ("Emissions from engines", 200), ("Construction and", 330))
        + line(158, ("and vessels operated off", 200), ("farm equipment", 330))
        + line(169, ("public roads", 200), ("and watercraft", 330))
    )
    table = table_of(words, [98, 114, 143, 167, 181], [98, 190, 320, 430])
    assert grid_texts(table) == [
        ["Source", "Definition", "Examples"],
        ["Major", "Emissions of ten tons or more a year", "Utilities and refineries"],
        ["Non-road", "Emissions from engines and vessels operated off public roads",
         "Construction and farm equipment and watercraft"],
    ]


def test_rules_under_the_heading_and_over_the_total_leave_the_other_rows_to_the_text():
    """A table ruled only across (top, under the heading, over the total, bottom) and no
    vertical rules: the single-spaced records between the rules are rows of their own."""
    words = (
        line(100, ("Freq.", 200), ("Percent", 260))
        + line(116, ("kept the assets", 100), ("344", 200), ("75.2", 260))
        + line(127, ("sold some", 100), ("53", 200), ("11.6", 260))
        + line(138, ("sold all", 100), ("61", 200), ("13.2", 260))
        + line(154, ("Total", 100), ("458", 200), ("100.0", 260))
    )
    rules = [Rule(95, y, 300, y) for y in (97, 112, 150, 166)]
    # The model put the total in the last record's row.
    table = table_of(words, [97, 112, 125, 136, 166], [95, 190, 250, 300], rules=rules)
    assert [row[1] for row in grid_texts(table)] == ["Freq.", "344", "53", "61", "458"]


def test_heading_cells_wrapped_column_by_column_stay_one_row_under_their_group():
    """Bracket headings set over two lines in each column ("Less than" over "$10,000",
    "$10,000-" over "14,999"), close enough to read as one phrase across the columns, under
    a group heading: the two lines are one heading row, the group heading another."""
    words = line(100, ("Amount borrowed", 240), size=9)
    words += line(113, ("Less than", 200), ("$10,000-", 245), ("$15,000-", 290), ("$30,000", 335), size=9)
    words += line(123, ("Group", 100), ("$10,000", 203), ("14,999", 250), ("29,999", 295), ("or more", 336), size=9)
    words += line(140, ("Total", 100), ("23.2", 210), ("10.3", 255), ("27.0", 300), ("20.1", 345), size=9)
    words += line(152, ("Public", 100), ("25.5", 210), ("10.2", 255), ("26.9", 300), ("19.3", 345), size=9)
    rules = [Rule(240, 110, 380, 110), Rule(95, 136, 380, 136)]
    table = table_of(
        words, [98, 111, 136, 150, 163], [95, 198, 243, 288, 333, 380], rules=rules, thead_rows=2,
        spans={(0, 1): (1, 4), (0, 0): (2, 1)},
    )
    texts = grid_texts(table)
    assert texts[1][1:] == ["Less than $10,000", "$10,000- 14,999", "$15,000- 29,999", "$30,000 or more"]
    assert texts[2] == ["Total", "23.2", "10.3", "27.0", "20.1"]


# ---------------------------------------------------------------------------------- columns


def test_bullets_set_apart_from_their_items_stay_in_the_items_column():
    words = (
        line(100, ("Property", 100), ("Reason for change", 230))
        + line(116, ("Clarity", 100), ("•", 212), ("Not relevant to patients", 230))
        + line(128, ("•", 212), ("Many missing answers", 230))
        + line(144, ("Range", 100), ("•", 212), ("All answers at the floor", 230))
    )
    rules = [Rule(95, y, 360, y) for y in (97, 112, 140, 156)]
    rules += [Rule(x, 97, x, 156) for x in (95, 200, 360)]
    # The model took the bullets for a column of their own.
    table = table_of(words, [97, 112, 140, 156], [95, 200, 222, 360], rules=rules)
    assert grid_texts(table) == [
        ["Property", "Reason for change"],
        ["Clarity", "• Not relevant to patients • Many missing answers"],
        ["Range", "• All answers at the floor"],
    ]


def test_a_column_the_model_missed_is_added():
    words = line(100, ("Age", 100), ("No.", 160), ("Rate", 200), ("(95% CI)", 240))
    for i, (age, no, rate, ci) in enumerate(
        [("45-54", "47", "21.8", "(16.0-29.0)"), ("55-64", "116", "85.5", "(69.9-101.0)"),
         ("65-74", "164", "234.9", "(199.0-270.9)"), ("75-84", "242", "654.1", "(571.7-736.5)")]
    ):
        words += line(114 + 14 * i, (age, 100), (no, 160), (rate, 200), (ci, 240))
    # One model column holds both "Rate" and "(95% CI)".
    table = table_of(words, [98, 112, 126, 140, 154, 168], [98, 150, 195, 320], thead_rows=1)
    assert table.columns == 4
    assert grid_texts(table)[0] == ["Age", "No.", "Rate", "(95% CI)"]
    assert grid_texts(table)[2] == ["55-64", "116", "85.5", "(69.9-101.0)"]


def test_column_boundary_moves_out_of_a_long_label():
    words = line(100, ("Statistic", 100), ("2001", 300), ("2002", 350))
    words += line(114, ("Teachers", 100), ("0.8", 300), ("1.4", 350))
    words += line(128, ("Current expenditures per pupil", 100), ("1.3", 300), ("2.1", 350))
    words += line(142, ("Graduates", 100), ("1.0", 300), ("1.5", 350))
    # The model's first boundary (x=200) cuts through the long label of the third row.
    table = table_of(words, [98, 112, 126, 140, 154], [98, 200, 340, 380])
    assert grid_texts(table)[2] == ["Current expenditures per pupil", "1.3", "2.1"]
    assert crossing_words(table, words) == []


def test_a_vertical_rule_separates_columns_even_under_a_glued_run():
    # CJK text comes as runs without spaces: here one run reaches over the column rule.
    words = [
        Word("구분", (100, 100, 120, 110)), Word("개정전", (150, 100, 180, 110)),
        Word("분류", (100, 115, 120, 125)), Word("1군", (150, 115, 165, 125)),
        Word("기준", (100, 130, 120, 140)), Word("식품", (150, 130, 170, 140)),
        Word("U코드◦", (100, 145, 146, 155)), Word("없음", (150, 145, 170, 155)),
    ]
    rules = [Rule(140, 98, 140, 158), Rule(95, 98, 95, 158), Rule(190, 98, 190, 158)]
    rules += [Rule(95, y, 190, y) for y in (98, 112.5, 127.5, 142.5, 158)]
    table = table_of(words, [98, 112.5, 127.5, 142.5, 158], [95, 140, 190], rules=rules)
    assert table.columns == 2
    assert grid_texts(table) == [
        ["구분", "개정전"], ["분류", "1군"], ["기준", "식품"], ["U코드", "◦ 없음"]
    ]


# ------------------------------------------------------------------------------------ spans


def test_spanning_heading_is_kept_when_its_text_is_one_phrase():
    words = line(100, ("THRESHOLD FOR RELEASES", 210))
    words += line(114, ("Substance", 100), ("air", 210), ("water", 270), ("land", 330))
    words += line(128, ("Methane", 100), ("100", 210), ("-", 270), ("-", 330))
    words += line(142, ("Halons", 100), ("1", 210), ("-", 270), ("-", 330))
    table = table_of(
        words, [98, 112, 126, 140, 154], [98, 200, 260, 320, 360], spans={(0, 1): (1, 3)}
    )
    heading = cell_at(table, 0, 1)
    assert (heading.text, heading.col_span) == ("THRESHOLD FOR RELEASES", 3)


def test_span_over_two_separate_values_is_undone():
    words = line(100, ("Name", 100), ("A", 200), ("B", 260))
    words += line(114, ("x", 100), ("10", 200), ("20", 260))
    words += line(128, ("y", 100), ("30", 200), ("40", 260))
    words += line(142, ("z", 100), ("50", 200), ("60", 260))
    # The model merged the two value cells of the second row.
    table = table_of(words, [98, 112, 126, 140, 154], [98, 190, 250, 300], spans={(1, 1): (1, 2)})
    assert grid_texts(table)[1] == ["x", "10", "20"]
    assert all(c.col_span == 1 for c in table.cells)


def test_a_model_span_down_a_column_of_repeated_figures_is_undone():
    words = line(100, ("Name", 100), ("Air", 200), ("Water", 260))
    words += line(111, ("Aldrin", 100), ("1", 200), ("1", 260))
    words += line(122, ("Atrazine", 100), ("-", 200), ("1", 260))
    words += line(133, ("Chlordane", 100), ("1", 200), ("1", 260))
    # The structure model spans the last column's identical figures, set close as a wrapped
    # cell's lines are.
    table = table_of(words, [98, 110, 121, 132, 145], [98, 190, 250, 300], spans={(1, 2): (3, 1)})
    assert [row[2] for row in grid_texts(table)] == ["Water", "1", "1", "1"]
    assert all(c.row_span == 1 for c in table.cells)


def test_row_span_label_stays_one_cell():
    words = line(100, ("Age group", 100), ("Women", 200))
    words += line(111, ("(yrs)", 100), ("no.", 200), ("rate", 250))
    words += line(128, ("45-54", 100), ("47", 200), ("21.8", 250))
    words += line(142, ("55-64", 100), ("116", 200), ("85.5", 250))
    table = table_of(
        words, [98, 110, 124, 140, 154], [98, 190, 240, 300],
        spans={(0, 0): (2, 1), (0, 1): (1, 2)}, thead_rows=2,
    )
    label = cell_at(table, 0, 0)
    assert (label.text, label.row_span) == ("Age group (yrs)", 2)
    assert cell_at(table, 0, 1).col_span == 2
    assert table.header_rows == 2


def test_rule_through_a_model_span_splits_it():
    words = line(100, ("Country", 100), ("Total", 200))
    words += line(113, ("Lebanon", 100), ("2.57", 200))
    words += line(126, ("Morocco", 100), ("21.09", 200))
    words += line(139, ("Syria", 100), ("33.42", 200))
    rules = [Rule(95, y, 260, y) for y in (98, 111.5, 124.5, 137.5, 151)]
    rules += [Rule(x, 98, x, 151) for x in (95, 190, 260)]
    table = table_of(
        words, [98, 111.5, 137.5, 151], [95, 190, 260], rules=rules,
        spans={(1, 0): (1, 1)},
    )
    assert grid_texts(table) == [
        ["Country", "Total"], ["Lebanon", "2.57"], ["Morocco", "21.09"], ["Syria", "33.42"]
    ]


def test_a_model_row_the_refinement_splits_is_no_merged_cell():
    """The model reads a heading line and the line under it as one row of one-slot cells;
    the refined grid parts them at the rule under the heading. The model's coarser row is not
    a merged cell over both lines (it would take the heading's first column down a row and
    keep the heading from spanning the columns it runs over)."""
    words = line(2, ("Change in cost", 128))
    words += line(12, ("Attributed", 155))
    words += line(24, ("Item", 10), ("Total", 110), ("Net", 160))
    words += line(36, ("Rent", 10), ("12", 110), ("4", 160))
    logical, _ = model_grid([0, 21, 33, 45], [0, 100, 150, 200])
    rows = refine.Axis(edges=[0, 10.5, 21, 33, 45], model_edges=[0, 21, 33, 45])
    cols = refine.Axis(edges=[0, 100, 150, 200], model_edges=[0, 100, 150, 200])
    refined = Grid(rows.edges, cols.edges)
    slot_words: dict[tuple[int, int], list[int]] = {}
    for i, w in enumerate(words):
        slot_words.setdefault(refined.locate((w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2), []).append(i)
    under_heading = [(10.5, 127.0, 200.0)]
    placed = _place_cells(
        logical, Grid(rows.model_edges, cols.model_edges), rows, cols, slot_words, words, under_heading, [],
        SIZE, header_rows=2,
    )
    merged = sorted((r.start, c.start, len(r), len(c)) for _, r, c in placed if len(r) * len(c) > 1)
    assert (0, 1, 1, 2) in merged  # the heading over its two columns
    assert (0, 1, 2, 1) not in merged


# -------------------------------------------------------------------------- typed layout text


def test_leaders_are_dropped_and_typed_dashes_act_as_a_rule():
    words = line(100, ("Proportion", 100), ("1.0", 250), ("1.1", 290))
    words += [word("-" * 40, 100, 110)]
    words += line(121, ("0.99", 100), ("..........", 130), ("800", 250), ("880", 290))
    words += line(133, ("0.95", 100), ("..........", 130), ("160", 250), ("176", 290))
    words += line(145, ("0.90", 100), ("..........", 130), ("80", 250), ("88", 290))
    table = table_of(words, [98, 114, 131, 143, 157], [98, 240, 280, 320])
    assert grid_texts(table) == [
        ["Proportion", "1.0", "1.1"],
        ["0.99", "800", "880"],
        ["0.95", "160", "176"],
        ["0.90", "80", "88"],
    ]


def test_filler_and_typed_rule_recognition():
    assert refine.is_filler("........")
    assert not refine.is_filler("...")
    assert not refine.is_filler("1.000")
    assert refine.text_rule(word("-" * 30, 0, 0)) is not None
    assert refine.text_rule(word("-", 0, 0)) is None
    assert refine.text_rule(word("abc-def-ghi", 0, 0)) is None


def test_join_words_reads_lines_top_to_bottom():
    words = [word("b", 30, 0), word("a", 0, 0), word("c", 0, 12)]
    assert join_words(words) == "a b c"


def test_bullets_with_tall_boxes_do_not_join_the_lines_of_a_cell():
    """A symbol font's bullet has a box two lines tall; each bullet stays with its own line,
    and the lines (13.4 pt boxes at 12 pt leading) stay apart."""
    size = 13.4
    words = line(108.4, ("Intraclass correlation coefficient", 20), size=size)
    words += line(120.4, ("Time period of assessment", 20), size=size)
    words += [Word("•", (5, 99.1, 9.6, 124.2)), Word("•", (5, 111.1, 9.6, 136.2))]
    assert join_words(words) == "• Intraclass correlation coefficient • Time period of assessment"


def test_numbers():
    for text in ("12", "1,040", "(16.0-29.0)", "5.3**", "-0.1", "17%", "$4.50", "98.46"):
        assert refine.is_number(text), text
    for text in ("Total", "Alachlor", "kg/year", "Vermont"):
        assert not refine.is_number(text), text


def test_bands_merge_a_value_centred_beside_two_lines():
    words = line(100, ("Non-methane volatile", 100)) + line(111, ("compounds", 100))
    words += [word("100", 250, 105.5)]
    bands = refine.text_bands(words, SIZE)
    assert len(bands) == 1


def test_bands_keep_tight_lines_apart():
    words = line(100, ("first", 100)) + line(110.5, ("second", 100))
    assert len(refine.text_bands(words, SIZE)) == 2


# ---------------------------------------------------------------------------------- regions


def _grid_words(top=100.0, rows=6):
    words = line(top, ("Name", 100), ("2010", 200), ("2011", 260), ("2012", 320))
    for r in range(1, rows):
        y = top + 14 * r
        words += line(y, (f"item{r}", 100), (f"{r}.1", 200), (f"{r}.2", 260), (f"{r}.3", 320))
    return words


def test_grid_of_short_texts_looks_tabular():
    words = _grid_words()
    assert regions.looks_tabular(words, (95, 95, 360, 190))


def test_running_text_does_not_look_tabular():
    words = []
    for r in range(8):
        words += line(100 + 12 * r, ("the quick brown fox jumps over the lazy dog again", 100))
    assert not regions.looks_tabular(words, (95, 95, 360, 200))


def test_two_stacked_tables_with_repeated_heading_are_split():
    first = _grid_words(100, 6)
    second = _grid_words(100 + 14 * 6 + 20, 6)
    box = (95, 95, 360, 300)
    parts = regions.split_stacked(first + second, box)
    assert len(parts) == 2
    assert parts[0][3] == parts[1][1]
    assert 100 + 14 * 5 + SIZE < parts[0][3] < 100 + 14 * 6 + 20


# ------------------------------------------------------------------------------- end to end


@dataclass
class _Detection:
    box: tuple
    score: float
    label: str = "table"


class _Detector:
    """A detector double without the layout model: regions come from detect() alone."""

    threshold = 0.5

    def __init__(self, boxes):
        self.boxes = boxes

    def detect(self, image):
        return [_Detection(b, 0.9) for b in self.boxes]


class _Structure:
    def __init__(self, tokens, boxes):
        self.tokens, self.boxes = tokens, boxes

    def recognise(self, crop):
        return StructureResult(self.tokens, self.boxes, [0.9] * len(self.boxes), 0.8)


@dataclass
class _Models:
    detector: object
    structure: object


def test_extract_tables_with_model_doubles():
    words = _grid_words(100, 4)
    layout = layout_of(words)
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    # The crop starts 6 points (the crop margin) above and left of the region.
    tokens = ["<tr>"] + ["<td></td>"] * 4 + ["</tr>"]
    tokens = tokens * 4
    boxes = []
    for r in range(4):
        for c, x in enumerate((100, 200, 260, 320)):
            boxes.append((x - 95 + 6 - 2, 14 * r + 6 + 1, x - 95 + 6 + 40, 14 * r + 6 + 12))
    models = _Models(_Detector([(95, 95, 365, 155)]), _Structure(tokens, boxes))
    tables = extract_tables(image, layout, models)
    assert len(tables) == 1
    assert tables[0].grid() == [
        ["Name", "2010", "2011", "2012"],
        ["item1", "1.1", "1.2", "1.3"],
        ["item2", "2.1", "2.2", "2.3"],
        ["item3", "3.1", "3.2", "3.3"],
    ]


# ------------------------------------------------------------------ more of the refinement


def test_partial_rules_under_column_groups_make_the_stub_heading_span_down():
    words = line(100, ("Gender", 100), ("How healthy are you?", 220))
    words += line(114, ("Very", 200), ("Quite", 260), ("Not", 320))
    words += line(128, ("Male", 100), ("36", 200), ("102", 260), ("16", 320))
    words += line(142, ("Female", 100), ("33", 200), ("270", 260), ("32", 320))
    # A rule under the group heading only, and full rules around the heading block.
    rules = [Rule(190, 112, 360, 112), Rule(95, 98, 360, 98), Rule(95, 126, 360, 126)]
    table = table_of(
        words, [98, 112, 126, 140, 154], [95, 190, 250, 310, 360], rules=rules,
        spans={(0, 1): (1, 3)}, thead_rows=2,
    )
    stub = cell_at(table, 0, 0)
    assert (stub.text, stub.row_span) == ("Gender", 2)
    assert cell_at(table, 0, 1).col_span == 3


def test_rule_under_a_group_heading_parts_it_from_its_column_headings_in_a_ruled_table():
    # The stub headings sit centred across both heading lines, so their band fills the
    # space between the group's heading and its column headings: only the rule parts them.
    words = line(100, ("Share", 280))
    words += line(110, ("No.", 120), ("Name", 200))
    words += line(120, ("direct", 260), ("indirect", 315))
    words += line(134, ("1", 120), ("Alpha", 200), ("26%", 260))
    words += line(148, ("2", 120), ("Beta", 200), ("30%", 320))
    rules = [Rule(95, y, 370, y) for y in (98, 132, 146, 160)]
    rules += [Rule(250, 115, 370, 115)]
    rules += [Rule(x, 98, x, 160) for x in (95, 190, 250, 370)] + [Rule(310, 115, 310, 160)]
    table = table_of(
        words, [98, 115, 132, 146, 160], [95, 190, 250, 310, 370], rules=rules,
        spans={(0, 0): (2, 1), (0, 1): (2, 1), (0, 2): (1, 2)}, thead_rows=2,
    )
    assert table.rows == 4
    assert (cell_at(table, 0, 2).text, cell_at(table, 0, 2).col_span) == ("Share", 2)
    assert [cell_at(table, 1, 2).text, cell_at(table, 1, 3).text] == ["direct", "indirect"]
    assert (cell_at(table, 0, 0).text, cell_at(table, 0, 0).row_span) == ("No.", 2)


def test_rows_beside_a_label_centred_across_them_stay_apart():
    # Tight value lines, and the label's two lines between them: all one text band.
    words = line(84, ("Group", 100), ("A", 200), ("B", 260))
    words += line(105, ("Per cycle", 100)) + line(115.5, ("savings", 100))
    words += line(100, ("5%", 200), ("8%", 260))
    words += line(110, ("15%", 200), ("15%", 260))
    words += line(120, ("30%", 200), ("35%", 260))
    words += line(142, ("Total", 100), ("50%", 200), ("58%", 260))
    assert len(refine.text_bands(words[3:-3], SIZE)) == 1
    table = table_of(
        words, [82, 98, 109.5, 119.5, 136, 154], [95, 190, 250, 300], spans={(1, 0): (3, 1)}, thead_rows=1
    )
    assert [row[1:] for row in grid_texts(table)] == [
        ["A", "B"], ["5%", "8%"], ["15%", "15%"], ["30%", "35%"], ["50%", "58%"]
    ]
    label = cell_at(table, 1, 0)
    assert (label.text, label.row_span) == ("Per cycle savings", 3)


def test_heading_over_a_ruled_group_spans_it_without_the_model():
    words = line(100, ("Age", 100), ("Women", 215))
    words += line(114, ("no.", 200), ("rate", 250), ("no.", 300), ("rate", 350))
    words += line(128, ("45-54", 100), ("47", 200), ("21.8", 250), ("91", 300), ("8.7", 350))
    words += line(142, ("55-64", 100), ("116", 200), ("85.5", 250), ("224", 300), ("31.9", 350))
    rules = [Rule(190, 112, 290, 112)]  # a rule under the first two value columns only
    table = table_of(words, [98, 112, 126, 140, 154], [98, 190, 240, 290, 340, 380], rules=rules)
    heading = cell_at(table, 0, 1)
    assert (heading.text, heading.col_span) == ("Women", 2)


def test_phrase_running_over_a_column_boundary_spans_those_columns():
    words = line(100, ("Name", 100), ("American Indian", 185))
    words += line(114, ("x", 100), ("1", 200), ("2", 250))
    words += line(128, ("y", 100), ("3", 200), ("4", 250))
    words += line(142, ("z", 100), ("5", 200), ("6", 250))
    table = table_of(words, [98, 112, 126, 140, 154], [98, 190, 240, 280])
    heading = cell_at(table, 0, 1)
    assert (heading.text, heading.col_span) == ("American Indian", 2)


def test_rule_through_a_label_band_still_separates_the_rows_beside_it():
    # A label set between two ruled rows shares a band with neither of them.
    words = line(100, ("Group", 100), ("Level", 200), ("Share", 260))
    words += line(114, ("Low", 200), ("5%", 260))
    words += line(121, ("Savings", 100))
    words += line(128, ("High", 200), ("15%", 260))
    words += line(142, ("Total", 200), ("20%", 260))
    rules = [Rule(95, y, 300, y) for y in (98, 112, 140, 154)]
    rules += [Rule(190, y, 300, y) for y in (126,)]
    rules += [Rule(x, 98, x, 154) for x in (95, 190, 250, 300)]
    table = table_of(words, [98, 112, 126, 140, 154], [95, 190, 250, 300], rules=rules)
    texts = grid_texts(table)
    assert ["", "Low", "5%"] in texts or ["Savings", "Low", "5%"] in texts
    assert any(row[1:] == ["High", "15%"] for row in texts)
    label = next(c for c in table.cells if c.text == "Savings")
    assert label.row_span == 2


def test_rules_set_tight_against_the_text_still_separate_rows():
    """Word boxes run from the font's ascender to its descender, so a rule set close under
    one line and over the next crosses both boxes; a symbol font's bullet has a box three
    lines tall. Neither hides the rule."""
    size = 13.4
    words = line(100.5, ("Reliability", 100), ("Test retest", 250), size=size)
    words += line(112.4, ("Internal", 100), ("Cronbach alpha", 250), size=size)
    words += line(124.4, ("consistency", 100), size=size)
    words += line(143, ("Validity", 100), ("Content", 250), size=size)
    words.append(Word("•", (241, 100.0, 245.5, 125.1)))
    rules = [Rule(95, y, 340, y) for y in (97, 113.6, 140, 160)]
    rules += [Rule(x, 97, x, 160) for x in (95, 238, 340)]
    # The model sees one row where the rule parts two.
    table = table_of(words, [97, 140, 160], [95, 238, 340], rules=rules)
    assert table.rows == 3
    assert [row[0] for row in grid_texts(table)] == ["Reliability", "Internal consistency", "Validity"]


def test_notes_below_the_table_are_left_out():
    words = _grid_words(100, 5)
    words += [word("*", 100, 176, size=7)] + line(176, ("Significantly different from control", 110))
    words += [word("a", 100, 188, size=7)] + line(188, ("Weights are group means", 110))
    table = table_of(words, [98, 112, 126, 140, 154, 168, 185, 198], [95, 190, 250, 310, 360])
    assert table.rows == 5
    assert all("Significantly" not in c.text for c in table.cells)


def test_caption_above_the_table_is_left_out():
    words = line(80, ("Table 3. Recommended sizes by design effect", 100))
    words += _grid_words(100, 4)
    table = table_of(words, [78, 98, 112, 126, 140, 154], [95, 190, 250, 310, 360])
    assert table.rows == 4
    assert grid_texts(table)[0] == ["Name", "2010", "2011", "2012"]


def test_a_line_under_the_bottom_rule_is_left_out():
    words = _grid_words(100, 4)
    words += line(160, ("chi2 = 16.9, v = 2", 100))
    rules = [Rule(95, 98, 360, 98), Rule(95, 155, 360, 155)]
    table = table_of(words, [98, 112, 126, 140, 156, 172], [95, 190, 250, 310, 360], rules=rules)
    assert table.rows == 4


def test_narrow_ruled_columns_without_body_text_are_kept_apart():
    words = line(100, ("Action", 100), ("A", 200), ("B", 230), ("C", 260))
    for r in range(1, 5):
        words += line(100 + 14 * r, (f"act{r}", 100), ("X", 200), ("X", 260))
    xs = (95, 190, 220, 250, 280)
    rules = [Rule(x, 98, x, 170) for x in xs] + [Rule(95, y, 280, y) for y in (98, 112, 170)]
    table = table_of(words, [98, 112, 126, 140, 154, 170], list(xs), rules=rules)
    assert table.columns == 4
    assert grid_texts(table)[0] == ["Action", "A", "B", "C"]


def test_a_list_with_bullets_is_not_a_table():
    words = []
    for r in range(3):
        words += [word("•", 100, 100 + 14 * r)] + line(100 + 14 * r, ("an item of a list of things", 120))
    assert table_of(words, [98, 112, 126, 140], [95, 115, 300]) is None


def test_right_to_left_lines_read_from_the_right():
    words = [Word("שלום", (150, 100, 170, 110)), Word("עולם", (120, 100, 140, 110))]
    assert join_words(words) == "שלום עולם"
    assert join_words([word("left", 100, 0), word("right", 140, 0)]) == "left right"


def test_cells_carry_their_words_in_reading_order():
    words = line(100, ("Name", 100), ("Value", 200)) + line(114, ("long label", 100), ("1", 200))
    words += line(128, ("b", 100), ("2", 200))
    table = table_of(words, [98, 112, 126, 140], [98, 190, 260])
    cell = cell_at(table, 1, 0)
    assert [w.text for w in cell.words] == ["long", "label"]


def test_section_titles_that_differ_do_not_split_a_table():
    words = _grid_words(100, 3)
    words += line(100 + 14 * 3 + 20, ("Public elementary and secondary schools", 100))
    words += _grid_words(100 + 14 * 4 + 20, 3)[4:]
    words += line(100 + 14 * 7 + 40, ("Private elementary and secondary schools", 100))
    words += _grid_words(100 + 14 * 8 + 40, 3)[4:]
    assert len(regions.split_stacked(words, (95, 95, 360, 300))) == 1


# ----------------------------------------------------------------------------------- lattice


def _boxed_grid(xs, ys):
    return [Rule(x, ys[0], x, ys[-1]) for x in xs] + [Rule(xs[0], y, xs[-1], y) for y in ys]


def test_ruled_grid_with_text_is_found_from_the_rules():
    xs, ys = (100, 200, 300), (100, 120, 140, 160)
    words = []
    for r in range(3):
        words += line(ys[r] + 5, (f"key{r}", 105), (f"value{r}", 205))
    found = lattice.ruled_tables(_boxed_grid(xs, ys), words, 600, 800)
    assert len(found) == 1
    assert found[0].box == (100, 100, 300, 160)


def test_a_box_with_one_divider_is_not_a_table():
    rules = _boxed_grid((100, 200, 300), (100, 140))
    words = line(110, ("logo", 105), ("Title of the report", 205))
    assert lattice.ruled_tables(rules, words, 600, 800) == []


def test_shading_behind_running_text_is_not_a_table():
    # Edges of highlight boxes around each line of a paragraph, with text running across
    # the boxes' sides.
    rules = []
    words = []
    for r in range(6):
        y = 100 + 12 * r
        rules += [Rule(100, y, 400, y), Rule(100, y + 12, 400, y + 12)]
        rules += [Rule(100, y, 100, y + 12), Rule(230 + 7 * r, y, 230 + 7 * r, y + 12), Rule(400, y, 400, y + 12)]
        words += line(y + 1, ("running text of a paragraph across the page here", 105))
    assert lattice.ruled_tables(rules, words, 600, 800) == []


def test_a_frame_around_the_page_is_not_a_table():
    xs, ys = (0, 300, 600), (0, 400, 800)
    words = line(100, ("a", 100), ("b", 400)) + line(500, ("c", 100), ("d", 400))
    assert lattice.ruled_tables(_boxed_grid(xs, ys), words, 600, 800) == []


def test_a_heading_running_over_columns_gets_a_row_of_its_own():
    words = line(100, ("Source", 100), ("1", 200), ("2", 260), ("3", 320))
    words += line(114, ("Absolute value of the difference", 200))
    words += line(125, ("Projection A", 100), ("0.7", 200), ("1.1", 260), ("1.4", 320))
    words += line(139, ("Projection B", 100), ("0.4", 200), ("0.8", 260), ("1.1", 320))
    # The model put the heading line in one row with the first projection.
    table = table_of(words, [98, 112, 137, 151], [98, 190, 250, 310, 350])
    assert table.rows == 4
    heading = next(c for c in table.cells if c.text.startswith("Absolute"))
    assert heading.col_span == 3
    assert grid_texts(table)[2] == ["Projection A", "0.7", "1.1", "1.4"]


def test_region_drawn_too_tight_grows_by_the_heading_row_above():
    head = line(86, ("Variable", 100), ("Assumption", 300))
    body = _grid_words(100, 5)
    box = (95, 98, 360, 172)
    grown = regions.extend_to_rows(head + body, box)
    assert grown[1] < 86 <= grown[1] + 2
    assert grown[3] == box[3]


def test_region_does_not_grow_by_a_caption_or_a_paragraph():
    caption = line(86, ("Table 3", 100), ("Population by age", 200))
    paragraph = line(174, ("and so the population grew over the years as shown", 100))
    body = _grid_words(100, 5)
    box = (95, 98, 360, 170)
    assert regions.extend_to_rows(caption + body + paragraph, box) == box


def test_region_does_not_grow_past_the_bottom_rule():
    body = _grid_words(100, 5)
    note = line(174, ("chi2", 100), ("= 16.9,", 200), ("p < 0.01", 260))
    rules = [Rule(95, 171, 360, 171)]
    box = (95, 98, 360, 172)
    assert regions.extend_to_rows(body + note, box, [], rules) == box


def test_a_boxed_caption_is_not_a_table():
    words = line(100, ("Table 8:", 100), ("Number of persons attending training", 200))
    words += line(111, ("(reference date: end of January)", 200))
    rules = [Rule(95, 98, 400, 98), Rule(95, 124, 400, 124), Rule(190, 98, 190, 124)]
    assert table_of(words, [98, 110, 124], [95, 190, 400], rules=rules) is None


def test_wrapped_column_labels_under_group_headings_are_one_row():
    words = line(100, ("Day 1", 210), ("Day 4", 310))
    words += line(113, ("Body", 200), ("Weight", 250), ("Body", 300), ("Weight", 350))
    words += line(124, ("Conc.", 100), ("Weight", 200), ("Relative", 250), ("Weight", 300), ("Relative", 350))
    words += line(140, ("0", 100), ("5.8", 200), ("98", 250), ("8.8", 300), ("97", 350))
    words += line(154, ("250", 100), ("5.9", 200), ("102", 250), ("9.0", 300), ("102", 350))
    # The model sees three heading rows; the second and third hold one wrapped label each.
    table = table_of(
        words, [98, 111, 122, 137, 151, 165], [98, 190, 240, 290, 340, 400], thead_rows=3,
        spans={(0, 1): (1, 2), (0, 3): (1, 2)},
    )
    assert table.rows == 4
    assert grid_texts(table)[1] == ["Conc.", "Body Weight", "Weight Relative", "Body Weight", "Weight Relative"]


def _prose_column(x, top, lines):
    text = ["the", "running", "text", "of", "the", "next", "column", "on", "the", "page", "goes", "on", "and", "on", "with", "words", "of", "all", "lengths", "set", "one", "after", "another", "in", "lines", "of", "about", "the", "same", "width"]
    words, k = [], 0
    for r in range(lines):
        n = 7 + r % 3
        words += line(top + 12 * r, (" ".join(text[k:k + n]), x))
        k = (k + n) % (len(text) - 10)
    return words


def test_region_cutting_off_a_column_grows_to_take_it_in():
    words = _grid_words(100, 6)
    box = (95, 95, 300, 190)  # the last column (x=320) is cut off
    grown = regions.extend_to_rows(words, box)
    assert grown[2] > 330
    assert grown[0] == box[0]


def test_region_does_not_grow_into_running_text_beside_it():
    words = _grid_words(100, 6)
    words += _prose_column(380, 100, 8)
    box = (95, 95, 360, 190)
    assert regions.extend_to_rows(words, box)[2] == box[2]


def test_table_boxed_with_running_text_beside_it_has_a_tabular_side():
    words = _grid_words(100, 6) + _prose_column(400, 100, 8)
    box = (95, 95, 640, 200)
    parts = regions._sides(words, box)
    assert any(
        regions.looks_tabular(regions.refine_words(words, p), p)
        and regions._running_text(regions.refine_words(words, rest))
        for p, rest in parts
    )


def test_nested_detections_keep_the_one_that_is_the_table():
    words = _grid_words(100, 6) + _prose_column(400, 100, 8)
    layout = layout_of(words)
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    found = regions.find_regions(image, layout, _Detector([(95, 95, 640, 200), (95, 95, 360, 180)]))
    assert len(found) == 1
    assert found[0].box[2] < 380


class _LayoutDetector:
    """A detector double for the layout model's several labels."""

    threshold = 0.5

    def __init__(self, regions_by_label):
        self.regions_by_label = regions_by_label

    def detect_regions(self, image, labels, threshold):
        return {
            label: [_Detection(b, score, label) for b, score in self.regions_by_label.get(label, []) if score >= threshold]
            for label in labels
        }


def test_every_region_that_may_be_a_table_is_read_on_a_page_image():
    """OCR reads the unsure tables and the figures too, so that their words can make them
    tables; running text and very unsure tables are left alone."""
    detector = _LayoutDetector({
        "table": [((10, 10, 100, 50), 0.9), ((10, 60, 100, 90), 0.3), ((10, 95, 100, 99), 0.1)],
        "figure": [((120, 10, 200, 80), 0.7), ((120, 90, 200, 99), 0.4)],
        "text": [((0, 100, 200, 200), 0.99)],
    })
    boxes = regions.candidate_boxes(np.zeros((200, 200, 3), dtype=np.uint8), detector)
    assert sorted(boxes) == [(10, 10, 100, 50), (10, 60, 100, 90), (120, 10, 200, 80)]


def test_a_grid_of_figures_the_model_reads_as_text_is_a_table_but_prose_is_not():
    """A rule-less two-column table in a monospaced font, which the layout model labels
    text; a justified paragraph it also labels text stays prose."""
    table = [w for r, (group, share) in enumerate(
        [("20-29", "0.2650"), ("30-39", "0.2046"), ("40-49", "0.1477"), ("50-59", "0.1514"), ("60-69", "0.1225")]
    ) for w in line(300 + 14 * r, (group, 100), (share, 220))]
    heading = line(272, ("Age Group", 100), ("Proportion", 205))  # a blank line above the body
    prose = []
    for r in range(6):
        prose += line(100 + 12 * r, ("the   standard   population   of   the   census   year", 100))
    layout = layout_of(table + heading + prose)
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    detector = _LayoutDetector({"text": [((95, 298, 280, 372), 0.7), ((95, 98, 420, 172), 0.9)]})
    found = regions.find_regions(image, layout, detector)
    assert [r.label for r in found] == ["text"]
    assert found[0].box[1] < 272 and found[0].box[3] >= 366


def test_a_chart_whose_labels_make_a_grid_is_not_a_table():
    """A region the model calls a figure, whose axis labels and legend line up like a grid,
    is a chart when a data line is drawn across it; the same labels without it are a table."""
    words = _grid_words(100, 6)
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    detector = _LayoutDetector({"figure": [((95, 95, 360, 190), 0.9)]})
    assert len(regions.find_regions(image, layout_of(words), detector)) == 1
    chart = layout_of(words)
    chart.graphics = [(120.0, 110.0, 340.0, 180.0)]  # a polyline across the plot
    assert regions.find_regions(image, chart, detector) == []
    arrows = layout_of(words)
    arrows.graphics = [(150.0 + 30 * k, 120.0, 156.0 + 30 * k, 126.0) for k in range(3)]
    assert regions.find_regions(image, arrows, detector) == []


def test_random_layouts_give_a_tiling_of_the_grid():
    """Whatever the words, rules and model grid, cells never overlap, cover every slot and
    hold every word of the table once."""
    import random

    rng = random.Random(5)
    for _ in range(150):
        n_rows, n_cols = rng.randint(1, 6), rng.randint(1, 5)
        row_edges = sorted({98 + rng.uniform(0, 120) for _ in range(n_rows - 1)} | {98, 230})
        col_edges = sorted({95 + rng.uniform(0, 300) for _ in range(n_cols - 1)} | {95, 400})
        words = []
        for _ in range(rng.randint(0, 40)):
            x, y = rng.uniform(96, 380), rng.uniform(99, 220)
            words.append(word(rng.choice(["a", "12", "text", "1,234", "x y", "—", "(3.4)"]), x, y, rng.choice([8, 10])))
        rules = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.5:
                y = rng.uniform(95, 235)
                rules.append(Rule(rng.uniform(90, 200), y, rng.uniform(200, 410), y))
            else:
                x = rng.uniform(90, 410)
                rules.append(Rule(x, rng.uniform(90, 150), x, rng.uniform(150, 240)))
        spans = {}
        if len(row_edges) > 2 and len(col_edges) > 2 and rng.random() < 0.5:
            spans[(0, 0)] = (rng.randint(1, 2), rng.randint(1, 2))
        table = table_of(words, row_edges, col_edges, rules=rules, spans=spans)
        if table is None:
            continue
        seen = set()
        for cell in table.cells:
            for r in range(cell.row, cell.row + cell.row_span):
                for c in range(cell.col, cell.col + cell.col_span):
                    assert (r, c) not in seen
                    seen.add((r, c))
        assert seen == {(r, c) for r in range(table.rows) for c in range(table.columns)}
        inside = [w for w in words if table.bbox[1] <= (w.bbox[1] + w.bbox[3]) / 2 <= table.bbox[3]]
        placed = sum(len(c.words) for c in table.cells)
        assert placed <= len(words)
        assert placed >= 0 and (not inside or placed > 0)


def test_one_model_run_gives_the_detector_s_own_table_regions(sample_bytes):
    """regions reads the table, figure and text regions from one run of the layout model; its
    table regions are exactly those the detector itself returns (so a change inside the
    detector shows here, not as a silent fall-back to tables only)."""
    from doctables.convert.render import open_document, render_page
    from doctables.models import load_models
    from doctables.models.image import decode_image
    from doctables.settings import Settings

    models = load_models(Settings(model_threads=2))
    page = render_page(open_document(sample_bytes, Settings()).load_page(0), 1, 144)
    image = decode_image(page.png)
    found = regions._detect(models.detector, image)
    assert set(found) == {"table", "figure", "text"}
    own = models.detector.detect(image)
    ours = [d for d in found["table"] if d.score >= models.detector.threshold]
    assert [(d.box, d.score) for d in ours] == [(d.box, d.score) for d in own]


def test_captions_are_told_from_words_that_start_alike():
    from doctables.detect.extent import is_caption

    for text in ("Table 3. Sizes", "TABLE 2", "Fig. 4", "표 1 비교", "[표 1] 비교", "表1 各地区"):
        assert is_caption(text), text
    for text in ("Tablespoons of sugar", "Charter members", "표준 가격", "Figures show"):
        assert not is_caption(text), text


def test_a_table_between_paragraphs_of_a_page_image_the_model_missed_is_found():
    """On a page read with OCR where the layout model sees nothing, a block of lines with
    cells side by side (a wrapped stub line among them) that forms a grid is a table; the
    paragraphs around it are not. On a born-digital page the model's silence stands."""
    prose = []
    for r in range(4):
        prose += line(100 + 12 * r, ("the share capital of our company in issue and to be issued as fully paid", 60))
    table = line(200, ("Description", 60), ("Number", 300), ("Value", 400))
    table += line(214, ("Shares in issue", 60), ("199,413", 300), ("19,941", 400))
    table += line(228, ("including the preferred", 60))  # the stub cell wrapped
    table += line(242, ("Shares to be issued", 60), ("186,396", 300), ("18,639", 400))
    table += line(256, ("Total", 60), ("984,051", 300), ("98,405", 400))
    after = []
    for r in range(3):
        after += line(300 + 12 * r, ("the preferred shares will be converted into shares on a basis", 60))
    layout = layout_of(prose + table + after)
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    silent = _LayoutDetector({"text": [((55, 95, 520, 150), 0.98), ((55, 295, 520, 340), 0.98)]})
    found = regions.find_regions(image, layout, silent, read_from_image=True)
    assert [r.label for r in found] == ["grid"]
    x0, y0, x1, y1 = found[0].box
    assert y0 <= 200 and y1 >= 256 + SIZE and y0 > 100 + 3 * 12 + SIZE and y1 < 300
    assert regions.find_regions(image, layout, silent) == []


def test_aligned_blocks_are_runs_of_lines_with_cells_side_by_side():
    """Lines of one phrase (prose, a heading) end a block unless a line with several
    phrases follows within two lines; a block needs the grid test's three lines."""
    words = line(100, ("a long line of running text that goes on", 60))
    words += line(114, ("Name", 60), ("Size", 300))
    words += line(128, ("alpha", 60), ("12", 300))
    words += line(142, ("wrapped stub", 60))
    words += line(156, ("beta", 60), ("14", 300))
    words += line(170, ("another long line of running text", 60))
    words += line(184, ("more running text here", 60))
    words += line(198, ("still more running text", 60))
    words += line(212, ("x", 60), ("1", 300))
    words += line(226, ("y", 60), ("2", 300))
    blocks = regions.aligned_blocks(words)
    assert len(blocks) == 1
    assert blocks[0][1] == 114 and blocks[0][3] == 156 + SIZE


def test_lines_of_unspaced_scripts_join_without_a_space():
    # A Chinese cell wrapped over two lines is one run of text; Korean and Latin keep spaces.
    words = [word("南京新城", 0, 0), word("平台公司", 0, 12)]
    assert join_words(words) == "南京新城平台公司"
    assert join_words([word("서울", 0, 0), word("특별시", 0, 12)]) == "서울 특별시"
    assert join_words([word("ABC", 0, 0), word("公司", 0, 12)]) == "ABC 公司"


def test_a_ruled_block_the_model_also_spans_is_one_cell_though_its_lines_stand_apart():
    # "Account" and "method" are centred in a tall cell that two ruled rows share beside it:
    # the rule under the first row stops short of the cell, and the model spans it too.
    words = line(101, ("Item", 100), ("Share", 200), ("Account", 260))
    words += line(120, ("direct", 200), ("method", 260))
    words += line(138, ("alpha", 100), ("1.5", 200), ("cost", 260))
    words += line(154, ("beta", 100), ("2.5", 200), ("equity", 260))
    rules = [Rule(95, y, 330, y) for y in (98, 134, 150, 166)] + [Rule(95, 116, 250, 116)]
    rules += [Rule(x, 98, x, 166) for x in (95, 190, 250, 330)]
    spanned = table_of(words, [98, 116, 134, 150, 166], [95, 190, 250, 330], rules=rules, spans={(0, 2): (2, 1)})
    assert (cell_at(spanned, 0, 2).text, cell_at(spanned, 0, 2).row_span) == ("Account method", 2)
    # The rules alone, with lines that far apart, do not make one cell of them.
    apart = table_of(words, [98, 116, 134, 150, 166], [95, 190, 250, 330], rules=rules)
    assert cell_at(apart, 0, 2).text == "Account" and cell_at(apart, 1, 2).text == "method"



def test_records_the_rules_group_by_three_stay_cells_of_their_own_beside_their_group_label():
    """A ruled table whose rules part groups of three records only (the light rules between
    them were not found on a screenshot), the boundaries between the records kept by the
    records and the model together (hard, see rows.find_rows): the rules leave each group's
    columns open, but each record keeps its own cells; the group's label, one line beside
    them that the model spans, is one cell down the group."""
    words = line(2, ("Level", 65), ("2019", 125))
    for top, label in ((18, "North"), (58, "South")):
        words += line(top + 12, (label, 2))
        for k, (level, figure) in enumerate((("Low", "5%"), ("Mid", "15%"), ("High", "30%"))):
            words += line(top + 12 * k, (level, 65), (figure, 125))
    row_edges = [0, 14, 29, 41, 54, 69, 81, 94]
    logical, _ = model_grid(row_edges, [0, 60, 120, 180], spans={(1, 0): (3, 1), (4, 0): (3, 1)})
    rows = refine.Axis(edges=row_edges, model_edges=row_edges, ruled=True, hard={29, 41, 69, 81})
    cols = refine.Axis(edges=[0, 60, 120, 180], model_edges=[0, 60, 120, 180], ruled=True)
    refined = Grid(rows.edges, cols.edges)
    slot_words: dict[tuple[int, int], list[int]] = {}
    for i, w in enumerate(words):
        slot_words.setdefault(refined.locate((w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2), []).append(i)
    across = [(y, 0.0, 180.0) for y in (0, 14, 54, 94)]
    down = [(x, 0.0, 94.0) for x in (0, 60, 120, 180)]
    placed = _place_cells(
        logical, Grid(rows.model_edges, cols.model_edges), rows, cols, slot_words, words, across, down, SIZE,
        header_rows=1,
    )
    merged = sorted((r.start, c.start, len(r), len(c)) for _, r, c in placed if len(r) * len(c) > 1)
    assert merged == [(1, 0, 3, 1), (4, 0, 3, 1)]
