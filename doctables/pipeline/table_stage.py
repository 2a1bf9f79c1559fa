"""Table stage: one rendered page in, its tables stored and the page counted once; a batch of
page messages in, the messages to retry out, with no page able to take the others down.

A page that kills its invocation (out of memory, Lambda's timeout, a crash in native code) fails
every message of its batch: Lambda reports nothing, and all of them come back. Two things keep
the others from following it to the dead-letter queue:

- **Each page is marked before its work starts** (a `TRY#<page>` item beside the page's). A page
  marked but not settled when its message comes back was running when an earlier invocation
  died (or failed on it): it is the suspect. Work in a batch runs one page at a time, so after a
  death exactly the page that was running is marked and unsettled; the pages before it are
  settled (their redelivery is a duplicate) and the pages after it never started.
- **A batch holding a redelivered message is processed carefully**: the suspects run last, the
  messages that came back most often first, and each message is deleted from the queue as soon
  as its page succeeds, so a suspect that kills the invocation again takes only itself (and any
  suspect after it) back to the queue. Only the guilty page uses up its receives and reaches the
  dead-letter queue (PAGE_FAILED_REPEATEDLY); the pages that shared its batch are counted and
  their jobs finish. A batch of first deliveries runs as before, with no extra call.

Deleting a message early is what Lambda's event source mapping does at the end with the same
receipt handle (it was the usual pattern before partial batch responses; the mapping's own
delete then finds the message gone), so it needs no permission beyond the mapping's
(sqs:DeleteMessage on the page queue, which the mapping itself needs). The cost: one DynamoDB
write per page (the mark), and lookups and deletes only in batches holding a redelivery.

Counting: a page's item (its status and its tables) is written once, as soon as its work is done,
so a redelivery finds it settled; counting it on the job waits for the end of the batch, where one
transaction per job counts all the batch's pages (`JobStore.count_pages`: the job's counts plus
the tally items that make a second count of a page a no-op) and the job is finished if complete.
A death before that leaves pages stored and uncounted: their redelivery counts them. A batch
processed carefully counts each page before deleting its message.

Time: each page's table finding runs within `DOCTABLES_PAGE_TIME_BUDGET` (see
`doctables.deadline`); past it the page fails alone with PAGE_TIMEOUT. A page is not started
when the invocation has less than the budget left (plus a margin to store and finish): it goes
back unprocessed, and comes first in its next batch, as a message received more often."""

from __future__ import annotations

import logging
import time
from functools import partial
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from doctables.deadline import within_budget
from doctables.errors import DocumentError, ErrorCode
from doctables.models import load_models
from doctables.models.image import decode_image
from doctables.model.text import page_lines
from doctables.page.find import decision_record, find_page
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import finish_if_complete, job_store
from doctables.pipeline.keys import page_tables_key, page_text_key
from doctables.pipeline.messages import PageMessage, decode
from doctables.pipeline.page_bundles import read_page
from doctables.pipeline.store import SettledPage, now_iso
from doctables.settings import Settings

logger = logging.getLogger(__name__)

# Seconds an invocation keeps, after a page's budget, to store its tables and finish its job.
FINISH_MARGIN_S = 10.0



def load_table_models(settings: Settings) -> None:
    """Load the table models now, once per container (later calls reuse the sessions), so that a
    cold start pays for them rather than the first page's time budget."""
    load_models(settings)

@dataclass(frozen=True)
class PageOutcome:
    job_id: str
    page: int
    status: str  # done / failed / duplicate / skipped
    tables: int = 0
    uncounted: SettledPage | None = None  # stored but left for the batch to count (count=False)


