"""Archive backfill as domain code on moto: one Distributed Map batch through the real Textract
start (`api_starter`), what each kind of object becomes, a second run starting nothing, --since,
backpressure, and the Map's own item and result shapes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import SAMPLE

from doctables.pipeline.backfill import (
    Backfiller, ListedObject, PipelineBusy, QueueLimits, Tally, api_starter, busy_reason, parse_s3_url,
    parse_since, run_name, start_batch,
)
from doctables.pipeline.backfill_execution import tally_from_results
from doctables.pipeline.completion import job_store
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.messages import ObjectMessage, decode
from doctables.pipeline.store import SourceObject
from doctables.pipeline.textract_api import TextractApi
from doctables.pipeline.textract_jobs import TextractJobs

ARCHIVE = "archive"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture()
def runtime():
    from doctables.local.stack import moto_runtime

    with moto_runtime(textract_buckets=ARCHIVE) as runtime:
        s3 = runtime.aws.s3
        s3.create_bucket(Bucket=ARCHIVE)
        s3.put_bucket_versioning(Bucket=ARCHIVE, VersioningConfiguration={"Status": "Enabled"})
        for key, body in {"2019/a.pdf": SAMPLE.read_bytes(), "2019/b.png": PNG, "2019/done.pdf": SAMPLE.read_bytes(),
                          "2019/notes.txt": b"not a document", "2019/empty.pdf": b"", "2019/": b"",
                          "2020/other.pdf": SAMPLE.read_bytes()}.items():
            s3.put_object(Bucket=ARCHIVE, Key=key, Body=body)
        head = s3.head_object(Bucket=ARCHIVE, Key="2019/done.pdf")
        done = SourceObject(ARCHIVE, "2019/done.pdf", head["VersionId"], head["ETag"].strip('"'))
        job_store(runtime).create_job(job_id_for(done), done)  # as if it were uploaded and read before
        yield runtime


def _backfiller(runtime) -> Backfiller:
    return Backfiller(runtime.aws.s3, job_store(runtime), TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name),
                      api_starter(TextractApi(runtime, sns=None)))


def _map_items(runtime, prefix: str) -> list[dict]:
    """The items the S3 ItemReader hands the Map: Key, Etag, LastModified (epoch seconds), Size."""
    listed = runtime.aws.s3.list_objects_v2(Bucket=ARCHIVE, Prefix=prefix)["Contents"]
    return [{"Key": o["Key"], "Etag": o["ETag"], "LastModified": o["LastModified"].timestamp(), "Size": o["Size"],
             "StorageClass": "STANDARD"} for o in listed]


def _batch(runtime, since: str = "", limits: dict | None = None) -> dict:
    return {"BatchInput": {"bucket": ARCHIVE, "since": since, "limits": limits or {}},
            "Items": _map_items(runtime, "2019/")}


def _not_busy(_limits: QueueLimits) -> None:
    return None


def _object_messages(runtime) -> list[ObjectMessage]:
    sqs, url = runtime.aws.sqs, runtime.settings.range_queue_url
    found = []
    while answer := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        found.extend(decode(m["Body"]) for m in answer)
    return found


def test_backfill_batch_starts_one_job_per_supported_object_without_one(runtime):
    tally = start_batch(_batch(runtime), _backfiller(runtime), _not_busy)
    assert {k: tally[k] for k in ("listed", "started", "done", "unsupported", "older", "failed")} == {
        "listed": 6, "started": 2, "done": 1, "unsupported": 3, "older": 0, "failed": 0}
    messages = _object_messages(runtime)
    assert sorted(m.key for m in messages) == ["2019/a.pdf", "2019/b.png"]
    for message in messages:  # the version the object had, so the job is that version's
        head = runtime.aws.s3.head_object(Bucket=ARCHIVE, Key=message.key)
        assert (message.bucket, message.version_id) == (ARCHIVE, head["VersionId"])


def test_backfill_run_again_starts_nothing_and_counts_the_queued_as_done(runtime):
    backfiller = _backfiller(runtime)
    start_batch(_batch(runtime), backfiller, _not_busy)
    first = _object_messages(runtime)
    again = start_batch(_batch(runtime), backfiller, _not_busy)
    assert (again["started"], again["done"], again["unsupported"]) == (0, 3, 3)
    assert _object_messages(runtime) == [] and len(first) == 2


def test_backfill_since_leaves_older_objects_alone(runtime):
    items = _map_items(runtime, "2019/")
    for item in items:
        if item["Key"] == "2019/b.png":
            item["LastModified"] = (datetime.now(timezone.utc) + timedelta(days=2)).timestamp()
    since = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    tally = start_batch({"BatchInput": {"bucket": ARCHIVE, "since": since}, "Items": items}, _backfiller(runtime),
                        _not_busy)
    # the folder marker is no document whatever its date
    assert (tally["started"], tally["older"], tally["unsupported"], tally["listed"]) == (1, 4, 1, 6)
    assert [m.key for m in _object_messages(runtime)] == ["2019/b.png"]


def test_backfill_holds_back_while_the_pipeline_queues_are_full(runtime):
    sqs = runtime.aws.sqs
    for n in range(3):
        sqs.send_message(QueueUrl=runtime.settings.range_queue_url, MessageBody=json.dumps({"n": n}))

    def busy(limits: QueueLimits):
        return busy_reason(sqs, runtime.settings.range_queue_url, runtime.settings.page_queue_url, limits)

    with pytest.raises(PipelineBusy, match="3 messages wait on the range queue"):
        start_batch(_batch(runtime, limits={"range_messages": 2}), _backfiller(runtime), busy)
    assert TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name).waiting_on("x") == []
    assert start_batch(_batch(runtime, limits={"range_messages": 3}), _backfiller(runtime), busy)["started"] == 2


def test_backfill_object_that_cannot_be_read_fails_alone(runtime):
    items = _map_items(runtime, "2019/") + [{"Key": "2019/gone.pdf", "Size": 10, "LastModified": 0}]
    tally = start_batch({"BatchInput": {"bucket": ARCHIVE, "since": ""}, "Items": items}, _backfiller(runtime),
                        _not_busy)
    assert (tally["failed"], tally["started"]) == (1, 2)
    assert tally["failures"][0]["key"] == "2019/gone.pdf" and "404" in tally["failures"][0]["reason"]


def test_backfill_bucket_outside_the_allow_list_fails_every_object_with_textracts_reason():
    from doctables.local.stack import moto_runtime

    with moto_runtime() as runtime:  # no DOCTABLES_TEXTRACT_BUCKETS
        runtime.aws.s3.create_bucket(Bucket=ARCHIVE)
        runtime.aws.s3.put_object(Bucket=ARCHIVE, Key="2019/a.pdf", Body=SAMPLE.read_bytes())
        tally = start_batch({"BatchInput": {"bucket": ARCHIVE}, "Items": _map_items(runtime, "2019/")},
                            _backfiller(runtime), _not_busy)
    assert tally["failed"] == 1
    assert "InvalidS3ObjectException" in tally["failures"][0]["reason"]
    assert "DOCTABLES_TEXTRACT_BUCKETS" in tally["failures"][0]["reason"]


def test_backfill_tally_reads_the_result_writers_files(runtime):
    s3 = runtime.aws.s3
    batch = Tally(listed=3, started=2, unsupported=1)
    succeeded = [{"ExecutionArn": "arn:1", "Status": "SUCCEEDED", "Output": json.dumps(batch.as_dict())}] * 2
    failed = [{"ExecutionArn": "arn:2", "Status": "FAILED", "Error": "Lambda.Unknown", "Cause": "timed out",
               "Input": json.dumps({"BatchInput": {}, "Items": [{"Key": "k1"}, {"Key": "k2"}]})}]
    s3.put_object(Bucket=ARCHIVE, Key="backfill/run/SUCCEEDED_0.json", Body=json.dumps(succeeded))
    s3.put_object(Bucket=ARCHIVE, Key="backfill/run/FAILED_0.json", Body=json.dumps(failed))
    manifest = {"ResultFiles": {"SUCCEEDED": [{"Key": "backfill/run/SUCCEEDED_0.json"}],
                                "FAILED": [{"Key": "backfill/run/FAILED_0.json"}], "PENDING": []}}
    s3.put_object(Bucket=ARCHIVE, Key="backfill/run/manifest.json", Body=json.dumps(manifest))
    tally = tally_from_results(s3, ARCHIVE, "backfill/run/manifest.json")
    assert (tally.listed, tally.started, tally.unsupported, tally.failed) == (8, 4, 2, 2)
    assert [f["key"] for f in tally.failures] == ["k1", "k2"] and "timed out" in tally.failures[0]["reason"]


def test_backfill_arguments():
    assert parse_s3_url("s3://archive/2019/q1/") == ("archive", "2019/q1/")
    assert parse_s3_url("s3://archive") == ("archive", "")
    with pytest.raises(ValueError):
        parse_s3_url("archive/2019")
    assert parse_since("2024-03-01") == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert parse_since("2024-03-01T10:00:00+02:00") == datetime(2024, 3, 1, 8, tzinfo=timezone.utc)
    assert run_name("a", "p/", None) == run_name("a", "p/", None) != run_name("a", "p/", parse_since("2024-01-01"))
    listed = ListedObject.from_listing({"Key": "k", "Size": 3, "LastModified": 0})
    assert listed.last_modified == datetime(1970, 1, 1, tzinfo=timezone.utc)
