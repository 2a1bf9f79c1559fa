"""Image inputs the dev documents do not show: screenshots and crops that are one table,
pages the layout model is unsure of, straight crops that an ink profile reads as skewed or
sideways. Each test builds its image from the bundled sample."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from doctables.inprocess import extract
from doctables.models.image import resize_filtered, resize_rgb
from doctables.recognise.ocr_models import TextBox
from doctables.recognise.page_text import _mostly_across
from doctables.settings import Settings


def _screenshot(sample_bytes: bytes, truth: dict, page: int, dpi: int, margin: float) -> bytes:
    """A PNG of one table of the sample cut at its box (grown by `margin` points), the way a
    screenshot of it is: no text layer, no page around it."""
    box = next(t["bbox"] for t in truth["tables"] if t["page"] == page)
    clip = pymupdf.Rect(box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
    with pymupdf.open(stream=sample_bytes, filetype="pdf") as document:
        pixmap = document[page - 1].get_pixmap(dpi=dpi, clip=clip, alpha=False)
        return pixmap.tobytes("png")


def _grid(cells) -> set[tuple[int, int, int, int]]:
    return {(c.row, c.col, c.row_span, c.col_span) for c in cells}


def _truth_grid(truth: dict, page: int) -> set[tuple[int, int, int, int]]:
    table = next(t for t in truth["tables"] if t["page"] == page)
    return {(c["row"], c["col"], c["row_span"], c["col_span"]) for c in table["cells"]}


@pytest.mark.parametrize("page, dpi, margin", [(1, 90, 0.0), (2, 80, 4.0), (1, 110, 10.0)])
def test_a_screenshot_of_a_table_yields_that_table(sample_bytes, sample_truth, page, dpi, margin):
    image = _screenshot(sample_bytes, sample_truth, page, dpi, margin)
    document = extract(image, settings=Settings())
    assert len(document.tables) == 1
    table = document.tables[0]
    assert _grid(table.cells) == _truth_grid(sample_truth, page)
    # The table is the image: its box covers nearly all of it.
    width, height = document.pages[0].width, document.pages[0].height
    x0, y0, x1, y1 = table.bbox
    assert (x1 - x0) * (y1 - y0) > 0.8 * (width - 2 * margin) * (height - 2 * margin)


def test_a_wide_crop_of_a_ruled_table_is_read_as_it_stands(sample_bytes, sample_truth):
    """A crop whose ruled columns make the ink look like vertical lines of text is not
    turned: the text detector's line boxes run across."""
    image = _screenshot(sample_bytes, sample_truth, 1, 100, 2.0)
    document = extract(image, settings=Settings())
    decision = document.pages[0].decision
    assert decision["rotation_applied"] == 0
    assert decision["skew"] == 0.0


def test_shrinking_samples_like_the_models_training_and_keeps_rules_dark():
    """The layout model was trained on OpenCV resizes: each output pixel interpolated at its
    centre's place in the source, no low-pass filter. A two-pixel rule shrunk four times
    stays black that way; an area filter makes it a mid grey the model has not seen."""
    image = np.full((64, 64, 3), 255, dtype=np.uint8)
    image[:, 9:11] = 0  # the output column 2 samples the source at x = 2 * 4 + 1.5
    sampled = resize_rgb(image, 16, 16)
    filtered = resize_filtered(image, 16, 16)
    assert int(sampled[:, 2].max()) < 40
    assert 80 < int(filtered[:, 2].min()) < 200
    assert resize_rgb(image, 64, 64) is image


def test_text_lines_running_across_overrule_a_vertical_looking_ink_profile():
    across = [TextBox((0, 0, 120, 14), 0.9), TextBox((0, 20, 80, 34), 0.9), TextBox((200, 0, 212, 40), 0.9)]
    down = [TextBox((0, 0, 14, 120), 0.9), TextBox((20, 0, 34, 90), 0.9), TextBox((40, 0, 100, 12), 0.9)]
    assert _mostly_across(across) is True
    assert _mostly_across(down) is False
    assert _mostly_across([]) is False


