"""The combined result document of a job, written to S3 as results/<job_id>.json."""

from __future__ import annotations

import json
from typing import Any, Callable

from doctables.model.result import PageRecord, result_document
from doctables.pipeline.store import Job, table_body


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
