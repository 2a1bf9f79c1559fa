"""The pipeline on an in-process moto server: same resources, same event flow, real handlers.

moto delivers S3 -> SQS and EventBridge -> SQS notifications and SQS redrive, but cannot run
Lambda code without Docker, so this module plays the Lambda service: it polls each queue and
invokes the handler that the stack attaches to it, honouring partial batch failures."""

from __future__ import annotations

import hmac
import importlib
import json
import logging
import os
import secrets
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from doctables.model.result import ResultDocument
from doctables.pipeline.aws import Aws, Runtime, make_aws
from doctables.pipeline.keys import UPLOAD_PREFIX, result_key, upload_key
from doctables.pipeline.store import table_definition
from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_delivery import sns_client
from doctables.settings import Settings

REGION = "us-east-1"
BUCKET = "doctables-local"
TABLE = "doctables-local"
_MAX_RECEIVES = 3  # as the stack's default maxReceiveCount
_ASYNC_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first try and two retries


class InvocationDied(BaseException):
    """Raised (by a test) to model the invocation dying: killed out of memory, timed out, crashed
    in native code. A BaseException, so no handler code catches it as an error of one record;
    the runner reports none of the batch's results, as Lambda reports none."""


@dataclass
class LambdaContext:
    """The attributes of a Lambda context object that the handlers' decorators read."""

    function_name: str
    memory_limit_in_mb: int = 2048
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass(frozen=True)
class Queues:
    ingest: str
    pages: str
    pages_dlq: str
    ranges: str
    ranges_dlq: str
    events: str
    textract_events: str  # the job events again, for the Textract completion handler


