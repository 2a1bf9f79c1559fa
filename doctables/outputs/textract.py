"""A result document as Amazon Textract's GetDocumentAnalysis response (FeatureTypes TABLES).

`to_textract(result)` turns a `doctables.result/1` document into the JSON that Textract's
asynchronous table analysis returns, so that tools written for Textract (amazon-textract-
textractor, amazon-textract-response-parser) read doctables' tables unchanged.

What is emitted, per page of the document (failed pages and pages without tables too):

- one PAGE block (``Page`` n, geometry the whole page), whose CHILD relationship lists the
  page's LINE blocks and TABLE blocks;
- LINE blocks (CHILD -> WORD) grouping each cell's words into lines; WORD blocks (``Text``,
  ``TextType`` PRINTED); given the page's text, also a LINE (and its WORDs) for each line of
  the page outside the tables' cells, first, in the order the page was read;
- per table a TABLE block (``EntityTypes`` STRUCTURED_TABLE when it has header rows, else
  SEMI_STRUCTURED_TABLE) with CHILD -> every CELL of the full grid, row-major, and
  MERGED_CELL -> its MERGED_CELL blocks;
- CELL blocks, always 1x1 as in Textract, one per grid position (positions with no cell in the
  result become empty CELLs), with CHILD -> their WORDs and ``EntityTypes`` COLUMN_HEADER in
  header rows;
- MERGED_CELL blocks for cells spanning more than one position, with ``RowSpan`` /
  ``ColumnSpan`` and CHILD -> the 1x1 CELLs they cover. The merged cell's words are children of
  the covered CELL at its top-left (its anchor), the other covered CELLs are empty: consumers
  that rebuild the merged text from the covered cells (textractor, trp's MergedCell) get the
  whole text, and those that read CELLs alone (trp's rows) see the text at the top-left
  position with empty covered positions, exactly like `Table.grid()`.

Words come from each cell's ``words`` (the text layer's words, boxes in points). A cell without
them (older results), or whose words do not spell its text, gets synthetic words: its text
split on whitespace, the cell box divided along x in proportion to the word lengths (one band
per text line when the text has line breaks).

``JobStatus`` maps SUCCEEDED -> SUCCEEDED, PARTIALLY_SUCCEEDED -> PARTIAL_SUCCESS, FAILED ->
FAILED (anything else IN_PROGRESS); failed pages and a job's error are told in
``StatusMessage`` (and in ``Warnings`` on request, see `to_textract`).

Ids are UUID strings derived with uuid5 from the job id and the block's path, so converting the
same result twice gives the same document. Geometry is page-normalised (0..1) with a 4-point
polygon; confidences are 0..100.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from doctables.geometry import Box, centre_in
from doctables.model.result import ResultDocument, as_result
from doctables.model.layout import joined_text
from doctables.model.tables import Cell, Table
from doctables.model.text import TextLine

MODEL_VERSION = "1.0"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://doctables/textract")

_JOB_STATUS = {
    "SUCCEEDED": "SUCCEEDED",
    "PARTIALLY_SUCCEEDED": "PARTIAL_SUCCESS",
    "PARTIAL_SUCCESS": "PARTIAL_SUCCESS",
    "FAILED": "FAILED",
}


def to_textract(result: ResultDocument | Mapping[str, Any], *, warnings: bool = False,
                page_text: Mapping[int, Sequence[TextLine]] | None = None) -> dict[str, Any]:
    """The Textract GetDocumentAnalysis (TABLES) response equivalent to a result document
    (typed, or its JSON as a dict). `page_text`: each page's lines of words (the job's text):
    those outside the tables' cells become LINE and WORD blocks of their page too, as
    Textract returns every line of the page; without it, only the cells' words do.

    Failed pages are named in ``StatusMessage``. With `warnings`, they are also listed in
    ``Warnings`` as the Textract API does ([{"ErrorCode", "Pages"}]); that is off by default
    because trp2's schema (amazon-textract-response-parser) reads ``Warnings`` as one object and
    refuses the list."""
    document = as_result(result)
    pages = _page_sizes(document)
    tables_by_page: dict[int, list[Table]] = {}
    for table in sorted(document.tables, key=lambda t: (t.page, t.table_id)):
        tables_by_page.setdefault(table.page, []).append(table)
    # A table on a page the page list does not know still gets its page.
    for number in tables_by_page:
        pages.setdefault(number, (None, None))

    blocks: list[dict[str, Any]] = []
    for number in sorted(pages):
        lines = (page_text or {}).get(number, ())
        blocks.extend(_page_blocks(document.job_id, number, pages[number], tables_by_page.get(number, []), lines))

    response: dict[str, Any] = {
        "DocumentMetadata": {"Pages": len(pages)},
        "JobStatus": _JOB_STATUS.get(document.status, "IN_PROGRESS"),
        "AnalyzeDocumentModelVersion": MODEL_VERSION,
        "Blocks": blocks,
    }
    failed = document.failed_pages
    if failed and warnings:
        response["Warnings"] = _warnings(document)
    if document.error:
        response["StatusMessage"] = f"{document.error.code}: {document.error.message}"
    elif failed:
        response["StatusMessage"] = f"{len(failed)} page(s) failed: {', '.join(map(str, failed))}"
    return response


def _warnings(document: ResultDocument) -> list[dict[str, Any]]:
    """The API's shape: a list of {ErrorCode, Pages}, one per error code of the failed pages."""
    codes: dict[str, list[int]] = {}
    for page in document.page_results:
        if page.failed:
            code = (page.error.code if page.error else None) or "PAGE_FAILED"
            codes.setdefault(str(code), []).append(page.page)
    return [{"ErrorCode": code, "Pages": sorted(nums)} for code, nums in sorted(codes.items())]


