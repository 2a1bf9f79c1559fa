"""Conversion domain code: type sniffing, validation, rendering, words and rules, rotation."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pymupdf
import pytest
from PIL import Image

from doctables.convert.render import extract_drawings, extract_words, open_document, render_page
from doctables.convert.sniff import DocumentType, sniff
from doctables.errors import DocumentError, ErrorCode
from doctables.geometry import to_unrotated
from doctables.model.layout import PageLayout, Word
from doctables.models.image import decode_image
from doctables.settings import Settings


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", DocumentType.PDF),
        (b"\xef\xbb\xbf junk then %PDF-1.4", DocumentType.PDF),
        (b"\x89PNG\r\n\x1a\n....", DocumentType.PNG),
        (b"\xff\xd8\xff\xe0", DocumentType.JPEG),
        (b"II*\x00", DocumentType.TIFF),
        (b"MM\x00*", DocumentType.TIFF),
        (b"PK\x03\x04 a zip", None),
        (b"<html>", None),
    ],
)
def test_sniff_uses_content_not_name(head, kind):
    assert sniff(head) == kind


def test_words_land_inside_their_truth_cells(sample_bytes, sample_truth):
    document = open_document(sample_bytes, Settings())
    for table in sample_truth["tables"]:
        layout = render_page(document.load_page(table["page"] - 1), table["page"], 72).layout
        for cell in table["cells"]:
            if not cell["text"]:
                continue
            x0, y0, x1, y1 = cell["bbox"]
            inside = [
                w.text for w in layout.words
                if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1
            ]
            assert " ".join(inside) == cell["text"]


def test_ruled_table_rules_are_extracted(sample_bytes, sample_truth):
    document = open_document(sample_bytes, Settings())
    layout = render_page(document.load_page(0), 1, 72).layout
    x0, y0, x1, y1 = sample_truth["tables"][0]["bbox"]
    rows = 7
    horizontal = {round(r.y0) for r in layout.rules if r.horizontal and x0 - 1 <= r.x0 and r.x1 <= x1 + 1}
    vertical = {round(r.x0) for r in layout.rules if not r.horizontal and y0 - 1 <= r.y0 and r.y1 <= y1 + 1}
    assert {round(y0), round(y1)} <= horizontal and len(horizontal) == rows + 1
    assert {round(x0), round(x1)} <= vertical and len(vertical) == 5 + 1


def test_layout_round_trips_through_json(sample_bytes):
    layout = render_page(open_document(sample_bytes, Settings()).load_page(0), 1, 72).layout
    again = PageLayout.from_json(layout.to_json())
    assert again.page == 1 and len(again.words) == len(layout.words) and len(again.rules) == len(layout.rules)
    assert again.words[0].text == layout.words[0].text
    turned = replace(layout, words=[replace(w, turn=270) for w in layout.words])
    assert {w.turn for w in PageLayout.from_json(turned.to_json()).words} == {270}


def test_layout_json_without_word_turns_still_loads():
    """Layouts stored before words carried their turn (seven fields a word) read as upright."""
    stored = (
        '{"page":1,"width":100,"height":50,"rotation":0,"dpi":72,"image_width":100,'
        '"image_height":50,"words":[["old",1,2,3,4,0,1.0]],"rules":[]}'
    )
    [word] = PageLayout.from_json(stored).words
    assert (word.text, word.bbox, word.turn) == ("old", (1, 2, 3, 4), 0)


def _dark_fraction(image: np.ndarray, box, scale: float) -> float:
    x0, y0, x1, y1 = (int(v * scale) for v in box)
    patch = image[y0:y1, x0:x1]
    return float((patch.mean(axis=2) < 128).mean()) if patch.size else 0.0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_page_words_map_onto_the_rendered_image(rotation):
    document = pymupdf.open()
    page = document.new_page(width=400, height=300)
    page.insert_text((40, 60), "ROTATED", fontsize=28)
    page.insert_text((250, 250), "corner", fontsize=20)
    page.set_rotation(rotation)
    document = pymupdf.open("pdf", document.tobytes())
    rendered = render_page(document.load_page(0), 1, 72)
    layout = rendered.layout
    image = decode_image(rendered.png)
    assert layout.rotation == rotation
    assert (image.shape[1], image.shape[0]) == (round(layout.width), round(layout.height))
    for word in layout.words:
        # The word's box, in the displayed frame, covers ink on the displayed image.
        assert _dark_fraction(image, word.bbox, 1.0) > 0.1, word
    # And the mapping back to PyMuPDF's unrotated frame is where the text was written.
    word = next(w for w in layout.words if w.text == "ROTATED")
    x0, y0, x1, y1 = to_unrotated(word.bbox, layout.width, layout.height, rotation)
    assert 35 <= x0 <= 45 and 25 <= y0 <= 60 and y1 <= 70
    # Turning the displayed page back by the words' turn makes them read left to right.
    assert {w.turn for w in layout.words} == {(360 - rotation) % 360}
    assert layout.text_turn() == (360 - rotation) % 360


def test_word_turn_follows_the_direction_of_its_line():
    """Text written upwards, downwards and upside down on an unrotated page; vertical writing
    (CJK, glyphs upright) needs no turn."""
    document = pymupdf.open()
    page = document.new_page(width=400, height=400)
    page.insert_text((50, 50), "across the page as it is shown", fontsize=12)
    page.insert_text((100, 350), "running upwards", fontsize=12, rotate=90)
    page.insert_text((200, 100), "running downwards", fontsize=12, rotate=270)
    page.insert_text((350, 380), "upside down", fontsize=12, rotate=180)
    page.insert_text((300, 60), "縦書", fontsize=12, fontname="japan")
    # The same CJK font with its vertical CMap: the line runs down, each glyph upright.
    font = next(f[0] for f in page.get_fonts() if f[4] == "japan")
    document.xref_set_key(font, "Encoding", document.xref_get_key(font, "Encoding")[1].replace("-H", "-V"))
    layout = render_page(pymupdf.open("pdf", document.tobytes()).load_page(0), 1, 72).layout
    turns = {w.text: w.turn for w in layout.words}
    assert turns["across"] == 0 and turns["縦"] == 0 and turns["書"] == 0
    assert turns["upwards"] == 90 and turns["downwards"] == 270 and turns["upside"] == 180
    # Characters decide the page's turn: most of the text reads left to right as shown.
    assert layout.text_turn() == 0
    extra = PageLayout(
        page=1, width=1, height=1, rotation=0, dpi=72, image_width=1, image_height=1,
        words=[*layout.words, Word("sideways-heavy-label", (0, 0, 1, 1), 99, turn=90)],
    )
    assert extra.text_turn() == 90


def test_image_upload_opens_as_a_page():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, format="PNG")
    document = open_document(buffer.getvalue(), Settings())
    assert document.page_count == 1
    rendered = render_page(document.load_page(0), 1, 72)
    assert rendered.layout.words == []


def test_multipage_tiff_opens_every_page():
    frames = [Image.new("RGB", (200, 100), color) for color in ("white", "gray", "black")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    assert open_document(buffer.getvalue(), Settings()).page_count == 3


def test_pixel_limit_names_the_page():
    document = pymupdf.open()
    document.new_page(width=612, height=792)
    document.new_page(width=200 * 72, height=200 * 72)
    with pytest.raises(DocumentError) as error:
        open_document(document.tobytes(), Settings())
    assert error.value.code is ErrorCode.PAGE_TOO_LARGE
    assert "page 2" in error.value.message


def test_page_tree_lost_while_reading_the_pages_is_a_corrupt_document(sample_bytes):
    """Found by the conversion fuzzer: two damaged bytes leave a PDF that counts two pages
    until reading them makes MuPDF repair the file, after which it has none."""
    damaged = bytearray(sample_bytes)
    damaged[179:180], damaged[321:322] = b"\x00", b"<"
    with pymupdf.open(stream=bytes(damaged), filetype="pdf") as document:
        assert document.page_count == 2
    with pytest.raises(DocumentError) as error:
        open_document(bytes(damaged), Settings(dpi=36))
    assert error.value.code is ErrorCode.CORRUPT_DOCUMENT and "no page is left" in error.value.message


def test_edges_of_shading_are_rules_only_where_the_colour_changes():
    """A grey cell drawn as one box with two boxes of the same grey over it (one per text
    line): the edge between the two lines cannot be seen and parts nothing. The grey box's
    own edges against the white page, and a stroked box's edges, are rules."""
    document = pymupdf.open()
    page = document.new_page(width=300, height=200)
    grey = (0.88, 0.88, 0.88)
    page.draw_rect(pymupdf.Rect(20, 20, 120, 80), color=None, fill=grey)
    page.draw_rect(pymupdf.Rect(22, 22, 118, 50), color=None, fill=grey)
    page.draw_rect(pymupdf.Rect(22, 50, 118, 78), color=None, fill=grey)
    page.draw_rect(pymupdf.Rect(150, 20, 250, 80), color=(0, 0, 0), width=0.5)
    page.draw_rect(pymupdf.Rect(150, 50, 250, 50.4), color=None, fill=(0, 0, 0))  # a line drawn as a fill
    layout = render_page(pymupdf.open("pdf", document.tobytes()).load_page(0), 1, 144).layout
    horizontal = {(round(r.x0), round(r.y0)) for r in layout.rules if r.horizontal}
    assert (20, 20) in horizontal and (20, 80) in horizontal  # grey against white
    assert (22, 50) not in horizontal and (22, 22) not in horizontal  # grey on grey
    assert {(150, 20), (150, 50), (150, 80)} <= horizontal
    vertical = {(round(r.x0), round(r.y0)) for r in layout.rules if not r.horizontal}
    assert (20, 20) in vertical and (120, 20) in vertical and (22, 22) not in vertical and (118, 50) not in vertical
    # Without the rendering every edge counts, as before.
    raw, _ = extract_drawings(pymupdf.open("pdf", document.tobytes()).load_page(0))
    assert (22, 50) in {(round(r.x0), round(r.y0)) for r in raw if r.horizontal}


