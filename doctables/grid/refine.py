"""Geometric refinement of a table's grid with the page's words and ruling lines.

The structure model gives a logical grid whose boundaries are approximate: they cut through
text lines, miss a column or a row here and there, and split multi-line cells. The PDF knows
better where the text is. Here:

- rows come from *bands*, horizontal strips of overlapping text lines: a row boundary lies
  in a vertical gap between two bands (or on a rule that parts lines beside a label set
  across them). Which gaps are boundaries: those holding a horizontal rule that runs across
  a column boundary; in a table ruled row by row, only those; otherwise also those the
  model put a boundary near, those between two lines that both carry numbers in the same
  columns (two records, never one wrapped cell), and those under a heading that runs over
  several columns holding cells of their own; but not those inside a wrapped heading;
- columns come from whitespace: x-ranges that (almost) no text line covers. Which gaps are
  boundaries: those holding a vertical rule; in a table ruled column by column, only those;
  otherwise those the model put a boundary near, and clear gaps splitting a model column into
  two columns that both hold text in many lines.

Merged cells are found in `spans`, the table's extent in `extent`. Everything works on word
boxes in the displayed page frame, so rotated pages, right-to-left and CJK text (where a
word can be a whole run) need nothing special. No model is needed here.
"""

from __future__ import annotations

import itertools
import re
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field

from doctables.geometry import Box, centre_in
from doctables.model.layout import DOLLAR_LOOK_ALIKES, Rule, Word

# A word's vertical extent is shrunk by this share of its height before lines are merged
# into bands, so that touching lines (tight leading) and accents stay apart.
_BAND_SHRINK = 0.2
# Words taller than this many median heights (vertical header text) do not form bands.
_TALL_WORD = 2.5
# Word boxes taller than this (median word heights) do not show where their glyph's ink is
# (a symbol font's bullet).
TALL_GLYPH = 1.6
# Horizontal gap (in median word heights) below which two words of a line are one phrase.
PHRASE_GAP = 0.5
# A rule counts as lying in a gap when within this distance (points) of it.
_RULE_SLACK = 1.5
# Rule segments less than this apart (points) are one rule.
SEGMENT_BREAK = 2.5
# A model column boundary with no gap near it stays only where at most this share of the
# lines has text running through it.
_HIDDEN_GAP = 0.2
# Words at most this far apart (median word heights) are one phrase even across a column
# boundary.
CROSSING_GAP = 0.4
# Share of the table's width (height) that rules in a gap must cover to be a full boundary.
_STRONG_RULE = 0.5
# A table whose strong rules number at least this share of the model's boundaries counts as
# ruled: its rows (columns) come from its rules alone.
_RULED_SHARE = 0.6
# A clear vertical gap at least this wide (median word heights) may add a column.
_MIN_NEW_COLUMN_GAP = 0.6
# ... when both new columns hold text in at least this share of the body's lines.
_NEW_COLUMN_FILL = 0.3
# Lines closer than this (median word heights) may be one wrapped cell.
WRAP_GAP = 0.6
# Lines closer than this (median word heights) follow each other as a wrapped cell's do.
_TIGHT_GAP = 0.3
# A wrapped label's later lines may hang indented under its first by this many median word
# heights, under a first line running this share of the column's widest line.
_HANG_LEAST, _HANG_MOST = 0.5, 4.0
_HANG_LINE = 0.6
# A word space, in median word heights (a text line's height is about twice the x-height).
_WORD_SPACE = 0.3
# Texts of two lines in one column overlapping across this share of the narrower are stacked.
_STACKED_OVERLAP = 0.5
# A heading phrase with this share of its width in a column gap stands in the gap.
_IN_GAP = 0.75
# Bands whose words fill more of their extent than this, over half the table, are prose.
_PROSE_FILL = 0.8

_NUMBER = re.compile(
    r"^[(\[]?[-+−–±<>≤≥~$€£¥%]*\d[\d.,:/%'’ \-−–]*[)\]%*†‡a-z]{0,3}$", re.IGNORECASE
)


@dataclass
class Band:
    """A horizontal strip of text: words whose (shrunk) vertical extents overlap."""

    y0: float
    y1: float
    words: list[int] = field(default_factory=list)  # indices into the table's words


@dataclass
class Gap:
    """Free space between two bands (rows) or an x-range no line covers (columns)."""

    lo: float
    hi: float
    rule: float = 0.0  # share of the table's extent covered by rules lying in the gap
    rule_at: float | None = None  # where the longest such rule lies
    crossing: bool = False  # a rule in the gap runs across a column boundary
    above: int | None = None  # rows: the band above the gap (None: a rule cutting a band)

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


def median_height(words: list[Word]) -> float:
    heights = [w.bbox[3] - w.bbox[1] for w in words if w.bbox[3] > w.bbox[1]]
    return statistics.median(heights) if heights else 10.0


def text_bands(words: list[Word], unit: float) -> list[Band]:
    """Group words into bands, top to bottom. Very tall words join the band of their centre."""
    regular: list[tuple[float, float, int]] = []
    tall: list[int] = []
    for i, w in enumerate(words):
        height = w.bbox[3] - w.bbox[1]
        if height > _TALL_WORD * unit:
            tall.append(i)
            continue
        shrink = _BAND_SHRINK * height
        regular.append((w.bbox[1] + shrink, w.bbox[3] - shrink, i))
    if not regular:  # only tall words: they make the bands themselves
        regular = [(words[i].bbox[1], words[i].bbox[3], i) for i in tall]
        tall = []
    regular.sort()
    bands: list[Band] = []
    for line in _sweep(regular):
        bands += _unbridged(line, words)
    bands = _merge_lone_labels(bands, words)
    for band in bands:
        # A symbol font's bullet has a box far taller than its glyph: it does not move the
        # band's edges while the band has other words.
        extent = [words[i] for i in band.words if _height(words[i]) <= TALL_GLYPH * unit]
        extent = extent or [words[i] for i in band.words]
        band.y0 = min(w.bbox[1] for w in extent)
        band.y1 = max(w.bbox[3] for w in extent)
    for i in tall:
        cy = (words[i].bbox[1] + words[i].bbox[3]) / 2
        if bands:
            nearest = min(bands, key=lambda b: 0 if b.y0 <= cy <= b.y1 else min(abs(cy - b.y0), abs(cy - b.y1)))
            nearest.words.append(i)
    return bands


