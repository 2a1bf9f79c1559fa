"""Tables as CSV, XLSX, Markdown, HTML and pandas, and a job's result written in any of them.

Merged cells, format by format:

- **CSV** and **pandas** (`to_csv`, `to_pandas`): a merged cell's text sits at its top-left
  position and the positions it covers are empty, as in `Table.grid()` (and as textractor's
  `to_pandas` / `to_csv` read the Textract export); `fill_merged=True` repeats the text into
  every covered position instead. Every row is written, header rows first; `to_pandas` turns the
  header rows into the column index (a MultiIndex when there are several), a merged header's
  text repeated over every column and header row it covers.
- **CSV formulas** (`to_csv`, `write_exports`): a cell a spreadsheet would evaluate (its first
  character, or its first after leading spaces, is ``=``, ``+``, ``-`` or ``@``, or it starts
  with a tab or a carriage return) is written with a single quote in front (``'=HYPERLINK(…)``),
  as OWASP advises against CSV injection; plain numbers (``-12.5``, ``+3``, ``-1,234.5``,
  ``-4%``) and a lone ``-`` are left as they are, and a cell holding ``;`` or a tab is quoted so
  that a spreadsheet splitting on either cannot start a new cell inside it.
  ``escape_formulas=False`` (``doctables run/get --no-escape-formulas``) writes the text as
  extracted.
- **XLSX** (`to_xlsx`): the covered range is merged in the sheet; header rows are bold and
  frozen. Every value is written as text (never as a formula or a number).
- **Markdown** (`to_markdown`): GitHub pipe tables have no spans, so a merged cell's text is
  repeated in every position it covers, making each row readable on its own. A pipe table has
  exactly one header line: several header rows are flattened into it, per column the distinct
  texts from top to bottom joined with " / " (e.g. "2024 revenue (USD thousands) / Q1"); a
  table without header rows gets an empty header line.
- **HTML** (`to_html`): ``rowspan`` / ``colspan``; header rows in ``<thead>`` with ``<th>``.

`write_exports` writes a result document in the formats of `FORMATS`; tables that continue
across pages (`doctables.outputs.continuation`) are exported merged as well, after the per-page parts.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from doctables.model.formats import cell_spans, escape_formula, markdown_cell, to_csv, to_html, to_markdown, to_pandas
from doctables.model.result import ResultDocument, as_result
from doctables.model.tables import Table
from doctables.outputs.continuation import link_tables, merge_chain
from doctables.outputs.textract import to_textract

__all__ = ["FORMATS", "escape_formula", "to_csv", "to_html", "to_markdown", "to_pandas", "to_xlsx", "write_exports"]

FORMATS = ("json", "textract", "csv", "xlsx", "md", "html")


def to_xlsx(
    tables: Sequence[Table],
    path_or_buffer: str | Path | IO[bytes],
    *,
    sheet_names: Sequence[str] | None = None,
) -> None:
    """A workbook with one sheet per table (named by its table id, or `sheet_names`): merged
    cells merged, header rows bold and frozen, every value text. An empty `tables` gives one
    empty sheet named "no tables"."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    names = list(sheet_names) if sheet_names is not None else [t.table_id for t in tables]
    if len(names) != len(tables):
        raise ValueError("sheet_names must name every table")
    used: set[str] = set()
    bold = Font(bold=True)
    for table, name in zip(tables, names):
        sheet = workbook.create_sheet(_sheet_name(name, used))
        header = min(table.header_rows, table.rows)
        spans, _ = cell_spans(table)
        widths = [8.0] * table.columns
        for span in spans:
            cell = sheet.cell(row=span.row + 1, column=span.col + 1)
            text = ILLEGAL_CHARACTERS_RE.sub("", span.text)
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text starts with
            in_header = span.row < header
            if in_header:
                cell.font = bold
            if "\n" in text or in_header and (span.cols > 1 or span.rows > 1):
                cell.alignment = Alignment(
                    wrap_text="\n" in text,
                    horizontal="center" if in_header and span.cols > 1 else None,
                    vertical="center" if in_header and span.rows > 1 else None,
                )
            if span.rows > 1 or span.cols > 1:
                sheet.merge_cells(
                    start_row=span.row + 1,
                    start_column=span.col + 1,
                    end_row=span.row + span.rows,
                    end_column=span.col + span.cols,
                )
            if span.cols == 1:
                longest = max((len(line) for line in text.splitlines()), default=0)
                widths[span.col] = max(widths[span.col], min(60.0, longest + 2.0))
        for c, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(c + 1)].width = width
        if 0 < header < table.rows:
            sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    if not tables:
        workbook.create_sheet("no tables")
    workbook.save(path_or_buffer)


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\ , at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "table"
    base = base[:31]
    candidate, n = base, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.casefold())
    return candidate


