"""The grid's geometric steps (doctables.grid.refine) on small synthetic inputs: text bands,
column and row gaps, refined columns and rows, and the small helpers they stand on."""

from __future__ import annotations

import itertools

import pytest
from geometry_builders import CHAR, SIZE, as_lines, grid_words, lattice_rules, line, word
from hypothesis import example, given, settings
from hypothesis import strategies as st

from doctables.grid import refine
from doctables.model.layout import Rule, Word

FAST = settings(max_examples=60, deadline=None)

# A small table: a heading and three records, columns starting at 100, 200 and 260.
TEXTS = [["Name", "2010", "2011"], ["alpha", "1.1", "1.2"], ["beta", "2.1", "2.2"], ["gamma", "3.1", "3.2"]]
XS = [100, 200, 260]
YS = [100, 114, 128, 142]
BOX = (95, 98, 300, 155)


def small_table() -> tuple[list[Word], list[refine.Band]]:
    words = grid_words(TEXTS, XS, YS)
    return words, refine.text_bands(words, SIZE)


# ------------------------------------------------------------------------------ measures


def test_median_height_ignores_empty_boxes_and_defaults_to_ten():
    words = [Word("a", (0, 0, 5, 8)), Word("b", (0, 0, 5, 12)), Word("c", (0, 0, 5, 20)), Word("d", (0, 5, 5, 5))]
    assert refine.median_height(words) == 12
    assert refine.median_height([]) == 10.0
    assert refine.median_height([Word("d", (0, 5, 5, 5))]) == 10.0


def test_rule_slack_grows_with_the_text_size_past_its_floor():
    assert refine.rule_slack(4.0) == 1.5
    assert refine.rule_slack(10.0) == 2.5


# --------------------------------------------------------------------------------- bands


def test_text_bands_are_the_lines_of_a_grid_top_to_bottom():
    _, bands = small_table()
    assert [(b.y0, b.y1) for b in bands] == [(100, 110), (114, 124), (128, 138), (142, 152)]
    assert [sorted(b.words) for b in bands] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]


def test_a_very_tall_word_joins_the_band_of_its_centre():
    words = line(100, ("top", 100)) + line(114, ("bottom", 100))
    words.append(Word("VERTICAL", (50, 80, 60, 125)))  # 45 pt tall: centre 102.5
    bands = refine.text_bands(words, SIZE)
    assert len(bands) == 2
    assert 2 in bands[0].words and 2 not in bands[1].words
    assert (bands[0].y0, bands[0].y1) == (100, 110)  # it does not move the band's edges


def test_only_tall_words_make_bands_of_their_own():
    words = [Word("A", (0, 0, 5, 40)), Word("B", (10, 50, 15, 90))]
    bands = refine.text_bands(words, 10.0)
    assert [b.words for b in bands] == [[0], [1]]


def test_a_bullet_with_a_tall_box_does_not_move_the_band_edges():
    words = line(100, ("item", 120)) + [Word("•", (105, 96, 110, 116))]
    (band,) = refine.text_bands(words, SIZE)
    assert sorted(band.words) == [0, 1]
    assert (band.y0, band.y1) == (100, 110)


def test_lines_that_touch_stay_apart_but_overlapping_ones_merge():
    assert len(refine.text_bands(line(100, ("a", 0)) + line(110, ("b", 0)), SIZE)) == 2
    assert len(refine.text_bands(line(100, ("a", 0)) + line(104, ("b", 50)), SIZE)) == 1


def _centred_label_table(pitch: float) -> list[Word]:
    """Country lists two lines a region, `pitch` apart: the region's name set alone in its
    column, halfway between the region's two lines."""
    words = []
    for k, (first, second, region, one, two) in enumerate(
        [
            ("Netherlands", "Korea", "AFRICA", "Morocco", "Kenya"),
            ("Uruguay", "France", "ASIA", "Japan", "Chile"),
            ("United States of America", "Singapore", "OCEANIA", "Australia", "New Zealand"),
            ("Chile", "Spain", "EUROPE", "France", "Italy"),
            ("Japan", "India", "ASIA", "Fiji", "Samoa"),
        ]
    ):
        y = 100 + 28 * k
        words += line(y, (first, 100), (one, 300)) + line(y + pitch, (second, 100), (two, 300))
        words.append(word(region, 240, y + pitch / 2))
    return words


@pytest.mark.parametrize("pitch", [12.0, 11.0])
def test_a_label_centred_between_two_lines_does_not_join_them(pitch):
    # 12: the label's (shrunk) extent touches both lines' exactly; 11: it overlaps both.
    words = _centred_label_table(pitch)
    bands = refine.text_bands(words, SIZE)
    texts = [sorted(words[i].text for i in b.words) for b in bands]
    assert texts[:4] == [
        ["AFRICA", "Morocco", "Netherlands"], ["Kenya", "Korea"], ["ASIA", "Japan", "Uruguay"], ["Chile", "France"]
    ]
    assert len(texts) == 10


def test_a_figure_centred_beside_a_wrapped_label_keeps_the_label_one_band():
    # The figure joins the label's two lines; they are stacked in one column only: one
    # record, one band.
    words = line(100, ("Republic of", 100)) + line(111, ("Korea", 100)) + [word("12.5", 260, 105.5)]
    bands = refine.text_bands(words, SIZE)
    assert len(bands) == 1


def test_first_data_line_is_the_first_line_with_two_numbers():
    words = grid_words([["Name", "Mean", "Count"], *TEXTS[1:]], XS, YS)
    assert refine.first_data_line(refine.text_bands(words, SIZE), words, BOX) == 113.5
    # Year headings are numbers too: the small table's body starts at its heading.
    words, bands = small_table()
    assert refine.first_data_line(bands, words, BOX) == 99.5
    # Without numbers, or with numbers only in the lower half, the body starts at the top.
    text = [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]
    words = grid_words(text, [100, 200], YS)
    assert refine.first_data_line(refine.text_bands(words, SIZE), words, BOX) == 98
    words = grid_words([["a", "b"], ["c", "d"], ["e", "f"], ["1", "2"]], [100, 200], YS)
    assert refine.first_data_line(refine.text_bands(words, SIZE), words, BOX) == 98


# -------------------------------------------------------------------------------- texts


@pytest.mark.parametrize(
    "text", ["12", "1,040", "(16.0-29.0)", "5.3**", "-0.1", "−3", "17%", "$4.50", "€12", "98.46", "<0.001",
             "1 000", "12a", "[3]", "±2.5", "2019/20", "12:30", "3.2†"],
)
def test_is_number_accepts_figures(text):
    assert refine.is_number(text)


