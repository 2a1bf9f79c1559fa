"""Amazon Textract's API on the pipeline: StartDocumentAnalysis / GetDocumentAnalysis,
StartDocumentTextDetection / GetDocumentTextDetection and the synchronous AnalyzeDocument.

A start points the pipeline at the object where it lies (the stack's bucket or one of
DOCTABLES_TEXTRACT_BUCKETS): the object's version names the pipeline job (`jobs.job_id_for`),
so nothing is copied, a document already read is not read again, and Textract jobs on the same
version share one pipeline job. A job that does not exist yet is started with an object message
on the range queue, which the conversion function consumes with the same retries and
dead-letter queue as page ranges."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from botocore.exceptions import ClientError

from doctables.convert.sniff import sniff
from doctables.errors import DocumentError, ErrorCode
from doctables.model.text import TextLine
from doctables.outputs.textract import MODEL_VERSION, to_textract
from doctables.pipeline import keys
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import job_store
from doctables.pipeline.jobs import job_id_for as pipeline_job_id_for
from doctables.pipeline.messages import ObjectMessage, send_all
from doctables.pipeline.store import Job, SourceObject
from doctables.pipeline.textract_delivery import ACCESS_CHECK, deliver, full_response, output_key
from doctables.pipeline.textract_errors import (
    BAD_DOCUMENT_MESSAGE, INTERNAL_MESSAGE, INVALID_JOB_MESSAGE, S3_OBJECT_MESSAGE, THROUGHPUT_MESSAGE,
    UNSUPPORTED_MESSAGE, BadDocumentException, DocumentTooLargeException, IdempotentParameterMismatchException,
    InternalServerError, InvalidJobIdException, InvalidParameterException, InvalidS3ObjectException,
    ProvisionedThroughputExceededException, TextractError, UnknownOperationException, UnsupportedDocumentException,
)
from doctables.pipeline.textract_jobs import TextractJob, TextractJobs, iso_now, job_id_for, request_hash
from doctables.pipeline.textract_requests import (
    SYNC_MAX_BYTES, TOO_LARGE_MESSAGE, AnalyzeRequest, Output, S3Location, StartRequest, analyze_request,
    get_request, start_request,
)
from doctables.pipeline.textract_responses import ANALYSIS, TEXT_DETECTION, FullResponse, in_progress, page
from doctables.settings import Settings

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Extracted:
    """What AnalyzeDocument's page code gives: the result document (JSON data) and each page's
    lines of words."""

    result: dict[str, Any]
    text: dict[int, list[TextLine]]


class Extractor(Protocol):
    """Runs the page code on one document and returns what it found; the API stays on its floor
    (the in-process extractor is a floor above the pipeline's, beside it; deployed, the analysis
    function). `location`: where the bytes were read, when the request named an S3 object (an
    extractor may read it there rather than be handed the bytes). Raises DocumentError."""

    def __call__(self, data: bytes, settings: Settings, *, location: S3Location | None = None) -> Extracted: ...

_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
              "SlowDown", "RequestThrottled", "TooManyRequestsException"}
_MISSING = {"404", "403", "400", "NoSuchKey", "NoSuchBucket", "NoSuchVersion", "AccessDenied", "InvalidArgument",
            "InvalidRequest"}
_HEAD_BYTES = 1024
_PIPELINE_PREFIXES = (keys.PAGES_PREFIX, keys.RESULTS_PREFIX, keys.TABLES_PREFIX)  # what the pipeline writes
_ANSWERS_KEPT = 8  # whole answers of final jobs kept for their next pages
_DOCUMENT_ERRORS: dict[ErrorCode, type[TextractError]] = {
    ErrorCode.NOT_A_DOCUMENT: UnsupportedDocumentException,
    ErrorCode.PASSWORD_PROTECTED: UnsupportedDocumentException,
    ErrorCode.TOO_MANY_PAGES: UnsupportedDocumentException,
    ErrorCode.TOO_LARGE: DocumentTooLargeException,
    ErrorCode.PAGE_TOO_LARGE: DocumentTooLargeException,
}
_MESSAGES: dict[type[TextractError], str] = {
    UnsupportedDocumentException: UNSUPPORTED_MESSAGE,
    DocumentTooLargeException: TOO_LARGE_MESSAGE,
    BadDocumentException: BAD_DOCUMENT_MESSAGE,
}


@dataclass
class RateLimit:
    """A token bucket per operation: `per_second` requests a second, bursts of as many."""

    per_second: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, operation: str) -> bool:
        if self.per_second <= 0:
            return True
        capacity = max(1.0, self.per_second)
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(operation, (capacity, now))
            tokens = min(capacity, tokens + (now - then) * self.per_second)
            if tokens < 1.0:
                self._buckets[operation] = (tokens, now)
                return False
            self._buckets[operation] = (tokens - 1.0, now)
            return True


class TextractApi:
    """The operations, each taking the request's JSON body and returning the response's."""

    def __init__(self, runtime: Runtime, sns: Any, extract: Extractor | None = None) -> None:
        self.runtime = runtime
        self.sns = sns
        self.extract = extract
        self.jobs = TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name)
        self.limit = RateLimit(runtime.settings.textract_tps)
        self._answers: dict[tuple[str, str, str], FullResponse] = {}
        self._lock = threading.Lock()
        self.operations: dict[str, Callable[[Any], dict[str, Any]]] = {
            "StartDocumentAnalysis": lambda body: self.start(start_request(ANALYSIS, body)),
            "StartDocumentTextDetection": lambda body: self.start(start_request(TEXT_DETECTION, body)),
            "GetDocumentAnalysis": lambda body: self.get(ANALYSIS, body),
            "GetDocumentTextDetection": lambda body: self.get(TEXT_DETECTION, body),
            "AnalyzeDocument": lambda body: self.analyze(analyze_request(body)),
        }

    def call(self, operation: str, body: Any) -> dict[str, Any]:
        """Run one operation; raises a TextractError for every refusal or failure."""
        handler = self.operations.get(operation)
        if handler is None:
            raise UnknownOperationException(f"doctables does not answer Textract.{operation}")
        if not self.limit.take(operation):
            raise ProvisionedThroughputExceededException(THROUGHPUT_MESSAGE)
        try:
            return handler(body)
        except TextractError:
            raise
        except Exception as exc:
            if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in _THROTTLED:
                raise ProvisionedThroughputExceededException(THROUGHPUT_MESSAGE) from exc
            logger.exception("Textract.%s failed", operation)
            raise InternalServerError(INTERNAL_MESSAGE) from exc

    # --- asynchronous ----------------------------------------------------------------------
    def start(self, request: StartRequest) -> dict[str, Any]:
        self._readable(request.document, "DocumentLocation")
        if request.output is not None:
            self._writable(request.output)
        job_id = job_id_for(request)
        digest = request_hash(request)
        if request.token is not None:
            earlier = self.jobs.get(job_id)
            if earlier is not None:
                return {"JobId": self._same_request(earlier, digest)}
        source = self._source(request.document)
        if request.output is not None:
            self._check_output(request.output, job_id, request)
        text_only = request.api == TEXT_DETECTION  # a job of its own, reading the whole page's text
        pipeline_job_id = pipeline_job_id_for(source, text_only=text_only)
        job = TextractJob(job_id, request, digest, pipeline_job_id, iso_now())
        stored = self.jobs.create(job)
        if stored is not job:  # a concurrent start with the same token came first
            return {"JobId": self._same_request(stored, digest)}
        if request.output is not None or request.notification is not None:
            self.jobs.wait_for(pipeline_job_id, job_id)
        pipeline_job = job_store(self.runtime).get_job(pipeline_job_id)
        if pipeline_job is None:
            message = ObjectMessage(source.bucket, source.key, source.version_id, source.etag, source.size,
                                    text_only=text_only)
            send_all(self.runtime.aws.sqs, self.runtime.settings.range_queue_url, [message])
        elif pipeline_job.status.final:  # read before: no event will come, deliver now
            self._deliver_quietly(job)
        return {"JobId": job_id}

    def get(self, api: str, body: Any) -> dict[str, Any]:
        request = get_request(body)
        job = self.jobs.get(request.job_id)
        if job is None or job.request.api != api:
            raise InvalidJobIdException(INVALID_JOB_MESSAGE)
        pipeline_job = job_store(self.runtime).get_job(job.pipeline_job_id)
        if pipeline_job is None or not pipeline_job.status.final:
            full = in_progress(api, pipeline_job)
        else:
            full = self._answer(job, pipeline_job)
            if not job.delivered_at and (job.request.output or job.request.notification):
                self._deliver_quietly(job)  # its delivery failed before: each Get tries again
        return page(full, job.job_id, request.max_results, request.next_token)

    def _answer(self, job: TextractJob, pipeline_job: Job) -> FullResponse:
        """A final job's whole answer, kept for the next pages: a final result never changes,
        and rebuilding every block for each page of 1,000 would make reading a long document
        quadratic."""
        key = (pipeline_job.job_id, pipeline_job.result_key or "", job.request.api)
        with self._lock:
            cached = self._answers.get(key)
        if cached is None:
            cached = full_response(job, pipeline_job, self.runtime)
            with self._lock:
                self._answers[key] = cached
                while len(self._answers) > _ANSWERS_KEPT:
                    self._answers.pop(next(iter(self._answers)))
        return cached

    def _deliver_quietly(self, job: TextractJob) -> None:
        """Deliver now; a failure (a topic that refuses, a bucket gone) does not undo the start:
        the job exists, and the next Get of it tries the delivery again."""
        try:
            deliver(job.job_id, self.runtime, self.sns)
        except Exception:  # noqa: BLE001
            logger.exception("delivering Textract job %s failed", job.job_id)

    def _same_request(self, earlier: TextractJob, digest: str) -> str:
        if earlier.request_hash != digest:
            raise IdempotentParameterMismatchException(
                "The ClientRequestToken you provided was used in another request with other parameters.")
        return earlier.job_id

    # --- synchronous -----------------------------------------------------------------------
    def analyze(self, request: AnalyzeRequest) -> dict[str, Any]:
        location = request.location
        if request.data is not None:
            data = request.data
        else:
            assert location is not None
            self._readable(location, "Document")
            data = self._read_small(location)
        if sniff(data[:_HEAD_BYTES]) is None:
            raise UnsupportedDocumentException(UNSUPPORTED_MESSAGE)
        if self.extract is None:
            raise UnknownOperationException(
                "AnalyzeDocument is not served here (no table models in this function): use "
                "StartDocumentAnalysis, or doctables serve")
        settings = self.runtime.settings.with_overrides(max_pages=1, max_bytes=SYNC_MAX_BYTES)
        try:
            extracted = self.extract(data, settings, location=location)
        except DocumentError as error:
            kind = _DOCUMENT_ERRORS.get(error.code, BadDocumentException)
            raise kind(f"{_MESSAGES[kind]}: {error.message}") from error
        analysis = to_textract(extracted.result, page_text=extracted.text)
        return {"DocumentMetadata": {"Pages": analysis["DocumentMetadata"]["Pages"]}, "Blocks": analysis["Blocks"],
                "AnalyzeDocumentModelVersion": MODEL_VERSION}

    # --- S3 ----------------------------------------------------------------------------------
    def allowed_buckets(self) -> set[str]:
        listed = {b.strip() for b in self.runtime.settings.textract_buckets.split(",") if b.strip()}
        return listed | {self.runtime.settings.bucket}

    def _readable(self, location: S3Location, member: str) -> None:
        """In the stack's own bucket only uploads are documents: its other keys are the
        pipeline's (pages, results), and the conversion function may read only uploads there."""
        self._allowed(location.bucket, member)
        settings = self.runtime.settings
        if location.bucket == settings.bucket and not location.name.startswith(settings.upload_prefix):
            raise InvalidS3ObjectException(
                f"{member}: in the stack's bucket {settings.bucket}, documents are read under "
                f"{settings.upload_prefix} only")

    def _writable(self, output: Output) -> None:
        """OutputConfig may not write where the pipeline reads or writes in the stack's bucket:
        under the upload prefix each object would start a job of its own."""
        self._allowed(output.bucket, "OutputConfig")
        settings = self.runtime.settings
        written = f"{output.prefix.rstrip('/')}/"
        reserved = (settings.upload_prefix, *_PIPELINE_PREFIXES)
        if output.bucket == settings.bucket and any(written.startswith(p) or p.startswith(written) for p in reserved):
            raise InvalidParameterException(
                f"OutputConfig.S3Prefix {output.prefix!r} would write among the pipeline's own keys "
                f"({', '.join(reserved)}) in {settings.bucket}: choose another prefix or bucket")

    def _allowed(self, bucket: str, member: str) -> None:
        if bucket not in self.allowed_buckets():
            raise InvalidS3ObjectException(
                f"{member} names bucket {bucket}, which this doctables stack may not use: "
                "add it to DOCTABLES_TEXTRACT_BUCKETS")

    def _head(self, location: S3Location) -> dict[str, Any]:
        request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.name}
        if location.version:
            request["VersionId"] = location.version
        try:
            return self.runtime.aws.s3.head_object(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise InvalidS3ObjectException(S3_OBJECT_MESSAGE) from exc
            raise

    def _first_bytes(self, location: S3Location, version: str | None) -> bytes:
        request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.name,
                                   "Range": f"bytes=0-{_HEAD_BYTES - 1}"}
        if version:
            request["VersionId"] = version
        return self.runtime.aws.s3.get_object(**request)["Body"].read()

    def _source(self, location: S3Location) -> SourceObject:
        """The object version a start reads, checked as Textract checks it before a job exists."""
        head = self._head(location)
        size = int(head.get("ContentLength", 0))
        version = head.get("VersionId")
        version = None if version in (None, "null") else version
        if size == 0:
            raise BadDocumentException(f"{BAD_DOCUMENT_MESSAGE}: the object is empty")
        if size > self.runtime.settings.max_bytes:
            raise DocumentTooLargeException(
                f"S3 object size {size} is more than the maximum limit {self.runtime.settings.max_bytes} bytes")
        if sniff(self._first_bytes(location, version)) is None:
            raise UnsupportedDocumentException(UNSUPPORTED_MESSAGE)
        return SourceObject(location.bucket, location.name, version, str(head.get("ETag", "")).strip('"') or None, size)

    def _read_small(self, location: S3Location) -> bytes:
        head = self._head(location)
        if int(head.get("ContentLength", 0)) > SYNC_MAX_BYTES:
            raise DocumentTooLargeException(TOO_LARGE_MESSAGE)
        request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.name}
        if location.version:
            request["VersionId"] = location.version
        return self.runtime.aws.s3.get_object(**request)["Body"].read()

    def _check_output(self, output: Output, job_id: str, request: StartRequest) -> None:
        """Write the access check Textract writes under `<prefix>/<JobId>/` before starting."""
        kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": request.kms_key_id} if request.kms_key_id else {}
        try:
            self.runtime.aws.s3.put_object(Bucket=output.bucket, Key=output_key(output.prefix, job_id, ACCESS_CHECK),
                                           Body=b"", **kms)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise InvalidS3ObjectException(
                    f"Unable to write to the OutputConfig bucket {output.bucket}: check it exists and may be written"
                ) from exc
            raise


__all__ = ["TextractApi", "RateLimit", "Extractor", "Extracted"]
