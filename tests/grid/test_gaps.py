"""Gaps (doctables.grid.gaps): the rules lying in a gap, model boundaries snapped to gaps,
rules running across a column boundary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import gaps
from doctables.grid.gaps import Gap

FAST = settings(max_examples=60, deadline=None)


def test_a_rule_in_a_gap_gives_its_share_and_its_place():
    gap = Gap(110, 114)
    spans = gaps.rule_cover(gap, [(112.04, 90, 200), (150, 95, 300)], (95, 300), 1.5)
    assert spans == [(95, 200)]
    assert gap.rule == pytest.approx(105 / 205) and gap.rule_at == 112.0
    assert gap.position == 112.0
    far = Gap(110, 114)
    assert gaps.rule_cover(far, [(120, 95, 300)], (95, 300), 1.5) == [] and far.rule == 0.0
    assert far.position == 112


def test_model_boundaries_snap_to_the_gap_they_fall_in_or_the_nearest_within_reach():
    found = [Gap(110, 114), Gap(124, 128)]
    assert gaps.snap([112, 130, 300], found) == [0, 1, 1]
    assert gaps.snap([112, 130, 300], found, [1, 1, 1]) == [0, None, None]
    assert gaps.snap([112], []) == [None]


def test_a_rule_crosses_a_boundary_it_passes_by_two_points():
    assert gaps.crosses([(95, 200)], [95, 150, 300])
    assert not gaps.crosses([(95, 149)], [95, 150, 300])
    assert gaps.crosses([(95, 149), (150.5, 200)], [95, 150, 300])  # drawn cell by cell
    assert not gaps.crosses([(95, 300)], [95, 300])  # no inner boundary


def test_underlines_under_two_columns_part_rows_as_a_rule_across_does():
    # A heading underlined column by column, wide breaks at the boundaries (a financial
    # table's heading rules): one row boundary.
    assert gaps.crosses([(100, 140), (160, 220), (240, 300)], [95, 150, 230, 300])
    # One column's rule alone (a shading's edge, a total's underline) is not.
    assert not gaps.crosses([(160, 220)], [95, 150, 230, 300])
    # Short rules under parts of two columns (underlined words) are not either.
    assert not gaps.crosses([(100, 115), (160, 175)], [95, 150, 230, 300])


_RULES = st.lists(st.tuples(st.floats(100, 130), st.floats(0, 400), st.floats(1, 400)), min_size=1, max_size=8)


@FAST
@given(_RULES, st.floats(0.0, 3.0))
def test_a_gaps_rule_share_is_a_share_and_lies_on_a_rule(rules, slack):
    rules = [(y, a, a + length) for y, a, length in rules]
    gap = Gap(110, 120)
    spans = gaps.rule_cover(gap, rules, (95, 300), slack)
    assert 0.0 <= gap.rule <= 1.0 + 1e-9
    if spans:
        assert gap.rule > 0 and any(round(y, 1) == gap.rule_at for y, _, _ in rules)
        assert all(95 <= a < b <= 300 for a, b in spans)


@FAST
@given(st.lists(st.floats(0, 500), max_size=6), st.lists(st.tuples(st.floats(0, 500), st.floats(0, 20)), max_size=6))
def test_a_boundary_snaps_to_a_nearest_gap(boundaries, spans):
    found = [Gap(a, a + w) for a, w in spans]
    chosen = gaps.snap(boundaries, found)
    for b, g in zip(boundaries, chosen):
        if not found:
            assert g is None
            continue
        distance = [0.0 if x.lo <= b <= x.hi else min(abs(b - x.lo), abs(b - x.hi)) for x in found]
        assert distance[g] == min(distance)
