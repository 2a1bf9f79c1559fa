"""The Textract export, checked on its own and read back by the real Textract consumers:
amazon-textract-textractor (`Document.open`, `Table.to_pandas` / `to_csv`) and
amazon-textract-response-parser (`trp.Document`, `trp.trp2.TDocumentSchema`)."""

from __future__ import annotations

import copy
import csv
import io
import re
from pathlib import Path

import pytest

from doctables.model.tables import Table
from doctables.outputs.textract import synthesise_words, to_textract

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
W, H = 612.0, 792.0


def _cell(row, col, text, bbox, *, rs=1, cs=1, header=False, words=None, confidence=0.9):
    cell = {
        "row": row, "col": col, "row_span": rs, "col_span": cs, "text": text,
        "bbox": list(bbox), "confidence": confidence, "is_header": header,
    }
    if words is not None:
        cell["words"] = words
    return cell


def _table_one() -> dict:
    """Page 1: 5 rows x 4 columns at x 100/200/300/400/500, rows 18 pt from y 100.
    Row 0-1 header: "Region" spans 2 rows, "2024 revenue" spans 3 columns; body: "North" spans
    2 rows; empty cells; one grid position (row 4, col 3) has no cell at all; one multi-line
    cell with its words; some cells without words (older results)."""
    xs = [100.0, 200.0, 300.0, 400.0, 500.0]
    ys = [100.0 + 18 * i for i in range(6)]

    def box(r0, c0, r1=None, c1=None):
        r1 = r0 + 1 if r1 is None else r1
        c1 = c0 + 1 if c1 is None else c1
        return (xs[c0], ys[r0], xs[c1], ys[r1])

    cells = [
        _cell(0, 0, "Region", box(0, 0, 2), rs=2, header=True,
              words=[{"text": "Region", "bbox": [105, 112, 140, 121], "confidence": 0.99}]),
        _cell(0, 1, "2024 revenue (USD)", box(0, 1, 1, 4), cs=3, header=True),
        _cell(1, 1, "Q1", box(1, 1), header=True),
        _cell(1, 2, "Q2", box(1, 2), header=True),
        _cell(1, 3, "Q3", box(1, 3), header=True),
        _cell(2, 0, "North", box(2, 0, 4), rs=2,
              words=[{"text": "North", "bbox": [105, 140, 135, 149], "confidence": 0.97}]),
        _cell(2, 1, "1,204.5", box(2, 1)),
        _cell(2, 2, "", box(2, 2)),
        _cell(2, 3, "two line text", box(2, 3), words=[
            {"text": "two", "bbox": [305, 137, 320, 144], "confidence": 0.95},
            {"text": "line", "bbox": [323, 137, 340, 144], "confidence": 0.96},
            {"text": "text", "bbox": [305, 145, 322, 152], "confidence": 0.94},
        ]),
        _cell(3, 1, "986.2", box(3, 1)),
        _cell(3, 2, "a, \"quoted\" <b>", box(3, 2)),
        _cell(3, 3, "", box(3, 3)),
        _cell(4, 0, "Total", box(4, 0)),
        _cell(4, 1, "2,190.7", box(4, 1)),
        _cell(4, 2, "", box(4, 2)),
        # (4, 3) missing on purpose
    ]
    return {
        "table_id": "0001-01", "page": 1, "bbox": [100.0, 100.0, 500.0, 190.0],
        "bbox_norm": [100 / W, 100 / H, 500 / W, 190 / H], "page_width": W, "page_height": H,
        "rows": 5, "columns": 4, "header_rows": 2, "confidence": 0.93, "structure_confidence": 0.88,
        "cells": cells,
    }


def _table_two() -> dict:
    """Page 3: 2 x 2, no header rows, no merged cells, no words."""
    cells = [
        _cell(0, 0, "a", (50, 60, 150, 80)), _cell(0, 1, "b c", (150, 60, 300, 80)),
        _cell(1, 0, "", (50, 80, 150, 100)), _cell(1, 1, "d", (150, 80, 300, 100)),
    ]
    return {
        "table_id": "0003-01", "page": 3, "bbox": [50.0, 60.0, 300.0, 100.0],
        "bbox_norm": [50 / W, 60 / H, 300 / W, 100 / H], "page_width": W, "page_height": H,
        "rows": 2, "columns": 2, "header_rows": 0, "confidence": 0.8, "structure_confidence": 0.7,
        "cells": cells,
    }


