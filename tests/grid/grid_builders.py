"""Small synthetic inputs for the grid geometry tests: words set as a known grid, rules of a
known lattice. Lengths in points; the text is 10 pt high and 5 pt a character."""

from __future__ import annotations

from doctables.model.layout import Rule, Word

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
