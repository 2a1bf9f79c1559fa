"""Image-only copies of a benchmark directory: every page rasterised, no text layer left."""

from __future__ import annotations

import shutil
from pathlib import Path

import pymupdf


def image_only_copy(data: Path, target: Path, dpi: int = 200) -> Path:
    """Write `<doc>.pdf` as pages that hold only their grey rendering at `dpi` (same page size,
    so the ground truth's boxes still apply) with `<doc>.json` beside it; returns `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(data.glob("*.pdf")):
        truth = pdf.with_suffix(".json")
        if not truth.is_file():
            continue
        scanned = pymupdf.open()
        with pymupdf.open(pdf) as document:
            for page in document:
                pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
                out = scanned.new_page(width=page.rect.width, height=page.rect.height)
                out.insert_image(out.rect, stream=pixmap.tobytes("png"))
        scanned.save(target / pdf.name)
        shutil.copyfile(truth, target / truth.name)
    return target
