"""Merged cells (doctables.grid.spans) on small synthetic inputs: from missing rules, from
the text, the checks on a model's spanning cell, and the placed cells of an assembled table."""

from __future__ import annotations

import itertools

from geometry_builders import SIZE, as_lines, lattice_rules, line, word
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import refine, spans
from doctables.grid.tokens import decode_grid
from doctables.model.layout import PageLayout, Rule, Word
from doctables.page.assemble import build_table

FAST = settings(max_examples=60, deadline=None)

XS = [95, 190, 250, 300]
YS = [98, 112, 126, 140]


def slots_of(words: list[Word], ys=YS, xs=XS) -> dict[tuple[int, int], list[int]]:
    """Words by the grid slot their centre lies in, as assembly files them."""
    slot: dict[tuple[int, int], list[int]] = {}
    for i, w in enumerate(words):
        at = (refine.locate(ys, (w.bbox[1] + w.bbox[3]) / 2), refine.locate(xs, (w.bbox[0] + w.bbox[2]) / 2))
        slot.setdefault(at, []).append(i)
    return slot


def axes(ys=YS, xs=XS, ruled=False) -> tuple[refine.Axis, refine.Axis]:
    return refine.Axis(list(ys), list(ys), ruled), refine.Axis(list(xs), list(xs), ruled)


# ----------------------------------------------------------------------------- covered


def test_covered_takes_the_intervals_whose_centre_lies_within():
    edges = [0, 10, 20, 30, 40]
    assert spans.covered(edges, 5, 25) == range(0, 3)
    assert spans.covered(edges, 4, 26) == range(0, 3)
    assert spans.covered(edges, 6, 24) == range(1, 2)
    assert spans.covered(edges, 16, 24) == range(0)
    assert spans.covered([0, 10], 20, 30) == range(0)


@FAST
@given(
    st.lists(st.floats(0, 500, allow_nan=False), min_size=2, max_size=9, unique=True).map(sorted),
    st.floats(-50, 550, allow_nan=False),
    st.floats(0, 300, allow_nan=False),
)
def test_covered_is_the_run_of_intervals_centred_inside(edges, lo, length):
    hi = lo + length
    got = spans.covered(edges, lo, hi)
    centred = [i for i in range(len(edges) - 1) if lo <= (edges[i] + edges[i + 1]) / 2 <= hi]
    assert list(got) == centred  # sorted edges: the centred intervals run without a hole


# ------------------------------------------------------------------------ ruled_apart


def test_ruled_apart_sees_a_rule_through_the_inside_of_a_block():
    horizontal, vertical = as_lines(lattice_rules(XS, YS))
    assert spans.ruled_apart(range(0, 2), range(0, 1), YS, XS, horizontal, vertical, SIZE)
    assert spans.ruled_apart(range(0, 1), range(0, 2), YS, XS, horizontal, vertical, SIZE)
    # Only the outer border: nothing inside the block.
    border = [(98, 95, 300), (140, 95, 300)], [(95, 98, 140), (300, 98, 140)]
    assert not spans.ruled_apart(range(0, 3), range(0, 3), YS, XS, *border, SIZE)
    # A rule under a third of the block's width does not part it.
    assert not spans.ruled_apart(range(0, 2), range(0, 3), YS, XS, [(112, 95, 150)], [], SIZE)


def test_rule_index_finds_the_rules_near_a_position():
    index = spans.RuleIndex([(50, 0, 10), (10, 0, 5), (12, 3, 9), (30, 1, 2)])
    assert index.near(11, 1.5) == [(10, 0, 5), (12, 3, 9)]
    assert index.near(40, 5) == []


@FAST
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 10), st.integers(10, 20)), max_size=20),
       st.integers(-5, 105), st.sampled_from([0.0, 1.5, 4.0]))
def test_rule_index_near_is_the_rules_within_slack(rules, position, slack):
    near = spans.RuleIndex(rules).near(position, slack)
    assert sorted(near) == sorted(r for r in rules if abs(r[0] - position) <= slack)


# ------------------------------------------------------------------------ split_glued


def test_a_cjk_run_glued_over_a_column_rule_is_cut_at_the_rule():
    words = [Word("東京大阪", (180, 100, 200, 110))]
    cut = spans.split_glued(words, [95, 190, 250], [(190, 98, 140)], SIZE)
    assert [(w.text, w.bbox) for w in cut] == [("東京", (180, 100, 190, 110)), ("大阪", (190, 100, 200, 110))]