def test_curves_and_slanted_lines_are_recorded_as_graphics_not_rules():
    """A chart's data line, a curve and an arrow are graphics; a table's rules are rules."""
    document = pymupdf.open()
    page = document.new_page(width=400, height=300)
    page.draw_polyline([(50, 250), (100, 200), (150, 210), (200, 120)], color=(1, 0, 0))
    page.draw_bezier((220, 250), (250, 150), (300, 150), (330, 250), color=(0, 0, 1))
    page.draw_line((300, 50), (340, 80))  # an arrow's shaft, slanted
    page.draw_line((40, 40), (200, 40))
    page.draw_line((40, 40), (40, 100))
    layout = render_page(pymupdf.open("pdf", document.tobytes()).load_page(0), 1, 72).layout
    assert len(layout.graphics) == 3
    chart = min(layout.graphics, key=lambda g: g[0])
    assert chart == pytest.approx((50, 120, 200, 250), abs=1.5)
    assert {(round(r.x0), round(r.y0), round(r.x1), round(r.y1)) for r in layout.rules} == {(40, 40, 200, 40), (40, 40, 40, 100)}
    again = PageLayout.from_json(layout.to_json())
    assert again.graphics == pytest.approx(layout.graphics, abs=0.01)
    stored = json.loads(layout.to_json())
    del stored["graphics"]  # a layout stored before graphics were recorded
    assert PageLayout.from_json(json.dumps(stored)).graphics == []


