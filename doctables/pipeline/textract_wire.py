"""Textract's wire protocol (AWS JSON 1.1): `POST /` with `X-Amz-Target: Textract.<Op>` and a
JSON body; answers 200 with the response's JSON, or 400/500 with `{"__type", "Message"}`.
Shared by `doctables serve` (WSGI) and the deployed API's handler."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_errors import SerializationException, TextractError, UnknownOperationException

TARGET_PREFIX = "Textract."
CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def is_textract(target: str | None) -> bool:
    return bool(target) and str(target).startswith(TARGET_PREFIX)


def handle(api: TextractApi, target: str | None, body: bytes) -> WireResponse:
    """Answer one request as Textract's endpoint does."""
    request_id = str(uuid.uuid4())
    try:
        if not is_textract(target):
            raise UnknownOperationException(f"X-Amz-Target must be Textract.<operation>, not {target!r}")
        operation = str(target)[len(TARGET_PREFIX):]
        try:
            payload = json.loads(body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SerializationException(f"the request body is not JSON: {exc}") from exc
        answer = api.call(operation, payload)
        return _response(200, answer, request_id)
    except TextractError as error:
        return _response(error.status, error.body(), request_id, error.type_name)


def _response(status: int, payload: dict, request_id: str, error_type: str | None = None) -> WireResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": CONTENT_TYPE, "Content-Length": str(len(body)), "x-amzn-RequestId": request_id}
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    return WireResponse(status, headers, body)