def test_latin_words_and_words_without_a_rule_are_not_cut():
    latin = [Word("Tokyo", (180, 100, 200, 110))]
    assert spans.split_glued(latin, [95, 190, 250], [(190, 98, 140)], SIZE) == latin
    cjk = [Word("東京大阪", (180, 100, 200, 110))]
    assert spans.split_glued(cjk, [95, 190, 250], [], SIZE) == cjk
    # a rule that stops short of the word's line does not cut it
    assert spans.split_glued(cjk, [95, 190, 250], [(190, 120, 140)], SIZE) == cjk


# ------------------------------------------------------------------------- rule_spans


def test_a_missing_rule_in_a_ruled_table_merges_the_slots_it_would_part():
    rules = [r for r in lattice_rules(XS, YS) if not (r.x0 == 250 and not r.horizontal)]
    rules.append(Rule(250, 112, 250, 140))  # the rule at x=250 misses the first row
    horizontal, vertical = as_lines(rules)
    assert spans.rule_spans(*axes(ruled=True), horizontal, vertical, SIZE) == [(range(0, 1), range(1, 3))]


def test_rule_segments_drawn_cell_by_cell_with_hairline_breaks_merge_nothing():
    rules = []
    for y in YS:
        rules += [Rule(XS[c] + 1.0, y, XS[c + 1] - 1.0, y) for c in range(3)]
    for x in XS:
        rules += [Rule(x, YS[r] + 1.0, x, YS[r + 1] - 1.0) for r in range(3)]
    assert spans.rule_spans(*axes(ruled=True), *as_lines(rules), SIZE) == []


def test_a_dotted_rule_found_in_pieces_under_a_label_still_parts_its_rows():
    rules = [r for r in lattice_rules(XS, YS) if not (r.y0 == 112 and r.horizontal)]
    rules.append(Rule(190, 112, 300, 112))
    rules.append(Rule(100, 112, 140, 112))  # 45 of the first column's 95 points, in pieces on a scan
    assert spans.rule_spans(*axes(ruled=True), *as_lines(rules), SIZE) == []
    rules[-1] = Rule(100, 112, 110, 112)  # a speck of rule is no boundary: the slots merge
    assert spans.rule_spans(*axes(ruled=True), *as_lines(rules), SIZE) == [(range(0, 2), range(0, 1))]


def test_rule_spans_need_an_axis_from_rules_or_a_heading():
    horizontal, vertical = as_lines([Rule(95, 98, 300, 98), Rule(95, 140, 300, 140)])
    assert spans.rule_spans(*axes(ruled=False), horizontal, vertical, SIZE) == []
    assert spans.rule_spans(refine.Axis([98, 140], [98, 140], True), refine.Axis([95, 300], [95, 300], True),
                            horizontal, vertical, SIZE) == []  # one slot: nothing to merge


def test_a_stub_heading_beside_ruled_column_groups_spans_down_the_heading():
    # Two heading rows: a rule under the first runs under columns 1 and 2 (a group) but not
    # under column 0, and one under the second runs across.
    horizontal = [(98, 95, 300), (112, 190, 300), (126, 95, 300), (140, 95, 300)]
    rows, cols = axes()
    assert spans.rule_spans(rows, cols, horizontal, [], SIZE, header_rows=2) == [(range(0, 2), range(0, 1))]
    # No rule under any column of the first row: nothing says the stub is different.
    plain = [(98, 95, 300), (126, 95, 300), (140, 95, 300)]
    assert spans.rule_spans(rows, cols, plain, [], SIZE, header_rows=2) == []


@st.composite
def ruled_grids_with_merges(draw):
    """A ruled grid of random row heights and column widths, with random merged blocks
    (rectangles that do not overlap), drawn cell by cell with no rule inside a block."""
    n_rows, n_cols = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    ys = list(itertools.accumulate([100.0, *[draw(st.floats(14, 40)) for _ in range(n_rows)]]))
    xs = list(itertools.accumulate([100.0, *[draw(st.floats(20, 80)) for _ in range(n_cols)]]))
    owner: dict[tuple[int, int], int] = {}
    blocks = []
    for _ in range(draw(st.integers(0, 4))):
        r, c = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_cols - 1))
        rs, cs = draw(st.integers(1, n_rows - r)), draw(st.integers(1, n_cols - c))
        slots = [(i, j) for i in range(r, r + rs) for j in range(c, c + cs)]
        if rs * cs < 2 or any(s in owner for s in slots):
            continue
        owner.update((s, len(blocks)) for s in slots)
        blocks.append((range(r, r + rs), range(c, c + cs)))

    def apart(a, b):
        return a not in owner or owner.get(a) != owner.get(b)

    rules = [Rule(xs[0], ys[0], xs[-1], ys[0]), Rule(xs[0], ys[-1], xs[-1], ys[-1])]
    rules += [Rule(xs[0], ys[0], xs[0], ys[-1]), Rule(xs[-1], ys[0], xs[-1], ys[-1])]
    for r in range(n_rows - 1):
        rules += [Rule(xs[c], ys[r + 1], xs[c + 1], ys[r + 1]) for c in range(n_cols) if apart((r, c), (r + 1, c))]
    for c in range(n_cols - 1):
        rules += [Rule(xs[c + 1], ys[r], xs[c + 1], ys[r + 1]) for r in range(n_rows) if apart((r, c), (r, c + 1))]
    return xs, ys, rules, blocks


