"""The column steps (doctables.grid.columns) one by one on small synthetic inputs."""

from __future__ import annotations

from geometry_builders import SIZE, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import columns, lines
from doctables.grid.frame import TableFrame
from doctables.grid.gaps import Gap
from doctables.model.layout import Word

FAST = settings(max_examples=60, deadline=None)
BOX = (95, 98, 300, 160)


def frame_of(words, box=BOX, vertical=()) -> TableFrame:
    bands = lines.text_bands(words, SIZE)
    return TableFrame(words=words, bands=bands, box=box, unit=SIZE, vertical=list(vertical))


def test_coverage_is_read_at_the_nearest_step_inside_it():
    coverage = columns.Coverage([0, 1, 2, 3], 0.5, 100.0, 3)
    assert [coverage.at(x) for x in (90.0, 100.0, 100.6, 101.0, 130.0)] == [0, 0, 1, 2, 3]


def test_the_clear_part_of_a_gap_starts_past_the_long_labels_running_into_it():
    words = line(100, ("long label text", 100)) + line(114, ("item", 100), ("12.5", 200))
    words += line(128, ("note", 140))  # set further right: says nothing of the gap
    frame = frame_of(words)
    assert columns.clear_part(Gap(130, 195), frame) == Gap(171, 195)
    assert columns.clear_part(Gap(130, 172), frame) == Gap(130, 172)  # too little left


def test_a_full_vertical_rule_is_a_column_boundary_though_one_line_runs_across_it():
    words = line(100, ("item0", 100), ("12.5", 200)) + line(114, ("item1", 100), ("12.5", 200))
    words.append(word("gluedacrossthecolumns", 100, 128))  # 100 to 205
    body = lines.text_bands(words, SIZE)
    box = (95, 98, 400, 140)
    frame = TableFrame(words=words, bands=body, box=box, unit=SIZE, vertical=[(190, 98, 140)])
    found, counts, step, count = columns.column_gaps(words, body, body, 95, 400, SIZE)
    assert found == []  # the glued line covers the space between the columns
    coverage = columns.Coverage(counts, step, 95, count)
    assert columns.add_rule_gaps([], coverage, frame) == [Gap(190, 190)]
    short = TableFrame(words=words, bands=body, box=box, unit=SIZE, vertical=[(190, 98, 115)])
    assert columns.add_rule_gaps([], coverage, short) == []  # under half the table's height


def test_a_gap_holding_two_full_rules_is_one_gap_a_rule():
    rules = [(160, 98, 160), (180, 98, 160)]
    assert columns.split_at_rules([Gap(150, 190)], rules, (98, 160), SIZE) == [Gap(150, 170), Gap(170, 190)]
    double = [(160, 98, 160), (163, 98, 160)]  # less than a unit apart: one rule
    assert columns.split_at_rules([Gap(150, 190)], double, (98, 160), SIZE) == [Gap(150, 190)]


def test_a_clear_wide_gap_with_text_on_both_sides_in_many_lines_is_a_new_column():
    words = []
    for r in range(4):
        words += line(100 + 14 * r, (f"item{r}", 100), ("12.5", 200))
    frame = frame_of(words)
    found, *_ = columns.column_gaps(words, frame.bands, frame.bands, 95, 300, SIZE)
    assert columns.new_columns(found, set(), frame) == {0}
    few = frame_of(words[:4])  # two lines: too few to say
    assert columns.new_columns(found, set(), few) == set()


def test_widths_past_marks_joins_the_gaps_a_currency_sign_parts():
    words = []
    for r in range(4):
        words += line(100 + 14 * r, (f"item{r}", 100), ("$", 160), ("12.5", 200))
    bands = lines.text_bands(words, SIZE)
    found = [Gap(130, 158), Gap(166, 198)]
    assert columns.widths_past_marks(found, words, bands) == [28, 198 - 130]


def test_a_column_of_bullets_closes_on_the_items_unless_a_rule_draws_it():
    words = [word("•", 100, 100), word("•", 100, 114), word("item", 120, 100), word("item", 120, 114)]
    edges = [95, 115, 240]
    assert columns.after_bullets(edges, 1, words, set())
    assert not columns.after_bullets(edges, 1, words, {115})
    assert not columns.after_bullets(edges, 0, words, set())
    assert not columns.after_bullets([95, 140, 240], 1, words, set())  # items in it too