# --- pages -----------------------------------------------------------------------------------


def _page_sizes(document: ResultDocument) -> dict[int, tuple[float | None, float | None]]:
    """Page number -> (width, height) in points, for every page of the document."""
    sizes: dict[int, tuple[float | None, float | None]] = {}
    for page in document.page_results:
        sizes[page.page] = (
            float(page.width) if page.width else None,
            float(page.height) if page.height else None,
        )
    for table in document.tables:
        if sizes.get(table.page, (None, None))[0] is None:
            sizes[table.page] = (table.page_width, table.page_height)
    for number in range(1, document.pages.total + 1):
        sizes.setdefault(number, (None, None))
    return sizes


def _page_blocks(
    job_id: str, number: int, size: tuple[float | None, float | None], tables: list[Table],
    lines: Sequence[TextLine] = (),
) -> list[dict[str, Any]]:
    page_id = block_id(job_id, f"page/{number}")
    children: list[str] = []
    body: list[dict[str, Any]] = []
    if lines and size[0] and size[1]:
        width, height = float(size[0]), float(size[1])
        body.extend(_text_blocks(job_id, number, _outside_cells(lines, tables),
                                 lambda b: (b[0] / width, b[1] / height, b[2] / width, b[3] / height), children))
    for table in tables:
        width = table.page_width or size[0] or 1.0
        height = table.page_height or size[1] or 1.0
        table_blocks, line_ids, table_block_id = _table_blocks(job_id, number, table, width, height)
        children.extend(line_ids)
        children.append(table_block_id)
        body.extend(table_blocks)
    page: dict[str, Any] = {
        "BlockType": "PAGE",
        "Id": page_id,
        "Page": number,
        "Confidence": 100.0,
        "Geometry": _geometry((0.0, 0.0, 1.0, 1.0)),
    }
    if children:
        page["Relationships"] = [{"Type": "CHILD", "Ids": children}]
    # trp reads the blocks page by page: every block follows its page's PAGE block.
    return [page, *body]


# --- the page's text --------------------------------------------------------------------------


def _outside_cells(lines: Sequence[TextLine], tables: Sequence[Table]) -> list[list[_Word]]:
    """The page's lines less the words a table cell holds (centre inside a cell with text):
    the cells' own LINE and WORD blocks tell those."""
    cells = [_box(c.bbox) for t in tables for c in t.cells if c.text.strip()]
    kept: list[list[_Word]] = []
    for line in lines:
        words = [_Word(w.text, _box(w.bbox), w.confidence) for w in line.words
                 if not any(centre_in(_box(w.bbox), cell) for cell in cells)]
        if words:
            kept.append(words)
    return kept


