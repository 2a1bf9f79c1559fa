"""Archive backfill: one job for every supported object under a prefix that has none yet.

Each object is started through Textract's `StartDocumentAnalysis` (the same start the API
answers: the document read where it lies, in an allowed bucket) with a ClientRequestToken named
after the object's version. The token makes the Textract JobId, the pipeline job id comes from
the version too, so a second run finds both and starts nothing: the run is resumable and safe to
repeat, whoever runs it (the Distributed Map's item processor deployed, the local driver on moto).

Per object, in order:
  folder marker (key ending in /)           unsupported
  LastModified before --since               older (not counted as listed work)
  its version already has a pipeline job    done
  an earlier backfill started it, queued    done
  start refused: not a document, empty,
  too large                                 unsupported
  start refused otherwise, or an AWS error  failed (a later run tries it again)
  started                                   started
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from doctables.pipeline.jobs import job_id_for as pipeline_job_id_for
from doctables.pipeline.store import JobStore, SourceObject
from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_errors import TextractError
from doctables.pipeline.textract_jobs import TextractJobs
from doctables.pipeline.textract_jobs import job_id_for as textract_job_id_for
from doctables.pipeline.textract_requests import start_request
from doctables.pipeline.textract_responses import ANALYSIS

JOB_TAG = "backfill"
TOKEN_PREFIX = "backfill-"
# Textract refuses these before a job exists because of the document itself: trying again
# cannot help, so the object is skipped as unsupported, not failed.
UNSUPPORTED_CODES = frozenset({"UnsupportedDocumentException", "BadDocumentException", "DocumentTooLargeException"})
FAILURES_KEPT = 20  # failed objects listed in a tally (the counts are exact)


class Outcome(str, Enum):
    STARTED = "started"
    DONE = "done"
    UNSUPPORTED = "unsupported"
    OLDER = "older"
    FAILED = "failed"


@dataclass(frozen=True)
class ListedObject:
    """One object as a listing names it (no version: ListObjectsV2 gives none)."""

    key: str
    size: int
    last_modified: datetime

    @classmethod
    def from_listing(cls, item: Mapping[str, Any]) -> "ListedObject":
        """From ListObjectsV2's `Contents` (LastModified a datetime) or a Distributed Map item
        read by the S3 ItemReader (LastModified in epoch seconds, or an ISO string)."""
        return cls(str(item["Key"]), int(item.get("Size", 0)), _moment(item.get("LastModified")))


@dataclass(frozen=True)
class ObjectResult:
    key: str
    outcome: Outcome
    job_id: str | None = None  # the pipeline job, when the object has one
    reason: str | None = None


@dataclass
class Tally:
    """Counts of a backfill (or one batch of it), and the first failures with their reasons."""

    listed: int = 0
    started: int = 0
    done: int = 0
    unsupported: int = 0
    older: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def add(self, result: ObjectResult) -> None:
        self.listed += 1
        setattr(self, result.outcome.value, getattr(self, result.outcome.value) + 1)
        if result.outcome is Outcome.FAILED and len(self.failures) < FAILURES_KEPT:
            self.failures.append({"key": result.key, "reason": result.reason or ""})

    def merge(self, other: Mapping[str, Any]) -> None:
        """Add another tally's counts (a batch's output, as `as_dict` wrote it)."""
        for name in ("listed", "started", "done", "unsupported", "older", "failed"):
            setattr(self, name, getattr(self, name) + int(other.get(name, 0)))
        room = FAILURES_KEPT - len(self.failures)
        self.failures.extend(list(other.get("failures", []))[:max(0, room)])

    def as_dict(self) -> dict[str, Any]:
        return {"listed": self.listed, "started": self.started, "done": self.done,
                "unsupported": self.unsupported, "older": self.older, "failed": self.failed,
                "failures": list(self.failures)}

    def line(self) -> str:
        """The progress line: what was listed and what became of it."""
        parts = [f"{self.listed:,} listed", f"{self.started:,} started", f"{self.done:,} skipped (job exists)",
                 f"{self.unsupported:,} unsupported"]
        if self.older:
            parts.append(f"{self.older:,} before --since")
        parts.append(f"{self.failed:,} failed")
        return ", ".join(parts)


class StartRefused(Exception):
    """A start answered with one of Textract's errors (`code` is its type name)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# Sends one StartDocumentAnalysis request body and returns its JobId; raises StartRefused.
