"""Dead letters: messages that exhausted their retries settle their pages as FAILED."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from doctables.errors import ErrorCode
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import finish_if_complete, job_store
from doctables.pipeline.jobs import fail_upload
from doctables.pipeline.messages import ObjectMessage, RangeMessage, decode
from doctables.pipeline.store import SourceObject


def fail_dead_letter(body: str, runtime: Runtime) -> list[int]:
    """A message that exhausted its retries: a page or range message settles its pages as
    FAILED so the job can finish; an upload whose conversion kept crashing (Lambda's
    on-failure destination record) fails its job. Returns the pages newly marked."""
    record = _destination_record(body)
    if record is not None:
        _fail_uploads(record, runtime)
        return []
    message = decode(body)
    if isinstance(message, ObjectMessage):  # a job the Textract API started
        source = SourceObject(message.bucket, message.key, message.version_id, message.etag, message.size)
        fail_upload(source, runtime, "conversion failed after repeated attempts", text_only=message.text_only,
                    page_text=True)
        return []
    store = job_store(runtime)
    if isinstance(message, RangeMessage):
        pages = range(message.first, message.last + 1)
        code = ErrorCode.RANGE_FAILED_REPEATEDLY
        reason = f"pages {message.first}-{message.last} could not be converted after repeated attempts"
    else:
        pages = range(message.page, message.page + 1)
        code = ErrorCode.PAGE_FAILED_REPEATEDLY
        reason = f"page {message.page} failed in the table stage after repeated attempts"
    marked = [p for p in pages if store.settle_page(message.job_id, p, done=False, error=(code.value, reason))]
    finish_if_complete(message.job_id, runtime)
    return marked


def _destination_record(body: str) -> dict[str, Any] | None:
    """The on-failure record Lambda writes for an asynchronous invocation, if `body` is one."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) and "requestPayload" in data else None


def _fail_uploads(record: dict[str, Any], runtime: Runtime) -> None:
    response = record.get("responsePayload") or {}
    error = response.get("errorMessage") or record.get("requestContext", {}).get("condition", "unknown error")
    for s3_record in (record.get("requestPayload") or {}).get("Records", []):
        obj = s3_record["s3"]["object"]
        source = SourceObject(
            s3_record["s3"]["bucket"]["name"], unquote_plus(obj["key"]), obj.get("versionId"), obj.get("eTag"),
            obj.get("size"),
        )
        fail_upload(source, runtime, f"conversion failed after repeated attempts: {error}")
