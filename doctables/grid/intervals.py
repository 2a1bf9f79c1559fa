"""Intervals on one axis: their union, runs of them joined across small breaks, and which
interval of a list of edges holds a point. Lengths in points."""

from __future__ import annotations

from bisect import bisect_right

# Rule segments less than this apart (points) are one rule (rules drawn cell by cell leave
# hairline breaks at the boundaries).
SEGMENT_BREAK = 2.5
# Intervals less than this apart (points) are one run unless told otherwise.
_JOIN = 0.5


def union_length(intervals: list[tuple[float, float]]) -> float:
    """The length the intervals cover together."""
    total = 0.0
    end = float("-inf")
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def merge_runs(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of intervals, segments a hairline apart joined (rules drawn cell by cell)."""
    return join_intervals(intervals, join=SEGMENT_BREAK)


def join_intervals(intervals: list[tuple[float, float]], join: float = _JOIN) -> list[tuple[float, float]]:
    """Union of intervals as sorted runs; intervals less than `join` apart are one run."""
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1] + join:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def locate(edges: list[float], v: float) -> int:
    """The interval of `edges` (outer edges included) that holds `v`, clamped into them."""
    return min(max(bisect_right(edges, v) - 1, 0), len(edges) - 2)
