"""Scanned documents through the whole pipeline: image-only PDF, multi-page TIFF, a rotated scan."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bench.ocr import cell_errors, image_only_pdf, multipage_tiff, scanned_sample
from doctables.local.stack import LocalStack

MAX_CER = 0.02  # measured 0.09% over six scans (bench/ocr.py); see tests/recognise/test_ocr.py


@pytest.fixture(scope="module")
def scans():
    return scanned_sample()


def _run(stack, data: bytes, name: str) -> dict:
    key = stack.upload(data, name)
    stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=300)
    return stack.result(stack.event_for_key(key)["detail"]["job_id"])


def _grid(table: dict) -> set[tuple[int, int, int, int]]:
    return {(c["row"], c["col"], c["row_span"], c["col_span"]) for c in table["cells"]}


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_scans_give_the_born_digital_tables(kind, scans, sample_truth):
    data = image_only_pdf(scans) if kind == "pdf" else multipage_tiff(scans)
    with LocalStack() as stack:
        result = _run(stack, data, f"scan.{kind}")
    assert result["status"] == "SUCCEEDED"
    assert [p["decision"]["text_layer"] for p in result["page_results"]] == ["absent", "absent"]
    assert all(p["decision"]["ocr"] for p in result["page_results"])
    assert len(result["tables"]) == 2
    errors = characters = 0
    for table, truth in zip(result["tables"], sample_truth["tables"]):
        assert _grid(table) == _grid(truth)
        e, n = cell_errors(truth, {(c["row"], c["col"]): c["text"] for c in table["cells"]})
        errors, characters = errors + e, characters + n
    assert errors / characters <= MAX_CER, f"CER {errors}/{characters}"


def test_rotated_scan_gives_the_upright_result_in_its_own_frame(scans, sample_truth):
    upright_page = scans[0]
    turned_page = upright_page.rotate(90, expand=True)  # counter-clockwise: the scan lies on its side
    with LocalStack() as stack:
        upright = _run(stack, _png(upright_page), "upright.png")
        turned = _run(stack, _png(turned_page), "turned.png")
    (a,), (b,) = upright["tables"], turned["tables"]
    assert {(c["row"], c["col"], c["text"]) for c in a["cells"]} == {(c["row"], c["col"], c["text"]) for c in b["cells"]}
    assert turned["page_results"][0]["decision"]["rotation_applied"] in (90, 270)
    # The table's box is reported on the page as uploaded (lying on its side): it is taller than wide.
    x0, y0, x1, y1 = b["bbox"]
    assert (y1 - y0) > (x1 - x0)
    assert b["page_width"] == pytest.approx(upright["page_results"][0]["height"], rel=0.01)


def test_born_digital_pages_are_not_ocrd(sample_bytes):
    with LocalStack() as stack:
        result = _run(stack, sample_bytes, "digital.pdf")
    assert [p["decision"]["text_layer"] for p in result["page_results"]] == ["usable", "usable"]
    assert not any(p["decision"]["ocr"] for p in result["page_results"])


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()
