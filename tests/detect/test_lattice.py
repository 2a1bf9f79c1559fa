"""Ruled tables from the page's ruling lines alone (doctables.detect.lattice), on constructed
lattices: the grid they draw, and what is not a table."""

from __future__ import annotations

import itertools
import random

import pytest
from geometry_builders import SIZE, lattice_rules, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.detect import lattice
from doctables.model.layout import Rule, Word

FAST = settings(max_examples=60, deadline=None)


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-6)

XS, YS = [100, 200, 300], [100, 120, 140, 160]


def cell_words(xs, ys, rows=None) -> list[Word]:
    """A short word in every cell (or in the cells of `rows`), inside it."""
    words = []
    for r in rows if rows is not None else range(len(ys) - 1):
        for c in range(len(xs) - 1):
            words.append(word("ab", xs[c] + 2, (ys[r] + ys[r + 1]) / 2 - SIZE / 2))
    return words


def test_a_ruled_grid_with_text_is_one_lattice_with_its_lines():
    (found,) = lattice.ruled_tables(lattice_rules(XS, YS), cell_words(XS, YS), 600, 800)
    assert found == lattice.Lattice((100, 100, 300, 160), [100, 200, 300], [100, 120, 140, 160])


def test_segments_drawn_cell_by_cell_with_hairline_breaks_are_one_lattice():
    rules = []
    for y in YS:
        rules += [Rule(XS[c] + 0.8, y, XS[c + 1] - 0.8, y) for c in range(2)]
    for x in XS:
        rules += [Rule(x, YS[r] + 0.8, x, YS[r + 1] - 0.8) for r in range(3)]
    (found,) = lattice.ruled_tables(rules, cell_words(XS, YS), 600, 800)
    assert (found.xs, found.ys) == (XS, YS)


def test_double_rules_are_one_grid_line():
    rules = lattice_rules(XS, YS) + [Rule(100, 101.5, 300, 101.5), Rule(298, 100, 298, 160)]
    (found,) = lattice.ruled_tables(rules, cell_words(XS, YS), 600, 800)
    # Lines 3 pt apart or less are one, at the first of them; the box takes in both.
    assert (found.xs, found.ys) == ([100, 200, 298], YS)
    assert found.box == (100, 100, 300, 160)


def test_two_separate_lattices_are_two_tables():
    lower = [y + 200 for y in YS]
    rules = lattice_rules(XS, YS) + lattice_rules(XS, lower)
    found = lattice.ruled_tables(rules, cell_words(XS, YS) + cell_words(XS, lower), 600, 800)
    assert sorted(f.box for f in found) == [(100, 100, 300, 160), (100, 300, 300, 360)]


def test_a_ruled_grid_without_text_is_no_table():
    assert lattice.ruled_tables(lattice_rules(XS, YS), [], 600, 800) == []


def test_text_in_one_row_only_is_no_table():
    assert lattice.ruled_tables(lattice_rules(XS, YS), cell_words(XS, YS, rows=[0]), 600, 800) == []


def test_text_running_across_the_column_rules_is_no_table():
    words = []
    for r in range(3):
        words += line(YS[r] + 5, ("running text over the rule", 150))
    words += cell_words(XS, YS)
    assert lattice.ruled_tables(lattice_rules(XS, YS), words, 600, 800) == []


def test_a_box_with_one_divider_is_no_table():
    rules = lattice_rules(XS, [100, 140])
    assert lattice.ruled_tables(rules, line(110, ("logo", 105), ("Title of the report", 205)), 600, 800) == []


def test_a_lattice_too_small_or_at_the_page_edge_is_decoration():
    def tiny_words(xs, ys):
        return [Word("1", (x + 1, y + 1, x + 4, y + 5)) for x in xs[:-1] for y in ys[:-1]]

    ys = [100, 107, 114, 121]
    narrow, wide = [100, 114, 128], [100, 116, 132]  # 28 and 32 pt: the least is 30
    assert lattice.ruled_tables(lattice_rules(narrow, ys), tiny_words(narrow, ys), 600, 800) == []
    assert len(lattice.ruled_tables(lattice_rules(wide, ys), tiny_words(wide, ys), 600, 800)) == 1
    frame_x, frame_y = [2, 300, 598], [100, 400, 700]
    words = cell_words(frame_x, frame_y)
    assert lattice.ruled_tables(lattice_rules(frame_x, frame_y), words, 600, 800) == []
    # Without the page size there is no edge to reach.
    assert len(lattice.ruled_tables(lattice_rules(frame_x, frame_y), words)) == 1


def test_a_page_image_has_no_decorated_edge_and_may_leave_its_sides_open():
    # A table cut out of a page with no margin, or a screenshot of one: its rules are the
    # image's edges. A text layer's page keeps its edges for decoration.
    from geometry_builders import page

    xs, ys = [1, 300, 599], [1, 400, 799]
    words = cell_words(xs, ys)
    assert lattice.page_ruled_tables(page(words, lattice_rules(xs, ys)), read_from_image=False) == []
    assert len(lattice.page_ruled_tables(page(words, lattice_rules(xs, ys)), read_from_image=True)) == 1
    # Rules across and one column rule, no outer border (faint, or cut off with the image):
    # off an image, the lattice is closed where its rules end.
    xs, ys = [100, 200, 300], [100, 120, 140, 160]
    open_rules = [Rule(100, y, 300, y) for y in ys] + [Rule(200, 100, 200, 160)]
    words = cell_words(xs, ys)
    (found,) = lattice.page_ruled_tables(page(words, open_rules), read_from_image=True)
    assert (found.box, found.xs, found.ys) == ((100, 100, 300, 160), [100, 200, 300], ys)
    assert lattice.page_ruled_tables(page(words, open_rules), read_from_image=False) == []


