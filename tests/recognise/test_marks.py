"""Marks on a page image that no word covers or stands beside (doctables.recognise.marks): glyph-sized ink
shapes, joined where they stand close, as tokens beside the words."""

from __future__ import annotations

import numpy as np

from doctables.model.layout import Word
from doctables.recognise.marks import MARK_TEXT, unread_marks


def test_glyph_sized_shapes_outside_the_words_are_marks_and_rules_specks_and_words_are_not():
    image = np.full((120, 400, 3), 255, np.uint8)
    words = [Word("Total", (10.0, 20.0, 60.0, 32.0)), Word("12", (10.0, 60.0, 30.0, 72.0))]
    image[23:29, 12:58] = 0  # the ink of "Total", under its word
    image[23:29, 61:63] = 0  # and a stroke of it just past its box: a piece of the word
    image[22:30, 100:106] = 0  # a mark: a square 6 x 8 pixels
    image[22:30, 150:153] = 0  # three strokes close together: one mark ("N/A")
    image[22:30, 155:158] = 0
    image[22:30, 160:163] = 0
    image[50, 200] = 0  # a speck
    image[90:92, 20:380] = 0  # a rule across
    image[5:115, 300:302] = 0  # a rule down, taller than a line
    marks = unread_marks(image, words, 1.0)
    assert [m.text for m in marks] == [MARK_TEXT, MARK_TEXT]
    assert [(round(m.bbox[0]), round(m.bbox[2])) for m in marks] == [(100, 106), (150, 163)]
    for mark in marks:  # a word's height about the mark's middle
        assert mark.bbox[3] - mark.bbox[1] == 12.0 and mark.bbox[1] < 26 < mark.bbox[3]
    assert unread_marks(image, [], 1.0) == []
