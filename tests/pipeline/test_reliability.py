"""Faults and hostile input: every upload ends in one final state, nothing is counted twice."""

from __future__ import annotations

import json
import struct
import zlib

import pymupdf
import pytest
from botocore.awsrequest import AWSResponse
from conftest import SAMPLE
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bench.soak import EDIT_KINDS, empty_document, mutate
from doctables.convert.render import open_document, render_page
from doctables.errors import DocumentError
from doctables.local.stack import BUCKET, TABLE, LambdaContext, LocalStack
from doctables.local.stack import moto_runtime as local_moto_runtime
from doctables.pipeline.conversion import convert_upload
from doctables.pipeline.store import JobStatus, JobStore, SourceObject
from doctables.settings import Settings


def run_to_event(stack, key, timeout=120):
    stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=timeout)
    return stack.event_for_key(key)


# --- lost messages and the sweeper ------------------------------------------------------------

def test_sweeper_fails_a_job_whose_pages_never_arrive(sample_bytes):
    with LocalStack(Settings(job_deadline_minutes=0)) as stack:
        key = stack.upload(sample_bytes, "lost.pdf")
        stack.pump_once("ingest")
        stack.aws.sqs.purge_queue(QueueUrl=stack.queues.pages)  # the page messages are lost
        answer = stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))
        assert len(answer["timed_out"]) == 1
        event = run_to_event(stack, key)
        assert event["detail-type"] == "Document Failed"
        assert event["detail"]["error"]["code"] == "JOB_TIMED_OUT"
        assert "2 of 2 pages never finished" in event["detail"]["error"]["message"]
        # A second sweep finds nothing left to do.
        assert stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))["timed_out"] == []


def test_sweeper_leaves_progressing_jobs_alone(sample_bytes):
    with LocalStack(Settings(job_deadline_minutes=60)) as stack:
        key = stack.upload(sample_bytes, "fine.pdf")
        stack.pump_once("ingest")
        assert stack._handlers["sweeper"].handler({}, LambdaContext("sweeper"))["timed_out"] == []
        assert run_to_event(stack, key)["detail"]["status"] == "SUCCEEDED"


# --- injected AWS faults ------------------------------------------------------------------------

class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def _inject(client, operation: str, status: int, code: str, times: int, protocol: str) -> list[int]:
    """Make the next `times` calls of `operation` answer an error, then let calls through."""
    calls: list[int] = []

    def before_send(request, **_kwargs):
        calls.append(1)
        if len(calls) > times:
            return None
        if protocol == "json":
            body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}).encode()
            headers = {"x-amzn-RequestId": "x", "Content-Type": "application/x-amz-json-1.0"}
        else:
            body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
            headers = {"x-amz-request-id": "x"}
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register(f"before-send.{client.meta.service_model.service_name}.{operation}", before_send)
    return calls


def test_throttled_dynamodb_and_failing_s3_are_retried(sample_bytes):
    from doctables.pipeline.aws import current_runtime

    with LocalStack() as stack:
        runtime = current_runtime()  # the clients the handlers use
        throttled = _inject(runtime.aws.dynamodb, "TransactWriteItems", 400, "ThrottlingException", 2, "json")
        s3_errors = _inject(runtime.aws.s3, "GetObject", 500, "InternalError", 2, "xml")
        key = stack.upload(sample_bytes, "flaky.pdf")
        event = run_to_event(stack, key)
        assert not stack.handler_errors  # botocore's retries absorbed every fault
        assert event["detail"]["status"] == "SUCCEEDED"
        assert event["detail"]["pages"] == {"total": 2, "done": 2, "failed": 0}
        assert len(throttled) > 2 and len(s3_errors) > 2


def test_crash_after_tables_written_before_page_counted_counts_once(sample_bytes, monkeypatch):
    with LocalStack() as stack:
        key = stack.upload(sample_bytes, "crash.pdf")
        real_count = JobStore.count_pages
        crashes = []

        def crash_once(self, job_id, pages):
            if any(p.done for p in pages) and not crashes:
                crashes.append([p.page for p in pages])
                raise RuntimeError("container killed after writing the pages and their tables")
            return real_count(self, job_id, pages)

        monkeypatch.setattr(JobStore, "count_pages", crash_once)
        event = run_to_event(stack, key)
        assert crashes and stack.redeliveries == len(crashes[0])  # the batch counted together is retried together
        detail = event["detail"]
        assert detail["pages"] == {"total": 2, "done": 2, "failed": 0} and detail["tables"] == 2
        assert len(stack.events_for(detail["job_id"])) == 1
        _pages, tables = JobStore(stack.aws.dynamodb, TABLE).job_contents(detail["job_id"])
        assert len(tables) == 2


def test_overwritten_upload_is_a_new_job(sample_bytes):
    other = pymupdf.open()
    other.new_page().insert_text((72, 72), "version two")
    with LocalStack() as stack:
        key = stack.upload(sample_bytes, "same-name.pdf")
        stack.pump_once("ingest")  # version one is converted
        stack.upload(other.tobytes(), "same-name.pdf")
        stack.run_until(lambda: len([e for e in stack.events if e["detail"]["source"]["key"] == key]) == 2)
        events = [e for e in stack.events if e["detail"]["source"]["key"] == key]
        assert len({e["detail"]["job_id"] for e in events}) == 2
        assert sorted(e["detail"]["pages"]["total"] for e in events) == [1, 2]
        assert all(e["detail"]["status"] == "SUCCEEDED" for e in events)


# --- hostile input ----------------------------------------------------------------------------

