"""The systems the accuracy benchmark compares: doctables through its whole local pipeline, and
the baselines PyMuPDF `find_tables()` and camelot (lattice, stream)."""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import shapes

DOCTABLES = "doctables"
BASELINES = ("pymupdf", "camelot-lattice", "camelot-stream")


@dataclass
class SystemRun:
    """What one system produced over the data set, and how long it took."""

    name: str
    predictions: dict[str, dict[str, Any]]  # document stem -> prediction in the scorer's shape
    seconds: float
    pages: int
    errors: dict[str, str] = field(default_factory=dict)  # document stem -> error

    @property
    def ms_per_page(self) -> float:
        return 1000.0 * self.seconds / self.pages if self.pages else 0.0


def page_count(pdfs: list[Path]) -> int:
    """Pages in all of `pdfs`."""
    import pymupdf

    total = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as document:
            total += document.page_count
    return total


def run_doctables(pdfs: list[Path], timeout: float = 3600.0, progress: bool = False) -> SystemRun:
    """All documents through the local pipeline (moto S3 -> conversion -> SQS -> table stage ->
    DynamoDB -> result JSON -> EventBridge) in one run, as a user of `doctables run` would."""
    from doctables.local.run import run_files

    start = time.perf_counter()
    results = run_files(list(pdfs), timeout=timeout, progress=progress)
    seconds = time.perf_counter() - start
    predictions, errors = {}, {}
    for pdf, result in zip(pdfs, results, strict=True):
        predictions[pdf.stem] = shapes.from_result_document(pdf.name, result)
        if result.get("status") != "SUCCEEDED":
            errors[pdf.stem] = f"job {result.get('status')}: {result.get('error')}"
        elif result.get("pages", {}).get("failed"):
            errors[pdf.stem] = f"{result['pages']['failed']} page(s) failed"
    return SystemRun(DOCTABLES, predictions, seconds, page_count(pdfs), errors)


def pymupdf_document(pdf: Path) -> dict[str, Any]:
    """PyMuPDF's rule-based `page.find_tables()` on every page of one document."""
    import pymupdf

    tables = []
    with pymupdf.open(pdf) as document:
        for page in document:
            # find_tables prints a hint about pymupdf_layout on stdout; keep the report clean.
            with contextlib.redirect_stdout(io.StringIO()):
                found = page.find_tables().tables
            for table in found:
                tables.append(
                    shapes.pymupdf_table(
                        page.number + 1,
                        table.bbox,
                        [row.cells for row in table.rows],
                        table.extract(),
                    )
                )
    return shapes.prediction(pdf.name, tables)


def camelot_document(pdf: Path, flavor: str) -> dict[str, Any]:
    """camelot (`lattice` or `stream`) on every page of one document; its boxes are PDF user
    space with the origin at the bottom-left, flipped here to the top-left frame."""
    import logging

    import camelot
    import pymupdf

    logging.getLogger("playa").setLevel(logging.ERROR)  # font-encoding notes on stderr, per file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No tables found on page-N" and the like
        found = camelot.read_pdf(str(pdf), pages="all", flavor=flavor)
    boxes = {}
    with pymupdf.open(pdf) as document:
        for page in document:
            media = page.mediabox  # PDF user space, as camelot reads it
            boxes[page.number + 1] = (media.height, (media.x0, media.y0))
    tables = []
    for table in found:
        page = int(table.page)
        height, origin = boxes[page]
        texts = table.df.values.tolist()
        tables.append(
            shapes.camelot_table(page, table._bbox, table.cells, texts, height, origin, spans=flavor == "lattice")
        )
    return shapes.prediction(pdf.name, tables)


def run_per_document(name: str, pdfs: list[Path], extract: Callable[[Path], dict[str, Any]]) -> SystemRun:
    """Run a per-document extractor over the data set; a document that raises predicts nothing."""
    predictions, errors = {}, {}
    start = time.perf_counter()
    for pdf in pdfs:
        try:
            predictions[pdf.stem] = extract(pdf)
        except Exception as exc:  # noqa: BLE001 - one document failing must not stop the benchmark
            errors[pdf.stem] = f"{type(exc).__name__}: {exc}"
            predictions[pdf.stem] = shapes.prediction(pdf.name, [])
    return SystemRun(name, predictions, time.perf_counter() - start, page_count(pdfs), errors)


def run_baseline(name: str, pdfs: list[Path]) -> SystemRun:
    """One baseline by name."""
    if name == "pymupdf":
        return run_per_document(name, pdfs, pymupdf_document)
    if name in ("camelot-lattice", "camelot-stream"):
        flavor = name.split("-", 1)[1]
        return run_per_document(name, pdfs, lambda pdf: camelot_document(pdf, flavor))
    raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


def baseline_available(name: str) -> str | None:
    """None when the baseline can run here, else why not."""
    if name.startswith("camelot"):
        try:
            import camelot  # noqa: F401
        except ImportError as exc:
            return f"camelot is not installed ({exc}); pip install -r bench/requirements.txt"
    return None
