"""Close a job and announce it, once: final status with its result, then the event (an outbox).

A job is closed by one conditional write that makes it final, records its result document's
key (the document is written just before, so whoever sees the job final can read its result)
and puts it in the outbox (`active_pk` = UNANNOUNCED). It leaves the outbox when its event is
published. Closing and publishing are done by the holder of the job's claim (a conditional
write with a lease), so concurrent finishers write one result and put one event; a holder that
fails gives the claim back and raises (its message is retried), one that dies loses it when the
lease runs out, and the sweeper then finishes what it left: it closes settled jobs and
publishes every final job still in the outbox."""

from __future__ import annotations

import dataclasses
import gzip
import logging
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from doctables.errors import ErrorCode
from doctables.model.result import ResultDocument
from doctables.model.text import text_document
from doctables.pipeline.aws import Runtime
from doctables.pipeline.events import announce, build_event
from doctables.pipeline.keys import export_key, result_key, result_text_key
from doctables.pipeline.results import build_result
from doctables.pipeline.store import Job, JobStatus, JobStore

logger = logging.getLogger(__name__)

Decision = tuple[JobStatus, tuple[str, str] | None]  # the final status and its error, if any

# How long a claim holds: longer than any invocation can run (Lambda's limit is 15 minutes),
# so a live holder never loses it; a dead one's work is taken over by the sweeper after it.
CLAIM_LEASE = timedelta(minutes=15)
_CLOSE_ATTEMPTS = 5  # a page settling while the job is being closed makes the closer look again


def job_store(runtime: Runtime) -> JobStore:
    return JobStore(runtime.aws.dynamodb, runtime.settings.table_name, runtime.settings.page_ttl_days)


def finish_if_complete(job_id: str, runtime: Runtime, now: datetime | None = None) -> Job | None:
    """Close the job when every page is settled, and announce it if it is final and not yet
    announced (a publisher that failed before left it in the outbox).

    Safe to call any number of times, concurrently too: one caller closes and announces, the
    others find the claim taken and leave it to that caller."""
    store = job_store(runtime)
    job = store.get_job(job_id)
    if job is None:
        return None
    if job.status is JobStatus.RUNNING and job.settled:
        _close(store, job_id, runtime, _completion, now)
        job = store.get_job(job_id)
    if job is not None and job.status.final and not job.announced:
        announce_job(job_id, runtime, now)
        job = store.get_job(job_id)
    return job


def fail_job(job_id: str, code: ErrorCode, message: str, runtime: Runtime, now: datetime | None = None) -> bool:
    """Close the job FAILED with this error unless it is already closed (or being closed by
    another caller), and announce it. True for the caller that closed it."""

    def failure(job: Job) -> Decision | None:
        return (JobStatus.FAILED, (code.value, message)) if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) else None

    closed = _close(job_store(runtime), job_id, runtime, failure, now, failing=True)
    finish_if_complete(job_id, runtime, now)  # announces a job closed earlier whose event did not go out
    return closed


def announce_job(job_id: str, runtime: Runtime, now: datetime | None = None) -> bool:
    """Publish the event of a final, unannounced job, unless someone else holds its claim.
    True when this call published it."""
    store = job_store(runtime)
    token = _claim(store, job_id, now)
    if token is None:
        return False
    try:
        job = store.get_job(job_id)
        if job is None or not job.status.final:  # claimed while unfinished: not ours to close here
            store.release_claim(job_id, token)
            return False
        key = job.result_key or write_result(job, runtime, store)  # a job closed before results were keyed
        _publish(store, job, key, runtime)
    except BaseException:
        _release(store, job_id, token)
        raise
    return True


