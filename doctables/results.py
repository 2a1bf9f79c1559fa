"""The combined result document of a job, written to S3 as results/<job_id>.json."""

from __future__ import annotations

import json
from typing import Any, Callable

from .store import Job, PageRecord, table_body

RESULT_SCHEMA = "doctables.result/1"


def result_key(job_id: str) -> str:
    return f"results/{job_id}.json"


def build_result(
    job: Job,
    pages: list[PageRecord],
    table_items: list[dict[str, Any]],
    load_spilled: Callable[[str], str],
) -> dict[str, Any]:
    """All pages and tables of a job in one JSON document (schema in docs/ARCHITECTURE.md)."""
    tables = []
    for item in sorted(table_items, key=lambda i: i["table_id"]):
        tables.append(json.loads(table_body(item, load_spilled)))
    return result_document(job.as_dict(), pages, tables)


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