def test_only_outer_rules_and_a_short_inner_stub_are_no_table():
    # Inner rules must run down and across most of the table: here they are stubs.
    rules = lattice_rules([100, 300], [100, 160]) + [Rule(200, 100, 200, 110), Rule(100, 120, 120, 120),
                                                     Rule(100, 140, 120, 140)]
    assert lattice.ruled_tables(rules, cell_words(XS, YS), 600, 800) == []


def test_a_page_of_thousands_of_segments_is_a_drawing():
    rules = lattice_rules(XS, YS) + [Rule(400 + 0.01 * k, 500, 400 + 0.01 * k, 501) for k in range(4001)]
    assert lattice.ruled_tables(rules, cell_words(XS, YS), 600, 800) == []


@st.composite
def ruled_grids(draw):
    """A ruled grid of random column widths and row heights (2..6 each way), a word
    centred in each cell but a few, full rules or rules drawn cell by cell."""
    n_rows, n_cols = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    xs = list(itertools.accumulate([draw(st.floats(20, 100)), *[draw(st.floats(30, 90)) for _ in range(n_cols)]]))
    ys = list(itertools.accumulate([draw(st.floats(20, 200)), *[draw(st.floats(16, 50)) for _ in range(n_rows)]]))
    if draw(st.booleans()):
        rules = lattice_rules(xs, ys)
    else:
        breaks = draw(st.floats(0.0, 0.9))
        rules = [Rule(xs[c] + breaks, y, xs[c + 1] - breaks, y) for y in ys for c in range(n_cols)]
        rules += [Rule(x, ys[r] + breaks, x, ys[r + 1] - breaks) for x in xs for r in range(n_rows)]
    slots = st.tuples(st.integers(0, n_rows - 1), st.integers(0, n_cols - 1))
    empty = draw(st.sets(slots, max_size=n_rows * n_cols // 3))
    words = []
    for r, c in itertools.product(range(n_rows), range(n_cols)):
        if (r, c) not in empty or r < 2 and c < 2:  # keep a 2 x 2 corner of text
            cx, cy = (xs[c] + xs[c + 1]) / 2, (ys[r] + ys[r + 1]) / 2
            words.append(Word("ab", (cx - 5, cy - SIZE / 2, cx + 5, cy + SIZE / 2)))
    return xs, ys, rules, words


@FAST
@given(ruled_grids())
def test_a_generated_ruled_grid_is_found_as_exactly_that_grid(grid):
    xs, ys, rules, words = grid
    found = lattice.ruled_tables(rules, words, 600, 800)
    assert len(found) == 1
    (table,) = found
    assert table.xs == xs and table.ys == ys
    assert table.box == (xs[0], ys[0], xs[-1], ys[-1])
    # Its cells tile the table's box: sorted lines from edge to edge, so the cells cover
    # the box with no overlap, and every word lies in exactly one of them.
    x0, y0, x1, y1 = table.box
    cells = [(a, b, c, d) for (b, d) in itertools.pairwise(table.ys) for (a, c) in itertools.pairwise(table.xs)]
    assert all(c[2] > c[0] and c[3] > c[1] for c in cells)
    assert sum((c[2] - c[0]) * (c[3] - c[1]) for c in cells) == approx((x1 - x0) * (y1 - y0))
    for a, b in itertools.combinations(cells, 2):
        assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1])
    for w in words:
        cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
        assert sum(c[0] <= cx < c[2] and c[1] <= cy < c[3] for c in cells) == 1


@FAST
@given(ruled_grids(), st.floats(-60, 60), st.floats(-60, 60))
def test_a_lattice_moves_with_its_page(grid, dx, dy):
    xs, ys, rules, words = grid
    moved_rules = [Rule(r.x0 + dx, r.y0 + dy, r.x1 + dx, r.y1 + dy) for r in rules]
    moved_words = [Word(w.text, (w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2] + dx, w.bbox[3] + dy)) for w in words]
    (before,) = lattice.ruled_tables(rules, words)
    (after,) = lattice.ruled_tables(moved_rules, moved_words)
    assert after.xs == approx([x + dx for x in before.xs])
    assert after.ys == approx([y + dy for y in before.ys])


@FAST
@given(ruled_grids(), st.integers(0, 1000))
def test_a_lattice_does_not_depend_on_the_order_of_its_rules(grid, seed):
    xs, ys, rules, words = grid
    shuffled = list(rules)
    random.Random(seed).shuffle(shuffled)
    assert lattice.ruled_tables(shuffled, words, 600, 800) == lattice.ruled_tables(rules, words, 600, 800)