class LocalStack:
    """moto in this process, with the stack's resources and a dispatcher for its handlers.

    Its AWS endpoint listens on loopback only and answers only clients such as boto3: see
    `LocalEndpoint`."""

    def __init__(self, settings: Settings | None = None, port: int = 0, host: str = "127.0.0.1",
                 batch_size: int = 10) -> None:
        self._server = LocalEndpoint(host, port)
        self.batch_size = batch_size  # messages a handler gets at most (the event source mapping's batchSize)
        self._base_settings = settings or Settings()
        self._saved_environ: dict[str, str] | None = None
        self.endpoint = ""
        self.events: list[dict[str, Any]] = []
        self.handler_errors: list[str] = []
        self.redeliveries = 0  # messages a handler reported failed, made visible again

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> "LocalStack":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per moto request
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        # moto keeps its state per process, not per server: start from an empty account.
        reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST",
                                       headers={LocalEndpoint.TOKEN_HEADER: self._server.token})
        urllib.request.urlopen(reset, timeout=10)
        self._saved_environ = dict(os.environ)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_SERVICE_NAME": "doctables",
                "POWERTOOLS_METRICS_NAMESPACE": "doctables",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "ERROR"),
            }
        )
        self.aws: Aws = make_aws(self.endpoint, REGION)
        self.queues = create_resources(self.aws, self._base_settings.upload_prefix)
        self.settings = self._base_settings.with_overrides(
            bucket=BUCKET,
            table_name=TABLE,
            page_queue_url=self.queues.pages,
            range_queue_url=self.queues.ranges,
            event_bus="default",
        )
        os.environ.update(self.settings.as_environment())
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        self._handlers = {
            name: importlib.import_module(f"lambdas.{name}.handler")
            for name in ("conversion", "tables", "dead_letters", "sweeper", "textract_events")
        }
        from doctables.local.textract_endpoint import extract_result

        self.textract = TextractApi(Runtime(self.settings, self.aws), sns_client(self.endpoint, REGION), extract_result)
        self._server.textract = self.textract

    def stop(self) -> None:
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None
        self._server.stop()

    # --- use ------------------------------------------------------------------------------
    def upload(self, data: bytes, name: str) -> str:
        """Put a document under the upload prefix, as a user would; returns its key."""
        key = upload_key(name, self.settings.upload_prefix)
        self.aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        return key

    def pump_once(self, only: str | None = None) -> int:
        """Deliver what is waiting on every queue (or the one named) to its handler once;
        returns the number of messages handled."""
        routes = {
            "ingest": (self.queues.ingest, self._deliver_uploads),
            "ranges": (self.queues.ranges, self._sqs_handler("conversion")),
            "pages": (self.queues.pages, self._sqs_handler("tables")),
            "pages_dlq": (self.queues.pages_dlq, self._sqs_handler("dead_letters")),
            "ranges_dlq": (self.queues.ranges_dlq, self._sqs_handler("dead_letters")),
            "events": (self.queues.events, self._collect_events),
            "textract_events": (self.queues.textract_events, self._deliver_events("textract_events")),
        }
        handled = sum(self._drain(url, deliver) for name, (url, deliver) in routes.items() if only in (None, name))
        forget_table_copies()
        return handled

    def run_until(self, done: Callable[[], bool], timeout: float = 600.0, on_progress: Callable[[], None] | None = None) -> None:
        """Pump the queues until `done()` holds; raise TimeoutError past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline did not finish within {timeout:.0f} s")
            if self.pump_once() == 0:
                time.sleep(0.05)
            if on_progress:
                on_progress()

    def events_for(self, job_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["detail"]["job_id"] == job_id]

    def event_for_key(self, key: str) -> dict[str, Any] | None:
        """The first job event whose source is the object `key`."""
        return next((e for e in self.events if e["detail"]["source"]["key"] == key), None)

    def result(self, job_id: str) -> dict[str, Any]:
        """The job's result document as the JSON stored (the tests and the bench compare it)."""
        body = self.aws.s3.get_object(Bucket=BUCKET, Key=result_key(job_id))["Body"].read()
        return json.loads(body)

    def document(self, job_id: str) -> ResultDocument:
        """The job's result document, typed."""
        return ResultDocument.from_dict(self.result(job_id))

    # --- dispatch -------------------------------------------------------------------------
    def _drain(self, queue_url: str, deliver: Callable[[list[dict[str, Any]]], set[str]]) -> int:
        answer = self.aws.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=min(10, self.batch_size), AttributeNames=["All"],
            WaitTimeSeconds=0
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        failed = deliver(messages)
        for message in messages:
            if message["MessageId"] in failed:
                # Make it visible again now: locally there is no point waiting out the timeout.
                try:
                    self.aws.sqs.change_message_visibility(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                except ClientError as exc:  # the handler deleted it itself before it died (it was done)
                    if exc.response["Error"]["Code"] != "ReceiptHandleIsInvalid":
                        raise
                    continue
                self.redeliveries += 1
            else:
                self.aws.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _handler(self, name: str) -> ModuleType:
        return self._handlers[name]

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        """Call a handler as Lambda would. Metrics are disabled here (no CloudWatch), and
        Powertools keeps undelivered metrics until a flush, so they are dropped after each call."""
        module = self._handler(name)
        try:
            return module.handler(event, LambdaContext(name))
        finally:
            metrics = getattr(module, "metrics", None)
            if metrics is not None:
                metrics.clear_metrics()

    def _deliver_uploads(self, messages: list[dict[str, Any]]) -> set[str]:
        """S3 invokes the conversion function asynchronously: Lambda retries a failed
        invocation twice, then sends an on-failure record to its destination (the range DLQ)."""
        failed: set[str] = set()
        for message in messages:
            body = json.loads(message["Body"])
            if "Records" not in body:  # s3:TestEvent sent when the notification is configured
                continue
            event = {"Records": body["Records"]}
            try:
                self._invoke("conversion", event)
            except Exception as exc:
                self.handler_errors.append(f"conversion: {exc!r}")
                attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                if attempts < _ASYNC_ATTEMPTS:
                    failed.add(message["MessageId"])
                    continue
                record = {
                    "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": attempts},
                    "requestPayload": event,
                    "responsePayload": {"errorType": type(exc).__name__, "errorMessage": str(exc)},
                }
                self.aws.sqs.send_message(QueueUrl=self.queues.ranges_dlq, MessageBody=json.dumps(record))
        return failed

    def _deliver_events(self, name: str) -> Callable[[list[dict[str, Any]]], set[str]]:
        """An EventBridge rule invokes its function asynchronously: two retries, then dropped."""

        def deliver(messages: list[dict[str, Any]]) -> set[str]:
            failed: set[str] = set()
            for message in messages:
                try:
                    self._invoke(name, json.loads(message["Body"]))
                except Exception as exc:
                    self.handler_errors.append(f"{name}: {exc!r}")
                    if int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")) < _ASYNC_ATTEMPTS:
                        failed.add(message["MessageId"])
            return failed

        return deliver

    def _sqs_handler(self, name: str) -> Callable[[list[dict[str, Any]]], set[str]]:
        def deliver(messages: list[dict[str, Any]]) -> set[str]:
            event = {"Records": [_as_lambda_record(m) for m in messages]}
            try:
                answer = self._invoke(name, event)
            except (Exception, InvocationDied) as exc:  # the whole batch failed, as Lambda would report
                self.handler_errors.append(f"{name}: {exc!r}")
                return {m["MessageId"] for m in messages}
            return {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}

        return deliver

    def _collect_events(self, messages: list[dict[str, Any]]) -> set[str]:
        self.events.extend(json.loads(m["Body"]) for m in messages)
        return set()


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_BROWSER_HEADERS = ("HTTP_ORIGIN", "HTTP_SEC_FETCH_SITE", "HTTP_SEC_FETCH_MODE", "HTTP_SEC_FETCH_DEST",
                    "HTTP_ACCESS_CONTROL_REQUEST_METHOD", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS")


class LocalEndpoint:
    """moto's server on a loopback port, served from a daemon thread, answering only non-browser
    AWS clients (boto3, the AWS CLI): what `doctables run` and `doctables serve` use.

    moto accepts any signature and, by itself, answers browsers with CORS for any origin. Here:

    - it listens on a loopback address only (`host` must be one: ValueError otherwise);
    - a request whose Host header is not a loopback name (DNS rebinding) gets 400;
    - a request a browser sent (Origin, Sec-Fetch-*, a CORS preflight; a page's script cannot
      remove these) gets 403, and no answer carries an Access-Control-* header;
    - a request without an AWS Signature V4 Authorization header (which a browser cannot add to
      a request it sends without CORS) gets 403, so an image or a link cannot call it either;
    - moto's own API (``/moto-api/``: reset, data dump, dashboard) answers only this process,
      which holds the per-run `token`.

    Any process on this machine that speaks AWS (any user's) can still read and write the local
    stack, as with any loopback service; nothing beyond the machine and no web page can."""

    TOKEN_HEADER = "X-Doctables-Local-Token"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the local AWS endpoint listens on loopback only ({', '.join(LOOPBACK_HOSTS)}), "
                             f"not on {host!r}")
        self.host = host
        self.port = port
        self.token = secrets.token_urlsafe(32)
        self.textract: Any = None  # the Textract API, once the stack's resources exist
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from doctables.local.textract_endpoint import route_textract

        moto_app = DomainDispatcherApplication(create_backend_app)
        app = local_only(route_textract(moto_app, lambda: self.textract), self.token)
        self._server = make_server(self.host, self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="doctables-moto", daemon=True)
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return (f"[{host}]" if ":" in str(host) else str(host)), int(port)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread:
            self._thread.join(timeout=10)
        self._server.server_close()
        self._server = None