def test_a_column_of_dollar_look_alikes_before_figures_closes_where_the_table_sets_its_signs_apart():
    # "5 319" and "5 (174)": a small "$" set apart, read "5"; "$ (192)" read right beside it.
    signs = [word("5", 100, 100), word("319", 112, 100), word("5", 100, 114), word("(174)", 112, 114)]
    beside = [word("$", 160, 100), word("(192)", 172, 100)]
    edges = [95, 108, 150, 200]
    assert columns.after_bullets(edges, 1, signs + beside, set())
    # No "$" read anywhere in the table: "5" may be a figure.
    assert not columns.after_bullets(edges, 1, signs, set())
    # A look-alike with no figure after it on its line: no sign.
    lone = [word("5", 100, 100), word("319", 112, 100), word("5", 100, 114), word("total", 112, 114)]
    assert not columns.after_bullets(edges, 1, lone + beside, set())


def test_a_boundary_moves_past_a_heading_standing_in_its_gap():
    words = [word("Name", 100, 80), word("Amount", 132, 80)]  # 100-120 and 132-162
    heading = [lines.Band(80, 90, [0, 1])]
    edges = columns.heading_sides([95, 150, 250], [Gap(130, 170)], heading, words, SIZE, set())
    assert edges == [95, 131.0, 250]
    # Drawn by a rule, it stays.
    assert columns.heading_sides([95, 150, 250], [Gap(130, 170)], heading, words, SIZE, {150}) == [95, 150, 250]



def test_a_boundary_moves_out_of_a_heading_wider_than_the_figures_it_stands_over():
    # Body gap 150-230 between two columns of right-aligned figures; the second column's
    # heading "Nine months ended" (175-250) runs out of the gap over the second column only.
    words = [word("Year ended", 100, 80), word("Nine months ended", 175, 80)]
    words[0] = Word("Year ended", (100, 80, 148, 90))
    words[1] = Word("Nine months ended", (175, 80, 250, 90))
    heading = [lines.Band(80, 90, [0, 1])]
    gap = Gap(150, 230)
    assert columns.clear_of_headings([95, 190, 260], [gap], heading, words, SIZE, set()) == [95, 162.5, 260]
    # Drawn by a rule, it stays.
    assert columns.clear_of_headings([95, 190, 260], [gap], heading, words, SIZE, {190}) == [95, 190, 260]
    # A heading over both columns (a group's) crosses the whole gap: it stays.
    group = [Word("Years ended December 31", (120, 80, 240, 90))]
    assert columns.clear_of_headings(
        [95, 190, 260], [gap], [lines.Band(80, 90, [0])], group, SIZE, set()
    ) == [95, 190, 260]
    # A unit line over all the figure columns, ending in the gap, says nothing of it.
    words[0] = Word("Year", (100, 80, 128, 90))
    words.append(Word("(in thousands)", (120, 94, 185, 104)))
    heading.append(lines.Band(94, 104, [2]))
    edges = [95, 140, 190, 260]
    assert columns.clear_of_headings(edges, [Gap(130, 150), gap], heading, words, SIZE, set()) == [95, 140, 162.5, 260]

@FAST
@given(st.lists(st.floats(150, 190), min_size=1, max_size=5), st.floats(0.5, 20))
def test_gaps_split_at_rules_tile_the_gap(xs, unit):
    rules = [(x, 98, 160) for x in xs]
    parts = columns.split_at_rules([Gap(150, 190)], rules, (98, 160), unit)
    assert parts[0].lo == 150 and parts[-1].hi == 190
    assert all(a.hi == b.lo for a, b in zip(parts, parts[1:]))


@FAST
@given(st.lists(st.floats(96, 299), max_size=5), st.integers(2, 6))
def test_rule_gaps_keep_every_gap_found_and_stay_in_order(xs, rows):
    words = []
    for r in range(rows):
        words += line(100 + 14 * r, (f"item{r}", 100), ("12.5", 200), ("3", 260))
    bands = lines.text_bands(words, SIZE)
    box = (95, 98, 300, 100 + 14 * rows)
    found, counts, step, count = columns.column_gaps(words, bands, bands, 95, 300, SIZE)
    frame = TableFrame(words=words, bands=bands, box=box, unit=SIZE, vertical=[(x, 98, box[3]) for x in xs])
    added = columns.add_rule_gaps(found, columns.Coverage(counts, step, 95, count), frame)
    assert all(any(g is a for a in added) for g in found)
    assert [g.lo for g in added] == sorted(g.lo for g in added)