StartDocument = Callable[[dict[str, Any]], str]


def api_starter(api: TextractApi) -> StartDocument:
    """Starts in this process, through the Textract API's own operation (deployed: the item
    processor's function; its refusals are Textract's error types)."""

    def start(body: dict[str, Any]) -> str:
        return str(api.call(ANALYSIS, body)["JobId"])

    return start


def backfill_token(pipeline_job_id: str) -> str:
    """The ClientRequestToken of an object version's backfill start (Textract's pattern: 64 at most)."""
    return f"{TOKEN_PREFIX}{pipeline_job_id}"


def start_body(bucket: str, key: str, version: str | None, token: str) -> dict[str, Any]:
    """The StartDocumentAnalysis request of one object version."""
    location: dict[str, str] = {"Bucket": bucket, "Name": key}
    if version:
        location["Version"] = version
    return {"DocumentLocation": {"S3Object": location}, "FeatureTypes": ["TABLES"],
            "ClientRequestToken": token, "JobTag": JOB_TAG}


@dataclass(frozen=True)
class Backfiller:
    """Starts the job of one listed object unless it has one."""

    s3: Any
    jobs: JobStore
    textract_jobs: TextractJobs
    start_document: StartDocument

    def start(self, bucket: str, listed: ListedObject, since: datetime | None = None) -> ObjectResult:
        key = listed.key
        if key.endswith("/"):
            return ObjectResult(key, Outcome.UNSUPPORTED, reason="a folder marker, not a document")
        if since is not None and listed.last_modified < since:
            return ObjectResult(key, Outcome.OLDER)
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            return ObjectResult(key, Outcome.FAILED, reason=_aws_reason(exc))
        version = head.get("VersionId")
        version = None if version in (None, "null") else version
        etag = str(head.get("ETag", "")).strip('"') or None
        job_id = pipeline_job_id_for(SourceObject(bucket, key, version, etag, int(head.get("ContentLength", 0))))
        try:
            if self.jobs.get_job(job_id) is not None:
                return ObjectResult(key, Outcome.DONE, job_id)
            body = start_body(bucket, key, version, backfill_token(job_id))
            # Started by an earlier run, its object message still waiting for conversion.
            if self.textract_jobs.get(textract_job_id_for(start_request(ANALYSIS, body))) is not None:
                return ObjectResult(key, Outcome.DONE, job_id)
            self.start_document(body)
        except (StartRefused, TextractError) as refused:
            code = refused.code if isinstance(refused, StartRefused) else refused.type_name
            outcome = Outcome.UNSUPPORTED if code in UNSUPPORTED_CODES else Outcome.FAILED
            return ObjectResult(key, outcome, reason=f"{code}: {refused.message}")
        except ClientError as exc:
            return ObjectResult(key, Outcome.FAILED, reason=_aws_reason(exc))
        return ObjectResult(key, Outcome.STARTED, job_id)

    def start_all(self, bucket: str, listed: Iterable[ListedObject], since: datetime | None,
                  threads: int = 1) -> Tally:
        """Start a batch of objects, `threads` at a time; their tally."""
        tally = Tally()
        items = list(listed)
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(items) or 1))) as pool:
            for result in pool.map(lambda item: self.start(bucket, item, since), items):
                tally.add(result)
        return tally


