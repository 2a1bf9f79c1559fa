"""Quotation marks and apostrophes of text read with OCR, set as typeset text sets them.

The recogniser reads a typeset apostrophe or quotation mark (’ ‘ ” “) as the typewriter's
' or " nearly always, though its alphabet holds both (the curly one is its second choice).
Printed and typeset documents, the pages and screenshots tables are read from, use the
typographic marks; so a straight mark is written as the one its place calls for: after a
letter, figure or closing bracket it closes (’ ”: "policyholders’", "Don’t"), before one
it opens (‘ “). A mark with space or nothing on both sides, or after a figure with none
following (5' 10"), stays as it is read."""

from __future__ import annotations

from dataclasses import replace

from doctables.model.tables import Table

_CLOSE_AFTER = frozenset(").]!?%")
_OPEN_BEFORE = frozenset("([")


def typographic(text: str) -> str:
    """`text` with its straight quotation marks and apostrophes made typographic."""
    if "'" not in text and '"' not in text:
        return text
    chars = list(text)
    for k, ch in enumerate(chars):
        if ch not in "'\"":
            continue
        before = chars[k - 1] if k > 0 else " "
        after = chars[k + 1] if k + 1 < len(chars) else " "
        if before.isdigit() and not after.isalnum():
            continue  # feet and inches (5' 10"), primes rather than quotation marks
        if before.isalnum() or before in _CLOSE_AFTER or before in ".,;:":
            chars[k] = "\u2019" if ch == "'" else "\u201d"
        elif after.isalnum() and (before.isspace() or before in _OPEN_BEFORE):
            chars[k] = "\u2018" if ch == "'" else "\u201c"
    return "".join(chars)


def typographic_quotes(table: Table) -> Table:
    """A table read with OCR with the quotation marks of its cells' text made typographic."""
    if not any("'" in c.text or '"' in c.text for c in table.cells):
        return table
    cells = [
        replace(c, text=typographic(c.text), words=[replace(w, text=typographic(w.text)) for w in c.words])
        if ("'" in c.text or '"' in c.text) else c
        for c in table.cells
    ]
    return replace(table, cells=cells)
