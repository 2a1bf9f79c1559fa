"""Transformed copies of a benchmark directory, each with its ground truth carried over, to
score what the dev set does not show: scans (no text layer), pages turned by /Rotate, content
turned sideways on a landscape page, a CropBox inside the MediaBox, tables cut out as
screenshots (on a PDF page, or as the PNG files themselves), photographed and low-resolution
scanned pages, and bare page images whose resolution is missing or absurd.

Every variant writes documents (`<doc>.pdf`, or `.png` for the page images) with their
`<doc>.json` into a target folder, the truth's boxes moved with the page onto the page as
displayed (PyMuPDF's `page.rect`), the scorer's frame. The random ones draw from a numpy
generator seeded by the variant's and the document's names, so a copy is the same every time."""

from __future__ import annotations

import copy
import io
import json
import math
import shutil
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
from PIL import Image, ImageFilter

from .. import documents

Box = list[float]
# A page's points, 3x3 homogeneous, onto where they land in the transformed page (points too).
Matrix = np.ndarray
# One page as an image: the encoded image and the matrix carrying the truth's boxes onto it.
PageRaster = Callable[[pymupdf.Page, np.random.Generator], tuple[bytes, Matrix]]


def image_only_copy(data: Path, target: Path, dpi: int = 200) -> Path:
    """Write `<doc>.pdf` as pages that hold only their grey rendering at `dpi` (same page size,
    so the ground truth's boxes still apply) with `<doc>.json` beside it; returns `target`."""

    def scan(source: pymupdf.Document) -> pymupdf.Document:
        scanned = pymupdf.open()
        for page in source:
            pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            _image_page(scanned, page.rect.width, page.rect.height, pixmap.tobytes("png"))
        return scanned

    return _copy(data, target, scan)


def rotated_copy(data: Path, target: Path, rotation: int) -> Path:
    """Every page's /Rotate turned a further `rotation` degrees clockwise: the content is
    unchanged, the page is shown turned and the truth's boxes turn with it."""
    turns: dict[str, list[pymupdf.Matrix]] = {}

    def rotate(source: pymupdf.Document) -> pymupdf.Document:
        # The truth is on the page as shown before the turn: back to the unrotated frame, then
        # onto the page as shown after it.
        before = [page.derotation_matrix for page in source]
        for page in source:
            page.set_rotation((page.rotation + rotation) % 360)
        turns[source.name] = [b * page.rotation_matrix for b, page in zip(before, source)]
        return source

    def truth(table_page: int, box: Box, source_name: str) -> Box:
        rect = pymupdf.Rect(box) * turns[source_name][table_page - 1]
        return [rect.x0, rect.y0, rect.x1, rect.y1]

    return _copy(data, target, rotate, truth)


def sideways_copy(data: Path, target: Path) -> Path:
    """Every page's content drawn turned a quarter counter-clockwise on a page of swapped
    width and height, with no /Rotate (a landscape table printed sideways): the truth's boxes
    turn with it."""
    sizes: dict[str, list[tuple[float, float]]] = {}

    def turn(source: pymupdf.Document) -> pymupdf.Document:
        turned = pymupdf.open()
        sizes[source.name] = [(p.rect.width, p.rect.height) for p in source]
        for page in source:
            out = turned.new_page(width=page.rect.height, height=page.rect.width)
            out.show_pdf_page(out.rect, source, page.number, rotate=90)
        return turned

    def truth(table_page: int, box: Box, source_name: str) -> Box:
        width, _ = sizes[source_name][table_page - 1]
        return sideways_box(box, width)

    return _copy(data, target, turn, truth)


def sideways_box(box: Box, width: float) -> Box:
    """A box of a page `width` wide, once the page's content is turned a quarter
    counter-clockwise onto a page of swapped size: (x, y) -> (y, width - x)."""
    x0, y0, x1, y1 = box
    return [y0, width - x1, y1, width - x0]


def cropbox_copy(data: Path, target: Path, inset: tuple[float, float, float, float] = (18, 24, 12, 18)) -> Path:
    """Every page's CropBox set inside its MediaBox (left, top, right, bottom insets in points):
    the page as displayed starts at the CropBox's corner, and the truth's boxes move with it."""
    left, top, right, bottom = inset

    def crop(source: pymupdf.Document) -> pymupdf.Document:
        for page in source:
            media = page.mediabox
            page.set_cropbox(pymupdf.Rect(left, top, media.width - right, media.height - bottom))
        return source

    def truth(table_page: int, box: Box, source_name: str) -> Box:
        return [box[0] - left, box[1] - top, box[2] - left, box[3] - top]

    return _copy(data, target, crop, truth)