# --- backpressure -------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueLimits:
    """How much waiting work a backfill leaves in the pipeline's queues before it holds back:
    about 40 s of conversion and 75 s of the table stage at the stack's default concurrency.
    Without a limit a backfill would queue its whole archive at once, ahead of every upload,
    and messages older than the queue's retention (4 days) would be lost."""

    range_messages: int = 100
    page_messages: int = 2000

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> "QueueLimits":
        values = values or {}
        default = cls()
        return cls(int(values.get("range_messages", default.range_messages)),
                   int(values.get("page_messages", default.page_messages)))


class PipelineBusy(Exception):
    """The pipeline's queues hold more than the backfill's limits: try this batch later.
    (Step Functions retries the item processor on this error's name.)"""


def queued_messages(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0))


def busy_reason(sqs: Any, range_queue_url: str, page_queue_url: str, limits: QueueLimits) -> str | None:
    """Why the pipeline is too busy for more backfill now, or None."""
    ranges = queued_messages(sqs, range_queue_url)
    if ranges > limits.range_messages:
        return f"{ranges} messages wait on the range queue (limit {limits.range_messages})"
    pages = queued_messages(sqs, page_queue_url)
    if pages > limits.page_messages:
        return f"{pages} pages wait on the page queue (limit {limits.page_messages})"
    return None


# --- a batch of the Distributed Map --------------------------------------------------------------
def start_batch(event: Mapping[str, Any], backfiller: Backfiller, busy: Callable[[QueueLimits], str | None]) -> dict[str, Any]:
    """One item batch of the Distributed Map: `BatchInput` (bucket, since, limits) and `Items`
    as the S3 ItemReader lists them. Raises PipelineBusy before starting anything when the
    queues are full; returns the batch's tally."""
    shared = event.get("BatchInput") or {}
    reason = busy(QueueLimits.from_dict(shared.get("limits")))
    if reason:
        raise PipelineBusy(reason)
    since = parse_since(shared.get("since") or None)
    items = [ListedObject.from_listing(item) for item in event.get("Items", [])]
    return backfiller.start_all(str(shared["bucket"]), items, since).as_dict()


# --- listing and driving, where no Step Functions runs (locally) ---------------------------------
def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[ListedObject]:
    """Every object under the prefix, as ListObjectsV2 pages them."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield ListedObject.from_listing(item)


def run_backfill(
    backfiller: Backfiller, s3: Any, bucket: str, prefix: str, *, since: datetime | None = None,
    max_concurrency: int = 10, batch_size: int = 20, busy: Callable[[], str | None] | None = None,
    wait: Callable[[str], None] | None = None, on_progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """The Distributed Map's work in this process: the listing in batches, each started
    `max_concurrency` objects at a time once `busy()` is None (`wait(reason)` between tries)."""
    tally = Tally()
    batch: list[ListedObject] = []

    def flush() -> None:
        while busy is not None and (reason := busy()) is not None:
            if wait is None:
                raise PipelineBusy(reason)
            wait(reason)
        tally.merge(backfiller.start_all(bucket, batch, since, threads=max_concurrency).as_dict())
        batch.clear()
        if on_progress:
            on_progress(tally)

    for listed in list_objects(s3, bucket, prefix):
        batch.append(listed)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return tally


# --- arguments ----------------------------------------------------------------------------------
def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix); the prefix may be empty."""
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, prefix


def parse_since(value: str | None) -> datetime | None:
    """A date or an ISO time (UTC unless it says otherwise)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_name(bucket: str, prefix: str, since: datetime | None) -> str:
    """The execution name's stem for one backfill (bucket, prefix, since): a run still going
    under it is followed rather than started twice."""
    identity = f"{bucket}\n{prefix}\n{since.isoformat() if since else ''}"
    return f"backfill-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str) and value:
        return parse_since(value) or datetime.min.replace(tzinfo=timezone.utc)
    return datetime.min.replace(tzinfo=timezone.utc)


def _aws_reason(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