@pytest.mark.parametrize("text", ["Total", "kg/year", "-", "", "a1", "n.a.", "3e5x1", "12abcd", "$", "%", "€ 12"])
def test_is_number_refuses_words(text):
    assert not refine.is_number(text)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6)


@st.composite
def numeric_texts(draw) -> str:
    """Figures as tables print them: signs, currency, thousands separators, decimals,
    percentages, brackets and footnote stars."""
    whole = draw(st.integers(min_value=0, max_value=10**9))
    body = f"{whole:,}" if draw(st.booleans()) else str(whole)
    if draw(st.booleans()):
        body += "." + draw(_DIGITS)
    prefix = draw(st.sampled_from(["", "-", "+", "−", "±", "$", "€", "£", "<", "≥", "~"]))
    suffix = draw(st.sampled_from(["", "%", "*", "**", "†", "a"]))
    text = prefix + body + suffix
    return f"({text})" if draw(st.booleans()) else text


@FAST
@given(numeric_texts(), st.sampled_from(["", " ", "  "]))
def test_is_number_accepts_generated_figures(text, pad):
    assert refine.is_number(pad + text + pad)


@FAST
@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=3), st.text(max_size=8))
def test_text_starting_with_a_letter_is_not_a_number(letters, rest):
    assert not refine.is_number(letters + rest)


def test_fillers_and_typed_rules():
    assert refine.is_filler("........") and refine.is_filler(" ____ ")
    assert not refine.is_filler("...") and not refine.is_filler("1.000") and not refine.is_filler("a.....")
    rule = refine.text_rule(Word("-" * 20, (10, 100, 110, 110)))
    assert rule == Rule(10, 105, 110, 105)
    assert refine.text_rule(Word("-" * 7, (10, 100, 110, 110))) is None  # too few characters
    assert refine.text_rule(Word("-" * 20, (10, 100, 25, 110))) is None  # narrower than twice its height
    assert refine.text_rule(word("abc-def-ghi", 0, 0)) is None


# ---------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Within 90 days. . .", "Within 90 days"),  # leaders read as dots after the label
        ("Over 365 days .", "Over 365 days"),
        ("Total ...", "Total"),
        ("etc.", "etc."),  # a full stop, an abbreviation, a figure: not leaders
        ("U.S.", "U.S."),
        ("1,234.", "1,234."),
        (".", "."),  # a cell of dots alone (a nil mark) stays
        ("a . b", "a . b"),
    ],
)
def test_trailing_leader_dots_leave_the_cell_text(text, kept):
    assert refine.without_trailing_leaders(text) == kept


def test_join_intervals_and_merge_runs():
    assert refine.join_intervals([(5, 6), (0, 2), (1, 3)]) == [(0, 3), (5, 6)]
    assert refine.join_intervals([(0, 1), (1.4, 2)]) == [(0, 2)]  # 0.4 apart: under the default join
    assert refine.join_intervals([(0, 1), (1.6, 2)]) == [(0, 1), (1.6, 2)]
    assert refine.join_intervals([(0, 1), (3, 4)], join=2.0) == [(0, 4)]
    assert refine.join_intervals([]) == []
    # Rules drawn cell by cell with hairline breaks are one run; a wider break is not.
    assert refine.merge_runs([(0, 50), (52, 100), (101, 150)]) == [(0, 150)]
    assert refine.merge_runs([(0, 50), (53, 100)]) == [(0, 50), (53, 100)]


def test_union_length():
    assert refine.union_length([(0, 10), (5, 15), (20, 25)]) == 20
    assert refine.union_length([(0, 10), (2, 3)]) == 10
    assert refine.union_length([]) == 0


_INTERVALS = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 30)).map(lambda t: (float(t[0]), float(t[0] + t[1]))),
    max_size=25,
)


def _holes_at_most(intervals, join):
    """Whether the intervals, swept left to right, never leave a hole wider than `join`."""
    ordered = sorted(intervals)
    reach = ordered[0][1] if ordered else 0.0
    for a, b in ordered[1:]:
        if a - reach > join:
            return False
        reach = max(reach, b)
    return True


@FAST
@given(_INTERVALS, st.sampled_from([0.0, 0.5, refine.SEGMENT_BREAK, 7.0]))
def test_joined_runs_are_sorted_disjoint_and_hold_every_interval(intervals, join):
    runs = refine.join_intervals(intervals, join=join)
    for (a0, a1), (b0, b1) in itertools.pairwise(runs):
        assert a0 <= a1 < b0 and b0 - a1 > join  # sorted, apart by more than the join
    for a, b in intervals:  # each interval lies in exactly one run
        assert sum(r0 <= a and b <= r1 for r0, r1 in runs) == 1
    starts, ends = {a for a, _ in intervals}, {b for _, b in intervals}
    assert all(r0 in starts and r1 in ends for r0, r1 in runs)
    # Inside a run, the intervals leave no hole wider than the join.
    for r0, r1 in runs:
        assert _holes_at_most([iv for iv in intervals if r0 <= iv[0] and iv[1] <= r1], join)


def _unit_steps(intervals):
    """The unit steps [x, x + 1) that intervals with integer ends cover."""
    return {x for a, b in intervals for x in range(int(a), int(b))}


@FAST
@given(_INTERVALS)
def test_merge_runs_covers_the_same_union_but_hairline_breaks(intervals):
    # Points (intervals of no length) chained a hairline apart cover no unit step between
    # them: the holes measured below are between intervals that have a length.
    intervals = [iv for iv in intervals if iv[1] > iv[0]]
    runs = refine.merge_runs(intervals)
    assert runs == refine.join_intervals(intervals, join=refine.SEGMENT_BREAK)
    covered, in_runs = _unit_steps(intervals), _unit_steps(runs)
    assert covered <= in_runs
    # What the runs add are holes of at most SEGMENT_BREAK (2.5 points: on integer ends, 2).
    added = sorted(in_runs - covered)
    stretches = [len(list(g)) for _, g in itertools.groupby(enumerate(added), key=lambda t: t[1] - t[0])]
    assert all(n <= refine.SEGMENT_BREAK for n in stretches)
    # With no join, the runs are exactly the union, and union_length is its measure.
    exact = refine.join_intervals(intervals, join=0.0)
    assert _unit_steps(exact) == covered
    assert refine.union_length(intervals) == len(covered)
    assert sum(b - a for a, b in exact) == len(covered)


# ------------------------------------------------------------------------------ phrases


