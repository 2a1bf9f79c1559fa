"""The combined result document of a job, written to S3 as results/<job_id>.json."""

from __future__ import annotations

import json
from typing import Any, Callable

from .store import Job, PageRecord

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
        body = item.get("body") or load_spilled(item["body_s3_key"])
        tables.append(json.loads(body))
    return {
        "schema": RESULT_SCHEMA,
        **job.as_dict(),
        "page_results": [
            {
                "page": p.page,
                "status": p.status,
                "width": p.width,
                "height": p.height,
                "rotation": p.rotation,
                "tables": p.tables,
                "decision": p.decision,
                "error": {"code": p.error_code, "message": p.error_message} if p.error_code else None,
            }
            for p in sorted(pages, key=lambda p: p.page)
        ],
        "tables": tables,
    }
