"""Textract completion Lambda (EventBridge rule on the pipeline's job events): delivers the
Textract jobs waiting on the job that ended, their OutputConfig objects and SNS messages."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.textract_delivery import current_sns, deliver_waiting

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    job_id = event.detail["job_id"]
    delivered = deliver_waiting(job_id, current_runtime(), current_sns())
    metrics.add_metric(name="TextractJobsDelivered", unit=MetricUnit.Count, value=len(delivered))
    if delivered:
        logger.info("textract jobs delivered", extra={"job_id": job_id, "textract_job_ids": delivered})
    return {"job_id": job_id, "delivered": delivered}
