"""In-process extraction: the pipeline's domain code with no AWS, no queue, no moto."""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Iterable as IterableABC
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from doctables.convert.render import open_document, render_page
from doctables.deadline import within_budget
from doctables.errors import REPAIRED_DOCUMENT_MESSAGE, DocumentError, ErrorCode, WarningCode
from doctables.model.result import (
    DONE,
    FAILED,
    ErrorInfo,
    JobRecord,
    JobWarning,
    PageResult,
    ResultDocument,
    Source,
    result_document,
)
from doctables.model.tables import Table
from doctables.models import load_models
from doctables.models.image import decode_image
from doctables.model.text import TextLine, page_lines
from doctables.page.find import decision_record, find_page
from doctables.settings import Settings


@dataclass
class PageInfo:
    """Size and orientation of one processed page; for a page that failed (as the pipeline
    records it: PAGE_UNREADABLE, or a page budget's code) its `error` and no size."""

    page: int
    width: float | None
    height: float | None
    rotation: int | None
    decision: dict[str, Any] = field(default_factory=dict)  # text layer, OCR, orientation
    error: dict[str, str] | None = None  # {"code": ..., "message": ...} of a failed page
    text: list[TextLine] = field(default_factory=list, repr=False)  # its lines of words

    @property
    def status(self) -> str:
        """DONE or FAILED, as `page_results[].status` says."""
        return "FAILED" if self.error else "DONE"


@dataclass
class Document:
    """Everything extracted from one document."""

    pages: list[PageInfo] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    name: str = "document"
    warnings: list[JobWarning] = field(default_factory=list)  # e.g. REPAIRED_DOCUMENT, as a job records them

    @property
    def text(self) -> dict[int, list[TextLine]]:
        """Each page's lines of words (the text layer's, or what OCR read), by page number."""
        return {p.page: p.text for p in self.pages if p.text}

    @property
    def failed_pages(self) -> list[PageInfo]:
        """The pages that failed (each with its `error`); the others' tables are in `tables`."""
        return [p for p in self.pages if p.error]

    @property
    def status(self) -> str:
        """SUCCEEDED, or PARTIALLY_SUCCEEDED when some page failed (as the pipeline's job)."""
        return "PARTIALLY_SUCCEEDED" if self.failed_pages else "SUCCEEDED"

    def to_result(self) -> dict[str, Any]:
        """The document in the pipeline's result schema (doctables.result/1), as JSON data."""
        return self.result().to_dict()

    def result(self) -> ResultDocument:
        """The document in the pipeline's result schema (doctables.result/1), typed. Its tables
        are as the JSON stores them (boxes and confidences rounded), so that every output made
        from it is the one made from `to_result()`'s JSON."""
        stored = [t.to_dict() for t in self.tables]
        pages = [_page_result(p, self.tables) for p in self.pages]
        job = JobRecord(None, None, tuple(self.warnings)) if self.warnings else None
        return result_document(self._job_id(stored), self.status, Source(None, self.name), pages,
                               [Table.from_dict(t) for t in stored], job=job)

    @property
    def job_id(self) -> str:
        """A stable id for this extraction (the pipeline's job id plays this part there)."""
        return self._job_id([t.to_dict() for t in self.tables])

    def _job_id(self, stored: list[dict[str, Any]]) -> str:
        return hashlib.sha256(json.dumps([self.name, stored]).encode()).hexdigest()[:32]

    def to_textract(self) -> dict[str, Any]:
        """A response shaped like Amazon Textract's GetDocumentAnalysis (TABLES)."""
        from doctables.outputs.textract import to_textract

        return to_textract(self.result(), page_text=self.text)

    def save(self, directory: str | PathLike, formats: Sequence[str] = ("json",), *,
             escape_formulas: bool = True) -> list[Path]:
        """Write the same files as `doctables run --format ...` into `directory`. CSV cells a
        spreadsheet would evaluate get a leading single quote unless `escape_formulas` is False
        (as `--no-escape-formulas`; see `doctables.outputs.exports.to_csv`)."""
        from doctables.outputs.exports import write_exports

        return write_exports(self.result(), Path(directory), list(formats), Path(self.name).stem,
                             escape_formulas=escape_formulas)


def _page_result(page: PageInfo, tables: list[Table]) -> PageResult:
    """A page's entry in the result: a failed page has its error and no size or decision."""
    if page.error:
        return PageResult(page.page, FAILED, None, None, None, 0, None,
                          ErrorInfo(page.error["code"], page.error["message"]))
    count = sum(t.page == page.page for t in tables)
    return PageResult(page.page, DONE, page.width, page.height, page.rotation, count,
                      page.decision)  # type: ignore[arg-type]  # decision_record's keys


