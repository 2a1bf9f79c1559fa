"""Conversion: an uploaded object becomes a job, rendered pages and one message per page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pymupdf
from botocore.exceptions import ClientError

from doctables.convert.render import open_document, render_page
from doctables.errors import REPAIRED_DOCUMENT_MESSAGE, DocumentError, ErrorCode, WarningCode
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import fail_job, finish_if_complete, job_store
from doctables.pipeline.jobs import job_id_for, with_version
from doctables.pipeline.keys import page_image_key, page_layout_key
from doctables.pipeline.messages import PageMessage, RangeMessage, send_all
from doctables.pipeline.page_bundles import Bundle, compress_layout
from doctables.pipeline.store import JobStatus, SourceObject


@dataclass(frozen=True)
class ConversionOutcome:
    """What one conversion call did, for logs and the local runner."""

    job_id: str
    status: str  # created / duplicate / ignored / failed / converted
    pages: int = 0
    error: str | None = None


def page_keys(job_id: str, page: int) -> tuple[str, str]:
    """S3 keys of a page's rendering and its layout."""
    return page_image_key(job_id, page), page_layout_key(job_id, page)


def plan_ranges(page_count: int, range_pages: int) -> list[tuple[int, int]]:
    """Split pages 1..page_count into consecutive ranges of at most range_pages."""
    size = max(1, range_pages)
    return [(first, min(first + size - 1, page_count)) for first in range(1, page_count + 1, size)]


def convert_upload(source: SourceObject, runtime: Runtime, *, requested: bool = False,
                   text_only: bool = False) -> ConversionOutcome:
    """Handle one ObjectCreated record: create the job, validate, convert the first range
    inline and queue the others. `requested`: the Textract API asked for this object (an
    object message), so it is converted wherever it is, not only under the upload prefix, and
    its job keeps each page's text (Textract's Get returns every line); `text_only`: it asked
    for the text (its own job, whose pages find no tables)."""
    settings = runtime.settings
    if not requested and not source.key.startswith(settings.upload_prefix):
        return ConversionOutcome(job_id_for(source), "ignored")
    source = with_version(source, runtime)
    job_id = job_id_for(source, text_only=text_only)
    store = job_store(runtime)
    created = store.create_job(job_id, source, text_only=text_only, page_text=requested)
    job = store.get_job(job_id)
    if job is None:
        raise RuntimeError(f"job {job_id} vanished after creation")
    if job.status.final:
        if not job.announced:  # a retry after the announcement failed: publish it now
            finish_if_complete(job_id, runtime)
        return ConversionOutcome(job_id, "duplicate")
    try:
        if source.size is not None and source.size > settings.max_bytes:
            raise DocumentError(
                ErrorCode.TOO_LARGE, f"the object has {source.size} bytes, over the limit of {settings.max_bytes}"
            )
        document = open_document(_download(source, runtime), settings)
    except DocumentError as error:
        fail_job(job_id, error.code, error.message, runtime)
        return ConversionOutcome(job_id, "failed", error=error.code.value)
    if document.is_repaired:
        store.add_warning(job_id, WarningCode.REPAIRED_DOCUMENT.value, REPAIRED_DOCUMENT_MESSAGE)
    with document:
        ranges = plan_ranges(document.page_count, settings.range_pages)
        store.start_job(job_id, document.page_count, settings.range_pages)
        first, last = ranges[0]
        if not store.range_sent(job_id, first):
            _convert_range(document, job_id, first, last, runtime)
        queued = [
            RangeMessage(job_id, f, l, source.bucket, source.key, source.version_id, source.etag)
            for f, l in ranges[1:]
            if not store.range_sent(job_id, f)
        ]
        send_all(runtime.aws.sqs, settings.range_queue_url, queued)
        return ConversionOutcome(job_id, "created" if created else "resumed", pages=document.page_count)