def test_phrase_count_splits_at_gaps_wider_than_a_word_space():
    words = line(100, ("one long label", 100), ("12", 200))
    band = refine.Band(100, 110, list(range(len(words))))
    assert refine.phrase_count(band, words, SIZE) == 2
    words = line(100, ("one long label", 100))
    assert refine.phrase_count(refine.Band(100, 110, [0, 1, 2]), words, SIZE) == 1
    # Order in the band does not matter, only the x positions.
    words = [word("b", 150, 100), word("a", 100, 100)]
    assert refine.phrase_count(refine.Band(100, 110, [0, 1]), words, SIZE) == 2


def test_same_line():
    assert refine.same_line(word("a", 0, 100), word("b", 50, 104))
    assert not refine.same_line(word("a", 0, 100), word("b", 50, 106))


def test_locate_clamps_into_the_grid():
    edges = [0.0, 10.0, 20.0, 30.0]
    assert [refine.locate(edges, v) for v in (-5, 0, 9.9, 10, 25, 30, 99)] == [0, 0, 0, 1, 2, 2, 2]


@FAST
@given(
    st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=2, max_size=10, unique=True).map(sorted),
    st.floats(-2000, 2000, allow_nan=False),
)
def test_locate_puts_every_point_in_exactly_one_interval(edges, v):
    k = refine.locate(edges, v)
    assert 0 <= k <= len(edges) - 2
    if edges[0] <= v < edges[-1]:
        assert edges[k] <= v < edges[k + 1]
    assert refine.locate(edges, v + 1.0) >= k  # monotone


# -------------------------------------------------------------------------------- columns


def test_column_gaps_are_the_whitespace_between_columns():
    words, bands = small_table()
    gaps, counts, step, lines = refine.column_gaps(words, bands, bands, 95, 300, SIZE)
    # "alpha" and "gamma" end at 125 (the half-point step past it), "2010" .. "3.1" end at 220.
    assert [(g.lo, g.hi) for g in gaps] == [(125.5, 200), (220.5, 260)]
    assert step == 0.5 and lines == 4
    assert counts[int((150 - 95) / step)] == 0 and counts[int((110 - 95) / step)] == 4


def test_a_space_inside_one_long_label_is_no_column_gap():
    words = []
    for r, label in enumerate(["total of all the rows", "a", "b", "c"]):
        words += line(100 + 14 * r, (label, 100), ("12", 240))
    bands = refine.text_bands(words, SIZE)
    gaps, *_ = refine.column_gaps(words, bands, bands, 95, 260, SIZE)
    # The label ends at 197: its word spaces (3 pt) are no gaps; the one gap follows it.
    assert [(g.lo, g.hi) for g in gaps] == [(197.5, 240)]


def test_word_spaces_lining_up_by_chance_are_no_column_gap():
    # "inclusive" ends where "one" does, and "year" follows "one" a word space later: small
    # text's word spaces line up by chance, two lines "end" there, yet no text ends there.
    words = line(100, ("within one year", 100), ("12", 240))
    words += line(114, ("inclusive", 103), ("34", 240)) + line(128, ("total", 100), ("56", 240))
    assert words[1].bbox[2] == words[4].bbox[2] == 148
    bands = refine.text_bands(words, SIZE)
    gaps, *_ = refine.column_gaps(words, bands, bands, 95, 260, SIZE)
    assert [(g.lo, g.hi) for g in gaps] == [(171.5, 240)]


def test_refine_columns_keeps_the_model_columns_at_the_whitespace():
    words, bands = small_table()
    axis = refine.refine_columns([95, 190, 250, 300], words, bands, bands, [], BOX, SIZE)
    assert axis.edges == [95, 162.75, 240.25, 300]
    assert axis.model_edges == [95, 162.75, 240.25, 300]
    assert not axis.ruled


def test_refine_columns_adds_a_column_the_model_missed():
    words, bands = small_table()
    axis = refine.refine_columns([95, 250, 300], words, bands, bands, [], BOX, SIZE)
    assert axis.edges == [95, 162.75, 240.25, 300]
    # the model's one inner boundary moved into the gap it fell near
    assert axis.model_edges == [95, 240.25, 300]


def test_refine_columns_moves_a_boundary_out_of_a_long_label():
    words = line(100, ("Description", 100), ("12", 200))
    for r in range(1, 4):
        words += line(100 + 14 * r, (f"item {r}", 100), (f"{r}.5", 200))
    bands = refine.text_bands(words, SIZE)
    # The model cut through "Description" (100 .. 155).
    axis = refine.refine_columns([95, 140, 230], words, bands, bands, [], (95, 98, 230, 155), SIZE)
    assert len(axis.edges) == 3 and 155 < axis.edges[1] < 200


def test_a_boundary_goes_past_the_long_labels_of_lines_with_no_figures():
    """Lines holding only a long label (wrapped over lines, the figures on the last) are left
    out when the gaps are found; the boundary is set where none of them runs."""
    words = []
    y = 100
    for _ in range(3):
        words += line(y, ("Shares to be issued under the long", 100))  # 100 .. 273
        words += line(y + 12, ("Offer", 110), ("1,234", 300), ("5.6", 360))
        y += 28
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_columns([95, 285, 340, 380], words, bands, bands, [], (95, 98, 380, y), SIZE)
    assert len(axis.edges) == 4 and 273 < axis.edges[1] < 300


def test_a_currency_sign_between_two_columns_of_figures_does_not_hide_their_gap():
    # 2018's figures end at 172, 2017's "$" stands 6 pt on, its figures 8 pt after it: the
    # gap between the columns is the sign's and both sides', and the boundary goes left of
    # the sign, in the wider of its two parts.
    words = []
    for r, (a, b) in enumerate([("1,498", "1,426"), ("301", "344"), ("98", "99"), ("986", "816")]):
        y = 100 + 12 * r
        sign = [word("$", 178, y)] if r in (0, 3) else []
        words += line(y, (f"label{r}", 100)) + [Word(a, (172 - CHAR * len(a), y, 172, y + SIZE))] + sign
        words.append(Word(b, (211 - CHAR * len(b), y, 211, y + SIZE)))
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_columns([95, 140, 215], words, bands, bands, [], (95, 98, 215, 150), SIZE)
    assert len(axis.edges) == 4 and 172 < axis.edges[2] < 178


def test_refine_columns_follows_vertical_rules_in_a_ruled_table():
    words, bands = small_table()
    _, vertical = as_lines(lattice_rules([95, 190, 250, 300], [98, 112, 126, 140, 155]))
    axis = refine.refine_columns([95, 300], words, bands, bands, vertical, BOX, SIZE)
    assert axis.ruled
    assert axis.edges == [95, 190, 250, 300]