def test_a_page_image_is_detected_once_on_both_views(sample_bytes, sample_truth, monkeypatch):
    """The regions OCR reads and the regions tables are built from come from one detection,
    on both input views; a born-digital page pays for one view only."""
    from doctables.models.detection import TableDetector

    calls = []
    original = TableDetector.detect_regions

    def counted(self, image, labels, threshold, pooled=False):
        calls.append(pooled)
        return original(self, image, labels, threshold, pooled)

    monkeypatch.setattr(TableDetector, "detect_regions", counted)
    document = extract(_screenshot(sample_bytes, sample_truth, 1, 110, 30.0), settings=Settings())
    assert document.pages[0].decision["ocr"] is True
    assert calls == [True]  # both input views, once
    calls.clear()
    extract(sample_bytes, pages=[1], settings=Settings())
    assert calls == [False]  # a born-digital page: one run, the view the model was trained on


def _orientation_cases(sample_bytes: bytes, sample_truth: dict) -> list[tuple[str, bytes]]:
    """Upright images the small orientation model misread: small screenshots of a table and
    photographed pages (perspective, uneven light, blur, JPEG), each from the sample."""
    from bench.accuracy.variants import _photo

    cases = [
        (f"screenshot p{page} {dpi} dpi", _screenshot(sample_bytes, sample_truth, page, dpi, 0.0))
        for page, dpi in ((1, 72), (2, 80), (1, 96))
    ]
    with pymupdf.open(stream=sample_bytes, filetype="pdf") as document:
        for seed, page in enumerate(document):
            cases.append((f"photo p{page.number + 1}", _photo(page, np.random.default_rng(seed))[0]))
    return cases


def test_upright_and_upside_down_are_told_apart_on_screenshots_and_photos(sample_bytes, sample_truth):
    """The recogniser reads the widest lines both ways: an upright image stays, the same
    image upside down is turned 180 degrees."""
    from doctables.convert.render import open_document, render_page
    from doctables.models.image import decode_image
    from doctables.recognise import pages
    from doctables.recognise.page_text import detect_rotation, load_ocr_models

    settings = Settings()
    models = load_ocr_models(settings)
    for name, data in _orientation_cases(sample_bytes, sample_truth):
        for turn in (0, 180):
            if turn:
                turned = io.BytesIO()
                Image.open(io.BytesIO(data)).rotate(180).save(turned, format="PNG")
                data = turned.getvalue()
            with open_document(data, settings) as document:
                rendered = render_page(document[0], 1, settings.dpi)
            image = decode_image(rendered.png)
            ink = pages.ink_map(image, rendered.layout.width / rendered.layout.image_width)
            assert detect_rotation(image, ink, models) == turn, (name, turn)


def _small_prose_table(dpi: int, size: float) -> bytes:
    """A PNG of a table of labels beside paragraphs of small serif text, ruled between its
    rows and down its one column boundary: at 60 dpi its 8-point lines read upside down were
    read as spaces, with a surer score than the words read the right way up."""
    paragraph = (
        "A line of fixed length with words that anchor the scale at the extreme ends and no words "
        "describing intermediate positions. Patients are instructed to indicate the place on the line."
    )
    with pymupdf.open() as document:
        page = document.new_page(width=340, height=200)
        for k, label in enumerate(("Visual analog scale", "Anchored scale", "Likert scale", "Rating scale")):
            y = 4 + 46 * k
            page.draw_line((0, y - 2), (340, y - 2), width=0.5)
            page.insert_textbox(pymupdf.Rect(2, y, 60, y + 44), label, fontsize=size, fontname="tiro")
            page.insert_textbox(pymupdf.Rect(66, y, 338, y + 44), paragraph, fontsize=size, fontname="tiro")
        page.draw_line((62, 0), (62, 200), width=0.5)
        return page.get_pixmap(dpi=dpi).tobytes("png")


@pytest.mark.parametrize("dpi", [60, 72])
def test_a_small_screenshot_of_prose_cells_is_told_upright_from_upside_down(dpi):
    from doctables.convert.render import open_document, render_page
    from doctables.models.image import decode_image
    from doctables.recognise import pages
    from doctables.recognise.page_text import detect_rotation, load_ocr_models

    settings = Settings()
    models = load_ocr_models(settings)
    with open_document(_small_prose_table(dpi, 8), settings) as document:
        rendered = render_page(document[0], 1, settings.dpi)
    image = decode_image(rendered.png)
    points_per_pixel = rendered.layout.width / rendered.layout.image_width
    for turn, seen in ((0, image), (180, np.ascontiguousarray(image[::-1, ::-1]))):
        assert detect_rotation(seen, pages.ink_map(seen, points_per_pixel), models) == turn, (dpi, turn)


