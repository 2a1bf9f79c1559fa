"""One page in, its tables out: text-layer check and OCR where needed, then table assembly.

The table stage and doctables.extract() both call `find_page_tables`, so a scanned or rotated
page is handled the same way in the pipeline and in process."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .assemble import extract_tables
from .geometry import Box
from .layout import PageLayout
from .models import load_models
from .ocr import PageDecision, prepare_page
from .settings import Settings
from .tables import CellWord, Table


def find_page_tables(image: np.ndarray, layout: PageLayout, settings: Settings) -> tuple[list[Table], PageDecision]:
    """The tables of a rendered page (boxes on the page as rendered) and what was decided
    about its text layer, orientation and OCR."""
    models = load_models(settings)

    def table_regions(upright: np.ndarray) -> list[Box]:
        return [d.box for d in models.detector.detect(upright)]

    upright_image, upright_layout, decision = prepare_page(image, layout, settings, table_regions)
    tables = extract_tables(upright_image, upright_layout, models)
    if decision.rotation_applied or decision.skew:
        tables = [_to_rendered_frame(t, decision, upright_layout, layout) for t in tables]
    return tables, decision


def _to_rendered_frame(table: Table, decision: PageDecision, upright: PageLayout, rendered: PageLayout) -> Table:
    """Map a table found on the upright page back onto the page as rendered (and stored)."""

    def back(box: Box) -> Box:
        return decision.original_box(box, upright.width, upright.height)

    cells = [
        replace(cell, bbox=back(cell.bbox), words=[CellWord(w.text, back(w.bbox), w.confidence) for w in cell.words])
        for cell in table.cells
    ]
    return replace(
        table, bbox=back(table.bbox), page_width=rendered.width, page_height=rendered.height, cells=cells
    )


def decision_record(decision: PageDecision) -> dict[str, object]:
    """The decision as stored on the page item and in the result's page entry."""
    return {
        "text_layer": decision.text_layer,
        "ocr": decision.ocr,
        "rotation_applied": decision.rotation_applied,
        "skew": round(decision.skew, 3),
        "reason": decision.reason,
    }
