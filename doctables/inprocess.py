"""In-process extraction: the pipeline's domain code with no AWS, no queue, no moto."""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import BinaryIO, Iterable

from .assemble import extract_tables
from .models import load_models
from .models.image import decode_image
from .render import open_document, render_page
from .settings import Settings
from .tables import Table


@dataclass
class PageInfo:
    """Size and orientation of one processed page."""

    page: int
    width: float
    height: float
    rotation: int


@dataclass
class Document:
    """Everything extracted from one document."""

    pages: list[PageInfo] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


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
    models = load_models(settings)
    document = open_document(data, settings)
    result = Document()
    try:
        numbers = list(pages) if pages is not None else range(1, document.page_count + 1)
        for number in numbers:
            rendered = render_page(document.load_page(number - 1), number, settings.dpi)
            layout = rendered.layout
            result.pages.append(PageInfo(number, layout.width, layout.height, layout.rotation))
            result.tables.extend(extract_tables(decode_image(rendered.png), layout, models))
    finally:
        document.close()
    return result


def _read(source: str | PathLike | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, PathLike)):
        return Path(source).read_bytes()
    return source.read()