def announce_pending(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """The outbox's consumer (the sweeper): close jobs whose closer died, publish every final
    job not yet announced. Returns the ids announced; a job that fails is left for the next run
    and the first failure is raised after the others were tried."""
    store = job_store(runtime)
    moment = _iso(now or _utcnow())
    announced: list[str] = []
    errors: list[BaseException] = []
    for job in store.abandoned_jobs(moment):
        try:
            finish_if_complete(job.job_id, runtime, now)
        except Exception as exc:  # noqa: BLE001 - one job must not stop the others
            logger.exception("closing %s failed", job.job_id)
            errors.append(exc)
    for job in store.unannounced_jobs(moment):
        try:
            if announce_job(job.job_id, runtime, now):
                announced.append(job.job_id)
        except Exception as exc:  # noqa: BLE001
            logger.exception("announcing %s failed", job.job_id)
            errors.append(exc)
    if errors:
        raise errors[0]
    return announced


def _completion(job: Job) -> Decision | None:
    """The final status of a running job whose pages are all settled."""
    if job.status is not JobStatus.RUNNING or not job.settled:
        return None
    if job.pages_failed == 0:
        return JobStatus.SUCCEEDED, None
    if job.pages_done == 0:
        return JobStatus.FAILED, (ErrorCode.ALL_PAGES_FAILED.value, f"all {job.pages_total} pages failed")
    return JobStatus.PARTIALLY_SUCCEEDED, None


def _close(
    store: JobStore, job_id: str, runtime: Runtime, decide: Callable[[Job], Decision | None],
    now: datetime | None, *, failing: bool = False,
) -> bool:
    """Claim the job, write its result document, make it final with the document's key (one
    conditional write, which also puts it in the outbox), then publish. True when this call
    closed the job; False when it was closed already, is not to be closed, or another caller
    holds the claim (that caller closes it)."""
    for _attempt in range(_CLOSE_ATTEMPTS):
        job = store.get_job(job_id)
        if job is None or job.status.final:
            return False
        decision = decide(job)
        if decision is None:
            return False
        token = _claim(store, job_id, now)
        if token is None:
            return False
        try:
            job = store.get_job(job_id)  # as of the claim: what the result is built from
            decision = decide(job) if job is not None and not job.status.final else None
            if decision is None:
                store.release_claim(job_id, token)
                return False
            status, error = decision
            final = dataclasses.replace(
                job, status=status, finished_at=_iso(_utcnow()),
                error_code=error[0] if error else job.error_code,
                error_message=error[1] if error else job.error_message,
            )
            key = write_result(final, runtime, store)
            terms = {"result_key": key, "claim": token, "counts": (job.pages_done, job.pages_failed),
                     "finished_at": final.finished_at}
            if failing and error:  # from QUEUED or RUNNING
                closed = store.fail_job(job_id, ErrorCode(error[0]), error[1], **terms)
            else:  # from RUNNING
                closed = store.finish_job(job_id, status, error, **terms)
            if not closed:  # a page settled meanwhile (or the claim ran out): look again
                store.release_claim(job_id, token)
                continue
            _publish(store, dataclasses.replace(final, result_key=key), key, runtime)
            return True
        except BaseException:
            _release(store, job_id, token)
            raise
    return False


def _publish(store: JobStore, job: Job, key: str, runtime: Runtime) -> None:
    """Put the event of a closed job, then take it out of the outbox."""
    settings = runtime.settings
    announce(runtime.aws.events, build_event(job, settings.bucket, key, settings.event_bus))
    store.mark_announced(job.job_id, key)


def write_result(job: Job, runtime: Runtime, store: JobStore) -> str:
    """Write the job's result document (and the configured exports beside it); its key."""
    settings = runtime.settings

    def load_spilled(key: str) -> str:
        return runtime.aws.s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read().decode()

    pages, tables, text = store.job_pages(job.job_id, load_spilled)
    if job.page_text:
        # The text first: a job whose result is there has its text there too (Textract's LINE
        # and WORD blocks are read from it, not from the page items, which expire sooner).
        # Only a job the Textract API started keeps it: an upload's reader has no use for it.
        runtime.aws.s3.put_object(
            Bucket=settings.bucket, Key=result_text_key(job.job_id),
            Body=gzip.compress(text_document(text).encode(), compresslevel=6, mtime=0),
            ContentType="application/gzip",
        )
    key = result_key(job.job_id)
    document = build_result(job, pages, tables)
    runtime.aws.s3.put_object(
        Bucket=settings.bucket,
        Key=key,
        Body=document.to_json().encode(),
        ContentType="application/json",
    )
    if settings.export_formats and document.tables:
        write_s3_exports(document, runtime)
    return key


def _claim(store: JobStore, job_id: str, now: datetime | None) -> str | None:
    moment = now or _utcnow()
    token = uuid.uuid4().hex
    return token if store.claim(job_id, token, _iso(moment), _iso(moment + CLAIM_LEASE)) else None


def _release(store: JobStore, job_id: str, token: str) -> None:
    try:
        store.release_claim(job_id, token)
    except Exception:  # noqa: BLE001 - the lease runs out anyway; keep the original error
        logger.exception("releasing the claim on %s failed", job_id)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_s3_exports(document: ResultDocument, runtime: Runtime) -> list[str]:
    """Write the configured export formats beside the result: results/<job_id>/<file>."""
    from doctables.outputs.exports import write_exports

    formats = [f.strip() for f in runtime.settings.export_formats.split(",") if f.strip()]
    stem = document.stem or document.job_id
    keys = []
    with tempfile.TemporaryDirectory() as scratch:
        for path in write_exports(document, Path(scratch), formats, stem):
            key = export_key(document.job_id, path.name)
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
