"""Exports of tables: CSV, XLSX, Markdown, HTML, pandas, and a result written in every format."""

from __future__ import annotations

import copy
import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from doctables.model.tables import Cell, Table
from doctables.outputs.exports import FORMATS, to_csv, to_html, to_markdown, to_pandas, to_xlsx, write_exports

ROOT = Path(__file__).resolve().parents[2]
W, H = 612.0, 792.0


def _table(rows: int, columns: int, cells: list[tuple], table_id: str = "0001-01", page: int = 1,
           bbox=(100.0, 100.0, 500.0, 300.0)) -> Table:
    """cells: (row, col, text[, row_span, col_span, is_header]); boxes from a regular grid."""
    x0, y0, x1, y1 = bbox
    cw, rh = (x1 - x0) / columns, (y1 - y0) / rows
    out = []
    for spec in cells:
        r, c, text, *rest = spec
        rs, cs, header = (rest + [1, 1, False][len(rest):])[:3]
        out.append(Cell(r, c, rs, cs, text, (x0 + c * cw, y0 + r * rh, x0 + (c + cs) * cw, y0 + (r + rs) * rh), 0.9,
                        header))
    return Table(table_id, page, bbox, W, H, rows, columns, 0.95, 0.9, out)


def revenue() -> Table:
    """Two header rows ("Region" down both, "2024" over three columns), "North" over two body
    rows, empty cells, a missing position, text needing quoting and escaping."""
    return _table(5, 4, [
        (0, 0, "Region", 2, 1, True), (0, 1, "2024", 1, 3, True),
        (1, 1, "Q1", 1, 1, True), (1, 2, "Q2", 1, 1, True), (1, 3, "Q3", 1, 1, True),
        (2, 0, "North", 2, 1), (2, 1, "1,204.5"), (2, 2, ""), (2, 3, 'say "hi"'),
        (3, 1, "line one\nline two"), (3, 2, " padded "), (3, 3, "a|b"),
        (4, 0, "Total"), (4, 1, "=SUM(B3:B4)"), (4, 2, "<script>alert('x')</script>"),
        # (4, 3) missing
    ])


def plain() -> Table:
    return _table(2, 2, [(0, 0, "a"), (0, 1, "b"), (1, 0, ""), (1, 1, "d")], table_id="0002-01", page=2)


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def sample_result() -> dict:
    from doctables.local.run import run_files

    (result,) = run_files([ROOT / "examples" / "sample.pdf"])
    assert result["status"] == "SUCCEEDED" and len(result["tables"]) == 2
    return result


# --- CSV -------------------------------------------------------------------------------------


def test_csv_quotes_and_keeps_empty_cells_and_merged_text_at_top_left():
    text = to_csv(revenue())
    assert text.endswith("\r\n") and text.count("\r\n") == 5  # CRLF between records
    rows = list(csv.reader(io.StringIO(text)))
    grid = revenue().grid()
    grid[4][1] = "'=SUM(B3:B4)"  # a formula is neutralised (tests/test_hardening.py)
    assert rows == grid
    assert rows[0] == ["Region", "2024", "", ""]
    assert rows[3] == ["", "line one\nline two", " padded ", "a|b"]
    assert rows[4] == ["Total", "'=SUM(B3:B4)", "<script>alert('x')</script>", ""]
    lines = text.split("\r\n")
    assert lines[2] == 'North,"1,204.5",,"say ""hi"""'
    assert lines[3] == ',"line one\nline two", padded ,a|b'  # the line break stays inside quotes
    # escape_formulas=False: the text exactly as extracted
    raw = to_csv(revenue(), escape_formulas=False)
    assert list(csv.reader(io.StringIO(raw))) == revenue().grid()
    assert raw == text.replace("'=SUM", "=SUM")


def test_csv_can_fill_merged_cells():
    rows = list(csv.reader(io.StringIO(to_csv(revenue(), fill_merged=True))))
    assert rows[0] == ["Region", "2024", "2024", "2024"]
    assert rows[1][0] == "Region" and rows[3][0] == "North"


