"""Text lines (doctables.grid.lines): bands, a line's phrases, prose, stacked columns."""

from __future__ import annotations

from geometry_builders import SIZE, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import lines
from doctables.model.layout import Word

FAST = settings(max_examples=60, deadline=None)


def test_lines_stacked_in_two_columns_are_two_places():
    words = line(100, ("a", 100), ("1.1", 200)) + line(112, ("b", 100), ("2.1", 200))
    assert lines.columns_stacked([0, 1], [2, 3], words) == 2
    assert lines.columns_stacked([0], [3], words) == 0


def test_prose_fills_over_half_the_width():
    words = line(100, ("the quick brown fox jumps over", 100))
    band = lines.Band(100, 110, list(range(len(words))))
    assert lines.is_prose(band, words, 200)
    assert not lines.is_prose(band, words, 400)  # under half the table
    spread = line(100, ("a", 100), ("b", 180), ("c", 260))
    assert not lines.is_prose(lines.Band(100, 110, [0, 1, 2]), spread, 170)  # gaps, not running text


def test_phrases_part_at_more_than_half_a_unit():
    words = line(100, ("two words", 100), ("apart", 200))
    band = lines.Band(100, 110, [0, 1, 2])
    assert lines.phrases(band, words, SIZE) == [(100, 143), (200, 225)]
    assert lines.phrase_count(band, words, SIZE) == 2


@st.composite
def scattered_words(draw):
    """Up to 15 words of any size anywhere, some very tall (vertical header text)."""
    words = []
    for k in range(draw(st.integers(1, 15))):
        x, y = draw(st.floats(0, 300)), draw(st.floats(0, 300))
        height = draw(st.sampled_from([SIZE, SIZE, 0.6 * SIZE, 4 * SIZE]))
        words.append(Word(f"w{k}", (x, y, x + draw(st.floats(1, 60)), y + height)))
    return words


@FAST
@given(scattered_words())
def test_every_word_lands_in_exactly_one_band_and_bands_run_down(words):
    bands = lines.text_bands(words, lines.median_height(words))
    assert sorted(i for b in bands for i in b.words) == list(range(len(words)))
    assert all(b.y0 <= b.y1 for b in bands)


@FAST
@given(st.lists(st.tuples(st.integers(1, 8), st.floats(0.5, 15)), min_size=1, max_size=8))
def test_a_lines_phrases_are_as_many_as_its_phrase_count(cells):
    words, x = [], 100.0
    for length, space in cells:
        words.append(word("x" * length, x, 100))
        x = words[-1].bbox[2] + space
    band = lines.Band(100, 110, list(range(len(words))))
    runs = lines.phrases(band, words, SIZE)
    assert len(runs) == lines.phrase_count(band, words, SIZE)
    assert all(a < b for a, b in runs)
