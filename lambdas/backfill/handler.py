"""Backfill Lambda (the Distributed Map's item processor): one batch of listed objects in, one
job started per supported object that has none, through the Textract API's own start."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from doctables.pipeline.aws import Runtime, current_runtime
from doctables.pipeline.backfill import Backfiller, QueueLimits, api_starter, busy_reason, start_batch
from doctables.pipeline.completion import job_store
from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_delivery import current_sns
from doctables.pipeline.textract_jobs import TextractJobs

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@lru_cache(maxsize=4)
def _backfiller(runtime: Runtime, sns: Any) -> Backfiller:
    return Backfiller(runtime.aws.s3, job_store(runtime), TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name),
                      api_starter(TextractApi(runtime, sns)))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime = current_runtime()
    settings = runtime.settings

    def busy(limits: QueueLimits) -> str | None:
        return busy_reason(runtime.aws.sqs, settings.range_queue_url, settings.page_queue_url, limits)

    tally = start_batch(event, _backfiller(runtime, current_sns()), busy)  # raises PipelineBusy: retried later
    for name in ("started", "done", "unsupported", "failed"):
        metrics.add_metric(name=f"Backfill{name.capitalize()}", unit=MetricUnit.Count, value=tally[name])
    if tally["failed"]:
        logger.warning("objects failed to start", extra={"failures": tally["failures"]})
    return tally
