"""Page images render at their own pixels, whatever their DPI metadata says; the pixel limits
(refusal and processing budget) count real pixels, read from the image's header."""

from __future__ import annotations

import io
import math

import pymupdf
import pytest
from PIL import Image

from doctables.convert.render import open_document, render_page
from doctables.errors import DocumentError, ErrorCode
from doctables.settings import Settings


def _image(size: tuple[int, int], format: str, dpi: float | None = None, **options: object) -> bytes:
    buffer = io.BytesIO()
    if dpi is not None:
        options["dpi"] = (dpi, dpi)
    Image.new("L", size, 255).save(buffer, format=format, **options)
    return buffer.getvalue()


def _render(data: bytes, settings: Settings = Settings(), index: int = 0):
    document = open_document(data, settings)
    page = document.load_page(index)
    return page, render_page(page, index + 1, settings.dpi, settings.max_render_pixels)


@pytest.mark.parametrize(("format", "dpi"), [
    ("PNG", 72), ("PNG", 300), ("PNG", 2400), ("PNG", None), ("JPEG", 300), ("JPEG", None), ("TIFF", 200),
])
def test_an_image_renders_at_its_own_pixels(format, dpi):
    data = _image((400, 300), format, dpi)
    page, rendered = _render(data)
    layout = rendered.layout
    assert (layout.image_width, layout.image_height) == (400, 300)
    assert Image.open(io.BytesIO(rendered.png)).size == (400, 300)
    # The page keeps PyMuPDF's size in points (boxes stay in its frame); dpi is what it works out to.
    with pymupdf.open(stream=data, filetype=format.lower()) as plain:
        assert (layout.width, layout.height) == (plain[0].rect.width, plain[0].rect.height)
    assert layout.dpi == round(72 * 400 / layout.width)
    if dpi is not None:
        assert layout.dpi == dpi


def test_a_jpeg_turned_by_its_exif_orientation_keeps_its_pixels():
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise
    _, rendered = _render(_image((400, 300), "JPEG", 300, exif=exif))
    layout = rendered.layout
    assert (layout.image_width, layout.image_height) == (300, 400)
    assert (layout.width, layout.height) == (72, 96)


def test_every_frame_of_a_tiff_renders_at_its_own_pixels():
    frames = [Image.new("L", size, 255) for size in ((400, 300), (120, 80), (640, 480))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    sizes = [
        (layout.image_width, layout.image_height)
        for layout in (_render(buffer.getvalue(), index=i)[1].layout for i in range(3))
    ]
    assert sizes == [(400, 300), (120, 80), (640, 480)]


def test_a_big_endian_tiff_is_measured_from_its_header():
    buffer = io.BytesIO()
    Image.new("I;16B", (123, 45)).save(buffer, format="TIFF")
    assert buffer.getvalue()[:2] == b"MM"
    _, rendered = _render(buffer.getvalue())
    assert (rendered.layout.image_width, rendered.layout.image_height) == (123, 45)
    with pytest.raises(DocumentError) as error:
        open_document(buffer.getvalue(), Settings().with_overrides(max_page_pixels=5000))
    assert error.value.code is ErrorCode.PAGE_TOO_LARGE


def test_an_image_over_the_pixel_limit_is_refused_by_its_real_pixels_without_rendering(monkeypatch):
    """At 4800 dpi the page is 45 points wide, 90 pixels at 144 dpi: counted in points it
    would pass. Its 9 megapixels are read from the header; nothing is rendered."""
    data = _image((3000, 3000), "PNG", 4800)
    assert len(data) < 100_000

    def no_rendering(*args, **kwargs):
        raise AssertionError("the check rendered the image")

    monkeypatch.setattr(pymupdf.Page, "get_pixmap", no_rendering)
    with pytest.raises(DocumentError) as error:
        open_document(data, Settings().with_overrides(max_page_pixels=4_000_000))
    assert error.value.code is ErrorCode.PAGE_TOO_LARGE
    assert "3000 x 3000 pixels" in error.value.message


def test_a_tiff_frame_over_the_pixel_limit_is_refused_without_loading_any_frame(monkeypatch):
    """MuPDF decodes a TIFF frame to load it as a page, so the sizes come from the headers."""
    frames = [Image.new("L", (100, 100), 255), Image.new("L", (3000, 3000), 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")

    def no_loading(*args, **kwargs):
        raise AssertionError("the check loaded a frame")

    monkeypatch.setattr(pymupdf.Document, "load_page", no_loading)
    with pytest.raises(DocumentError) as error:
        open_document(buffer.getvalue(), Settings().with_overrides(max_page_pixels=4_000_000))
    assert error.value.code is ErrorCode.PAGE_TOO_LARGE and "page 2" in error.value.message


def test_a_bigtiff_is_a_corrupt_document():
    buffer = io.BytesIO()
    Image.new("L", (40, 30)).save(buffer, format="TIFF", big_tiff=True)
    with pytest.raises(DocumentError) as error:
        open_document(buffer.getvalue(), Settings())
    assert error.value.code is ErrorCode.CORRUPT_DOCUMENT and "BigTIFF" in error.value.message


def test_an_image_over_the_render_budget_is_scaled_down_to_fit():
    settings = Settings().with_overrides(max_render_pixels=100_000)
    _, rendered = _render(_image((1000, 600), "PNG", 300), settings)
    layout = rendered.layout
    assert layout.image_width * layout.image_height <= 100_000
    assert layout.image_width * layout.image_height > 0.98 * 100_000
    assert math.isclose(layout.image_width / layout.image_height, 1000 / 600, rel_tol=0.01)
    assert Image.open(io.BytesIO(rendered.png)).size == (layout.image_width, layout.image_height)
    assert layout.width == 240 and layout.dpi == round(72 * layout.image_width / 240)


def test_a_tiny_image_is_not_upscaled():
    _, rendered = _render(_image((40, 20), "PNG", 600))
    assert (rendered.layout.image_width, rendered.layout.image_height) == (40, 20)


def test_a_pdf_page_renders_at_the_dpi_as_before(sample_bytes):
    settings = Settings()
    page, rendered = _render(sample_bytes, settings)
    layout = rendered.layout
    expected = page.get_pixmap(dpi=settings.dpi, alpha=False, colorspace=pymupdf.csRGB)
    assert (layout.image_width, layout.image_height) == (expected.width, expected.height) == (1224, 1584)
    assert layout.dpi == settings.dpi and (layout.width, layout.height) == (612, 792)
    assert rendered.png == expected.tobytes("png")


def test_a_pdf_page_over_the_render_budget_is_scaled_down_to_fit(sample_bytes):
    settings = Settings().with_overrides(max_render_pixels=500_000)
    _, rendered = _render(sample_bytes, settings)
    layout = rendered.layout
    assert 0.98 * 500_000 < layout.image_width * layout.image_height <= 500_000
    assert math.isclose(layout.image_width / layout.image_height, 612 / 792, rel_tol=0.01)
    assert layout.dpi < settings.dpi and layout.dpi == round(72 * layout.image_width / 612)
