"""`doctables serve` answers Amazon Textract's API: requests whose `X-Amz-Target` is
`Textract.<Op>` go to `doctables.pipeline.textract_api` instead of moto's own Textract mock.
It sits inside `local_only`, so the endpoint's protections (loopback, no browser, signed
requests only) hold for it as for every other service."""

from __future__ import annotations

from typing import Any, Callable

from doctables.pipeline.textract_api import Extracted, TextractApi
from doctables.pipeline.textract_requests import S3Location
from doctables.pipeline.textract_wire import handle, is_textract
from doctables.settings import Settings

_MAX_BODY = 16 * 1024 * 1024  # a 10 MB document as base64 JSON, with room


def extract_result(data: bytes, settings: Settings, *, location: S3Location | None = None) -> Extracted:
    """AnalyzeDocument's page code, in this process: `doctables.extract()` on the bytes."""
    from doctables.inprocess import extract

    document = extract(data, settings=settings)
    return Extracted(document.to_result(), document.text)


def route_textract(app: Callable[..., Any], api: Callable[[], TextractApi | None]) -> Callable[..., Any]:
    """WSGI middleware: Textract requests to `api()`, everything else to `app` (moto)."""

    def router(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if not is_textract(target):
            return app(environ, start_response)
        current = api()
        if current is None:
            body = b'{"__type":"ServiceUnavailableException","Message":"the local stack is starting"}'
            start_response("503 Service Unavailable", [("Content-Type", "application/x-amz-json-1.1"),
                                                       ("Content-Length", str(len(body)))])
            return [body]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > _MAX_BODY:
            body = b'{"__type":"DocumentTooLargeException","Message":"the request body is over 16 MB"}'
            start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        answer = handle(current, target, environ["wsgi.input"].read(length) if length else b"")
        reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(answer.status, "")
        start_response(f"{answer.status} {reason}", list(answer.headers.items()))
        return [answer.body]

    return router
