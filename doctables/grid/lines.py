"""Text lines: the page's words in a table grouped into bands (horizontal strips of
overlapping words, top to bottom), and what a line says by its shape: its phrases, whether it
is running text, where a table's figures start. Lengths in points; `unit` is the text height
(`median_height`), and thresholds that are lengths are multiples of it unless they say
points."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field

from doctables.geometry import Box
from doctables.grid.intervals import union_length
from doctables.grid.text import is_number
from doctables.model.layout import Word

# The text height when no word has one (points).
_DEFAULT_HEIGHT = 10.0
# A word's vertical extent is shrunk by this share of its height before lines are merged
# into bands, so that touching lines (tight leading) and accents stay apart.
BAND_SHRINK = 0.2
# Words taller than this many units (vertical header text) do not form bands.
_TALL_WORD = 2.5
# Word boxes taller than this many units do not show where their glyph's ink is (a symbol
# font's bullet).
TALL_GLYPH = 1.6
# Horizontal gap (units) below which two words of a line are one phrase.
PHRASE_GAP = 0.5
# Words at most this far apart (units) are one phrase even across a column boundary.
CROSSING_GAP = 0.4
# A chain of fewer overlapping words than this is one line, never two a label bridges.
_BRIDGE_LEAST = 5
# Two lines are lines of a table (not one) when stacked in at least this many places.
_STACKED_PLACES = 2
# Two words are on one line when they overlap by this share of the lower one's height.
_SAME_LINE = 0.5
# A line of running text runs over more than this share of the table's width ...
_PROSE_WIDTH = 0.5
# ... and its words fill more of their extent than this share.
_PROSE_FILL = 0.8
# A table's figures start at its first line with this many numbers ...
_DATA_NUMBERS = 2
# ... when that line's centre lies within this share of the table's height from its top;
_DATA_REACH = 0.5
# the body then starts this far (points) above the line's top.
_DATA_MARGIN = 0.5


@dataclass
class Band:
    """A horizontal strip of text: words whose (shrunk) vertical extents overlap."""

    y0: float
    y1: float
    words: list[int] = field(default_factory=list)  # indices into the table's words


def median_height(words: list[Word]) -> float:
    """The text height (points): the median height of the words with one."""
    heights = [w.bbox[3] - w.bbox[1] for w in words if w.bbox[3] > w.bbox[1]]
    return statistics.median(heights) if heights else _DEFAULT_HEIGHT


def word_height(word: Word) -> float:
    return word.bbox[3] - word.bbox[1]


def text_bands(words: list[Word], unit: float) -> list[Band]:
    """Group words into bands, top to bottom. Very tall words join the band of their centre."""
    regular: list[tuple[float, float, int]] = []
    tall: list[int] = []
    for i, w in enumerate(words):
        height = w.bbox[3] - w.bbox[1]
        if height > _TALL_WORD * unit:
            tall.append(i)
            continue
        shrink = BAND_SHRINK * height
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
        extent = [words[i] for i in band.words if word_height(words[i]) <= TALL_GLYPH * unit]
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
    if len(spans) >= _BRIDGE_LEAST and max(s[0] for s in spans) >= min(s[1] for s in spans):
        bridges = {
            s[2] for s in spans
            if _between([a for a in spans if a is not s and _touch(s, a)])
            and not any(a is not s and x_overlap(words[s[2]], words[a[2]]) for a in spans)
        }
        lines = _sweep([s for s in spans if s[2] not in bridges]) if bridges else []
        indices = [[s[2] for s in line] for line in lines]
        if len(lines) >= 2 and all(
            columns_stacked(a, b, words) >= _STACKED_PLACES for a, b in itertools.pairwise(indices)
        ):
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
                not any(x_overlap(w, o) for w in mine for o in around)
                and min(w.bbox[1] for w in mine) < max(words[i].bbox[3] for i in upper.words)
                and max(w.bbox[3] for w in mine) > min(words[i].bbox[1] for i in lower.words)
                and columns_stacked(upper.words, lower.words, words) >= _STACKED_PLACES
            ):
                upper.words.extend(band.words)
                continue
        result.append(band)
    return result


def x_overlap(a: Word, b: Word) -> bool:
    """Whether two words overlap across."""
    return min(a.bbox[2], b.bbox[2]) > max(a.bbox[0], b.bbox[0])


def columns_stacked(upper: list[int], lower: list[int], words: list[Word]) -> int:
    """In how many separate places (x ranges apart) a word of the lower line stands under one
    of the upper line."""
    places: list[tuple[float, float]] = []
    for a in upper:
        for b in lower:
            wa, wb = words[a], words[b]
            if x_overlap(wa, wb):
                x0, x1 = min(wa.bbox[0], wb.bbox[0]), max(wa.bbox[2], wb.bbox[2])
                if not any(x0 < p1 and p0 < x1 for p0, p1 in places):
                    places.append((x0, x1))
    return len(places)


def first_data_line(bands: list[Band], words: list[Word], box: Box) -> float:
    """Where the body of a table of numbers starts: the top of the first line with two or
    more numbers, when it lies in the table's upper half; else the table's top."""
    y0, y1 = box[1], box[3]
    for band in bands:
        if (band.y0 + band.y1) / 2 > y0 + _DATA_REACH * (y1 - y0):
            break
        if sum(is_number(words[i].text) for i in band.words) >= _DATA_NUMBERS:
            return band.y0 - _DATA_MARGIN
    return y0


def phrase_count(band: Band, words: list[Word], unit: float) -> int:
    """Runs of words in a band, split where the space between two words is wider than a
    word space."""
    ordered = sorted(band.words, key=lambda i: words[i].bbox[0])
    count = 1
    for a, b in itertools.pairwise(ordered):
        if words[b].bbox[0] - words[a].bbox[2] > PHRASE_GAP * unit:
            count += 1
    return count


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


def same_line(a: Word, b: Word) -> bool:
    """Whether two words stand on one line: they overlap by half the lower one's height."""
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    return overlap > _SAME_LINE * min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])


def is_prose(band: Band, words: list[Word], width: float) -> bool:
    """A line of running text (title, note, spanning section heading): its words fill their
    extent almost without gaps and the extent is over half the table's width."""
    boxes = [words[i].bbox for i in band.words]
    lo, hi = min(b[0] for b in boxes), max(b[2] for b in boxes)
    if hi - lo < _PROSE_WIDTH * width:
        return False
    return union_length([(b[0], b[2]) for b in boxes]) > _PROSE_FILL * (hi - lo)