def _png_bomb(side: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _javascript_and_attachment_pdf() -> bytes:
    document = pymupdf.open(SAMPLE)
    document.embfile_add("payload.exe", b"MZ\x90\x00 not really", filename="payload.exe")
    catalog = document.pdf_catalog()
    action = document.get_new_xref()
    document.update_object(action, "<< /S /JavaScript /JS (app.alert('pwned');) >>")
    document.xref_set_key(catalog, "OpenAction", f"{action} 0 R")
    return document.tobytes()


def test_decompression_bomb_image_is_refused_without_decoding():
    bomb = _png_bomb(20000)  # 400 megapixels in a few hundred kilobytes
    assert len(bomb) < 1_000_000
    with pytest.raises(DocumentError) as error:
        open_document(bomb, Settings())
    assert error.value.code.value == "PAGE_TOO_LARGE"


def test_a_document_over_the_page_limit_is_refused_by_its_page_count():
    # A small limit stands in for the default's 3,000; `python -m bench.soak pages` times the
    # refusal of 10,000 pages against the default (building them alone takes 15 to 30 s).
    settings = Settings(max_pages=20)
    assert open_document(empty_document(20), settings).page_count == 20  # at the limit: accepted
    with pytest.raises(DocumentError) as error:
        open_document(empty_document(21), settings)
    assert error.value.code.value == "TOO_MANY_PAGES"
    assert "21 pages" in error.value.message and "limit of 20" in error.value.message


def test_javascript_and_embedded_files_are_never_run_and_tables_still_come_out(sample_truth):
    with LocalStack() as stack:
        key = stack.upload(_javascript_and_attachment_pdf(), "active content.pdf")
        event = run_to_event(stack, key)
        assert event["detail"]["status"] == "SUCCEEDED" and event["detail"]["tables"] == 2
        keys = [o["Key"] for o in stack.aws.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert not any("payload" in k for k in keys)  # the attachment is never extracted


@pytest.mark.parametrize("name", ["spaced name (1).pdf", "naïve ünïcødé 表.pdf", "a+b=c&d.pdf", "50% off #1.pdf"])
def test_awkward_keys_arrive_intact(name, sample_bytes):
    with LocalStack() as stack:
        key = stack.upload(sample_bytes, name)
        event = run_to_event(stack, key)
        assert event["detail"]["source"]["key"] == f"uploads/{name}"
        assert event["detail"]["status"] == "SUCCEEDED"


# --- fuzzing the conversion entry point ---------------------------------------------------------

@pytest.fixture(scope="module")
def moto_runtime():
    with local_moto_runtime(dpi=36) as runtime:
        yield runtime


_SAMPLE = SAMPLE.read_bytes()
_mutation = st.lists(
    st.tuples(st.integers(0, len(_SAMPLE) - 1), st.sampled_from(EDIT_KINDS), st.binary(min_size=1, max_size=40)),
    min_size=1, max_size=12,
)


# A few dozen damaged copies here; `python -m bench.soak fuzz` converts 500 (seeded, not shrunk).
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_mutation, truncate=st.one_of(st.none(), st.integers(0, len(_SAMPLE))))
def test_fuzzed_pdfs_end_in_a_job_state_or_a_clear_error(moto_runtime, edits, truncate):
    data = mutate(_SAMPLE, edits)[:truncate]
    key = f"uploads/fuzz-{zlib.crc32(data)}.pdf"
    put = moto_runtime.aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    source = SourceObject(BUCKET, key, put.get("VersionId"), put["ETag"].strip('"'), len(data))
    outcome = convert_upload(source, moto_runtime)  # must not raise
    job = JobStore(moto_runtime.aws.dynamodb, TABLE).get_job(outcome.job_id)
    if outcome.status == "failed":
        assert job.status is JobStatus.FAILED and job.error_code and job.error_message
    else:
        assert job.status is JobStatus.RUNNING and job.pages_total >= 1


@hypothesis_settings(max_examples=100, deadline=None)
@given(edits=_mutation)
def test_fuzzed_pdfs_open_and_render_or_raise_document_error(edits):
    data = mutate(_SAMPLE, edits)
    try:
        document = open_document(data, Settings())
    except DocumentError:
        return
    for number in range(1, document.page_count + 1):
        try:
            render_page(document.load_page(number - 1), number, 36)
        except Exception as exc:  # conversion records these per page as PAGE_UNREADABLE
            assert str(exc)


def test_conversion_crashing_on_every_retry_still_fails_the_job(sample_bytes, monkeypatch):
    import doctables.pipeline.conversion as conversion

    def crash(*_args, **_kwargs):
        raise RuntimeError("segfault-like crash in the renderer")

    monkeypatch.setattr(conversion, "open_document", crash)
    with LocalStack() as stack:
        key = stack.upload(sample_bytes, "crashes.pdf")
        event = run_to_event(stack, key)
        assert len([e for e in stack.handler_errors if "segfault-like" in e]) == 3  # try + 2 retries
        assert event["detail-type"] == "Document Failed"
        assert event["detail"]["error"]["code"] == "CONVERSION_FAILED_REPEATEDLY"
        assert "segfault-like crash" in event["detail"]["error"]["message"]


def test_truncated_pdf_is_repaired_with_a_recorded_warning(sample_bytes):
    truncated = sample_bytes[: len(sample_bytes) * 2 // 3]
    with LocalStack() as stack:
        key = stack.upload(truncated, "truncated.pdf")
        event = run_to_event(stack, key)
        detail = event["detail"]
        # Whatever could be read is processed; the job says the file was damaged.
        assert detail["status"] in ("SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED")
        assert detail["pages"]["done"] + detail["pages"]["failed"] == detail["pages"]["total"]
        assert [w["code"] for w in detail["warnings"]] == ["REPAIRED_DOCUMENT"]
        assert stack.result(detail["job_id"])["warnings"][0]["message"].startswith("the PDF is damaged")