def table_crop_copy(
    data: Path,
    target: Path,
    as_image: bool = False,
    dpi: tuple[float, float] = (72, 110),
    margin: tuple[float, float] = (0, 20),
) -> Path:
    """Every true table cut out of its page as a user's screenshot: its box grown by a margin
    drawn from `margin` (pixels, 0-20), rendered at a resolution drawn from `dpi` (72-110), a
    PNG alone on a page of its pixel size (1 px = 1 pt, no text layer), one document
    `<doc>-p<page>-t<i>.pdf` per table, its truth moved into the cut. `as_image`: the PNG
    itself is the document (`.png`, saying 72 dpi), as a screenshot is uploaded: the
    pipeline then reads it at its own pixels, not re-rendered at its DPI."""
    target.mkdir(parents=True, exist_ok=True)
    for pdf in documents(data):
        truth: dict[str, Any] = json.loads(pdf.with_suffix(".json").read_text())
        rng = _rng("table-crop", pdf)
        tables_on_page: Counter[int] = Counter()
        with pymupdf.open(pdf) as document:
            for table in truth["tables"]:
                if not table.get("bbox"):
                    continue
                number = int(table["page"])
                tables_on_page[number] += 1
                name = f"{pdf.stem}-p{number}-t{tables_on_page[number]}"
                stream, width, height, to_cut = _screenshot(document[number - 1], table["bbox"], rng, dpi, margin)
                if as_image:
                    file = f"{name}.png"
                    (target / file).write_bytes(_encoded(Image.open(io.BytesIO(stream)), "PNG", dpi=(72, 72)))
                else:
                    file = f"{name}.pdf"
                    cut = pymupdf.open()
                    _image_page(cut, width, height, stream)
                    cut.save(target / file, garbage=1, deflate=True)
                moved = _moved_table(table, to_cut, pymupdf.Rect(0, 0, width, height))
                _write_truth(target / f"{name}.json", {**truth, "file": file, "tables": [moved]})
    return target


def _screenshot(
    page: pymupdf.Page,
    box: Box,
    rng: np.random.Generator,
    dpi: tuple[float, float] = (72, 110),
    margin_px: tuple[float, float] = (0, 20),
) -> tuple[bytes, int, int, Matrix]:
    """The table at `box` cut out of `page` with a drawn margin and resolution: PNG bytes, its
    pixel size, and the matrix from the page's points to the cut's pixels."""
    zoom = float(rng.uniform(*dpi)) / 72
    margin = float(rng.uniform(*margin_px)) / zoom  # points
    clip = (pymupdf.Rect(box) + (-margin, -margin, margin, margin)) & page.rect
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, alpha=False)
    # The pixmap covers the clip rounded out to whole pixels; (x, y) is its corner in pixels.
    to_cut = np.array([[zoom, 0, -pixmap.x], [0, zoom, -pixmap.y], [0, 0, 1]], dtype=float)
    return pixmap.tobytes("png"), pixmap.width, pixmap.height, to_cut


def photo_copy(data: Path, target: Path) -> Path:
    """Every page as a phone photo of it: rendered at 150-200 dpi, warped by a perspective of up
    to 8 degrees onto a desk, lit unevenly (brightness x 0.6-1.0), slightly blurred, JPEG
    quality 60, on a page of the original size with no text layer; the truth's boxes go
    through the same projective map."""
    return _raster_copy(data, target, "photo", _photo)


def lowres_scan_copy(data: Path, target: Path) -> Path:
    """Every page as a cheap scan: grey at 100-150 dpi, Gaussian noise (sigma 6), turned up to
    0.7 degrees about its centre, then JPEG quality 70, or for about half the pages bilevel
    (a threshold) in a PNG; on a page of the original size, no text layer."""
    return _raster_copy(data, target, "lowres-scan", _lowres_scan)