def _sweep(spans: list[tuple[float, float, int]]) -> list[list[tuple[float, float, int]]]:
    """Runs of vertical spans (sorted by top) that overlap one another, chained."""
    runs: list[list[tuple[float, float, int]]] = []
    reach = float("-inf")
    for span in spans:
        if runs and span[0] < reach:
            runs[-1].append(span)
            reach = max(reach, span[1])
        else:
            runs.append([span])
            reach = span[1]
    return runs


def _unbridged(spans: list[tuple[float, float, int]], words: list[Word]) -> list[Band]:
    """One band of the chained spans, or its lines where words set between two lines, each
    alone in its column (a label centred on the two records beside it), alone chain them:
    lines stacked in two or more columns are lines, and such a word goes with the upper
    one, as a spanning cell's text is read with its first row."""
    # Only a chain with two spans one over the other (not one line of overlapping words) can
    # hold two lines.
    if len(spans) >= 5 and max(s[0] for s in spans) >= min(s[1] for s in spans):
        bridges = {
            s[2] for s in spans
            if _between([a for a in spans if a is not s and _touch(s, a)])
            and not any(a is not s and _x_overlap(words[s[2]], words[a[2]]) for a in spans)
        }
        lines = _sweep([s for s in spans if s[2] not in bridges]) if bridges else []
        indices = [[s[2] for s in line] for line in lines]
        if len(lines) >= 2 and all(_columns_stacked(a, b, words) >= 2 for a, b in itertools.pairwise(indices)):
            found = [Band(0.0, 0.0, list(line)) for line in indices]
            for s in spans:
                if s[2] in bridges:
                    home = next((k for k, line in enumerate(lines) if any(_touch(s, t) for t in line)), 0)
                    found[home].words.append(s[2])
            return found
    return [Band(0.0, 0.0, [s[2] for s in spans])]


def _touch(a: tuple[float, float, int], b: tuple[float, float, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _between(near: list[tuple[float, float, int]]) -> bool:
    """Whether two of these spans lie one over the other."""
    return any(a[1] <= b[0] for a in near for b in near)


def _merge_lone_labels(bands: list[Band], words: list[Word]) -> list[Band]:
    """Bands of words alone in their columns that lie between two lines stacked in two or
    more columns, over both (a label centred on the two records beside it that touches
    neither line's shrunk extent), joined to the upper line."""
    result: list[Band] = []
    for k, band in enumerate(bands):
        if result and k + 1 < len(bands):
            upper, lower = result[-1], bands[k + 1]
            mine = [words[i] for i in band.words]
            around = [words[i] for i in upper.words + lower.words]
            if (
                not any(_x_overlap(w, o) for w in mine for o in around)
                and min(w.bbox[1] for w in mine) < max(words[i].bbox[3] for i in upper.words)
                and max(w.bbox[3] for w in mine) > min(words[i].bbox[1] for i in lower.words)
                and _columns_stacked(upper.words, lower.words, words) >= 2
            ):
                upper.words.extend(band.words)
                continue
        result.append(band)
    return result


def _x_overlap(a: Word, b: Word) -> bool:
    return min(a.bbox[2], b.bbox[2]) > max(a.bbox[0], b.bbox[0])


def _columns_stacked(upper: list[int], lower: list[int], words: list[Word]) -> int:
    """In how many separate places (x ranges apart) a word of the lower line stands under one
    of the upper line."""
    places: list[tuple[float, float]] = []
    for a in upper:
        for b in lower:
            wa, wb = words[a], words[b]
            if _x_overlap(wa, wb):
                x0, x1 = min(wa.bbox[0], wb.bbox[0]), max(wa.bbox[2], wb.bbox[2])
                if not any(x0 < p1 and p0 < x1 for p0, p1 in places):
                    places.append((x0, x1))
    return len(places)


def first_data_line(bands: list[Band], words: list[Word], box: Box) -> float:
    """Where the body of a table of numbers starts: the top of the first line with two or
    more numbers, when it lies in the table's upper half; else the table's top."""
    y0, y1 = box[1], box[3]
    for band in bands:
        if (band.y0 + band.y1) / 2 > y0 + 0.5 * (y1 - y0):
            break
        if sum(is_number(words[i].text) for i in band.words) >= 2:
            return band.y0 - 0.5
    return y0


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


_CURRENCY = frozenset("$€£¥₹₩")
_LEADER_CHARS = frozenset(".·…_-‐‑–—―=─━•")
_RULE_CHARS = frozenset("_-‐‑–—―=─━")


# Glyphs that mark a list item.
BULLETS = frozenset("•◦▪▫■□●○◆◇►▸▶‣⁃∙➢➤❖✓✔")


def is_filler(text: str) -> bool:
    """Dot leaders and lines typed as characters: layout, not content."""
    text = text.strip()
    return len(text) >= 4 and all(ch in _LEADER_CHARS for ch in text)


# Dots left at the end of a label by dot leaders that were read as text: two or more dots
# with only spaces between them, or one set apart by a space ("days. . ." and "days .").
_TRAILING_LEADERS = re.compile(r"(?:\s*[.·…]){2,}\s*$|\s+[.·…]\s*$")


def without_trailing_leaders(text: str) -> str:
    """A cell's text less the dots of leaders read at its end; a cell of dots alone stays."""
    stripped = _TRAILING_LEADERS.sub("", text)
    return stripped if stripped.strip() else text


def text_rule(word: Word) -> Rule | None:
    """A line of dashes or underscores typed as text, as the horizontal rule it draws."""
    text = word.text.strip()
    if len(text) < 8 or not all(ch in _RULE_CHARS for ch in text):
        return None
    x0, y0, x1, y1 = word.bbox
    if x1 - x0 < 2 * (y1 - y0):
        return None
    y = (y0 + y1) / 2
    return Rule(x0, y, x1, y)


def union_length(intervals: list[tuple[float, float]]) -> float:
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


def join_intervals(intervals: list[tuple[float, float]], join: float = 0.5) -> list[tuple[float, float]]:
    """Union of intervals as sorted runs; intervals less than `join` apart are one run."""
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1] + join:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def phrase_count(band: Band, words: list[Word], unit: float) -> int:
    """Runs of words in a band, split where the space between two words is wider than a
    word space."""
    ordered = sorted(band.words, key=lambda i: words[i].bbox[0])
    count = 1
    for a, b in itertools.pairwise(ordered):
        if words[b].bbox[0] - words[a].bbox[2] > PHRASE_GAP * unit:
            count += 1
    return count


def locate(edges: list[float], v: float) -> int:
    return min(max(bisect_right(edges, v) - 1, 0), len(edges) - 2)


def same_line(a: Word, b: Word) -> bool:
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    return overlap > 0.5 * min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])


