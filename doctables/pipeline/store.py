"""Job, page and table items in one DynamoDB table; progress counting that retries cannot inflate.

Item layout (pk, sk):
  JOB#<job_id>, JOB              the job: status, counts, source, timestamps, error, result key,
                                 its claim (closing/announcing) and its place in the active-jobs
                                 index (ACTIVE while unfinished, UNANNOUNCED until announced)
  JOB#<job_id>, RANGE#<first>    a page range whose page messages were sent
  JOB#<job_id>, PAGE#<page>      a settled page: DONE or FAILED (written once), with its tables'
                                 JSON gzip-compressed, or a pointer to them in S3 when too large
  JOB#<job_id>, TALLY#<n>        the pages counted on the job among pages n*100+1 .. (n+1)*100
  JOB#<job_id>, TABLE#<table_id> a table's JSON (jobs written before tables went in their page's
                                 item; still read)
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Sequence

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from doctables.errors import ErrorCode
from doctables.model.result import ErrorInfo, PageResult
from doctables.model.tables import Table
from doctables.model.text import TextLine, lines_from_data, lines_to_data

JOBS_INDEX = "jobs-by-time"  # every job, newest first: gsi1pk = JOBS, gsi1sk = created_at#job_id
# Sparse: only jobs with work left carry active_pk, ACTIVE while unfinished, then UNANNOUNCED
# from the write that makes the job final until its event is published (the outbox).
ACTIVE_INDEX = "active-jobs"
ACTIVE = "ACTIVE"
UNANNOUNCED = "UNANNOUNCED"
_FINAL = {":succeeded": "SUCCEEDED", ":partial": "PARTIALLY_SUCCEEDED", ":failed_status": "FAILED"}

# A DynamoDB item holds at most 400 KB; leave room for the key and attributes.
MAX_INLINE_TABLE_BYTES = 350_000
# Write units are per KB: a page's tables (JSON, 19 KB a table on average on the benchmark)
# are stored in the page's item gzip-compressed (about 3 KB a table), a sixth of the writes.
_TABLES_ATTRIBUTE = "tables_gz"
_TABLES_KEY_ATTRIBUTE = "tables_s3_key"
# A page's text (doctables.model.text: every line and word), gzip-compressed JSON, a few KB a
# page; spilled to S3 when with the tables it would pass MAX_INLINE_TABLE_BYTES.
_TEXT_ATTRIBUTE = "text_gz"
_TEXT_KEY_ATTRIBUTE = "text_s3_key"
# A job's `reads`. Absent: its tables only (an upload), and no page text is kept. A job the
# Textract API started keeps each page's text too, since its Get returns every LINE and WORD.
TEXT_ONLY = "text"  # its pages' text only (Textract's text detection), no tables
TABLES_AND_TEXT = "tables,text"  # its tables and its pages' text (Textract's document analysis)
_BODY_ATTRIBUTE = "body_gz"  # a TABLE# item's (before)
TALLY_PAGES = 100  # pages per tally item (the set of pages counted on the job)
_COUNT_ATTEMPTS = 8


@dataclass(frozen=True)
class SettledPage:
    """A settled page as counting needs it."""

    page: int
    done: bool
    tables: int
    tallied: bool = True  # counted through count_pages; False: counted when written (before tallies)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class JobStatus(str, Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_SUCCEEDED = "PARTIALLY_SUCCEEDED"
    FAILED = "FAILED"

    @property
    def final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.PARTIALLY_SUCCEEDED, JobStatus.FAILED)


@dataclass(frozen=True)
class SourceObject:
    """The uploaded object a job converts."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": self.key, "version_id": self.version_id, "etag": self.etag}


