"""The sweeper: a job whose pages stopped arriving (a lost message) is failed after a deadline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .aws import Runtime
from .completion import finish_if_complete, job_store
from .errors import ErrorCode


def sweep(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """Fail every unfinished job without progress for the configured deadline; returns their ids."""
    deadline = timedelta(minutes=runtime.settings.job_deadline_minutes)
    idle_since = ((now or datetime.now(timezone.utc)) - deadline).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store = job_store(runtime)
    failed: list[str] = []
    for job in store.stalled_jobs(idle_since):
        missing = max(job.pages_total - job.pages_done - job.pages_failed, 0)
        message = (
            f"no progress for {runtime.settings.job_deadline_minutes} minutes: "
            f"{missing} of {job.pages_total} pages never finished"
            if job.pages_total
            else f"conversion did not start within {runtime.settings.job_deadline_minutes} minutes"
        )
        if store.fail_job(job.job_id, ErrorCode.JOB_TIMED_OUT, message):
            failed.append(job.job_id)
        finish_if_complete(job.job_id, runtime)
    return failed
