"""Sweeper Lambda (scheduled): fails jobs whose pages stopped arriving, so none waits forever,
and publishes the event of every final job not yet announced (the outbox)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.sweeper import announce_pending, sweep

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime = current_runtime()
    failed = sweep(runtime)
    metrics.add_metric(name="JobsTimedOut", unit=MetricUnit.Count, value=len(failed))
    if failed:
        logger.warning("jobs timed out", extra={"job_ids": failed})
    announced = announce_pending(runtime)
    metrics.add_metric(name="JobsAnnouncedLate", unit=MetricUnit.Count, value=len(announced))
    if announced:
        logger.warning("announced from the outbox", extra={"job_ids": announced})
    return {"timed_out": failed, "announced": announced}
