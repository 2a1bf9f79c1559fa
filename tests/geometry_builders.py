"""Small synthetic inputs for the geometry tests (tests/grid, tests/detect): words set as lines
and grids, rules of a known lattice, a page around them. Lengths in points; the text is 10 pt
high and 5 pt a character."""

from __future__ import annotations

from doctables.model.layout import PageLayout, Rule, Word

CHAR = 5.0  # width of one character, points
SIZE = 10.0  # height of a line of text, points
SPACE = 3.0  # a word space, points


def word(text: str, x0: float, y0: float, size: float = SIZE) -> Word:
    return Word(text, (x0, y0, x0 + CHAR * len(text), y0 + size))


def line(y0: float, *cells: tuple[str, float], size: float = SIZE) -> list[Word]:
    """Words of one text line: each (text, x0) is split on spaces into words a space apart."""
    words = []
    for text, x0 in cells:
        x = x0
        for part in text.split():
            words.append(word(part, x, y0, size))
            x += CHAR * len(part) + SPACE
    return words


def grid_words(texts: list[list[str]], xs: list[float], ys: list[float]) -> list[Word]:
    """One word a cell: row r's texts start at the x of their column and the y of their row."""
    words = []
    for y, row in zip(ys, texts):
        words += line(y, *((text, x) for text, x in zip(row, xs) if text))
    return words


def lattice_rules(xs: list[float], ys: list[float]) -> list[Rule]:
    """Full rules: one down each x from the first y to the last, one across each y."""
    return [Rule(x, ys[0], x, ys[-1]) for x in xs] + [Rule(xs[0], y, xs[-1], y) for y in ys]


def as_lines(rules: list[Rule]) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Rules as the grid code takes them: (y, x0, x1) across and (x, y0, y1) down."""
    horizontal = [(r.y0, r.x0, r.x1) for r in rules if r.horizontal]
    vertical = [(r.x0, r.y0, r.y1) for r in rules if not r.horizontal]
    return horizontal, vertical


def figures_table(top: float = 100.0, rows: int = 6, pitch: float = 14.0) -> list[Word]:
    """A table of figures: a heading line (Name 2010 2011 2012) and `rows - 1` records, the
    columns starting at x = 100, 200, 260 and 320."""
    words = line(top, ("Name", 100), ("2010", 200), ("2011", 260), ("2012", 320))
    for r in range(1, rows):
        y = top + pitch * r
        words += line(y, (f"item{r}", 100), (f"{r}.1", 200), (f"{r}.2", 260), (f"{r}.3", 320))
    return words


_SENTENCE = "the quick brown fox jumps over a lazy dog while its friends look on from the old fence".split()


def paragraph(top: float, lines: int, x: float = 100.0, pitch: float = 12.0) -> list[Word]:
    """Lines of running text, each starting a few words further into one sentence, so that
    the word spaces of the lines do not line up."""
    words = []
    for k in range(lines):
        text = " ".join((_SENTENCE[k % 7:] + _SENTENCE)[:10])
        words += line(top + pitch * k, (text, x))
    return words


def page(words: list[Word], rules: list[Rule] = (), graphics: list = ()) -> PageLayout:
    """A 600 x 800 pt page at 72 dpi (one pixel a point)."""
    return PageLayout(
        page=1, width=600, height=800, rotation=0, dpi=72, image_width=600, image_height=800,
        words=list(words), rules=list(rules), graphics=list(graphics),
    )