def convert_range(message: RangeMessage, runtime: Runtime) -> ConversionOutcome:
    """Handle one range message: render its pages unless an earlier delivery already did."""
    store = job_store(runtime)
    job = store.get_job(message.job_id)
    if job is not None and job.status.final and not job.announced:  # a retry after the announcement failed
        finish_if_complete(message.job_id, runtime)
    if job is None or job.status is not JobStatus.RUNNING or store.range_sent(message.job_id, message.first):
        return ConversionOutcome(message.job_id, "duplicate")
    source = SourceObject(message.bucket, message.key, message.version_id, message.etag)
    try:
        document = open_document(_download(source, runtime), runtime.settings)
    except DocumentError as error:
        fail_job(message.job_id, error.code, error.message, runtime)
        return ConversionOutcome(message.job_id, "failed", error=error.code.value)
    with document:
        _convert_range(document, message.job_id, message.first, message.last, runtime)
    return ConversionOutcome(message.job_id, "converted", pages=message.last - message.first + 1)


def _convert_range(document: pymupdf.Document, job_id: str, first: int, last: int, runtime: Runtime) -> None:
    """Render pages first..last into the range's bundle (one object; a large page alone), then
    send their messages and mark the range sent."""
    settings = runtime.settings
    store = job_store(runtime)
    messages: list[PageMessage] = []
    bundle = Bundle(job_id, first)
    unreadable = False
    for number in range(first, last + 1):
        try:
            page = document.load_page(number - 1)
            rendered = render_page(page, number, settings.dpi, settings.max_render_pixels)
        except Exception as exc:  # one damaged page must not sink the others
            store.settle_page(job_id, number, done=False,
                              error=(ErrorCode.PAGE_UNREADABLE.value, f"page {number} cannot be rendered: {exc}"))
            unreadable = True
            continue
        layout_json = rendered.layout.to_json().encode()
        layout_gz = compress_layout(layout_json)
        if bundle.accepts(rendered.png, layout_gz):
            bundle.add(number, rendered.png, layout_gz)
            continue
        image_key, layout_key = page_keys(job_id, number)  # too large for a bundle: alone, as before
        runtime.aws.s3.put_object(Bucket=settings.bucket, Key=image_key, Body=rendered.png, ContentType="image/png")
        runtime.aws.s3.put_object(Bucket=settings.bucket, Key=layout_key, Body=layout_json,
                                  ContentType="application/json")
        messages.append(PageMessage(job_id, number, settings.bucket, image_key, layout_key))
    if bundle.pages:
        body, places = bundle.body()
        runtime.aws.s3.put_object(Bucket=settings.bucket, Key=bundle.key, Body=body,
                                  ContentType="application/octet-stream")
        messages.extend(PageMessage(job_id, page, settings.bucket, bundle.key, bundle.key, place)
                        for page, place in sorted(places.items()))
    send_all(runtime.aws.sqs, settings.page_queue_url, messages)
    store.mark_range_sent(job_id, first, last)
    if unreadable:
        finish_if_complete(job_id, runtime)


def _download(source: SourceObject, runtime: Runtime) -> bytes:
    """The object's bytes, exactly the version the event named."""
    request: dict[str, Any] = {"Bucket": source.bucket, "Key": source.key}
    if source.version_id:
        request["VersionId"] = source.version_id
    elif source.etag:
        request["IfMatch"] = f'"{source.etag.strip(chr(34))}"'
    try:
        answer = runtime.aws.s3.get_object(**request)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("NoSuchKey", "NoSuchVersion", "PreconditionFailed", "404", "412"):
            raise DocumentError(
                ErrorCode.SOURCE_MISSING,
                f"s3://{source.bucket}/{source.key} is gone or was overwritten before conversion ({code})",
            ) from exc
        raise
    length = answer.get("ContentLength", 0)
    if length > runtime.settings.max_bytes:
        answer["Body"].close()
        raise DocumentError(
            ErrorCode.TOO_LARGE, f"the object has {length} bytes, over the limit of {runtime.settings.max_bytes}"
        )
    return answer["Body"].read()
