"""A page's text as lines of words: what Textract's LINE and WORD blocks tell.

The table stage keeps every page's words (the text layer's, or those OCR read) as lines: the
words of one text line share their layout `line` number, in the order they were read. Stored
compact, as JSON arrays: a page is a list of lines, a line a list of words
`[text, x0, y0, x1, y1, confidence]` (points on the page as rendered, top-left origin;
confidence 0..1)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from doctables.geometry import Box
from doctables.model.layout import Word, joined_text

SCHEMA = "doctables.text/1"


@dataclass(frozen=True)
class TextWord:
    text: str
    bbox: Box  # points on the page as rendered
    confidence: float  # 0..1


@dataclass(frozen=True)
class TextLine:
    words: tuple[TextWord, ...]

    @property
    def text(self) -> str:
        return joined_text([w.text for w in self.words])

    @property
    def bbox(self) -> Box:
        boxes = [w.bbox for w in self.words]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def page_lines(words: Iterable[Word]) -> list[TextLine]:
    """The layout's words as lines: grouped by their `line`, lines in the order their first
    word comes, words in reading order within them (left to right for a line across)."""
    grouped: dict[int, list[Word]] = {}
    for word in words:
        if word.text.strip():
            grouped.setdefault(word.line, []).append(word)
    lines = []
    for members in grouped.values():
        if all(w.turn == 0 for w in members):
            members = sorted(members, key=lambda w: w.bbox[0])
        lines.append(TextLine(tuple(TextWord(w.text.strip(), w.bbox, w.confidence) for w in members)))
    return lines


def lines_to_data(lines: Sequence[TextLine]) -> list[list[list[Any]]]:
    return [[[w.text, *(round(float(v), 2) for v in w.bbox), round(float(w.confidence), 3)] for w in line.words]
            for line in lines]


def lines_from_data(data: Iterable[Iterable[Sequence[Any]]]) -> list[TextLine]:
    return [TextLine(tuple(TextWord(str(w[0]), (float(w[1]), float(w[2]), float(w[3]), float(w[4])), float(w[5]))
                           for w in line)) for line in data]


def text_document(pages: Mapping[int, Sequence[TextLine]]) -> str:
    """A job's text, every page's lines, as one JSON document."""
    body = {"schema": SCHEMA, "pages": {str(n): lines_to_data(lines) for n, lines in sorted(pages.items())}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def read_text_document(text: str | bytes) -> dict[int, list[TextLine]]:
    data = json.loads(text)
    return {int(n): lines_from_data(lines) for n, lines in data.get("pages", {}).items()}
