"""AnalyzeDocument on the deployed API, as the two functions run it: the API function's handler
(`lambdas/textract_api`) gets API Gateway's proxy event and invokes the analysis function
(`lambdas/analyze`, the table stage's image) through boto3's own Lambda client; here the Lambda
service's part (run the function with the payload, answer its return value or its
FunctionError) is played in process, on moto, with the real models and PyMuPDF."""

from __future__ import annotations

import base64
import importlib
import io
import json

import pymupdf
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict

from conftest import SAMPLE

ANALYSIS_FUNCTION = "doctables-analysis"


def _one_page_pdf() -> bytes:
    with pymupdf.open(SAMPLE) as document:
        document.select([0])
        return document.tobytes()


class _Body(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


@pytest.fixture
def deployed(lambda_environment):
    """The API function's handler on moto, its Lambda client answered by the analysis
    function's handler as the Lambda service would run it; and the payloads it was sent."""
    from doctables.local.stack import LambdaContext, moto_runtime

    with moto_runtime(textract_analysis_function=ANALYSIS_FUNCTION) as runtime:
        lambda_environment(runtime.settings)
        api_handler = importlib.import_module("lambdas.textract_api.handler")
        analysis_handler = importlib.import_module("lambdas.analyze.handler")
        api = api_handler._api()
        assert api.extract is not None and api.extract.function_name == ANALYSIS_FUNCTION
        sent: list[dict] = []

        def lambda_service(request, **_):
            assert request.url.endswith(f"/functions/{ANALYSIS_FUNCTION}/invocations")
            event = json.loads(request.body)
            sent.append(event)
            headers = {}
            try:
                body = analysis_handler.handler(event, LambdaContext("analysis"))
            except Exception as exc:  # the function raised: Lambda answers 200 with a FunctionError
                body = {"errorMessage": str(exc), "errorType": type(exc).__name__}
                headers["X-Amz-Function-Error"] = "Unhandled"
            return AWSResponse(request.url, 200, HeadersDict(headers), _Body(json.dumps(body).encode()))

        api.extract.client.meta.events.register_first("before-send.lambda.Invoke", lambda_service)

        def call(body: dict) -> tuple[int, dict]:
            event = {"httpMethod": "POST", "path": "/", "resource": "/", "requestContext": {},
                     "headers": {"X-Amz-Target": "Textract.AnalyzeDocument",
                                 "Content-Type": "application/x-amz-json-1.1"},
                     "body": json.dumps(body), "isBase64Encoded": False}
            answer = api_handler.handler(event, LambdaContext("textract_api"))
            return answer["statusCode"], json.loads(answer["body"])

        yield runtime, call, sent
        api_handler._api_for.cache_clear()


def test_deployed_analyze_document_answers_a_page_through_the_analysis_function(deployed):
    runtime, call, sent = deployed
    data = _one_page_pdf()
    status, answer = call({"Document": {"Bytes": base64.b64encode(data).decode()}, "FeatureTypes": ["TABLES"]})
    assert status == 200, answer
    assert answer["DocumentMetadata"] == {"Pages": 1} and answer["AnalyzeDocumentModelVersion"]
    blocks = answer["Blocks"]
    (table,) = [b for b in blocks if b["BlockType"] == "TABLE"]
    cells = [b for b in blocks if b["BlockType"] == "CELL"]
    assert len(cells) == len(table["Relationships"][0]["Ids"]) > 20
    lines = {b["Text"]: b for b in blocks if b["BlockType"] == "LINE"}
    title = lines["Annual Report 2024: Revenue and Staffing"]  # the page's own text, outside the table
    assert 0.05 < title["Geometry"]["BoundingBox"]["Top"] < 0.1
    assert "North" in lines  # and the table's words, in their cells
    # the bytes went in the invocation's payload (under Lambda's 6 MB)
    (event,) = sent
    assert base64.b64decode(event["document"]["bytes"]) == data


def test_deployed_analyze_document_hands_a_large_s3_document_over_by_its_location(deployed, monkeypatch):
    from doctables.pipeline import textract_analysis

    runtime, call, sent = deployed
    data = _one_page_pdf()
    runtime.aws.s3.put_object(Bucket=runtime.settings.bucket, Key="uploads/one.pdf", Body=data)
    monkeypatch.setattr(textract_analysis, "MAX_PAYLOAD", len(data))  # its base64 no longer fits
    status, answer = call({"Document": {"S3Object": {"Bucket": runtime.settings.bucket, "Name": "uploads/one.pdf"}},
                           "FeatureTypes": ["TABLES"]})
    assert status == 200, answer
    assert sum(b["BlockType"] == "TABLE" for b in answer["Blocks"]) == 1
    (event,) = sent
    assert event["document"] == {"s3": {"bucket": runtime.settings.bucket, "key": "uploads/one.pdf", "version": None}}


def test_deployed_analyze_document_answers_textracts_errors(deployed):
    runtime, call, sent = deployed
    two_pages = SAMPLE.read_bytes()
    status, answer = call({"Document": {"Bytes": base64.b64encode(two_pages).decode()}, "FeatureTypes": ["TABLES"]})
    assert (status, answer["__type"]) == (400, "UnsupportedDocumentException")  # the function refused it
    assert "Request has unsupported document format" in answer["Message"]
    assert len(sent) == 1
    status, answer = call({"Document": {"Bytes": base64.b64encode(b"plain text, no document").decode()},
                           "FeatureTypes": ["TABLES"]})
    assert (status, answer["__type"]) == (400, "UnsupportedDocumentException") and len(sent) == 1  # not sent
    status, answer = call({"Document": {"Bytes": base64.b64encode(b"%PDF-1.7\n" + b"0" * 11 * 2**20).decode()},
                           "FeatureTypes": ["TABLES"]})
    assert (status, answer["__type"]) == (400, "DocumentTooLargeException") and len(sent) == 1
    status, answer = call({"Document": {"Bytes": base64.b64encode(b"%PDF-1.7\nbroken").decode()},
                           "FeatureTypes": ["TABLES"]})
    assert (status, answer["__type"]) == (400, "BadDocumentException") and len(sent) == 2
    status, answer = call({"Document": {"Bytes": base64.b64encode(_one_page_pdf()).decode()},
                           "FeatureTypes": ["FORMS"]})
    assert (status, answer["__type"]) == (400, "InvalidParameterException") and len(sent) == 2


def test_deployed_analyze_document_is_an_internal_error_when_the_function_fails(deployed, monkeypatch):
    from doctables.pipeline import textract_analysis

    runtime, call, sent = deployed
    # the function crashes on what it is sent (bytes that are not base64): a FunctionError
    monkeypatch.setattr(textract_analysis, "analysis_request", lambda data, location: {"document": {"bytes": "%%"}})
    status, answer = call({"Document": {"Bytes": base64.b64encode(_one_page_pdf()).decode()},
                           "FeatureTypes": ["TABLES"]})
    assert (status, answer["__type"]) == (500, "InternalServerError") and len(sent) == 1
