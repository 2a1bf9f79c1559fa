"""Conversion Lambda: S3 uploads and page-range messages in, rendered pages and page messages out."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.conversion import convert_range, convert_upload
from doctables.pipeline.messages import ObjectMessage, RangeMessage, decode
from doctables.pipeline.store import SourceObject

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def range_record(record: SQSRecord) -> None:
    message = decode(record.body)
    if isinstance(message, ObjectMessage):  # a job the Textract API started
        source = SourceObject(message.bucket, message.key, message.version_id, message.etag, message.size)
        outcome = convert_upload(source, current_runtime(), requested=True, text_only=message.text_only)
    elif isinstance(message, RangeMessage):
        outcome = convert_range(message, current_runtime())
    else:
        raise ValueError(f"expected a range or object message, got {message.kind}")
    metrics.add_metric(name="PagesRendered", unit=MetricUnit.Count, value=outcome.pages)
    logger.info("range", extra={"outcome": outcome.__dict__})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(event=event, record_handler=range_record, processor=processor, context=context)
    return {"outcomes": [upload_record(record) for record in S3Event(event).records]}


def upload_record(record: S3EventRecord) -> dict[str, Any]:
    uploaded = record.s3.get_object
    source = SourceObject(
        bucket=record.s3.bucket.name,
        key=unquote_plus(uploaded.key),  # S3 notifications carry the key URL-encoded
        version_id=uploaded.version_id,
        etag=uploaded.etag or None,
        size=uploaded.get("size"),
    )
    outcome = convert_upload(source, current_runtime())
    metrics.add_metric(name="PagesRendered", unit=MetricUnit.Count, value=outcome.pages)
    logger.info("upload", extra={"outcome": outcome.__dict__})
    return outcome.__dict__