def png_page_copy(data: Path, target: Path, dpi: int | None) -> Path:
    """Every page as a bare PNG file rendered at 150 dpi, one document `<doc>-p<n>.png` per page,
    that says it is `dpi` dots per inch (a pHYs chunk), or says nothing when `dpi` is None. The
    truth is scaled onto the page PyMuPDF makes of the image, the pipeline's frame."""
    target.mkdir(parents=True, exist_ok=True)
    for pdf in documents(data):
        truth: dict[str, Any] = json.loads(pdf.with_suffix(".json").read_text())
        with pymupdf.open(pdf) as document:
            for page in document:
                name = f"{pdf.stem}-p{page.number + 1}"
                image = page.get_pixmap(dpi=150, alpha=False).pil_image()
                image.save(target / f"{name}.png", "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
                with pymupdf.open(target / f"{name}.png") as opened:
                    shown = opened[0].rect
                scale = np.diag([shown.width / page.rect.width, shown.height / page.rect.height, 1.0])
                tables = [
                    _moved_table(table, scale, shown)
                    for table in truth["tables"]
                    if int(table["page"]) == page.number + 1
                ]
                _write_truth(target / f"{name}.json", {**truth, "file": f"{name}.png", "tables": tables})
    return target


def _raster_copy(data: Path, target: Path, variant: str, raster: PageRaster) -> Path:
    """Every page replaced by the image `raster` makes of it, on a page of the same size; the
    truth's boxes go through the matrix it returns and are clipped to the page."""
    moves: dict[str, list[tuple[Matrix, pymupdf.Rect]]] = {}

    def scan(source: pymupdf.Document) -> pymupdf.Document:
        rng = _rng(variant, Path(source.name))
        scanned = pymupdf.open()
        moves[source.name] = []
        for page in source:
            stream, matrix = raster(page, rng)
            _image_page(scanned, page.rect.width, page.rect.height, stream)
            moves[source.name].append((matrix, page.rect))
        return scanned

    def truth(table_page: int, box: Box, source_name: str) -> Box:
        matrix, rect = moves[source_name][table_page - 1]
        return _clip(_corner_box(box, matrix), rect)

    return _copy(data, target, scan, truth)


def _photo(page: pymupdf.Page, rng: np.random.Generator) -> tuple[bytes, Matrix]:
    image = page.get_pixmap(dpi=int(rng.integers(150, 201)), alpha=False).pil_image()
    width, height = page.rect.width, page.rect.height
    corners = _corners(width, height)
    quad = _tilted_quad(width, height, rng)
    # Pillow samples the photo backwards: from its pixels to the page's pixels.
    pixels = np.array(image.size, dtype=float) / (width, height)
    back = _homography(quad * pixels, corners * pixels)
    desk = tuple(int(v) for v in rng.integers(70, 150) + rng.integers(-12, 13, 3))
    photo = image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        tuple((back / back[2, 2]).ravel()[:8]),
        Image.Resampling.BICUBIC,
        fillcolor=desk,
    )
    photo = _uneven_light(photo, rng).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.2))))
    return _encoded(photo, "JPEG", quality=60), _homography(corners, quad)


def _tilted_quad(width: float, height: float, rng: np.random.Generator) -> np.ndarray:
    """Where a photo taken up to 8 degrees off square puts the page's corners: each moved by up to
    half of tan(8 deg) of the shorter side (so an edge leans at most 8 degrees), then the whole
    shrunk about the centre to lie inside the frame with some desk around it."""
    reach = math.tan(math.radians(8)) * min(width, height) / 2
    centre = np.array([width / 2, height / 2])
    quad = _corners(width, height) + rng.uniform(-reach, reach, (4, 2)) - centre
    fit = min(1.0, float(np.min(centre / np.maximum(np.abs(quad), 1e-9))))
    return centre + quad * fit * rng.uniform(0.92, 1.0)


def _uneven_light(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """`image` with its brightness multiplied by a smooth field from a drawn 0.6-0.8 up to 1:
    a linear fall-off in a drawn direction mixed with a vignette around a drawn centre."""
    x = np.linspace(0, 1, image.width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, image.height, dtype=np.float32)[:, None]
    angle = rng.uniform(0, 2 * math.pi)
    linear = (x - 0.5) * math.cos(angle) + (y - 0.5) * math.sin(angle)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    field = rng.uniform(0.3, 0.7) * linear + (x - cx) ** 2 + (y - cy) ** 2
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    light = 1 - (1 - rng.uniform(0.6, 0.8)) * field
    pixels = np.asarray(image, dtype=np.float32) * light[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _lowres_scan(page: pymupdf.Page, rng: np.random.Generator) -> tuple[bytes, Matrix]:
    grey = page.get_pixmap(dpi=int(rng.integers(100, 151)), colorspace=pymupdf.csGRAY, alpha=False).pil_image()
    noisy = np.asarray(grey, dtype=np.float32) + rng.normal(0, 6, (grey.height, grey.width))
    angle = float(rng.uniform(-0.7, 0.7))
    scan = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).rotate(
        angle, Image.Resampling.BILINEAR, expand=False, fillcolor=255
    )
    turn = _turn(angle, page.rect.width / 2, page.rect.height / 2)
    if rng.random() < 0.5:
        # Thin grey strokes at 100 dpi vanish under a mid-grey threshold; keep them as ink.
        return _encoded(Image.fromarray(np.asarray(scan) > 170), "PNG"), turn
    return _encoded(scan, "JPEG", quality=70), turn


def _turn(angle: float, cx: float, cy: float) -> Matrix:
    """Pillow's `rotate(angle)` (counter-clockwise on screen, y down) about (cx, cy)."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy], [0, 0, 1]])


def _corners(width: float, height: float) -> np.ndarray:
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)


def _homography(source: np.ndarray, target: np.ndarray) -> Matrix:
    """The projective map taking the 4 points `source` onto the 4 points `target`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows), np.array(rhs)), 1.0).reshape(3, 3)