def _text_blocks(job_id: str, page: int, lines: list[list[_Word]], norm: Callable[[Box], Box],
                 children: list[str]) -> list[dict[str, Any]]:
    """LINE and WORD blocks of the page's text outside its tables (the LINE ids to `children`)."""
    blocks: list[dict[str, Any]] = []
    for li, line in enumerate(lines):
        base = f"page/{page}/text/{li}"
        ids = [block_id(job_id, f"{base}/word/{wi}") for wi in range(len(line))]
        for wid, word in zip(ids, line):
            blocks.append({"BlockType": "WORD", "Id": wid, "Page": page, "Confidence": _percent(word.confidence),
                           "Text": word.text, "TextType": "PRINTED", "Geometry": _geometry(norm(word.box))})
        lid = block_id(job_id, base)
        blocks.append({
            "BlockType": "LINE", "Id": lid, "Page": page,
            "Confidence": round(sum(_percent(w.confidence) for w in line) / len(line), 4),
            "Text": joined_text([w.text for w in line]),
            "Geometry": _geometry(norm(_union(w.box for w in line))),
            "Relationships": [{"Type": "CHILD", "Ids": ids}],
        })
        children.append(lid)
    return blocks


# --- tables ----------------------------------------------------------------------------------


@dataclass
class _Word:
    text: str
    box: Box  # points
    confidence: float  # 0..1


def _table_blocks(
    job_id: str, page: int, table: Table, width: float, height: float
) -> tuple[list[dict[str, Any]], list[str], str]:
    """(blocks of the table: LINEs, WORDs, TABLE, CELLs, MERGED_CELLs; the LINE ids; the TABLE id)."""
    base = f"page/{page}/table/{table.table_id}"
    rows, columns = table.rows, table.columns
    cells = sorted((c for c in table.cells if _inside(c, rows, columns)), key=lambda c: (c.row, c.col))
    header_rows = table.header_rows
    table_box = _box(table.bbox)
    xs = grid_edges([(c.col, c.col_span, c.bbox[0], c.bbox[2]) for c in cells], columns, table_box[0], table_box[2])
    ys = grid_edges([(c.row, c.row_span, c.bbox[1], c.bbox[3]) for c in cells], rows, table_box[1], table_box[3])
    structure = _percent(table.structure_confidence)

    def norm(box: Box) -> Box:
        return (box[0] / width, box[1] / height, box[2] / width, box[3] / height)

    owner = _owners(cells, rows, columns)
    blocks_words: list[dict[str, Any]] = []
    line_ids: list[str] = []
    cell_blocks: list[dict[str, Any]] = []
    cell_ids: dict[tuple[int, int], str] = {}
    for r in range(rows):
        for c in range(columns):
            cid = block_id(job_id, f"{base}/cell/{r}/{c}")
            cell_ids[(r, c)] = cid
            source = owner.get((r, c))
            grid_box = (xs[c], ys[r], xs[c + 1], ys[r + 1])
            if source is not None and source.row_span == 1 and source.col_span == 1:
                box = _box(source.bbox)
            elif source is not None:
                box = _clip(grid_box, _box(source.bbox))
            else:
                box = grid_box
            block: dict[str, Any] = {
                "BlockType": "CELL",
                "Id": cid,
                "Page": page,
                "Confidence": _percent(source.confidence) if source is not None else structure,
                "Geometry": _geometry(norm(box)),
                "RowIndex": r + 1,
                "ColumnIndex": c + 1,
                "RowSpan": 1,
                "ColumnSpan": 1,
            }
            if r < header_rows or (source is not None and source.is_header):
                block["EntityTypes"] = ["COLUMN_HEADER"]
            if source is not None and source.row == r and source.col == c:  # the cell's anchor
                word_ids = _word_blocks(job_id, f"{base}/cell/{r}/{c}", page, source, norm, blocks_words, line_ids)
                if word_ids:
                    block["Relationships"] = [{"Type": "CHILD", "Ids": word_ids}]
            cell_blocks.append(block)

    merged_blocks = _merged_blocks(job_id, base, page, cells, owner, cell_ids, (rows, columns, header_rows), norm)
    table_block: dict[str, Any] = {
        "BlockType": "TABLE",
        "Id": block_id(job_id, base),
        "Page": page,
        "Confidence": _percent(table.confidence),
        "Geometry": _geometry(norm(table_box)),
        "EntityTypes": ["STRUCTURED_TABLE" if header_rows > 0 else "SEMI_STRUCTURED_TABLE"],
    }
    relationships = []
    if cell_blocks:
        relationships.append({"Type": "CHILD", "Ids": [b["Id"] for b in cell_blocks]})
    if merged_blocks:
        relationships.append({"Type": "MERGED_CELL", "Ids": [b["Id"] for b in merged_blocks]})
    if relationships:
        table_block["Relationships"] = relationships
    return [*blocks_words, table_block, *cell_blocks, *merged_blocks], line_ids, table_block["Id"]