@dataclass(frozen=True)
class Job:
    """A job item as read back."""

    job_id: str
    status: JobStatus
    source: SourceObject
    pages_total: int
    pages_done: int
    pages_failed: int
    tables_found: int
    created_at: str
    finished_at: str | None
    error_code: str | None
    error_message: str | None
    result_key: str | None
    announced: bool
    warnings: tuple[dict[str, str], ...] = ()
    range_pages: int | None = None  # pages per range, and per bundle of renderings (None: before bundles)
    text_only: bool = False  # reads the pages' text, finds no tables (a Textract text detection's job)
    page_text: bool = False  # keeps each page's text (a job the Textract API started; not an upload's)

    @property
    def settled(self) -> bool:
        return self.pages_total > 0 and self.pages_done + self.pages_failed >= self.pages_total

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status.value,
            "source": self.source.as_dict(),
            "pages": {"total": self.pages_total, "done": self.pages_done, "failed": self.pages_failed},
            "tables": self.tables_found,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "error": {"code": self.error_code, "message": self.error_message} if self.error_code else None,
            "warnings": list(self.warnings),
        }


def table_definition(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the results table (the CDK stack declares the same)."""

    def index(name: str, partition: str) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": partition, "KeyType": "HASH"},
                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk", "active_pk")
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [index(JOBS_INDEX, "gsi1pk"), index(ACTIVE_INDEX, "active_pk")],
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JobStore:
    """All reads and writes of the results table."""

    def __init__(self, client: Any, table_name: str, page_ttl_days: int = 30) -> None:
        self.client = client
        self.table_name = table_name
        self.page_ttl_seconds = page_ttl_days * 86400

    # --- jobs -----------------------------------------------------------------------------
    def create_job(self, job_id: str, source: SourceObject, *, text_only: bool = False,
                   page_text: bool = False) -> bool:
        """Create the job as QUEUED; False when it already exists (a duplicate event).
        `text_only`: the job reads its pages' text and finds no tables; `page_text`: it keeps
        each page's text beside its tables (a text-only job always does)."""
        created_at = now_iso()
        item = {
            "pk": _pk(job_id),
            "sk": "JOB",
            "job_id": job_id,
            "status": JobStatus.QUEUED.value,
            "bucket": source.bucket,
            "key": source.key,
            "version_id": source.version_id,
            "etag": source.etag,
            "size": source.size,
            "pages_total": 0,
            "pages_done": 0,
            "pages_failed": 0,
            "tables_found": 0,
            "created_at": created_at,
            "updated_at": created_at,
            "gsi1pk": "JOBS",
            "gsi1sk": f"{created_at}#{job_id}",
            "active_pk": ACTIVE,  # sparse index: UNANNOUNCED when final, removed when announced
            "reads": TEXT_ONLY if text_only else TABLES_AND_TEXT if page_text else None,
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise

    def get_job(self, job_id: str) -> Job | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key=_to_item({"pk": _pk(job_id), "sk": "JOB"}), ConsistentRead=True
        )
        item = answer.get("Item")
        return _job_from(_from_item(item)) if item else None

    def start_job(self, job_id: str, pages_total: int, range_pages: int | None = None) -> None:
        """QUEUED -> RUNNING with the page count and the range size its pages are converted
        (and their renderings bundled) by; a retry that finds it RUNNING is fine."""
        expression = "SET #s = :running, pages_total = :total, started_at = :now, updated_at = :now"
        values = {":running": "RUNNING", ":queued": "QUEUED", ":total": pages_total, ":now": now_iso()}
        if range_pages:
            expression += ", range_pages = :range"
            values[":range"] = range_pages
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_to_item({"pk": _pk(job_id), "sk": "JOB"}),
                UpdateExpression=expression,
                ConditionExpression="#s = :queued",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_to_values(values),
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise

    def fail_job(
        self,
        job_id: str,
        code: ErrorCode,
        message: str,
        *,
        result_key: str | None = None,
        claim: str | None = None,
        counts: tuple[int, int] | None = None,
        finished_at: str | None = None,
    ) -> bool:
        """Mark a job FAILED with its error unless it already finished (see `finish_job`)."""
        return self._close(job_id, JobStatus.FAILED, (code.value, message), (JobStatus.QUEUED, JobStatus.RUNNING),
                           result_key, claim, counts, finished_at)

    def finish_job(
        self,
        job_id: str,
        status: JobStatus,
        error: tuple[str, str] | None,
        *,
        result_key: str | None = None,
        claim: str | None = None,
        counts: tuple[int, int] | None = None,
        finished_at: str | None = None,
    ) -> bool:
        """RUNNING -> a final status; True for the one caller that made the change.

        The same conditional write records the result document's key (written before it, so
        a reader that sees the job final can read its result) and puts the job in the outbox
        (`active_pk` = UNANNOUNCED) until `mark_announced`. With `claim`, the write happens
        only for the holder of that claim; without, only while nobody holds a live claim.
        With `counts` (pages_done, pages_failed), only if no page settled since they were read."""
        return self._close(job_id, status, error, (JobStatus.RUNNING,), result_key, claim, counts, finished_at)

    def _close(
        self,
        job_id: str,
        status: JobStatus,
        error: tuple[str, str] | None,
        sources: tuple[JobStatus, ...],
        result_key: str | None,
        claim: str | None,
        counts: tuple[int, int] | None,
        finished_at: str | None,
    ) -> bool:
        now = now_iso()
        expression = "SET #s = :final, finished_at = :finished, updated_at = :now, active_pk = :unannounced"
        values: dict[str, Any] = {":final": status.value, ":finished": finished_at or now, ":now": now,
                                  ":unannounced": UNANNOUNCED}
        if error:
            expression += ", error_code = :code, error_message = :message"
            values.update({":code": error[0], ":message": error[1]})
        if result_key:
            expression += ", result_key = :key"
            values[":key"] = result_key
        names = [f":from{i}" for i in range(len(sources))]
        values.update({name: source.value for name, source in zip(names, sources)})
        condition = f"#s IN ({', '.join(names)})"
        if claim:
            condition += " AND claim_token = :token"
            values[":token"] = claim
        else:
            condition += " AND (attribute_not_exists(claim_until) OR claim_until < :now)"
        if counts is not None:
            condition += " AND pages_done = :done AND pages_failed = :failed_pages"
            values.update({":done": counts[0], ":failed_pages": counts[1]})
        return self._update_if(job_id, expression, condition, values)

    def claim(self, job_id: str, token: str, now: str, until: str) -> bool:
        """Take the job's closing/announcing claim until `until` (ISO time): one holder at a
        time, so concurrent finishers write one result and put one event. Fails when the job
        is announced or another holder's claim has not expired by `now`."""
        return self._update_if(
            job_id,
            "SET claim_token = :token, claim_until = :until",
            "attribute_exists(pk) AND attribute_not_exists(announced_at)"
            " AND (attribute_not_exists(claim_until) OR claim_until < :now)",
            {":token": token, ":until": until, ":now": now},
        )

    def release_claim(self, job_id: str, token: str) -> bool:
        """Give the claim up (the holder failed and raised), so a retry may take it at once."""
        return self._update_if(job_id, "REMOVE claim_token, claim_until", "claim_token = :token", {":token": token})

    def add_warning(self, job_id: str, code: str, message: str) -> None:
        """Record a warning on the job once (a retry does not repeat it)."""
        self._update_if(
            job_id,
            "SET warnings = list_append(if_not_exists(warnings, :none), :warning), updated_at = :now"
            " ADD warning_codes :codes",
            "attribute_exists(pk) AND NOT contains(warning_codes, :code)",
            {":none": [], ":warning": [{"code": code, "message": message}], ":now": now_iso(),
             ":code": code, ":codes": {code}},
        )

    def mark_announced(self, job_id: str, result_key: str | None = None) -> bool:
        """The job's event is published: it leaves the outbox (and any claim is dropped)."""
        expression = "SET announced_at = :now, updated_at = :now"
        values: dict[str, Any] = {":now": now_iso(), **_FINAL}
        if result_key:
            expression += ", result_key = :key"
            values[":key"] = result_key
        return self._update_if(
            job_id,
            expression + " REMOVE active_pk, claim_token, claim_until",
            "attribute_exists(pk) AND #s IN (:succeeded, :partial, :failed_status)",
            values,
        )

    def _update_if(self, job_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _to_item({"pk": _pk(job_id), "sk": "JOB"}),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _to_values(values),
        }
        if "#s" in expression + condition:
            request["ExpressionAttributeNames"] = {"#s": "status"}
        try:
            self.client.update_item(**request)
            return True
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise

    def list_jobs(self, limit: int = 50) -> list[Job]:
        """Newest jobs first."""
        answer = self.client.query(
            TableName=self.table_name,
            IndexName=JOBS_INDEX,
            KeyConditionExpression="gsi1pk = :jobs",
            ExpressionAttributeValues=_to_values({":jobs": "JOBS"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_job_from(_from_item(item)) for item in answer.get("Items", [])]

    def stalled_jobs(self, idle_since: str) -> list[Job]:
        """Unfinished jobs whose last progress is older than `idle_since` (ISO time)."""
        return self._index_jobs(ACTIVE, "updated_at < :idle", {":idle": idle_since})

    def abandoned_jobs(self, now: str) -> list[Job]:
        """Unfinished jobs whose closer's claim expired before `now`: it died while closing."""
        return self._index_jobs(ACTIVE, "claim_until < :now", {":now": now})

    def unannounced_jobs(self, now: str) -> list[Job]:
        """The outbox: final jobs whose event is not published yet, except those whose
        publisher's claim is still live at `now` (it may be publishing right now)."""
        return self._index_jobs(
            UNANNOUNCED, "attribute_not_exists(claim_until) OR claim_until < :now", {":now": now}
        )

    def _index_jobs(self, partition: str, condition: str, values: dict[str, Any]) -> list[Job]:
        jobs: list[Job] = []
        paginator = self.client.get_paginator("query")
        for answer in paginator.paginate(
            TableName=self.table_name,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="active_pk = :partition",
            FilterExpression=condition,
            ExpressionAttributeValues=_to_values({":partition": partition, **values}),
        ):
            jobs.extend(_job_from(_from_item(item)) for item in answer.get("Items", []))
        return jobs

    # --- ranges ---------------------------------------------------------------------------
    def range_sent(self, job_id: str, first: int) -> bool:
        answer = self.client.get_item(
            TableName=self.table_name,
            Key=_to_item({"pk": _pk(job_id), "sk": _range_sk(first)}),
            ConsistentRead=True,
        )
        return "Item" in answer

    def mark_range_sent(self, job_id: str, first: int, last: int) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item=_to_item({"pk": _pk(job_id), "sk": _range_sk(first), "first": first, "last": last,
                           "sent_at": now_iso(), "expires_at": self._expiry()}),
        )

    # --- pages ----------------------------------------------------------------------------
    def settled_page(self, job_id: str, page: int) -> SettledPage | None:
        """The page's settled record (status, tables; whether it is counted by tally), or None."""
        answer = self.client.get_item(
            TableName=self.table_name,
            Key=_to_item({"pk": _pk(job_id), "sk": _page_sk(page)}),
            ConsistentRead=True,
            ProjectionExpression="#s, tables, tallied",
            ExpressionAttributeNames={"#s": "status"},
        )
        item = answer.get("Item")
        if item is None:
            return None
        values = _from_item(item)
        return SettledPage(page, values["status"] == "DONE", int(values.get("tables", 0)), bool(values.get("tallied")))

    def page_settled(self, job_id: str, page: int) -> bool:
        return self.settled_page(job_id, page) is not None

    def settle_page(
        self,
        job_id: str,
        page: int,
        *,
        done: bool,
        tables: Sequence[Table] = (),
        size: tuple[float, float, int] | None = None,
        error: tuple[str, str] | None = None,
        decision: dict[str, Any] | None = None,
        spill: Callable[[str], str] | None = None,
    ) -> bool:
        """Record a page as DONE (with its tables) or FAILED and count it on the job, once.
        Returns False when the page was already settled (a redelivery); it is counted then too,
        if an earlier call stored it and died before counting it."""
        stored = self.store_page(job_id, page, done=done, tables=tables, size=size, error=error,
                                 decision=decision, spill=spill)
        if stored is not None:
            self.count_pages(job_id, [stored])
        else:
            self.count_if_uncounted(job_id, self.settled_page(job_id, page))
        return stored is not None

    def count_if_uncounted(self, job_id: str, page: SettledPage | None) -> bool:
        """Count a page found settled (a redelivery, a late dead letter) unless it is counted
        already, which a read of its tally tells without a write. True if this call counted it."""
        if page is None or not page.tallied:  # not settled, or counted as written (before tallies)
            return False
        if page.page in self._tallied(job_id, (page.page - 1) // TALLY_PAGES):
            return False
        return self.count_pages(job_id, [page]) > 0

    def store_page(
        self,
        job_id: str,
        page: int,
        *,
        done: bool,
        tables: Sequence[Table] = (),
        size: tuple[float, float, int] | None = None,
        error: tuple[str, str] | None = None,
        decision: dict[str, Any] | None = None,
        spill: Callable[[str], str] | None = None,
        text: Sequence[TextLine] = (),
        spill_text: Callable[[str], str] | None = None,
    ) -> SettledPage | None:
        """Write the page's item with its tables unless the page is settled already (the first
        writer wins: a late dead letter does not turn a DONE page FAILED). It still has to be
        counted (`count_pages`); None when it existed. The tables go in the item as one
        gzip-compressed JSON list, or, past `MAX_INLINE_TABLE_BYTES`, to S3 through `spill(body)`,
        which returns the key. The page's `text` (its lines) goes in the item the same way
        (`text_gz`), or through `spill_text(body)` when with the tables it would pass that size."""
        page_item: dict[str, Any] = {
            "pk": _pk(job_id),
            "sk": _page_sk(page),
            "page": page,
            "status": "DONE" if done else "FAILED",
            "tables": len(tables),
            "tallied": True,  # counted by count_pages (items before it were counted as written)
            "settled_at": now_iso(),
            "expires_at": self._expiry(),
        }
        if size:
            page_item.update({"width": size[0], "height": size[1], "rotation": size[2]})
        if error:
            page_item.update({"error_code": error[0], "error_message": error[1]})
        if decision:
            page_item["decision"] = decision
        if tables:
            _put_body(page_item, [t.to_dict() for t in tables], (_TABLES_ATTRIBUTE, _TABLES_KEY_ATTRIBUTE), spill,
                      f"page {page}'s tables")
        if text:
            _put_body(page_item, lines_to_data(text), (_TEXT_ATTRIBUTE, _TEXT_KEY_ATTRIBUTE), spill_text,
                      f"page {page}'s text")
        try:
            self.client.put_item(
                TableName=self.table_name, Item=_to_item(page_item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return None
            raise
        return SettledPage(page, done, len(tables), True)

    def count_pages(self, job_id: str, pages: Sequence[SettledPage]) -> int:
        """Add settled pages to the job's counts, each once however often it is called: one
        transaction for all of them (a batch's pages, one update of the job), guarded by the
        job's tally items (`TALLY#<n>`: the set of pages counted among pages
        n*TALLY_PAGES+1 ..). Pages counted before are left out. Returns how many this call counted."""
        pending = {p.page: p for p in pages}
        for attempt in range(_COUNT_ATTEMPTS):
            if not pending:
                return 0
            groups: dict[int, list[int]] = {}
            for number in sorted(pending):
                groups.setdefault((number - 1) // TALLY_PAGES, []).append(number)
            now = now_iso()
            items: list[dict[str, Any]] = []
            for tally, numbers in groups.items():
                names = {f":p{i}": n for i, n in enumerate(numbers)}
                unseen = " AND ".join(f"NOT contains(counted, {name})" for name in names)
                items.append({"Update": {
                    "TableName": self.table_name,
                    "Key": _to_item({"pk": _pk(job_id), "sk": _tally_sk(tally)}),
                    "UpdateExpression": "ADD counted :pages SET expires_at = :expires",
                    "ConditionExpression": f"attribute_not_exists(counted) OR ({unseen})",
                    "ExpressionAttributeValues": _to_values(
                        {":pages": set(numbers), ":expires": self._expiry(), **names}
                    ),
                }})
            settled = list(pending.values())
            items.append({"Update": {
                "TableName": self.table_name,
                "Key": _to_item({"pk": _pk(job_id), "sk": "JOB"}),
                "UpdateExpression": "ADD pages_done :done, pages_failed :failed, tables_found :tables"
                                    " SET updated_at = :now",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": _to_values({
                    ":done": sum(p.done for p in settled), ":failed": sum(not p.done for p in settled),
                    ":tables": sum(p.tables for p in settled), ":now": now,
                }),
            }})
            try:
                self.client.transact_write_items(TransactItems=items)
                return len(settled)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons and reasons[-1] == "ConditionalCheckFailed":
                    raise RuntimeError(f"job {job_id} does not exist: its pages cannot be counted") from exc
                if "ConditionalCheckFailed" not in reasons and "TransactionConflict" not in reasons:
                    raise
                for tally in groups:  # some were counted already (a redelivery): leave them out
                    for number in self._tallied(job_id, tally) & set(groups[tally]):
                        pending.pop(number, None)
                time.sleep(0.05 * (attempt + 1) if "TransactionConflict" in reasons else 0)
        raise RuntimeError(f"could not count {len(pending)} page(s) of job {job_id}")

    def _tallied(self, job_id: str, tally: int) -> set[int]:
        answer = self.client.get_item(
            TableName=self.table_name,
            Key=_to_item({"pk": _pk(job_id), "sk": _tally_sk(tally)}),
            ConsistentRead=True,
        )
        return {int(n) for n in _from_item(answer.get("Item", {})).get("counted", set())}

    def job_contents(
        self, job_id: str, load_spilled: Callable[[str], str] | None = None
    ) -> tuple[list[PageResult], list[dict[str, Any]]]:
        """Settled pages, in page order, and every table's JSON (a dict), in table id order;
        `load_spilled(key)` reads tables that were too large for their item. Reads the tables
        of both layouts: in their page's item, or one item each (`TABLE#`, before)."""
        pages, tables, _text = self.job_pages(job_id, load_spilled)
        return pages, tables

    def job_pages(
        self, job_id: str, load_spilled: Callable[[str], str] | None = None
    ) -> tuple[list[PageResult], list[dict[str, Any]], dict[int, list[TextLine]]]:
        """`job_contents`, and the text of each page that has it (page number -> lines), in
        the same one read of the job's items."""
        pages: list[PageResult] = []
        tables: list[dict[str, Any]] = []
        text: dict[int, list[TextLine]] = {}
        paginator = self.client.get_paginator("query")
        for answer in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_to_values({":pk": _pk(job_id)}),
            ConsistentRead=True,
        ):
            for raw in answer.get("Items", []):
                item = _from_item(raw)
                sk = item["sk"]
                if sk.startswith("PAGE#"):
                    pages.append(_page_from(item))
                    tables.extend(_page_tables(item, load_spilled))
                    lines = _page_text(item, load_spilled)
                    if lines is not None:
                        text[int(item["page"])] = lines
                elif sk.startswith("TABLE#"):
                    tables.append(json.loads(table_body(item, _loader(load_spilled))))
        return pages, sorted(tables, key=lambda t: t["table_id"]), text

    def _expiry(self) -> int:
        return int(time.time()) + self.page_ttl_seconds


def table_body(item: dict[str, Any], load_spilled: Callable[[str], str]) -> str:
    """The JSON of a `TABLE#` item (the layout before a page's tables shared its item): inline
    (compressed) or spilled to S3."""
    if _BODY_ATTRIBUTE in item:
        return gzip.decompress(item[_BODY_ATTRIBUTE]).decode()
    return load_spilled(item["body_s3_key"])


def _page_tables(item: dict[str, Any], load_spilled: Callable[[str], str] | None) -> list[dict[str, Any]]:
    if _TABLES_ATTRIBUTE in item:
        return json.loads(gzip.decompress(item[_TABLES_ATTRIBUTE]))
    if _TABLES_KEY_ATTRIBUTE in item:
        return json.loads(_loader(load_spilled)(item[_TABLES_KEY_ATTRIBUTE]))
    return []


def _put_body(
    item: dict[str, Any], data: Any, attributes: tuple[str, str], spill: Callable[[str], str] | None, what: str
) -> None:
    """`data` as gzip-compressed JSON in the item's `attributes[0]`, or, when with what the item
    holds inline already it would pass MAX_INLINE_TABLE_BYTES, spilled (`attributes[1]`: the
    key `spill(body)` returns)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    compressed = gzip.compress(body.encode(), compresslevel=6, mtime=0)
    inline = len(item.get(_TABLES_ATTRIBUTE, b""))
    if inline + len(compressed) <= MAX_INLINE_TABLE_BYTES:
        item[attributes[0]] = compressed
        return
    if spill is None:
        raise ValueError(f"{what} take {len(compressed)} bytes compressed: spill them")
    item[attributes[1]] = spill(body)


def _page_text(item: dict[str, Any], load_spilled: Callable[[str], str] | None) -> list[TextLine] | None:
    if _TEXT_ATTRIBUTE in item:
        return lines_from_data(json.loads(gzip.decompress(item[_TEXT_ATTRIBUTE])))
    if _TEXT_KEY_ATTRIBUTE in item:
        return lines_from_data(json.loads(_loader(load_spilled)(item[_TEXT_KEY_ATTRIBUTE])))
    return None


def _loader(load_spilled: Callable[[str], str] | None) -> Callable[[str], str]:
    def refuse(key: str) -> str:
        raise ValueError(f"a table was spilled to {key}: job_contents needs load_spilled")

    return load_spilled or refuse


def _tally_sk(tally: int) -> str:
    return f"TALLY#{tally:04d}"


def _pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _page_sk(page: int) -> str:
    return f"PAGE#{page:05d}"


def _range_sk(first: int) -> str:
    return f"RANGE#{first:05d}"


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_value(v)) for k, v in values.items() if v is not None}


def _to_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_value(v)) for k, v in values.items()}


def _dynamo_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(round(value, 4)))
    if isinstance(value, dict):
        return {k: _dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo_value(v) for v in value]
    return value


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Binary):
        return bytes(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _job_from(item: dict[str, Any]) -> Job:
    return Job(
        job_id=item["job_id"],
        status=JobStatus(item["status"]),
        source=SourceObject(item["bucket"], item["key"], item.get("version_id"), item.get("etag"), item.get("size")),
        pages_total=int(item.get("pages_total", 0)),
        pages_done=int(item.get("pages_done", 0)),
        pages_failed=int(item.get("pages_failed", 0)),
        tables_found=int(item.get("tables_found", 0)),
        created_at=item["created_at"],
        finished_at=item.get("finished_at"),
        error_code=item.get("error_code"),
        error_message=item.get("error_message"),
        result_key=item.get("result_key"),
        announced="announced_at" in item,
        warnings=tuple(item.get("warnings", [])),
        range_pages=int(item["range_pages"]) if item.get("range_pages") else None,
        text_only=item.get("reads") == TEXT_ONLY,
        page_text=item.get("reads") in (TEXT_ONLY, TABLES_AND_TEXT),
    )


def _page_from(item: dict[str, Any]) -> PageResult:
    code = item.get("error_code")
    return PageResult(
        page=int(item["page"]),
        status=item["status"],
        width=item.get("width"),
        height=item.get("height"),
        rotation=item.get("rotation"),
        tables=int(item.get("tables", 0)),
        decision=item.get("decision"),  # type: ignore[arg-type]  # the map settle_page wrote
        error=ErrorInfo(code, item.get("error_message")) if code else None,
    )


def _conditional_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