def extract(
    source: str | PathLike | bytes | BinaryIO,
    *,
    pages: Iterable[int] | None = None,
    settings: Settings | None = None,
) -> Document:
    """Extract the tables of a document given as a path, bytes or a binary file object.

    `pages` selects 1-based page numbers, each at most once, in the order given (default: every
    page). Raises TypeError for a source of another type (or `pages` not of ints), ValueError
    for a page number outside the document or repeated (naming the valid range), and
    DocumentError, with the code the pipeline records, for a document that cannot be used. A page
    that fails while others work is recorded as the pipeline records it (`PageInfo.error`, e.g.
    PAGE_UNREADABLE; `Document.status` PARTIALLY_SUCCEEDED); when every selected page fails,
    DocumentError ALL_PAGES_FAILED, as the pipeline's job."""
    settings = settings or Settings.from_env()
    data = _read(source)
    wanted = _page_numbers(pages)
    document = _open(data, settings)
    result = Document(name=_name(source))
    if getattr(document, "is_repaired", False):
        result.warnings.append(JobWarning(WarningCode.REPAIRED_DOCUMENT.value, REPAIRED_DOCUMENT_MESSAGE))
    try:
        selected = _select(wanted, document.page_count)
        load_models(settings)  # once per process, before the first page
        for number in selected:
            result.pages.append(_extract_page(document, number, settings, result.tables))
    finally:
        document.close()
    if result.pages and len(result.failed_pages) == len(result.pages):
        first = result.pages[0]
        raise DocumentError(
            ErrorCode.ALL_PAGES_FAILED,
            f"all {len(result.pages)} pages failed (page {first.page} {first.error['code']}: "
            f"{first.error['message']})",
        )
    return result


def _extract_page(document: Any, number: int, settings: Settings, tables: list[Table]) -> PageInfo:
    """One page as the pipeline's conversion and table stages do it; a page they would record
    as failed comes back with its error, its tables (none) left out."""
    try:
        page = document.load_page(number - 1)
        rendered = render_page(page, number, settings.dpi, settings.max_render_pixels)
    except DocumentError as error:
        return _failed(number, error.code.value, error.message)
    except MemoryError:
        raise
    except Exception as exc:  # MuPDF's own errors (FzErrorLimit, ...): the conversion stage's code
        return _failed(number, ErrorCode.PAGE_UNREADABLE.value, f"page {number} cannot be rendered: {exc}")
    layout = rendered.layout
    try:
        image = decode_image(rendered.png)
    except MemoryError:
        raise
    except Exception as exc:  # as the table stage records it
        return _failed(number, ErrorCode.PAGE_UNREADABLE.value, f"page image cannot be decoded: {exc}")
    try:
        found = within_budget(settings.page_time_budget, find_page, image, layout, settings, page=number)
    except DocumentError as error:  # a page over its budget fails alone, with its code
        return _failed(number, error.code.value, error.message)
    tables.extend(found.tables)
    return PageInfo(number, layout.width, layout.height, layout.rotation, decision_record(found.decision),
                    text=page_lines(found.words))


def _failed(number: int, code: str, message: str) -> PageInfo:
    return PageInfo(number, None, None, None, {}, {"code": code, "message": message})


def _open(data: bytes, settings: Settings) -> Any:
    """`open_document`, with whatever else a damaged file makes PyMuPDF raise turned into
    CORRUPT_DOCUMENT: every fault of the document itself is a DocumentError."""
    try:
        return open_document(data, settings)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"the document cannot be read: {exc}") from exc


def _page_numbers(pages: Iterable[int] | None) -> list[int] | None:
    """`pages` as a list of ints (not yet checked against the document)."""
    if pages is None:
        return None
    if isinstance(pages, (str, bytes, bytearray)) or not isinstance(pages, IterableABC):
        raise TypeError(f"pages must be an iterable of 1-based page numbers such as [1, 3], "
                        f"not {type(pages).__name__}")
    out = []
    for number in pages:
        if isinstance(number, bool) or not isinstance(number, numbers.Integral):
            raise TypeError(f"page numbers are ints (1-based), not {number!r}")
        out.append(int(number))
    return out


def _select(wanted: list[int] | None, count: int) -> list[int]:
    """The pages to extract: every page, or `wanted` once checked against the page count."""
    if wanted is None:
        return list(range(1, count + 1))
    valid = f"pages are numbered 1 to {count} (1-based)" if count > 1 else "its only page is 1"
    if not wanted:
        raise ValueError(f"pages selects no page; the document has {count} page(s): {valid}")
    for number in wanted:
        if not 1 <= number <= count:
            raise ValueError(f"page {number} is out of range: the document has {count} page(s), {valid}")
    seen: set[int] = set()
    for number in wanted:
        if number in seen:
            raise ValueError(f"page {number} is selected twice; select each of 1 to {count} at most once")
        seen.add(number)
    return wanted


def _read(source: str | PathLike | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, PathLike)):
        return Path(source).read_bytes()
    read = getattr(source, "read", None)
    if not callable(read):
        raise TypeError(f"source must be a path (str or os.PathLike), bytes or a binary file object, "
                        f"not {type(source).__name__}")
    data = read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"source.read() gave {type(data).__name__}, not bytes: open the file in binary mode ('rb')")
    return bytes(data)


def _name(source: str | PathLike | bytes | BinaryIO) -> str:
    """The file name to report and to name exports by; bytes have none."""
    if isinstance(source, (str, PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) else "document.pdf"
