"""Conversion speed: PyMuPDF rendering to PNG (as the pipeline stores pages) against poppler's
pdftoppm at the same resolution, in one interleaved run; and PyMuPDF's full conversion step per
page (PNG plus words plus rules, `doctables.convert.render.render_page`)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymupdf

from doctables.convert.render import render_page

METHODS = ("pymupdf_png", "pdftoppm_png", "pymupdf_render_page")


def pymupdf_png(pdf: Path, dpi: int, out_dir: Path) -> int:
    """Render every page to PNG files with PyMuPDF, exactly as conversion renders (RGB, no alpha)."""
    with pymupdf.open(stream=pdf.read_bytes(), filetype="pdf") as document:
        for page in document:
            pixmap = page.get_pixmap(dpi=dpi, alpha=False, colorspace=pymupdf.csRGB)
            (out_dir / f"m-{page.number + 1:05d}.png").write_bytes(pixmap.tobytes("png"))
        return document.page_count


def pymupdf_render_page(pdf: Path, dpi: int, out_dir: Path) -> int:
    """The conversion step per page: PNG, words and rules (what the conversion function stores)."""
    with pymupdf.open(stream=pdf.read_bytes(), filetype="pdf") as document:
        for page in document:
            rendered = render_page(page, page.number + 1, dpi)
            (out_dir / f"r-{page.number + 1:05d}.png").write_bytes(rendered.png)
            (out_dir / f"r-{page.number + 1:05d}.json").write_text(rendered.layout.to_json())
        return document.page_count


def pdftoppm_png(pdf: Path, dpi: int, out_dir: Path) -> int:
    """poppler's pdftoppm over the whole document: `pdftoppm -r DPI -png FILE PREFIX`."""
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_dir / "p")],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return len(list(out_dir.glob("p-*.png")))


RUNNERS: dict[str, Callable[[Path, int, Path], int]] = {
    "pymupdf_png": pymupdf_png,
    "pdftoppm_png": pdftoppm_png,
    "pymupdf_render_page": pymupdf_render_page,
}


def interleaved_order(methods: tuple[str, ...], round_index: int, document_index: int) -> list[str]:
    """The methods in a rotated order, so that each goes first, second, ... equally often over
    documents and rounds (fair against a machine whose speed drifts)."""
    shift = (round_index + document_index) % len(methods)
    return list(methods[shift:]) + list(methods[:shift])


def benchmark(pdfs: list[Path], dpi: int, rounds: int = 3, methods: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Time every method over every document, interleaved, `rounds` times; pages per second each,
    and the PyMuPDF / pdftoppm ratio."""
    methods = methods or tuple(m for m in METHODS if m != "pdftoppm_png" or shutil.which("pdftoppm"))
    seconds = {m: 0.0 for m in methods}
    pages = {m: 0 for m in methods}
    png_bytes = {m: 0 for m in methods}
    with tempfile.TemporaryDirectory(prefix="bench-conversion-") as tmp:
        for r in range(rounds):
            for d, pdf in enumerate(pdfs):
                for method in interleaved_order(methods, r, d):
                    out = Path(tmp) / method
                    out.mkdir()
                    start = time.perf_counter()
                    pages[method] += RUNNERS[method](pdf, dpi, out)
                    seconds[method] += time.perf_counter() - start
                    png_bytes[method] += sum(f.stat().st_size for f in out.glob("*.png"))
                    shutil.rmtree(out)
    result: dict[str, Any] = {"dpi": dpi, "rounds": rounds, "documents": len(pdfs), "methods": {}}
    for m in methods:
        result["methods"][m] = {
            "pages": pages[m],
            "seconds": round(seconds[m], 3),
            "pages_per_second": round(pages[m] / seconds[m], 2) if seconds[m] else None,
            "ms_per_page": round(1000 * seconds[m] / pages[m], 2) if pages[m] else None,
            "mean_png_kb": round(png_bytes[m] / pages[m] / 1024, 1) if pages[m] else None,
        }
    if "pdftoppm_png" in methods:
        ours = result["methods"]["pymupdf_png"]["pages_per_second"]
        theirs = result["methods"]["pdftoppm_png"]["pages_per_second"]
        result["pymupdf_over_pdftoppm"] = round(ours / theirs, 2) if ours and theirs else None
    else:
        result["pdftoppm_missing"] = "pdftoppm not found: apt-get install poppler-utils"
    return result