def make_result() -> dict:
    """A partially succeeded job: page 1 with a table, page 2 failed, page 3 with a table,
    page 4 without tables."""
    return {
        "schema": "doctables.result/1", "job_id": "0123456789abcdef0123456789abcdef",
        "status": "PARTIALLY_SUCCEEDED",
        "source": {"bucket": "b", "key": "uploads/report.pdf", "version_id": None, "etag": "e"},
        "pages": {"total": 4, "done": 3, "failed": 1}, "created_at": "x", "finished_at": "y", "error": None,
        "page_results": [
            {"page": 1, "status": "DONE", "width": W, "height": H, "rotation": 0, "tables": 1, "error": None},
            {"page": 2, "status": "FAILED", "width": None, "height": None, "rotation": 0, "tables": 0,
             "error": {"code": "PAGE_FAILED_REPEATEDLY", "message": "boom"}},
            {"page": 3, "status": "DONE", "width": W, "height": H, "rotation": 0, "tables": 1, "error": None},
            {"page": 4, "status": "DONE", "width": W, "height": H, "rotation": 90, "tables": 0, "error": None},
        ],
        "tables": [_table_one(), _table_two()],
    }


def grids(result: dict) -> list[list[list[str]]]:
    return [Table.from_dict(t).grid() for t in result["tables"]]


@pytest.fixture(scope="module")
def sample_result() -> dict:
    from doctables.local.run import run_files

    (result,) = run_files([ROOT / "examples" / "sample.pdf"])
    assert result["status"] == "SUCCEEDED" and len(result["tables"]) == 2
    return result


def _blocks(response: dict, kind: str) -> list[dict]:
    return [b for b in response["Blocks"] if b["BlockType"] == kind]


def _children(block: dict, kind: str = "CHILD") -> list[str]:
    return [i for rel in block.get("Relationships", []) if rel["Type"] == kind for i in rel["Ids"]]


# --- the document itself ---------------------------------------------------------------------


def test_document_level_fields_and_pages():
    response = to_textract(make_result())
    assert response["JobStatus"] == "PARTIAL_SUCCESS"
    assert response["AnalyzeDocumentModelVersion"]
    pages = _blocks(response, "PAGE")
    assert [p["Page"] for p in pages] == [1, 2, 3, 4]  # failed and table-less pages too
    assert response["DocumentMetadata"]["Pages"] == len(pages) == 4
    assert "2" in response["StatusMessage"] and "Warnings" not in response
    assert response.get("Warnings") is None
    warned = to_textract(make_result(), warnings=True)
    assert warned["Warnings"] == [{"ErrorCode": "PAGE_FAILED_REPEATEDLY", "Pages": [2]}]
    assert not _children(pages[1]) and not _children(pages[3])
    for status, expected in [("SUCCEEDED", "SUCCEEDED"), ("FAILED", "FAILED"), ("RUNNING", "IN_PROGRESS")]:
        assert to_textract({**make_result(), "status": status})["JobStatus"] == expected


def test_ids_are_unique_deterministic_uuids_and_relationships_resolve():
    response = to_textract(make_result())
    ids = [b["Id"] for b in response["Blocks"]]
    assert len(ids) == len(set(ids))
    assert all(UUID.match(i) for i in ids)
    assert to_textract(make_result()) == response
    other = make_result()
    other["job_id"] = "f" * 32
    assert not set(ids) & {b["Id"] for b in to_textract(other)["Blocks"]}
    known = set(ids)
    for block in response["Blocks"]:
        for rel in block.get("Relationships", []):
            assert set(rel["Ids"]) <= known


