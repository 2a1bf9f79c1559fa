"""Finish a job once its last page settles: final status, result document, event."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .aws import Runtime
from .errors import ErrorCode
from .events import announce, build_event
from .results import build_result, result_key
from .store import Job, JobStatus, JobStore


def job_store(runtime: Runtime) -> JobStore:
    return JobStore(runtime.aws.dynamodb, runtime.settings.table_name, runtime.settings.page_ttl_days)


def finish_if_complete(job_id: str, runtime: Runtime) -> Job | None:
    """Close the job when every page is settled and announce it once it is final.

    Safe to call any number of times: the status change is conditional, and a job whose
    announcement was interrupted (a crash after the status change) is announced by the
    next caller. Consumers may therefore see an event twice, never zero times."""
    store = job_store(runtime)
    job = store.get_job(job_id)
    if job is None:
        return None
    if job.status is JobStatus.RUNNING and job.settled:
        if job.pages_failed == 0:
            final, error = JobStatus.SUCCEEDED, None
        elif job.pages_done == 0:
            final, error = JobStatus.FAILED, (ErrorCode.ALL_PAGES_FAILED.value, f"all {job.pages_total} pages failed")
        else:
            final, error = JobStatus.PARTIALLY_SUCCEEDED, None
        store.finish_job(job_id, final, error)
        job = store.get_job(job_id)
        assert job is not None
    if job.status.final and not job.announced:
        publish(job, runtime, store)
        job = store.get_job(job_id)
    return job


def publish(job: Job, runtime: Runtime, store: JobStore) -> None:
    """Write the result document, then put the event, then remember that both happened."""
    settings = runtime.settings
    pages, table_items = store.job_contents(job.job_id)

    def load_spilled(key: str) -> str:
        return runtime.aws.s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read().decode()

    key = result_key(job.job_id)
    document = build_result(job, pages, table_items, load_spilled)
    runtime.aws.s3.put_object(
        Bucket=settings.bucket,
        Key=key,
        Body=json.dumps(document, ensure_ascii=False).encode(),
        ContentType="application/json",
    )
    if settings.export_formats and document["tables"]:
        write_s3_exports(document, runtime)
    announce(runtime.aws.events, build_event(job, settings.bucket, key, settings.event_bus))
    store.mark_announced(job.job_id, key)


def export_prefix(job_id: str) -> str:
    return f"results/{job_id}/"


def write_s3_exports(document: dict, runtime: Runtime) -> list[str]:
    """Write the configured export formats beside the result: results/<job_id>/<file>."""
    from .exports import write_exports

    formats = [f.strip() for f in runtime.settings.export_formats.split(",") if f.strip()]
    stem = Path(document["source"]["key"]).stem or document["job_id"]
    keys = []
    with tempfile.TemporaryDirectory() as scratch:
        for path in write_exports(document, Path(scratch), formats, stem):
            key = export_prefix(document["job_id"]) + path.name
            runtime.aws.s3.put_object(
                Bucket=runtime.settings.bucket, Key=key, Body=path.read_bytes(),
                ContentType=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            )
            keys.append(key)
    return keys


_CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".html": "text/html",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