def test_a_column_of_bullets_belongs_to_the_items_beside_it():
    words = []
    for r in range(4):
        words += [word("•", 100, 100 + 14 * r)] + line(100 + 14 * r, ("an item", 120), ("12", 220))
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_columns([95, 115, 210, 240], words, bands, bands, [], (95, 98, 240, 155), SIZE)
    assert len(axis.edges) == 3 and 160 < axis.edges[1] < 220


def test_a_column_of_currency_signs_belongs_to_the_figures_beside_it():
    # The model drew a boundary between the signs and their figures (a low-resolution
    # screenshot's): the signs go with the figures.
    for signs in (["$"] * 4, ["$", "5", "$", "s"]):  # a small "$" reads "5" or "s" at times
        words = []
        for r, sign in enumerate(signs):
            words += line(100 + 14 * r, (f"item {r}", 100), (sign, 200), (f"{r}12.5", 220))
        bands = refine.text_bands(words, SIZE)
        axis = refine.refine_columns([95, 160, 212, 260], words, bands, bands, [], (95, 98, 260, 155), SIZE)
        assert len(axis.edges) == 3 and 140 < axis.edges[1] < 200, signs
    # A column of figures "5" is no column of signs.
    words = []
    for r in range(4):
        words += line(100 + 14 * r, (f"item {r}", 100), ("5", 200), (f"{r}12.5", 220))
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_columns([95, 160, 212, 260], words, bands, bands, [], (95, 98, 260, 155), SIZE)
    assert len(axis.edges) == 4


def test_marks_set_apart_make_no_column_without_a_model():
    # Footnote marks and currency signs set apart from their values: no column of their own,
    # where values of substance in the same place make one.
    for marks, columns in ((["(7)", "$", "*", "(a)"], 2), (["(17)", "ab", "x", "12"], 3)):
        words = []
        for r, mark in enumerate(marks):
            words += line(100 + 14 * r, (f"item{r}", 100), (mark, 150), ("12.5", 200))
        bands = refine.text_bands(words, SIZE)
        axis = refine.refine_columns([95, 185, 230], words, bands, bands, [], (95, 98, 230, 155), SIZE)
        assert len(axis.edges) - 1 == columns, marks


# ----------------------------------------------------------------------------------- rows


def test_row_gaps_lie_between_bands():
    _, bands = small_table()
    gaps = refine.row_gaps(bands)
    assert [(g.lo, g.hi, g.above) for g in gaps] == [(110, 114, 0), (124, 128, 1), (138, 142, 2)]
    # Bands that overlap (a tall word pulled one down) meet at a gap of no width.
    (gap,) = refine.row_gaps([refine.Band(0, 12), refine.Band(10, 20)])
    assert (gap.lo, gap.hi) == (11, 11)
    assert refine.row_gaps([refine.Band(0, 10)]) == []


def test_refine_rows_keeps_the_model_rows_at_the_gaps():
    words, bands = small_table()
    axis = refine.refine_rows([98, 111, 127, 139, 155], words, bands, [], BOX, [95, 162.75, 240.25, 300], 112, SIZE)
    assert axis.edges == [98, 112, 126, 140, 155]
    assert axis.model_edges == [98, 112, 126, 140, 155]
    # Boundaries between records of figures are ones no cell may span, the model's too.
    assert not axis.ruled and axis.hard == {126, 140}


def test_two_records_the_model_put_in_one_row_are_split_for_good():
    words, bands = small_table()
    axis = refine.refine_rows([98, 112, 155], words, bands, [], BOX, [95, 162.75, 240.25, 300], 112, SIZE)
    assert axis.edges == [98, 112, 126, 140, 155]
    assert axis.hard == {126, 140}  # between records of numbers: no cell may span them


