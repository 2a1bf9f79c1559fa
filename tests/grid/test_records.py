"""Records (doctables.grid.records): which row gaps part two records, which only cut a
wrapped row label."""

from __future__ import annotations

from geometry_builders import SIZE, line
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import lines, records, rows
from doctables.grid.frame import TableFrame
from doctables.grid.intervals import locate

FAST = settings(max_examples=60, deadline=None)
COLS = [95, 180, 250, 300]


def frame_of(words, col_edges=COLS, header_bottom=float("-inf")) -> TableFrame:
    bands = lines.text_bands(words, SIZE)
    return TableFrame(words=words, bands=bands, box=(95, 98, 300, 200), unit=SIZE,
                      header_bottom=header_bottom, col_edges=col_edges)


def splits(frame: TableFrame) -> set[int]:
    texts = [records.column_texts(b, frame.words, frame.col_edges) for b in frame.bands]
    return records.record_splits(rows.row_gaps(frame.bands), texts, frame)


def test_a_lines_text_by_column_is_its_extent_and_first_word():
    words = line(100, ("alpha beta", 100), ("12", 200))
    (band,) = lines.text_bands(words, SIZE)
    texts = records.column_texts(band, words, COLS)
    assert set(texts) == {0, 1}
    assert texts[0] == ((100, 100, 148, 110), words[0])
    assert texts[1] == (words[2].bbox, words[2])


def test_two_lines_of_figures_in_the_same_columns_are_two_records():
    words = line(100, ("a", 100), ("1.1", 200), ("1.2", 260)) + line(114, ("b", 100), ("2.1", 200), ("2.2", 260))
    assert splits(frame_of(words)) == {0}
    # One figure each: that may be one record's wrapped figures.
    words = line(100, ("a", 100), ("1.1", 200)) + line(114, ("1.2", 200))
    assert splits(frame_of(words)) == set()


def test_a_heading_over_two_columns_holding_cells_of_their_own_is_a_row_apart():
    words = line(100, ("Fiscal year ended", 185)) + line(114, ("2010", 200), ("2011", 260))
    assert splits(frame_of(words)) == {0}
    # In the heading, lines of cells wrapped column by column ("Less than" over "under" and
    # "10,000") are one row; in the body, a phrase over two cells is a heading of its own.
    words = line(100, ("Less than", 160)) + line(114, ("under", 160), ("10,000", 190))
    assert splits(frame_of(words, header_bottom=130)) == set()
    assert splits(frame_of(words)) == {0}


def test_a_label_running_to_the_columns_width_wrapped_with_its_figures_on_the_next_line():
    words = line(100, ("a long row label", 100)) + line(111, ("goes on", 100), ("12.5", 200))
    frame = frame_of(words, col_edges=[95, 180, 300])
    texts = [records.column_texts(b, frame.words, frame.col_edges) for b in frame.bands]
    found = rows.row_gaps(frame.bands)
    assert records.wrapped_labels(found, {0}, texts, frame) == {0}
    # Figures on the first line: a record of its own, not a wrapped label.
    words = line(100, ("a long row label", 100), ("3", 200)) + line(111, ("goes on", 100), ("12.5", 200))
    frame = frame_of(words, col_edges=[95, 180, 300])
    texts = [records.column_texts(b, frame.words, frame.col_edges) for b in frame.bands]
    assert records.wrapped_labels(rows.row_gaps(frame.bands), {0}, texts, frame) == set()


_CELL = st.sampled_from(["", "a", "item", "1.5", "12", "$", "Total", "x y"])


@FAST
@given(st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=7), st.sampled_from([float("-inf"), 113.0]))
def test_record_splits_are_gaps_under_a_line(table, header_bottom):
    words = []
    for r, cells in enumerate(table):
        words += line(100 + 14 * r, *((t, x) for t, x in zip(cells, (100, 200, 260)) if t))
    if not words:
        return
    frame = frame_of(words, header_bottom=header_bottom)
    found = rows.row_gaps(frame.bands)
    texts = [records.column_texts(b, frame.words, frame.col_edges) for b in frame.bands]
    assert records.record_splits(found, texts, frame) <= set(range(len(found)))
    assert records.wrapped_labels(found, set(range(len(found))), texts, frame) <= set(range(len(found)))
    for band, by_column in zip(frame.bands, texts):
        assert set(by_column) == {locate(frame.col_edges, (words[i].bbox[0] + words[i].bbox[2]) / 2)
                                  for i in band.words}
