"""`doctables backfill` against the local stack: the CLI over `doctables serve`'s endpoint (moto,
its Textract API on the wire), and the deployed item processor's handler on the same stack. The
pipeline is not pumped unless a test says so: what is asserted is what the backfill started."""

from __future__ import annotations

import importlib
import time
from datetime import datetime, timezone

import pytest
from conftest import SAMPLE

from doctables.cli import main
from doctables.local.backfill import LocalBackfill
from doctables.local.stack import TABLE, LambdaContext, LocalStack
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.messages import decode
from doctables.pipeline.store import JobStore, SourceObject
from doctables.settings import Settings

ARCHIVE = "archive"


@pytest.fixture()
def stack():
    with LocalStack(Settings(textract_buckets=ARCHIVE)) as running:
        running.aws.s3.create_bucket(Bucket=ARCHIVE)
        running.aws.s3.put_bucket_versioning(Bucket=ARCHIVE, VersioningConfiguration={"Status": "Enabled"})
        yield running


def _put(stack, *names: str) -> None:
    for name in names:
        body = b"plain text, no document" if name.endswith(".txt") else SAMPLE.read_bytes()
        stack.aws.s3.put_object(Bucket=ARCHIVE, Key=name, Body=body)


def _queued_objects(stack) -> list[str]:
    sqs, url = stack.aws.sqs, stack.queues.ranges
    keys = []
    while answer := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages"):
        for message in answer:
            keys.append(decode(message["Body"]).key)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(keys)


def _give_a_job(stack, key: str) -> None:
    head = stack.aws.s3.head_object(Bucket=ARCHIVE, Key=key)
    source = SourceObject(ARCHIVE, key, head["VersionId"], head["ETag"].strip('"'))
    JobStore(stack.aws.dynamodb, TABLE).create_job(job_id_for(source), source)


def test_cli_backfill_prints_progress_and_starts_each_object_once(stack, capsys):
    _put(stack, "2019/a.pdf", "2019/b.pdf", "2019/done.pdf", "2019/notes.txt", "2020/later.pdf")
    _give_a_job(stack, "2019/done.pdf")
    assert main(["backfill", f"s3://{ARCHIVE}/2019/", "--endpoint", stack.endpoint]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "4 listed, 2 started, 1 skipped (job exists), 1 unsupported, 0 failed"
    assert _queued_objects(stack) == ["2019/a.pdf", "2019/b.pdf"]

    assert main(["backfill", f"s3://{ARCHIVE}/2019/", "--endpoint", stack.endpoint]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 listed, 0 started, 3 skipped (job exists), 1 unsupported, 0 failed"
    assert _queued_objects(stack) == []


def test_backfilled_objects_become_one_job_each_when_the_pipeline_runs(stack):
    _put(stack, "2019/a.pdf", "2019/b.pdf")
    backfill = LocalBackfill.at(stack.endpoint)
    assert backfill.run(ARCHIVE, "2019/").started == 2
    backfill.run(ARCHIVE, "2019/")  # before conversion: queued, not started again
    while stack.pump_once(only="ranges"):  # conversion creates the jobs (pages not read here)
        pass
    jobs = JobStore(stack.aws.dynamodb, TABLE).list_jobs(limit=100)
    assert sorted(j.source.key for j in jobs) == ["2019/a.pdf", "2019/b.pdf"]
    third = backfill.run(ARCHIVE, "2019/")
    assert (third.started, third.done) == (0, 2)


def test_backfill_since_takes_only_objects_modified_after(stack):
    _put(stack, "2019/old.pdf")
    time.sleep(1.2)  # S3 keeps LastModified to the second
    since = datetime.now(timezone.utc).replace(microsecond=0)
    time.sleep(1.2)
    _put(stack, "2019/new.pdf")
    tally = LocalBackfill.at(stack.endpoint).run(ARCHIVE, "2019/", since=since)
    assert (tally.listed, tally.started, tally.older) == (2, 1, 1)
    assert _queued_objects(stack) == ["2019/new.pdf"]


def test_backfill_counts_an_object_that_vanished_as_failed_and_goes_on(stack, capsys):
    _put(stack, "2019/a.pdf", "2019/b.pdf", "2019/c.pdf")

    def delete_b_after_the_first_batch(tally) -> None:
        if tally.listed == 1:
            stack.aws.s3.delete_objects(Bucket=ARCHIVE, Delete={"Objects": [
                {"Key": "2019/b.pdf", "VersionId": v["VersionId"]}
                for v in stack.aws.s3.list_object_versions(Bucket=ARCHIVE, Prefix="2019/b.pdf")["Versions"]]})

    tally = LocalBackfill.at(stack.endpoint).run(ARCHIVE, "2019/", batch_size=1,
                                                 on_progress=delete_b_after_the_first_batch)
    assert (tally.listed, tally.started, tally.failed) == (3, 2, 1)
    assert tally.failures[0]["key"] == "2019/b.pdf"
    assert _queued_objects(stack) == ["2019/a.pdf", "2019/c.pdf"]


def test_backfill_of_a_bucket_serve_may_not_read_fails_with_the_reason(stack, capsys):
    stack.aws.s3.create_bucket(Bucket="elsewhere")
    stack.aws.s3.put_object(Bucket="elsewhere", Key="a.pdf", Body=SAMPLE.read_bytes())
    assert main(["backfill", "s3://elsewhere", "--endpoint", stack.endpoint]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1].endswith("1 failed")
    assert "DOCTABLES_TEXTRACT_BUCKETS" in captured.err


def test_backfill_item_processor_handler_starts_a_distributed_map_batch(stack):
    _put(stack, "2019/a.pdf", "2019/notes.txt")
    listed = stack.aws.s3.list_objects_v2(Bucket=ARCHIVE, Prefix="2019/")["Contents"]
    event = {"BatchInput": {"bucket": ARCHIVE, "since": "", "limits": {"range_messages": 50, "page_messages": 1000}},
             "Items": [{"Key": o["Key"], "Etag": o["ETag"], "Size": o["Size"],
                        "LastModified": o["LastModified"].timestamp(), "StorageClass": "STANDARD"} for o in listed]}
    module = importlib.import_module("lambdas.backfill.handler")
    try:
        answer = module.handler(event, LambdaContext("backfill"))
    finally:
        module.metrics.clear_metrics()
    assert (answer["listed"], answer["started"], answer["unsupported"]) == (2, 1, 1)
    assert _queued_objects(stack) == ["2019/a.pdf"]


def test_cli_backfill_refuses_a_url_that_is_not_s3(capsys):
    assert main(["backfill", "archive/2019"]) == 2
    assert "s3://bucket/prefix" in capsys.readouterr().err
