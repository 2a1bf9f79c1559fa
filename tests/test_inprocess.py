"""doctables.extract(): the pipeline's domain code in process, same answers as the pipeline."""

from __future__ import annotations

import io

import pytest
from conftest import SAMPLE

import doctables


def test_extract_matches_the_pipeline(sample_bytes):
    from doctables.local.run import run_files

    in_process = doctables.extract(SAMPLE)
    (pipeline,) = run_files([SAMPLE])
    assert [t.to_dict() for t in in_process.tables] == pipeline["tables"]
    assert [p.page for p in in_process.pages] == [1, 2]


def test_extract_accepts_bytes_and_file_objects(sample_bytes):
    from_bytes = doctables.extract(sample_bytes, pages=[2])
    from_file = doctables.extract(io.BytesIO(sample_bytes), pages=[2])
    assert [t.to_dict() for t in from_bytes.tables] == [t.to_dict() for t in from_file.tables]
    assert [t.page for t in from_bytes.tables] == [2]


def test_bad_input_raises_the_pipelines_error_code():
    with pytest.raises(doctables.DocumentError) as error:
        doctables.extract(b"plain text, not a document")
    assert error.value.code is doctables.ErrorCode.NOT_A_DOCUMENT


def test_table_and_document_exports_match_the_pipelines_files(tmp_path):
    from doctables.local.run import run_files
    from doctables.model.tables import Table
    from doctables.outputs.exports import to_csv

    document = doctables.extract(SAMPLE)
    formats = ["json", "textract", "csv", "xlsx", "md", "html"]
    saved = sorted(p.name for p in document.save(tmp_path, formats))
    assert saved == sorted(["sample.json", "sample.textract.json", "sample-0001-01.csv", "sample-0002-01.csv",
                            "sample.xlsx", "sample.md", "sample.html"])
    (pipeline,) = run_files([SAMPLE])
    for table, theirs in zip(document.tables, pipeline["tables"]):
        assert table.to_csv() == to_csv(Table.from_dict(theirs))
        assert (tmp_path / f"sample-{table.table_id}.csv").read_bytes().decode() == table.to_csv()
    first = document.tables[0]
    frame = first.to_pandas()
    assert frame.shape == (first.rows - first.header_rows, first.columns)
    assert 'rowspan="2"' in first.to_html() and "| North |" in first.to_markdown()
    assert document.to_textract()["DocumentMetadata"]["Pages"] == 2


def test_the_result_is_typed_and_its_json_is_to_result():
    from doctables.model.result import ResultDocument
    from doctables.outputs.textract import to_textract

    document = doctables.extract(SAMPLE)
    result = document.result()
    assert isinstance(result, ResultDocument) and result.job is None
    assert result.to_dict() == document.to_result()
    assert ResultDocument.from_dict(document.to_result()).to_json() == result.to_json()
    assert [p.decision["text_layer"] for p in result.page_results] == ["usable", "usable"]
    assert [t.table_id for t in result.tables] == [t.table_id for t in document.tables]
    # the outputs read the tables as stored (rounded), as they did from to_result()'s JSON
    # with the page's text: every line of the page, not only the cells' words
    assert document.to_textract() == to_textract(document.to_result(), page_text=document.text)
    lines = [b["Text"] for b in document.to_textract()["Blocks"] if b["BlockType"] == "LINE"]
    assert "Annual Report 2024: Revenue and Staffing" in lines
    assert "Annual Report 2024: Revenue and Staffing" not in str(to_textract(document.to_result()))


def test_a_repaired_pdf_is_extracted_with_the_warning_the_pipeline_records():
    from doctables.errors import REPAIRED_DOCUMENT_MESSAGE

    truncated = SAMPLE.read_bytes()[: len(SAMPLE.read_bytes()) * 2 // 3]
    document = doctables.extract(truncated)
    assert [(w.code, w.message) for w in document.warnings] == [("REPAIRED_DOCUMENT", REPAIRED_DOCUMENT_MESSAGE)]
    assert document.to_result()["warnings"] == [{"code": "REPAIRED_DOCUMENT", "message": REPAIRED_DOCUMENT_MESSAGE}]
    assert not doctables.extract(SAMPLE).warnings  # an intact file has none
    assert "warnings" not in doctables.extract(SAMPLE).to_result()
