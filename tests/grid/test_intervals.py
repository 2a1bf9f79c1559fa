"""Intervals on one axis (doctables.grid.intervals): the union's length against its runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import intervals

FAST = settings(max_examples=60, deadline=None)

_INTERVALS = st.lists(
    st.tuples(st.floats(0, 500), st.floats(0, 60)).map(lambda t: (t[0], t[0] + t[1])), max_size=12
)


def test_locate_clamps_points_outside_the_edges():
    assert intervals.locate([0, 10, 20], -5) == 0
    assert intervals.locate([0, 10, 20], 10) == 1
    assert intervals.locate([0, 10, 20], 99) == 1


@FAST
@given(_INTERVALS)
def test_the_union_is_as_long_as_its_touching_runs(spans):
    runs = intervals.join_intervals(spans, join=0.0)
    assert intervals.union_length(spans) == pytest.approx(sum(b - a for a, b in runs))
    assert intervals.union_length(spans) <= sum(b - a for a, b in spans) + 1e-9