def test_a_wrapped_description_line_rejoins_its_record():
    words = line(100, ("Name", 100), ("Description", 160), ("Level", 260))
    words += line(114, ("alpha", 100), ("first long", 160), ("high", 260)) + line(124, ("label", 160))
    words += line(140, ("beta", 100), ("second", 160), ("low", 260))
    words += line(154, ("gamma", 100), ("third", 160), ("mid", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 290, 166), [95, 150, 250, 290]
    # The model split the wrapped line into a row of its own: the line sits as close as a
    # wrapped cell's, starts no record (the first column is empty) and holds no figures.
    axis = refine.refine_rows([98, 112, 122, 137, 151, 166], words, bands, [], box, col_edges, 112, SIZE)
    assert axis.edges == [98, 112, 137, 152, 166]
    assert axis.model_edges == [98, 112, 124, 137, 152, 166]


def test_a_wrapped_line_with_figures_keeps_its_row():
    words = line(100, ("Name", 100), ("Description", 160), ("Value", 260))
    words += line(114, ("alpha", 100), ("first long", 160), ("1.5", 260)) + line(124, ("label", 160))
    words += line(140, ("beta", 100), ("second", 160), ("2.5", 260))
    words += line(154, ("gamma", 100), ("third", 160), ("3.5", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 290, 166), [95, 150, 250, 290]
    axis = refine.refine_rows([98, 112, 122, 137, 151, 166], words, bands, [], box, col_edges, 112, SIZE)
    assert axis.edges == [98, 112, 124, 137, 152, 166]


def test_records_between_rules_across_only_are_rows_though_the_model_joined_them():
    """Rules under the heading, within the body and over the total, no rules down: a low-
    resolution image's model drew one row for each ruled block, but each line is a record
    (figures in the same columns, a currency sign set apart from its first figure)."""
    words = line(100, ("Year", 100), ("2018", 200), ("2017", 260))
    words += line(114, ("Core", 100), ("$ 1,498", 200), ("$ 1,426", 260))
    for k, y in enumerate((128, 142, 156, 170, 184)):
        words += line(y, (f"item{k}", 100), (f"{k}.1", 200), (f"{k}.2", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 300, 196), [95, 190, 250, 300]
    horizontal = [(y, 95.0, 300.0) for y in (112, 154, 182)]
    axis = refine.refine_rows([98, 112, 154, 182, 196], words, bands, horizontal, box, col_edges, 112, SIZE)
    assert not axis.ruled
    assert axis.edges == [98, 112, 126, 140, 154, 168, 182, 196]


def test_lines_of_one_record_between_rules_across_stay_one_row():
    words = line(100, ("Year", 100), ("2018", 200), ("2017", 260))
    words += line(114, ("first", 100), ("1.5", 200), ("2.5", 260)) + line(124, ("label", 100))
    words += line(140, ("second", 100), ("3.5", 200), ("4.5", 260)) + line(150, ("wrapped", 100))
    words += line(166, ("third", 100), ("5.5", 200), ("6.5", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 300, 178), [95, 190, 250, 300]
    horizontal = [(y, 95.0, 300.0) for y in (112, 137, 163)]
    axis = refine.refine_rows([98, 112, 137, 163, 178], words, bands, horizontal, box, col_edges, 112, SIZE)
    assert axis.ruled and axis.edges == [98, 112, 137, 163, 178]


def test_lines_of_text_records_are_rows_though_rules_part_them_two_by_two():
    """Names in two columns, a region label centred beside each pair, rules under every
    pair (five pairs): each line is a record (the next line's first name would have fitted on the line
    above: no label wrapped there), not a ruled row of two lines."""
    words = line(86, ("Country", 100), ("Region", 240), ("Leader", 300)) + _centred_label_table(12.0)
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 84, 370, 236), [95, 235, 290, 370]
    horizontal = [(y, 95.0, 370.0) for y in (98, 125, 153, 181, 209)]
    axis = refine.refine_rows([84, 98, 125, 153, 181, 209, 236], words, bands, horizontal, box, col_edges, 98, SIZE)
    assert not axis.ruled
    # Every line a row but "Singapore": "United States of America" is the column's widest
    # line, so nothing proves the line under it no wrapped part of it.
    assert len(axis.edges) - 1 == 10
    assert 170 not in axis.edges and {114, 142, 198, 226} <= axis.hard


def test_a_label_wrapped_with_a_hanging_indent_is_one_row_with_its_figures():
    words = line(100, ("Shares", 100), ("Number", 300), ("Value", 360))
    words += line(120, ("Shares to be issued under the", 100))
    words += line(132, ("Global Offer", 110), ("1,864", 300), ("18.6", 360))
    words += line(146, ("Shares to be issued pursuant to", 100))
    words += line(158, ("the Issue", 110), ("5,982", 300), ("59.8", 360))
    words += line(176, ("Total", 100), ("9,840", 300), ("98.4", 360))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 390, 188), [95, 290, 350, 390]
    # The model drew a row for each line.
    axis = refine.refine_rows([98, 116, 130, 144, 156, 172, 188], words, bands, [], box, col_edges, 116, SIZE)
    assert axis.edges == [98, 115, 144, 172, 188]


def test_items_set_in_under_a_heading_are_rows_of_their_own():
    words = line(100, ("Group", 100), ("Count", 200), ("Share", 260))
    words += line(114, ("Women", 100)) + line(126, ("45-54", 110), ("47", 200), ("21.8", 260))
    words += line(138, ("55-64", 110), ("91", 200), ("8.7", 260))
    words += line(150, ("Men", 100)) + line(162, ("45-54", 110), ("40", 200), ("20.1", 260))
    words += line(174, ("55-64", 110), ("88", 200), ("8.1", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 290, 186), [95, 190, 250, 290]
    axis = refine.refine_rows([98, 112, 124, 136, 148, 160, 172, 186], words, bands, [], box, col_edges, 112, SIZE)
    assert len(axis.edges) - 1 == 7


def test_a_label_after_a_record_starts_the_next_record():
    words = line(100, ("Shares", 100), ("Number", 300), ("Value", 360))
    words += line(114, ("Offer", 100), ("1,864", 300), ("18.6", 360))
    words += line(128, ("Shares to be issued pursuant to", 100))
    words += line(140, ("the Issue", 110), ("5,982", 300), ("59.8", 360))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 390, 152), [95, 290, 350, 390]
    # The model joined the record with the label under it.
    axis = refine.refine_rows([98, 112, 138, 152], words, bands, [], box, col_edges, 112, SIZE)
    assert axis.edges == [98, 112, 126, 152]


def test_rules_down_the_columns_that_start_under_a_title_part_it_from_the_rows():
    """A frame around the table, a title over all its columns inside it with no rule under
    it: the rules down the inner column boundaries start under the title."""
    words = line(100, ("Dominance Frontiers", 130)) + line(111, ("Block", 100), ("DF", 160), ("RDF", 220))
    words += line(126, ("1", 100), ("5", 160), ("1", 220)) + line(140, ("2", 100), ("7", 160), ("2", 220))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 260, 152), [95, 150, 210, 260]
    horizontal = [(y, 95.0, 260.0) for y in (98, 123, 137, 152)]
    vertical = [(95.0, 98.0, 152.0), (260.0, 98.0, 152.0), (150.0, 110.5, 152.0), (210.0, 110.5, 152.0)]
    ends = [(k, y) for k, e in enumerate(col_edges[1:-1]) for x, a, b in vertical if x == e for y in (a,)]
    model = [98, 123, 137, 152]
    axis = refine.refine_rows(model, words, bands, horizontal, box, col_edges, 123, SIZE, (), True, (), ends)
    assert axis.edges == [98, 110.5, 123, 137, 152]
    without = refine.refine_rows([98, 123, 137, 152], words, bands, horizontal, box, col_edges, 123, SIZE, (), True)
    assert without.edges == [98, 123, 137, 152]


def test_refine_rows_follows_rules_in_a_ruled_table():
    words, bands = small_table()
    horizontal, _ = as_lines(lattice_rules([95, 190, 250, 300], [98, 112, 126, 140, 155]))
    axis = refine.refine_rows([98, 155], words, bands, horizontal, BOX, [95, 190, 250, 300], 98, SIZE)
    assert axis.ruled
    assert axis.edges == [98, 112, 126, 140, 155]


def test_in_a_ruled_table_a_wrapped_cell_is_not_split():
    words = line(100, ("Name", 100), ("Value", 200))
    words += line(114, ("first long", 100), ("1.5", 200)) + line(124, ("label", 100))
    words += line(140, ("second", 100), ("2.5", 200)) + line(154, ("third", 100), ("3.5", 200))
    bands = refine.text_bands(words, SIZE)
    horizontal, _ = as_lines(lattice_rules([95, 190, 240], [98, 112, 137, 151, 166]))
    axis = refine.refine_rows(
        [98, 112, 122, 137, 151, 166], words, bands, horizontal, (95, 98, 240, 166), [95, 190, 240], 98, SIZE
    )
    assert axis.ruled and axis.edges == [98, 112, 137, 151, 166]


def test_a_rule_under_the_heading_and_one_over_the_total_leave_the_body_rows_to_the_text():
    # One rule inside the body (over the total) does not make a table ruled row by row: read
    # so, the records between the heading's rule and the total's became one row.
    words = line(100, ("Item", 100), ("2016", 200), ("2017", 260))
    words += line(114, ("Within one year", 100), ("1,020", 200), ("2,370", 260))
    words += line(128, ("In the second", 100)) + line(138, ("inclusive", 100), ("1,514", 200), ("4,140", 260))
    words += line(156, ("Total", 100), ("2,534", 200), ("6,510", 260))
    bands = refine.text_bands(words, SIZE)
    horizontal = [(112.0, 95, 300), (152.0, 95, 300)]
    box, col_edges = (95, 98, 300, 168), [95, 190, 250, 300]
    axis = refine.refine_rows([98, 112, 126, 152, 168], words, bands, horizontal, box, col_edges, 112, SIZE)
    assert not axis.ruled
    assert axis.edges == [98, 112, 126, 152, 168]


def test_shading_behind_one_column_does_not_part_rows():
    words = line(100, ("Name", 100), ("Value", 200))
    words += line(114, ("first long", 100), ("1.5", 200)) + line(124, ("label", 100))
    words += line(140, ("second", 100), ("2.5", 200))
    bands = refine.text_bands(words, SIZE)
    # Edges of a shaded box behind the first column's wrapped cell, between its lines.
    horizontal = [(122.0, 95, 190), (112.0, 95, 190)]
    box, col_edges = (95, 98, 240, 152), [95, 190, 240]
    axis = refine.refine_rows([98, 112, 137, 152], words, bands, horizontal, box, col_edges, 112, SIZE)
    assert 122 not in axis.edges and not axis.ruled


def test_a_rule_under_some_columns_parts_the_rows_beside_a_label():
    # "Savings" is set between two ruled rows (Low, High); a rule under those columns only.
    words = line(100, ("Group", 100), ("Level", 200), ("Share", 260))
    words += line(114, ("Low", 200), ("5%", 260)) + line(121, ("Savings", 100))
    words += line(128, ("High", 200), ("15%", 260)) + line(142, ("Total", 200), ("20%", 260))
    bands = refine.text_bands(words, SIZE)
    full = [(y, 95, 300) for y in (98, 112, 140, 154)]
    box, col_edges = (95, 98, 300, 154), [95, 190, 250, 300]
    args = (words, bands)
    axis = refine.refine_rows([98, 112, 140, 154], *args, [*full, (126, 190, 300)], box, col_edges, 112, SIZE, (), True)
    assert axis.ruled and axis.edges == [98, 112, 126, 140, 154]
    axis = refine.refine_rows([98, 112, 140, 154], *args, full, box, col_edges, 112, SIZE, (), True)
    assert axis.edges == [98, 112, 140, 154]


# ----------------------------------------------------------------------- generated grids


# Texts of substance (two alphanumerics, or one alone): a lone mark such as "(7)" or "$"
# makes no column of its own (see test_marks_set_apart_make_no_column_without_a_model).
_VOCAB = ["a", "id", "Name", "Total", "x", "12", "3.5", "1,040", "(17)", "n/a", "Region", "2019", "-4.2", "45%"]


@st.composite
def word_grids(draw, min_rows=2, max_rows=8, min_cols=2, max_cols=5):
    """A table of one-word cells, R rows x C columns: random texts, column gaps, row gaps, and
    per column left or right alignment. Column gaps are wider than a line height (no two
    cells read as one phrase) and half the widest column (no line fills 80% of its extent,
    as running text does); each column's widest text stands in two lines or more (a column
    gap needs the text of two lines ending or starting at it: with one only, a left-aligned
    column beside a right-aligned one may leave no gap, as column_gaps means to). Returns
    the words, their (row, col), the true column bounds, the row tops and a box around them."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_cols = draw(st.integers(min_cols, max_cols))
    texts = [[draw(st.sampled_from(_VOCAB)) for _ in range(n_cols)] for _ in range(n_rows)]
    for c in range(n_cols):  # each column's widest text in two lines or more (see below)
        widest = max(range(n_rows), key=lambda r: len(texts[r][c]))
        again = draw(st.integers(0, n_rows - 2))
        texts[again if again < widest else again + 1][c] = texts[widest][c]
    widths = [max(CHAR * len(texts[r][c]) for r in range(n_rows)) for c in range(n_cols)]
    least = max(1.2 * SIZE, 0.5 * max(widths))
    col_gaps = [draw(st.floats(least, least + 5 * SIZE)) for _ in range(n_cols - 1)]
    row_gaps = [draw(st.floats(1.0, 2 * SIZE)) for _ in range(n_rows - 1)]
    right = [draw(st.booleans()) for _ in range(n_cols)]
    lefts = [100.0]
    for c in range(n_cols - 1):
        lefts.append(lefts[-1] + widths[c] + col_gaps[c])
    tops = [100.0]
    for r in range(n_rows - 1):
        tops.append(tops[-1] + SIZE + row_gaps[r])
    words, places = [], []
    for r in range(n_rows):
        for c in range(n_cols):
            w = CHAR * len(texts[r][c])
            x = lefts[c] + widths[c] - w if right[c] else lefts[c]
            words.append(Word(texts[r][c], (x, tops[r], x + w, tops[r] + SIZE)))
            places.append((r, c))
    cols = [(lefts[c], lefts[c] + widths[c]) for c in range(n_cols)]
    box = (lefts[0] - 5, tops[0] - 2, cols[-1][1] + 5, tops[-1] + SIZE + 2)
    return words, places, cols, tops, box


def _slots(words, row_edges, col_edges):
    return [
        (refine.locate(row_edges, (w.bbox[1] + w.bbox[3]) / 2), refine.locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2))
        for w in words
    ]


@FAST
@given(word_grids())
def test_bands_of_a_generated_grid_are_its_rows(grid):
    words, places, _, tops, _ = grid
    bands = refine.text_bands(words, refine.median_height(words))
    assert len(bands) == len(tops)
    for r, band in enumerate(bands):
        assert sorted(band.words) == [i for i, (row, _) in enumerate(places) if row == r]
        assert (band.y0, band.y1) == (tops[r], tops[r] + SIZE)
    # every word in exactly one band
    assert sorted(i for b in bands for i in b.words) == list(range(len(words)))


def _check_column_gaps(grid) -> None:
    words, _, cols, _, box = grid
    bands = refine.text_bands(words, SIZE)
    gaps, _, _, lines = refine.column_gaps(words, bands, bands, box[0], box[2], SIZE)
    assert lines == len(bands)
    assert len(gaps) == len(cols) - 1
    # In eight lines or more, a gap may run through the text of one line in twelve.
    allowance = 0 if lines < 8 else max(1, lines // 12)
    for gap, (left_start, left_end), (right_start, right_end) in zip(gaps, cols, cols[1:]):
        assert left_start < gap.lo < gap.hi < right_end
        through = {k for k, band in enumerate(bands) for i in band.words
                   if words[i].bbox[0] < gap.hi and words[i].bbox[2] > gap.lo}
        assert len(through) <= allowance
        if allowance == 0:
            assert left_end <= gap.lo < gap.hi <= right_start


@FAST
@given(word_grids(max_rows=7))
def test_column_gaps_of_a_generated_grid_are_its_column_gaps(grid):
    _check_column_gaps(grid)


@FAST
@given(word_grids(min_rows=8, max_rows=14))
def test_column_gaps_of_a_long_grid_lie_between_its_columns(grid):
    _check_column_gaps(grid)


@st.composite
def long_grids_with_one_wider_first_label(draw):
    """Eight lines or more (so column_gaps allows one line through a gap), the first column
    right-aligned with one label wider than the others: the text's left end is that label's
    alone. Returns the words, the text's left end and the number of columns."""
    n_rows, n_cols = draw(st.integers(8, 14)), draw(st.integers(2, 4))
    short = draw(st.integers(1, 3))
    wider = short + draw(st.integers(1, 3))
    stray = draw(st.integers(0, n_rows - 1))
    right = 100.0 + CHAR * wider
    xs = [right + draw(st.floats(1.2 * SIZE, 4 * SIZE))]
    for _ in range(n_cols - 2):
        xs.append(xs[-1] + 2 * CHAR + draw(st.floats(1.2 * SIZE, 4 * SIZE)))
    words = []
    for r in range(n_rows):
        label = "w" * (wider if r == stray else short)
        words.append(word(label, right - CHAR * len(label), 100 + 11 * r))
        words += [word("ab", x, 100 + 11 * r) for x in xs]
    return words, 100.0, n_cols


@FAST
@example(([w for r in range(8) for w in (word("id" if r == 7 else "a", 100 if r == 7 else 105, 100 + 11 * r),
                                         word("a", 122, 100 + 11 * r))], 100.0, 2))
@given(long_grids_with_one_wider_first_label())
def test_no_column_gap_opens_at_the_left_end_of_the_text(case):
    words, left_end, n_cols = case
    bands = refine.text_bands(words, SIZE)
    gaps, *_ = refine.column_gaps(words, bands, bands, left_end - 5, 400, SIZE)
    assert all(g.lo > left_end for g in gaps)
    assert len(gaps) == n_cols - 1


def test_a_stray_line_at_the_right_end_of_the_text_makes_no_gap():
    # The mirror image of the example above: no gap at the text's right end either.
    words = []
    for r in range(8):
        words += [word("a", 100, 100 + 11 * r), word("id" if r == 7 else "a", 122, 100 + 11 * r)]
    bands = refine.text_bands(words, SIZE)
    gaps, *_ = refine.column_gaps(words, bands, bands, 95, 137, SIZE)
    assert [(g.lo, g.hi) for g in gaps] == [(105.5, 122)]


@FAST
@given(word_grids(), st.data())
def test_refine_columns_recovers_the_columns_around_a_jittered_model(grid, data):
    words, places, cols, _, box = grid
    bands = refine.text_bands(words, SIZE)
    # The model's boundaries anywhere in the whitespace between the columns, a point clear of
    # the text (a boundary on a word's edge counts as running through the word).
    inner = [data.draw(st.floats(a[1] + 1.0, b[0] - 1.0)) for a, b in itertools.pairwise(cols)]
    axis = refine.refine_columns([box[0], *inner, box[2]], words, bands, bands, [], box, SIZE)
    assert len(axis.edges) == len(cols) + 1
    assert axis.edges == sorted(axis.edges) and (axis.edges[0], axis.edges[-1]) == (box[0], box[2])
    assert [c for _, c in _slots(words, [box[1], box[3]], axis.edges)] == [c for _, c in places]


@FAST
@given(word_grids(min_rows=3))
def test_refine_columns_finds_the_columns_of_three_or_more_lines_without_a_model(grid):
    words, places, cols, _, box = grid
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_columns([box[0], box[2]], words, bands, bands, [], box, SIZE)
    assert [c for _, c in _slots(words, [box[1], box[3]], axis.edges)] == [c for _, c in places]


@FAST
@given(word_grids(), st.data())
def test_refine_rows_recovers_the_rows_and_no_word_lands_in_two_slots(grid, data):
    words, places, cols, tops, box = grid
    bands = refine.text_bands(words, SIZE)
    col_edges = [box[0], *[(a[1] + b[0]) / 2 for a, b in itertools.pairwise(cols)], box[2]]
    inner = [data.draw(st.floats(a + SIZE, b)) for a, b in itertools.pairwise(tops)]
    axis = refine.refine_rows([box[1], *inner, box[3]], words, bands, [], box, col_edges, box[1], SIZE)
    assert len(axis.edges) == len(tops) + 1
    assert axis.edges == sorted(axis.edges)
    slots = _slots(words, axis.edges, col_edges)
    assert slots == places  # each word in its own row and column
    assert len(set(slots)) == len(words)  # and no slot holds two of them


@FAST
@given(word_grids(min_rows=3, max_rows=6), st.data())
def test_a_ruled_grid_takes_its_rows_and_columns_from_the_rules(grid, data):
    words, places, cols, tops, box = grid
    bands = refine.text_bands(words, SIZE)
    xs = [box[0], *[(a[1] + b[0]) / 2 for a, b in itertools.pairwise(cols)], box[2]]
    ys = [box[1], *[(a + SIZE + b) / 2 for a, b in itertools.pairwise(tops)], box[3]]
    horizontal, vertical = as_lines(lattice_rules(xs, ys))
    columns = refine.refine_columns([box[0], box[2]], words, bands, bands, vertical, box, SIZE)
    assert columns.ruled and columns.edges == pytest.approx(xs, abs=0.06)
    rows = refine.refine_rows([box[1], box[3]], words, bands, horizontal, box, columns.edges, box[1], SIZE, (), True)
    assert rows.ruled and rows.edges == pytest.approx(ys, abs=0.06)
    assert _slots(words, rows.edges, columns.edges) == places


@st.composite
def scattered_tables(draw):
    """Words anywhere in a box (some tall, some bullets), stray rules across and down it and
    model boundaries anywhere: no grid to find, only the axes' invariants to keep."""
    words = []
    for _ in range(draw(st.integers(1, 25))):
        x, y = draw(st.integers(100, 280)), draw(st.integers(100, 200))
        w, h = draw(st.integers(3, 40)), draw(st.sampled_from([8, 10, 10, 10, 12, 30]))
        words.append(Word(draw(st.sampled_from(["a", "12", "Total", "3.5", "•", "x y"])), (x, y, x + w, y + h)))
    horizontal, vertical = [], []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):  # (y, x0, x1) in or beside the box (95, 95, 325, 240)
            y, a = draw(st.integers(90, 245)), draw(st.integers(90, 320))
            horizontal.append((float(y), float(a), float(draw(st.integers(a, 330)))))
        else:  # (x, y0, y1)
            x, a = draw(st.integers(90, 330)), draw(st.integers(90, 235))
            vertical.append((float(x), float(a), float(draw(st.integers(a, 245)))))
    model_rows = sorted(set(draw(st.lists(st.integers(96, 239), max_size=6))))
    model_cols = sorted(set(draw(st.lists(st.integers(96, 324), max_size=5))))
    return words, horizontal, vertical, model_rows, model_cols


