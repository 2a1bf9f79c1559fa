"""The typed result document (doctables.model.result): it reads the JSON the two producers wrote
before it existed and writes it back byte for byte, reads older documents, and builds new ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from doctables.model.result import (
    RESULT_SCHEMA,
    DecisionRecord,
    ErrorInfo,
    JobRecord,
    JobWarning,
    PageCounts,
    PageResult,
    ResultDocument,
    Source,
    as_result,
    result_document,
)
from doctables.model.tables import Cell, CellWord, Table

HERE = Path(__file__).resolve().parent
# examples/sample.pdf as the code before the typed model wrote it: the pipeline's
# results/<job>.json (bytes as stored in S3) and extract()'s Document.to_result()
PIPELINE = HERE / "sample_pipeline.result.json"
EXTRACT = HERE / "sample_extract.result.json"


@pytest.mark.parametrize("fixture", [PIPELINE, EXTRACT], ids=["pipeline", "extract"])
def test_an_old_result_reads_and_writes_back_byte_for_byte(fixture):
    text = fixture.read_text(encoding="utf-8")
    document = ResultDocument.from_dict(json.loads(text))
    assert document.to_json() == text
    assert json.dumps(document.to_dict(), ensure_ascii=False) == text


def test_the_pipelines_document_reads_typed():
    document = ResultDocument.from_dict(json.loads(PIPELINE.read_text()))
    assert document.schema == RESULT_SCHEMA
    assert document.status == "SUCCEEDED" and document.error is None
    assert document.source.key == "uploads/sample.pdf" and document.stem == "sample"
    assert document.pages == PageCounts(2, 2, 0)
    assert isinstance(document.job, JobRecord) and document.job.created_at and document.job.warnings == ()
    first = document.page_results[0]
    assert (first.page, first.status, first.tables, first.failed) == (1, "DONE", 1, False)
    assert first.width == 612 and isinstance(first.width, int)  # as DynamoDB gave it back, kept
    assert first.decision is not None and first.decision["text_layer"] == "usable"
    assert [t.table_id for t in document.tables] == ["0001-01", "0002-01"]
    assert all(isinstance(t, Table) for t in document.tables)
    assert document.tables[0].grid()[2][0] == "North"
    assert document.failed_pages == []


def test_extract_documents_have_no_job_and_put_tables_last():
    data = json.loads(EXTRACT.read_text())
    document = ResultDocument.from_dict(data)
    assert document.job is None and document.source.bucket is None
    assert list(document.to_dict()) == ["schema", "job_id", "status", "source", "pages", "error", "page_results",
                                        "tables"]
    pipeline = ResultDocument.from_dict(json.loads(PIPELINE.read_text()))
    assert list(pipeline.to_dict()) == ["schema", "job_id", "status", "source", "pages", "tables", "created_at",
                                        "finished_at", "error", "warnings", "page_results"]


def test_an_older_document_without_optional_fields_reads():
    data = json.loads(PIPELINE.read_text())
    del data["schema"], data["warnings"]
    for page in data["page_results"]:
        del page["decision"]
    table = data["tables"][0]
    del table["bbox_norm"], table["structure_confidence"]
    for cell in table["cells"]:
        del cell["words"]
    document = ResultDocument.from_dict(data)
    assert document.schema == RESULT_SCHEMA and document.job is not None and document.job.warnings == ()
    assert all(p.decision is None for p in document.page_results)
    first = document.tables[0]
    assert first.structure_confidence == first.confidence and all(c.words == [] for c in first.cells)
    out = document.to_dict()
    assert out["schema"] == RESULT_SCHEMA and out["warnings"] == [] and out["page_results"][0]["decision"] is None
    assert out["tables"][0]["bbox_norm"] == pytest.approx(json.loads(PIPELINE.read_text())["tables"][0]["bbox_norm"],
                                                          abs=2e-5)


def test_a_word_without_its_own_confidence_has_its_cells():
    cell = Cell.from_dict({"row": 0, "col": 0, "row_span": 1, "col_span": 1, "text": "a", "bbox": [0, 0, 1, 1],
                           "confidence": 0.5, "words": [{"text": "a", "bbox": [0, 0, 1, 1]}]})
    assert cell.words == [CellWord("a", (0.0, 0.0, 1.0, 1.0), 0.5)]


def test_a_hand_made_or_failed_document_reads_with_empty_values():
    failed = ResultDocument.from_dict({"job_id": "f", "status": "FAILED",
                                       "error": {"code": "NOT_A_DOCUMENT", "message": "nope"}})
    assert failed.error == ErrorInfo("NOT_A_DOCUMENT", "nope")
    assert failed.pages == PageCounts(0, 0, 0) and failed.page_results == [] and failed.tables == []
    assert failed.source == Source(None, "") and failed.stem == ""
    assert ResultDocument.from_dict({}).job_id == ""


def test_failed_pages_and_their_errors():
    document = result_document(
        "j", "PARTIALLY_SUCCEEDED", Source("b", "uploads/a/report.pdf", "v", "e"),
        [PageResult(3, "DONE", 612.0, 792.0, 0, 0, DecisionRecord(text_layer="usable", ocr=False)),
         PageResult(1, "DONE", 612.0, 792.0, 0, 0),
         PageResult(2, "FAILED", None, None, None, 0, None, ErrorInfo("PAGE_UNREADABLE", "bad"))],
        [],
    )
    assert [p.page for p in document.page_results] == [1, 2, 3]  # sorted
    assert document.pages == PageCounts(3, 2, 1) and document.failed_pages == [2]
    assert document.stem == "report"
    entry = document.to_dict()["page_results"][1]
    assert entry == {"page": 2, "status": "FAILED", "width": None, "height": None, "rotation": None, "tables": 0,
                     "decision": None, "error": {"code": "PAGE_UNREADABLE", "message": "bad"}}
    again = ResultDocument.from_dict(json.loads(document.to_json()))
    assert again.to_dict() == document.to_dict() and again.page_results == document.page_results


def test_a_job_record_writes_the_pipelines_fields():
    document = result_document(
        "j", "SUCCEEDED", Source("b", "uploads/x.pdf"), [], [],
        job=JobRecord("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z",
                      (JobWarning("REPAIRED_DOCUMENT", "the PDF is damaged"),)),
        counts=PageCounts(0, 0, 0),
    )
    data = document.to_dict()
    assert data["warnings"] == [{"code": "REPAIRED_DOCUMENT", "message": "the PDF is damaged"}]
    assert (data["created_at"], data["finished_at"]) == ("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z")
    assert ResultDocument.from_dict(data).job == document.job


def test_as_result_takes_either_form():
    data = json.loads(EXTRACT.read_text())
    typed = as_result(data)
    assert isinstance(typed, ResultDocument) and as_result(typed) is typed
    assert typed.to_dict() == data


def test_a_read_table_keeps_its_stored_normalised_box():
    data = json.loads(PIPELINE.read_text())["tables"][0]
    table = Table.from_dict(data)
    assert table.to_dict() == data
    made = Table.from_dict({k: v for k, v in data.items() if k != "bbox_norm"})
    assert made.bbox_norm != table.bbox_norm  # recomputed from the rounded box: the fifth decimal moves
    assert made.bbox_norm == pytest.approx(table.bbox_norm, abs=2e-5)
    assert made == table  # the stored copy is not part of a table's identity


def test_the_document_is_not_changed_by_reading_it():
    data = json.loads(PIPELINE.read_text())
    before = copy.deepcopy(data)
    ResultDocument.from_dict(data).to_dict()
    assert data == before