def _leader_table_pdf() -> bytes:
    """A one-page PDF table whose row labels run on in dot leaders to their figures."""
    document = pymupdf.open()
    page = document.new_page(width=420, height=220)
    page.insert_text((40, 50), "Age of receivables", fontsize=10)
    page.insert_text((250, 50), "2017", fontsize=10)
    page.insert_text((330, 50), "2018", fontsize=10)
    rows = [("Within 90 days", "606,451", "462,869"), ("Over 90 days", "131,176", "147,447"),
            ("Over one year", "301,398", "281,512"), ("Written off", "12,003", "9,870")]
    for k, (label, first, second) in enumerate(rows):
        y = 75 + 22 * k
        page.insert_text((40, y), label + " " + ". " * ((200 - 5 * len(label)) // 6), fontsize=10)
        page.insert_text((250, y), first, fontsize=10)
        page.insert_text((330, y), second, fontsize=10)
    data = document.tobytes()
    document.close()
    return data


def test_dot_leaders_read_off_an_image_leave_the_labels_but_a_text_layer_keeps_them():
    pdf = _leader_table_pdf()
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        image = document[0].get_pixmap(dpi=150, alpha=False).tobytes("png")
    read = extract(image, settings=Settings())
    assert len(read.tables) == 1
    labels = [c.text for c in read.tables[0].cells if c.col == 0 and c.row > 0]
    assert labels == ["Within 90 days", "Over 90 days", "Over one year", "Written off"]
    born_digital = extract(pdf, settings=Settings())
    kept = [c.text for c in born_digital.tables[0].cells if c.col == 0 and c.row > 0]
    assert all(text.endswith(". .") for text in kept)


def _png_saying(image_png: bytes, dpi: int | None) -> bytes:
    """The same pixels in a PNG whose pHYs chunk says `dpi` (or that has none)."""
    out = io.BytesIO()
    Image.open(io.BytesIO(image_png)).save(out, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


def test_an_image_claiming_an_absurd_resolution_is_read_as_one_that_says_none(sample_bytes, sample_truth):
    """DPI metadata that would make the page's text lines smaller than print is set (here
    2,400 dpi on a 150 dpi crop: the page would be half an inch wide) is not believed: the
    image is laid out as one without metadata, and its table comes back on the page PyMuPDF
    makes of it, the same table in the same place."""
    pixels = _screenshot(sample_bytes, sample_truth, 1, 150, 10.0)
    unstated = extract(_png_saying(pixels, None), settings=Settings())
    absurd = extract(_png_saying(pixels, 2400), settings=Settings())
    assert absurd.pages[0].width == pytest.approx(unstated.pages[0].width * 96 / 2400)
    assert "laid out at 96 dpi, not the 2400 its metadata says" in absurd.pages[0].decision["reason"]
    assert "metadata" not in unstated.pages[0].decision["reason"]
    assert len(absurd.tables) == len(unstated.tables) == 1
    assert _grid(absurd.tables[0].cells) == _grid(unstated.tables[0].cells) == _truth_grid(sample_truth, 1)
    assert absurd.tables[0].bbox_norm == pytest.approx(unstated.tables[0].bbox_norm, abs=1e-3)
    assert [c.text for c in absurd.tables[0].cells] == [c.text for c in unstated.tables[0].cells]


def test_believable_metadata_keeps_the_frame_it_gives(sample_bytes, sample_truth):
    """A 300 dpi claim on the same crop (text half as tall as it is: still print-sized) is
    believed: the page is the size the metadata makes it."""
    pixels = _screenshot(sample_bytes, sample_truth, 1, 150, 10.0)
    stated = extract(_png_saying(pixels, 300), settings=Settings())
    width = Image.open(io.BytesIO(pixels)).width * 72 / 300
    assert stated.pages[0].width == pytest.approx(width, abs=0.01)
    assert "metadata" not in stated.pages[0].decision["reason"]
    assert _grid(stated.tables[0].cells) == _truth_grid(sample_truth, 1)
