"""Amazon Textract's API, deployed: API Gateway (REST, IAM auth, stage throttling, access logs)
in front of the `lambdas/textract_api` function, and the completion function that delivers a
Textract job's OutputConfig objects and SNS message when its document's job event comes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.function_base import PythonZipFunction, ZipFunctionSpec, log_retention
from infra.nag import acknowledge

API_HANDLER_DIR = "lambdas/textract_api"
COMPLETION_HANDLER_DIR = "lambdas/textract_events"
STAGE = "v1"
# Textract's own default quotas for the asynchronous operations are a few requests a second;
# these are the stage's, for every caller together.
DEFAULT_RATE_LIMIT = 25
DEFAULT_BURST_LIMIT = 50
CONTENT_TYPE = "application/x-amz-json-1.1"
# What API Gateway answers before the function runs, in Textract's JSON 1.1 error shape
# (`{"__type", "Message"}` and `x-amzn-ErrorType`; botocore's JSON parser reads `__type`), so
# boto3 raises `client.exceptions.<type>` as Textract's own endpoint makes it. Per response type:
# Textract's error type, the status (Textract's own, 400, for the types in its model; API
# Gateway's for the signature errors, which no Textract model names), and the message (None:
# API Gateway's own, `$context.error.messageString`, which says which principal or signature).
GATEWAY_ERRORS: dict[str, tuple[str, str | None, str | None]] = {
    "THROTTLED": ("ProvisionedThroughputExceededException", "400",
                  "The number of requests exceeded your throughput limit (the API stage's throttling, for all "
                  "callers together). Try your call again."),
    "ACCESS_DENIED": ("AccessDeniedException", "400", None),
    "REQUEST_TOO_LARGE": ("DocumentTooLargeException", "400",
                          "The request is larger than the API takes (10 MB). Put the document in S3 and "
                          "name it with S3Object."),
    "BAD_REQUEST_PARAMETERS": ("UnknownOperationException", "400", None),  # no X-Amz-Target
    "BAD_REQUEST_BODY": ("SerializationException", "400", None),
    "MISSING_AUTHENTICATION_TOKEN": ("MissingAuthenticationTokenException", None, None),
    "INVALID_SIGNATURE": ("InvalidSignatureException", None, None),
    "EXPIRED_TOKEN": ("ExpiredTokenException", None, None),
    "DEFAULT_5XX": ("InternalServerError", None, None),
}


class TextractApi(Construct):
    """`POST /` with `X-Amz-Target: Textract.<Op>`, SigV4-signed for execute-api (IAM auth)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        event_source: str,
        source_root: Path,
        layer: lambda_.ILayerVersion,
        architecture: lambda_.Architecture,
        environment: Mapping[str, str],
        log_retention_days: int,
        destroy_on_remove: bool,
        analysis: lambda_.IFunction,
        log_encryption_key: kms.IKey | None = None,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        burst_limit: int = DEFAULT_BURST_LIMIT,
    ) -> None:
        super().__init__(scope, construct_id)
        common = {
            "source_root": source_root, "layer": layer, "architecture": architecture, "environment": environment,
            "log_retention_days": log_retention_days, "destroy_on_remove": destroy_on_remove,
            "log_encryption_key": log_encryption_key,
        }
        self.handler = PythonZipFunction(
            self, "Handler",
            spec=ZipFunctionSpec(description="doctables: Amazon Textract's API", handler_dir=API_HANDLER_DIR,
                                 memory_mb=512, timeout=Duration.seconds(29)),  # API Gateway's own limit
            **common,
        )
        # AnalyzeDocument: the function with the models, invoked synchronously (the stack grants it)
        self.handler.function.add_environment("DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION", analysis.function_name)
        self.completion = PythonZipFunction(
            self, "Completion",
            spec=ZipFunctionSpec(description="doctables: deliver Textract jobs whose document ended",
                                 handler_dir=COMPLETION_HANDLER_DIR, memory_mb=1024, timeout=Duration.seconds(300)),
            **common,
        )
        self.job_ended = events.Rule(
            self, "JobEnded",
            description="doctables: a job ended; deliver the Textract jobs reading it",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[event_source],
                                              detail_type=["Document Processed", "Document Failed"]),
            targets=[targets.LambdaFunction(self.completion.function, retry_attempts=2)],
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs",
            retention=log_retention(log_retention_days),
            encryption_key=log_encryption_key,
            removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
        )
        self.api = apigateway.RestApi(
            self, "Api",
            description="doctables: Amazon Textract's API (JSON 1.1, IAM auth)",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        self.api.node.try_remove_child("Endpoint")  # the stack's TextractApiUrl output names it
        # Parameters: X-Amz-Target must be there. The body has no model (the function checks it
        # as Textract does), so body validation passes every JSON body through.
        validator = self.api.add_request_validator("Target", validate_request_body=True,
                                                   validate_request_parameters=True)
        self.method = self.api.root.add_method(
            "POST",
            apigateway.LambdaIntegration(self.handler.function),
            authorization_type=apigateway.AuthorizationType.IAM,
            request_validator=validator,
            request_parameters={"method.request.header.X-Amz-Target": True},
        )
        self.gateway_responses = [self._textract_error(kind, *shape) for kind, shape in GATEWAY_ERRORS.items()]
        self._acknowledge()

    def _textract_error(self, kind: str, error_type: str, status: str | None,
                        message: str | None) -> apigateway.GatewayResponse:
        text = json.dumps(message) if message is not None else "$context.error.messageString"
        return self.api.add_gateway_response(
            kind.title().replace("_", ""),
            type=apigateway.ResponseType.of(kind),
            status_code=status,
            response_headers={"Content-Type": f"'{CONTENT_TYPE}'", "x-amzn-ErrorType": f"'{error_type}'"},
            templates={"application/json": f'{{"__type":"{error_type}","Message":{text}}}'},
        )

    @property
    def url(self) -> str:
        return self.api.url

    def _acknowledge(self) -> None:
        acknowledge(self.api, "AwsSolutions-APIG3",
                    "Callers are authenticated by IAM (SigV4) and throttled by the stage; the API takes "
                    "only signed JSON requests from principals the account allows, so no WAF web ACL.")
        acknowledge(self.api, "AwsSolutions-COG4",
                    "IAM authorization, as Amazon Textract's own API: callers sign with their AWS "
                    "credentials; there are no Cognito users.")
        acknowledge(self.api, "AwsSolutions-APIG6",
                    "Access logs go to the stage's log group; execution logging would need the "
                    "account-wide API Gateway CloudWatch role, which a stack should not set.")