def test_blocks_follow_their_page_block_and_carry_page_geometry_confidence():
    response = to_textract(make_result())
    current = None
    for block in response["Blocks"]:
        if block["BlockType"] == "PAGE":
            current = block["Page"]
        assert block["Page"] == current
        box = block["Geometry"]["BoundingBox"]
        assert 0 <= box["Left"] <= 1 and 0 <= box["Top"] <= 1
        assert box["Left"] + box["Width"] <= 1 + 1e-9 and box["Top"] + box["Height"] <= 1 + 1e-9
        polygon = block["Geometry"]["Polygon"]
        assert len(polygon) == 4
        assert polygon[0] == {"X": box["Left"], "Y": box["Top"]}
        assert polygon[2] == pytest.approx({"X": box["Left"] + box["Width"], "Y": box["Top"] + box["Height"]})
        assert 0 <= block["Confidence"] <= 100
    table = _blocks(response, "TABLE")[0]
    assert table["Confidence"] == pytest.approx(93.0)
    assert table["Geometry"]["BoundingBox"] == pytest.approx(
        {"Left": 100 / W, "Top": 100 / H, "Width": 400 / W, "Height": 90 / H}
    )


def test_page_children_are_its_lines_and_tables():
    response = to_textract(make_result())
    by_id = {b["Id"]: b for b in response["Blocks"]}
    page1 = _blocks(response, "PAGE")[0]
    kinds = [by_id[i]["BlockType"] for i in _children(page1)]
    assert set(kinds) == {"LINE", "TABLE"} and kinds.count("TABLE") == 1
    lines = [b for b in _blocks(response, "LINE") if b["Page"] == 1]
    assert {b["Id"] for b in lines} == {i for i in _children(page1) if by_id[i]["BlockType"] == "LINE"}
    for line in lines:
        words = [by_id[i] for i in _children(line)]
        assert words and all(w["BlockType"] == "WORD" for w in words)
        assert line["Text"] == " ".join(w["Text"] for w in words)


def test_cells_form_the_full_grid_of_1x1_cells_with_header_entity_types():
    response = to_textract(make_result())
    by_id = {b["Id"]: b for b in response["Blocks"]}
    table = _blocks(response, "TABLE")[0]
    assert table["EntityTypes"] == ["STRUCTURED_TABLE"]
    assert _blocks(response, "TABLE")[1]["EntityTypes"] == ["SEMI_STRUCTURED_TABLE"]
    cells = [by_id[i] for i in _children(table)]
    assert [(c["RowIndex"], c["ColumnIndex"]) for c in cells] == [(r, c) for r in range(1, 6) for c in range(1, 5)]
    assert all(c["BlockType"] == "CELL" and c["RowSpan"] == 1 and c["ColumnSpan"] == 1 for c in cells)
    for cell in cells:
        assert ("COLUMN_HEADER" in cell.get("EntityTypes", [])) == (cell["RowIndex"] <= 2)
    # The missing position (row 5, column 4) is an empty cell with the grid's box.
    missing = next(c for c in cells if (c["RowIndex"], c["ColumnIndex"]) == (5, 4))
    assert not _children(missing)
    assert missing["Geometry"]["BoundingBox"]["Left"] == pytest.approx(400 / W)
    assert missing["Geometry"]["BoundingBox"]["Top"] == pytest.approx(172 / H)


def test_merged_cells_cover_their_1x1_cells_and_keep_words_at_the_anchor():
    response = to_textract(make_result())
    by_id = {b["Id"]: b for b in response["Blocks"]}
    table = _blocks(response, "TABLE")[0]
    merged = [by_id[i] for i in _children(table, "MERGED_CELL")]
    spans = {(m["RowIndex"], m["ColumnIndex"]): (m["RowSpan"], m["ColumnSpan"]) for m in merged}
    assert spans == {(1, 1): (2, 1), (1, 2): (1, 3), (3, 1): (2, 1)}
    for m in merged:
        assert m["BlockType"] == "MERGED_CELL"
        covered = [by_id[i] for i in _children(m)]
        positions = {(c["RowIndex"], c["ColumnIndex"]) for c in covered}
        assert positions == {
            (m["RowIndex"] + r, m["ColumnIndex"] + c) for r in range(m["RowSpan"]) for c in range(m["ColumnSpan"])
        }
        anchor = [c for c in covered if (c["RowIndex"], c["ColumnIndex"]) == (m["RowIndex"], m["ColumnIndex"])]
        assert _children(anchor[0]) and all(not _children(c) for c in covered if c is not anchor[0])
    header = next(m for m in merged if (m["RowIndex"], m["ColumnIndex"]) == (1, 2))
    assert header["EntityTypes"] == ["COLUMN_HEADER"]
    assert " ".join(by_id[w]["Text"] for c in _children(header) for w in _children(by_id[c])) == "2024 revenue (USD)"


