"""What a word's text says (doctables.grid.text): bullets, marks of no substance, leaders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from doctables.grid import text

FAST = settings(max_examples=60, deadline=None)


def test_a_bullet_is_one_bullet_glyph():
    assert text.is_bullet("•") and text.is_bullet(" ▪ ")
    assert not text.is_bullet("••") and not text.is_bullet("-") and not text.is_bullet("")


def test_substance_is_two_letters_or_digits_or_one_alone():
    assert text.substantial("ab") and text.substantial("(12)") and text.substantial("7")
    assert not text.substantial("$") and not text.substantial("(a)") and not text.substantial("*")


@FAST
@given(st.sampled_from(sorted(text.BULLETS)), st.sampled_from(["", " ", "  "]))
def test_every_bullet_glyph_padded_is_a_bullet(glyph, pad):
    assert text.is_bullet(pad + glyph + pad)
    assert not text.is_number(glyph)


@FAST
@given(st.text(alphabet=".·…_-=", min_size=4, max_size=30), st.text(alphabet="abcXYZ019", min_size=1, max_size=3))
def test_leaders_are_filler_until_text_joins_them(leaders, letters):
    assert text.is_filler(leaders)
    assert not text.is_filler(leaders + letters)