def _assert_disjoint_inside(found, n_rows, n_cols):
    taken: set[tuple[int, int]] = set()
    for rows, cols in found:
        assert 0 <= rows.start < rows.stop <= n_rows and 0 <= cols.start < cols.stop <= n_cols
        assert len(rows) * len(cols) >= 2
        block = {(r, c) for r in rows for c in cols}
        assert not block & taken, "two spans share a slot"
        taken |= block


@FAST
@given(ruled_grids_with_merges())
def test_rule_spans_of_a_ruled_grid_are_exactly_its_merged_blocks(grid):
    xs, ys, rules, blocks = grid
    found = spans.rule_spans(*axes(ys, xs, ruled=True), *as_lines(rules), SIZE)
    _assert_disjoint_inside(found, len(ys) - 1, len(xs) - 1)
    def order(block):
        return block[0].start, block[1].start

    assert sorted(found, key=order) == sorted(blocks, key=order)
    # No rule runs through the inside of a merged block: ruled_apart agrees
    horizontal, vertical = as_lines(rules)
    for rows, cols in found:
        assert not spans.ruled_apart(rows, cols, ys, xs, horizontal, vertical, SIZE)


# ------------------------------------------------------------------------- text_spans


def test_a_phrase_running_over_a_column_boundary_spans_those_columns():
    words = line(100, ("Absolute value of it", 150)) + line(114, ("a", 100), ("b", 200), ("c", 260))
    assert spans.text_spans(*axes(), slots_of(words), words, [], SIZE) == [(range(0, 1), range(0, 2))]


def test_figures_running_over_a_boundary_span_nothing():
    words = line(100, ("12 13 14 15 16", 150)) + line(114, ("a", 100), ("b", 200), ("c", 260))
    assert spans.text_spans(*axes(), slots_of(words), words, [], SIZE) == []


def test_a_phrase_beside_other_text_in_its_columns_spans_nothing():
    words = line(100, ("Absolute value of it", 150), ("x", 280)) + [word("y", 100, 100)]
    assert spans.text_spans(*axes(), slots_of(words), words, [], SIZE) == []


def test_a_heading_over_a_ruled_group_spans_the_group():
    words = line(100, ("Share", 215)) + line(114, ("Name", 100), ("low", 200), ("high", 260))
    words += line(128, ("a", 100), ("1", 200), ("2", 260))
    group = [(112, 190, 300)]
    assert spans.text_spans(*axes(), slots_of(words), words, group, SIZE) == [(range(0, 1), range(1, 3))]
    # a rule across the whole table is the heading's bottom, not a group's
    assert spans.text_spans(*axes(), slots_of(words), words, [(112, 95, 300)], SIZE) == []
    assert spans.text_spans(*axes(), slots_of(words), words, [], SIZE) == []


def test_a_record_cell_over_a_rule_under_a_group_is_no_heading_of_the_group():
    # Rules every two records under the last two columns only (a region's block): the
    # second record's last cell, alone over the rule in the group's second column, stays
    # in its column.
    words = line(100, ("Name", 100), ("Region", 200), ("Leader", 260))
    words += line(114, ("a", 100), ("ASIA", 200), ("Japan", 260)) + line(128, ("b", 100), ("Chile", 260))
    assert spans.text_spans(*axes(), slots_of(words), words, [(140, 190, 300)], SIZE) == []


def test_a_single_column_has_no_text_spans():
    words = line(100, ("Absolute value of it", 100))
    rows, _ = axes()
    assert spans.text_spans(rows, refine.Axis([95, 300], [95, 300]), slots_of(words, xs=[95, 300]),
                            words, [], SIZE) == []


# ------------------------------------------------------------------------ span_agrees


