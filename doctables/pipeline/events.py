"""The EventBridge event that announces a finished job."""

from __future__ import annotations

import json
from typing import Any

from doctables.pipeline.store import Job, JobStatus

SOURCE = "doctables"
DOCUMENT_PROCESSED = "Document Processed"
DOCUMENT_FAILED = "Document Failed"


def build_event(job: Job, bucket: str, result_key: str, event_bus: str) -> dict[str, Any]:
    """The PutEvents entry for a finished job (schema in docs/ARCHITECTURE.md). One per job,
    published under the job's claim (doctables.pipeline.completion); `detail.job_id` is what a consumer
    dedupes on if a publisher died after EventBridge took the event and it goes out again."""
    detail = {
        **job.as_dict(),
        "result": {"bucket": bucket, "key": result_key},
    }
    return {
        "Source": SOURCE,
        "DetailType": DOCUMENT_FAILED if job.status is JobStatus.FAILED else DOCUMENT_PROCESSED,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": event_bus,
        "Resources": [],
    }


def announce(events_client: Any, entry: dict[str, Any]) -> None:
    """Put the event; raise when EventBridge refuses it, so the caller's retry sends it again."""
    answer = events_client.put_events(Entries=[entry])
    if answer.get("FailedEntryCount", 0):
        failure = answer["Entries"][0]
        raise RuntimeError(f"EventBridge refused the event: {failure.get('ErrorCode')} {failure.get('ErrorMessage')}")