def process_page(
    message: PageMessage, runtime: Runtime, *, budget: float | None = None, count: bool = True
) -> PageOutcome:
    """Detect and recognise the tables of one page, store them with the page, count the page.
    `budget`: seconds the table finding may take (default DOCTABLES_PAGE_TIME_BUDGET). With
    `count=False` the page is stored (settled: a redelivery finds it) but counting it on the job
    and finishing the job are left to the caller (`count_batch`), which does it for a batch."""
    store = job_store(runtime)
    settled = store.settled_page(message.job_id, message.page)
    if settled is not None:  # a redelivery; an earlier delivery may have died before counting it
        store.count_if_uncounted(message.job_id, settled)
        finish_if_complete(message.job_id, runtime)
        return PageOutcome(message.job_id, message.page, "duplicate")
    job = store.get_job(message.job_id)
    if job is None or job.status.final:
        if job is not None and not job.announced:  # its announcement failed before: publish it
            finish_if_complete(message.job_id, runtime)
        return PageOutcome(message.job_id, message.page, "skipped")
    record_attempt(message, runtime)
    s3 = runtime.aws.s3
    image_bytes, layout = read_page(s3, message.bucket, message.image_key, message.layout_key, message.bundle)
    try:
        image = decode_image(image_bytes)
    except Exception as exc:  # a page image we wrote ourselves should decode; if not, retrying won't help
        return _fail(message, runtime, ErrorCode.PAGE_UNREADABLE.value, f"page image cannot be decoded: {exc}", count)
    del image_bytes
    if budget is None:
        budget = runtime.settings.page_time_budget
    try:
        found = within_budget(budget, partial(find_page, tables=not job.text_only), image, layout, runtime.settings,
                              page=message.page)
    except DocumentError as error:  # over its time budget (PAGE_TIMEOUT) or another page budget: retrying won't help
        return _fail(message, runtime, error.code.value, error.message, count)

    def spiller(key: str) -> Callable[[str], str]:
        def spill(body: str) -> str:
            s3.put_object(Bucket=message.bucket, Key=key, Body=body.encode(), ContentType="application/json")
            return key

        return spill

    stored = store.store_page(
        message.job_id, message.page, done=True, tables=found.tables,
        size=(layout.width, layout.height, layout.rotation), decision=decision_record(found.decision),
        spill=spiller(page_tables_key(message.job_id, message.page)),
        text=page_lines(found.words) if job.page_text else (),
        spill_text=spiller(page_text_key(message.job_id, message.page)),
    )
    return _settled(message, runtime, stored, "done", len(found.tables), count)


def _fail(message: PageMessage, runtime: Runtime, code: str, text: str, count: bool = True) -> PageOutcome:
    stored = job_store(runtime).store_page(message.job_id, message.page, done=False, error=(code, text))
    return _settled(message, runtime, stored, "failed", 0, count)


def _settled(message: PageMessage, runtime: Runtime, stored: SettledPage | None, status: str, tables: int,
             count: bool) -> PageOutcome:
    """Count a page just stored (or leave it to the batch), then finish its job if complete."""
    store = job_store(runtime)
    if stored is None:  # settled meanwhile by another delivery or a dead letter: make sure it counts
        store.count_if_uncounted(message.job_id, store.settled_page(message.job_id, message.page))
    elif not count:
        return PageOutcome(message.job_id, message.page, status, tables, uncounted=stored)
    else:
        store.count_pages(message.job_id, [stored])
    finish_if_complete(message.job_id, runtime)
    return PageOutcome(message.job_id, message.page, status, tables)


def count_batch(outcomes: list[tuple[str, PageOutcome]], runtime: Runtime) -> list[str]:
    """Count the stored pages of a batch on their jobs, one transaction a job, then finish the
    jobs that are complete. Returns the message ids whose pages could not be counted or whose job
    could not be finished: they are retried, and their redelivery counts them (once)."""
    by_job: dict[str, list[tuple[str, PageOutcome]]] = {}
    for message_id, outcome in outcomes:
        if outcome.uncounted is not None:
            by_job.setdefault(outcome.job_id, []).append((message_id, outcome))
    failed: list[str] = []
    for job_id, entries in by_job.items():
        try:
            job_store(runtime).count_pages(job_id, [o.uncounted for _id, o in entries if o.uncounted is not None])
            finish_if_complete(job_id, runtime)
        except Exception:
            logger.exception("counting a batch's pages failed", extra={"job_id": job_id})
            failed.extend(message_id for message_id, _outcome in entries)
    return failed


# --- attempts: which page was running when an invocation died ------------------------------

def _attempt_key(job_id: str, page: int) -> dict[str, Any]:
    return {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": f"TRY#{page:05d}"}}


def record_attempt(message: PageMessage, runtime: Runtime) -> int:
    """Mark the page as started (before any of its work) and return how many times it was."""
    settings = runtime.settings
    answer = runtime.aws.dynamodb.update_item(
        TableName=settings.table_name,
        Key=_attempt_key(message.job_id, message.page),
        UpdateExpression="ADD attempts :one SET started_at = :now, expires_at = :expires",
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":now": {"S": now_iso()},
            ":expires": {"N": str(int(time.time()) + settings.page_ttl_days * 86400)},
        },
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["attempts"]["N"])


