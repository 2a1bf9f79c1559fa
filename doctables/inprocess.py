"""In-process extraction: the pipeline's domain code with no AWS, no queue, no moto."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from .models import load_models
from .models.image import decode_image
from .page_tables import decision_record, find_page_tables
from .render import open_document, render_page
from .results import result_document
from .store import PageRecord
from .settings import Settings
from .tables import Table


@dataclass
class PageInfo:
    """Size and orientation of one processed page."""

    page: int
    width: float
    height: float
    rotation: int
    decision: dict[str, Any] = field(default_factory=dict)  # text layer, OCR, orientation


@dataclass
class Document:
    """Everything extracted from one document."""

    pages: list[PageInfo] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    name: str = "document"

    def to_result(self) -> dict[str, Any]:
        """The document in the pipeline's result schema (doctables.result/1)."""
        header = {
            "job_id": self.job_id,
            "status": "SUCCEEDED",
            "source": {"bucket": None, "key": self.name, "version_id": None, "etag": None},
            "pages": {"total": len(self.pages), "done": len(self.pages), "failed": 0},
            "error": None,
        }
        pages = [
            PageRecord(p.page, "DONE", p.width, p.height, p.rotation, sum(t.page == p.page for t in self.tables),
                       None, None, p.decision)
            for p in self.pages
        ]
        return result_document(header, pages, [t.to_dict() for t in self.tables])

    @property
    def job_id(self) -> str:
        """A stable id for this extraction (the pipeline's job id plays this part there)."""
        digest = hashlib.sha256(json.dumps([self.name, [t.to_dict() for t in self.tables]]).encode())
        return digest.hexdigest()[:32]

    def to_textract(self) -> dict[str, Any]:
        """A response shaped like Amazon Textract's GetDocumentAnalysis (TABLES)."""
        from .textract import to_textract

        return to_textract(self.to_result())

    def save(self, directory: str | PathLike, formats: Sequence[str] = ("json",)) -> list[Path]:
        """Write the same files as `doctables run --format ...` into `directory`."""
        from .exports import write_exports

        return write_exports(self.to_result(), Path(directory), list(formats), Path(self.name).stem)


def extract(
    source: str | PathLike | bytes | BinaryIO,
    *,
    pages: Iterable[int] | None = None,
    settings: Settings | None = None,
) -> Document:
    """Extract the tables of a document given as a path, bytes or a binary file object.
    `pages` selects 1-based page numbers. Raises DocumentError for unusable input."""
    settings = settings or Settings.from_env()
    data = _read(source)
    load_models(settings)  # once per process, before the first page
    document = open_document(data, settings)
    result = Document(name=_name(source))
    try:
        numbers = list(pages) if pages is not None else range(1, document.page_count + 1)
        for number in numbers:
            page = document.load_page(number - 1)
            rendered = render_page(page, number, settings.dpi, settings.max_render_pixels)
            layout = rendered.layout
            tables, decision = find_page_tables(decode_image(rendered.png), layout, settings)
            result.pages.append(
                PageInfo(number, layout.width, layout.height, layout.rotation, decision_record(decision))
            )
            result.tables.extend(tables)
    finally:
        document.close()
    return result


def _read(source: str | PathLike | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, PathLike)):
        return Path(source).read_bytes()
    return source.read()


def _name(source: str | PathLike | bytes | BinaryIO) -> str:
    """The file name to report and to name exports by; bytes have none."""
    if isinstance(source, (str, PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) else "document.pdf"
