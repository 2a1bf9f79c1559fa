"""The benchmark harness's own logic (bench/): shape conversions, failure classes, scoring glue,
cost arithmetic. Fast, on tiny synthetic inputs; no timing assertions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pymupdf
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import SHARED_BENCH, documents, find_scorer, load_scorer
from bench.accuracy import failures, scoring, shapes
from bench.speed import conversion, cost, prices
from bench.speed.table_stage import percentile, summary

SCORER = SHARED_BENCH / "score.py"
needs_scorer = pytest.mark.skipif(not SCORER.is_file(), reason="shared/bench/score.py is not beside the repo")


# --- doctables result document -> scorer shape ---------------------------------------------------
def _result_doc(page_box: tuple, cell_box: tuple, width: float, height: float, rotation: int) -> dict:
    return {
        "status": "SUCCEEDED",
        "pages": {"total": 2, "done": 1, "failed": 1},
        "page_results": [
            {"page": 1, "status": "DONE", "width": width, "height": height, "rotation": rotation},
            {"page": 2, "status": "FAILED", "width": None, "height": None, "rotation": None},
        ],
        "tables": [
            {
                "table_id": "0001-01",
                "page": 1,
                "bbox": list(page_box),
                "rows": 1,
                "columns": 1,
                "page_width": width,
                "page_height": height,
                "cells": [
                    {
                        "row": 0,
                        "col": 0,
                        "row_span": 1,
                        "col_span": 1,
                        "text": "a b",
                        "bbox": list(cell_box),
                        "confidence": 1.0,
                        "is_header": False,
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_result_document_boxes_stay_on_the_page_as_displayed(rotation):
    """The scorer's frame is PyMuPDF's page.rect (docling's converter's frame; the ICDAR truth's
    cells on /Rotate pages): the pipeline's own boxes, unchanged."""
    document = pymupdf.open()
    page = document.new_page(width=600, height=800)
    page.set_rotation(rotation)
    table = pymupdf.Rect(50, 100, 300, 200) * page.rotation_matrix  # as displayed
    cell = pymupdf.Rect(60, 110, 120, 130) * page.rotation_matrix
    result = _result_doc(tuple(table), tuple(cell), page.rect.width, page.rect.height, rotation)

    predicted = shapes.from_result_document("x.pdf", result)

    assert predicted["bbox_units"] == "pdf_points_top_left" and predicted["file"] == "x.pdf"
    [t] = predicted["tables"]
    assert t["page"] == 1
    assert t["bbox"] == pytest.approx(list(table), abs=0.01)
    assert t["cells"][0]["bbox"] == pytest.approx(list(cell), abs=0.01)
    assert {k: t["cells"][0][k] for k in ("row", "col", "row_span", "col_span", "text")} == {
        "row": 0,
        "col": 0,
        "row_span": 1,
        "col_span": 1,
        "text": "a b",
    }
    assert predicted["failed_pages"] == [2]


# --- camelot --------------------------------------------------------------------------------------
def test_flip_box_turns_bottom_left_origin_into_top_left():
    assert shapes.flip_box((100, 600, 200, 700), 792) == (100, 92, 200, 192)
    # corners in any order, and a MediaBox that does not start at (0, 0)
    assert shapes.flip_box((200, 700, 100, 600), 792, origin=(10, 20)) == (90, 112, 190, 212)


def _camelot_grid(col_x: list[float], row_y: list[float], open_right=(), open_bottom=()):
    """Cells of a camelot-like grid; row_y from the top (largest y) down, in PDF user space."""
    grid = []
    for r in range(len(row_y) - 1):
        row = []
        for c in range(len(col_x) - 1):
            row.append(
                SimpleNamespace(
                    x1=col_x[c],
                    x2=col_x[c + 1],
                    y1=row_y[r + 1],
                    y2=row_y[r],
                    left=True,
                    top=True,
                    right=(r, c) not in open_right,
                    bottom=(r, c) not in open_bottom,
                )
            )
        grid.append(row)
    return grid


def test_camelot_lattice_table_flips_boxes_and_rebuilds_merged_cells():
    grid = _camelot_grid([100, 200, 300, 400], [700, 680, 660, 640], open_right={(0, 0)}, open_bottom={(1, 2)})
    texts = [["Header", "", "C"], ["a", "b", "tall"], ["x", "y", ""]]

    table = shapes.camelot_table(3, (100, 640, 400, 700), grid, texts, page_height=792)

    assert table["page"] == 3 and table["bbox"] == [100, 92, 400, 152]
    cells = {(c["row"], c["col"]): c for c in table["cells"]}
    assert (cells[0, 0]["row_span"], cells[0, 0]["col_span"]) == (1, 2)
    assert cells[0, 0]["bbox"] == [100, 92, 300, 112]
    assert (cells[1, 2]["row_span"], cells[1, 2]["col_span"]) == (2, 1)
    assert cells[1, 2]["bbox"] == [300, 112, 400, 152]
    assert (0, 1) not in cells and (2, 2) not in cells  # empty cells are left out
    assert cells[1, 1] == {"row": 1, "col": 1, "row_span": 1, "col_span": 1, "text": "b", "bbox": [200, 112, 300, 132]}


