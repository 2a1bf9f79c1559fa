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


def table(table_id: str, text: str = "y") -> Table:
    page = int(table_id.split("-")[0])
    return Table(table_id, page, (0, 0, 10, 10), 612, 792, 1, 1, 0.9, 0.9, [Cell(0, 0, 1, 1, text, (0, 0, 10, 10), 0.9)])


def test_settling_a_page_counts_it_once(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 2)
    three = [table("0001-01"), table("0001-02"), table("0001-03")]
    assert store.settle_page("j", 1, done=True, tables=three, size=(612.0, 792.0, 0)) is True
    assert store.settle_page("j", 1, done=True, tables=three) is False  # redelivery
    assert store.settle_page("j", 1, done=False, error=("X", "y")) is False  # late dead letter
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.tables_found, job.settled) == (1, 0, 3, False)
    assert store.settle_page("j", 2, done=False, error=("PAGE_FAILED_REPEATEDLY", "boom")) is True
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.settled) == (1, 1, True)
    pages, tables = store.job_contents("j")
    assert [(p.page, p.status, p.tables) for p in pages] == [(1, "DONE", 3), (2, "FAILED", 0)]
    assert [t["table_id"] for t in tables] == ["0001-01", "0001-02", "0001-03"]


def test_a_batch_is_counted_in_one_write_and_never_twice(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 250)
    stored = [store.store_page("j", n, done=n != 7, tables=[table(f"{n:04d}-01")] if n % 2 else [])
              for n in (7, 8, 99, 100, 101)]  # two tally items: pages 1-100 and 101-200
    assert store.get_job("j").pages_done == 0  # stored, not yet counted
    calls = []
    real = store.client.transact_write_items
    store.client.transact_write_items = lambda **kw: calls.append(kw) or real(**kw)
    assert store.count_pages("j", stored) == 5
    assert len(calls) == 1
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.tables_found) == (4, 1, 3)  # page 7 failed: no tables
    # a redelivered batch, and one that overlaps it: only the new page counts
    assert store.count_pages("j", stored) == 0
    late = store.store_page("j", 102, done=True)
    assert store.count_pages("j", stored[3:] + [late]) == 1
    job = store.get_job("j")
    assert (job.pages_done, job.pages_failed, job.tables_found) == (5, 1, 3)
    # a page stored but never counted (its invocation died) is counted by its redelivery's settle
    store.store_page("j", 103, done=True, tables=[table("0103-01")])
    assert store.settle_page("j", 103, done=True) is False
    assert store.settle_page("j", 103, done=True) is False
    job = store.get_job("j")
    assert (job.pages_done, job.tables_found) == (6, 4)


def test_counting_pages_of_a_missing_job_raises(store):
    page = store.store_page("nope", 1, done=True)
    with pytest.raises(RuntimeError, match="does not exist"):
        store.count_pages("nope", [page])


def test_items_of_the_layout_before_still_read_and_are_not_counted_again(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 2)
    # what the code before wrote: a page item counted as it was written, a table item beside it
    old_table = table("0001-01", "old")
    client = store.client
    client.put_item(TableName="t", Item={
        "pk": {"S": "JOB#j"}, "sk": {"S": "PAGE#00001"}, "page": {"N": "1"}, "status": {"S": "DONE"},
        "tables": {"N": "1"}})
    client.update_item(TableName="t", Key={"pk": {"S": "JOB#j"}, "sk": {"S": "JOB"}},
                       UpdateExpression="ADD pages_done :one, tables_found :one",
                       ExpressionAttributeValues={":one": {"N": "1"}})
    client.put_item(TableName="t", Item={
        "pk": {"S": "JOB#j"}, "sk": {"S": "TABLE#0001-01"}, "table_id": {"S": "0001-01"}, "page": {"N": "1"},
        "body_gz": {"B": gzip.compress(json.dumps(old_table.to_dict()).encode())}})
    assert store.settle_page("j", 1, done=True) is False  # a redelivery of the old page: not recounted
    assert store.settle_page("j", 2, done=True, tables=[table("0002-01", "new")]) is True
    job = store.get_job("j")
    assert (job.pages_done, job.tables_found, job.settled) == (2, 2, True)
    pages, tables = store.job_contents("j")
    assert [p.page for p in pages] == [1, 2]
    assert [(t["table_id"], t["cells"][0]["text"]) for t in tables] == [("0001-01", "old"), ("0002-01", "new")]


def test_only_one_caller_finishes_a_job(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 1)
    assert store.finish_job("j", JobStatus.SUCCEEDED, None) is True
    assert store.finish_job("j", JobStatus.FAILED, ("E", "m")) is False
    assert store.fail_job("j", ErrorCode.CORRUPT_DOCUMENT, "late") is False
    assert store.get_job("j").status is JobStatus.SUCCEEDED


