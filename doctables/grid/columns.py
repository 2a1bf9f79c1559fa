"""Columns of a table, from whitespace and vertical rules, the model's as the prior.

The steps, in `find_columns`' order: the coverage profile of the body's lines and its gaps
(`column_gaps`), a gap's part clear of long row labels (`clear_part`), vertical rules made
gaps where text runs across them (`add_rule_gaps`) and gaps holding several rules split
(`split_at_rules`), the model's boundaries snapped into gaps, a ruled table's columns taken
from its rules, clear wide gaps the model missed added (`new_columns`), columns of bullets
or currency signs joined to their items (`after_bullets`), and a boundary moved past a
heading standing in its gap (`heading_sides`). Lengths in points; `unit` is the text
height, and thresholds that are lengths are multiples of it unless they say points."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass

from doctables.grid.frame import TableFrame
from doctables.grid.gaps import STRONG_RULE, Axis, Gap, RuleLine, rule_cover, rule_slack, snap
from doctables.grid.intervals import join_intervals, union_length
from doctables.grid.lines import PHRASE_GAP, Band, is_prose, phrase_count, phrases, same_line
from doctables.grid.text import CURRENCY, is_bullet, is_number, substantial
from doctables.model.layout import DOLLAR_LOOK_ALIKES, Word

# The coverage profile counts lines over steps of this width (points).
_STEP = 0.5
# Lines of two or more phrases define the columns when there are at least this many.
_MULTI_LEAST = 3
# From this many lines on, one line in this many may run through a gap (a stray line) ...
_STRAY_FROM, _STRAY_ONE_IN = 8, 12
# ... and a gap is at least this wide (units) ...
_MIN_GAP = 0.25
# ... with text of at least this many lines ending or starting at it.
_TOUCHING_LINES = 2
# Text ends at a gap when it ends within this distance (points) inside it.
_EDGE_SLACK = 1.0
# What is left of a gap clear of the row labels running into it must be this wide (units).
_CLEAR_LEAST = 0.25
# A model boundary may move at most this share of the narrower of its two model columns.
_REACH = 0.5
# A model column boundary with no gap near it stays only where at most this share of the
# lines has text running through it.
_HIDDEN_GAP = 0.2
# Rules covering at least this share of the table's height in a gap keep the model's
# boundary there in a ruled table (less: a space the text leaves).
_WEAK_RULE = 0.2
# A table whose strong rules number at least this share of the model's boundaries counts as
# ruled: its columns come from its rules alone.
_RULED_SHARE = 0.6
# A vertical rule between text is a column boundary though one line in this many (at least
# one) runs across it.
_RULE_CROSSED_ONE_IN = 5
# Boundaries closer than this (units) are one.
_DEDUPE = 0.5
# New columns need a body of at least this many lines ...
_NEW_COLUMN_LINES = 3
# ... a clear vertical gap at least this wide (units) ...
_MIN_NEW_COLUMN_GAP = 0.6
# ... and both new columns holding text in at least this share of the body's lines.
_NEW_COLUMN_FILL = 0.3
# Words end at (start at) a gap within this distance (points) of it.
_NEW_COLUMN_SLACK = 0.01
# A heading phrase with this share of its width in a column gap stands in the gap.
_IN_GAP = 0.75


@dataclass(frozen=True)
class Coverage:
    """How many counted lines have text over each `step` from `x0` (a column's text is where
    many do, a column gap where few do), and how many lines were counted."""

    counts: list[int]
    step: float
    x0: float
    lines: int

    def at(self, x: float) -> int:
        """The lines over `x` (the nearest step inside the profile)."""
        return self.counts[min(len(self.counts) - 1, max(0, int((x - self.x0) / self.step)))]


def find_columns(frame: TableFrame) -> Axis:
    """Column boundaries, from whitespace and vertical rules, the model's as the prior."""
    words, bands, body, vertical, unit = frame.words, frame.bands, frame.body_lines, frame.vertical, frame.unit
    model_edges = frame.model_columns
    x0, y0, x1, y1 = frame.box
    inner = model_edges[1:-1]
    gaps, counts, step, lines = column_gaps(words, bands, body, x0, x1, unit)
    coverage = Coverage(counts, step, x0, lines)
    if lines < len(body):
        gaps = [clear_part(g, frame) for g in gaps]
    gaps = add_rule_gaps(gaps, coverage, frame)
    gaps = split_at_rules(gaps, vertical, (y0, y1), unit)
    for g in gaps:
        rule_cover(g, vertical, (y0, y1), rule_slack(unit))
    reach = [
        _REACH * min(model_edges[k + 1] - model_edges[k], model_edges[k + 2] - model_edges[k + 1])
        for k in range(len(inner))
    ]
    snapped = snap(inner, gaps, reach)
    # A boundary with no gap within reach: kept where few lines run through it (a gap that
    # spanning text hides), else moved to the nearest gap no other boundary took, else
    # dropped.
    free = [g for g in range(len(gaps)) if g not in set(snapped)]
    for k, (b, g) in enumerate(zip(inner, snapped)):
        if g is not None:
            continue
        if counts and coverage.at(b) <= _HIDDEN_GAP * lines:
            continue
        nearest = snap([b], [gaps[f] for f in free])[0] if free else None
        snapped[k] = free.pop(nearest) if nearest is not None else -1
    moved = [gaps[g].position if g is not None and g >= 0 else b for b, g in zip(inner, snapped)]
    chosen = {g for g in snapped if g is not None and g >= 0}
    strong = {i for i, g in enumerate(gaps) if g.rule >= STRONG_RULE}
    ruled = len(strong) >= max(1, _RULED_SHARE * len(chosen))
    spaced: set[int] = set()
    if ruled:
        # A ruled table's columns are its rules', and a model boundary where the text leaves
        # a gap no line crosses (stub columns set apart by space alone, inside one ruled
        # block): no merged cell spans one of those, having no rule to find there.
        spaced = {g for g in chosen if gaps[g].rule < _WEAK_RULE and _uncrossed(gaps[g], coverage)} - strong
        keep = strong | {g for g in chosen if gaps[g].rule >= _WEAK_RULE} | spaced
        unsnapped: list[float] = []
    else:
        keep = chosen | strong
        unsnapped = [b for b, g in zip(inner, snapped) if g is None]
        keep |= new_columns(gaps, keep, frame)
    positions = sorted({gaps[g].position for g in keep} | set(unsnapped))
    positions = _dedupe(positions, unit)
    edges = [x0, *[p for p in positions if x0 < p < x1], x1]
    ruled_at = {gaps[g].position for g in strong}
    edges = [e for k, e in enumerate(edges) if not after_bullets(edges, k, words, ruled_at)]
    if not ruled:
        heading = [b for b in bands if b.y1 <= min((b.y0 for b in body), default=y0)]
        edges = heading_sides(edges, gaps, heading, words, unit, ruled_at)
        edges = clear_of_headings(edges, gaps, heading, words, unit, ruled_at)
    hard = {e for e in edges if e in {gaps[g].position for g in spaced}}
    return Axis(edges, [model_edges[0], *moved, model_edges[-1]], ruled, hard=hard)


