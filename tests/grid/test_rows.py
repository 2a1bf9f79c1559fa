"""The row steps (doctables.grid.rows) one by one on small synthetic inputs."""

from __future__ import annotations

from geometry_builders import SIZE, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import lines, rows
from doctables.grid.frame import TableFrame
from doctables.grid.gaps import Gap

FAST = settings(max_examples=60, deadline=None)
BOX = (95, 98, 300, 160)
COLS = [95, 180, 300]


def frame_of(words, **given) -> TableFrame:
    bands = lines.text_bands(words, SIZE)
    return TableFrame(words=words, bands=bands, box=given.pop("box", BOX), unit=SIZE,
                      col_edges=given.pop("col_edges", COLS), **given)


def label_beside_two_lines():
    """A label (14 pt) centred beside two lines of figures: one band of three words."""
    return [word("Group", 100, 103, size=14), word("1.1", 200, 100), word("2.1", 200, 112)]


def test_a_rule_through_a_band_parting_two_lines_beside_a_label_cuts_it():
    words = label_beside_two_lines()
    frame = frame_of(words, horizontal=[(111, 150, 300)])
    assert len(frame.bands) == 1 and rows.row_gaps(frame.bands) == []
    assert rows.rule_cuts([], frame) == [Gap(111, 111)]
    # Through the label's glyphs: no cut.
    assert rows.rule_cuts([], frame_of(words, horizontal=[(111, 95, 300)])) == []
    # Not across a column boundary (shading behind one column): no cut.
    assert rows.rule_cuts([], frame_of(words, horizontal=[(111, 190, 300)])) == []


def test_lines_beside_a_model_cell_spanning_rows_fall_apart_where_the_model_parts_them():
    words = label_beside_two_lines()
    frame = frame_of(words, model_rows=[98, 111, 125], row_spans=[(95, 98, 180, 125)])
    assert rows.gaps_beside_spans(frame) == [Gap(110, 112)]
    no_boundary = frame_of(words, model_rows=[98, 125], row_spans=[(95, 98, 180, 125)])
    assert rows.gaps_beside_spans(no_boundary) == []


def test_a_boundary_inside_a_wrapped_heading_goes():
    words = line(100, ("Name", 100), ("Annual", 200)) + line(111, ("rate", 200))
    words += line(130, ("a", 100), ("1.5", 200)) + line(144, ("b", 100), ("2.5", 200))
    frame = frame_of(words, header_bottom=125)
    found = rows.row_gaps(frame.bands)
    assert rows.wrapped_heading(found, {0}, {0, 1, 2}, frame) == {0}
    # Figures under the heading's first line: a line of its own.
    words[2] = word("2011", 200, 111)
    frame = frame_of(words, header_bottom=125)
    assert rows.wrapped_heading(rows.row_gaps(frame.bands), {0}, {0, 1, 2}, frame) == set()


def test_a_heading_over_a_group_of_columns_is_one_phrase_over_the_group():
    words = line(100, ("Fiscal year", 190)) + line(114, ("2010", 190), ("2011", 250))
    assert rows.heads_group((180, 98, 300, 112), 98, 112, words, SIZE)
    # Two headings of their own over the group's columns.
    words = line(100, ("Fiscal", 190), ("Calendar", 250))
    assert not rows.heads_group((180, 98, 300, 112), 98, 112, words, SIZE)


def test_a_wrapped_description_line_close_under_its_record_rejoins_it():
    words = line(100, ("alpha", 100), ("long description", 200)) + line(111, ("continues", 200))
    words += line(130, ("beta", 100), ("other", 200))
    frame = frame_of(words)
    found = rows.row_gaps(frame.bands)
    assert rows.wrapped_body(found, {0}, {0, 1}, frame) == {0}
    # A figure in the lower line: a record's figure, the boundary stays.
    words[3] = word("12", 200, 111)
    frame = frame_of(words)
    assert rows.wrapped_body(rows.row_gaps(frame.bands), {0}, {0, 1}, frame) == set()


def test_a_heading_rule_parts_lines_that_a_gap_parts_already_in_a_table_ruled_both_ways():
    words = line(100, ("Group", 190)) + line(114, ("2010", 190), ("2011", 250))
    words += line(130, ("a", 100), ("1.5", 200), ("2.5", 250))
    frame = frame_of(words, horizontal=[(112, 180, 300)], header_bottom=126, col_edges=[95, 180, 240, 300])
    assert [(c.lo, c.hi, c.position) for c in rows.heading_rule_cuts([], frame)] == [(112, 112, 112)]
    assert rows.heading_rule_cuts([Gap(112.5, 112.5)], frame) == []  # a boundary there already


@st.composite
def stacked_lines(draw):
    """Up to 7 lines, each a label and up to two cells, with gaps of any height."""
    words, y = [], 100.0
    for _ in range(draw(st.integers(1, 7))):
        cells = [(draw(st.sampled_from(["a", "item", "x y"])), 100)]
        cells += [(draw(st.sampled_from(["1.5", "text", "$"])), x) for x in (200, 250) if draw(st.booleans())]
        words += line(y, *cells)
        y += SIZE + draw(st.floats(0.5, 2 * SIZE))
    return words