def _owners(cells: Sequence[Cell], rows: int, columns: int) -> dict[tuple[int, int], Cell]:
    """The cell covering each grid position (the first one, when cells overlap)."""
    owner: dict[tuple[int, int], Cell] = {}
    for cell in cells:
        for r in range(cell.row, min(rows, cell.row + cell.row_span)):
            for c in range(cell.col, min(columns, cell.col + cell.col_span)):
                owner.setdefault((r, c), cell)
    return owner


def _word_blocks(
    job_id: str, base: str, page: int, cell: Cell, norm: Callable[[Box], Box],
    blocks: list[dict[str, Any]], line_ids: list[str],
) -> list[str]:
    """Append the LINE and WORD blocks of a cell's words to `blocks` (the LINE ids to
    `line_ids`); the WORD ids."""
    word_ids: list[str] = []
    for li, line in enumerate(_lines(cell_words(cell))):
        lid = block_id(job_id, f"{base}/line/{li}")
        ids = [block_id(job_id, f"{base}/line/{li}/word/{wi}") for wi in range(len(line))]
        for wid, word in zip(ids, line):
            blocks.append({
                "BlockType": "WORD",
                "Id": wid,
                "Page": page,
                "Confidence": _percent(word.confidence),
                "Text": word.text,
                "TextType": "PRINTED",
                "Geometry": _geometry(norm(word.box)),
            })
        blocks.append({
            "BlockType": "LINE",
            "Id": lid,
            "Page": page,
            "Confidence": round(sum(_percent(w.confidence) for w in line) / len(line), 4),
            "Text": " ".join(w.text for w in line),
            "Geometry": _geometry(norm(_union(w.box for w in line))),
            "Relationships": [{"Type": "CHILD", "Ids": ids}],
        })
        line_ids.append(lid)
        word_ids.extend(ids)
    return word_ids


def _merged_blocks(
    job_id: str, base: str, page: int, cells: Sequence[Cell], owner: dict[tuple[int, int], Cell],
    cell_ids: dict[tuple[int, int], str], shape: tuple[int, int, int], norm: Callable[[Box], Box],
) -> list[dict[str, Any]]:
    """A MERGED_CELL block per cell spanning more than one grid position; `shape` is the
    table's (rows, columns, header rows)."""
    rows, columns, header_rows = shape
    merged: list[dict[str, Any]] = []
    for cell in sorted(cells, key=lambda c: (c.row, c.col)):
        r0, c0 = cell.row, cell.col
        r1, c1 = min(rows, r0 + cell.row_span), min(columns, c0 + cell.col_span)
        if (r1 - r0) * (c1 - c0) <= 1 or owner.get((r0, c0)) is not cell:
            continue
        covered = [cell_ids[(r, c)] for r in range(r0, r1) for c in range(c0, c1) if owner.get((r, c)) is cell]
        block: dict[str, Any] = {
            "BlockType": "MERGED_CELL",
            "Id": block_id(job_id, f"{base}/merged/{r0}/{c0}"),
            "Page": page,
            "Confidence": _percent(cell.confidence),
            "Geometry": _geometry(norm(_box(cell.bbox))),
            "RowIndex": r0 + 1,
            "ColumnIndex": c0 + 1,
            "RowSpan": r1 - r0,
            "ColumnSpan": c1 - c0,
            "Relationships": [{"Type": "CHILD", "Ids": covered}],
        }
        if r0 < header_rows or cell.is_header:
            block["EntityTypes"] = ["COLUMN_HEADER"]
        merged.append(block)
    return merged


def block_id(job_id: str, path: str) -> str:
    """The block id for `path` within a job: a UUID string, the same on every conversion."""
    return str(uuid.uuid5(_NAMESPACE, f"{job_id}/{path}"))


# --- words and lines -------------------------------------------------------------------------


def cell_words(cell: Cell) -> list[_Word]:
    """The cell's words in reading order: its own when they spell its text, else synthetic ones."""
    tokens = cell.text.split()
    if not tokens:
        return []
    given = [_Word(w.text, _box(w.bbox), w.confidence) for w in cell.words if w.text.strip()]
    if given and [w.text for w in given] == tokens:
        return given
    if given and " ".join(w.text for w in given).split() == tokens:
        # A word that holds a space: split it, sharing its box.
        return [piece for w in given for piece in _split_word(w)]
    if given and sorted(w.text for w in given) == sorted(tokens):
        # The same words in another order: follow the text's order.
        pool = list(given)
        ordered = []
        for token in tokens:
            index = next(i for i, w in enumerate(pool) if w.text == token)
            ordered.append(pool.pop(index))
        return ordered
    return synthesise_words(cell.text, _box(cell.bbox), cell.confidence)