def column_gaps(
    words: list[Word], bands: list[Band], body: list[Band], x0: float, x1: float, unit: float
) -> tuple[list[Gap], list[int], float, int]:
    """Interior x-ranges covered by at most a few body lines; also the coverage profile
    (lines covering each half-point step from x0), the step and the number of lines counted."""
    step = _STEP
    size = max(1, int((x1 - x0) / step) + 1)
    width = x1 - x0
    # Lines of one phrase (headings over several columns, section titles, notes) do not
    # define columns; lines holding two or more phrases do.
    counted = [b for b in body if not is_prose(b, words, width)] or body
    multi = [b for b in counted if phrase_count(b, words, unit) >= 2]
    if len(multi) >= _MULTI_LEAST:
        counted = multi
    diff = [0] * (size + 1)
    for band in counted:
        for a, b in join_intervals([(words[i].bbox[0], words[i].bbox[2]) for i in band.words]):
            ia = min(size, max(0, int((a - x0) / step)))
            ib = min(size, max(0, int((b - x0) / step) + 1))
            if ib > ia:
                diff[ia] += 1
                diff[ib] -= 1
    counts: list[int] = []
    running = 0
    for i in range(size):
        running += diff[i]
        counts.append(running)
    allowance = 0 if len(counted) < _STRAY_FROM else max(1, len(counted) // _STRAY_ONE_IN)
    # The text's extent is where more lines than the allowance run, at both ends alike: a
    # stretch at the left edge that only the allowance's stray lines cover is no column gap,
    # as the same stretch at the right edge is none.
    solid = [i for i, c in enumerate(counts) if c > allowance]
    if not solid:
        return [], counts, step, len(counted)
    first, last = solid[0], solid[-1]
    gaps: list[Gap] = []
    start = None
    for i in range(first, last + 1):
        free = counts[i] <= allowance
        if free and start is None:
            start = i
        elif not free and start is not None:
            gaps.append(Gap(x0 + start * step, x0 + i * step))
            start = None
    # A gap must be wider than a narrow space, and text of two or more lines must end or
    # start at it: a space between two words of the one long label in a column is no gap.
    minimum = _MIN_GAP * unit
    gaps = [g for g in gaps if g.hi - g.lo >= minimum and _touching(g, counted, words, unit) >= _TOUCHING_LINES]
    return gaps, counts, step, len(counted)


def _touching(gap: Gap, bands: list[Band], words: list[Word], unit: float) -> int:
    """Lines with a word ending near the gap's left edge or starting near its right edge
    (within a quarter of its width, at least a line height): ragged columns end anywhere
    near a wide gap, but only the one long label is near a space inside it. A word that
    the next word of its line follows a word space after, across the gap, ends no text there:
    small text's word spaces line up by chance between two lines."""
    window = max(unit, 0.25 * (gap.hi - gap.lo))
    count = 0
    for band in bands:
        ordered = sorted(band.words, key=lambda i: words[i].bbox[0])
        for k, i in enumerate(ordered):
            a, _, b, _ = words[i].bbox
            ends = gap.lo - window <= b <= gap.lo + _EDGE_SLACK
            starts = gap.hi - _EDGE_SLACK <= a <= gap.hi + window
            if ends and k + 1 < len(ordered) and _spaced_across(words[i], words[ordered[k + 1]], gap, unit):
                ends = False
            if starts and k > 0 and _spaced_across(words[ordered[k - 1]], words[i], gap, unit):
                starts = False
            if ends or starts:
                count += 1
                break
    return count


def _spaced_across(left: Word, right: Word, gap: Gap, unit: float) -> bool:
    """Whether two neighbouring words of a line stand a word space apart across the gap."""
    across = left.bbox[2] <= gap.lo + _EDGE_SLACK and right.bbox[0] >= gap.hi - _EDGE_SLACK
    return across and right.bbox[0] - left.bbox[2] <= PHRASE_GAP * unit


def clear_part(gap: Gap, frame: TableFrame) -> Gap:
    """The gap less the part that row labels running into it cover (phrases from the table's
    left edge: the long labels of lines with nothing else, left out when the gaps were
    found), where at least a quarter line's width of it is left: a boundary there cuts no
    label. Text set further right (a note centred over the figures) says nothing of it."""
    words, body, unit = frame.words, frame.body_lines, frame.unit
    left = min((words[i].bbox[0] for band in body for i in band.words), default=gap.lo)
    reach = max(
        (b for band in body
         for a, b in join_intervals([(words[i].bbox[0], words[i].bbox[2]) for i in band.words], PHRASE_GAP * unit)
         if a <= left + unit and gap.lo < b < gap.hi),
        default=gap.lo,
    )
    return Gap(reach, gap.hi) if gap.hi - reach >= _CLEAR_LEAST * unit else gap


def _uncrossed(gap: Gap, coverage: Coverage) -> bool:
    """Whether no counted line runs into the gap."""
    counts, x0, step = coverage.counts, coverage.x0, coverage.step
    lo, hi = int((gap.lo - x0) / step), int((gap.hi - x0) / step)
    return hi > lo and not any(counts[max(0, lo) : min(len(counts), hi)])


def add_rule_gaps(gaps: list[Gap], coverage: Coverage, frame: TableFrame) -> list[Gap]:
    """A vertical rule running down most of the table between text is a column boundary even
    where a line's text runs across it (a word glued over the boundary, as CJK runs are)."""
    words = frame.words
    _x0, y0, _x1, y1 = frame.box
    if not words or y1 <= y0 or not coverage.counts:
        return gaps
    # Between the text, of any line: a column may hold text only in lines of one phrase.
    first = min(w.bbox[2] for w in words)
    last = max(w.bbox[0] for w in words)
    lengths: dict[float, list[tuple[float, float]]] = {}
    for x, a, b in frame.vertical:
        if first < x < last:
            lengths.setdefault(round(x * 2) / 2, []).append((max(y0, a), min(y1, b)))
    added = list(gaps)
    for x, spans in sorted(lengths.items()):
        if union_length([s for s in spans if s[1] > s[0]]) < STRONG_RULE * (y1 - y0):
            continue
        if any(g.lo - _EDGE_SLACK <= x <= g.hi + _EDGE_SLACK for g in added):
            continue
        if coverage.at(x) <= max(1, len(frame.body_lines) // _RULE_CROSSED_ONE_IN):
            added.append(Gap(x, x))
    return sorted(added, key=lambda g: g.lo)


def split_at_rules(gaps: list[Gap], rules: list[RuleLine], extent: tuple[float, float], unit: float) -> list[Gap]:
    """A gap holding two or more full rules (a ruled column with no text in the body lines,
    such as one headed by vertical text) is one gap per rule (rules less than a unit apart
    are one)."""
    lo, hi = extent
    result: list[Gap] = []
    for gap in gaps:
        lengths: dict[float, list[tuple[float, float]]] = {}
        for x, a, b in rules:
            if gap.lo - _EDGE_SLACK <= x <= gap.hi + _EDGE_SLACK and min(hi, b) > max(lo, a):
                lengths.setdefault(round(x * 2) / 2, []).append((max(lo, a), min(hi, b)))
        lines: list[float] = []
        for x in sorted(lengths):
            if union_length(lengths[x]) >= STRONG_RULE * (hi - lo):
                if lines and x - lines[-1] < unit:
                    continue
                lines.append(x)
        if len(lines) < 2:
            result.append(gap)
            continue
        bounds = [gap.lo, *[(a + b) / 2 for a, b in itertools.pairwise(lines)], gap.hi]
        result.extend(Gap(a, b) for a, b in itertools.pairwise(bounds))
    return result


def _dedupe(positions: list[float], unit: float) -> list[float]:
    result: list[float] = []
    for p in positions:
        if result and p - result[-1] < _DEDUPE * unit:
            continue
        result.append(p)
    return result


def widths_past_marks(gaps: list[Gap], words: list[Word], body: list[Band]) -> list[float]:
    """Each gap's width, or, for the widest of gaps parted only by signs and marks (a
    currency sign set apart before its figures), the width of them all with the marks:
    the space between two columns of figures."""
    widths = [g.hi - g.lo for g in gaps]
    order = sorted(range(len(gaps)), key=lambda g: gaps[g].lo)
    marks = [
        words[i].bbox for band in body for i in band.words if not substantial(words[i].text)
    ]
    texts = [
        words[i].bbox for band in body for i in band.words if substantial(words[i].text)
    ]
    run = [order[0]] if order else []
    for g in [*order[1:], None]:
        if g is not None:
            lo, hi = gaps[run[-1]].hi, gaps[g].lo
            between = [b for b in texts if b[0] < hi and b[2] > lo]
            if not between and any(b[0] < hi and b[2] > lo for b in marks):
                run.append(g)
                continue
        if len(run) > 1:
            widest = max(run, key=lambda k: widths[k])
            widths[widest] = gaps[run[-1]].hi - gaps[run[0]].lo
        if g is not None:
            run = [g]
    return widths


def new_columns(gaps: list[Gap], keep: set[int], frame: TableFrame) -> set[int]:
    """Clear, wide gaps the model missed, that split a column holding text in many lines on
    both sides."""
    words, body, unit = frame.words, frame.body_lines, frame.unit
    if len(body) < _NEW_COLUMN_LINES:
        return set()
    added: set[int] = set()
    kept = sorted(gaps[g].position for g in keep)
    widths = widths_past_marks(gaps, words, body)
    for gi, gap in enumerate(gaps):
        if gi in keep or widths[gi] < _MIN_NEW_COLUMN_GAP * unit:
            continue
        centre = (gap.lo + gap.hi) / 2
        k = bisect_right(kept, centre)
        left_edge = kept[k - 1] if k > 0 else float("-inf")
        right_edge = kept[k] if k < len(kept) else float("inf")
        left = right = crossing = 0
        for band in body:
            has_left = has_right = False
            for i in band.words:
                a, _, b, _ = words[i].bbox
                # Only words of substance count: a currency sign or a footnote mark set apart
                # from its number does not make a column.
                if not substantial(words[i].text):
                    continue
                if b <= gap.lo + _NEW_COLUMN_SLACK and a >= left_edge:
                    has_left = True
                elif a >= gap.hi - _NEW_COLUMN_SLACK and b <= right_edge:
                    has_right = True
                elif a < gap.lo and b > gap.hi:
                    crossing += 1
            left += has_left
            right += has_right
        if crossing == 0 and min(left, right) >= _NEW_COLUMN_FILL * len(body):
            added.add(gi)
    return added


def after_bullets(edges: list[float], k: int, words: list[Word], ruled_at: set[float]) -> bool:
    """Whether inner boundary `k` closes a column of bullets or currency signs alone (they
    belong to the items or figures on their right) and no rule draws it."""
    if k == 0 or k >= len(edges) - 1 or edges[k] in ruled_at:
        return False
    inside = [w for w in words if edges[k - 1] <= (w.bbox[0] + w.bbox[2]) / 2 < edges[k]]
    if not inside:
        return False
    if all(is_bullet(w.text) for w in inside):
        return True
    # Currency signs, some read as their small look-alikes ("5", "s": a "$" a speck wide).
    signs = [w.text.strip() for w in inside]
    if not all(t in CURRENCY or t in DOLLAR_LOOK_ALIKES for t in signs):
        return False
    if any(t in CURRENCY for t in signs):
        return True
    # Look-alikes alone, each before a figure of the next column, where the table sets its
    # dollar signs apart elsewhere ("$ (192)"): the signs, every one misread.
    return any(w.text.strip() == "$" for w in words) and all(
        any(
            same_line(sign, w) and 0 <= w.bbox[0] - sign.bbox[2] and w.bbox[0] < edges[k + 1] and is_number(w.text)
            for w in words
        )
        for sign in inside
    )


def _text_gap(edge: float, gaps: list[Gap], ruled_at: set[float]) -> Gap | None:
    """The gap a boundary set by the text alone stands in (none where a rule draws it)."""
    if edge in ruled_at:
        return None
    return next((g for g in gaps if g.lo <= edge <= g.hi and g.rule == 0.0), None)


def heading_sides(
    edges: list[float], gaps: list[Gap], heading: list[Band], words: list[Word], unit: float, ruled_at: set[float]
) -> list[float]:
    """Move a boundary set in the middle of a gap past a heading phrase standing (mostly)
    inside that gap (a heading set flush left over right-aligned figures: the body does not say
    which column it heads), to the side whose heading is otherwise empty, when the side it
    fell on has a heading of its own."""
    edges = list(edges)
    for k in range(1, len(edges) - 1):
        e = edges[k]
        gap = _text_gap(e, gaps, ruled_at)
        if gap is None:
            continue
        for band in heading:
            runs = phrases(band, words, unit)
            inside = [p for p in runs if min(gap.hi, p[1]) - max(gap.lo, p[0]) >= _IN_GAP * (p[1] - p[0])]
            if len(inside) != 1:
                continue
            lo, hi = inside[0]
            others = [p for p in runs if p is not inside[0]]
            left = [p for p in others if edges[k - 1] <= (p[0] + p[1]) / 2 < e]
            right = [p for p in others if e <= (p[0] + p[1]) / 2 < edges[k + 1]]
            # The heading beside it stands a column's gap away, not a word space (read
            # from an image, word spaces vary: "September 30," may come as two phrases).
            if (lo + hi) / 2 < e and left and not right:
                before = max([gap.lo, *[p[1] for p in others if p[1] <= lo]])
                if lo - max([p[1] for p in left if p[1] <= lo], default=-float("inf")) > unit:
                    edges[k] = (before + lo) / 2
            elif (lo + hi) / 2 >= e and right and not left:
                after = min([gap.hi, *[p[0] for p in others if p[0] >= hi]])
                if min([p[0] for p in right if p[0] >= hi], default=float("inf")) - hi > unit:
                    edges[k] = (hi + after) / 2
            break
    return edges


def clear_of_headings(
    edges: list[float], gaps: list[Gap], heading: list[Band], words: list[Word], unit: float, ruled_at: set[float]
) -> list[float]:
    """Move a boundary set in a gap of the body through a heading phrase that runs out of
    the gap over one side's column only (a heading wider than the right-aligned figures it
    stands over) to the middle of the nearest part of the gap that no heading between the
    boundaries either side covers, where there is one: the phrase heads the column it runs
    over, not both. A heading running over both sides (over a group of columns) leaves the
    boundary be."""
    edges = list(edges)
    runs = [run for band in heading for run in phrases(band, words, unit)]
    for k in range(1, len(edges) - 1):
        e = edges[k]
        gap = _text_gap(e, gaps, ruled_at)
        if gap is None:
            continue
        crossing = [(a, b) for a, b in runs if a < e < b]
        if not crossing or any(a < gap.lo and b > gap.hi for a, b in crossing):
            continue
        # Phrases running over a boundary beside this one head a group: they say nothing here.
        near = [(a, b) for a, b in runs if edges[k - 1] < a and b < edges[k + 1]]
        covered = join_intervals([(max(a, gap.lo), min(b, gap.hi)) for a, b in near if a < gap.hi and b > gap.lo])
        free, start = [], gap.lo
        for a, b in covered:
            if a - start >= _MIN_GAP * unit:
                free.append((start, a))
            start = max(start, b)
        if gap.hi - start >= _MIN_GAP * unit:
            free.append((start, gap.hi))
        inside = [(a, b) for a, b in free if edges[k - 1] < a and b < edges[k + 1]]
        if inside:
            a, b = min(inside, key=lambda f: min(abs(f[0] - e), abs(f[1] - e)))
            edges[k] = (a + b) / 2
    return edges
