"""Every system's output turned into the scorer's JSON shape.

The shape (see shared/bench/README.md): `{"file", "bbox_units": "pdf_points_top_left",
"tables": [{"page", "bbox", "cells": [{"row", "col", "row_span", "col_span", "text", "bbox"}]}]}`
with boxes in PDF points, origin at the top-left of the page as displayed (PyMuPDF's `page.rect`:
rotated by /Rotate, from the CropBox's corner), pages 1-based. That is the frame docling's converter
gives its truth in, and the one the ICDAR 2013 truth's cells are in on its /Rotate pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

BBOX_UNITS = "pdf_points_top_left"
Box = tuple[float, float, float, float]


def prediction(file: str, tables: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A prediction document of the scorer's shape."""
    return {"file": file, "bbox_units": BBOX_UNITS, **extra, "tables": tables}


def _round(box: Iterable[float]) -> list[float]:
    return [round(float(v), 2) for v in box]


# --- doctables ----------------------------------------------------------------------------------
def from_result_document(file: str, result: dict[str, Any]) -> dict[str, Any]:
    """A doctables result document in the scorer's shape; its boxes are already on the page as
    displayed."""
    tables = []
    for table in result.get("tables", []):
        tables.append(
            {
                "page": int(table["page"]),
                "bbox": _round(table["bbox"]),
                "rows": table.get("rows"),
                "columns": table.get("columns"),
                "cells": [
                    {
                        "row": c["row"],
                        "col": c["col"],
                        "row_span": c.get("row_span", 1),
                        "col_span": c.get("col_span", 1),
                        "text": c.get("text", ""),
                        "bbox": _round(c["bbox"]),
                    }
                    for c in table.get("cells", [])
                ],
            }
        )
    failed = [p["page"] for p in result.get("page_results", []) if p.get("status") not in ("DONE", None)]
    # The turn the pipeline gave each page to read it (not read by the scorer; the failure
    # classes are counted on the pages turned upright).
    turns = {
        str(p["page"]): [p["width"], p["height"], int((p.get("decision") or {}).get("rotation_applied") or 0)]
        for p in result.get("page_results", [])
        if p.get("width") and (p.get("decision") or {}).get("rotation_applied")
    }
    return prediction(file, tables, status=result.get("status"), failed_pages=failed, page_turns=turns)


def page_turns(predicted: dict[str, Any]) -> dict[int, tuple[float, float, int]]:
    """{page: (width, height, turn)} from a doctables prediction's `page_turns`."""
    return {int(k): (float(v[0]), float(v[1]), int(v[2])) for k, v in predicted.get("page_turns", {}).items()}


# --- camelot ------------------------------------------------------------------------------------
def flip_box(box: Sequence[float], page_height: float, origin: tuple[float, float] = (0.0, 0.0)) -> Box:
    """A box in PDF user space (origin bottom-left, y up) as a top-left-origin box (y down).
    `origin` is the MediaBox's lower-left corner in user space, `page_height` its height."""
    x0, y0, x1, y1 = (float(v) for v in box)
    ox, oy = origin
    top = oy + page_height
    return (min(x0, x1) - ox, top - max(y0, y1), max(x0, x1) - ox, top - min(y0, y1))


def camelot_table(
    page: int,
    bbox: Sequence[float],
    grid: Sequence[Sequence[Any]],
    texts: Sequence[Sequence[str]],
    page_height: float,
    origin: tuple[float, float] = (0.0, 0.0),
    spans: bool = True,
) -> dict[str, Any]:
    """One camelot table in the scorer's shape.

    `grid[r][c]` is a camelot cell (attributes x1, y1, x2, y2 in PDF user space, bottom-left
    origin, and the edge flags left/right/top/bottom that tell where a ruling was found);
    `texts[r][c]` is the text camelot put there. With `spans`, a non-empty cell extends right
    (down) over empty cells while no ruling separates them, which is how lattice tables
    represent merged cells; stream tables have every edge open and get no spans."""
    rows = len(texts)
    cols = max((len(r) for r in texts), default=0)

    def text(r: int, c: int) -> str:
        return str(texts[r][c] or "").strip() if c < len(texts[r]) else ""

    cells = []
    for r in range(rows):
        for c in range(cols):
            value = text(r, c)
            if not value:
                continue
            col_span = row_span = 1
            if spans:
                while (
                    c + col_span < cols and not _edge(grid, r, c + col_span - 1, "right") and not text(r, c + col_span)
                ):
                    col_span += 1
                while (
                    r + row_span < rows
                    and not _edge(grid, r + row_span - 1, c, "bottom")
                    and all(not text(r + row_span, k) for k in range(c, c + col_span))
                ):
                    row_span += 1
            first, last = grid[r][c], grid[r + row_span - 1][c + col_span - 1]
            box = flip_box(
                (min(first.x1, last.x1), min(first.y1, last.y1), max(first.x2, last.x2), max(first.y2, last.y2)),
                page_height,
                origin,
            )
            cells.append(
                {"row": r, "col": c, "row_span": row_span, "col_span": col_span, "text": value, "bbox": _round(box)}
            )
    return {
        "page": page,
        "bbox": _round(flip_box(bbox, page_height, origin)),
        "rows": rows,
        "columns": cols,
        "cells": cells,
    }


def _edge(grid: Sequence[Sequence[Any]], r: int, c: int, side: str) -> bool:
    """Whether camelot found a ruling on `side` of cell (r, c); a missing cell counts as ruled."""
    try:
        return bool(getattr(grid[r][c], side))
    except (IndexError, AttributeError):
        return True


# --- PyMuPDF find_tables ------------------------------------------------------------------------
def pymupdf_table(
    page: int,
    bbox: Sequence[float],
    row_boxes: Sequence[Sequence[Any]],
    texts: Sequence[Sequence[Any]],
) -> dict[str, Any]:
    """One `page.find_tables()` table in the scorer's shape.

    `row_boxes[r][c]` is the cell box at row r, column c, or None where a merged cell from the
    left or above covers that position; `texts` is `table.extract()`. Spans follow from where each
    cell's box ends against the column and row starts. find_tables works on the displayed page,
    the scorer's frame."""
    tol = 1.0
    cols = max((len(r) for r in row_boxes), default=0)
    col_starts = []
    for c in range(cols):
        starts = [row[c][0] for row in row_boxes if c < len(row) and row[c] is not None]
        col_starts.append(min(starts) if starts else None)
    row_starts = []
    for row in row_boxes:
        starts = [b[1] for b in row if b is not None]
        row_starts.append(min(starts) if starts else None)

    cells = []
    for r, row in enumerate(row_boxes):
        for c, box in enumerate(row):
            if box is None:
                continue
            value = texts[r][c] if r < len(texts) and c < len(texts[r]) else None
            value = " ".join(str(value or "").split())
            if not value:
                continue
            col_span = 1 + sum(
                1 for k in range(c + 1, cols) if col_starts[k] is not None and col_starts[k] < box[2] - tol
            )
            row_span = 1 + sum(
                1 for k in range(r + 1, len(row_boxes)) if row_starts[k] is not None and row_starts[k] < box[3] - tol
            )
            cells.append(
                {"row": r, "col": c, "row_span": row_span, "col_span": col_span, "text": value, "bbox": _round(box)}
            )
    return {"page": page, "bbox": _round(bbox), "rows": len(row_boxes), "columns": cols, "cells": cells}