def test_camelot_stream_table_gets_no_spans():
    grid = _camelot_grid([100, 200, 300], [700, 680], open_right={(0, 0)})
    table = shapes.camelot_table(1, (100, 680, 300, 700), grid, [["A", ""]], page_height=792, spans=False)
    assert [(c["col"], c["col_span"]) for c in table["cells"]] == [(0, 1)]


def test_merged_cell_does_not_swallow_a_neighbour_with_text():
    grid = _camelot_grid([0, 10, 20], [100, 90], open_right={(0, 0)})
    table = shapes.camelot_table(1, (0, 90, 20, 100), grid, [["A", "B"]], page_height=100)
    assert [(c["text"], c["col_span"]) for c in table["cells"]] == [("A", 1), ("B", 1)]


# --- PyMuPDF find_tables --------------------------------------------------------------------------
def test_pymupdf_table_spans_follow_the_covered_positions():
    rows = [
        [(0, 0, 20, 10), None, (20, 0, 30, 10)],  # first cell spans two columns
        [(0, 10, 10, 30), (10, 10, 20, 20), (20, 10, 30, 20)],  # first cell spans two rows
        [None, (10, 20, 20, 30), (20, 20, 30, 30)],
    ]
    texts = [["wide", None, "c"], ["tall", "b", ""], [None, "y\nz", "w"]]
    table = shapes.pymupdf_table(2, (0, 0, 30, 30), rows, texts)
    cells = {(c["row"], c["col"]): c for c in table["cells"]}
    assert (cells[0, 0]["row_span"], cells[0, 0]["col_span"]) == (1, 2)
    assert (cells[1, 0]["row_span"], cells[1, 0]["col_span"]) == (2, 1)
    assert (cells[1, 1]["row_span"], cells[1, 1]["col_span"]) == (1, 1)
    assert cells[2, 1]["text"] == "y z"
    assert (1, 2) not in cells  # empty text
    assert table["rows"] == 3 and table["columns"] == 3


# --- failure classes ------------------------------------------------------------------------------
def _grid_table(page: int, x0: float, y0: float, texts: list[list[str]], w: float = 50, h: float = 20) -> dict:
    cells = []
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            cells.append(
                {
                    "row": r,
                    "col": c,
                    "row_span": 1,
                    "col_span": 1,
                    "text": text,
                    "bbox": [x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h],
                }
            )
    return {"page": page, "bbox": [x0, y0, x0 + w * len(texts[0]), y0 + h * len(texts)], "cells": cells}


TRUTH = [["Name", "Qty", "Price"], ["apple", "3", "1.00"], ["pear", "5", "2.50"], ["plum", "7", "0.75"]]


def test_a_perfect_prediction_has_no_failures():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH)]}
    result = failures.classify_document(gt, json.loads(json.dumps(gt)))
    assert result["matched"] == 1
    assert all(v == 0 for v in result["counts"].values())


def test_missed_and_spurious_tables():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH), _grid_table(2, 100, 100, TRUTH)]}
    pred = {"tables": [_grid_table(1, 100, 100, TRUTH), _grid_table(2, 100, 500, TRUTH)]}  # page 2: wrong place
    result = failures.classify_document(gt, pred)
    assert result["counts"]["missed_table"] == 1
    assert result["counts"]["spurious_table"] == 1
    missed = [d for d in result["details"] if d["class"] == "missed_table"]
    assert missed[0]["page"] == 2 and not missed[0]["partly_found"]


def test_merged_rows_are_counted_once_per_row_lost():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH)]}
    # rows 1 and 2 of the truth became one predicted row, 40 points tall, holding both texts
    merged = _grid_table(1, 100, 100, [TRUTH[0]], h=20)
    for c, (a, b) in enumerate(zip(TRUTH[1], TRUTH[2], strict=True)):
        merged["cells"].append(
            {
                "row": 1,
                "col": c,
                "row_span": 1,
                "col_span": 1,
                "text": f"{a} {b}",
                "bbox": [100 + 50 * c, 120, 150 + 50 * c, 160],
            }
        )
    for c, text in enumerate(TRUTH[3]):
        merged["cells"].append(
            {
                "row": 2,
                "col": c,
                "row_span": 1,
                "col_span": 1,
                "text": text,
                "bbox": [100 + 50 * c, 160, 150 + 50 * c, 180],
            }
        )
    merged["bbox"] = [100, 100, 250, 180]
    counts = failures.classify_document(gt, {"tables": [merged]})["counts"]
    assert counts["merged_rows"] == 1
    assert counts["split_rows"] == counts["split_columns"] == counts["merged_columns"] == 0
    assert counts["text_assignment"] == 0  # the wrong texts are explained by the merge


