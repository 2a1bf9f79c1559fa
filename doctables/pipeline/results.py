"""The combined result document of a job, written to S3 as results/<job_id>.json."""

from __future__ import annotations

from typing import Any

from doctables.model.result import (
    ErrorInfo,
    JobRecord,
    JobWarning,
    PageCounts,
    PageResult,
    ResultDocument,
    Source,
    result_document,
)
from doctables.model.tables import Table
from doctables.pipeline.keys import result_key
from doctables.pipeline.store import Job

__all__ = ["build_result", "result_key"]


def build_result(job: Job, pages: list[PageResult], table_dicts: list[dict[str, Any]]) -> ResultDocument:
    """All pages and tables of a job in one document (schema in docs/ARCHITECTURE.md), from
    `JobStore.job_contents`."""
    tables = [Table.from_dict(t) for t in sorted(table_dicts, key=lambda t: t["table_id"])]
    return result_document(
        job.job_id, job.status.value, _source(job), pages, tables,
        error=ErrorInfo(job.error_code, job.error_message or "") if job.error_code else None,
        job=JobRecord(job.created_at, job.finished_at, tuple(JobWarning.from_dict(w) for w in job.warnings)),
        counts=PageCounts(job.pages_total, job.pages_done, job.pages_failed),
    )


def _source(job: Job) -> Source:
    source = job.source
    return Source(source.bucket, source.key, source.version_id, source.etag)