# --- HTML ------------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Rebuild a grid from HTML table markup, placing rowspan/colspan like a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, str, int, int]]] = []
        self.groups: list[str] = []
        self.cell: list | None = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("thead", "tbody"):
            self.groups.append(tag)
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = [tag, "", int(attrs.get("rowspan", 1)), int(attrs.get("colspan", 1))]
        elif tag == "br" and self.cell is not None:
            self.cell[1] += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(tuple(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data

    def grid(self, columns: int):
        grid: dict[tuple[int, int], tuple[str, str]] = {}
        spans = []
        for r, row in enumerate(self.rows):
            c = 0
            for tag, text, rs, cs in row:
                while (r, c) in grid:
                    c += 1
                spans.append((r, c, rs, cs, tag))
                for dr in range(rs):
                    for dc in range(cs):
                        assert (r + dr, c + dc) not in grid, "overlapping cells"
                        grid[(r + dr, c + dc)] = (tag, text if (dr, dc) == (0, 0) else "")
                c += cs
        width = {c for (_, c) in grid}
        assert width == set(range(columns))
        return [[grid[(r, c)][1] for c in range(columns)] for r in range(len(self.rows))], spans


def test_html_has_thead_spans_and_escapes_everything():
    markup = to_html(revenue())
    parser = _TableParser()
    parser.feed(markup)
    assert parser.groups == ["thead", "tbody"]
    assert parser.scripts == 0 and "<script>" not in markup
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in markup
    assert "say &quot;hi&quot;" in markup
    grid, spans = parser.grid(4)
    assert grid == revenue().grid()
    assert (0, 0, 2, 1, "th") in spans and (0, 1, 1, 3, "th") in spans and (2, 0, 2, 1, "td") in spans
    assert all(tag == "th" for r, _, _, _, tag in spans if r < 2)
    assert all(tag == "td" for r, _, _, _, tag in spans if r >= 2)
    assert 'rowspan="2"' in markup and 'colspan="3"' in markup


def test_html_without_header_rows_has_no_thead_and_cuts_spans_at_the_header():
    parser = _TableParser()
    parser.feed(to_html(plain()))
    assert parser.groups == ["tbody"]
    # A header cell reaching into the body is cut at the header; the body gets an empty cell.
    odd = _table(3, 2, [(0, 0, "H", 2, 1, True), (0, 1, "h", 1, 1, True), (1, 1, "x"), (2, 0, "y"), (2, 1, "z")])
    odd.cells[0].is_header = True
    assert odd.header_rows == 2  # header runs to the end of the tall cell
    parser = _TableParser()
    parser.feed(to_html(odd))
    grid, _ = parser.grid(2)
    assert grid == [["H", "h"], ["", "x"], ["y", "z"]]


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_merges_ranges_bolds_headers_and_writes_text(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    to_xlsx([revenue(), plain()], path)
    book = load_workbook(path)
    assert book.sheetnames == ["0001-01", "0002-01"]
    sheet = book["0001-01"]
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:A2", "A3:A4", "B1:D1"]
    assert sheet["A1"].value == "Region" and sheet["B1"].value == "2024" and sheet["A3"].value == "North"
    assert sheet["B1"].font.bold and sheet["B2"].font.bold and not sheet["B3"].font.bold
    assert sheet.freeze_panes == "A3"
    assert sheet["B5"].value == "=SUM(B3:B4)" and sheet["B5"].data_type == "s"  # not a formula
    assert sheet["B4"].value == "line one\nline two" and sheet["B4"].alignment.wrap_text
    assert sheet["C4"].value == " padded "
    assert sheet["C3"].value in (None, "") and sheet["D5"].value is None
    values = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values == revenue().grid()
    assert [[c or "" for c in row] for row in book["0002-01"].iter_rows(values_only=True)] == plain().grid()


def test_xlsx_to_a_buffer_with_odd_and_repeated_sheet_names():
    from openpyxl import load_workbook

    buffer = io.BytesIO()
    to_xlsx([plain(), plain(), plain()], buffer, sheet_names=["a/b", "a/b", "x" * 40])
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["a_b", "a_b (2)", "x" * 31]
    empty = io.BytesIO()
    to_xlsx([], empty)
    assert load_workbook(io.BytesIO(empty.getvalue())).sheetnames == ["no tables"]


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_repeats_merged_cells_flattens_headers_and_escapes():
    lines = to_markdown(revenue()).splitlines()
    assert lines[0] == "| Region | 2024 / Q1 | 2024 / Q2 | 2024 / Q3 |"
    assert lines[1] == "| --- | --- | --- | --- |"
    assert lines[2] == '| North | 1,204.5 |  | say "hi" |'
    assert lines[3] == "| North | line one<br>line two | padded | a\\|b |"
    assert lines[4] == "| Total | =SUM(B3:B4) | \\<script\\>alert('x')\\</script\\> |  |"
    assert len(lines) == 5
    assert all(line.count("|") - line.count("\\|") == 5 for line in lines)


def test_markdown_without_header_rows_has_an_empty_header_line():
    assert to_markdown(plain()).splitlines() == ["|  |  |", "| --- | --- |", "| a | b |", "|  | d |"]


# --- pandas ----------------------------------------------------------------------------------


def test_pandas_single_multi_and_no_header():
    import pandas as pd

    frame = to_pandas(revenue())
    assert isinstance(frame.columns, pd.MultiIndex)
    assert list(frame.columns) == [("Region", "Region"), ("2024", "Q1"), ("2024", "Q2"), ("2024", "Q3")]
    assert frame.values.tolist() == revenue().grid()[2:]
    assert to_pandas(revenue(), fill_merged=True).values.tolist()[1][0] == "North"

    one = _table(3, 2, [(0, 0, "k", 1, 1, True), (0, 1, "v", 1, 1, True), (1, 0, "a"), (1, 1, "1"), (2, 0, "b")])
    frame = to_pandas(one)
    assert not isinstance(frame.columns, pd.MultiIndex) and list(frame.columns) == ["k", "v"]
    assert frame.values.tolist() == [["a", "1"], ["b", ""]]
    assert frame["v"].tolist() == ["1", ""]

    frame = to_pandas(plain())
    assert list(frame.columns) == [0, 1] and frame.values.tolist() == plain().grid()


# --- write_exports ---------------------------------------------------------------------------


def _continued_result() -> dict:
    """A table over pages 1-2 (the header repeated on page 2) and a lone table on page 3."""
    def part(table_id, page, top, bottom, body):
        cells = [(0, 0, "Name", 1, 1, True), (0, 1, "Value", 1, 1, True)]
        cells += [(i + 1, c, text) for i, row in enumerate(body) for c, text in enumerate(row)]
        return _table(len(body) + 1, 2, cells, table_id=table_id, page=page, bbox=(72.0, top, 540.0, bottom))

    tables = [
        part("0001-01", 1, 400.0, 740.0, [["a", "1"], ["b", "2"]]),
        part("0002-01", 2, 60.0, 200.0, [["c", "3"]]),
        _table(2, 3, [(0, 0, "x"), (1, 2, "y")], table_id="0003-01", page=3),
    ]
    return {
        "schema": "doctables.result/1", "job_id": "j" * 32, "status": "SUCCEEDED",
        "source": {"bucket": "b", "key": "uploads/long.pdf", "version_id": None, "etag": "e"},
        "pages": {"total": 3, "done": 3, "failed": 0}, "error": None,
        "page_results": [{"page": p, "status": "DONE", "width": W, "height": H, "rotation": 0, "tables": 1,
                          "decision": None, "error": None} for p in (1, 2, 3)],
        "tables": [t.to_dict() for t in tables],
    }


def test_write_exports_writes_every_format_with_merged_continuations(tmp_path):
    from openpyxl import load_workbook

    result = _continued_result()
    paths = write_exports(result, tmp_path / "out", list(FORMATS), "long")
    names = [p.name for p in paths]
    assert names == [
        "long.json", "long.textract.json",
        "long-0001-01.csv", "long-0002-01.csv", "long-0003-01.csv", "long-0001-01-merged.csv",
        "long.xlsx", "long.md", "long.html",
    ]
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 0 for p in paths)
    assert json.loads((tmp_path / "out" / "long.json").read_text()) == result
    merged = list(csv.reader(io.StringIO(_read(tmp_path / "out" / "long-0001-01-merged.csv"))))
    assert merged == [["Name", "Value"], ["a", "1"], ["b", "2"], ["c", "3"]]
    assert load_workbook(tmp_path / "out" / "long.xlsx").sheetnames == ["0001-01", "0002-01", "0003-01",
                                                                          "0001-01-merged"]
    md = (tmp_path / "out" / "long.md").read_text()
    assert md.startswith("# long.pdf\n")
    assert md.count("\n## ") == 4 and "continued over pages 1–2" in md
    page = (tmp_path / "out" / "long.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<table") == 4 and page.count("<h2>") == 4

    from textractor.entities.document import Document

    response = json.loads((tmp_path / "out" / "long.textract.json").read_text())
    assert len(Document.open(response).tables) == 3  # the per-page parts


def test_write_exports_checks_formats_and_writes_only_those_asked(tmp_path):
    with pytest.raises(ValueError, match="pdf"):
        write_exports(_continued_result(), tmp_path, ["csv", "pdf"], "x")
    assert list(tmp_path.iterdir()) == []
    paths = write_exports(_continued_result(), tmp_path, ["md", "md"], "x")
    assert [p.name for p in paths] == ["x.md"]


def test_write_exports_on_a_failed_job(tmp_path):
    failed = {"schema": "doctables.result/1", "job_id": "f", "status": "FAILED", "source": {"key": "uploads/x.bin"},
              "pages": {"total": 0, "done": 0, "failed": 0}, "page_results": [], "tables": [],
              "error": {"code": "NOT_A_DOCUMENT", "message": "<not> a document"}}
    paths = write_exports(failed, tmp_path, list(FORMATS), "x")
    assert [p.name for p in paths] == ["x.json", "x.textract.json", "x.xlsx", "x.md", "x.html"]
    assert "No tables found." in (tmp_path / "x.md").read_text()
    assert "&lt;not&gt; a document" in (tmp_path / "x.html").read_text()


def test_sample_document_exports(tmp_path, sample_result):
    from openpyxl import load_workbook

    result = copy.deepcopy(sample_result)
    paths = write_exports(result, tmp_path, list(FORMATS), "sample")
    tables = [Table.from_dict(t) for t in result["tables"]]
    assert sorted(p.name for p in paths) == sorted(
        ["sample.json", "sample.textract.json", "sample-0001-01.csv", "sample-0002-01.csv", "sample.xlsx",
         "sample.md", "sample.html"]
    )
    for table in tables:
        rows = list(csv.reader(io.StringIO(_read(tmp_path / f"sample-{table.table_id}.csv"))))
        assert rows == table.grid()
    sheet = load_workbook(tmp_path / "sample.xlsx")["0001-01"]
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:A2", "B1:E1"]
    md = (tmp_path / "sample.md").read_text()
    assert "| Region | 2024 revenue (USD thousands) / Q1 |" in md
    assert "| Finance | 42 | 8.9% |  |" in md
    parser = _TableParser()
    parser.feed(to_html(tables[0]))
    assert parser.grid(5)[0] == tables[0].grid()
    assert to_pandas(tables[1]).columns.tolist() == ["Department", "Employees", "Share", "Change"]