@FAST
@given(stacked_lines(), st.sampled_from([float("-inf"), 112.0]))
def test_steps_that_take_boundaries_out_take_only_candidates(words, header_bottom):
    frame = frame_of(words, header_bottom=header_bottom, col_edges=[95, 180, 240, 300])
    found = rows.row_gaps(frame.bands)
    assert len(found) == len(frame.bands) - 1
    assert all(g.lo <= g.hi for g in found)
    keep = set(range(len(found)))
    candidates = set(range(0, len(found), 2))
    assert rows.wrapped_heading(found, candidates, keep, frame) <= candidates
    assert rows.wrapped_body(found, candidates, keep, frame) <= candidates


def _records_two_to_a_ruled_row():
    """A table ruled both ways whose rules part every two records (the rule between the two
    was light, and not found): each line has a label and two figures."""
    words = line(100, ("Item", 100), ("2019", 200), ("2020", 260))
    for k, (label, a, b) in enumerate((("Rent", "12", "4"), ("Food", "30", "8"), ("Fuel", "7", "2"),
                                       ("Water", "3", "5"), ("Power", "9", "6"), ("Phone", "1", "2"))):
        words += line(116 + 30 * (k // 2) + 12 * (k % 2), (label, 100), (a, 200), (b, 260))
    rules = [(y, 95.0, 320.0) for y in (98.0, 113.0, 142.0, 172.0, 200.0)]
    return words, rules


def test_records_in_one_ruled_row_of_an_image_are_rows_apart_where_the_model_parts_them_too():
    words, rules = _records_two_to_a_ruled_row()
    given = dict(box=(95, 98, 320, 200), col_edges=[95, 190, 250, 320], horizontal=rules, header_bottom=113.0,
                 columns_ruled=True)
    # The model parts the lines of the first two ruled rows, not those of the last.
    model = [98.0, 113.0, 127.5, 142.0, 157.5, 172.0, 200.0]
    both = rows.find_rows(frame_of(words, model_rows=model, read_from_image=True, **dict(given)))
    assert both.ruled
    assert both.edges == [98.0, 113.0, 127.0, 142.0, 157.0, 172.0, 200.0]
    assert both.hard == {127.0, 157.0}  # no rule draws them: no cell may span them
    # Records alone (the model keeps each ruled row whole, as for a figure wrapped in a
    # narrow column) leave the rules to part the rows.
    rules_only = rows.find_rows(
        frame_of(words, model_rows=[98.0, 113.0, 142.0, 172.0, 200.0], read_from_image=True, **dict(given))
    )
    assert rules_only.edges == [98.0, 113.0, 142.0, 172.0, 200.0]
    # From a text layer the rules are all there: two lines of figures in a ruled row are
    # one cell's lines.
    from_text = rows.find_rows(frame_of(words, model_rows=model, **dict(given)))
    assert from_text.edges == [98.0, 113.0, 142.0, 172.0, 200.0]



def test_records_beside_a_two_line_label_the_model_spans_are_marked_two_records():
    """A label of two lines set between three lines beside it chains them into one band (its
    lines overlap each other across, so neither is a lone word bridging two lines); the lines
    beside it, each with figures in the same two columns, are two records; a word over a
    figure is not."""
    cols = [95, 180, 240, 300]
    # OCR's word boxes: taller than the line pitch.
    words = line(106, ("Group", 100), size=13) + line(118, ("total", 100), size=13)
    for y, (a, b) in zip((100, 112, 124), (("1.1", "7"), ("2.1", "8"), ("3.1", "9"))):
        words += line(y, (a, 200), (b, 260), size=13)
    model = dict(col_edges=cols, model_rows=[98, 112.5, 124.5, 138], row_spans=[(95, 98, 180, 138)])
    frame = frame_of(words, **model)
    assert len(frame.bands) == 1
    assert [g.records for g in rows.gaps_beside_spans(frame)] == [True, True]
    words[-1] = word("note", 260, 124, size=13)
    assert [g.records for g in rows.gaps_beside_spans(frame_of(words, **model))] == [True, False]


def test_a_blank_line_between_lines_parts_rows_wherever_the_model_drew_its_boundaries():
    """A unit line under the heading, then a blank line's space and the body: the model's
    boundaries, a line off (a small screenshot's), snap elsewhere, but no cell has a blank
    line inside it."""
    words = line(100, ("", 100), ("2016", 200), ("2017", 260))
    words += line(114, ("(in thousands)", 200))
    words += line(138, ("Purchases", 100), ("1,101", 200), ("15,521", 260))
    words += line(152, ("Sales", 100), ("11", 200), ("223", 260))
    words = [w for w in words if w.text]
    given = dict(box=(95, 98, 320, 164), col_edges=[95, 180, 240, 320], header_bottom=112.0)
    # The model's boundaries: under the heading, then half way down the blank and inside
    # the body's first line.
    found = rows.find_rows(frame_of(words, model_rows=[98.0, 112.0, 122.0, 145.0, 164.0], **given))
    assert found.edges == [98.0, 112.0, 131.0, 150.0, 164.0]
    # A label's second line set a little closer than a blank line: the model's one row.
    label = line(138, ("Purchases of", 100), ("1,101", 200), ("15,521", 260))
    for top, parted in ((157.0, False), (161.0, True)):
        wrapped = label + line(top, ("equipment", 100))
        box = (95, 136, 320, top + SIZE)
        found = rows.find_rows(frame_of(wrapped, model_rows=[136.0, top + SIZE], box=box, col_edges=given["col_edges"]))
        assert (len(found.edges) == 3) == parted