def test_span_agrees_with_one_phrase_across_columns_or_text_in_one_slot():
    words = line(100, ("Absolute value of it", 150)) + line(114, ("a", 100), ("b", 200), ("c", 260))
    slot = slots_of(words)
    assert spans.span_agrees(range(0, 1), range(0, 3), slot, words, SIZE)
    assert not spans.span_agrees(range(1, 2), range(0, 3), slot, words, SIZE)  # three values
    assert spans.span_agrees(range(1, 3), range(0, 1), slot, words, SIZE)  # one value, an empty slot


def test_span_agrees_not_over_two_values_of_a_line_with_a_word_between_them_on_another():
    # A region's name set between its two records' lines, in the middle column: the values
    # either side of it, on one line, are far apart.
    words = line(100, ("Netherlands", 100), ("Morocco", 260)) + line(105, ("AFRICA", 200))
    slot = slots_of(words, ys=[98, 118])
    assert not spans.span_agrees(range(0, 1), range(0, 3), slot, words, SIZE)


def test_span_agrees_with_a_wrapped_text_down_rows_only_when_its_lines_follow_closely():
    ys = [98, 111, 124, 150]
    words = line(100, ("a long", 100)) + line(112, ("label", 100)) + line(138, ("far", 100))
    slot = slots_of(words, ys=ys)
    assert spans.span_agrees(range(0, 2), range(0, 1), slot, words, SIZE)
    assert not spans.span_agrees(range(1, 3), range(0, 1), slot, words, SIZE)  # 16 pt apart
    slot = {(0, 0): [0, 1], (2, 0): [2]}  # text, an empty row, text: not one wrapped cell
    assert not spans.span_agrees(range(0, 3), range(0, 1), slot, words, SIZE)


def test_stacked_figures_are_a_column_of_values_not_one_wrapped_cell():
    ys = [98, 111, 124, 137]
    ones = line(100, ("1", 100)) + line(112, ("-", 100)) + line(125, ("1 000", 100))
    assert spans.stacked_figures(range(0, 3), range(0, 1), slots_of(ones, ys=ys), ones)
    label = line(100, ("Nitrogen", 100)) + line(112, ("oxides", 100)) + line(125, ("(2010)", 100))
    assert not spans.stacked_figures(range(0, 3), range(0, 1), slots_of(label, ys=ys), label)
    one = line(100, ("12.5", 100))  # one figure, however many rows it spans
    assert not spans.stacked_figures(range(0, 3), range(0, 1), slots_of(one, ys=ys), one)


def test_drawn_across_sees_a_rule_at_a_boundary_inside_the_block_elsewhere_in_the_table():
    ys = [98, 111, 124, 137]
    assert spans.drawn_across(range(0, 2), ys, [(111.2, 190.0, 300.0)], SIZE)
    assert not spans.drawn_across(range(0, 2), ys, [(98.0, 95.0, 300.0), (124.0, 95.0, 300.0)], SIZE)


# -------------------------------------------------------------------- table or not


def test_has_grid_of_text_needs_two_rows_with_two_filled_cells():
    placed = [(None, range(r, r + 1), range(c, c + 1)) for r in range(2) for c in range(2)]
    assert spans.has_grid_of_text(placed, {(0, 0): [0], (0, 1): [1], (1, 0): [2], (1, 1): [3]})
    assert not spans.has_grid_of_text(placed, {(0, 0): [0], (0, 1): [1], (1, 0): [2]})
    merged = [(None, range(0, 1), range(0, 2)), (None, range(1, 2), range(0, 1)), (None, range(1, 2), range(1, 2))]
    assert not spans.has_grid_of_text(merged, {(0, 0): [0], (0, 1): [1], (1, 0): [2], (1, 1): [3]})


def test_is_bullet_list():
    words = [word("•", 100, 100), word("item", 120, 100), word("-", 100, 114), word("other", 120, 114)]
    slot = {(0, 0): [0], (0, 1): [1], (1, 0): [2], (1, 1): [3]}
    assert spans.is_bullet_list(slot, words, 2, 2)
    assert spans.is_bullet_list({(0, 1): [1], (1, 1): [3]}, words, 2, 2)  # bullets drawn, not typed
    assert not spans.is_bullet_list(slot, words, 2, 3)
    words[2] = word("12", 100, 114)
    assert not spans.is_bullet_list(slot, words, 2, 2)


# ------------------------------------------------------------- the placed cells of a table


_VOCAB = ["a", "id", "Name", "Total", "x", "12", "3.5", "1,040", "n/a", "Region", "2019", "-4.2"]


