"""Textract API Lambda (API Gateway REST proxy, IAM auth): one Textract JSON 1.1 request in,
Textract's answer out, through the same operations `doctables serve` answers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source

from doctables.pipeline.aws import Runtime, current_runtime
from doctables.pipeline.textract_analysis import remote_extractor
from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_delivery import current_sns
from doctables.pipeline.textract_wire import handle

logger = Logger()
metrics = Metrics()
tracer = Tracer()


def _api() -> TextractApi:
    return _api_for(current_runtime(), current_sns())


@lru_cache(maxsize=4)
def _api_for(runtime: Runtime, sns: Any) -> TextractApi:
    # The table models live in the table stage's image, not in this function: AnalyzeDocument
    # goes to the analysis function built from it (DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION).
    return TextractApi(runtime, sns, remote_extractor(runtime.settings))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayProxyEvent)
def handler(event: APIGatewayProxyEvent, context: Any) -> dict[str, Any]:
    target = event.headers.get("X-Amz-Target")  # the headers read case-insensitively
    answer = handle(_api(), target, (event.decoded_body or "").encode())
    metrics.add_metric(name="TextractRequests", unit=MetricUnit.Count, value=1)
    if answer.status != 200:
        metrics.add_metric(name="TextractErrors", unit=MetricUnit.Count, value=1)
        logger.info("textract error", extra={"target": target, "status": answer.status})
    return {"statusCode": answer.status, "headers": answer.headers, "body": answer.body.decode()}