def forget_table_copies() -> None:
    """Let moto's DynamoDB copies go. TransactWriteItems deep-copies each table it touches (to
    roll back on failure), and moto lists every model instance it ever made, tables and items
    alike, in `instances_tracked` for its dashboard (the only reader; the runner does not show
    it), so each settled page kept a copy of the whole table alive: memory grew with pages
    squared. DynamoDB's lists are emptied; the backends hold what is live."""
    from moto.core.model_instances import model_data

    for model in model_data.get("dynamodb", {}).values():
        model.instances_tracked = []  # type: ignore[attr-defined]


def is_loopback_name(host_header: str | None) -> bool:
    """True when a Host header names this machine's loopback (with any port)."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        name = host[1:host.index("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in LOOPBACK_HOSTS or name.endswith(".localhost")


def local_only(app: Callable[..., Any], token: str) -> Callable[..., Any]:
    """WSGI middleware: `app` answers only loopback-named, signed, non-browser requests (see
    `LocalEndpoint`); no answer carries CORS headers."""

    def refuse(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
        body = (text + "\n").encode()
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                                ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
        return [body]

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not is_loopback_name(environ.get("HTTP_HOST")):
            return refuse(start_response, "400 Bad Request",
                          "the local AWS endpoint answers only requests addressed to a loopback name")
        if environ.get("REQUEST_METHOD") == "OPTIONS" or any(environ.get(h) for h in _BROWSER_HEADERS):
            return refuse(start_response, "403 Forbidden", "the local AWS endpoint answers no browser")
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            sent = environ.get("HTTP_X_DOCTABLES_LOCAL_TOKEN", "").encode("latin-1", "replace")
            if not hmac.compare_digest(sent, token.encode()):
                return refuse(start_response, "403 Forbidden", "moto's API answers only the process running it")
        elif not environ.get("HTTP_AUTHORIZATION", "").startswith("AWS4-HMAC-SHA256 "):
            return refuse(start_response, "403 Forbidden", "requests need an AWS Signature V4 Authorization header")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return app(environ, start)

    return middleware


@contextmanager
def moto_runtime(**settings: Any) -> Iterator[Runtime]:
    """A Runtime on a fresh in-process moto account holding the stack's resources, for code
    that calls the pipeline's functions directly (tests, benches): no endpoint, no runner.
    `settings` override the Settings naming those resources."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        aws = Aws(*(session.client(n) for n in ("s3", "dynamodb", "sqs", "events")))
        queues = create_resources(aws, UPLOAD_PREFIX)
        yield Runtime(
            settings=Settings(bucket=BUCKET, table_name=TABLE, page_queue_url=queues.pages,
                              range_queue_url=queues.ranges, **settings),
            aws=aws,
        )


