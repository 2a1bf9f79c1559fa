"""Every final job is announced, once: the announcement outbox (issue 15, finding 1 and the
"finishing once" part of finding 7).

A final job leaves the outbox only when its event is published; a retry of either path, or the
sweeper, publishes what is final and unannounced. Concurrent finishers write one result and put
one event. A reader that sees a job final can read its result."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pymupdf
import pytest
from botocore.awsrequest import AWSResponse

from doctables.errors import ErrorCode
from doctables.local.stack import BUCKET, TABLE, LambdaContext, LocalStack
from doctables.local.stack import moto_runtime as local_moto_runtime
from doctables.pipeline.aws import Aws, Runtime, current_runtime
from doctables.pipeline.completion import finish_if_complete
from doctables.pipeline.store import JobStatus, JobStore, SourceObject
from doctables.settings import Settings

# --- fault injection ------------------------------------------------------------------------------

class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def _job_of(entries: list[dict]) -> str:
    return json.loads(entries[0]["Detail"])["job_id"]


class EventFaults:
    """PutEvents on `client` refuses the first `times` events of each job (FailedEntryCount, as
    EventBridge answers when it cannot take an entry; botocore does not retry that), and counts
    the events it let through per job."""

    def __init__(self, client, times: int = 1) -> None:
        self.times = times
        self.refused: dict[str, int] = {}
        self.put: dict[str, int] = {}
        client.meta.events.register("before-send.events.PutEvents", self._before_send)

    def _before_send(self, request, **_kwargs):
        job_id = _job_of(json.loads(request.body)["Entries"])
        if self.refused.get(job_id, 0) < self.times:
            self.refused[job_id] = self.refused.get(job_id, 0) + 1
            body = json.dumps({"FailedEntryCount": 1, "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}]}).encode()
            headers = {"x-amzn-RequestId": "x", "Content-Type": "application/x-amz-json-1.1"}
            return AWSResponse(request.url, 200, headers, _Raw(body))
        self.put[job_id] = self.put.get(job_id, 0) + 1
        return None


class ResultWrites:
    """Counts the PutObject calls for results/<job>.json on `client`."""

    def __init__(self, client) -> None:
        self.keys: list[str] = []
        client.meta.events.register("before-parameter-build.s3.PutObject", self._count)

    def _count(self, params, **_kwargs):
        key = params["Key"]
        if key.startswith("results/") and key.count("/") == 1:
            self.keys.append(key)

    def of(self, job_id: str) -> int:
        return self.keys.count(f"results/{job_id}.json")


class FinalWithoutResult:
    """After every write to the results table through `client`, reads each job back (with
    another client): a job that is final must name its result, and the result must exist."""

    def __init__(self, client, reader: Aws) -> None:
        self.reader = reader
        self.store = JobStore(reader.dynamodb, TABLE)
        self.seen_final = 0
        self.violations: list[str] = []
        for operation in ("UpdateItem", "PutItem", "TransactWriteItems"):
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._check)

    def _check(self, **_kwargs):
        for job in self.store.list_jobs(limit=100):
            if not job.status.final:
                continue
            self.seen_final += 1
            if not job.result_key:
                self.violations.append(f"{job.job_id} is {job.status.value} with no result key")
                continue
            try:
                self.reader.s3.head_object(Bucket=BUCKET, Key=job.result_key)
            except Exception as exc:  # noqa: BLE001
                self.violations.append(f"{job.job_id} is {job.status.value}, its result is missing: {exc}")


# --- documents ----------------------------------------------------------------------------------

def _zero_page_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _text_pdf(pages: int = 1) -> bytes:
    document = pymupdf.open()
    for number in range(pages):
        document.new_page().insert_text((72, 72), f"Nothing tabular on page {number + 1}")
    return document.tobytes()


def _unreadable_pages(monkeypatch) -> None:
    """Every page fails to render, as a damaged content stream does: all pages PAGE_UNREADABLE."""
    import doctables.pipeline.conversion as conversion

    def cannot_render(*_args, **_kwargs):
        raise RuntimeError("FzErrorFormat: injected damaged page")

    monkeypatch.setattr(conversion, "render_page", cannot_render)


CASES = {
    # name: (file name, bytes, final status, error code, needs unreadable pages)
    "empty object": ("empty.pdf", b"", "FAILED", "EMPTY_OBJECT", False),
    "no pages": ("nothing.pdf", _zero_page_pdf(), "FAILED", "NO_PAGES", False),
    "all pages unreadable": ("unreadable.pdf", _text_pdf(2), "FAILED", "ALL_PAGES_FAILED", True),
    "normal job": ("plain.pdf", _text_pdf(1), "SUCCEEDED", None, False),
}


def _settle(stack: LocalStack) -> None:
    """Pump until every queue is empty twice in a row (nothing left to deliver)."""
    quiet = 0
    for _ in range(200):
        quiet = quiet + 1 if stack.pump_once() == 0 else 0
        if quiet >= 2:
            return
    raise AssertionError("the queues never emptied")


# --- tests --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(CASES))
def test_an_announcement_that_fails_once_is_published_once_by_the_retry(case, monkeypatch):
    name, payload, status, code, unreadable = CASES[case]
    if unreadable:
        _unreadable_pages(monkeypatch)
    with LocalStack(Settings(dpi=36)) as stack:
        runtime = current_runtime()  # the clients the handlers use
        faults = EventFaults(runtime.aws.events, times=1)
        writes = ResultWrites(runtime.aws.s3)
        key = stack.upload(payload, name)
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=120)
        _settle(stack)
        job_id = stack.event_for_key(key)["detail"]["job_id"]

        assert faults.refused == {job_id: 1}  # the first announcement did fail
        events = stack.events_for(job_id)
        assert len(events) == 1 and faults.put == {job_id: 1}
        assert events[0]["detail"]["status"] == status
        assert (events[0]["detail"]["error"] or {}).get("code") == code
        assert events[0]["detail"]["result"]["key"] == f"results/{job_id}.json"
        job = JobStore(stack.aws.dynamodb, TABLE).get_job(job_id)
        assert job.status.value == status and job.announced and job.result_key == f"results/{job_id}.json"
        assert writes.of(job_id) == 1  # the retry publishes; it does not rebuild the result
        assert stack.result(job_id)["status"] == status
        # Out of the outbox: the sweeper has nothing left to publish.
        answer = stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))
        assert answer["announced"] == []
        assert len(stack.events_for(job_id)) == 1


def test_the_sweeper_publishes_a_final_job_whose_announcement_failed():
    with LocalStack() as stack:
        runtime = current_runtime()
        faults = EventFaults(runtime.aws.events, times=1)
        key = stack.upload(b"", "empty.pdf")
        stack.pump_once("ingest")  # conversion fails the job; its event is refused; the call raises
        assert len(stack.handler_errors) == 1 and "EventBridge refused" in stack.handler_errors[0]
        store = JobStore(stack.aws.dynamodb, TABLE)
        job = store.list_jobs()[0]
        assert job.status is JobStatus.FAILED and not job.announced and job.result_key
        # Before any retry of the upload, the scheduled sweeper publishes it from the outbox.
        answer = stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))
        assert answer == {"timed_out": [], "announced": [job.job_id]}
        assert store.get_job(job.job_id).announced
        # The upload's retry then finds it final and announced: nothing more is sent.
        _settle(stack)
        assert [e["detail"]["job_id"] for e in stack.events if e["detail"]["source"]["key"] == key] == [job.job_id]
        assert faults.put == {job.job_id: 1}
        assert stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))["announced"] == []


@pytest.mark.parametrize("refusals", [0, 1], ids=["events accepted", "first event refused"])
def test_a_reader_never_sees_a_final_job_without_its_result(refusals):
    with LocalStack(Settings(dpi=36)) as stack:
        runtime = current_runtime()
        EventFaults(runtime.aws.events, times=refusals)
        checker = FinalWithoutResult(runtime.aws.dynamodb, stack.aws)
        keys = [stack.upload(b"", "empty.pdf"), stack.upload(_text_pdf(2), "two pages.pdf")]
        stack.run_until(lambda: all(stack.event_for_key(k) is not None for k in keys), timeout=120)
        assert checker.seen_final > 0
        assert checker.violations == []


@pytest.fixture
def moto_runtime():
    with local_moto_runtime(event_bus="default") as runtime:
        yield runtime


def _running_job(runtime: Runtime, pages: int) -> str:
    store = JobStore(runtime.aws.dynamodb, TABLE)
    job_id = "0123456789abcdef0123456789abcdef"
    store.create_job(job_id, SourceObject(BUCKET, "uploads/two.pdf", "v1", "etag", 10))
    store.start_job(job_id, pages)
    return job_id


def _atomic_requests(client) -> None:
    """Each request to `client` runs alone, as DynamoDB applies each request atomically: moto
    evaluates a conditional write in the calling thread with no lock, so two threads can both
    pass the same condition there (seen on a loaded machine), which the service never allows."""
    lock = threading.Lock()
    call = client._make_api_call

    def atomic(operation, params):
        with lock:
            return call(operation, params)

    client._make_api_call = atomic


def test_two_last_pages_settling_at_once_write_one_result_and_put_one_event(moto_runtime):
    runtime = moto_runtime
    _atomic_requests(runtime.aws.dynamodb)
    job_id = _running_job(runtime, 2)
    store = JobStore(runtime.aws.dynamodb, TABLE)
    faults = EventFaults(runtime.aws.events, times=0)
    writes = ResultWrites(runtime.aws.s3)
    both_settled = threading.Barrier(2, timeout=10)
    # Hold whoever writes the result until the other finisher could write it too (or gave up):
    # two finishers that both publish meet here, a single one waits out the timeout.
    both_writing = threading.Barrier(2, timeout=2)

    def hold(params, **_kwargs):
        if params["Key"] == f"results/{job_id}.json":
            try:
                both_writing.wait()
            except threading.BrokenBarrierError:
                pass

    runtime.aws.s3.meta.events.register("before-parameter-build.s3.PutObject", hold)
    errors: list[BaseException] = []

    def last_page(page: int) -> None:
        try:
            assert store.settle_page(job_id, page, done=True, size=(612.0, 792.0, 0))
            both_settled.wait()  # each finisher sees every page settled
            finish_if_complete(job_id, runtime)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=last_page, args=(page,)) for page in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert writes.of(job_id) == 1
    assert faults.put == {job_id: 1}
    job = store.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED and job.announced and job.result_key == f"results/{job_id}.json"
    assert finish_if_complete(job_id, runtime).announced and faults.put == {job_id: 1}  # later calls: no-ops


def test_a_finisher_that_died_holding_the_claim_is_taken_over_by_the_sweeper_after_its_lease(moto_runtime):
    from doctables.pipeline.sweeper import announce_pending, sweep

    runtime = moto_runtime
    job_id = _running_job(runtime, 1)
    store = JobStore(runtime.aws.dynamodb, TABLE)
    faults = EventFaults(runtime.aws.events, times=0)
    writes = ResultWrites(runtime.aws.s3)
    store.settle_page(job_id, 1, done=True, size=(612.0, 792.0, 0))
    now = datetime.now(timezone.utc)
    iso = "%Y-%m-%dT%H:%M:%S.%fZ"
    # A finisher took the claim, then its container was killed: no result, no status change.
    assert store.claim(job_id, "dead", now.strftime(iso), (now + timedelta(minutes=15)).strftime(iso))
    assert finish_if_complete(job_id, runtime).status is JobStatus.RUNNING  # a redelivery leaves it to the holder
    assert announce_pending(runtime, now) == [] and writes.of(job_id) == 0
    # After the lease, the sweeper closes it and publishes it, once.
    later = now + timedelta(minutes=16)
    assert sweep(runtime, later) == []
    announce_pending(runtime, later)
    job = store.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED and job.announced and job.result_key
    assert writes.of(job_id) == 1 and faults.put == {job_id: 1}


def test_a_publisher_that_died_after_closing_is_published_by_the_sweeper_after_its_lease(moto_runtime):
    from doctables.pipeline.sweeper import announce_pending

    runtime = moto_runtime
    job_id = _running_job(runtime, 1)
    store = JobStore(runtime.aws.dynamodb, TABLE)
    faults = EventFaults(runtime.aws.events, times=0)
    now = datetime.now(timezone.utc)
    iso = "%Y-%m-%dT%H:%M:%S.%fZ"
    # Closed (final, with its result) by a holder that died before putting the event.
    assert store.claim(job_id, "dead", now.strftime(iso), (now + timedelta(minutes=15)).strftime(iso))
    runtime.aws.s3.put_object(Bucket=BUCKET, Key=f"results/{job_id}.json", Body=b"{}")
    assert store.fail_job(job_id, ErrorCode.CORRUPT_DOCUMENT, "bad", result_key=f"results/{job_id}.json",
                          claim="dead", counts=(0, 0))
    assert announce_pending(runtime, now) == []  # the holder might still be publishing
    assert faults.put == {}
    assert announce_pending(runtime, now + timedelta(minutes=16)) == [job_id]
    assert faults.put == {job_id: 1} and store.get_job(job_id).announced
    assert announce_pending(runtime, now + timedelta(minutes=32)) == []