def test_words_come_from_the_cell_or_are_synthesised_in_proportion():
    response = to_textract(make_result())
    by_id = {b["Id"]: b for b in response["Blocks"]}
    table = _blocks(response, "TABLE")[0]
    cells = {(c["RowIndex"], c["ColumnIndex"]): c for c in (by_id[i] for i in _children(table))}

    def words(r, c):
        return [by_id[i] for i in _children(cells[(r, c)])]

    region = words(1, 1)
    assert [w["Text"] for w in region] == ["Region"] and region[0]["TextType"] == "PRINTED"
    assert region[0]["Geometry"]["BoundingBox"] == pytest.approx(
        {"Left": 105 / W, "Top": 112 / H, "Width": 35 / W, "Height": 9 / H}
    )
    assert region[0]["Confidence"] == pytest.approx(99.0)
    # Two lines of the multi-line cell.
    multi = words(3, 4)
    assert [w["Text"] for w in multi] == ["two", "line", "text"]
    lines = [b for b in _blocks(response, "LINE") if set(_children(b)) & {w["Id"] for w in multi}]
    assert [b["Text"] for b in lines] == ["two line", "text"]
    # Synthesised: "2024 revenue (USD)" over the merged box x 200..500, widths by length.
    synthetic = [by_id[i] for c in range(2, 5) for i in _children(cells[(1, c)])]
    assert [w["Text"] for w in synthetic] == ["2024", "revenue", "(USD)"]
    boxes = [w["Geometry"]["BoundingBox"] for w in synthetic]
    assert boxes[0]["Left"] == pytest.approx(200 / W)
    assert boxes[-1]["Left"] + boxes[-1]["Width"] == pytest.approx(500 / W)
    assert boxes[1]["Width"] / boxes[0]["Width"] == pytest.approx(7 / 4)
    assert all(b["Top"] == pytest.approx(100 / H) and b["Height"] == pytest.approx(18 / H) for b in boxes)
    assert all(w["Confidence"] == pytest.approx(90.0) for w in synthetic)
    assert not words(3, 3)  # empty cell, no words


def test_synthesised_words_split_lines_into_bands():
    words = synthesise_words("ab c\nxyz", (0.0, 0.0, 50.0, 20.0))
    assert [w.text for w in words] == ["ab", "c", "xyz"]
    assert words[0].box == pytest.approx((0.0, 0.0, 2 * 50 / 4, 10.0))
    assert words[1].box == pytest.approx((3 * 50 / 4, 0.0, 50.0, 10.0))
    assert words[2].box == pytest.approx((0.0, 10.0, 50.0, 20.0))


def test_words_that_do_not_spell_the_text_are_replaced():
    result = make_result()
    cell = result["tables"][1]["cells"][1]
    cell["words"] = [{"text": "zzz", "bbox": [150, 60, 160, 80], "confidence": 0.5}]
    response = to_textract(result)
    assert "zzz" not in {b.get("Text") for b in _blocks(response, "WORD")}
    assert {"b", "c"} <= {b.get("Text") for b in _blocks(response, "WORD")}


def test_a_failed_job_has_no_blocks_beyond_its_pages():
    failed = {
        "schema": "doctables.result/1", "job_id": "j", "status": "FAILED",
        "pages": {"total": 0, "done": 0, "failed": 0}, "error": {"code": "NOT_A_DOCUMENT", "message": "nope"},
        "page_results": [], "tables": [],
    }
    response = to_textract(failed)
    assert response["JobStatus"] == "FAILED" and response["Blocks"] == []
    assert response["DocumentMetadata"]["Pages"] == 0
    assert response["StatusMessage"] == "NOT_A_DOCUMENT: nope"
    from textractor.entities.document import Document

    assert Document.open(copy.deepcopy(response)).pages == []


# --- the real consumers ----------------------------------------------------------------------


def _textractor_tables(response: dict):
    from textractor.entities.document import Document

    document = Document.open(copy.deepcopy(response))
    assert len(document.pages) == response["DocumentMetadata"]["Pages"]
    return document, [table for page in document.pages for table in page.tables]


