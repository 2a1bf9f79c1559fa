"""Gaps, what both axes' steps work on: free space between text (between two lines, or an
x-range no line covers), the rules lying in a gap, and the model's boundaries snapped into
the gaps. Axis is what a step along one axis hands back. Lengths in points; `unit` is the
text height, and thresholds that are lengths are multiples of it unless they say points."""

from __future__ import annotations

from dataclasses import dataclass, field

from doctables.grid.intervals import SEGMENT_BREAK, join_intervals

# A rule given as (position, start, end): (y, x0, x1) across, (x, y0, y1) down.
RuleLine = tuple[float, float, float]

# A rule counts as lying in a gap when within this distance (points) of it ...
_RULE_SLACK = 1.5
# ... or within this many units, on larger text.
_RULE_SLACK_UNITS = 0.25
# Share of the table's width (height) that rules in a gap must cover to be a full boundary.
STRONG_RULE = 0.5
# A rule runs across a column boundary when it passes it by this much (points) on each side.
_CROSSING_OVERHANG = 2.0
# A column is underlined where rules cover this share of its width.
_UNDERLINED = 0.5
# Rule positions within this many decimals (points) are one rule line.
_POSITION_DECIMALS = 1


@dataclass
class Gap:
    """Free space between two bands (rows) or an x-range no line covers (columns)."""

    lo: float
    hi: float
    rule: float = 0.0  # share of the table's extent covered by rules lying in the gap
    rule_at: float | None = None  # where the longest such rule lies
    crossing: bool = False  # a rule in the gap runs across a column boundary
    above: int | None = None  # rows: the band above the gap (None: a rule cutting a band)
    records: bool = False  # rows cut inside a band: the lines either side are two records

    @property
    def position(self) -> float:
        return self.rule_at if self.rule_at is not None else (self.lo + self.hi) / 2


@dataclass
class Axis:
    """Refined boundaries along one axis (outer edges included)."""

    edges: list[float]
    model_edges: list[float]  # the model's boundaries, each moved into the gap it chose
    ruled: bool = False  # the boundaries come from rules alone
    hard: set[float] = field(default_factory=set)  # boundaries no cell may span


def rule_slack(unit: float) -> float:
    """How far (points) a rule may lie outside a gap and still count as in it."""
    return max(_RULE_SLACK, _RULE_SLACK_UNITS * unit)


def rule_cover(gap: Gap, rules: list[RuleLine], extent: tuple[float, float], slack: float) -> list[tuple[float, float]]:
    """Fill in a gap's rule share from rules given as (position, start, end); return the
    stretches of the extent those rules cover."""
    lo, hi = extent
    inside = [r for r in rules if gap.lo - slack <= r[0] <= gap.hi + slack]
    if not inside or hi <= lo:
        return []
    clipped = [(r[0], max(lo, r[1]), min(hi, r[2])) for r in inside]
    clipped = [c for c in clipped if c[2] > c[1]]
    if not clipped:
        return []
    spans = join_intervals([(a, b) for _, a, b in clipped])
    gap.rule = sum(b - a for a, b in spans) / (hi - lo)
    # The position: the rule line covering most, among those in the gap.
    by_position: dict[float, float] = {}
    for position, a, b in clipped:
        key = round(position, _POSITION_DECIMALS)
        by_position[key] = by_position.get(key, 0.0) + b - a
    gap.rule_at = max(by_position.items(), key=lambda kv: kv[1])[0]
    return spans


def snap(boundaries: list[float], gaps: list[Gap], reach: list[float] | None = None) -> list[int | None]:
    """For each model boundary, the gap it falls in or the nearest one (within `reach`)."""
    chosen: list[int | None] = []
    for k, b in enumerate(boundaries):
        best, distance = None, float("inf")
        for gi, g in enumerate(gaps):
            d = 0.0 if g.lo <= b <= g.hi else min(abs(b - g.lo), abs(b - g.hi))
            if d < distance:
                best, distance = gi, d
        if best is not None and reach is not None and distance > reach[k]:
            best = None
        chosen.append(best)
    return chosen


def crosses(runs: list[tuple[float, float]], col_edges: list[float]) -> bool:
    """Whether a rule runs across a column boundary (segments drawn cell by cell, with
    hairline breaks at the boundaries, count as one rule), or rules underline two or more
    columns each (a heading's underlines, drawn column by column with wide breaks between:
    one row boundary all the same, where one column's rule is a shading's edge)."""
    joined = join_intervals(runs, join=SEGMENT_BREAK)
    for a, b in joined:
        for c in col_edges[1:-1]:
            if a < c - _CROSSING_OVERHANG and b > c + _CROSSING_OVERHANG:
                return True
    underlined = sum(
        sum(max(0.0, min(b, right) - max(a, left)) for a, b in joined) >= _UNDERLINED * (right - left)
        for left, right in zip(col_edges, col_edges[1:])
    )
    return underlined >= 2