def test_split_columns_and_text_assignment():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH, w=60)]}
    # the prediction splits the first column in two (30 points each) and misreads one cell
    pred_texts = [
        ["Na", "me", "Qty", "Price"],
        ["app", "le", "3", "1.00"],
        ["pe", "ar", "5", "2.50"],
        ["pl", "um", "7", "9.99"],
    ]
    cells = []
    widths = [30, 30, 60, 60]
    for r, row in enumerate(pred_texts):
        x = 100.0
        for c, text in enumerate(row):
            cells.append(
                {
                    "row": r,
                    "col": c,
                    "row_span": 1,
                    "col_span": 1,
                    "text": text,
                    "bbox": [x, 100 + 20 * r, x + widths[c], 120 + 20 * r],
                }
            )
            x += widths[c]
    pred = {"tables": [{"page": 1, "bbox": [100, 100, 280, 180], "cells": cells}]}
    counts = failures.classify_document(gt, pred)["counts"]
    assert counts["split_columns"] == 1
    assert counts["split_rows"] == counts["merged_rows"] == counts["merged_columns"] == 0
    assert counts["text_assignment"] == 1  # "0.75" read as "9.99"; the split column's cells are not counted


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_failures_are_counted_on_the_page_turned_upright(turn):
    """On a page shown turned, rows run down the page as displayed: the failure classes turn
    truth and prediction upright first (by the turn the pipeline recorded for the page)."""
    from doctables.recognise.transform import to_original

    gt = {"tables": [_grid_table(1, 100, 100, TRUTH, w=60)]}
    pred = json.loads(json.dumps(gt))
    for cell in pred["tables"][0]["cells"]:  # ruled cells, a little larger than the truth's
        x0, y0, x1, y1 = cell["bbox"]
        cell["bbox"] = [x0 - 1.5, y0 - 1.5, x1 + 1.5, y1 + 1.5]
    upright_size = (612.0, 792.0)
    shown_size = upright_size[::-1] if turn in (90, 270) else upright_size

    def shown(document):
        out = json.loads(json.dumps(document))
        for table in out["tables"]:
            for item in [table, *table["cells"]]:
                item["bbox"] = list(to_original(tuple(item["bbox"]), turn, *upright_size))
        return out

    assert failures.classify_document(gt, pred)["counts"] == {k: 0 for k in failures.CLASSES}
    turns = {1: (*shown_size, turn)}
    counted = failures.classify_document(shown(gt), shown(pred), turns)["counts"]
    assert counted == {k: 0 for k in failures.CLASSES}
    assert failures.upright(shown(gt), turns)["tables"][0]["bbox"] == pytest.approx(gt["tables"][0]["bbox"])


def test_a_lumped_row_counts_as_merged_columns():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH)]}
    pred = _grid_table(1, 100, 100, [TRUTH[0]])
    for r, row in enumerate(TRUTH[1:], start=1):
        pred["cells"].append(
            {
                "row": r,
                "col": 0,
                "row_span": 1,
                "col_span": 3,
                "text": " ".join(row),
                "bbox": [100, 100 + 20 * r, 250, 120 + 20 * r],
            }
        )
    pred["bbox"] = [100, 100, 250, 180]
    counts = failures.classify_document(gt, {"tables": [pred]})["counts"]
    assert counts["merged_columns"] == 2
    assert counts["text_assignment"] == 0


def test_a_table_cut_short_reports_cells_outside_and_in_another_table():
    gt = {"tables": [_grid_table(1, 100, 100, TRUTH)]}
    top = _grid_table(1, 100, 100, TRUTH[:3])
    bottom = _grid_table(1, 100, 160, TRUTH[3:])
    result = failures.classify_document(gt, {"tables": [top, bottom]})
    assert result["counts"]["outside_table"] == 3
    assert result["counts"]["spurious_table"] == 1
    [structure] = [d for d in result["details"] if d["class"] == "structure"]
    assert structure["outside_in_other_table"] == 3


@needs_scorer
def test_table_matching_agrees_with_the_scorer():
    scorer = load_scorer(SCORER)
    gt = [_grid_table(1, 100, 100, TRUTH), _grid_table(1, 100, 300, TRUTH), _grid_table(2, 0, 0, TRUTH)]
    pred = [_grid_table(1, 110, 105, TRUTH), _grid_table(1, 100, 200, TRUTH), _grid_table(2, 0, 0, TRUTH)]
    assert len(failures.match_tables(gt, pred)) == scorer.detection_matches(gt, pred)