def _strip(rows) -> list[list[str]]:
    # textractor ends every cell's linearised text with its separator (a space).
    return [["" if v is None else str(v).strip() for v in row] for row in rows]


def _assert_textractor_matches(result: dict) -> None:
    _document, tables = _textractor_tables(to_textract(result))
    expected = grids(result)
    assert len(tables) == len(expected)
    for table, grid, source in zip(tables, expected, result["tables"]):
        assert table.page == source["page"]
        assert _strip(table.to_pandas().values.tolist()) == grid
        parsed = list(csv.reader(io.StringIO(table.to_csv())))
        assert _strip(row[1:] for row in parsed[1:]) == grid  # to_csv adds pandas' index
        assert (table.row_count, table.column_count) == (source["rows"], source["columns"])


def test_textractor_reads_the_tables_as_our_grid():
    _assert_textractor_matches(make_result())


def test_textractor_sees_merged_cells_headers_and_empty_cells():
    result = make_result()
    document, tables = _textractor_tables(to_textract(result))
    assert [p.page_num for p in document.pages] == [1, 2, 3, 4]
    assert [len(p.tables) for p in document.pages] == [1, 0, 1, 0]
    table = tables[0]
    by_pos = {(c.row_index, c.col_index): c for c in table.table_cells}
    region = by_pos[(1, 1)]
    from textractor.data.constants import IS_MERGED_CELL

    assert region.metadata[IS_MERGED_CELL] and by_pos[(2, 1)].metadata[IS_MERGED_CELL]
    assert not by_pos[(3, 2)].metadata[IS_MERGED_CELL]
    assert region._get_merged_cell_range() == (1, 1, 2, 1)
    assert by_pos[(1, 2)]._get_merged_cell_range() == (1, 2, 1, 4)
    assert by_pos[(3, 1)]._get_merged_cell_range() == (3, 1, 4, 1)
    assert all(by_pos[(r, c)].is_column_header for r in (1, 2) for c in range(1, 5))
    assert not any(by_pos[(r, c)].is_column_header for r in (3, 4, 5) for c in range(1, 5))
    assert by_pos[(3, 3)].text.strip() == "" and by_pos[(5, 4)].text.strip() == ""
    # Merged text rebuilt from the covered cells, and duplicated when asked.
    from textractor.data.text_linearization_config import TextLinearizationConfig

    filled = table.to_pandas(config=TextLinearizationConfig(table_duplicate_text_in_merged_cells=True))
    assert _strip(filled.values.tolist())[0] == ["Region", "2024 revenue (USD)", "2024 revenue (USD)",
                                                 "2024 revenue (USD)"]
    assert _strip(filled.values.tolist())[3][0] == "North"
    assert "two line text" in document.pages[0].text


def test_trp_reads_rows_cells_merged_cells_and_headers():
    import trp

    result = make_result()
    document = trp.Document(copy.deepcopy(to_textract(result)))
    assert len(document.pages) == 4
    tables = [t for page in document.pages for t in page.tables]
    assert [len(p.tables) for p in document.pages] == [1, 0, 1, 0]
    for table, grid in zip(tables, grids(result)):
        assert [[cell.text.strip() for cell in row.cells] for row in table.rows] == grid
    first = tables[0]
    merged = {(m.rowIndex, m.columnIndex): (m.rowSpan, m.columnSpan, m.text.strip()) for m in first.merged_cells}
    assert merged == {(1, 1): (2, 1, "Region"), (1, 2): (1, 3, "2024 revenue (USD)"), (3, 1): (2, 1, "North")}
    assert first.get_header_field_names() == [
        ["Region", "2024 revenue (USD)", "2024 revenue (USD)", "2024 revenue (USD)"],
        ["Region", "Q1", "Q2", "Q3"],
    ]
    assert len(first.rows_without_header) == 3
    assert document.pages[0].lines and "two line" in document.pages[0].text


def test_trp2_schema_loads_the_response():
    import trp.trp2 as t2

    response = to_textract(make_result())
    document = t2.TDocumentSchema().load(copy.deepcopy(response))
    assert [p.page for p in document.pages] == [1, 2, 3, 4]
    assert [len(document.tables(page)) for page in document.pages] == [1, 0, 1, 0]
    assert len(document.lines(document.pages[0])) == len(
        [b for b in _blocks(response, "LINE") if b["Page"] == 1]
    )
    assert document.job_status == "PARTIAL_SUCCESS"
    dumped = t2.TDocumentSchema().dump(document)
    assert len(dumped["Blocks"]) == len(response["Blocks"])