@FAST
@given(scattered_tables(), st.booleans())
def test_refined_axes_run_edge_to_edge_and_hold_each_word_once(case, columns_ruled):
    words, horizontal, vertical, model_rows, model_cols = case
    box = (95.0, 95.0, 325.0, 240.0)
    unit = refine.median_height(words)
    bands = refine.text_bands(words, unit)
    assert sorted(i for b in bands for i in b.words) == list(range(len(words)))  # each word in one band
    cols = refine.refine_columns([95.0, *model_cols, 325.0], words, bands, bands, vertical, box, unit)
    rows = refine.refine_rows(
        [95.0, *model_rows, 240.0], words, bands, horizontal, box, cols.edges, 95.0, unit, (), columns_ruled
    )
    for axis, lo, hi, model in ((cols, 95, 325, model_cols), (rows, 95, 240, model_rows)):
        assert axis.edges[0] == lo and axis.edges[-1] == hi
        assert all(a < b for a, b in itertools.pairwise(axis.edges))  # no empty row or column
        assert len(axis.model_edges) == len(model) + 2
    slots = _slots(words, rows.edges, cols.edges)
    assert all(0 <= r < len(rows.edges) - 1 and 0 <= c < len(cols.edges) - 1 for r, c in slots)


def test_a_heading_line_the_models_heading_edge_cuts_is_still_heading():
    # "Body / weight" is one heading wrapped over two lines; the model's heading ends at 118,
    # inside the second line (centre 116): the line is heading, and the boundary under "Body"
    # only cuts the wrapped text.
    words = line(100, ("Name", 100), ("Body", 200)) + line(111, ("weight", 200))
    words += line(128, ("alpha", 100), ("1.5", 200)) + line(142, ("beta", 100), ("2.5", 200))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 260, 155), [95, 190, 260]
    axis = refine.refine_rows([98, 110.5, 125, 140, 155], words, bands, [], box, col_edges, 118, SIZE)
    assert len(axis.edges) == 4 and 121 < axis.edges[1] < 128


