"""Which jobs keep their pages' text (every line and word, for Textract's LINE and WORD blocks):
only those whose reader asks for it, the jobs the Textract API started. An upload's job writes
what it wrote before the text was kept: no text in its page items, no text object beside its
result, no `reads` on its job item (each costs DynamoDB write units on every page)."""

from __future__ import annotations

import pytest

from doctables.local.stack import LocalStack
from doctables.pipeline.keys import result_key, result_text_key
from doctables.settings import Settings

ARCHIVE = "archive-bucket"  # read where it lies (DOCTABLES_TEXTRACT_BUCKETS)
TITLE = "Annual Report 2024: Revenue and Staffing"  # the sample's first line, outside its tables


@pytest.fixture(scope="module")
def stack():
    with LocalStack(Settings(textract_buckets=ARCHIVE)) as running:
        running.aws.s3.create_bucket(Bucket=ARCHIVE)
        yield running


def _items(stack, job_id: str) -> dict[str, dict]:
    answer = stack.aws.dynamodb.query(TableName=stack.settings.table_name, KeyConditionExpression="pk = :pk",
                                      ExpressionAttributeValues={":pk": {"S": f"JOB#{job_id}"}})
    return {item["sk"]["S"]: item for item in answer["Items"]}


def _results(stack, job_id: str) -> list[str]:
    listed = stack.aws.s3.list_objects_v2(Bucket=stack.settings.bucket, Prefix=f"results/{job_id}")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _pages(items: dict[str, dict]) -> list[dict]:
    return [item for sk, item in items.items() if sk.startswith("PAGE#")]


def test_an_upload_job_keeps_no_page_text(stack, sample_bytes):
    key = stack.upload(sample_bytes, "plain.pdf")
    stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=300)
    job_id = stack.event_for_key(key)["detail"]["job_id"]
    items = _items(stack, job_id)
    pages = _pages(items)
    assert len(pages) == 2 and all(p["status"]["S"] == "DONE" and "tables_gz" in p for p in pages)
    assert not [a for p in pages for a in p if a.startswith("text")]  # no text_gz, no text_s3_key
    assert "reads" not in items["JOB"]
    assert _results(stack, job_id) == [result_key(job_id)]  # no results/<job>.text.json.gz


def test_a_textract_analysis_job_keeps_every_line_and_get_returns_them(stack, sample_bytes):
    stack.aws.s3.put_object(Bucket=ARCHIVE, Key="reports/sample.pdf", Body=sample_bytes)
    api = stack.textract
    job_id = api.call("StartDocumentAnalysis", {
        "DocumentLocation": {"S3Object": {"Bucket": ARCHIVE, "Name": "reports/sample.pdf"}},
        "FeatureTypes": ["TABLES"]})["JobId"]
    stack.run_until(lambda: api.call("GetDocumentAnalysis", {"JobId": job_id})["JobStatus"] != "IN_PROGRESS",
                    timeout=300)
    answer = api.call("GetDocumentAnalysis", {"JobId": job_id})
    assert answer["JobStatus"] == "SUCCEEDED"
    pipeline_job_id = api.jobs.get(job_id).pipeline_job_id
    items = _items(stack, pipeline_job_id)
    assert items["JOB"]["reads"]["S"] == "tables,text"
    assert all("text_gz" in p and "tables_gz" in p for p in _pages(items))
    assert _results(stack, pipeline_job_id) == sorted([result_key(pipeline_job_id),
                                                       result_text_key(pipeline_job_id)])
    lines = [b["Text"] for b in answer["Blocks"] if b["BlockType"] == "LINE"]
    assert TITLE in lines  # a line outside the tables
    assert sum(b["BlockType"] == "TABLE" for b in answer["Blocks"]) == 2