def test_trp2_refuses_the_api_shaped_warnings_list_which_is_why_it_is_opt_in():
    import marshmallow
    import trp.trp2 as t2

    with pytest.raises(marshmallow.ValidationError):
        t2.TDocumentSchema().load(to_textract(make_result(), warnings=True))
    _textractor_tables(to_textract(make_result(), warnings=True))  # textractor does not mind


def test_sample_document_round_trips_through_textractor_and_trp(sample_result):
    import trp

    _assert_textractor_matches(sample_result)
    response = to_textract(sample_result)
    document = trp.Document(copy.deepcopy(response))
    tables = [t for page in document.pages for t in page.tables]
    for table, grid in zip(tables, grids(sample_result), strict=True):
        assert [[cell.text.strip() for cell in row.cells] for row in table.rows] == grid
    first = tables[0]
    assert {(m.rowIndex, m.columnIndex, m.rowSpan, m.columnSpan) for m in first.merged_cells} == {
        (1, 1, 2, 1), (1, 2, 1, 4)
    }
    assert grids(sample_result)[0][0][:2] == ["Region", "2024 revenue (USD thousands)"]


def test_the_pages_text_outside_the_cells_becomes_its_lines_and_words():
    """Given the page's text, every line of the page comes back: the lines outside the tables
    as LINE and WORD blocks of the page (geometry on the page), the words a cell holds once,
    under their cell; a page without tables has all its lines."""
    from doctables.model.text import TextLine, TextWord

    def line(*words):
        return TextLine(tuple(TextWord(t, b, 0.98) for t, b in words))

    title = line(("Annual", (72.0, 60.0, 120.0, 72.0)), ("report", (124.0, 60.0, 170.0, 72.0)))
    inside = line(("Region", (105.0, 112.0, 140.0, 121.0)))  # the cell (0, 0)'s word
    crossing = line(("Total", (105.0, 176.0, 130.0, 185.0)), ("note:", (520.0, 176.0, 550.0, 185.0)))
    footer = line(("Page", (280.0, 740.0, 300.0, 750.0)), ("4", (304.0, 740.0, 310.0, 750.0)))
    text = {1: [title, inside, crossing], 4: [footer]}
    response = to_textract(make_result(), page_text=text)
    blocks = response["Blocks"]
    by_id = {b["Id"]: b for b in blocks}
    lines = [b for b in blocks if b["BlockType"] == "LINE"]
    page_one = [b for b in lines if b["Page"] == 1]
    assert [b["Text"] for b in page_one][:2] == ["Annual report", "note:"]  # the page's own, first
    assert sum(b["Text"] == "Region" for b in page_one) == 1  # the cell's word once, in its cell
    heading = page_one[0]
    assert heading["Geometry"]["BoundingBox"] == pytest.approx(
        {"Left": 72 / W, "Top": 60 / H, "Width": 98 / W, "Height": 12 / H})
    words = [by_id[i] for i in heading["Relationships"][0]["Ids"]]
    assert [(w["BlockType"], w["Text"], w["TextType"]) for w in words] == [
        ("WORD", "Annual", "PRINTED"), ("WORD", "report", "PRINTED")]
    assert words[0]["Geometry"]["Polygon"][0] == pytest.approx({"X": 72 / W, "Y": 60 / H})
    assert words[0]["Confidence"] == 98.0
    (page_block,) = [b for b in blocks if b["BlockType"] == "PAGE" and b["Page"] == 1]
    assert page_block["Relationships"][0]["Ids"][:2] == [heading["Id"], page_one[1]["Id"]]
    (page_four,) = [b for b in lines if b["Page"] == 4]
    assert page_four["Text"] == "Page 4"
    assert len({b["Id"] for b in blocks}) == len(blocks)
    # without the text, only the cells' words, as before
    plain = to_textract(make_result())
    assert not {b["Text"] for b in plain["Blocks"] if b["BlockType"] == "LINE"} & {"Annual report", "note:", "Page 4"}
