"""A table's extent within its region (doctables.detect.extent): the caption above and the
notes below that a detected region took in are left out."""

from __future__ import annotations

import pytest
from geometry_builders import SIZE, figures_table, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.detect import extent
from doctables.grid import refine
from doctables.model.layout import Word

FAST = settings(max_examples=60, deadline=None)


def trim(words: list[Word], horizontal=()) -> tuple[float | None, float | None]:
    unit = refine.median_height(words)
    return extent.trim_extent(words, refine.text_bands(words, unit), unit, list(horizontal))


CAPTION = line(80, ("Table 3. Recommended sizes by design effect", 100))
TABLE = figures_table(100, 5)  # lines at 100, 114, ..., 156; the last ends at 166


@pytest.mark.parametrize("text", ["Table 3", "TABLE IV: totals", "Figure 2.", "Tab. 1", "Fig. 4", "Exhibit 7",
                                  "表1", "표 2", "図３"])
def test_caption_starts(text):
    assert extent.is_caption(text)


@pytest.mark.parametrize("text", ["Tablet sales", "Total", "Notes", "表示"])
def test_not_caption_starts(text):
    assert not extent.is_caption(text)


def test_a_table_alone_keeps_its_whole_extent():
    assert trim(TABLE) == (None, None)


def test_the_caption_above_is_left_out():
    # Caption 80..90, the table's first line at 100: the table starts half way between.
    assert trim(CAPTION + TABLE) == (95.0, None)


def test_a_caption_runs_on_over_the_lines_set_close_under_it():
    words = CAPTION + line(91.5, ("for the survey of households", 100)) + figures_table(110, 5)
    assert trim(words) == ((101.5 + 110) / 2, None)


def test_a_caption_set_as_a_table_row_is_kept():
    # "Table 3" in a cell beside other cells: a row of the table, not a caption.
    words = line(86, ("Table 3", 100), ("2010", 200), ("2011", 260), ("2012", 320)) + TABLE
    assert trim(words) == (None, None)


def test_the_last_line_of_a_paragraph_above_is_left_out_but_a_title_is_not():
    # A screenshot cut with the line over the table: a sentence's end, across most of it.
    prose = line(80, ("and a decrease in net income of $51 million post-tax.", 100))
    assert trim(prose + TABLE) == (95.0, None)
    # A title over the table (no full stop), or a short phrase ending one, stays.
    assert trim(line(80, ("Consolidated statement of income for the year", 100)) + TABLE) == (None, None)
    assert trim(line(80, ("Amounts in thousands.", 100)) + TABLE) == (None, None)


@pytest.mark.parametrize(
    "notes",
    [
        [word("*", 100, 176, size=7)] + line(176, ("Significantly different from control", 110))
        + [word("a", 100, 188, size=7)] + line(188, ("Weights are group means", 110)),
        line(176, ("Note: values are means of all the groups here", 100)),
        line(176, ("Source: national statistics office", 100)),
        line(176, ("the values shown in this table are estimates from the survey", 100)),
    ],
    ids=["markers", "note", "source", "running-text"],
)
def test_notes_below_are_left_out(notes):
    # The table's last line ends at 166, the notes start at 176.
    assert trim(TABLE + notes) == (None, 171.0)


def test_a_short_line_below_that_is_no_note_stays():
    assert trim(TABLE + line(176, ("Total", 100), ("9.9", 200))) == (None, None)
    assert trim(TABLE + line(176, ("see below", 100))) == (None, None)  # one run, but no note start


def test_a_line_under_the_table_bottom_rule_is_left_out():
    below = line(178, ("chi2 = 16.9, v = 2", 100))
    assert trim(TABLE + below, [(98, 95, 360), (172, 95, 360)]) == (None, 172)
    # ... unless a rule closes it too: then it is a ruled row of the table.
    assert trim(TABLE + below, [(98, 95, 360), (172, 95, 360), (190, 95, 360)]) == (None, None)