@st.composite
def tables_with_model_spans(draw):
    """Words set as a grid (some cells empty), optional full rules, and a model grid at the
    true boundaries with random spanning cells that the text may or may not agree with."""
    n_rows, n_cols = draw(st.integers(2, 6)), draw(st.integers(2, 5))
    texts = [[draw(st.sampled_from(_VOCAB)) if draw(st.integers(0, 5)) else "" for _ in range(n_cols)]
             for _ in range(n_rows)]
    widths = [max([5.0 * len(texts[r][c]) for r in range(n_rows)] + [5.0]) for c in range(n_cols)]
    gap = max(15.0, 0.5 * max(widths))
    xs = list(itertools.accumulate([95.0, *[w + draw(st.floats(gap, gap + 30)) for w in widths]]))
    ys = list(itertools.accumulate([98.0, *[draw(st.floats(14, 30)) for _ in range(n_rows)]]))
    words = [word(texts[r][c], xs[c] + 5, ys[r] + 2) for r in range(n_rows) for c in range(n_cols) if texts[r][c]]
    rules = lattice_rules(xs, ys) if draw(st.booleans()) else []
    spans_ = {}
    covered = set()
    for _ in range(draw(st.integers(0, 3))):
        r, c = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_cols - 1))
        rs, cs = draw(st.integers(1, n_rows - r)), draw(st.integers(1, n_cols - c))
        block = {(i, j) for i in range(r, r + rs) for j in range(c, c + cs)}
        if block & covered:
            continue
        covered |= block
        spans_[(r, c)] = (rs, cs)
    return words, rules, xs, ys, spans_


def _model_cells(ys, xs, spans_):
    tokens, boxes, covered = [], [], set()
    for r in range(len(ys) - 1):
        tokens.append("<tr>")
        for c in range(len(xs) - 1):
            if (r, c) in covered:
                continue
            rs, cs = spans_.get((r, c), (1, 1))
            covered |= {(i, j) for i in range(r, r + rs) for j in range(c, c + cs)}
            if (rs, cs) == (1, 1):
                tokens.append("<td></td>")
            else:
                tokens += ["<td", f' rowspan="{rs}"', f' colspan="{cs}"', ">", "</td>"]
            boxes.append((xs[c] + 1, ys[r] + 1, xs[c + cs] - 1, ys[r + rs] - 1))
        tokens.append("</tr>")
    return decode_grid(tokens), boxes


@FAST
@given(tables_with_model_spans())
def test_placed_cells_tile_the_table_and_hold_each_word_once(case):
    words, rules, xs, ys, spans_ = case
    logical, boxes = _model_cells(ys, xs, spans_)
    layout = PageLayout(1, 600, 800, 0, 72, 600, 800, words=list(words), rules=list(rules))
    table = build_table(
        table_id="0001-01", layout=layout, region=(xs[0], ys[0], xs[-1], ys[-1]), logical=logical,
        cell_boxes=boxes, cell_scores=[0.9] * len(boxes), detection_score=0.9, structure_score=0.8,
    )
    if table is None:  # not a grid of text (too few filled cells): nothing placed
        return
    # Spans stay in the grid and never overlap: every slot belongs to exactly one cell.
    owners: dict[tuple[int, int], int] = {}
    for k, cell in enumerate(table.cells):
        assert cell.row_span >= 1 and cell.col_span >= 1
        assert cell.row + cell.row_span <= table.rows and cell.col + cell.col_span <= table.columns
        for slot in itertools.product(range(cell.row, cell.row + cell.row_span),
                                      range(cell.col, cell.col + cell.col_span)):
            assert slot not in owners, f"slot {slot} in two cells"
            owners[slot] = k
    assert len(owners) == table.rows * table.columns
    # The cells' boxes tile the grid's box: no overlap, areas adding up.
    x0 = min(c.bbox[0] for c in table.cells)
    y0 = min(c.bbox[1] for c in table.cells)
    x1 = max(c.bbox[2] for c in table.cells)
    y1 = max(c.bbox[3] for c in table.cells)
    total = sum((c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1]) for c in table.cells)
    assert abs(total - (x1 - x0) * (y1 - y0)) < 1e-6 * (x1 - x0) * (y1 - y0)
    for a, b in itertools.combinations(table.cells, 2):
        assert min(a.bbox[2], b.bbox[2]) <= max(a.bbox[0], b.bbox[0]) + 1e-9 or \
            min(a.bbox[3], b.bbox[3]) <= max(a.bbox[1], b.bbox[1]) + 1e-9
    # Every word of the table in exactly one cell, and in the cell its centre lies in.
    held = [(w.text, w.bbox) for cell in table.cells for w in cell.words]
    assert len(held) == len(set(held)) == len(words)
    for cell in table.cells:
        for w in cell.words:
            cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
            assert cell.bbox[0] <= cx <= cell.bbox[2] and cell.bbox[1] <= cy <= cell.bbox[3]
