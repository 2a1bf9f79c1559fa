"""One page in, its tables out: text-layer check and OCR where needed, then table assembly.

The table stage and doctables.extract() both call `find_page_tables`, so a scanned or rotated
page is handled the same way in the pipeline and in process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from doctables.detect.regions import regions_to_read
from doctables.geometry import Box
from doctables.grid.text import without_trailing_leaders
from doctables.model.layout import PageLayout, Word
from doctables.model.tables import CellWord, Table
from doctables.models import load_models
from doctables.models.detection import Detection, TableDetector
from doctables.page.assemble import extract_tables
from doctables.recognise.cell_ink import read_empty_cells
from doctables.recognise.dashes import nil_dashes
from doctables.recognise.ocr_models import load_ocr_models
from doctables.recognise.quotes import typographic_quotes
from doctables.recognise.separators import consistent_currency, consistent_separators
from doctables.recognise.page_text import PageDecision, prepare_page
from doctables.settings import Settings


@dataclass(frozen=True)
class FoundPage:
    """What one page gave: its tables, the decision about its text, and its words (the text
    layer's, and those OCR read), boxes on the page as rendered."""

    tables: list[Table]
    decision: PageDecision
    words: list[Word]


def find_page_tables(image: np.ndarray, layout: PageLayout, settings: Settings) -> tuple[list[Table], PageDecision]:
    """The tables of a rendered page (boxes on the page as rendered) and what was decided
    about its text layer, orientation and OCR."""
    found = find_page(image, layout, settings)
    return found.tables, found.decision


def find_page(image: np.ndarray, layout: PageLayout, settings: Settings, *, tables: bool = True) -> FoundPage:
    """The page's tables, decision and words. With `tables=False` only its text is read: the
    text layer where it is usable, else OCR of the whole page; no table model runs."""
    if not tables:
        text_settings = settings.with_overrides(ocr_full_page=True)
        _upright, upright_layout, decision = prepare_page(image, layout, text_settings, lambda _image: [])
        return FoundPage([], decision, _rendered_words(decision, upright_layout, layout))
    found_tables, decision, upright_layout = _find_tables(image, layout, settings)
    return FoundPage(found_tables, decision, _rendered_words(decision, upright_layout, layout))


def _rendered_words(decision: PageDecision, upright: PageLayout, rendered: PageLayout) -> list[Word]:
    """The upright page's words on the page as rendered: the text layer's as they came, OCR's
    mapped back through the turn, warp and deskew."""
    if not decision.ocr:
        return list(rendered.words)
    if not decision.moved:
        return list(upright.words)
    return [replace(w, bbox=decision.original_box(w.bbox, upright.width, upright.height), turn=0)
            for w in upright.words]


def _find_tables(image: np.ndarray, layout: PageLayout, settings: Settings
                 ) -> tuple[list[Table], PageDecision, PageLayout]:
    models = load_models(settings)
    # On a page image the regions to read and the regions to build tables from come from the
    # same upright image: one detection serves both.
    detector = _OnePageDetector(models.detector)
    models = replace(models, detector=detector)

    def table_regions(upright: np.ndarray) -> list[Box]:
        detector.pooled = True  # only pages read with OCR come here: both input views
        return regions_to_read(upright, detector)

    upright_image, upright_layout, decision = prepare_page(image, layout, settings, table_regions)
    tables = extract_tables(upright_image, upright_layout, models, read_from_image=decision.ocr)
    if decision.ocr and tables:
        ocr_models = load_ocr_models(settings)
        points_per_pixel = upright_layout.width / upright_image.shape[1]
        tables = [read_empty_cells(t, upright_image, points_per_pixel, ocr_models) for t in tables]
        tables = [
            nil_dashes(typographic_quotes(_without_leader_dots(consistent_currency(consistent_separators(t)))))
            for t in tables
        ]
    if decision.moved:
        tables = [_to_rendered_frame(t, decision, upright_layout, layout) for t in tables]
    return tables, decision, upright_layout


def _without_leader_dots(table: Table) -> Table:
    """An OCR'd table with the dot leaders read at the ends of its labels ("days. . .") left
    out of their text: read off an image they are stray dots, not the document's characters
    (a text layer's leaders stay as the document has them)."""
    cells = [replace(c, text=without_trailing_leaders(c.text)) for c in table.cells]
    return replace(table, cells=cells)


class _OnePageDetector:
    """The table detector with its last answer kept: asked again about the same image with
    the same labels and threshold, it answers without running the model. `pooled` asks for
    both input views (pages read with OCR)."""

    def __init__(self, detector: TableDetector) -> None:
        self.detector = detector
        self.threshold = detector.threshold
        self._image: np.ndarray | None = None  # held, so that its identity cannot be reused
        self._asked: tuple[tuple[str, ...], float, bool] | None = None
        self.pooled = False
        self._answer: dict[str, list[Detection]] = {}

    def detect_regions(self, image: np.ndarray, labels: Sequence[str], threshold: float) -> dict[str, list[Detection]]:
        asked = (tuple(labels), threshold, self.pooled)
        if image is not self._image or asked != self._asked:
            self._image, self._asked = image, asked
            self._answer = self.detector.detect_regions(image, labels, threshold, self.pooled)
        return self._answer


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
