"""Table Lambda: a batch of page messages in, tables stored, partial batch failures reported."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from doctables.aws import current_runtime
from doctables.messages import PageMessage, decode
from doctables.models import load_models
from doctables.table_stage import process_page

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def page_record(record: SQSRecord) -> None:
    message = decode(record.body)
    if not isinstance(message, PageMessage):
        raise ValueError(f"expected a page message, got {message.kind}")
    outcome = process_page(message, current_runtime())
    metrics.add_metric(name="TablesFound", unit=MetricUnit.Count, value=outcome.tables)
    logger.info("page", extra={"outcome": outcome.__dict__})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    load_models(current_runtime().settings)  # once per container; later calls reuse the sessions
    return process_partial_response(event=event, record_handler=page_record, processor=processor, context=context)