def test_a_model_group_over_headings_of_their_own_does_not_hold_their_wrapped_lines_apart():
    # The model spans "Weight Weight" as one heading over two columns; the text shows two
    # headings, each wrapped over three lines: one heading row.
    words = line(100, ("Name", 100), ("Weight", 200), ("Weight", 260))
    words += line(111, ("Relative", 200), ("Relative", 260)) + line(122, ("to body", 200), ("to body", 260))
    words += line(140, ("alpha", 100), ("1.5", 200), ("2.5", 260))
    words += line(154, ("beta", 100), ("3.5", 200), ("4.5", 260))
    bands = refine.text_bands(words, SIZE)
    box, col_edges = (95, 98, 310, 166), [95, 190, 250, 310]
    model = [98, 110.5, 121.5, 136, 151, 166]
    axis = refine.refine_rows(model, words, bands, [], box, col_edges, 136, SIZE, [(190, 98, 310, 110.5)])
    assert len(axis.edges) == 4 and 132 < axis.edges[1] < 140
    # A heading of one phrase over the two columns is the group's: its row stays apart.
    words = line(100, ("Name", 100), ("Body weight", 215))
    words += line(111, ("Relative", 200), ("Relative", 260)) + line(122, ("to body", 200), ("to body", 260))
    words += line(140, ("alpha", 100), ("1.5", 200), ("2.5", 260))
    words += line(154, ("beta", 100), ("3.5", 200), ("4.5", 260))
    bands = refine.text_bands(words, SIZE)
    axis = refine.refine_rows(model, words, bands, [], box, col_edges, 136, SIZE, [(190, 98, 310, 110.5)])
    assert 108 < axis.edges[1] < 112


