"""Photographed pages: a ruled table drawn here with PyMuPDF, rendered, and seen through a
perspective (a phone held off square), with a desk around the sheet and light falling off.
The page is warped square-on before the table stage; straight pages are left as they are."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from doctables.inprocess import extract
from doctables.recognise import perspective
from doctables.settings import Settings

WIDTH, HEIGHT = 500.0, 420.0  # points
DPI = 150
ROWS = [["Item", "Jan", "Feb", "Mar", "Apr", "May"]] + [
    [f"Line {r}"] + [f"{(r * 37 + c * 11) % 97}.{(r + c) % 10}0" for c in range(5)] for r in range(1, 13)
]
PITCH = 16.0  # points between rows
TABLE = (30.0, 100.0, 470.0, 100.0 + PITCH * len(ROWS))  # points
# Where the photo puts the page's corners (points; top-left, top-right, bottom-right,
# bottom-left): the camera nearer the page's left side and its top, the sheet turned a little.
QUAD = np.array([[40.0, 10.0], [490.0, 50.0], [470.0, 410.0], [8.0, 380.0]])


def _page_pixels() -> np.ndarray:
    """The page with a heading, a paragraph and a ruled table, as RGB pixels at DPI."""
    document = pymupdf.open()
    page = document.new_page(width=WIDTH, height=HEIGHT)
    page.insert_text((40, 50), "Quarterly sales by region", fontsize=16)
    paragraph = "The figures below are the units sold and the list price in each region this quarter."
    page.insert_textbox(pymupdf.Rect(40, 62, 460, 100), paragraph, fontsize=10)
    x0, y0, x1, y1 = TABLE
    columns = np.linspace(x0, x1, len(ROWS[0]) + 1)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            page.insert_text((columns[c] + 6, y0 + r * PITCH + 12), text, fontsize=10)
    # Rules under the heading and around the table only: the rows are told apart by their text.
    for y in (y0, y0 + PITCH, y1):
        page.draw_line((x0, y), (x1, y), width=1)
    pixmap = page.get_pixmap(dpi=DPI, alpha=False)
    return np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.width, 3).copy()


def _homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows), np.array(rhs)), 1.0).reshape(3, 3)


def _corners() -> np.ndarray:
    return np.array([[0.0, 0.0], [WIDTH, 0.0], [WIDTH, HEIGHT], [0.0, HEIGHT]])


def _photographed(pixels: np.ndarray) -> np.ndarray:
    """The page as a photo: warped so that its corners land on QUAD, a grey desk around it,
    the light falling to 70% towards one corner."""
    scale = pixels.shape[1] / WIDTH
    back = _homography(QUAD * scale, _corners() * scale)  # Pillow samples backwards
    photo = Image.fromarray(pixels).transform(
        (pixels.shape[1], pixels.shape[0]),
        Image.Transform.PERSPECTIVE,
        tuple((back / back[2, 2]).ravel()[:8]),
        Image.Resampling.BICUBIC,
        fillcolor=(110, 104, 98),
    )
    ys, xs = np.mgrid[0 : pixels.shape[0], 0 : pixels.shape[1]]
    light = 1.0 - 0.3 * (xs / xs.max() + ys / ys.max()) / 2.0
    return np.clip(np.asarray(photo, dtype=np.float32) * light[..., None], 0, 255).astype(np.uint8)


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def _through(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    moved = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return moved[:, :2] / moved[:, 2:]


def test_the_perspective_of_a_photographed_page_is_undone():
    photo = _photographed(_page_pixels())
    warp = perspective.estimate(photo, 72.0 / DPI)
    assert warp is not None
    # The table's corners: onto the photo, then through the warp (unit coordinates).
    x0, y0, x1, y1 = TABLE
    table = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    on_photo = _through(_homography(_corners(), QUAD), table)
    square = _through(warp, on_photo / (WIDTH, HEIGHT)) * (WIDTH, HEIGHT)
    (tl, tr, br, bl) = square
    # Rows and columns run straight again: within 1.5 points over the table's width (340) and
    # height (168), i.e. half a degree.
    assert abs(tl[1] - tr[1]) < 1.5 and abs(bl[1] - br[1]) < 1.5
    assert abs(tl[0] - bl[0]) < 1.5 and abs(tr[0] - br[0]) < 1.5


@pytest.mark.parametrize("turn", [0.0, 0.6])
def test_straight_and_skewed_pages_get_no_warp(turn):
    pixels = _page_pixels()
    if turn:
        pixels = np.asarray(Image.fromarray(pixels).rotate(turn, Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)))
    assert perspective.estimate(pixels, 72.0 / DPI) is None
    x0, y0, x1, y1 = (round(v * DPI / 72.0) for v in TABLE)
    assert perspective.estimate(pixels[y0 - 10 : y1 + 10, x0 - 10 : x1 + 10], 72.0 / DPI) is None


def test_a_photographed_table_keeps_its_rows_and_columns():
    document = extract(_png(_photographed(_page_pixels())), settings=Settings())
    assert "perspective straightened" in document.pages[0].decision["reason"]
    (table,) = document.tables
    rows: dict[int, dict[int, str]] = {}
    for cell in table.cells:
        rows.setdefault(cell.row, {})[cell.col] = cell.text
    # Every row of the table whole and apart (the page's heading may come along as a row of
    # one cell: which region is the table is not at stake here).
    read = [[row[c] for c in sorted(row)] for _, row in sorted(rows.items()) if len(row) > 1]
    assert read == ROWS
    # Boxes are reported on the photo as uploaded: the table's cells lie around the table's
    # quadrilateral there.
    boxes = [c.bbox for c in table.cells if len(rows[c.row]) > 1]
    found = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    x0, y0, x1, y1 = TABLE
    on_photo = _through(_homography(_corners(), QUAD), np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    scale = document.pages[0].width / WIDTH
    expected = (*(on_photo.min(axis=0) * scale), *(on_photo.max(axis=0) * scale))
    assert _iou(found, expected) > 0.85


def _iou(a, b) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_boxes_go_through_the_warp_and_back():
    warp = np.array([[0.95, 0.04, 0.01], [-0.03, 1.02, 0.0], [0.05, -0.04, 1.0]])
    box = (100.0, 50.0, 220.0, 90.0)
    there = perspective.warp_box(box, warp, 400.0, 300.0)
    back = perspective.warp_box(there, warp, 400.0, 300.0, inverse=True)
    # The bounding box of a box's image grows a little each way, never shrinks.
    assert back[0] <= box[0] and back[1] <= box[1] and back[2] >= box[2] and back[3] >= box[3]
    assert np.allclose(back, box, atol=6.0)
