"""AnalyzeDocument, deployed: the API function has no models, so it hands the document to the
analysis function (built from the table stage's image, a function of its own) in one
synchronous invocation, and reads back the page's tables and text.

    API function                                   analysis function (container image)
    TextractApi.analyze: checks, reads the bytes   analyze_event: the bytes (or the S3 object
      RemoteExtractor ──lambda:InvokeFunction──▶     the request named), one page: render,
      (a direct payload, RequestResponse)            text layer or OCR, tables (find_page)
      ◀── {"result", "text"} or {"error"} ─────────

A document refused for what it is comes back as `{"error": {"code", "message"}}` (the
DocumentError's code), which the API turns into Textract's exception; a crash or a timeout of
the function is a FunctionError, answered InternalServerError."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from doctables.convert.render import open_document, render_page
from doctables.deadline import within_budget
from doctables.errors import DocumentError, ErrorCode
from doctables.model.result import DONE, PageResult, Source, result_document
from doctables.model.text import lines_from_data, lines_to_data, page_lines
from doctables.models.image import decode_image
from doctables.page.find import decision_record, find_page
from doctables.pipeline.textract_api import Extracted
from doctables.pipeline.textract_requests import SYNC_MAX_BYTES, S3Location
from doctables.settings import Settings

# Lambda's synchronous request payload is at most 6 MB; an envelope's room taken off. Bytes
# whose base64 passes it go by the S3 object the request named (API Gateway's own event is
# under 6 MB, so Document.Bytes always fits).
MAX_PAYLOAD = 6 * 1024 * 1024 - 16 * 1024
SOURCE_NAME = "AnalyzeDocument"


class AnalysisFailed(RuntimeError):
    """The analysis function crashed or ran out of time (a FunctionError): InternalServerError."""


def remote_extractor(settings: Settings) -> RemoteExtractor | None:
    """The deployed API's extractor when the stack names the analysis function, else None."""
    if not settings.textract_analysis_function:
        return None
    import boto3
    from botocore.config import Config

    # One try, waiting past the function's own timeout (25 s) and within the API function's (29 s):
    # a retry would answer after API Gateway has given up.
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=27)
    return RemoteExtractor(boto3.client("lambda", config=config), settings.textract_analysis_function)


class RemoteExtractor:
    """The API's extractor, deployed: one synchronous invocation of the analysis function."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self.client = lambda_client
        self.function_name = function_name

    def __call__(self, data: bytes, settings: Settings, *, location: S3Location | None = None) -> Extracted:
        answer = self.client.invoke(FunctionName=self.function_name, InvocationType="RequestResponse",
                                    Payload=json.dumps(analysis_request(data, location)).encode())
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError") or not isinstance(body, dict):
            message = body.get("errorMessage") if isinstance(body, dict) else None
            raise AnalysisFailed(f"the analysis function failed: {message or answer.get('FunctionError')}")
        return read_analysis(body)


def analysis_request(data: bytes, location: S3Location | None) -> dict[str, Any]:
    """The analysis function's payload: the bytes, or where they lie when they would not fit."""
    encoded = base64.b64encode(data).decode()
    if len(encoded) <= MAX_PAYLOAD or location is None:
        return {"document": {"bytes": encoded}}
    return {"document": {"s3": {"bucket": location.bucket, "key": location.name, "version": location.version}}}


def read_analysis(body: dict[str, Any]) -> Extracted:
    """The analysis function's answer: what it found, or the DocumentError it raised."""
    error = body.get("error")
    if error:
        raise DocumentError(ErrorCode(error["code"]), error["message"])
    return Extracted(body["result"], {int(n): lines_from_data(lines) for n, lines in body["text"].items()})


# --- the analysis function's side -----------------------------------------------------------


def analyze_event(event: dict[str, Any], s3: Any, settings: Settings) -> dict[str, Any]:
    """One AnalyzeDocument request, in the analysis function: the document's one page read as
    the table stage reads a page, with Textract's synchronous limits (one page, 10 MB)."""
    limits = settings.with_overrides(max_pages=1, max_bytes=SYNC_MAX_BYTES)
    try:
        extracted = analyze_document(_document_bytes(event, s3), limits)
    except DocumentError as error:
        return {"error": {"code": error.code.value, "message": error.message}}
    return {"result": extracted.result,
            "text": {str(n): lines_to_data(lines) for n, lines in extracted.text.items()}}


def analyze_document(data: bytes, settings: Settings) -> Extracted:
    """The tables and text of a one-page document (DocumentError for anything else)."""
    try:
        document = open_document(data, settings)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # whatever else a damaged file makes PyMuPDF raise
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"the document cannot be read: {exc}") from exc
    with document:
        try:
            rendered = render_page(document.load_page(0), 1, settings.dpi, settings.max_render_pixels)
        except DocumentError:
            raise
        except Exception as exc:
            raise DocumentError(ErrorCode.PAGE_UNREADABLE, f"page 1 cannot be rendered: {exc}") from exc
    layout = rendered.layout
    found = within_budget(settings.page_time_budget, find_page, decode_image(rendered.png), layout, settings, page=1)
    page = PageResult(1, DONE, layout.width, layout.height, layout.rotation, len(found.tables),
                      decision_record(found.decision))  # type: ignore[arg-type]  # decision_record's keys
    # block ids are derived from the job id: the document's digest stands for it
    job_id = hashlib.sha256(data).hexdigest()[:32]
    result = result_document(job_id, "SUCCEEDED", Source(None, SOURCE_NAME), [page], found.tables)
    return Extracted(result.to_dict(), {1: page_lines(found.words)})


def _document_bytes(event: dict[str, Any], s3: Any) -> bytes:
    document = event.get("document") or {}
    if "bytes" in document:
        try:
            return base64.b64decode(document["bytes"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the analysis request's bytes are not base64: {exc}") from exc
    location = document["s3"]
    request = {"Bucket": location["bucket"], "Key": location["key"]}
    if location.get("version"):
        request["VersionId"] = location["version"]
    return s3.get_object(**request)["Body"].read()