def test_a_line_of_running_text_in_a_row_ruled_like_those_above_is_a_row():
    # Every row ruled (a list of channels drawn as a table): its last item, the longest
    # line, runs across most of the table as a note would, but sits between rules.
    item = line(176, ("intermediaries through public and private partnership", 100))
    every_row = [(y, 95, 360) for y in (98, 112, 126, 140, 154, 170)]
    assert trim(TABLE + item, every_row + [(190, 95, 360)]) == (None, None)
    # No rule under it: a note under the table's bottom rule.
    assert trim(TABLE + item, every_row) == (None, 171.0)
    # A note's own start says note, rules or not.
    note = line(176, ("Note: values are means of all the groups here", 100))
    assert trim(TABLE + note, every_row + [(190, 95, 360)]) == (None, 171.0)


def test_caption_and_notes_together():
    notes = line(176, ("Source: national statistics office", 100))
    assert trim(CAPTION + TABLE + notes) == (95.0, 171.0)


def test_fewer_than_three_lines_are_left_alone():
    assert trim(CAPTION + figures_table(100, 1)) == (None, None)


_CELLS = ["a", "id", "Name", "x", "12", "3.5", "1,040", "n/a", "Region", "2019", "-4.2", "yes"]


@st.composite
def captioned_tables(draw):
    """A grid of one-word cells (3..7 lines, 2..4 columns, column gaps wider than a word
    space), maybe a caption of one or two lines above it, maybe one to three lines of
    notes below it. Returns the words, the caption's bottom, the table's top and bottom,
    and the notes' top (None where absent)."""
    n_rows, n_cols = draw(st.integers(3, 7)), draw(st.integers(2, 4))
    pitch = draw(st.floats(12, 20))
    top = 200.0
    xs = [100.0]
    for _ in range(n_cols - 1):
        xs.append(xs[-1] + 40 + draw(st.floats(2 * SIZE, 60)))
    words = []
    for r in range(n_rows):
        words += line(top + r * pitch, *((draw(st.sampled_from(_CELLS)), x) for x in xs))
    bottom = top + (n_rows - 1) * pitch + SIZE
    caption_bottom = notes_top = None
    n_caption = draw(st.integers(0, 2))
    if n_caption:
        gap = draw(st.floats(3, 20))
        label = draw(st.sampled_from(["Table 3.", "Figure 2:", "Exhibit 4", "TABLE 12"]))
        y = top - gap - SIZE - (n_caption - 1) * (SIZE + 1.0)
        words += line(y, (f"{label} Results of the survey by region", 100))
        if n_caption == 2:
            words += line(y + SIZE + 1.0, ("and by year of the survey", 100))
        caption_bottom = top - gap
    n_notes = draw(st.integers(0, 3))
    if n_notes:
        notes_top = bottom + draw(st.floats(3, 20))
        first = draw(st.sampled_from(["Note: figures are rounded", "Source: the survey office", "* weighted means"]))
        for k in range(n_notes):
            text = first if k == 0 else "more words of the note here"
            words += line(notes_top + k * 12, (text, 100))
    return words, caption_bottom, top, bottom, notes_top


@FAST
@given(captioned_tables())
def test_the_extent_is_the_table_between_its_caption_and_its_notes(case):
    words, caption_bottom, top, bottom, notes_top = case
    trimmed_top, trimmed_bottom = trim(words)
    if caption_bottom is None:
        assert trimmed_top is None
    else:
        assert trimmed_top == pytest.approx((caption_bottom + top) / 2)
    if notes_top is None:
        assert trimmed_bottom is None
    else:
        assert trimmed_bottom == pytest.approx((bottom + notes_top) / 2)
    # Whatever is cut, every line of the table stays inside.
    assert trimmed_top is None or trimmed_top < top
    assert trimmed_bottom is None or trimmed_bottom > bottom
