"""Table Lambda: a batch of page messages in, tables stored, partial batch failures reported.

The batch is processed by `doctables.pipeline.table_stage.process_batch`: one page at a time, each within
its time budget; a batch holding a redelivered message runs the page an earlier invocation died
on last, after deleting every message already done, so that page cannot take the others down."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.table_stage import load_table_models, process_batch

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime = current_runtime()
    load_table_models(runtime.settings)
    result = process_batch(
        event.get("Records", []), runtime,
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000.0,
    )
    for outcome in result.outcomes:
        metrics.add_metric(name="TablesFound", unit=MetricUnit.Count, value=outcome.tables)
        logger.info("page", extra={"outcome": outcome.__dict__})
    if result.suspects:
        metrics.add_metric(name="SuspectPages", unit=MetricUnit.Count, value=len(result.suspects))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in result.item_failures]}