# --- scoring glue ---------------------------------------------------------------------------------
@needs_scorer
def test_per_document_counts_add_up_to_the_scorer_totals(tmp_path):
    scorer = load_scorer(SCORER)
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    docs = {
        "a": ({"tables": [_grid_table(1, 100, 100, TRUTH)]}, {"tables": [_grid_table(1, 100, 100, TRUTH[:3])]}),
        "b": ({"tables": [_grid_table(2, 0, 0, TRUTH)]}, {"tables": []}),
    }
    predictions = {}
    for stem, (gt, pred) in docs.items():
        (gt_dir / f"{stem}.json").write_text(json.dumps(gt))
        (gt_dir / f"{stem}.pdf").write_bytes(b"%PDF-1.4\n")
        (pred_dir / f"{stem}.json").write_text(json.dumps(pred))
        predictions[stem] = pred
    summary, printed = scoring.run_scorer(scorer, gt_dir, pred_dir)
    per_document = scoring.score_documents(scorer, gt_dir, predictions)
    total = scoring.totals(per_document)
    assert scorer.prf(total["rel_hit"], total["rel_pred"], total["rel_gt"]) == pytest.approx(summary["cell_adjacency"])
    assert scorer.prf(total["det_hit"], total["det_pred"], total["det_gt"]) == pytest.approx(summary["detection"])
    assert scoring.final_line(printed).startswith("cell_adjacency_f1=")
    losses = scoring.page_losses(scorer, *docs["b"])
    assert losses[2]["loss"] >= 10  # a missed table weighs 10


def test_documents_need_ground_truth_beside_them(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.pdf").write_bytes(b"%PDF")
    assert [p.name for p in documents(tmp_path)] == ["a.pdf"]
    with pytest.raises(FileNotFoundError):
        find_scorer(tmp_path, tmp_path / "missing.py")


# --- speed helpers and cost arithmetic ------------------------------------------------------------
def test_percentiles_and_summary():
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    s = summary([10.0, 20.0, 30.0])
    assert (s["n"], s["median"], s["total"]) == (3, 20.0, 60.0)


def test_interleaving_puts_every_method_first_equally_often():
    methods = ("a", "b", "c")
    firsts = [conversion.interleaved_order(methods, r, d)[0] for r in range(3) for d in range(4)]
    assert sorted(set(firsts)) == ["a", "b", "c"] and firsts.count("a") == firsts.count("b") == firsts.count("c")
    assert sorted(conversion.interleaved_order(methods, 1, 1)) == ["a", "b", "c"]


def test_stack_config_reads_cdk_context_and_falls_back(tmp_path):
    config = cost.StackConfig.from_context({"tableMemoryMb": 3008, "architecture": "x86_64"})
    assert (config.conversion_memory_mb, config.table_memory_mb, config.architecture) == (1024, 3008, "x86_64")
    assert cost.StackConfig.from_cdk_json(tmp_path / "none.json").table_memory_mb == 2048
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"conversionMemoryMb": 1536, "batchSize": 8}}))
    config = cost.StackConfig.from_cdk_json(tmp_path / "cdk.json")
    assert (config.conversion_memory_mb, config.batch_size, config.table_memory_mb) == (1536, 8, 2048)


def test_cost_per_thousand_pages_arithmetic():
    config = cost.StackConfig(
        conversion_memory_mb=1024,
        table_memory_mb=2048,
        conversion_ephemeral_mb=512,
        architecture="arm64",
        range_pages=50,
        batch_size=4,
        max_concurrency=10,
    )
    usage = cost.Usage(
        conversion_seconds=0.1,
        table_seconds=0.5,
        pages_per_document=100,
        s3_put=2,
        s3_get=3,
        sqs_requests=0.1,
        dynamodb_wru=4,
        dynamodb_rru=2,
        eventbridge_events=0.01,
        s3_stored_bytes=0,
        cold_start_seconds=0,
    )
    result = cost.cost_per_thousand_pages(usage, config)
    d = result["dollars"]
    gbs = prices.LAMBDA_GB_SECOND["arm64"]
    assert result["gb_seconds"] == {"conversion": 100.0, "table": 1000.0}
    assert d["lambda_conversion_compute"] == pytest.approx(100 * gbs, rel=1e-4)
    assert d["lambda_table_compute"] == pytest.approx(1000 * gbs, rel=1e-4)
    assert d["lambda_conversion_ephemeral_storage"] == 0
    # 10 documents of 100 pages: 10 conversions from S3 + 10 from the range queue; 250 table batches
    assert result["invocations"] == {"conversion_from_s3": 10, "conversion_from_range_queue": 10, "table": 250}
    assert d["lambda_requests"] == pytest.approx(270 * 0.20 / 1e6, abs=1e-6)
    # 100 sends + a receive and a delete per polled batch (250 table + 10 range)
    assert result["sqs_requests"] == pytest.approx(100 + 2 * 260)
    assert d["dynamodb_writes"] == pytest.approx(4000 * prices.DYNAMODB_PER_MILLION_WRU / 1e6, abs=1e-6)
    assert d["s3_put_requests"] == pytest.approx(2000 * prices.S3_PUT_PER_THOUSAND / 1000, abs=1e-6)
    assert result["total_dollars"] == pytest.approx(sum(d.values()), abs=1e-5)
    assert result["textract_tables_dollars"] == 15.0
    assert result["textract_over_doctables"] == pytest.approx(15.0 / result["total_dollars"], rel=0.01)
    x86 = cost.cost_per_thousand_pages(usage, config, "x86_64")
    assert x86["dollars"]["lambda_table_compute"] > d["lambda_table_compute"]


