"""The result document of a job (schema `doctables.result/1`, in docs/ARCHITECTURE.md): its
settled pages and its tables; the pipeline and `doctables.extract()` both build it here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESULT_SCHEMA = "doctables.result/1"


@dataclass(frozen=True)
class PageRecord:
    """A settled page."""

    page: int
    status: str  # DONE or FAILED
    width: float | None
    height: float | None
    rotation: int | None
    tables: int
    error_code: str | None
    error_message: str | None
    decision: dict[str, Any] | None = None  # text layer, OCR and orientation (doctables.page.find)


def result_document(header: dict[str, Any], pages: list[PageRecord], tables: list[dict[str, Any]]) -> dict[str, Any]:
    """The result document from its job fields, its settled pages and its tables' JSON; the
    pipeline and doctables.extract() both build it here."""
    return {
        "schema": RESULT_SCHEMA,
        **header,
        "page_results": [page_result(p) for p in sorted(pages, key=lambda p: p.page)],
        "tables": tables,
    }


def page_result(page: PageRecord) -> dict[str, Any]:
    """One entry of `page_results`."""
    return {
        "page": page.page,
        "status": page.status,
        "width": page.width,
        "height": page.height,
        "rotation": page.rotation,
        "tables": page.tables,
        "decision": page.decision,
        "error": {"code": page.error_code, "message": page.error_message} if page.error_code else None,
    }
