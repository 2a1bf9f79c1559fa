"""Dead-letter Lambda: messages that exhausted their retries fail their pages, so jobs finish."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.dead_letters import fail_dead_letter

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def dead_letter_record(record: SQSRecord) -> None:
    pages = fail_dead_letter(record.body, current_runtime())
    metrics.add_metric(name="PagesFailed", unit=MetricUnit.Count, value=len(pages))
    logger.warning("dead letter", extra={"body": record.body, "pages_failed": pages})


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=dead_letter_record, processor=processor, context=context
    )
