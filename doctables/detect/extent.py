"""A table's extent within its detected region: the caption above it and the notes below
it that the region took in are left out."""

from __future__ import annotations

import itertools
import re

from doctables.grid.intervals import SEGMENT_BREAK, join_intervals
from doctables.grid.lines import Band
from doctables.grid.text import is_number
from doctables.model.layout import Word

# A line of running text has at least this many words.
_SENTENCE_WORDS = 4
# A paragraph's line above a table runs across more than this share of it (as a note below).
_PROSE_WIDTH = 0.5
_CAPTION = re.compile(
    r"^(?:(?:table|figure|exhibit|chart)\b|(?:tab|fig)\.|\[?(?:표|그림|表|图|図)\s*[\d０-９一二三四五六七八九十])",
    re.IGNORECASE,
)
_NOTE = re.compile(r"^(notes?|sources?|note\(s\)|nb|n\.b\.|※|注|出典|出所|資料|자료|주)\b[:.]?", re.IGNORECASE)
_MARKER = re.compile(r"^[*†‡§¶#※+]+$|^\(?[a-z0-9]\)?$|^\[[0-9a-z]+\]$", re.IGNORECASE)


def is_caption(text: str) -> bool:
    """Text starting the way a table's caption does ('Table 3', 'Figure 2', ...)."""
    return bool(_CAPTION.match(text))


def _ordered(band: Band, words: list[Word]) -> list[int]:
    return sorted(band.words, key=lambda i: words[i].bbox[0])


