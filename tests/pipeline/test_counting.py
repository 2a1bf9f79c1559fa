"""A batch's pages are counted on their job in one write, once, whatever dies in between."""

from __future__ import annotations

import pytest

from doctables.local.stack import moto_runtime
from doctables.pipeline import table_stage
from doctables.pipeline.completion import job_store
from doctables.pipeline.conversion import convert_upload
from doctables.pipeline.store import SourceObject


@pytest.fixture
def converted(sample_bytes):
    """The sample converted on moto: a running job and its two page messages as Lambda hands them."""
    with moto_runtime() as runtime:
        s3 = runtime.aws.s3
        s3.put_object(Bucket=runtime.settings.bucket, Key="uploads/s.pdf", Body=sample_bytes)
        outcome = convert_upload(SourceObject(runtime.settings.bucket, "uploads/s.pdf", None, None), runtime)
        answer = runtime.aws.sqs.receive_message(QueueUrl=runtime.settings.page_queue_url, MaxNumberOfMessages=10,
                                                 AttributeNames=["All"])
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": m["Attributes"]} for m in answer["Messages"]]
        assert len(records) == 2
        yield runtime, outcome.job_id, records


def spy(runtime, calls):
    real = runtime.aws.dynamodb.transact_write_items

    def transact(**kwargs):
        calls.append([next(iter(e.values()))["Key"]["sk"]["S"] for e in kwargs["TransactItems"]])
        return real(**kwargs)

    runtime.aws.dynamodb.transact_write_items = transact


def test_a_batch_counts_its_pages_in_one_transaction_and_finishes_the_job(converted):
    runtime, job_id, records = converted
    calls = []
    spy(runtime, calls)
    result = table_stage.process_batch(records, runtime)
    assert result.item_failures == [] and [o.status for o in result.outcomes] == ["done", "done"]
    assert calls == [["TALLY#0000", "JOB"]]  # both pages, one write of the job
    job = job_store(runtime).get_job(job_id)
    assert (job.status.value, job.pages_done, job.tables_found) == ("SUCCEEDED", 2, 2)
    # the same batch again (Lambda redelivers it): nothing counted twice
    result = table_stage.process_batch(records, runtime)
    assert [o.status for o in result.outcomes] == ["duplicate", "duplicate"]
    job = job_store(runtime).get_job(job_id)
    assert (job.pages_done, job.tables_found) == (2, 2)


def test_pages_stored_before_a_death_are_counted_by_their_redelivery(converted, monkeypatch):
    runtime, job_id, records = converted
    real = table_stage.count_batch
    monkeypatch.setattr(table_stage, "count_batch", lambda *_a: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):  # the invocation dies after both pages were stored
        table_stage.process_batch(records, runtime)
    store = job_store(runtime)
    assert store.get_job(job_id).pages_done == 0 and all(store.page_settled(job_id, p) for p in (1, 2))
    monkeypatch.setattr(table_stage, "count_batch", real)
    for record in records:
        record["attributes"]["ApproximateReceiveCount"] = "2"
    result = table_stage.process_batch(records, runtime)
    assert result.suspects == []  # stored pages are not the page that was running
    assert [o.status for o in result.outcomes] == ["duplicate", "duplicate"]
    job = store.get_job(job_id)
    assert (job.status.value, job.pages_done, job.tables_found) == ("SUCCEEDED", 2, 2)


def test_a_batch_whose_count_fails_reports_its_messages_for_retry(converted, monkeypatch):
    runtime, job_id, records = converted
    store_type = type(job_store(runtime))
    monkeypatch.setattr(store_type, "count_pages", lambda *_a: (_ for _ in ()).throw(RuntimeError("throttled")))
    result = table_stage.process_batch(records, runtime)
    assert sorted(result.item_failures) == sorted(r["messageId"] for r in records)
