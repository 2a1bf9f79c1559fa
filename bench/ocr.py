"""Scanned versions of the bundled sample, the character error rate of OCR'd tables against
its truth, and the time OCR takes per page.

    python -m bench.ocr            # CER over a few noise seeds, then ms per page
    python -m bench.ocr harsh      # CER of poorer scans (150 dpi, noise sigma 25)

Scans are made like a flatbed would: the sample rasterised at 200 dpi in grey, turned by a
small angle, with Gaussian noise and dark specks; saved as an image-only PDF or a
multi-page TIFF. (PyMuPDF and Pillow only; imported here, not by the table stage.)
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.pdf"
TRUTH = ROOT / "examples" / "sample.truth.json"
# Skews (degrees, page 1 and page 2) of the scans made for each seed.
SEED_SKEWS = [(0.7, -0.6), (0.3, -0.1), (-0.9, 1.0), (-0.5, 0.4), (1.0, 0.8), (0.0, -1.0)]


def scanned_sample(
    skews: Iterable[float] = (0.7, -0.6), dpi: int = 200, noise: float = 12.0, seed: int = 0
) -> list[Image.Image]:
    """Grey page images of the sample, page i turned counter-clockwise by skews[i] degrees."""
    import pymupdf

    rng = np.random.default_rng(seed)
    images = []
    with pymupdf.open(SAMPLE) as document:
        for page, skew in zip(document, skews):
            pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
            image = image.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
            pixels = np.asarray(image).astype(np.float32)
            pixels += rng.normal(0.0, noise, pixels.shape)
            pixels[rng.random(pixels.shape) < 0.0005] = 0.0
            images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    return images


def image_only_pdf(images: list[Image.Image], width: float = 612.0, height: float = 792.0) -> bytes:
    """A PDF whose pages are only the images (no text layer)."""
    import pymupdf

    document = pymupdf.open()
    for image in images:
        buffer = io.BytesIO()
        image.copy().save(buffer, format="PNG")  # a copy: saving sets encoder state on the image
        page = document.new_page(width=width, height=height)
        page.insert_image(page.rect, stream=buffer.getvalue())
    return document.tobytes()


def multipage_tiff(images: list[Image.Image], dpi: int = 200) -> bytes:
    buffer = io.BytesIO()
    frames = [image.copy() for image in images]
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(dpi, dpi))
    return buffer.getvalue()


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cell_errors(truth: dict, cells: dict[tuple[int, int], str]) -> tuple[int, int]:
    """(edit distance, truth characters) over a table's cells, matched by (row, col); a
    missing cell counts all its characters."""
    errors = chars = 0
    for cell in truth["cells"]:
        expected = cell["text"]
        errors += levenshtein(expected, cells.get((cell["row"], cell["col"]), ""))
        chars += len(expected)
    return errors, chars


def run_scan(data: bytes, filetype: str, settings, table_models=None, regions=None):
    """prepare_page + extract_tables on every page of a scanned document: a list of
    (decision, layout, tables, seconds in prepare_page) per page."""
    import pymupdf

    from doctables.convert.render import render_page
    from doctables.models import load_models
    from doctables.models.image import decode_image
    from doctables.page.assemble import extract_tables
    from doctables.recognise.page_text import prepare_page

    table_models = table_models or load_models(settings)
    if regions is None:
        def regions(image):
            return [d.box for d in table_models.detector.detect(image)]
    results = []
    with pymupdf.open(stream=data, filetype=filetype) as document:
        for page in document:
            rendered = render_page(page, page.number + 1, settings.dpi)
            image = decode_image(rendered.png)
            start = time.perf_counter()
            upright, layout, decision = prepare_page(image, rendered.layout, settings, regions)
            seconds = time.perf_counter() - start
            results.append((decision, layout, extract_tables(upright, layout, table_models), seconds))
    return results


def main(argv: list[str] | None = None) -> None:
    import sys

    from doctables.settings import Settings

    parts = set(sys.argv[1:] if argv is None else argv) or {"cer", "time"}

    if "cer" in parts:
        report_cer(Settings())
    if "harsh" in parts:  # a poorer scanner: 150 dpi, twice the noise
        report_cer(Settings(), dpi=150, noise=25.0)
    if "time" in parts:
        report_time()


def report_cer(settings, seeds: int = 6, dpi: int = 200, noise: float = 12.0) -> None:
    truth = json.loads(TRUTH.read_text())
    print(
        f"CER of OCR'd table cells against the born-digital truth (scans at {dpi} dpi, noise "
        f"sigma {noise:g}; image-only PDF rendered at {settings.dpi} dpi)"
    )
    total_errors = total_chars = 0
    for seed in range(seeds):
        images = scanned_sample(skews=SEED_SKEWS[seed % len(SEED_SKEWS)], dpi=dpi, noise=noise, seed=seed)
        errors = chars = 0
        grids = []
        for (decision, _, tables, _), expected in zip(run_scan(image_only_pdf(images), "pdf", settings), truth["tables"]):
            if not tables:
                grids.append(False)
                e, c = cell_errors(expected, {})
            else:
                table = tables[0]
                grids.append(
                    {(c.row, c.col, c.row_span, c.col_span) for c in table.cells}
                    == {(c["row"], c["col"], c["row_span"], c["col_span"]) for c in expected["cells"]}
                )
                got = {(cell.row, cell.col): cell.text for cell in table.cells}
                e, c = cell_errors(expected, got)
                wrong = [
                    (cell["text"], got.get((cell["row"], cell["col"])))
                    for cell in expected["cells"]
                    if got.get((cell["row"], cell["col"])) != cell["text"]
                ]
                if wrong:
                    print(f"    page {expected['page']}: {wrong}")
            errors += e
            chars += c
        total_errors += errors
        total_chars += chars
        print(f"  seed {seed}: CER {errors}/{chars} = {errors / chars:.2%}, same grid: {grids}")
    print(f"  all: CER {total_errors}/{total_chars} = {total_errors / total_chars:.2%}")


def report_time() -> None:
    from doctables.settings import Settings

    images = scanned_sample()
    data = image_only_pdf(images)
    print("OCR time per page (prepare_page: decision, orientation, deskew, detection, recognition;")
    print("the table detector's own run for the regions is included), mean of the sample's 2 pages")
    for threads in (1, 2):
        for full in (False, True):
            s = Settings(model_threads=threads, ocr_full_page=full)
            run_scan(data, "pdf", s)  # warm: sessions created, first-run allocations done
            times = []
            for _ in range(2):
                times += [r[3] for r in run_scan(data, "pdf", s)]
            words = [len(r[1].words) for r in run_scan(data, "pdf", s)]
            print(
                f"  threads={threads} {'full page   ' if full else 'table region'}: "
                f"{1000 * float(np.mean(times)):.0f} ms/page (min {1000 * min(times):.0f}), words/page {words}"
            )


if __name__ == "__main__":
    main()