def _starts_with_marker(band: Band, words: list[Word]) -> bool:
    """A footnote marker first: a symbol, or a short superscript label."""
    first, *rest = _ordered(band, words)
    text = words[first].text.strip()
    if not rest:
        return False
    if re.match(r"^[*†‡§¶#※]+", text):
        return True
    if _MARKER.match(text):
        heights = sorted(words[i].bbox[3] - words[i].bbox[1] for i in rest)
        own = words[first].bbox[3] - words[first].bbox[1]
        return own < 0.85 * heights[len(heights) // 2]
    return False


def _single_run(
    band: Band, words: list[Word], unit: float, skip_marker: bool, skip: int = 0
) -> bool:
    """The band's words read as one run of text, with no column gap inside (after the first
    `skip` words: a caption's label may stand apart from its text)."""
    ordered = _ordered(band, words)[skip:]
    if skip_marker and _starts_with_marker(band, words):
        ordered = ordered[1:]
    return all(
        words[b].bbox[0] - words[a].bbox[2] <= unit for a, b in itertools.pairwise(ordered)
    )


def _note_start(
    bands: list[Band], j: int, words: list[Word], unit: float, left: float, width: float,
    horizontal: list[tuple[float, float, float]],
) -> bool:
    """Whether band `j` starts the notes: a footnote marker or 'Note'/'Source' first, or a
    line of running text across most of the table that is no row ruled like the rows above
    it."""
    band = bands[j]
    ordered = _ordered(band, words)
    first = words[ordered[0]]
    if first.bbox[0] > left + 1.5 * unit:
        return False
    text = " ".join(words[i].text for i in ordered[:2])
    if _starts_with_marker(band, words) or _NOTE.match(text):
        return _single_run(band, words, unit, skip_marker=True)
    extent = max(words[i].bbox[2] for i in ordered) - first.bbox[0]
    return (
        extent > 0.5 * width
        and _is_running_text([words[i].text for i in ordered])
        and _single_run(band, words, unit, skip_marker=False)
        and not _ruled_like_rows_above(bands, j, unit, horizontal, left, left + width)
    )


def _ruled_like_rows_above(
    bands: list[Band], j: int, unit: float, horizontal: list[tuple[float, float, float]], x0: float, x1: float
) -> bool:
    """Whether band `j` is a row of a table that rules every row: full rules above and under
    it, and between the two rows above it. A note under a table has its bottom rule above
    it, and none under it unless the table's frame encloses it (and then rows are ruled
    alike only where every row is)."""
    if j < 2:
        return False
    end = Band(bands[j].y1 + unit, bands[j].y1 + 2 * unit) if j + 1 == len(bands) else bands[j + 1]
    return all(
        _full_rule_between(above, below, horizontal, x0, x1) is not None
        for above, below in ((bands[j - 2], bands[j - 1]), (bands[j - 1], bands[j]), (bands[j], end))
    )


def _is_running_text(texts: list[str]) -> bool:
    """Words of a sentence: several, mostly not numbers."""
    return len(texts) >= _SENTENCE_WORDS and sum(not is_number(t) for t in texts) >= 0.7 * len(texts)


def _full_rule_between(
    above: Band, below: Band, horizontal: list[tuple[float, float, float]], x0: float, x1: float
) -> float | None:
    """A rule running across all of [x0, x1] between two bands."""
    lines: dict[float, list[tuple[float, float]]] = {}
    for y, a, b in horizontal:
        if above.y1 - 1.0 <= y <= below.y0 + 1.0:
            lines.setdefault(round(y, 1), []).append((a, b))
    for y, spans in sorted(lines.items()):
        if any(a <= x0 + 2.0 and b >= x1 - 2.0 for a, b in join_intervals(spans, join=SEGMENT_BREAK)):
            return y
    return None


def trim_extent(
    words: list[Word],
    bands: list[Band],
    unit: float,
    horizontal: list[tuple[float, float, float]] = (),
) -> tuple[float | None, float | None]:
    """Where the table proper starts and ends, leaving out a caption above it and notes
    below it that the detected region took in: (top, bottom), None where nothing is left out.

    Notes: a block of lines at the bottom, each one run of text, the first of which starts
    at the table's left edge with a footnote marker, 'Note'/'Source', or runs across more
    than half the table; or a few such lines under the table's bottom rule (one running
    across all of the text). Caption: lines at the top starting 'Table'/'Figure' (and the
    like), with the lines set close under them."""
    if len(bands) < 3:
        return None, None
    left = min(w.bbox[0] for w in words)
    width = max(w.bbox[2] for w in words) - left
    bottom = None
    k = len(bands)
    while k > 1 and _single_run(bands[k - 1], words, unit, skip_marker=True):
        k -= 1
    for j in range(max(k, (len(bands) + 1) // 2), len(bands)):
        if _note_start(bands, j, words, unit, left, width, horizontal):
            bottom = (bands[j - 1].y1 + bands[j].y0) / 2
            break
    if bottom is None and 2 <= k < len(bands) <= k + 3:
        # The table's bottom rule, with no rule under the lines below it (which would make
        # them a ruled row).
        border = _full_rule_between(bands[k - 1], bands[k], horizontal, left, left + width)
        end = Band(bands[-1].y1 + 2 * unit, bands[-1].y1 + 3 * unit)
        if border is not None and _full_rule_between(bands[-1], end, horizontal, left, left + width) is None:
            bottom = border
    top = None
    first_text = " ".join(words[i].text for i in _ordered(bands[0], words)[:2])
    if _CAPTION.match(first_text) and _single_run(bands[0], words, unit, False, skip=2):
        j = 1
        while (
            j < len(bands) - 2
            and bands[j].y0 - bands[j - 1].y1 < 0.3 * unit
            and _single_run(bands[j], words, unit, skip_marker=False)
            and words[_ordered(bands[j], words)[0]].bbox[0] <= left + 1.5 * unit
        ):
            j += 1
        top = (bands[j - 1].y1 + bands[j].y0) / 2
    elif _prose_above(bands, words, unit, left, width):
        # The end of a paragraph above the table (a screenshot cut with the line over it).
        j = 1
        while j < len(bands) - 2 and _prose_above(bands[j:], words, unit, left, width):
            j += 1
        top = (bands[j - 1].y1 + bands[j].y0) / 2
    return top, bottom


def _prose_above(bands: list[Band], words: list[Word], unit: float, left: float, width: float) -> bool:
    """Whether the first of the bands is a line of running text ending a sentence: one run
    of several words, mostly not figures, from the table's left edge across most of it,
    its last word closing with a full stop (a title or a heading over columns does not)."""
    ordered = _ordered(bands[0], words)
    first, last = words[ordered[0]], words[ordered[-1]]
    return (
        first.bbox[0] <= left + 1.5 * unit
        and last.bbox[2] - first.bbox[0] > _PROSE_WIDTH * width
        and last.text.rstrip().endswith(".")
        and _is_running_text([words[i].text for i in ordered])
        and _single_run(bands[0], words, unit, skip_marker=False)
    )