def test_request_units_of_the_calls_the_pipeline_makes():
    body = b"x" * 1000
    assert cost.request_units("s3", "PutObject", {"Key": "pages/j/00001.png", "Body": body}) == {
        "s3_put": 1.0,
        "s3_stored_bytes": 1000.0,
    }
    assert cost.request_units("s3", "PutObject", {"Key": "results/j.json", "Body": body}) == {"s3_put": 1.0}
    assert cost.request_units("s3", "GetObject", {"Key": "k"}) == {"s3_get": 1.0}
    big = [{"Id": str(i), "MessageBody": "y" * 20000} for i in range(5)]  # 100 KB: two 64 KB chunks
    assert cost.request_units("sqs", "SendMessageBatch", {"Entries": big}) == {"sqs_requests": 2.0}
    assert cost.request_units("events", "PutEvents", {"Entries": [{}, {}]}) == {"eventbridge_events": 2.0}
    item = {"pk": {"S": "a" * 3000}}
    assert cost.request_units("dynamodb", "PutItem", {"Item": item}) == {"dynamodb_wru": 3.0}
    assert cost.request_units(
        "dynamodb", "TransactWriteItems", {"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Update": {}}]}
    ) == {"dynamodb_wru": 4.0}
    assert cost.request_units("dynamodb", "GetItem", {"ConsistentRead": True}, {"Item": item}) == {"dynamodb_rru": 1.0}
    assert cost.request_units("dynamodb", "Query", {}, {"Items": [item, item]}) == {"dynamodb_rru": 1.0}
    assert cost.request_units("dynamodb", "CreateTable", {}) == {}


def test_build_document_concatenates_to_the_page_count(tmp_path):
    from bench.speed.end_to_end import build_document

    src = tmp_path / "src.pdf"
    doc = pymupdf.open()
    for _ in range(3):
        doc.new_page()
    doc.save(src)
    assert build_document([src], 7, tmp_path / "out.pdf") == 7
    with pymupdf.open(tmp_path / "out.pdf") as out:
        assert out.page_count == 7


def test_draw_page_writes_a_png(tmp_path):
    from bench.accuracy.draw import draw_page

    src = tmp_path / "p.pdf"
    doc = pymupdf.open()
    doc.new_page(width=300, height=200)
    doc.save(src)
    table = _grid_table(1, 20, 20, [["a", "b"]])
    out = draw_page(src, 1, [table], [], tmp_path / "img" / "p1.png", dpi=36)
    with pymupdf.open(out) as image:
        assert image[0].rect.width > 0


# --- the whole harness on the bundled sample (one small pipeline run) -----------------------------
@needs_scorer
def test_accuracy_harness_runs_the_pipeline_on_the_sample(tmp_path, capsys):
    from bench.accuracy.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "sample.pdf").write_bytes((ROOT / "examples" / "sample.pdf").read_bytes())
    (data / "sample.json").write_text((ROOT / "examples" / "sample.truth.json").read_text())
    code = main(
        [
            "--data",
            str(data),
            "--report-dir",
            str(tmp_path / "out"),
            "--pred-out",
            str(tmp_path / "pred"),
            "--baselines",
            "pymupdf",
            "--scorer",
            str(SCORER),
        ]
    )
    assert code == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[-1].startswith("cell_adjacency_f1=") and "detection_f1=" in lines[-1]
    prediction = json.loads((tmp_path / "pred" / "sample.json").read_text())
    assert prediction["bbox_units"] == "pdf_points_top_left"
    assert [t["page"] for t in prediction["tables"]] == [1, 2]
    assert (tmp_path / "pred" / "baselines" / "pymupdf" / "sample.json").is_file()
    report = json.loads((tmp_path / "out" / "data" / "accuracy.json").read_text())
    assert set(report["systems"]) == {"doctables", "pymupdf"}
    assert report["systems"]["doctables"]["failure_totals"]["missed_table"] == 0
    assert report["systems"]["doctables"]["summary"]["detection"]["f1"] == 1.0
    assert (tmp_path / "out" / "data" / "accuracy.md").read_text().startswith("# Accuracy: data")