def test_a_word_glued_across_two_cells_is_split_at_the_gap():
    """MuPDF joins right-to-left text and the number in the next cell into one word when the
    two meet on a line (seen with Arabic set by PyMuPDF's Story: "خضر" + "12" as one word
    from x 94 to 185). Its letters say where the gap is: the word is split there, each piece
    keeping its letters' order."""
    from doctables.convert.render import _letters_of, _split_at_gaps

    def char(c, x0, x1):
        return {"c": c, "bbox": (x0, 112.0, x1, 126.0)}

    line = [char("ﺗ", 143, 146), char("ﻔ", 137, 143), char("ﺎ", 133, 137), char("ح", 126, 133), char(" ", 122, 126),
            char("أ", 118, 122), char("ﺧ", 111, 118), char("ﻀ", 101, 111), char("ﺮ", 94, 101),
            char("1", 170, 178), char("2", 178, 185)]
    glued = _letters_of(line, "ﺧﻀﺮ12", (94, 112, 185, 126))
    assert "".join(c["c"] for c in glued) == "ﺧﻀﺮ12"
    pieces = _split_at_gaps(glued)
    assert [text for text, _ in pieces] == ["ﺧﻀﺮ", "12"]
    assert pieces[0][1] == (94, 112, 118, 126) and pieces[1][1] == (170, 112, 185, 126)
    # Letters that touch stay one word; a word not spelled inside its box is left alone.
    assert _split_at_gaps(_letters_of(line, "ﺗﻔﺎح", (126, 112, 146, 126))) == []
    assert _letters_of(line, "ﺧﻀﺮ12", (0, 0, 50, 50)) == []


def test_latin_ligatures_are_written_as_their_letters():
    """A text layer keeps U+FB01 and friends as single characters; cells get the letters."""
    font = pymupdf.Font("cjk")  # MuPDF's built-in fallback font has the ligature glyphs
    with pymupdf.open() as document:
        page = document.new_page()
        page.insert_font(fontname="F0", fontbuffer=font.buffer)
        page.insert_text((50, 100), "\ufb01nance \ufb02ow o\ufb03ce", fontsize=12, fontname="F0")
        assert "\ufb01nance" in page.get_text("text")
        words = [w.text for w in extract_words(page)]
    assert words == ["finance", "flow", "office"]
