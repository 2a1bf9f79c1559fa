"""End to end on moto: upload -> S3 notification -> conversion -> SQS -> table stage -> DynamoDB,
S3 result and EventBridge event, driven through the real handlers by the local runner."""

from __future__ import annotations

import json

import pymupdf
import pytest
from conftest import cell_tuples

from doctables.pipeline.keys import page_bundle_key
from doctables.pipeline.page_bundles import find_page, read_page_image, read_page_layout
from doctables.pipeline.store import JobStore


def run_to_event(stack, key: str, timeout: float = 120) -> dict:
    stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=timeout)
    return stack.event_for_key(key)


def test_sample_gives_exact_tables_and_event(local_stack, sample_bytes, sample_truth):
    key = local_stack.upload(sample_bytes, "reports/Q4 sample+final.pdf")
    event = run_to_event(local_stack, key)

    assert event["source"] == "doctables"
    assert event["detail-type"] == "Document Processed"
    detail = event["detail"]
    assert detail["status"] == "SUCCEEDED"
    assert detail["source"]["key"] == "uploads/reports/Q4 sample+final.pdf"  # unquoted key
    assert detail["pages"] == {"total": 2, "done": 2, "failed": 0}
    assert detail["tables"] == 2
    assert detail["result"]["key"] == f"results/{detail['job_id']}.json"

    result = local_stack.result(detail["job_id"])
    assert [t["page"] for t in result["tables"]] == [1, 2]
    for predicted, truth in zip(result["tables"], sample_truth["tables"]):
        assert cell_tuples(predicted) == cell_tuples(truth)
        rows = max(c["row"] + c["row_span"] for c in truth["cells"])
        columns = max(c["col"] + c["col_span"] for c in truth["cells"])
        assert (predicted["rows"], predicted["columns"]) == (rows, columns)
        x0, y0, x1, y1 = predicted["bbox_norm"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    header = [c for c in result["tables"][0]["cells"] if c["is_header"]]
    assert {c["text"] for c in header} == {"Region", "2024 revenue (USD thousands)", "Q1", "Q2", "Q3", "Q4"}
    assert all(0 < c["confidence"] <= 1 for t in result["tables"] for c in t["cells"])

    store = JobStore(local_stack.aws.dynamodb, local_stack.settings.table_name)
    job = store.get_job(detail["job_id"])
    assert job.status.value == "SUCCEEDED" and job.tables_found == 2 and job.announced
    pages, table_items = store.job_contents(detail["job_id"])
    assert [p.status for p in pages] == ["DONE", "DONE"]
    assert len(table_items) == 2
    images = local_stack.aws.s3.list_objects_v2(Bucket=local_stack.settings.bucket, Prefix=f"pages/{detail['job_id']}/")
    # both pages in one object (one PUT), each readable on its own
    assert [o["Key"].rsplit("/", 1)[1] for o in images["Contents"]] == ["00001.pages"]
    for page in (1, 2):
        image = read_page_image(local_stack.aws.s3, local_stack.settings.bucket, job.job_id, page, job.range_pages)
        layout = read_page_layout(local_stack.aws.s3, local_stack.settings.bucket, job.job_id, page, job.range_pages)
        assert image.startswith(b"\x89PNG") and layout.page == page


def test_duplicate_s3_event_creates_no_second_job_and_sends_no_page_twice(local_stack, sample_bytes):
    key = local_stack.upload(sample_bytes, "dup.pdf")
    # Take the notification off the queue, deliver it twice, as S3 may.
    messages = local_stack.aws.sqs.receive_message(QueueUrl=local_stack.queues.ingest, MaxNumberOfMessages=10)
    records = [json.loads(m["Body"]) for m in messages["Messages"]]
    records = [r for r in records if "Records" in r]
    conversion = local_stack._handler("conversion")
    from doctables.local.stack import LambdaContext

    first = conversion.handler(records[0], LambdaContext("conversion"))
    second = conversion.handler(records[0], LambdaContext("conversion"))
    assert first["outcomes"][0]["status"] == "created"
    assert second["outcomes"][0]["status"] in ("resumed", "duplicate")
    attributes = local_stack.aws.sqs.get_queue_attributes(
        QueueUrl=local_stack.queues.pages, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"
    event = run_to_event(local_stack, key)
    assert event["detail"]["pages"] == {"total": 2, "done": 2, "failed": 0}
    # And once finished, a third delivery is a no-op.
    third = conversion.handler(records[0], LambdaContext("conversion"))
    assert third["outcomes"][0]["status"] == "duplicate"
    jobs = JobStore(local_stack.aws.dynamodb, local_stack.settings.table_name).list_jobs()
    assert len(jobs) == 1


def test_redelivered_page_message_is_counted_once(local_stack, sample_bytes):
    key = local_stack.upload(sample_bytes, "redeliver.pdf")
    local_stack.pump_once("ingest")
    received = local_stack.aws.sqs.receive_message(QueueUrl=local_stack.queues.pages, MaxNumberOfMessages=10)
    records = received["Messages"]
    from doctables.local.stack import LambdaContext, _as_lambda_record

    tables = local_stack._handler("tables")
    event = {"Records": [_as_lambda_record(m) for m in records]}
    assert tables.handler(event, LambdaContext("tables"))["batchItemFailures"] == []
    assert tables.handler(event, LambdaContext("tables"))["batchItemFailures"] == []  # at-least-once
    local_stack.run_until(lambda: local_stack.event_for_key(key) is not None, timeout=60)
    detail = local_stack.event_for_key(key)["detail"]
    assert detail["pages"] == {"total": 2, "done": 2, "failed": 0}
    assert detail["tables"] == 2
    assert len(local_stack.events_for(detail["job_id"])) == 1


def test_large_document_is_converted_in_ranges():
    from doctables.local.stack import LocalStack
    from doctables.settings import Settings

    document = pymupdf.open()
    for number in range(7):
        page = document.new_page()
        page.insert_text((72, 72), f"Page {number + 1}")
    with LocalStack(Settings(range_pages=3)) as stack:
        key = stack.upload(document.tobytes(), "long.pdf")
        stack.pump_once("ingest")
        queued = stack.aws.sqs.get_queue_attributes(
            QueueUrl=stack.queues.ranges, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        assert queued == "2"  # pages 4-6 and 7; pages 1-3 were rendered inline
        event = run_to_event(stack, key)
    assert event["detail"]["pages"] == {"total": 7, "done": 7, "failed": 0}
    assert event["detail"]["status"] == "SUCCEEDED"


def damage_layout(stack, job_id: str, page: int) -> None:
    """Overwrite a page's layout bytes in its bundle with garbage of the same length."""
    s3, bucket, key = stack.aws.s3, stack.settings.bucket, page_bundle_key(job_id, 1)
    offset, layout_bytes, _image = find_page(s3, bucket, key, page)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[:offset] + b"x" * layout_bytes + body[offset + layout_bytes:])


def test_poison_page_goes_to_dead_letters_and_job_partially_succeeds(local_stack, sample_bytes):
    key = local_stack.upload(sample_bytes, "poison.pdf")
    local_stack.pump_once("ingest")
    job_id = JobStore(local_stack.aws.dynamodb, local_stack.settings.table_name).list_jobs()[0].job_id
    # Damage page 2's layout in its range's bundle so the table stage fails on it every time.
    damage_layout(local_stack, job_id, 2)
    event = run_to_event(local_stack, key)
    detail = event["detail"]
    assert detail["status"] == "PARTIALLY_SUCCEEDED"
    assert detail["pages"] == {"total": 2, "done": 1, "failed": 1}
    assert detail["tables"] == 1
    result = local_stack.result(job_id)
    failed = [p for p in result["page_results"] if p["status"] == "FAILED"]
    assert [p["page"] for p in failed] == [2]
    assert failed[0]["error"]["code"] == "PAGE_FAILED_REPEATEDLY"
    assert [t["page"] for t in result["tables"]] == [1]


def _zero_page_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _encrypted_pdf() -> bytes:
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "secret")
    return document.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")


def _huge_page_pdf() -> bytes:
    document = pymupdf.open()
    document.new_page(width=200 * 72, height=200 * 72)
    return document.tobytes()


def _pages_pdf(count: int) -> bytes:
    document = pymupdf.open()
    for _ in range(count):
        document.new_page()
    return document.tobytes()


@pytest.mark.parametrize(
    ("name", "payload", "code"),
    [
        ("notes.pdf", b"this is a plain text file, not a PDF at all", "NOT_A_DOCUMENT"),
        ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, "CORRUPT_DOCUMENT"),
        ("locked.pdf", _encrypted_pdf(), "PASSWORD_PROTECTED"),
        ("nothing.pdf", _zero_page_pdf(), "NO_PAGES"),
        ("empty.pdf", b"", "EMPTY_OBJECT"),
        ("poster.pdf", _huge_page_pdf(), "PAGE_TOO_LARGE"),
        ("many.pdf", _pages_pdf(6), "TOO_MANY_PAGES"),
        ("big.pdf", b"%PDF-1.4\n" + b" " * 6000, "TOO_LARGE"),
        ("bad.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "CORRUPT_DOCUMENT"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "",
)
def test_bad_input_fails_the_job_with_a_clear_error(name, payload, code):
    from doctables.local.stack import LocalStack
    from doctables.settings import Settings

    with LocalStack(Settings(max_pages=5, max_bytes=5000)) as stack:
        key = stack.upload(payload, name)
        event = run_to_event(stack, key, timeout=60)
        assert not stack.handler_errors
        detail = event["detail"]
        assert event["detail-type"] == "Document Failed"
        assert detail["status"] == "FAILED"
        assert detail["error"]["code"] == code
        assert detail["error"]["message"]
        job = JobStore(stack.aws.dynamodb, stack.settings.table_name).get_job(detail["job_id"])
        assert job.status.value == "FAILED" and job.error_code == code
        # Nothing was queued for a failed document.
        attributes = stack.aws.sqs.get_queue_attributes(
            QueueUrl=stack.queues.pages, AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_keys_outside_the_upload_prefix_are_ignored(local_stack, sample_bytes):
    local_stack.aws.s3.put_object(Bucket=local_stack.settings.bucket, Key="elsewhere/x.pdf", Body=sample_bytes)
    for _ in range(3):
        local_stack.pump_once()
    assert JobStore(local_stack.aws.dynamodb, local_stack.settings.table_name).list_jobs() == []


def test_configured_exports_are_written_beside_the_result(sample_bytes):
    from doctables.local.stack import LocalStack
    from doctables.model.tables import Table
    from doctables.outputs.exports import to_csv
    from doctables.settings import Settings

    with LocalStack(Settings(export_formats="csv,xlsx")) as stack:
        key = stack.upload(sample_bytes, "exported.pdf")
        job_id = run_to_event(stack, key)["detail"]["job_id"]
        listing = stack.aws.s3.list_objects_v2(Bucket=stack.settings.bucket, Prefix=f"results/{job_id}/")
        names = sorted(o["Key"].rsplit("/", 1)[1] for o in listing["Contents"])
        assert names == ["exported-0001-01.csv", "exported-0002-01.csv", "exported.xlsx"]
        body = stack.aws.s3.get_object(Bucket=stack.settings.bucket, Key=f"results/{job_id}/exported-0001-01.csv")
        table = Table.from_dict(stack.result(job_id)["tables"][0])
        assert body["Body"].read().decode() == to_csv(table)


def test_local_runner_does_not_hoard_metrics(local_stack, sample_bytes):
    """Metrics are disabled locally; Powertools would otherwise keep them until a flush."""
    key = local_stack.upload(sample_bytes, "metrics.pdf")
    run_to_event(local_stack, key)
    for name in ("conversion", "tables"):
        assert not local_stack._handler(name).metrics.metric_set