def synthesise_words(text: str, box: Box, confidence: float = 1.0) -> list[_Word]:
    """Words for `text` laid into `box`: one horizontal band per text line, each line's width
    shared among its words in proportion to their lengths (a space's width between them)."""
    lines = [line.split() for line in text.splitlines() if line.split()]
    if not lines:
        return []
    x0, y0, x1, y1 = box
    band = (y1 - y0) / len(lines)
    words: list[_Word] = []
    for li, tokens in enumerate(lines):
        top, bottom = y0 + li * band, y0 + (li + 1) * band
        units = sum(len(t) for t in tokens) + (len(tokens) - 1)
        step = (x1 - x0) / units if units else 0.0
        x = x0
        for token in tokens:
            right = x + len(token) * step
            words.append(_Word(token, (x, top, right, bottom), confidence))
            x = right + step
    return words


def _split_word(word: _Word) -> list[_Word]:
    parts = word.text.split()
    if len(parts) <= 1:
        return [_Word(word.text.strip(), word.box, word.confidence)]
    return [_Word(p.text, p.box, word.confidence) for p in synthesise_words(" ".join(parts), word.box)]


def _lines(words: Sequence[_Word]) -> list[list[_Word]]:
    """Consecutive words in reading order, cut into lines where a word does not share the
    current line's height band or goes back to the left."""
    lines: list[list[_Word]] = []
    for word in words:
        if lines:
            line = lines[-1]
            top = min(w.box[1] for w in line)
            bottom = max(w.box[3] for w in line)
            overlap = min(bottom, word.box[3]) - max(top, word.box[1])
            height = min(bottom - top, word.box[3] - word.box[1])
            if overlap > 0.5 * height and word.box[0] >= line[-1].box[0]:
                line.append(word)
                continue
        lines.append([word])
    return lines


# --- geometry --------------------------------------------------------------------------------


def grid_edges(spans: Iterable[tuple[int, int, float, float]], count: int, low: float, high: float) -> list[float]:
    """The `count + 1` boundaries of a table's columns (or rows) from its cells' extents.

    `spans` holds (index, span, start, end) per cell: each cell votes for the boundary before
    its first and after its last position; boundaries without votes are interpolated between
    their neighbours (the table's own edges `low` and `high` at the ends)."""
    votes: list[list[float]] = [[] for _ in range(count + 1)]
    for index, span, start, end in spans:
        if 0 <= index <= count:
            votes[index].append(start)
        if 0 <= index + span <= count:
            votes[index + span].append(end)
    edges: list[float | None] = [sum(v) / len(v) if v else None for v in votes]
    if edges[0] is None:
        edges[0] = low
    if edges[count] is None:
        edges[count] = high
    known = [i for i, e in enumerate(edges) if e is not None]
    for i in range(count + 1):
        if edges[i] is None:
            before = max(k for k in known if k < i)
            after = min(k for k in known if k > i)
            left, right = edges[before], edges[after]
            assert left is not None and right is not None
            edges[i] = left + (right - left) * (i - before) / (after - before)
    result = [float(e) for e in edges]  # type: ignore[arg-type]
    for i in range(1, len(result)):  # never backwards
        result[i] = max(result[i], result[i - 1])
    return result


def _geometry(box: Box) -> dict[str, Any]:
    left, top, right, bottom = (min(1.0, max(0.0, v)) for v in box)
    right, bottom = max(right, left), max(bottom, top)
    return {
        "BoundingBox": {"Width": right - left, "Height": bottom - top, "Left": left, "Top": top},
        "Polygon": [
            {"X": left, "Y": top},
            {"X": right, "Y": top},
            {"X": right, "Y": bottom},
            {"X": left, "Y": bottom},
        ],
    }


def _percent(value: float) -> float:
    number = float(value)
    if math.isnan(number):
        number = 0.0
    return round(min(100.0, max(0.0, number * 100.0)), 4)


def _box(values: Sequence[Any]) -> Box:
    x0, y0, x1, y1 = (float(v) for v in values)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _clip(box: Box, within: Box) -> Box:
    clipped = (max(box[0], within[0]), max(box[1], within[1]), min(box[2], within[2]), min(box[3], within[3]))
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        return box
    return clipped


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _inside(cell: Cell, rows: int, columns: int) -> bool:
    return 0 <= cell.row < rows and 0 <= cell.col < columns
