"""Textract's API in the template: API Gateway with IAM auth, throttling and access logs in
front of the API function; the completion rule; and grants that fit the code."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.config import Config
from botocore.exceptions import ClientError
from infra_testing import Synthesized, as_list, canonical, policy_statements

from infra.textract_api import DEFAULT_BURST_LIMIT, DEFAULT_RATE_LIMIT, GATEWAY_ERRORS, STAGE

pytest_plugins = ["infra_fixtures"]


def _one(synth: Synthesized, kind: str) -> dict:
    (resource,) = synth.resources(kind).values()
    return resource["Properties"]


def _pairs(synth: Synthesized, role) -> set[tuple[str, str]]:
    return {(action, canonical(resource)) for statement in policy_statements(synth, role)
            for action in as_list(statement["Action"]) for resource in as_list(statement["Resource"])}


def test_textract_api_is_one_post_method_with_iam_auth(synthesized: Synthesized) -> None:
    textract = synthesized.stack.textract
    methods = synthesized.resources("AWS::ApiGateway::Method")
    assert len(methods) == 1
    (method,) = (m["Properties"] for m in methods.values())
    assert method["HttpMethod"] == "POST" and method["AuthorizationType"] == "AWS_IAM"
    assert method["ResourceId"] == {"Fn::GetAtt": [synthesized.logical_id(textract.api), "RootResourceId"]}
    assert method["RequestParameters"] == {"method.request.header.X-Amz-Target": True}
    validator = _one(synthesized, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestParameters"] is True
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY" and integration["IntegrationHttpMethod"] == "POST"
    assert canonical(synthesized.arn(textract.handler.function)) in canonical(integration["Uri"])
    assert _one(synthesized, "AWS::ApiGateway::RestApi")["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_textract_api_stage_throttles_traces_and_logs_access(synthesized: Synthesized) -> None:
    stage = _one(synthesized, "AWS::ApiGateway::Stage")
    assert stage["StageName"] == STAGE and stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert (settings["HttpMethod"], settings["ResourcePath"]) == ("*", "/*")
    assert settings["ThrottlingRateLimit"] == DEFAULT_RATE_LIMIT
    assert settings["ThrottlingBurstLimit"] == DEFAULT_BURST_LIMIT
    access = stage["AccessLogSetting"]
    assert synthesized.logical_id(synthesized.stack.textract.access_logs) in canonical(access["DestinationArn"])
    for field in ("$context.requestId", "$context.identity.caller", "$context.status", "$context.identity.user"):
        assert field in access["Format"]
    logs = synthesized.json["Resources"][synthesized.logical_id(synthesized.stack.textract.access_logs)]
    assert logs["Properties"]["RetentionInDays"] == synthesized.settings.log_retention_days


def test_textract_completion_runs_on_the_job_events(synthesized: Synthesized) -> None:
    textract = synthesized.stack.textract
    rule = synthesized.json["Resources"][synthesized.logical_id(textract.job_ended)]["Properties"]
    assert rule["EventPattern"] == {"source": ["doctables"], "detail-type": ["Document Processed", "Document Failed"]}
    (target,) = rule["Targets"]
    assert target["Arn"] == synthesized.arn(textract.completion.function)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_textract_functions_run_the_thin_handlers(synthesized: Synthesized) -> None:
    textract = synthesized.stack.textract
    for construct in (textract.handler, textract.completion):
        function = synthesized.json["Resources"][synthesized.logical_id(construct.function)]["Properties"]
        assert function["Handler"] == "handler.handler" and function["TracingConfig"] == {"Mode": "Active"}
        environment = function["Environment"]["Variables"]
        assert environment["DOCTABLES_TEXTRACT_BUCKETS"] == synthesized.settings.textract_buckets
        assert environment["DOCTABLES_TABLE"] == synthesized.ref(synthesized.stack.table)
    handler = synthesized.json["Resources"][synthesized.logical_id(textract.handler.function)]["Properties"]
    assert handler["Timeout"] == 29  # within API Gateway's integration timeout


def test_textract_url_is_a_stack_output(synthesized: Synthesized) -> None:
    outputs = synthesized.json["Outputs"]
    assert "TextractApiUrl" in outputs and STAGE in canonical(outputs["TextractApiUrl"]["Value"])
    assert not [name for name in outputs if name.startswith("TextractApiEndpoint")]


def test_textract_grants_fit_the_code(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    for synth in (default_stack, variant_stack):
        stack = synth.stack
        api = _pairs(synth, stack.textract.handler.role)
        completion = _pairs(synth, stack.textract.completion.role)
        table = canonical(synth.arn(stack.table))
        assert {a for a, r in api if a.startswith("dynamodb:") and r == table} == {
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}
        assert {a for a, r in completion if a.startswith("dynamodb:")} == {
            "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"}
        assert {(a, r) for a, r in api if a == "sqs:SendMessage"} == {
            ("sqs:SendMessage", canonical(synth.arn(stack.range_queue.queue)))}
        for pairs in (api, completion):
            published = {r for a, r in pairs if a == "sns:Publish"}
            assert len(published) == 1 and ":sns:" in published.pop()
            assert not {a for a, _ in pairs if a.startswith(("s3:Delete", "dynamodb:Delete", "sqs:Delete"))}
        allowed = [f"arn:aws:s3:::{b}/*" for b in synth.settings.textract_bucket_names]
        writes = {r for a, r in api if a == "s3:PutObject"}
        assert len(writes) == len(allowed)  # never the stack's own bucket
        conversion_reads = {r for a, r in _pairs(synth, stack.conversion.role) if a == "s3:GetObjectVersion"}
        assert len(conversion_reads) == 1 + len(allowed)  # uploads, and each allowed bucket
    assert variant_stack.settings.textract_bucket_names == ["archive-a", "archive-b"]


def _gateway_responses(synth: Synthesized) -> dict[str, dict]:
    return {r["Properties"]["ResponseType"]: r["Properties"]
            for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()}


def _rendered(response: dict, gateway_message: str) -> tuple[dict[str, str], bytes]:
    """The headers and body API Gateway sends for a gateway response: the static header values
    unquoted, `$context.error.messageString` as API Gateway writes it (a quoted JSON string)."""
    headers = {name.removeprefix("gatewayresponse.header."): value.strip("'")
               for name, value in response["ResponseParameters"].items()}
    body = response["ResponseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps(gateway_message))
    return headers, body.encode()


def _client_answered(status: int, headers: dict[str, str], body: bytes, retries: dict):
    """boto3's own Textract client whose every request API Gateway answers with this response;
    and the list of the requests it sent."""
    sent: list[object] = []

    def answer(request, **_):
        sent.append(request)
        return AWSResponse(request.url, status, HeadersDict(headers), _Raw(body))

    client = boto3.client("textract", region_name="us-east-1", endpoint_url="https://api.example",
                          aws_access_key_id="k", aws_secret_access_key="s",
                          config=Config(retries=retries))
    client.meta.events.register("before-send.textract.*", answer)
    return client, sent


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


def test_gateway_errors_answer_in_textracts_json_shape(synthesized: Synthesized) -> None:
    responses = _gateway_responses(synthesized)
    assert set(responses) == set(GATEWAY_ERRORS)
    for kind, (error_type, status, _) in GATEWAY_ERRORS.items():
        response = responses[kind]
        assert response["RestApiId"] == synthesized.ref(synthesized.stack.textract.api)
        assert response.get("StatusCode") == status
        headers, body = _rendered(response, "API Gateway's message")
        assert headers == {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": error_type}
        parsed = json.loads(body)
        assert parsed["__type"] == error_type and parsed["Message"]
    throttled = responses["THROTTLED"]
    assert throttled["StatusCode"] == "400"  # Textract's status for it (API Gateway's is 429)
    assert "$context" not in throttled["ResponseTemplates"]["application/json"]
    # the deployment is redeployed when a gateway response changes
    (deployment,) = synthesized.resources("AWS::ApiGateway::Deployment").values()
    assert {synthesized.stack.resolve(synthesized.stack.get_logical_id(r.node.default_child))
            for r in synthesized.stack.textract.gateway_responses} <= set(deployment["DependsOn"])


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_botocore_raises_textracts_throttling_exception_from_the_throttled_response(
        default_stack: Synthesized, mode: str) -> None:
    throttled = _gateway_responses(default_stack)["THROTTLED"]
    headers, body = _rendered(throttled, "Too Many Requests")
    client, sent = _client_answered(int(throttled["StatusCode"]), headers, body,
                                    {"mode": mode, "total_max_attempts": 2})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as raised:
        client.get_document_analysis(JobId="a" * 64)
    assert raised.value.response["Error"]["Message"].startswith("The number of requests exceeded")
    assert len(sent) == 2  # botocore takes it for throttling and retries it, as Textract's own


@pytest.mark.parametrize(("kind", "message"), [
    ("ACCESS_DENIED", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: execute-api:Invoke"),
    ("REQUEST_TOO_LARGE", "Request Too Long"),
    ("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"),
    ("DEFAULT_5XX", "Internal server error"),
])
def test_botocore_reads_every_gateway_error_as_its_textract_type(
        default_stack: Synthesized, kind: str, message: str) -> None:
    response = _gateway_responses(default_stack)[kind]
    error_type, status, static = GATEWAY_ERRORS[kind]
    headers, body = _rendered(response, message)
    default_status = 500 if kind == "DEFAULT_5XX" else 403
    client, _ = _client_answered(int(status or default_status), headers, body,
                                 {"mode": "standard", "total_max_attempts": 1})
    with pytest.raises(ClientError) as raised:
        client.analyze_document(Document={"Bytes": b"%PDF"}, FeatureTypes=["TABLES"])
    assert raised.value.response["Error"] == {"Code": error_type, "Message": static or message}
    if hasattr(client.exceptions, error_type):
        assert isinstance(raised.value, getattr(client.exceptions, error_type))


def test_analyze_document_grants_are_one_invoke_and_document_reads(default_stack: Synthesized,
                                                                    variant_stack: Synthesized) -> None:
    """The API function may invoke the analysis function and no other; the analysis function
    only reads documents (uploads, the allowed buckets) and, encrypted, uses the stack's key."""
    for synth in (default_stack, variant_stack):
        stack = synth.stack
        analysis = stack.textract_analysis
        api = _pairs(synth, stack.textract.handler.role)
        assert {(a, r) for a, r in api if a.startswith("lambda:")} == {
            ("lambda:InvokeFunction", canonical(synth.arn(analysis.function)))}
        for role in (stack.conversion.role, stack.table_stage.role, stack.textract.completion.role):
            assert not {a for a, _ in _pairs(synth, role) if a.startswith("lambda:")}
        reads = _pairs(synth, analysis.role)
        actions = {a for a, _ in reads if not a.startswith(("logs:", "xray:"))}
        kms = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
        assert actions == {"s3:GetObject", "s3:GetObjectVersion"} | (kms if synth.settings.encryption == "kms" else set())
        objects = {r for a, r in reads if a == "s3:GetObjectVersion"}
        assert len(objects) == 1 + len(synth.settings.textract_bucket_names)  # uploads, each allowed bucket
        assert any(synth.settings.upload_prefix in r for r in objects)
        assert not any("results/" in r or "pages/" in r or "tables/" in r for r in objects)
