"""doctables: tables out of documents.

    import doctables
    document = doctables.extract("report.pdf")
    for table in document.tables:
        print(table.page, table.rows, table.columns, table.grid())

Attributes load lazily so that each Lambda imports only what it runs (the table stage has
no PyMuPDF, the conversion function no onnxruntime)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "extract": "doctables.inprocess",
    "Document": "doctables.inprocess",
    "PageInfo": "doctables.inprocess",
    "Table": "doctables.model.tables",
    "Cell": "doctables.model.tables",
    "Settings": "doctables.settings",
    "DocumentError": "doctables.errors",
    "ErrorCode": "doctables.errors",
    "textract_client": "doctables.pipeline.textract_client",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'doctables' has no attribute {name!r}")
    return getattr(import_module(module), name)
