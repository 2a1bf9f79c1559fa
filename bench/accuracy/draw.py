"""Pictures of pages: true and predicted tables (box and cell grid) drawn on the page, as PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymupdf

TRUTH_COLOUR = (0.0, 0.62, 0.2)  # green
PREDICTED_COLOUR = (0.85, 0.0, 0.45)  # magenta


def draw_page(
    pdf: Path,
    page_number: int,
    truth: list[dict[str, Any]],
    predicted: list[dict[str, Any]],
    out: Path,
    *,
    label: str = "",
    dpi: int = 110,
) -> Path:
    """Render page `page_number` (1-based) of `pdf` with the truth's tables in green and the
    prediction's in magenta: thick table boxes, thin cell boxes. Boxes are on the page as
    displayed; PyMuPDF draws in the unrotated frame. Writes `out` (PNG) and returns it."""
    with pymupdf.open(pdf) as opened:
        # A page image (PNG) is drawn on its PDF conversion, a page of the same size.
        document = opened if opened.is_pdf else pymupdf.open("pdf", opened.convert_to_pdf())
        page = document.load_page(page_number - 1)
        shape = page.new_shape()
        to_unrotated = page.derotation_matrix
        for tables, colour, dashes in ((truth, TRUTH_COLOUR, None), (predicted, PREDICTED_COLOUR, "[3] 0")):
            for table in tables:
                for cell in table.get("cells", []):
                    if cell.get("bbox"):
                        shape.draw_rect(pymupdf.Rect(cell["bbox"]) * to_unrotated)
                        shape.finish(color=colour, width=0.5, dashes=dashes)
                if table.get("bbox"):
                    shape.draw_rect(pymupdf.Rect(table["bbox"]) * to_unrotated)
                    shape.finish(color=colour, width=2.0, dashes=dashes)
        shape.commit()
        legend = f"green: truth ({len(truth)} table(s))   magenta, dashed: predicted ({len(predicted)})"
        if label:
            legend = f"{label}   {legend}"
        page.insert_text(
            pymupdf.Point(8, 12) * page.derotation_matrix, legend, fontsize=8, color=(0, 0, 0), rotate=page.rotation
        )
        pixmap = page.get_pixmap(dpi=dpi, alpha=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    pixmap.save(str(out))
    return out
