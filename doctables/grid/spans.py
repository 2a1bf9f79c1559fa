"""Merged cells of a refined table grid: from missing rules in ruled tables, from the
model's spanning cells where the text agrees, and from the text itself (a phrase running
across columns, a heading over a ruled group of columns); and the checks that tell a table
from a boxed caption or a list."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from dataclasses import replace

from doctables.grid.gaps import Axis, rule_slack
from doctables.grid.intervals import SEGMENT_BREAK, join_intervals
from doctables.grid.lines import CROSSING_GAP, PHRASE_GAP, same_line
from doctables.grid.rows import WRAP_GAP
from doctables.grid.text import BULLETS, is_number
from doctables.model.layout import Word, unspaced_script


def covered(edges: list[float], lo: float, hi: float) -> range:
    """Indices of the intervals of `edges` whose centre lies within [lo, hi]."""
    first = last = None
    for i in range(len(edges) - 1):
        centre = (edges[i] + edges[i + 1]) / 2
        if lo <= centre <= hi:
            if first is None:
                first = i
            last = i
    if first is None:
        return range(0)
    return range(first, last + 1)


def ruled_apart(
    rows: range,
    cols: range,
    row_edges: list[float],
    col_edges: list[float],
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
    unit: float,
) -> bool:
    """Whether a rule runs through the inside of the block of slots (over half its extent):
    then the block is not one cell."""
    slack = rule_slack(unit)
    x0, x1 = col_edges[cols.start], col_edges[cols.stop]
    y0, y1 = row_edges[rows.start], row_edges[rows.stop]
    for r in rows[1:]:
        y = row_edges[r]
        runs = join_intervals([(max(x0, a), min(x1, b)) for p, a, b in horizontal if abs(p - y) <= slack and min(x1, b) > max(x0, a)])
        if sum(b - a for a, b in runs) > 0.5 * (x1 - x0):
            return True
    for c in cols[1:]:
        x = col_edges[c]
        runs = join_intervals([(max(y0, a), min(y1, b)) for p, a, b in vertical if abs(p - x) <= slack and min(y1, b) > max(y0, a)])
        if sum(b - a for a, b in runs) > 0.5 * (y1 - y0):
            return True
    return False


class RuleIndex:
    """Rules (position, start, end) sorted by position, to find those near a line fast."""

    def __init__(self, rules: list[tuple[float, float, float]]) -> None:
        self.rules = sorted(rules)
        self.positions = [r[0] for r in self.rules]

    def near(self, position: float, slack: float) -> list[tuple[float, float, float]]:
        lo = bisect_left(self.positions, position - slack)
        hi = bisect_right(self.positions, position + slack)
        return self.rules[lo:hi]


def split_glued(
    words: list[Word], col_edges: list[float], vertical: list[tuple[float, float, float]], unit: float
) -> list[Word]:
    """Words of unspaced scripts (CJK runs) running across a column rule, glued over a cell
    border, cut at the rule, their characters shared in proportion to the width on each
    side."""
    index = RuleIndex(vertical)
    slack = rule_slack(unit)
    result: list[Word] = []
    for w in words:
        x0, y0, x1, y1 = w.bbox
        cuts = [
            x for x in col_edges[1:-1]
            if x0 + 1.0 < x < x1 - 1.0
            and any(a <= y0 + 1.0 and b >= y1 - 1.0 for _, a, b in index.near(x, slack))
        ]
        text = w.text
        if not cuts or len(text) < 2 or not any(unspaced_script(ch) for ch in text):
            result.append(w)
            continue
        start, left = 0, x0
        for x in [*cuts, x1]:
            stop = len(text) if x == x1 else min(len(text) - 1, max(start + 1, round(len(text) * (x - x0) / (x1 - x0))))
            if stop > start:
                result.append(replace(w, text=text[start:stop], bbox=(left, y0, x, y1)))
            start, left = stop, x
    return result


# A boundary is drawn across a slot where rules cover this share of its width: a merged
# cell has no rule inside it at all, while a dashed or dotted rule on a scan is found in
# pieces (under half of a label column's width).
_DRAWN_SHARE = 0.25


def _ruled_boundary(position: float, lo: float, hi: float, rules: RuleIndex, slack: float) -> bool:
    """Whether rules at `position` cover a good part of the stretch [lo, hi]."""
    runs = join_intervals(
        [(max(lo, a), min(hi, b)) for _, a, b in rules.near(position, slack) if min(hi, b) > max(lo, a)],
        join=SEGMENT_BREAK,
    )
    return sum(b - a for a, b in runs) >= _DRAWN_SHARE * (hi - lo)


def rule_spans(
    rows: Axis,
    cols: Axis,
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
    unit: float,
    header_rows: int = 0,
) -> list[tuple[range, range]]:
    """Merged cells from the rules. Without `header_rows`: in a ruled table, neighbouring
    slots with no rule between them (only along an axis whose boundaries come from rules).
    With it: in the heading's rows, a slot above a boundary that rules mark under other
    columns but not under it (a stub heading beside grouped column headings). Only blocks
    that are rectangles."""
    n_rows, n_cols = len(rows.edges) - 1, len(cols.edges) - 1
    if n_rows * n_cols <= 1 or not (rows.ruled or cols.ruled or header_rows):
        return []
    heading = header_rows > 0
    slack = rule_slack(unit)
    horizontal_index, vertical_index = RuleIndex(horizontal), RuleIndex(vertical)
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(n_rows - 1):
        if (heading and r + 1 >= header_rows) or (not heading and not rows.ruled):
            continue
        marked = [
            _ruled_boundary(rows.edges[r + 1], cols.edges[c], cols.edges[c + 1], horizontal_index, slack)
            for c in range(n_cols)
        ]
        if heading and not any(marked):
            continue
        for c in range(n_cols):
            if not marked[c]:
                union(r * n_cols + c, (r + 1) * n_cols + c)
    if cols.ruled and not heading:
        for c in range(n_cols - 1):
            if cols.edges[c + 1] in cols.hard:
                continue
            for r in range(n_rows):
                if not _ruled_boundary(cols.edges[c + 1], rows.edges[r], rows.edges[r + 1], vertical_index, slack):
                    union(r * n_cols + c, r * n_cols + c + 1)
    blocks: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        blocks.setdefault(find(i), []).append(i)
    spans = []
    for members in blocks.values():
        if len(members) < 2:
            continue
        rs = [i // n_cols for i in members]
        cs = [i % n_cols for i in members]
        block_rows, block_cols = range(min(rs), max(rs) + 1), range(min(cs), max(cs) + 1)
        if len(block_rows) * len(block_cols) == len(members):
            spans.append((block_rows, block_cols))
    return spans


def text_spans(
    rows: Axis,
    cols: Axis,
    slot_words: dict[tuple[int, int], list[int]],
    words: list[Word],
    horizontal: list[tuple[float, float, float]],
    unit: float,
) -> list[tuple[range, range]]:
    """Cells spanning columns, read from the text: a phrase (words a word space apart, not
    all numbers) running across a column boundary, or the only text of a row above a rule
    that runs under several columns but not the whole table (a heading over a group)."""
    n_rows, n_cols = len(rows.edges) - 1, len(cols.edges) - 1
    if n_cols < 2:
        return []
    spans: list[tuple[range, range]] = []
    slack = rule_slack(unit)
    width = cols.edges[-1] - cols.edges[0]
    for r in range(n_rows):
        in_row = [(c, i) for c in range(n_cols) for i in slot_words.get((r, c), [])]
        if not in_row:
            continue
        sorted({c for c, _ in in_row})
        # Phrases running across column boundaries.
        column_of = {i: c for c, i in in_row}
        ordered = sorted(column_of, key=lambda i: (words[i].bbox[1] // unit, words[i].bbox[0]))
        phrases: list[list[int]] = []
        for i in ordered:
            if (
                phrases
                and same_line(words[phrases[-1][-1]], words[i])
                and 0 <= words[i].bbox[0] - words[phrases[-1][-1]].bbox[2] <= CROSSING_GAP * unit
            ):
                phrases[-1].append(i)
            else:
                phrases.append([i])
        for phrase in phrases:
            spanned = sorted({column_of[i] for i in phrase})
            if len(spanned) < 2 or sum(is_number(words[i].text) for i in phrase) * 2 > len(phrase):
                continue
            block = range(spanned[0], spanned[-1] + 1)
            others = [i for c in block for i in slot_words.get((r, c), []) if i not in phrase]
            if not others:
                spans.append((range(r, r + 1), block))
        # A heading over a group of columns, with a rule under the group: the text of the
        # row over the rule is one phrase.
        y = rows.edges[r + 1]
        runs = join_intervals(
            [(a, b) for p, a, b in horizontal if abs(p - y) <= slack], join=SEGMENT_BREAK
        )
        for a, b in runs:
            if b - a >= 0.9 * width:
                continue
            under = [
                c for c in range(n_cols)
                if min(b, cols.edges[c + 1]) - max(a, cols.edges[c]) >= 0.5 * (cols.edges[c + 1] - cols.edges[c])
            ]
            if len(under) < 2:
                continue
            above = [i for c, i in in_row if c in under]
            outside = [i for c, i in in_row if c not in under and a - 1.0 < words[i].bbox[0] < b + 1.0]
            if (
                above and not outside and _one_phrase(above, words, unit)
                and _over_group(above, words, under, cols.edges)
            ):
                spans.append((range(r, r + 1), range(under[0], under[-1] + 1)))
    return spans


def _over_group(indices: list[int], words: list[Word], under: list[int], col_edges: list[float]) -> bool:
    """Whether a phrase stands over a group of columns rather than in one of them: it runs
    into two or more, stands in the first (set flush left over the group), or its middle
    lies nearer the group's middle than its own column's (a record's last cell over a rule
    under a group of columns is no heading of them)."""
    x0, x1 = min(words[i].bbox[0] for i in indices), max(words[i].bbox[2] for i in indices)
    middle = (x0 + x1) / 2
    touched = [c for c in under if x0 < col_edges[c + 1] and x1 > col_edges[c]]
    if len(touched) >= 2 or touched == [under[0]]:
        return True
    own = touched[0] if touched else under[0]
    group_middle = (col_edges[under[0]] + col_edges[under[-1] + 1]) / 2
    return abs(middle - group_middle) < abs(middle - (col_edges[own] + col_edges[own + 1]) / 2)


def _one_phrase(indices: list[int], words: list[Word], unit: float) -> bool:
    ordered = sorted(indices, key=lambda i: words[i].bbox[0])
    return all(
        same_line(words[a], words[b]) and words[b].bbox[0] - words[a].bbox[2] <= CROSSING_GAP * unit
        for a, b in itertools.pairwise(ordered)
    )


def span_agrees(
    rows: range,
    cols: range,
    slot_words: dict[tuple[int, int], list[int]],
    words: list[Word],
    unit: float,
    lines_apart: bool = False,
) -> bool:
    """Whether the text under a spanning cell reads as one cell: text in a single slot, or
    one phrase running across columns, or one wrapped text running down rows (`lines_apart`:
    or its lines set further apart than a wrapped text's, in a cell that other evidence
    spans)."""
    filled = [(r, c) for r in rows for c in cols if slot_words.get((r, c))]
    if len(filled) <= 1:
        return True
    # Across columns: within each text line, the words of neighbouring slots must be
    # separated by no more than a word space.
    for r in rows:
        in_row = [i for c in cols for i in slot_words.get((r, c), [])]
        columns_used = {c for c in cols if slot_words.get((r, c))}
        if len(columns_used) <= 1:
            continue
        ordered = sorted(in_row, key=lambda i: words[i].bbox[0])
        for k, a in enumerate(ordered):
            # the next word to its right on its own line (a word between them on another
            # line, a label centred between two lines, does not join them)
            b = next((b for b in ordered[k + 1 :] if same_line(words[a], words[b])), None)
            if b is not None and words[b].bbox[0] - words[a].bbox[2] > PHRASE_GAP * unit:
                return False
    if lines_apart:
        return True
    # Down rows: the lines of each column must follow each other closely.
    for c in cols:
        used = [r for r in rows if slot_words.get((r, c))]
        for ra, rb in itertools.pairwise(used):
            if rb != ra + 1:
                return False
            bottom = max(words[i].bbox[3] for i in slot_words[(ra, c)])
            top = min(words[i].bbox[1] for i in slot_words[(rb, c)])
            if top - bottom > WRAP_GAP * unit:
                return False
    return True


_NIL_MARKS = frozenset("-‐‑‒–—―−")


def stacked_figures(
    rows: range, cols: range, slot_words: dict[tuple[int, int], list[int]], words: list[Word]
) -> bool:
    """Whether a block holds text in two or more of its rows and each of those rows' text
    is a lone figure or nil dash: figures do not wrap, so these are cells of their own
    (the structure model spans a column's repeated "1"s or dashes)."""
    lines = []
    for r in rows:
        indices = [i for c in cols for i in slot_words.get((r, c), [])]
        if indices:
            lines.append(" ".join(words[i].text for i in sorted(indices, key=lambda i: words[i].bbox[0])).strip())
    return len(lines) >= 2 and all(is_number(t) or (t and set(t) <= _NIL_MARKS) for t in lines)


def drawn_across(
    rows: range, row_edges: list[float], horizontal: list[tuple[float, float, float]], unit: float
) -> bool:
    """Whether a rule somewhere in the table draws a boundary inside the block of `rows`:
    the table parts those rows, though not under this block (a rule lost on a scan)."""
    slack = rule_slack(unit)
    return any(abs(p - row_edges[r]) <= slack for r in rows[1:] for p, _, _ in horizontal)


def has_grid_of_text(
    placed: list[tuple[object, range, range]], slot_words: dict[tuple[int, int], list[int]]
) -> bool:
    """Whether two or more rows hold text in two or more cells: a boxed caption or a list
    is not a table."""
    filled: dict[int, int] = {}
    for _, rows, cols in placed:
        if any(slot_words.get((r, c)) for r in rows for c in cols):
            filled[rows.start] = filled.get(rows.start, 0) + 1
    return sum(n >= 2 for n in filled.values()) >= 2


_LIST_MARKS = BULLETS | frozenset("–—-*·")


def is_bullet_list(
    slot_words: dict[tuple[int, int], list[int]], words: list[Word], n_rows: int, n_cols: int
) -> bool:
    """A two-column 'table' whose first column holds nothing but bullets (or nothing: the
    bullets are drawn): a list."""
    if n_cols != 2:
        return False
    firsts = [slot_words.get((r, 0), []) for r in range(n_rows)]
    marks = [f for f in firsts if f]
    return all(
        len(f) == 1 and words[f[0]].text.strip() and set(words[f[0]].text.strip()) <= _LIST_MARKS
        for f in marks
    )


