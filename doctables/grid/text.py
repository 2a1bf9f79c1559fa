"""What a word's text says, whatever its place: a figure, a bullet, a currency sign, dot
leaders or a line typed as characters. No geometry here but a typed rule's own box."""

from __future__ import annotations

import re

from doctables.model.layout import Rule, Word

# A figure: signs and brackets, digits with their separators, a short unit or footnote mark.
_NUMBER = re.compile(
    r"^[(\[]?[-+−–±<>≤≥~$€£¥%]*\d[\d.,:/%'’ \-−–]*[)\]%*†‡a-z]{0,3}$", re.IGNORECASE
)
# Currency signs set apart from their figures ("$ 1,498").
CURRENCY = frozenset("$€£¥₹₩")
# Glyphs that mark a list item.
BULLETS = frozenset("•◦▪▫■□●○◆◇►▸▶‣⁃∙➢➤❖✓✔")
_LEADER_CHARS = frozenset(".·…_-‐‑–—―=─━•")
_RULE_CHARS = frozenset("_-‐‑–—―=─━")
# Leaders are a run of at least this many characters (a "..." or "--" is text).
_FILLER_LEAST = 4
# A line typed as text is at least this many dashes or underscores ...
_TYPED_RULE_LEAST = 8
# ... and at least this many times as wide as it is high.
_TYPED_RULE_SHAPE = 2
# Dots left at the end of a label by dot leaders that were read as text: two or more dots
# with only spaces between them, or one set apart by a space ("days. . ." and "days .").
_TRAILING_LEADERS = re.compile(r"(?:\s*[.·…]){2,}\s*$|\s+[.·…]\s*$")


def is_number(text: str) -> bool:
    """A figure: digits with their separators, signs, brackets and a short suffix."""
    return bool(_NUMBER.match(text.strip()))


def is_bullet(text: str) -> bool:
    """A list bullet: one glyph that marks the item after it."""
    return len(text.strip()) == 1 and text.strip() in BULLETS


def is_filler(text: str) -> bool:
    """Dot leaders and lines typed as characters: layout, not content."""
    text = text.strip()
    return len(text) >= _FILLER_LEAST and all(ch in _LEADER_CHARS for ch in text)


def substantial(text: str) -> bool:
    """Text of substance: two letters or digits, or one alone (not a sign or a mark)."""
    return sum(ch.isalnum() for ch in text) >= 2 or (len(text.strip()) == 1 and text.strip().isalnum())


def without_trailing_leaders(text: str) -> str:
    """A cell's text less the dots of leaders read at its end; a cell of dots alone stays."""
    stripped = _TRAILING_LEADERS.sub("", text)
    return stripped if stripped.strip() else text


def text_rule(word: Word) -> Rule | None:
    """A line of dashes or underscores typed as text, as the horizontal rule it draws."""
    text = word.text.strip()
    if len(text) < _TYPED_RULE_LEAST or not all(ch in _RULE_CHARS for ch in text):
        return None
    x0, y0, x1, y1 = word.bbox
    if x1 - x0 < _TYPED_RULE_SHAPE * (y1 - y0):
        return None
    y = (y0 + y1) / 2
    return Rule(x0, y, x1, y)