def test_a_page_whose_tables_are_too_large_spills_them_out_of_its_item(store):
    # random text: stays over the item limit after compression
    noise = __import__("base64").b64encode(__import__("os").urandom(400_000)).decode()
    store.create_job("j", SOURCE)
    store.start_job("j", 2)
    bodies = {}

    def spill(body):
        bodies["tables/j/00001.json"] = body
        return "tables/j/00001.json"

    store.settle_page("j", 1, done=True, tables=[table("0001-01", noise), table("0001-02")], spill=spill)
    # 400 KB of one letter compresses into the item; stored as gzip, far below its JSON size
    store.settle_page("j", 2, done=True, tables=[table("0002-01", "x" * 400_000)], spill=spill)
    assert list(bodies) == ["tables/j/00001.json"]
    item = store.client.get_item(TableName="t", Key={"pk": {"S": "JOB#j"}, "sk": {"S": "PAGE#00002"}})["Item"]
    assert len(item["tables_gz"]["B"]) < 2_000 and "tables_s3_key" not in item
    _pages, tables = store.job_contents("j", bodies.__getitem__)
    assert [(t["table_id"], len(t["cells"][0]["text"])) for t in tables] == [
        ("0001-01", len(noise)), ("0001-02", 1), ("0002-01", 400_000)]
    with pytest.raises(ValueError, match="load_spilled"):
        store.job_contents("j")
    with pytest.raises(ValueError, match="spill"):
        store.store_page("j", 3, done=True, tables=[table("0003-01", noise)])


def test_old_oversized_table_items_still_read(store):
    client = store.client
    client.put_item(TableName="t", Item={
        "pk": {"S": "JOB#j"}, "sk": {"S": "TABLE#0001-01"}, "table_id": {"S": "0001-01"}, "page": {"N": "1"},
        "body_s3_key": {"S": "tables/j/0001-01.json"}})
    bodies = {"tables/j/0001-01.json": json.dumps(table("0001-01", "spilled").to_dict())}
    _pages, tables = store.job_contents("j", bodies.__getitem__)
    assert tables[0]["cells"][0]["text"] == "spilled"
    assert table_body({"body_s3_key": "tables/j/0001-01.json"}, bodies.__getitem__) == bodies["tables/j/0001-01.json"]


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


def test_a_page_found_counted_is_not_written_again(store):
    store.create_job("j", SOURCE)
    store.start_job("j", 3)
    page = store.store_page("j", 1, done=True)
    writes = []
    real = store.client.transact_write_items
    store.client.transact_write_items = lambda **kw: writes.append(kw) or real(**kw)
    assert store.count_if_uncounted("j", page) is True
    assert store.count_if_uncounted("j", page) is False  # counted: a read, no write
    assert store.count_if_uncounted("j", None) is False
    assert len(writes) == 1 and store.get_job("j").pages_done == 1


def test_a_pages_text_goes_in_its_item_compressed_and_spills_with_large_tables(store):
    """The page's lines ride in its item (`text_gz`), bounded with the tables by the item
    limit: what would pass it goes to S3 through `spill_text`; the job reads both back."""
    from doctables.model.text import TextLine, TextWord

    def lines(text: str, count: int) -> list[TextLine]:
        return [TextLine((TextWord(f"{text}{i}", (10.0, 20.0 + i, 40.0, 28.0 + i), 0.9),)) for i in range(count)]

    noise = __import__("base64").b64encode(__import__("os").urandom(340_000)).decode()[:440_000]
    store.create_job("j", SOURCE, text_only=True)
    assert store.get_job("j").text_only
    spilled = {}

    def spill(body):
        spilled["tables/j/00002.json"] = body
        return "tables/j/00002.json"

    def spill_text(body):
        spilled["tables/j/00002.text.json"] = body
        return "tables/j/00002.text.json"

    store.store_page("j", 1, done=True, text=lines("word", 500))
    item = store.client.get_item(TableName="t", Key={"pk": {"S": "JOB#j"}, "sk": {"S": "PAGE#00001"}})["Item"]
    assert "text_s3_key" not in item and len(item["text_gz"]["B"]) < 5_000  # 500 words, a few KB
    # tables just under the limit: the text would take the item past it, so it goes to S3
    store.store_page("j", 2, done=True, tables=[table("0002-01", noise)], text=lines("w", 3000),
                     spill=spill, spill_text=spill_text)
    item = store.client.get_item(TableName="t", Key={"pk": {"S": "JOB#j"}, "sk": {"S": "PAGE#00002"}})["Item"]
    assert item["text_s3_key"]["S"] == "tables/j/00002.text.json" and "text_gz" not in item
    _pages, _tables, text = store.job_pages("j", spilled.__getitem__)
    assert [len(text[1]), len(text[2])] == [500, 3000]
    assert text[1][7].words[0].text == "word7" and text[1][7].bbox == (10.0, 27.0, 40.0, 35.0)
    store.create_job("plain", SOURCE)
    assert store.get_job("plain").text_only is False


def test_the_text_only_job_of_a_version_is_a_job_of_its_own():
    assert job_id_for(SOURCE, text_only=True) != job_id_for(SOURCE)
    assert job_id_for(SOURCE, text_only=True) == job_id_for(SOURCE, text_only=True)


def test_only_a_job_created_to_keep_its_text_says_so(store):
    """An upload's job item is as it was (no `reads`); a Textract analysis's keeps its pages'
    text, and a text-only job's text is all it keeps."""
    store.create_job("upload", SOURCE)
    store.create_job("analysis", SOURCE, page_text=True)
    store.create_job("text", SOURCE, text_only=True)
    item = store.client.get_item(TableName="t", Key={"pk": {"S": "JOB#upload"}, "sk": {"S": "JOB"}})["Item"]
    assert "reads" not in item
    jobs = {name: store.get_job(name) for name in ("upload", "analysis", "text")}
    assert [(j.page_text, j.text_only) for j in jobs.values()] == [(False, False), (True, False), (True, True)]