def test_image_only_copy_has_no_text_layer_and_the_same_page_sizes(tmp_path):
    import json
    import shutil

    import pymupdf

    from bench.accuracy.variants import image_only_copy

    source = tmp_path / "data"
    source.mkdir()
    shutil.copyfile(ROOT / "examples" / "sample.pdf", source / "sample.pdf")
    (source / "sample.json").write_text(json.dumps({"tables": []}))
    (source / "lonely.pdf").write_bytes((ROOT / "examples" / "sample.pdf").read_bytes())  # no truth: skipped
    copy = image_only_copy(source, tmp_path / "scans", dpi=72)
    assert sorted(p.name for p in copy.iterdir()) == ["sample.json", "sample.pdf"]
    with pymupdf.open(copy / "sample.pdf") as scanned, pymupdf.open(source / "sample.pdf") as original:
        assert [p.rect for p in scanned] == [p.rect for p in original]
        assert all(page.get_text("words") == [] for page in scanned)
        assert all(page.get_images() for page in scanned)


# --- transformed copies: rotated, sideways, cropped pages with their truth carried over ----------
def _sample_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "sample.pdf").write_bytes((ROOT / "examples" / "sample.pdf").read_bytes())
    (data / "sample.json").write_text((ROOT / "examples" / "sample.truth.json").read_text())
    return data


def _words_in(page: pymupdf.Page, box: list[float]) -> str:
    """Text of the page's words whose centre, on the page as displayed, lies in `box`."""
    x0, y0, x1, y1 = box
    shown = [(pymupdf.Rect(w[:4]) * page.rotation_matrix, w[4]) for w in page.get_text("words")]
    return " ".join(text for r, text in shown if x0 <= (r.x0 + r.x1) / 2 <= x1 and y0 <= (r.y0 + r.y1) / 2 <= y1)


@pytest.mark.parametrize("variant", ["rotate90", "rotate180", "rotate270", "sideways", "cropbox"])
def test_variant_truth_still_names_the_words_of_each_cell(tmp_path, variant):
    from bench.accuracy.variants import VARIANTS

    copy = VARIANTS[variant](_sample_data(tmp_path), tmp_path / variant)
    truth = json.loads((copy / "sample.json").read_text())
    with pymupdf.open(copy / "sample.pdf") as document:
        pages = list(document)
        expected_rotation = {"rotate90": 90, "rotate180": 180, "rotate270": 270}.get(variant, 0)
        assert {p.rotation for p in pages} == {expected_rotation}
        if variant in ("sideways", "rotate90", "rotate270"):
            assert (pages[0].rect.width, pages[0].rect.height) == (792, 612)
        if variant == "cropbox":
            assert pages[0].cropbox_position == (18, 24)
        cells = [(t["page"], c) for t in truth["tables"] for c in t["cells"] if c["text"]]
        assert len(cells) > 20
        for page, cell in cells:
            assert _words_in(pages[page - 1], cell["bbox"]) == cell["text"]


@needs_scorer
@pytest.mark.parametrize("variant", ["rotate90", "sideways", "cropbox"])
def test_the_pipeline_scores_the_same_on_turned_and_cropped_copies(tmp_path, variant):
    """doctables finds the sample's tables whichever way its pages are turned or cropped:
    the text layer says which way is up, and boxes come back in the truth's frame."""
    from bench.accuracy import systems
    from bench.accuracy.variants import VARIANTS

    scorer = load_scorer(SCORER)
    copy = VARIANTS[variant](_sample_data(tmp_path), tmp_path / variant)
    run = systems.run_doctables(documents(copy))
    scores = scoring.score_documents(scorer, copy, run.predictions)["sample"]
    assert run.errors == {}
    assert scores["detection_f1"] == 1.0
    assert scores["cell_adjacency_f1"] >= 0.99 and scores["cell_content_f1"] >= 0.99


# --- transformed copies as images: screenshots, photos, scans, bare PNG pages -------------------
IMAGE_VARIANTS = ["table-crop", "screenshot", "photo", "lowres-scan", "no-dpi", "absurd-dpi"]


def _copy_documents(copy: Path) -> list[Path]:
    from bench.accuracy.cli import _documents

    return _documents(copy)


def _boxes_data(tmp_path: Path) -> Path:
    """A two-page document whose tables are black blocks, one cell each, the second page shown
    turned by /Rotate 90: the ink of each block is where its truth box says."""
    data = tmp_path / "blocks"
    data.mkdir()
    document = pymupdf.open()
    tables = []
    for number, (rects, rotation) in enumerate(
        [([(170, 220, 400, 320), (220, 420, 430, 560)], 0), ([(200, 180, 390, 300)], 90)], start=1
    ):
        page = document.new_page(width=612, height=792)
        for rect in rects:
            page.draw_rect(pymupdf.Rect(rect), color=(0, 0, 0), fill=(0, 0, 0))
        page.set_rotation(rotation)
        for rect in rects:
            box = list(pymupdf.Rect(rect) * page.rotation_matrix)  # on the page as displayed
            cell = {"row": 0, "col": 0, "row_span": 1, "col_span": 1, "text": "x", "bbox": box}
            tables.append({"page": number, "bbox": box, "cells": [cell]})
    document.save(data / "blocks.pdf")
    (data / "blocks.json").write_text(json.dumps({"file": "blocks.pdf", "tables": tables}))
    return data