def test_a_heading_read_in_two_pieces_a_little_over_a_word_space_apart_is_not_cut():
    # "September" stands in the gap between the last two columns of figures, "30," a little
    # more than a word space after it (OCR's word boxes): both head the last column.
    words = line(100, ("As of December 31,", 314), ("September", 445), ("30,", 497))
    for k, y in enumerate((130, 144, 158)):
        words += line(y, (f"label{k}", 110), ("1,020", 331), ("2,370", 402), ("4,326", 485))
    bands = refine.text_bands(words, SIZE)
    body = bands[1:]
    axis = refine.refine_columns([110, 293, 384, 444, 518], words, bands, body, [], (110, 98, 518, 170), SIZE)
    # The last boundary stays in the figures' gap, left of the heading's middle: both pieces
    # fall in the last column.
    assert len(axis.edges) == 5 and 427 < axis.edges[3] < 467


def test_rules_over_pairs_of_records_group_them_a_missed_rule_does_not():
    # Body gaps top to bottom: a rule, then a record boundary no rule draws, a rule, ...
    gaps = [refine.Gap(100.0 + 10 * k, 101.0 + 10 * k) for k in range(10)]
    body = set(range(10))
    strong = {0, 2, 4, 6, 8}  # a rule under every second line (and one under the heading)
    unparted = {1, 3, 5, 7}   # the last pair's boundary was not seen as two records
    assert refine._groups_records(gaps, body, strong, unparted)
    # A ruling row by row with one rule a scan lost: one stretch of five holds a record.
    assert not refine._groups_records(gaps, body, {0, 1, 2, 3, 4, 6, 7, 8, 9}, {5})