def is_prose(band: Band, words: list[Word], width: float) -> bool:
    """A line of running text (title, note, spanning section heading): its words fill their
    extent almost without gaps and the extent is over half the table's width."""
    boxes = [words[i].bbox for i in band.words]
    lo, hi = min(b[0] for b in boxes), max(b[2] for b in boxes)
    if hi - lo < 0.5 * width:
        return False
    return union_length([(b[0], b[2]) for b in boxes]) > _PROSE_FILL * (hi - lo)


# ----------------------------------------------------------------------------------- columns


def column_gaps(
    words: list[Word], bands: list[Band], body: list[Band], x0: float, x1: float, unit: float
) -> tuple[list[Gap], list[int], float, int]:
    """Interior x-ranges covered by at most a few body lines; also the coverage profile
    (lines covering each half-point step from x0), the step and the number of lines counted."""
    step = 0.5
    size = max(1, int((x1 - x0) / step) + 1)
    width = x1 - x0
    # Lines of one phrase (headings over several columns, section titles, notes) do not
    # define columns; lines holding two or more phrases do.
    counted = [b for b in body if not is_prose(b, words, width)] or body
    multi = [b for b in counted if phrase_count(b, words, unit) >= 2]
    if len(multi) >= 3:
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
    allowance = 0 if len(counted) < 8 else max(1, len(counted) // 12)
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
    minimum = 0.25 * unit
    gaps = [g for g in gaps if g.hi - g.lo >= minimum and _touching(g, counted, words, unit) >= 2]
    return gaps, counts, step, len(counted)


def _clear_part(gap: Gap, body: list[Band], words: list[Word], unit: float) -> Gap:
    """The gap less the part that row labels running into it cover (phrases from the table's
    left edge: the long labels of lines with nothing else, left out when the gaps were
    found), where at least a quarter line's width of it is left: a boundary there cuts no
    label. Text set further right (a note centred over the figures) says nothing of it."""
    left = min((words[i].bbox[0] for band in body for i in band.words), default=gap.lo)
    reach = max(
        (b for band in body
         for a, b in join_intervals([(words[i].bbox[0], words[i].bbox[2]) for i in band.words], PHRASE_GAP * unit)
         if a <= left + unit and gap.lo < b < gap.hi),
        default=gap.lo,
    )
    return Gap(reach, gap.hi) if gap.hi - reach >= 0.25 * unit else gap


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
            ends = gap.lo - window <= b <= gap.lo + 1.0
            starts = gap.hi - 1.0 <= a <= gap.hi + window
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
    across = left.bbox[2] <= gap.lo + 1.0 and right.bbox[0] >= gap.hi - 1.0
    return across and right.bbox[0] - left.bbox[2] <= PHRASE_GAP * unit


def _rule_cover(
    gap: Gap, rules: list[tuple[float, float, float]], extent: tuple[float, float], slack: float
) -> list[tuple[float, float]]:
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
        key = round(position, 1)
        by_position[key] = by_position.get(key, 0.0) + b - a
    gap.rule_at = max(by_position.items(), key=lambda kv: kv[1])[0]
    return spans


def _snap(
    boundaries: list[float], gaps: list[Gap], reach: list[float] | None = None
) -> list[int | None]:
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


def refine_columns(
    model_edges: list[float],
    words: list[Word],
    bands: list[Band],
    body: list[Band],
    vertical: list[tuple[float, float, float]],
    box: Box,
    unit: float,
) -> Axis:
    """Column boundaries, from whitespace and vertical rules, the model's as the prior."""
    x0, y0, x1, y1 = box
    inner = model_edges[1:-1]
    gaps, counts, step, lines = column_gaps(words, bands, body, x0, x1, unit)
    if lines < len(body):
        gaps = [_clear_part(g, body, words, unit) for g in gaps]
    gaps = _add_rule_gaps(gaps, words, counts, step, vertical, box, len(body))
    gaps = _split_at_rules(gaps, vertical, (y0, y1), unit)
    for g in gaps:
        _rule_cover(g, vertical, (y0, y1), rule_slack(unit))
    # How far a model boundary may move: half the narrower of its two model columns.
    reach = [
        0.5 * min(model_edges[k + 1] - model_edges[k], model_edges[k + 2] - model_edges[k + 1])
        for k in range(len(inner))
    ]
    snapped = _snap(inner, gaps, reach)
    # A boundary with no gap within reach: kept where few lines run through it (a gap that
    # spanning text hides), else moved to the nearest gap no other boundary took, else
    # dropped.
    free = [g for g in range(len(gaps)) if g not in set(snapped)]
    for k, (b, g) in enumerate(zip(inner, snapped)):
        if g is not None:
            continue
        index = min(len(counts) - 1, max(0, int((b - x0) / step)))
        if counts and counts[index] <= _HIDDEN_GAP * lines:
            continue
        nearest = _snap([b], [gaps[f] for f in free])[0] if free else None
        snapped[k] = free.pop(nearest) if nearest is not None else -1
    moved = [gaps[g].position if g is not None and g >= 0 else b for b, g in zip(inner, snapped)]
    chosen = {g for g in snapped if g is not None and g >= 0}
    strong = {i for i, g in enumerate(gaps) if g.rule >= _STRONG_RULE}
    ruled = len(strong) >= max(1, _RULED_SHARE * len(chosen))
    spaced: set[int] = set()
    if ruled:
        # A ruled table's columns are its rules', and a model boundary where the text leaves
        # a gap no line crosses (stub columns set apart by space alone, inside one ruled
        # block): no merged cell spans one of those, having no rule to find there.
        spaced = {g for g in chosen if gaps[g].rule < 0.2 and _uncrossed(gaps[g], counts, x0, step)} - strong
        keep = strong | {g for g in chosen if gaps[g].rule >= 0.2} | spaced
        unsnapped: list[float] = []
    else:
        keep = chosen | strong
        unsnapped = [b for b, g in zip(inner, snapped) if g is None]
        keep |= _new_columns(gaps, keep, words, body, unit)
    positions = sorted({gaps[g].position for g in keep} | set(unsnapped))
    positions = _dedupe(positions, unit)
    edges = [x0, *[p for p in positions if x0 < p < x1], x1]
    ruled_at = {gaps[g].position for g in strong}
    edges = [e for k, e in enumerate(edges) if not _after_bullets(edges, k, words, ruled_at)]
    if not ruled:
        edges = _heading_sides(edges, gaps, [b for b in bands if b.y1 <= min((b.y0 for b in body), default=y0)],
                               words, unit, ruled_at)
    hard = {e for e in edges if e in {gaps[g].position for g in spaced}}
    return Axis(edges, [model_edges[0], *moved, model_edges[-1]], ruled, hard=hard)


def _uncrossed(gap: Gap, counts: list[int], x0: float, step: float) -> bool:
    """Whether no counted line runs into the gap (`counts`: lines over each step from x0)."""
    lo, hi = int((gap.lo - x0) / step), int((gap.hi - x0) / step)
    return hi > lo and not any(counts[max(0, lo) : min(len(counts), hi)])


def _heading_sides(
    edges: list[float], gaps: list[Gap], heading: list[Band], words: list[Word], unit: float, ruled_at: set[float]
) -> list[float]:
    """Move a boundary set in the middle of a gap past a heading phrase standing (mostly)
    inside that gap (a heading set flush left over right-aligned figures: the body does not say
    which column it heads), to the side whose heading is otherwise empty, when the side it
    fell on has a heading of its own."""
    edges = list(edges)
    for k in range(1, len(edges) - 1):
        e = edges[k]
        gap = next((g for g in gaps if g.lo <= e <= g.hi and e not in ruled_at and g.rule == 0.0), None)
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


def phrases(band: Band, words: list[Word], unit: float) -> list[tuple[float, float]]:
    """The x-extents of a band's runs of words a word space apart."""
    runs: list[list[float]] = []
    for i in sorted(band.words, key=lambda i: words[i].bbox[0]):
        x0, _, x1, _ = words[i].bbox
        if runs and x0 - runs[-1][1] <= PHRASE_GAP * unit:
            runs[-1][1] = max(runs[-1][1], x1)
        else:
            runs.append([x0, x1])
    return [(a, b) for a, b in runs]


def is_bullet(text: str) -> bool:
    """A list bullet: one glyph that marks the item after it."""
    return len(text.strip()) == 1 and text.strip() in BULLETS


def _after_bullets(edges: list[float], k: int, words: list[Word], ruled_at: set[float]) -> bool:
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
    return any(t in _CURRENCY for t in signs) and all(t in _CURRENCY or t in DOLLAR_LOOK_ALIKES for t in signs)


def _add_rule_gaps(
    gaps: list[Gap],
    words: list[Word],
    counts: list[int],
    step: float,
    vertical: list[tuple[float, float, float]],
    box: Box,
    lines: int,
) -> list[Gap]:
    """A vertical rule running down most of the table between text is a column boundary even
    where a line's text runs across it (a word glued over the boundary, as CJK runs are)."""
    x0, y0, _x1, y1 = box
    if not words or y1 <= y0 or not counts:
        return gaps
    # Between the text, of any line: a column may hold text only in lines of one phrase.
    first = min(w.bbox[2] for w in words)
    last = max(w.bbox[0] for w in words)
    lengths: dict[float, list[tuple[float, float]]] = {}
    for x, a, b in vertical:
        if first < x < last:
            lengths.setdefault(round(x * 2) / 2, []).append((max(y0, a), min(y1, b)))
    added = list(gaps)
    for x, spans in sorted(lengths.items()):
        if union_length([s for s in spans if s[1] > s[0]]) < _STRONG_RULE * (y1 - y0):
            continue
        if any(g.lo - 1.0 <= x <= g.hi + 1.0 for g in added):
            continue
        index = min(len(counts) - 1, max(0, int((x - x0) / step)))
        if counts[index] <= max(1, lines // 5):
            added.append(Gap(x, x))
    return sorted(added, key=lambda g: g.lo)


def _split_at_rules(
    gaps: list[Gap], rules: list[tuple[float, float, float]], extent: tuple[float, float], unit: float
) -> list[Gap]:
    """A gap holding two or more full rules (a ruled column with no text in the body lines,
    such as one headed by vertical text) is one gap per rule."""
    lo, hi = extent
    result: list[Gap] = []
    for gap in gaps:
        lengths: dict[float, list[tuple[float, float]]] = {}
        for x, a, b in rules:
            if gap.lo - 1.0 <= x <= gap.hi + 1.0 and min(hi, b) > max(lo, a):
                lengths.setdefault(round(x * 2) / 2, []).append((max(lo, a), min(hi, b)))
        lines: list[float] = []
        for x in sorted(lengths):
            if union_length(lengths[x]) >= _STRONG_RULE * (hi - lo):
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
        if result and p - result[-1] < 0.5 * unit:
            continue
        result.append(p)
    return result


def _substantial(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= 2 or (len(text.strip()) == 1 and text.strip().isalnum())


def _widths_past_marks(gaps: list[Gap], words: list[Word], body: list[Band]) -> list[float]:
    """Each gap's width, or, for the widest of gaps parted only by signs and marks (a
    currency sign set apart before its figures), the width of them all with the marks:
    the space between two columns of figures."""
    widths = [g.hi - g.lo for g in gaps]
    order = sorted(range(len(gaps)), key=lambda g: gaps[g].lo)
    marks = [
        words[i].bbox for band in body for i in band.words if not _substantial(words[i].text)
    ]
    texts = [
        words[i].bbox for band in body for i in band.words if _substantial(words[i].text)
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


def _new_columns(
    gaps: list[Gap], keep: set[int], words: list[Word], body: list[Band], unit: float
) -> set[int]:
    """Clear, wide gaps the model missed, that split a column holding text in many lines on
    both sides."""
    if len(body) < 3:
        return set()
    added: set[int] = set()
    kept = sorted(gaps[g].position for g in keep)
    widths = _widths_past_marks(gaps, words, body)
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
                if not _substantial(words[i].text):
                    continue
                if b <= gap.lo + 0.01 and a >= left_edge:
                    has_left = True
                elif a >= gap.hi - 0.01 and b <= right_edge:
                    has_right = True
                elif a < gap.lo and b > gap.hi:
                    crossing += 1
            left += has_left
            right += has_right
        if crossing == 0 and min(left, right) >= _NEW_COLUMN_FILL * len(body):
            added.add(gi)
    return added


# -------------------------------------------------------------------------------------- rows


def row_gaps(bands: list[Band]) -> list[Gap]:
    gaps = []
    for k, (above, below) in enumerate(itertools.pairwise(bands)):
        lo, hi = above.y1, below.y0
        if hi < lo:
            lo = hi = (lo + hi) / 2
        gaps.append(Gap(lo, hi, above=k))
    return gaps


def _rule_cuts(
    gaps: list[Gap],
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    box: Box,
    col_edges: list[float],
    unit: float,
    parted: bool = True,
) -> list[Gap]:
    """Horizontal rules that run through a band without cutting any word they pass: in a
    ruled table a label set beside several ruled rows shares its band with them. With
    `parted` False, also rules between lines that a gap parts already (not on the rule)."""
    x0, _, x1, _ = box
    if not words:
        return []
    # Only between text: a rule above or below all of it is the table's border.
    y0 = min(w.bbox[1] for w in words) + 1.0
    y1 = max(w.bbox[3] for w in words) - 1.0
    slack = rule_slack(unit)
    lines: dict[float, list[tuple[float, float]]] = {}
    for y, a, b in horizontal:
        if y0 < y < y1 and min(x1, b) > max(x0, a):
            lines.setdefault(round(y * 2) / 2, []).append((max(x0, a), min(x1, b)))
    # A word's box runs from the font's ascender to its descender: a rule set tight against
    # the text crosses that margin without cutting the word. Boxes much taller than the text
    # (a symbol font's bullet) say little about where the glyph is.
    glyphs = [(w, _core(w)) for w in words if _height(w) <= TALL_GLYPH * unit]
    cuts: list[Gap] = []
    for y, spans in sorted(lines.items()):
        if any(g.lo - slack <= y <= g.hi + slack for g in gaps + cuts):
            continue
        runs = join_intervals(spans, join=SEGMENT_BREAK)
        if not _crosses(runs, col_edges):
            continue
        under = [(w, core) for w, core in glyphs if any(min(b, w.bbox[2]) > max(a, w.bbox[0]) for a, b in runs)]
        if any(top < y < bottom for _, (top, bottom) in under):
            continue
        # It must part two lines under it, close above and below, that no gap parts yet.
        above = max((w.bbox[3] for w, (_, bottom) in under if bottom <= y), default=None)
        below = min((w.bbox[1] for w, (top, _) in under if top >= y), default=None)
        if above is None or below is None or y - above > unit or below - y > unit:
            continue
        if parted and any(above - 1.0 < g.position < below + 1.0 for g in gaps + cuts):
            continue
        cuts.append(Gap(y, y))
    return cuts


def _core(word: Word) -> tuple[float, float]:
    """The vertical extent of a word's glyphs: its box less the font's margins."""
    margin = max(1.0, _BAND_SHRINK * _height(word))
    return word.bbox[1] + margin, word.bbox[3] - margin


def _height(word: Word) -> float:
    return word.bbox[3] - word.bbox[1]


def rule_slack(unit: float) -> float:
    return max(_RULE_SLACK, 0.25 * unit)


def _crosses(runs: list[tuple[float, float]], col_edges: list[float]) -> bool:
    """Whether a rule runs across a column boundary (segments drawn cell by cell, with
    hairline breaks at the boundaries, count as one rule)."""
    for a, b in join_intervals(runs, join=SEGMENT_BREAK):
        for c in col_edges[1:-1]:
            if a < c - 2.0 and b > c + 2.0:
                return True
    return False


def refine_rows(
    model_edges: list[float],
    words: list[Word],
    bands: list[Band],
    horizontal: list[tuple[float, float, float]],
    box: Box,
    col_edges: list[float],
    header_bottom: float,
    unit: float,
    groups: list[Box] = (),
    columns_ruled: bool = False,
    row_spans: list[Box] = (),
    column_rule_ends: list[tuple[int, float]] = (),
) -> Axis:
    """Row boundaries, from the gaps between text lines and horizontal rules, the model's as
    the prior; boundaries between split records are ones no cell may span. `groups` are
    the heading rows where the model has cells spanning columns; `columns_ruled`, whether
    vertical rules part the columns; `row_spans`, the model's cells spanning rows;
    `column_rule_ends`, where rules on inner column boundaries (by index) start or stop
    inside the table."""
    x0, y0, x1, y1 = box
    inner = model_edges[1:-1]
    gaps = row_gaps(bands)
    for g in gaps:
        g.crossing = _crosses(_rule_cover(g, horizontal, (x0, x1), rule_slack(unit)), col_edges)
    cuts = _rule_cuts(gaps, words, horizontal, box, col_edges, unit)
    beside = [
        b for b in _gaps_beside_spans(bands, words, inner, row_spans)
        if not any(abs(b.position - g.position) < 0.5 * unit for g in gaps + cuts)
    ]
    for g in cuts + beside:
        g.crossing = _crosses(_rule_cover(g, horizontal, (x0, x1), rule_slack(unit)), col_edges)
    gaps = sorted(gaps + cuts + beside, key=lambda g: g.lo)
    split = {i for i, g in enumerate(gaps) if any(g is b for b in beside)}
    if not gaps:
        return Axis([y0, y1], list(model_edges))
    snapped = _snap(inner, gaps)
    moved = [gaps[g].position if g is not None else b for b, g in zip(inner, snapped)]
    chosen = {g for g in snapped if g is not None}
    # A rule separates rows where it runs across a column boundary: the edges of a shading
    # behind the text of one column (or one line) do not.
    single = len(col_edges) <= 2
    strong = {i for i, g in enumerate(gaps) if g.crossing or (single and g.rule >= _STRONG_RULE)}
    # Rules down two or more column boundaries that start (or stop) in one gap draw a row
    # boundary there with no rule across: a title over all the columns inside the frame.
    # (They say nothing of whether rules draw every row.)
    slack = rule_slack(unit)
    ends = {
        i for i, g in enumerate(gaps)
        if len({k for k, y in column_rule_ends if g.lo - slack <= y <= g.hi + slack}) >= 2
    }
    # Ruled row by row: rules part the body's lines wherever the model parts them (most
    # places); rules in the heading only (or every few rows) leave the rows to the model.
    body = {i for i, g in enumerate(gaps) if g.lo > header_bottom}
    # Where vertical rules draw the columns too, horizontal rules are what part the rows; a
    # table ruled only across (a rule under the heading, one over the total) leaves the
    # rows it does not rule to the text and the model: without vertical rules, ruled row by
    # row takes two or more rules between body lines (one over the total is no ruling).
    texts = [_column_texts(b, words, col_edges) for b in bands]  # each line's text by column
    records = _record_splits(gaps, bands, words, col_edges, header_bottom, texts)
    counted = chosen if columns_ruled else chosen | strong
    if not columns_ruled:
        # Body lines that are two records (figures in the same columns) are rows apart
        # whatever the model drew: rules that leave most of them unparted are no ruling row
        # by row (a low-resolution image's model rows hold several records each).
        counted |= records
    least = 1 if columns_ruled else 2
    ruled = len(strong & body) >= max(least, 0.5 * len(counted & body)) and len(strong) >= 2
    if ruled and not columns_ruled:
        # As many records left unparted as rules between them, or records left unparted
        # between most pairs of rules: the rules group the records (every two, a region's),
        # they do not draw the rows.
        unparted = (records & body) - strong
        ruled = len(unparted) < len(strong & body) and not _groups_records(gaps, body, strong, unparted)
    hard: set[int] = set()  # rules block spans only where they run (see ruled_apart)
    if ruled:
        keep = set(strong) | split
        # A rule under a heading over a group of columns parts the group's heading from
        # the column headings below it, though the headings beside them, set across both
        # lines, leave no gap under the rule: in a table ruled both ways (every cell drawn)
        # it is a row boundary too. (Without vertical rules, as under a booktabs group
        # heading, the headings beside it may be wrapped over both lines.)
        if columns_ruled:
            for cut in _heading_rule_cuts([gaps[g] for g in keep], words, horizontal, box, col_edges, header_bottom, unit):
                gaps.append(cut)
                keep.add(len(gaps) - 1)
    else:
        keep = chosen | strong | split
        # Two records are never one cell, wherever the boundary between them came from.
        keep |= records
        hard |= records
        keep -= _wrapped_heading(
            gaps, keep - strong - hard - split, keep, words, col_edges, header_bottom, unit, groups
        )
        keep -= _wrapped_body(gaps, keep - strong - hard - split, keep, bands, words, col_edges, header_bottom, unit)
        keep -= _wrapped_labels(gaps, keep - strong - hard - split, bands, words, texts, col_edges, header_bottom, unit)
    keep |= ends
    edges = [y0, *sorted(gaps[g].position for g in keep if y0 < gaps[g].position < y1), y1]
    hard_positions = {gaps[g].position for g in hard}
    return Axis(edges, [model_edges[0], *moved, model_edges[-1]], ruled, hard_positions)


def _groups_records(gaps: list[Gap], body: set[int], strong: set[int], unparted: set[int]) -> bool:
    """Whether more than half of the stretches of body lines between one rule and the next
    (and after the last) hold a record boundary that no rule draws: rules over groups of
    records, not a ruling with a rule missed here and there (a scan's)."""
    stretches: list[bool] = []
    for i in sorted(body, key=lambda i: gaps[i].lo):
        if i in strong:
            stretches.append(False)
        elif stretches and i in unparted:
            stretches[-1] = True
    return len(stretches) >= 2 and sum(stretches) > 0.5 * len(stretches)


def _heading_rule_cuts(
    kept: list[Gap],
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    box: Box,
    col_edges: list[float],
    header_bottom: float,
    unit: float,
) -> list[Gap]:
    """Rules in the heading that part two lines under them and run across a column
    boundary, though other gaps part those lines, away from the boundaries `kept` (a
    double rule is one boundary)."""
    found = []
    for cut in _rule_cuts(kept, words, horizontal, box, col_edges, unit, parted=False):
        if cut.lo >= header_bottom or any(abs(g.position - cut.lo) < unit for g in kept):
            continue
        if _crosses(_rule_cover(cut, horizontal, (box[0], box[2]), rule_slack(unit)), col_edges):
            found.append(cut)
    return found


def _gaps_beside_spans(
    bands: list[Band], words: list[Word], model_edges: list[float], row_spans: list[Box]
) -> list[Gap]:
    """Gaps inside a band between lines that a text spanning rows beside them joins into
    one band (a label of two lines centred beside three rows): the band's words outside the
    model's row-spanning cells, banded alone, fall apart into lines, and the model draws a
    row boundary between them."""
    found: list[Gap] = []
    for band in bands:
        spans = [s for s in row_spans if s[1] < band.y1 and s[3] > band.y0]
        if not spans:
            continue

        rest = [words[i] for i in band.words if not any(centre_in(words[i].bbox, s) for s in spans)]
        if len(rest) == len(band.words) or len(rest) < 2:
            continue
        lines = text_bands(rest, median_height(rest))
        for above, below in itertools.pairwise(lines):
            centre_above = (above.y0 + above.y1) / 2
            centre_below = (below.y0 + below.y1) / 2
            if not any(centre_above < e < centre_below for e in model_edges):
                continue
            lo, hi = above.y1, below.y0
            if hi < lo:
                lo = hi = (lo + hi) / 2
            found.append(Gap(lo, hi))
    return found


def _wrapped_heading(
    gaps: list[Gap],
    candidates: set[int],
    keep: set[int],
    words: list[Word],
    col_edges: list[float],
    header_bottom: float,
    unit: float,
    groups: list[Box],
) -> set[int]:
    """Boundaries inside the heading that only cut wrapped heading text: in every column
    holding text on both sides, the lines are words, not numbers, and follow each other
    closely; and the row above holds no heading over a group of columns (`groups`: where
    the model put cells spanning columns)."""
    removed: set[int] = set()
    positions = sorted(gaps[g].position for g in keep)
    for g in candidates:
        at = gaps[g].position
        if at >= header_bottom:
            continue
        k = positions.index(at)
        top = positions[k - 1] if k > 0 else min(w.bbox[1] for w in words) - 1.0
        bottom = positions[k + 1] if k + 1 < len(positions) else float("inf")
        above: dict[int, list[Word]] = {}
        below: dict[int, list[Word]] = {}
        for w in words:
            cy = (w.bbox[1] + w.bbox[3]) / 2
            column = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
            if top < cy < at:
                above.setdefault(column, []).append(w)
            elif at < cy < bottom:
                below.setdefault(column, []).append(w)
        if any((w.bbox[1] + w.bbox[3]) / 2 > header_bottom for ws in below.values() for w in ws):
            continue  # the row below is body, not heading
        if any(_heads_group(g, top, at, words, unit) for g in groups):
            continue  # the row above holds a heading over a group of columns
        shared = set(above) & set(below)
        if not shared or any(is_number(w.text) for c in shared for w in above[c] + below[c]):
            continue
        if all(
            min(w.bbox[1] for w in below[c]) - max(w.bbox[3] for w in above[c]) <= WRAP_GAP * unit
            for c in shared
        ):
            removed.add(g)
    return removed


def _heads_group(group: Box, top: float, at: float, words: list[Word], unit: float) -> bool:
    """Whether the row between `top` and `at` holds the heading of a model cell spanning
    columns (`group`: its columns and its first row): the cell's row lies in it (a boundary
    above that runs through the cell's row leaves its heading above), and the row's text over
    the group's columns is one phrase (several are headings of their own), on lines running
    over much of the group when there are several."""
    x0, y0, x1, y1 = group
    if not top < (y0 + y1) / 2 < at or top > y0 + 0.5 * unit:
        return False
    over = sorted(
        (w for w in words if top < (w.bbox[1] + w.bbox[3]) / 2 < at and x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1),
        key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0]),
    )
    lines: list[list[Word]] = []
    for w in over:
        if lines and same_line(lines[-1][-1], w):
            lines[-1].append(w)
        else:
            lines.append([w])
    one_phrase = all(
        b.bbox[0] - a.bbox[2] <= PHRASE_GAP * unit
        for ln in lines
        for a, b in itertools.pairwise(sorted(ln, key=lambda w: w.bbox[0]))
    )
    if len(lines) < 2 or not one_phrase:
        return one_phrase
    # Lines stacked in one column of the group are that column's heading, wrapped; a heading
    # over the group set on two lines runs over much of its width.
    extent = max(w.bbox[2] for w in over) - min(w.bbox[0] for w in over)
    return extent >= 0.5 * (x1 - x0)


def _wrapped_body(
    gaps: list[Gap],
    candidates: set[int],
    keep: set[int],
    bands: list[Band],
    words: list[Word],
    col_edges: list[float],
    header_bottom: float,
    unit: float,
) -> set[int]:
    """Body boundaries that only cut wrapped cell text, in a table whose records are set
    apart by wider gaps than their lines: the line below sits as close as the lines of a
    wrapped cell, starts no record (nothing in the first column), and holds words, not
    numbers, only in columns where the line above has text too."""
    if len(col_edges) < 3:
        return set()
    tight, wide = _TIGHT_GAP * unit, WRAP_GAP * unit
    if not any(gaps[g].hi - gaps[g].lo >= wide for g in keep if gaps[g].lo > header_bottom):
        return set()
    removed: set[int] = set()
    for g in candidates:
        gap = gaps[g]
        if gap.above is None or gap.lo <= header_bottom or gap.hi - gap.lo > tight:
            continue
        above, below = bands[gap.above], bands[gap.above + 1]
        columns_above = {locate(col_edges, (words[i].bbox[0] + words[i].bbox[2]) / 2) for i in above.words}
        columns_below = {locate(col_edges, (words[i].bbox[0] + words[i].bbox[2]) / 2) for i in below.words}
        if 0 in columns_below or not columns_below <= columns_above:
            continue
        if any(is_number(words[i].text) for i in [*above.words, *below.words]):
            continue
        removed.add(g)
    return removed


def _wrapped_labels(
    gaps: list[Gap],
    candidates: set[int],
    bands: list[Band],
    words: list[Word],
    texts: list[dict[int, tuple[Box, Word]]],
    col_edges: list[float],
    header_bottom: float,
    unit: float,
) -> set[int]:
    """Body boundaries under a row label's line that wrapped: the line holds text in the
    first column only, no figures, and the line below goes on with it there, either because
    its first word would not have fitted on the line (it ran to the column's widest line's
    width) or because it hangs indented under a line that runs most of that width (figures
    stand on a wrapped label's last line)."""
    if len(col_edges) < 3:
        return set()
    widest = _widest_label(texts, [(b.y0 + b.y1) / 2 > header_bottom for b in bands])
    removed: set[int] = set()
    for g in candidates:
        k = gaps[g].above
        if k is None or gaps[g].lo <= header_bottom:
            continue
        upper, lower = texts[k], texts[k + 1]
        if set(upper) != {0} or 0 not in lower or any(is_number(words[i].text) for i in bands[k].words):
            continue
        (ux0, _, ux1, _), _ = upper[0]
        (lx0, _, _, _), first = lower[0]
        if is_number(first.text):
            continue  # figures set in under a heading: a record of their own
        runs_on = (ux1 - ux0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) > widest
        hangs = _HANG_LEAST * unit <= lx0 - ux0 <= _HANG_MOST * unit and ux1 - ux0 >= _HANG_LINE * widest
        # A label with its figures ends its record: the next line goes back to the left (the
        # next label), where lines set in as far as it with figures of their own are the
        # items under a heading, not a label's last line.
        after = texts[k + 2] if k + 2 < len(texts) else {}
        ends = (
            not any(is_number(words[i].text) for i in bands[k + 1].words)
            or 0 not in after
            or after[0][0][0] < lx0 - _HANG_LEAST * unit
        )
        if (runs_on or hangs) and ends:
            removed.add(g)
    return removed


def _numeric_columns(band: Band, words: list[Word], col_edges: list[float]) -> set[int]:
    texts: dict[int, list[str]] = {}
    for i in band.words:
        w = words[i]
        cx = (w.bbox[0] + w.bbox[2]) / 2
        col = min(max(bisect_right(col_edges, cx) - 1, 0), len(col_edges) - 2)
        texts.setdefault(col, []).append(w.text)
    # A currency sign set apart from its figure ("$ 1,498") goes with it.
    return {
        c for c, t in texts.items()
        if all(is_number(x) or x.strip() in _CURRENCY for x in t) and any(is_number(x) for x in t)
    }


def _record_splits(
    gaps: list[Gap],
    bands: list[Band],
    words: list[Word],
    col_edges: list[float],
    header_bottom: float,
    texts: list[dict[int, tuple[Box, Word]]],
) -> set[int]:
    """Gaps between two body lines that are two records: both carry numbers in the same two
    or more columns; both hold text in the first column and another, the lower line's
    first label word fitting on the upper line (no label wrapped there); or a record's
    line over a label that starts the next one. Also gaps between a line running across
    columns and a line with separate cells in two or more of those columns (a heading over
    them, never part of their row)."""
    added: set[int] = set()
    numeric = [_numeric_columns(b, words, col_edges) for b in bands]
    unit = median_height(words)
    phrases = [_phrase_columns(b, words, col_edges, unit) for b in bands]
    body = [(b.y0 + b.y1) / 2 >= header_bottom for b in bands]
    widest = _widest_label(texts, body)
    for gi, gap in enumerate(gaps):
        k = gap.above
        if k is None:
            continue
        if body[k] and len(numeric[k] & numeric[k + 1]) >= 2:
            added.add(gi)
        elif body[k] and _unwrapped(texts[k], texts[k + 1], widest, unit):
            added.add(gi)
        elif body[k] and numeric[k] and not numeric[k + 1] and _label_starts(texts[k], texts[k + 1], widest, unit):
            added.add(gi)
        elif _heads(phrases[k], phrases[k + 1]) or _heads(phrases[k + 1], phrases[k]):
            # Inside the heading, lines of cells wrapped column by column are one row.
            if not (bands[k + 1].y1 <= header_bottom + 1.0 and _stacked(bands[k], bands[k + 1], words, col_edges)):
                added.add(gi)
    return added


def _column_texts(band: Band, words: list[Word], col_edges: list[float]) -> dict[int, tuple[Box, Word]]:
    """A line's text in each column: its extent and its first word."""
    found: dict[int, tuple[Box, Word]] = {}
    for i in sorted(band.words, key=lambda i: words[i].bbox[0]):
        w = words[i]
        c = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
        if c in found:
            (x0, y0, x1, y1), first = found[c]
            found[c] = ((x0, min(y0, w.bbox[1]), max(x1, w.bbox[2]), max(y1, w.bbox[3])), first)
        else:
            found[c] = (w.bbox, w)
    return found


def _widest_label(texts: list[dict[int, tuple[Box, Word]]], body: list[bool]) -> float:
    """The width of the widest text of a body line in the first column: as wide as the
    column's text may run before it wraps."""
    return max((t[0][0][2] - t[0][0][0] for t, in_body in zip(texts, body) if in_body and 0 in t), default=0.0)


def _unwrapped(
    upper: dict[int, tuple[Box, Word]], lower: dict[int, tuple[Box, Word]], widest: float, unit: float
) -> bool:
    """Whether two lines are two records of text: they share the first column and another,
    and the lower line's first word in the first column would have fitted on the upper
    line within that column's widest line (so the row's label did not wrap there)."""
    shared = set(upper) & set(lower)
    if 0 not in shared or len(shared) < 2:
        return False
    (x0, _, x1, _), _ = upper[0]
    first = lower[0][1]
    return (x1 - x0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) <= widest


def _label_starts(
    upper: dict[int, tuple[Box, Word]], lower: dict[int, tuple[Box, Word]], widest: float, unit: float
) -> bool:
    """Whether a line of text in the first column only, under a record's line (its label
    and figures), starts the next record: it stands no further right than the record's
    label, and its first word would have fitted on the label's line (no wrapped label goes
    on there)."""
    if set(lower) != {0} or 0 not in upper:
        return False
    (ux0, _, ux1, _), _ = upper[0]
    (lx0, _, _, _), first = lower[0]
    if lx0 > ux0 + _HANG_LEAST * unit:
        return False
    return (ux1 - ux0) + _WORD_SPACE * unit + (first.bbox[2] - first.bbox[0]) <= widest


def _stacked(upper: Band, lower: Band, words: list[Word], col_edges: list[float]) -> bool:
    """Whether two lines hold text set one over the other in every column they share (two or
    more, all the columns of one of them): the two lines of cells wrapped column by column
    ("Less than" over "$10,000"), not a heading centred over the cells of a group."""
    extents: list[dict[int, tuple[float, float]]] = []
    for band in (upper, lower):
        by_column: dict[int, tuple[float, float]] = {}
        for i in band.words:
            w = words[i]
            c = locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)
            lo, hi = by_column.get(c, (w.bbox[0], w.bbox[2]))
            by_column[c] = (min(lo, w.bbox[0]), max(hi, w.bbox[2]))
        extents.append(by_column)
    above, below = extents
    shared = set(above) & set(below)
    if len(shared) < 2 or shared not in (set(above), set(below)):
        return False
    for c in shared:
        (a0, a1), (b0, b1) = above[c], below[c]
        if min(a1, b1) - max(a0, b0) < _STACKED_OVERLAP * min(a1 - a0, b1 - b0):
            return False
    return True


def _phrase_columns(band: Band, words: list[Word], col_edges: list[float], unit: float) -> list[set[int]]:
    """The columns each phrase of a band lies in."""
    ordered = sorted(band.words, key=lambda i: words[i].bbox[0])
    result: list[set[int]] = []
    previous = None
    for i in ordered:
        w = words[i]
        columns = {locate(col_edges, (w.bbox[0] + w.bbox[2]) / 2)}
        joined = (
            previous is not None
            and same_line(previous, w)
            and w.bbox[0] - previous.bbox[2] <= CROSSING_GAP * unit
        )
        if joined:
            result[-1] |= columns
        else:
            result.append(columns)
        previous = w
    return result


def _heads(above: list[set[int]], below: list[set[int]]) -> bool:
    """Whether a phrase of `above` runs over two or more columns that hold separate phrases
    of `below`."""
    for spanned in above:
        if len(spanned) < 2:
            continue
        under = [p for p in below if p <= spanned]
        if len(under) >= 2:
            return True
    return False