def page_attempts(job_id: str, page: int, runtime: Runtime) -> int:
    """How many times the page was started (0: never)."""
    answer = runtime.aws.dynamodb.get_item(
        TableName=runtime.settings.table_name, Key=_attempt_key(job_id, page), ConsistentRead=True,
    )
    return int(answer.get("Item", {}).get("attempts", {}).get("N", "0"))


def was_running(message: PageMessage, runtime: Runtime) -> bool:
    """Whether an earlier delivery started the page and never settled it: the invocation died
    on it (or its work failed)."""
    if job_store(runtime).settled_page(message.job_id, message.page) is not None:
        return False
    return page_attempts(message.job_id, message.page, runtime) > 0


# --- a batch --------------------------------------------------------------------------------

@dataclass
class BatchResult:
    """What a batch came to: `failures` (their work failed) and `deferred` (not started, no
    time left) are the message ids to report as batch item failures."""

    outcomes: list[PageOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def item_failures(self) -> list[str]:
        return self.failures + self.deferred


def receive_count(record: dict[str, Any]) -> int:
    """How many times SQS has handed out this message (this delivery included)."""
    return int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))


def process_batch(
    records: list[dict[str, Any]],
    runtime: Runtime,
    *,
    remaining_seconds: Callable[[], float] | None = None,
) -> BatchResult:
    """Process a batch of page records (as Lambda's SQS event presents them), one page at a
    time. `remaining_seconds`: time left in the invocation (the Lambda context's)."""
    result = BatchResult()
    careful = len(records) > 1 and any(receive_count(r) > 1 for r in records)
    order = list(records)
    if careful:
        suspects = {r["messageId"] for r in records if _suspect(r, runtime)}
        result.suspects = [r["messageId"] for r in records if r["messageId"] in suspects]
        order.sort(key=lambda r: (r["messageId"] in suspects, -receive_count(r)))
        logger.warning(
            "batch holds redelivered messages: processed one at a time, suspects last",
            extra={"suspects": result.suspects, "receives": {r["messageId"]: receive_count(r) for r in records}},
        )
    settings = runtime.settings
    stored: list[tuple[str, PageOutcome]] = []  # pages stored, counted at the end (not in careful mode)
    for index, record in enumerate(order):
        budget = settings.page_time_budget
        if remaining_seconds is not None:
            left = remaining_seconds() - FINISH_MARGIN_S
            if index and left < budget:  # the first page always runs; the others need their whole budget
                result.deferred = [r["messageId"] for r in order[index:]]
                logger.warning("no time left for the rest of the batch", extra={"deferred": result.deferred})
                break
            if budget > 0:
                budget = max(min(budget, left), 1.0)
        try:
            outcome = process_page(_page_message(record), runtime, budget=budget, count=careful)
        except Exception:
            logger.exception("page failed", extra={"message_id": record["messageId"]})
            result.failures.append(record["messageId"])
            continue
        result.outcomes.append(outcome)
        if careful and _delete(record, runtime):
            result.deleted.append(record["messageId"])
        if not careful:
            stored.append((record["messageId"], outcome))
    result.failures.extend(count_batch(stored, runtime))
    return result


def _page_message(record: dict[str, Any]) -> PageMessage:
    message = decode(record["body"])
    if not isinstance(message, PageMessage):
        raise ValueError(f"expected a page message, got {message.kind}")
    return message


def _suspect(record: dict[str, Any], runtime: Runtime) -> bool:
    if receive_count(record) < 2:
        return False
    try:
        return was_running(_page_message(record), runtime)
    except ValueError:  # not a page message: it fails on its own wherever it runs
        return False
    except (BotoCoreError, ClientError):  # cannot tell: run it among the last, as a suspect would
        logger.warning("could not look up a redelivered page", exc_info=True)
        return True


def _delete(record: dict[str, Any], runtime: Runtime) -> bool:
    """Delete a message whose page is settled now, so no later death in this invocation can
    send it back; Lambda's own delete at the end then finds it gone. False if it could not be
    deleted (the end of the invocation still does)."""
    try:
        runtime.aws.sqs.delete_message(QueueUrl=_queue_url(record, runtime), ReceiptHandle=record["receiptHandle"])
        return True
    except (BotoCoreError, ClientError, KeyError, ValueError):
        logger.warning("could not delete a finished message early", exc_info=True)
        return False


def _queue_url(record: dict[str, Any], runtime: Runtime) -> str:
    """The page queue's URL: the stack's setting, else the record's source ARN."""
    if runtime.settings.page_queue_url:
        return runtime.settings.page_queue_url
    _arn, _aws, _sqs, region, account, name = record["eventSourceARN"].split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"
