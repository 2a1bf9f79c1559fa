"""The sweeper (scheduled): fails jobs whose pages stopped arriving after a deadline, and
empties the announcement outbox, so every job ends final and announced."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from doctables.errors import ErrorCode
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import announce_pending, fail_job, finish_if_complete, job_store

__all__ = ["announce_pending", "sweep"]

logger = logging.getLogger(__name__)


def sweep(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """Fail every unfinished job without progress for the configured deadline; returns their ids.
    A stalled job whose pages are all settled (its closer died) is closed as it would have been."""
    deadline = timedelta(minutes=runtime.settings.job_deadline_minutes)
    idle_since = ((now or datetime.now(timezone.utc)) - deadline).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store = job_store(runtime)
    failed: list[str] = []
    errors: list[Exception] = []
    for job in store.stalled_jobs(idle_since):
        try:
            if job.settled:
                finish_if_complete(job.job_id, runtime, now)
                continue
            missing = max(job.pages_total - job.pages_done - job.pages_failed, 0)
            message = (
                f"no progress for {runtime.settings.job_deadline_minutes} minutes: "
                f"{missing} of {job.pages_total} pages never finished"
                if job.pages_total
                else f"conversion did not start within {runtime.settings.job_deadline_minutes} minutes"
            )
            if fail_job(job.job_id, ErrorCode.JOB_TIMED_OUT, message, runtime, now):
                failed.append(job.job_id)
        except Exception as exc:  # noqa: BLE001 - one job must not stop the others; raised below
            logger.exception("sweeping %s failed", job.job_id)
            errors.append(exc)
    if errors:
        raise errors[0]
    return failed