def create_resources(aws: Aws, upload_prefix: str) -> Queues:
    """The stack's resources, as `infra/` declares them, in a moto account."""
    s3, sqs, ddb, events = aws.s3, aws.sqs, aws.dynamodb, aws.events
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(**table_definition(TABLE))

    def queue_arn(url: str) -> str:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def queue(name: str, dead_letter: str | None = None) -> str:
        attributes = {"VisibilityTimeout": "300"}
        if dead_letter:
            redrive = {"deadLetterTargetArn": queue_arn(dead_letter), "maxReceiveCount": _MAX_RECEIVES}
            attributes["RedrivePolicy"] = json.dumps(redrive)
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    pages_dlq = queue("doctables-pages-dlq")
    ranges_dlq = queue("doctables-ranges-dlq")
    queues = Queues(
        ingest=queue("doctables-ingest"),
        pages=queue("doctables-pages", pages_dlq),
        pages_dlq=pages_dlq,
        ranges=queue("doctables-ranges", ranges_dlq),
        ranges_dlq=ranges_dlq,
        events=queue("doctables-events"),
        textract_events=queue("doctables-textract-events"),
    )
    prefix_filter = {"Key": {"FilterRules": [{"Name": "prefix", "Value": upload_prefix}]}}
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn(queues.ingest), "Events": ["s3:ObjectCreated:*"], "Filter": prefix_filter}
            ]
        },
    )
    events.put_rule(Name="doctables-jobs", EventPattern=json.dumps({"source": ["doctables"]}))
    events.put_targets(Rule="doctables-jobs", Targets=[{"Id": "local", "Arn": queue_arn(queues.events)}])
    events.put_rule(Name="doctables-textract", EventPattern=json.dumps({"source": ["doctables"]}))
    events.put_targets(Rule="doctables-textract", Targets=[{"Id": "local", "Arn": queue_arn(queues.textract_events)}])
    return queues


def _as_lambda_record(message: dict[str, Any]) -> dict[str, Any]:
    """An SQS message as the Lambda event source mapping presents it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:queue",
        "awsRegion": REGION,
    }


__all__ = ["LocalStack", "LambdaContext", "LocalEndpoint", "InvocationDied"]
