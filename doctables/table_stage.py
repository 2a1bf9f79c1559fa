"""Table stage: one rendered page in, its tables stored and the page counted once."""

from __future__ import annotations

from dataclasses import dataclass

from .aws import Runtime
from .completion import finish_if_complete, job_store
from .errors import ErrorCode
from .layout import PageLayout
from .messages import PageMessage
from .page_tables import decision_record, find_page_tables
from .models.image import decode_image
from .tables import Table


@dataclass(frozen=True)
class PageOutcome:
    job_id: str
    page: int
    status: str  # done / failed / duplicate / skipped
    tables: int = 0


def process_page(message: PageMessage, runtime: Runtime) -> PageOutcome:
    """Detect and recognise the tables of one page, store them, count the page."""
    store = job_store(runtime)
    if store.page_settled(message.job_id, message.page):
        finish_if_complete(message.job_id, runtime)
        return PageOutcome(message.job_id, message.page, "duplicate")
    job = store.get_job(message.job_id)
    if job is None or job.status.final:
        if job is not None and not job.announced:  # its announcement failed before: publish it
            finish_if_complete(message.job_id, runtime)
        return PageOutcome(message.job_id, message.page, "skipped")
    s3 = runtime.aws.s3
    image_bytes = s3.get_object(Bucket=message.bucket, Key=message.image_key)["Body"].read()
    layout = PageLayout.from_json(s3.get_object(Bucket=message.bucket, Key=message.layout_key)["Body"].read())
    try:
        image = decode_image(image_bytes)
    except Exception as exc:  # a page image we wrote ourselves should decode; if not, retrying won't help
        store.settle_page(message.job_id, message.page, done=False,
                          error=(ErrorCode.PAGE_UNREADABLE.value, f"page image cannot be decoded: {exc}"))
        finish_if_complete(message.job_id, runtime)
        return PageOutcome(message.job_id, message.page, "failed")
    tables, decision = find_page_tables(image, layout, runtime.settings)

    def spill(table: Table, body: str) -> str:
        key = f"tables/{message.job_id}/{table.table_id}.json"
        s3.put_object(Bucket=message.bucket, Key=key, Body=body.encode(), ContentType="application/json")
        return key

    store.put_tables(message.job_id, tables, spill)
    store.settle_page(
        message.job_id, message.page, done=True, tables=len(tables),
        size=(layout.width, layout.height, layout.rotation), decision=decision_record(decision),
    )
    finish_if_complete(message.job_id, runtime)
    return PageOutcome(message.job_id, message.page, "done", len(tables))