# --- a whole result --------------------------------------------------------------------------


def write_exports(result: ResultDocument | Mapping[str, Any], out_dir: Path, formats: Sequence[str], stem: str,
                  *, escape_formulas: bool = True) -> list[Path]:
    """Write `result` (a result document, typed or its JSON as a dict) in each of `formats`
    (from `FORMATS`) under `out_dir`; the paths written, in order. CSV cells a spreadsheet
    would evaluate are neutralised unless `escape_formulas` is False (see `to_csv`).

    json: ``<stem>.json``, the result document; textract: ``<stem>.textract.json``; csv:
    ``<stem>-<table_id>.csv`` per table and ``<stem>-<first_table_id>-merged.csv`` per table
    continued across pages; xlsx: ``<stem>.xlsx``, a sheet per table and per merged table;
    md / html: ``<stem>.md`` / ``<stem>.html``, every table under a heading."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    document = as_result(result)
    tables = document.tables
    by_id = {t.table_id: t for t in tables}
    chains = link_tables(tables)
    merged = [merge_chain([by_id[i] for i in chain]) for chain in chains]
    everything = [*tables, *merged]
    parts_of = {m.table_id: chain for m, chain in zip(merged, chains)}

    written: list[Path] = []

    def put(name: str, data: str | bytes) -> None:
        path = out_dir / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(data)
        written.append(path)

    for fmt in wanted:
        if fmt == "json":
            put(f"{stem}.json", json.dumps(document.to_dict(), indent=2, ensure_ascii=False) + "\n")
        elif fmt == "textract":
            put(f"{stem}.textract.json", json.dumps(to_textract(document), indent=2, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            for table in everything:
                put(f"{stem}-{table.table_id}.csv", to_csv(table, escape_formulas=escape_formulas))
        elif fmt == "xlsx":
            buffer = io.BytesIO()
            to_xlsx(everything, buffer)
            put(f"{stem}.xlsx", buffer.getvalue())
        elif fmt == "md":
            put(f"{stem}.md", _markdown_document(document, everything, parts_of, stem))
        elif fmt == "html":
            put(f"{stem}.html", _html_document(document, everything, parts_of, stem))
    return written


def _title(document: ResultDocument, stem: str) -> str:
    return document.source.key.rsplit("/", 1)[-1] or stem


def _caption(table: Table, parts_of: dict[str, list[str]], by_page: dict[str, int]) -> str:
    size = f"{table.rows} × {table.columns}"
    chain = parts_of.get(table.table_id)
    if chain:
        pages = [by_page[i] for i in chain if i in by_page]
        return f"Table {chain[0]} continued over pages {pages[0]}–{pages[-1]} (merged from {', '.join(chain)}; {size})"
    return f"Table {table.table_id} (page {table.page}; {size})"


def _summary(document: ResultDocument) -> str | None:
    if document.error:
        return f"{document.status or 'FAILED'}: {document.error.code}: {document.error.message}"
    failed = [p.page for p in document.page_results if p.failed]
    if failed:
        return f"{document.status}: page(s) {', '.join(map(str, failed))} failed"
    return None


def _markdown_document(document: ResultDocument, tables: list[Table], parts_of: dict[str, list[str]],
                       stem: str) -> str:
    by_page = {t.table_id: t.page for t in tables}
    out = [f"# {markdown_cell(_title(document, stem))}", ""]
    summary = _summary(document)
    if summary:
        out += [markdown_cell(summary), ""]
    if not tables:
        out += ["No tables found.", ""]
    for table in tables:
        out += [f"## {markdown_cell(_caption(table, parts_of, by_page))}", "", to_markdown(table)]
    return "\n".join(out)


def _html_document(document: ResultDocument, tables: list[Table], parts_of: dict[str, list[str]], stem: str) -> str:
    by_page = {t.table_id: t.page for t in tables}
    title = html.escape(_title(document, stem))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{title}</title>",
        ("<style>table{border-collapse:collapse;margin-bottom:2em}"
        "th,td{border:1px solid #999;padding:.2em .5em;vertical-align:top}</style>"),
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
    ]
    summary = _summary(document)
    if summary:
        out.append(f"<p>{html.escape(summary)}</p>")
    if not tables:
        out.append("<p>No tables found.</p>")
    for table in tables:
        out.append(f"<h2>{html.escape(_caption(table, parts_of, by_page))}</h2>")
        out.append(to_html(table).rstrip("\n"))
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
