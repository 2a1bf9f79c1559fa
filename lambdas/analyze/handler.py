"""AnalyzeDocument Lambda (the table stage's image, CMD analyze.handler): one document from the
Textract API function in, its page's tables and text out (`doctables.pipeline.textract_analysis`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from doctables.pipeline.aws import current_runtime
from doctables.pipeline.table_stage import load_table_models
from doctables.pipeline.textract_analysis import analyze_event

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime = current_runtime()
    load_table_models(runtime.settings)
    answer = analyze_event(event, runtime.aws.s3, runtime.settings)
    if "error" in answer:
        logger.info("document refused", extra={"error": answer["error"]})
    else:
        metrics.add_metric(name="TablesFound", unit=MetricUnit.Count, value=len(answer["result"]["tables"]))
    return answer
