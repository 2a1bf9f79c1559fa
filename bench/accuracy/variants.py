"""Transformed copies of a benchmark directory, each with its ground truth carried over, to
score what the dev set does not show: scans (no text layer), pages turned by /Rotate, content
turned sideways on a landscape page, and a CropBox inside the MediaBox.

Every variant writes `<doc>.pdf` and `<doc>.json` into a target folder, the truth's boxes moved
with the page onto the page as displayed (PyMuPDF's `page.rect`), the scorer's frame."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymupdf

Box = list[float]


def image_only_copy(data: Path, target: Path, dpi: int = 200) -> Path:
    """Write `<doc>.pdf` as pages that hold only their grey rendering at `dpi` (same page size,
    so the ground truth's boxes still apply) with `<doc>.json` beside it; returns `target`."""

    def scan(source: pymupdf.Document) -> pymupdf.Document:
        scanned = pymupdf.open()
        for page in source:
            pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            out = scanned.new_page(width=page.rect.width, height=page.rect.height)
            out.insert_image(out.rect, stream=pixmap.tobytes("png"))
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


VARIANTS: dict[str, Callable[[Path, Path], Path]] = {
    "image-only": image_only_copy,
    "rotate90": lambda data, target: rotated_copy(data, target, 90),
    "rotate180": lambda data, target: rotated_copy(data, target, 180),
    "rotate270": lambda data, target: rotated_copy(data, target, 270),
    "sideways": sideways_copy,
    "cropbox": cropbox_copy,
}


def _copy(
    data: Path,
    target: Path,
    transform: Callable[[pymupdf.Document], pymupdf.Document],
    truth_box: Callable[[int, Box, str], Box] | None = None,
) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(data.glob("*.pdf")):
        truth_file = pdf.with_suffix(".json")
        if not truth_file.is_file():
            continue
        with pymupdf.open(pdf) as document:
            transform(document).save(target / pdf.name, garbage=1)
        if truth_box is None:
            shutil.copyfile(truth_file, target / truth_file.name)
            continue
        truth: dict[str, Any] = json.loads(truth_file.read_text())
        for table in truth["tables"]:
            page = int(table["page"])
            if table.get("bbox"):
                table["bbox"] = truth_box(page, table["bbox"], str(pdf))
            for cell in table.get("cells", []):
                if cell.get("bbox"):
                    cell["bbox"] = truth_box(page, cell["bbox"], str(pdf))
        (target / truth_file.name).write_text(json.dumps(truth, indent=1))
    return target