def _ink(page: pymupdf.Page, zoom: float, level: int = 100) -> np.ndarray:
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.stride)[:, : pixmap.width] < level


@pytest.mark.parametrize("variant", IMAGE_VARIANTS)
def test_image_variants_are_pictures_with_their_truth_on_the_page(tmp_path, variant):
    from bench.accuracy.variants import VARIANTS

    copy = VARIANTS[variant](_sample_data(tmp_path), tmp_path / variant)
    copies = _copy_documents(copy)
    original = json.loads((ROOT / "examples" / "sample.truth.json").read_text())
    expected = {"table-crop": 2, "screenshot": 2, "no-dpi": 2, "absurd-dpi": 2}.get(variant, 1)
    assert len(copies) == expected
    assert {p.suffix for p in copies} == ({".png"} if variant.endswith("dpi") or variant == "screenshot" else {".pdf"})
    tables = 0
    for path in copies:
        truth = json.loads(path.with_suffix(".json").read_text())
        assert truth["file"] == path.name or variant in ("photo", "lowres-scan")
        with pymupdf.open(path) as document:
            for page in document:
                assert page.get_text() == ""
            for table in truth["tables"]:
                tables += 1
                rect = document[table["page"] - 1].rect
                assert rect.contains(pymupdf.Rect(table["bbox"]))
                assert all(rect.contains(pymupdf.Rect(c["bbox"])) for c in table["cells"])
    assert tables == len(original["tables"])


def test_png_pages_say_their_resolution_or_nothing(tmp_path):
    from bench.accuracy.variants import VARIANTS

    data = _sample_data(tmp_path)
    sizes = {}
    screenshot = VARIANTS["screenshot"](data, tmp_path / "screenshot") / "sample-p1-t1.png"
    cut = VARIANTS["table-crop"](data, tmp_path / "table-crop") / "sample-p1-t1.pdf"
    with pymupdf.open(screenshot) as image, pymupdf.open(cut) as on_page:
        # 72 dpi: the page PyMuPDF makes of the PNG is the table-crop's page, pixel for point
        assert image[0].rect == on_page[0].rect
        assert json.loads(screenshot.with_suffix(".json").read_text())["tables"] == json.loads(
            cut.with_suffix(".json").read_text()
        )["tables"]
    for variant in ("no-dpi", "absurd-dpi"):
        png = VARIANTS[variant](data, tmp_path / variant) / "sample-p1.png"
        assert (b"pHYs" in png.read_bytes()) == (variant == "absurd-dpi")
        with pymupdf.open(png) as document:
            sizes[variant] = (document[0].rect.width, json.loads(png.with_suffix(".json").read_text()))
    # 1275 px: 96 dpi assumed without pHYs, 2400 dpi with it; the truth is scaled to match
    assert sizes["no-dpi"][0] == pytest.approx(1275 * 72 / 96)
    assert sizes["absurd-dpi"][0] == pytest.approx(1275 * 72 / 2400)
    original = json.loads((ROOT / "examples" / "sample.truth.json").read_text())["tables"][0]["bbox"]
    for variant, scale in (("no-dpi", 150 / 96), ("absurd-dpi", 150 / 2400)):
        assert sizes[variant][1]["tables"][0]["bbox"] == pytest.approx([v * scale for v in original], rel=1e-3)


@pytest.mark.parametrize("variant", IMAGE_VARIANTS)
def test_image_variant_truth_boxes_sit_on_the_ink_they_name(tmp_path, variant):
    """Black blocks as tables: on every copy the ink around each truth box ends at that box's
    edges, to within 2.5 of the image's own pixels."""
    from bench.accuracy.variants import VARIANTS

    copy = VARIANTS[variant](_boxes_data(tmp_path), tmp_path / variant)
    checked = 0
    for path in _copy_documents(copy):
        truth = json.loads(path.with_suffix(".json").read_text())
        with pymupdf.open(path) as document:
            for table in truth["tables"]:
                page = document[table["page"] - 1]
                pixels = page.get_images()[0][2] if document.is_pdf else pymupdf.Pixmap(str(path)).width
                zoom = pixels / page.rect.width  # the image's own resolution
                ink = _ink(page, zoom)
                box = pymupdf.Rect(table["bbox"]) * zoom
                x0, y0, x1, y1 = box + (-40, -40, 40, 40) & pymupdf.Rect(0, 0, ink.shape[1], ink.shape[0])
                near = ink[int(y0) : int(y1), int(x0) : int(x1)]
                rows, cols = near.any(axis=1).nonzero()[0], near.any(axis=0).nonzero()[0]
                found = [x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1]
                assert found == pytest.approx(list(box), abs=2.5)
                assert table["cells"][0]["bbox"] == pytest.approx(table["bbox"], abs=1e-6)
                checked += 1
    assert checked == 3