def _corner_box(box: Box, matrix: Matrix) -> Box:
    """The bounding box of `box`'s 4 corners taken through `matrix`."""
    x0, y0, x1, y1 = box
    points = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], dtype=float) @ matrix.T
    xy = points[:, :2] / points[:, 2:]
    return [float(v) for v in (*xy.min(axis=0), *xy.max(axis=0))]


def _clip(box: Box, rect: pymupdf.Rect) -> Box:
    return [max(box[0], rect.x0), max(box[1], rect.y0), min(box[2], rect.x1), min(box[3], rect.y1)]


def _moved_table(table: dict[str, Any], matrix: Matrix, page: pymupdf.Rect) -> dict[str, Any]:
    """A copy of `table` on page 1 of a new document: its boxes through `matrix` and clipped to
    `page`, a cell whose box falls wholly off the page left out."""

    def on_page(cell: dict[str, Any]) -> bool:
        if not cell.get("bbox"):
            return True
        x0, y0, x1, y1 = _corner_box(cell["bbox"], matrix)
        return x1 > page.x0 and x0 < page.x1 and y1 > page.y0 and y0 < page.y1

    moved = copy.deepcopy({**table, "page": 1, "cells": [c for c in table.get("cells", []) if on_page(c)]})
    _move_boxes(moved, lambda box: _clip(_corner_box(box, matrix), page))
    return moved


def _rng(variant: str, document: Path) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{variant}/{document.name}".encode()))


def _encoded(image: Image.Image, kind: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def _image_page(document: pymupdf.Document, width: float, height: float, stream: bytes) -> None:
    """A new page of `width` x `height` points at the end of `document`, holding the image."""
    page = document.new_page(width=width, height=height)
    page.insert_image(page.rect, stream=stream)


def _write_truth(path: Path, truth: dict[str, Any]) -> None:
    path.write_text(json.dumps(truth, indent=1))


VARIANTS: dict[str, Callable[[Path, Path], Path]] = {
    "image-only": image_only_copy,
    "rotate90": lambda data, target: rotated_copy(data, target, 90),
    "rotate180": lambda data, target: rotated_copy(data, target, 180),
    "rotate270": lambda data, target: rotated_copy(data, target, 270),
    "sideways": sideways_copy,
    "cropbox": cropbox_copy,
    "table-crop": table_crop_copy,
    "screenshot": lambda data, target: table_crop_copy(data, target, as_image=True),
    # A small screenshot: a table shown smaller than its print size (54-80 dpi: text lines of
    # 8-12 pixels), cut at its box with no margin, as the PNG itself.
    "small-screenshot": lambda data, target: table_crop_copy(data, target, as_image=True, dpi=(54, 80), margin=(0, 0)),
    "photo": photo_copy,
    "lowres-scan": lowres_scan_copy,
    "no-dpi": lambda data, target: png_page_copy(data, target, None),
    "absurd-dpi": lambda data, target: png_page_copy(data, target, 2400),
}


def _copy(
    data: Path,
    target: Path,
    transform: Callable[[pymupdf.Document], pymupdf.Document],
    truth_box: Callable[[int, Box, str], Box] | None = None,
) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for pdf in documents(data):
        truth_file = pdf.with_suffix(".json")
        with pymupdf.open(pdf) as document:
            transform(document).save(target / pdf.name, garbage=1, deflate=True)
        if truth_box is None:
            shutil.copyfile(truth_file, target / truth_file.name)
            continue
        truth: dict[str, Any] = json.loads(truth_file.read_text())
        for table in truth["tables"]:
            page = int(table["page"])
            _move_boxes(table, lambda box: truth_box(page, box, str(pdf)))  # noqa: B023 - used at once
        _write_truth(target / truth_file.name, truth)
    return target


def _move_boxes(table: dict[str, Any], move: Callable[[Box], Box]) -> None:
    """The table's box and its cells' boxes (where it has them) replaced by `move` of them."""
    if table.get("bbox"):
        table["bbox"] = move(table["bbox"])
    for cell in table.get("cells", []):
        if cell.get("bbox"):
            cell["bbox"] = move(cell["bbox"])
