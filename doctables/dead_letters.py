"""Dead letters: messages that exhausted their retries settle their pages as FAILED."""

from __future__ import annotations

from .aws import Runtime
from .completion import finish_if_complete, job_store
from .errors import ErrorCode
from .messages import RangeMessage, decode


def fail_dead_letter(body: str, runtime: Runtime) -> list[int]:
    """A page or range message that exhausted its retries: settle its pages as FAILED so the
    job can finish. Returns the pages newly marked."""
    message = decode(body)
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