def test_the_scan_turn_follows_pillow():
    """The matrix the truth of a turned scan goes through turns the way Pillow's rotate does."""
    from PIL import Image

    from bench.accuracy.variants import _corner_box, _turn

    image = Image.new("L", (400, 300), 255)
    image.paste(0, (340, 40, 350, 50))  # a dot far from the centre
    for angle in (5.0, -5.0):
        turned = np.asarray(image.rotate(angle, Image.Resampling.BILINEAR, fillcolor=255)) < 128
        rows, cols = turned.nonzero()
        x0, y0, x1, y1 = _corner_box([340, 40, 350, 50], _turn(angle, 200, 150))
        assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((cols.mean() + 0.5, rows.mean() + 0.5), abs=1.0)


def test_table_crop_is_a_screenshot_of_each_table_with_every_cell(tmp_path):
    from bench.accuracy.variants import table_crop_copy

    copy = table_crop_copy(_sample_data(tmp_path), tmp_path / "crops")
    original = json.loads((ROOT / "examples" / "sample.truth.json").read_text())
    for path, source in zip(_copy_documents(copy), original["tables"], strict=True):
        [table] = json.loads(path.with_suffix(".json").read_text())["tables"]
        assert table["page"] == 1 and len(table["cells"]) == len(source["cells"])
        with pymupdf.open(path) as document:
            [page] = document
            [image] = page.get_images(full=True)
            assert (image[2], image[3]) == (page.rect.width, page.rect.height)  # 1 px = 1 pt
            ink = _ink(page, 1.0, level=160)
        for cell in table["cells"]:
            x0, y0, x1, y1 = (int(v) for v in pymupdf.Rect(cell["bbox"]) + (3, 3, -3, -3))
            assert ink[y0:y1, x0:x1].any() == bool(cell["text"].strip()), cell


def test_a_table_cut_at_its_box_keeps_its_cells(tmp_path):
    from bench.accuracy.variants import _moved_table

    table = _grid_table(1, 100, 100, TRUTH)
    off = {"row": 9, "col": 0, "row_span": 1, "col_span": 1, "text": "far", "bbox": [400, 400, 420, 410]}
    table["cells"].append(off)
    shift = np.array([[1.0, 0, -100], [0, 1, -100], [0, 0, 1]])
    exact = _moved_table(table, shift, pymupdf.Rect(0, 0, 150, 80))  # cut at the table's box
    assert exact["bbox"] == [0, 0, 150, 80] and len(exact["cells"]) == 12  # only the far cell is dropped
    halved = _moved_table(table, shift, pymupdf.Rect(0, 0, 150, 70))  # the last row cut in half
    assert halved["bbox"] == [0, 0, 150, 70] and len(halved["cells"]) == 12
    assert halved["cells"][-1]["bbox"] == [100, 60, 150, 70]  # clipped
    assert len(_moved_table(table, shift, pymupdf.Rect(0, 0, 150, 60))["cells"]) == 9  # the last row cut off
    assert len(table["cells"]) == 13 and table["bbox"] == [100, 100, 250, 180]  # the source is left as it was


def test_random_variants_are_the_same_every_time(tmp_path):
    from bench.accuracy.variants import VARIANTS

    data = _sample_data(tmp_path)
    for variant in ("photo", "lowres-scan", "table-crop"):
        first, second = (VARIANTS[variant](data, tmp_path / f"{variant}-{n}") for n in (1, 2))
        for path in _copy_documents(first):
            assert path.with_suffix(".json").read_text() == (second / path.with_suffix(".json").name).read_text()
            with pymupdf.open(path) as a, pymupdf.open(second / path.name) as b:
                assert [p.get_pixmap(dpi=30).samples for p in a] == [p.get_pixmap(dpi=30).samples for p in b]


@needs_scorer
def test_the_harness_scores_png_documents(tmp_path):
    from bench.accuracy.draw import draw_page
    from bench.accuracy.variants import VARIANTS

    scorer = load_scorer(SCORER)
    copy = VARIANTS["no-dpi"](_sample_data(tmp_path), tmp_path / "no-dpi")
    pngs = _copy_documents(copy)
    truths = {p.stem: json.loads(p.with_suffix(".json").read_text()) for p in pngs}
    scores = scoring.score_documents(scorer, copy, truths)
    assert sorted(scores) == ["sample-p1", "sample-p2"]
    assert all(s["detection_f1"] == 1.0 for s in scores.values())
    out = draw_page(pngs[0], 1, truths["sample-p1"]["tables"], [], tmp_path / "drawn.png", dpi=36)
    assert out.is_file()
