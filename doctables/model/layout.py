"""What conversion stores for each page beside its image: size, words and ruling lines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from doctables.geometry import Box


@dataclass(frozen=True)
class Word:
    """One word of the page's text, its box in points on the displayed (rotated) page."""

    text: str
    bbox: Box
    line: int = 0  # PyMuPDF's (block, line) flattened: words of one text line share it
    confidence: float = 1.0
    # Clockwise quarter turn (0/90/180/270) of the displayed page that makes this word read
    # left to right: 270 for text running down the page, 90 for text running up.
    turn: int = 0


# What a small dollar sign set apart from its figure is misread as by OCR (a speck-wide "S").
DOLLAR_LOOK_ALIKES = frozenset("5sS§")


@dataclass(frozen=True)
class Rule:
    """A horizontal or vertical ruling line segment drawn on the page, in points."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.y1 - self.y0)


@dataclass
class PageLayout:
    """The page as the table stage sees it: no PDF needed past conversion."""

    page: int  # 1-based
    width: float  # points, displayed (rotated) page
    height: float
    rotation: int
    dpi: int
    image_width: int  # pixels of the stored rendering
    image_height: int
    words: list[Word] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    # Boxes of drawn shapes that are not horizontal or vertical lines (curves, slanted lines):
    # the marks of charts, diagrams and arrows, which tables seldom have.
    graphics: list[Box] = field(default_factory=list)

    def text_turn(self) -> int:
        """The clockwise quarter turn that makes most of the page's text (by characters) read
        left to right; 0 for a page without words."""
        weight: dict[int, int] = {}
        for word in self.words:
            weight[word.turn] = weight.get(word.turn, 0) + len(word.text)
        return max(weight, key=lambda turn: (weight[turn], turn == 0)) if weight else 0

    @property
    def pixels_per_point(self) -> float:
        return self.image_width / self.width if self.width else self.dpi / 72.0

    def to_json(self) -> str:
        """Compact JSON: words and rules as arrays, not objects, to keep the object small."""
        document = {
            "page": self.page,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "dpi": self.dpi,
            "image_width": self.image_width,
            "image_height": self.image_height,
            "words": [[w.text, *map(_r, w.bbox), w.line, _r(w.confidence), w.turn] for w in self.words],
            "rules": [[_r(r.x0), _r(r.y0), _r(r.x1), _r(r.y1)] for r in self.rules],
            "graphics": [[_r(v) for v in box] for box in self.graphics],
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> "PageLayout":
        data = json.loads(text)
        words = [
            Word(w[0], (w[1], w[2], w[3], w[4]), int(w[5]), float(w[6]), int(w[7]) if len(w) > 7 else 0)
            for w in data["words"]
        ]
        rules = [Rule(*r) for r in data["rules"]]
        graphics = [tuple(float(v) for v in box) for box in data.get("graphics", [])]
        fields_ = {k: v for k, v in data.items() if k not in ("words", "rules", "graphics")}
        return cls(**fields_, words=words, rules=rules, graphics=graphics)  # type: ignore[arg-type]

    def as_dict(self) -> dict:
        return asdict(self)


def unspaced_script(ch: str) -> bool:
    """Characters of scripts written without spaces between words (CJK, kana, Hangul, Thai)."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
        or 0x3000 <= code <= 0x30FF or 0x1100 <= code <= 0x11FF or 0x0E00 <= code <= 0x0E7F
        or 0xFF00 <= code <= 0xFFEF
    )


def _hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF


def joined_text(texts: list[str]) -> str:
    """Texts in reading order as one text: a space between them, except between two
    characters of a script written without spaces (Chinese, Japanese, Thai: a line wrapped
    or a run read in pieces goes on without one; Korean puts spaces between words)."""
    result = ""
    for text in texts:
        if not text:
            continue
        if result:
            a, b = result[-1], text[0]
            glued = unspaced_script(a) and unspaced_script(b) and not (_hangul(a) or _hangul(b))
            result += text if glued else " " + text
        else:
            result = text
    return result


def _r(value: float) -> float:
    return round(float(value), 2)
