"""Job state in DynamoDB (moto): idempotent creation and counting, single finisher."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from moto import mock_aws

from doctables.errors import ErrorCode
from doctables.model.tables import Cell, Table
from doctables.pipeline.conversion import plan_ranges
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.messages import PageMessage, RangeMessage, decode, encode, send_all
from doctables.pipeline.store import JobStatus, JobStore, SourceObject, table_body, table_definition


@pytest.fixture
def store():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_definition("t"))
        yield JobStore(client, "t")


SOURCE = SourceObject("bucket", "uploads/a.pdf", "v1", "etag", 100)


def test_job_id_depends_on_the_object_version():
    assert job_id_for(SOURCE) == job_id_for(SOURCE)
    assert job_id_for(SOURCE) != job_id_for(SourceObject("bucket", "uploads/a.pdf", "v2", "etag"))
    assert job_id_for(SOURCE) != job_id_for(SourceObject("bucket", "uploads/b.pdf", "v1", "etag"))


def test_create_job_is_idempotent(store):
    job_id = job_id_for(SOURCE)
    assert store.create_job(job_id, SOURCE) is True
    assert store.create_job(job_id, SOURCE) is False
    job = store.get_job(job_id)
    assert job.status is JobStatus.QUEUED and job.source == SOURCE
    assert [j.job_id for j in store.list_jobs()] == [job_id]


def test_settling_a_page_counts_it_once(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 2)
    assert store.settle_page("j", 1, done=True, tables=3, size=(612.0, 792.0, 0)) is True
    assert store.settle_page("j", 1, done=True, tables=3) is False  # redelivery
    assert store.settle_page("j", 1, done=False, error=("X", "y")) is False  # late dead letter
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.tables_found, job.settled) == (1, 0, 3, False)
    assert store.settle_page("j", 2, done=False, error=("PAGE_FAILED_REPEATEDLY", "boom")) is True
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.settled) == (1, 1, True)


def test_only_one_caller_finishes_a_job(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 1)
    assert store.finish_job("j", JobStatus.SUCCEEDED, None) is True
    assert store.finish_job("j", JobStatus.FAILED, ("E", "m")) is False
    assert store.fail_job("j", ErrorCode.CORRUPT_DOCUMENT, "late") is False
    assert store.get_job("j").status is JobStatus.SUCCEEDED


def test_oversized_table_spills_out_of_the_item(store):
    # random text: stays over the item limit after compression
    noise = __import__("base64").b64encode(__import__("os").urandom(400_000)).decode()
    big = Table("0001-01", 1, (0, 0, 10, 10), 612, 792, 1, 1, 0.9, 0.9,
                [Cell(0, 0, 1, 1, noise, (0, 0, 10, 10), 0.9)])
    repetitive = Table("0001-03", 1, (0, 0, 10, 10), 612, 792, 1, 1, 0.9, 0.9,
                       [Cell(0, 0, 1, 1, "x" * 400_000, (0, 0, 10, 10), 0.9)])
    small = Table("0001-02", 1, (0, 0, 10, 10), 612, 792, 1, 1, 0.9, 0.9, [Cell(0, 0, 1, 1, "y", (0, 0, 10, 10), 0.9)])
    spilled = []
    store.create_job("j", SOURCE)
    bodies = {}

    def spill(table, body):
        spilled.append(table.table_id)
        bodies[f"tables/j/{table.table_id}.json"] = body
        return f"tables/j/{table.table_id}.json"

    store.put_tables("j", [big, small, repetitive], spill)
    _pages, items = store.job_contents("j")
    by_id = {i["table_id"]: i for i in items}
    assert spilled == ["0001-01"]
    assert by_id["0001-01"]["body_s3_key"] == "tables/j/0001-01.json" and "body_gz" not in by_id["0001-01"]
    assert Table.from_dict(json.loads(table_body(by_id["0001-01"], bodies.__getitem__))).cells[0].text == noise
    assert Table.from_dict(json.loads(table_body(by_id["0001-02"], bodies.__getitem__))).cells[0].text == "y"
    # 400 KB of one letter compresses into the item; stored as gzip, far below its JSON size
    assert len(by_id["0001-03"]["body_gz"]) < 2_000
    assert json.loads(gzip.decompress(by_id["0001-03"]["body_gz"]))["cells"][0]["text"] == "x" * 400_000


def test_ranges_cover_every_page_once():
    assert plan_ranges(1, 50) == [(1, 1)]
    assert plan_ranges(120, 50) == [(1, 50), (51, 100), (101, 120)]
    pages = [p for first, last in plan_ranges(2000, 50) for p in range(first, last + 1)]
    assert pages == list(range(1, 2001))


def test_messages_round_trip_and_reject_strangers():
    page = PageMessage("j", 3, "b", "pages/j/00003.png", "pages/j/00003.json")
    span = RangeMessage("j", 51, 100, "b", "uploads/a.pdf", "v1", None)
    assert decode(encode(page)) == page and decode(encode(span)) == span
    for body in ("{}", "not json", '{"kind": "page"}', '{"kind": "other"}'):
        with pytest.raises(ValueError):
            decode(body)


def test_send_all_batches_by_ten():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        messages = [PageMessage("j", n, "b", "i", "l") for n in range(1, 24)]
        assert send_all(sqs, url, messages) == 23
        count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert count["Attributes"]["ApproximateNumberOfMessages"] == "23"


def test_active_index_holds_only_unfinished_jobs(store):
    store.create_job("a", SOURCE)
    store.create_job("b", SourceObject("bucket", "uploads/b.pdf", "v1", "e"))
    store.start_job("a", 1)
    store.finish_job("a", JobStatus.SUCCEEDED, None)
    far_future = "9999-01-01T00:00:00.000000Z"
    assert [j.job_id for j in store.stalled_jobs(far_future)] == ["b"]
    assert store.stalled_jobs("2000-01-01T00:00:00.000000Z") == []


def test_settings_parse_types_and_round_trip():
    from doctables.settings import Settings

    settings = Settings.from_env({"DOCTABLES_DPI": "200", "DOCTABLES_OCR_FULL_PAGE": "true",
                                  "DOCTABLES_DETECTION_THRESHOLD": "0.4"})
    assert (settings.dpi, settings.ocr_full_page, settings.detection_threshold) == (200, True, 0.4)
    assert Settings.from_env(settings.as_environment()) == settings
    with pytest.raises(ValueError, match="DOCTABLES_OCR_FULL_PAGE"):
        Settings.from_env({"DOCTABLES_OCR_FULL_PAGE": "maybe"})
