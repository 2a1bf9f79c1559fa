"""Textract's API on `doctables serve`, at the wire: boto3's own Textract client, textractor and
textractcaller pointed at the local endpoint and nothing else changed; paging, idempotency,
OutputConfig objects, the SNS completion message (moto SNS -> SQS) and every error type as
Textract's JSON 1.1 protocol sends it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import pymupdf
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from conftest import ROOT, SAMPLE

from doctables.local.serve import LocalService
from doctables.local.stack import BUCKET
from doctables.settings import Settings

ARCHIVE = "archive-bucket"  # allowed by DOCTABLES_TEXTRACT_BUCKETS
OTHER = "not-allowed-bucket"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def service():
    with LocalService(port=0, settings=Settings(textract_buckets=ARCHIVE), interval=0.05) as running:
        s3 = running.stack.aws.s3
        for bucket in (ARCHIVE, OTHER):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=BUCKET, Key="uploads/sample.pdf", Body=SAMPLE.read_bytes())
        yield running
        assert not running.errors


@pytest.fixture(scope="module")
def textract(service):
    return boto3.client("textract", endpoint_url=service.endpoint, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}))


def _location(key: str = "uploads/sample.pdf", bucket: str = BUCKET) -> dict:
    return {"S3Object": {"Bucket": bucket, "Name": key}}


def _wait(get, job_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        answer = get(JobId=job_id)
        if answer["JobStatus"] != "IN_PROGRESS":
            return answer
        assert time.monotonic() < deadline, f"{job_id} still IN_PROGRESS"
        time.sleep(0.2)


def _all_blocks(get, job_id: str, max_results: int) -> tuple[list[dict], list[dict]]:
    """Every block by following NextToken as a Textract user does; and the pages seen."""
    answers = [get(JobId=job_id, MaxResults=max_results)]
    while "NextToken" in answers[-1]:
        answers.append(get(JobId=job_id, MaxResults=max_results, NextToken=answers[-1]["NextToken"]))
    return [b for a in answers for b in a["Blocks"]], answers


@pytest.fixture(scope="module")
def sample_job(service, textract):
    job_id = textract.start_document_analysis(DocumentLocation=_location(), FeatureTypes=["TABLES"],
                                              JobTag="invoices")["JobId"]
    _wait(textract.get_document_analysis, job_id)
    return job_id


def _pipeline_result(service, job_id: str) -> dict:
    return service.stack.result(service.stack.textract.jobs.get(job_id).pipeline_job_id)


def _pipeline_text(service, job_id: str) -> dict:
    from doctables.pipeline.textract_delivery import job_text

    return job_text(_pipeline_job(service, job_id), service.stack.textract.runtime)


def _pipeline_job(service, job_id: str):
    from doctables.pipeline.completion import job_store

    textract = service.stack.textract
    return job_store(textract.runtime).get_job(textract.jobs.get(job_id).pipeline_job_id)


def _one_page_pdf() -> bytes:
    with pymupdf.open(SAMPLE) as document:
        document.select([0])
        return document.tobytes()


def _truth_grids(sample_truth) -> list[list[list[str]]]:
    grids = []
    for table in sample_truth["tables"]:
        rows = max(c["row"] + c["row_span"] for c in table["cells"])
        columns = max(c["col"] + c["col_span"] for c in table["cells"])
        grid = [[""] * columns for _ in range(rows)]
        for cell in table["cells"]:
            grid[cell["row"]][cell["col"]] = cell["text"]
        grids.append(grid)
    return grids


# --- the operations --------------------------------------------------------------------------


def test_textract_endpoint_analysis_pages_with_next_token_equal_the_whole_answer(service, textract, sample_job):
    from doctables.outputs.textract import to_textract

    first = textract.get_document_analysis(JobId=sample_job)
    assert first["JobStatus"] == "SUCCEEDED" and first["DocumentMetadata"] == {"Pages": 2}
    assert first["AnalyzeDocumentModelVersion"] and "NextToken" not in first  # under 1,000 blocks
    blocks, answers = _all_blocks(textract.get_document_analysis, sample_job, 25)
    assert len(answers) > 2 and all(len(a["Blocks"]) <= 25 for a in answers)
    assert blocks == first["Blocks"] == to_textract(_pipeline_result(service, sample_job),
                                                    page_text=_pipeline_text(service, sample_job))["Blocks"]
    assert sum(b["BlockType"] == "TABLE" for b in blocks) == 2
    with pytest.raises(textract.exceptions.InvalidParameterException, match="NextToken"):
        textract.get_document_analysis(JobId=sample_job, NextToken="bm90IGEgdG9rZW4=")


def test_textract_endpoint_text_detection_has_lines_and_words_only(service, textract, sample_job):
    job_id = textract.start_document_text_detection(DocumentLocation=_location())["JobId"]
    answer = _wait(textract.get_document_text_detection, job_id)
    assert answer["JobStatus"] == "SUCCEEDED" and answer["DetectDocumentTextModelVersion"]
    kinds = {b["BlockType"] for b in answer["Blocks"]}
    assert kinds == {"PAGE", "LINE", "WORD"}
    lines = [b["Text"] for b in answer["Blocks"] if b["BlockType"] == "LINE"]
    assert "Region" in lines and "2024 revenue (USD thousands)" in lines
    # a JobId of one operation is no JobId of the other
    with pytest.raises(textract.exceptions.InvalidJobIdException):
        textract.get_document_analysis(JobId=job_id)
    with pytest.raises(textract.exceptions.InvalidJobIdException):
        textract.get_document_text_detection(JobId=sample_job)


def test_textract_endpoint_client_request_token_returns_the_same_job(service, textract, sample_job):
    request = {"DocumentLocation": _location(), "FeatureTypes": ["TABLES"], "ClientRequestToken": "q4-report"}
    first = textract.start_document_analysis(**request)["JobId"]
    assert textract.start_document_analysis(**request)["JobId"] == first
    assert textract.start_document_analysis(**{**request, "ClientRequestToken": "other"})["JobId"] != first
    with pytest.raises(textract.exceptions.IdempotentParameterMismatchException):
        textract.start_document_analysis(**{**request, "JobTag": "changed"})
    assert _wait(textract.get_document_analysis, first)["JobStatus"] == "SUCCEEDED"


def test_textract_endpoint_textractor_unchanged_reads_the_sample_tables(service, sample_job, sample_truth):
    """A plain textractor program; only AWS_ENDPOINT_URL_TEXTRACT points it here."""
    program = (
        "import json\n"
        "from textractor import Textractor\n"
        "from textractor.data.constants import TextractFeatures\n"
        "extractor = Textractor(region_name='us-east-1')\n"
        f"document = extractor.start_document_analysis('s3://{BUCKET}/uploads/sample.pdf', TextractFeatures.TABLES,\n"
        "                                              save_image=False)\n"
        "tables = [[['' if v is None else str(v).strip() for v in row] for row in t.to_pandas().values.tolist()]\n"
        "          for t in document.tables]\n"
        "print(json.dumps({'pages': len(document.pages), 'tables': tables}))\n"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                        "AWS_ENDPOINT_URL_TEXTRACT": service.endpoint, "PYTHONPATH": str(ROOT)})
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300,
                          env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout.strip().splitlines()[-1])
    assert read["pages"] == 2
    assert read["tables"] == _truth_grids(sample_truth)


def test_textract_endpoint_documents_already_read_notify_at_once(service, textract, sample_job):
    """A start on a document whose pipeline job ended before: the SNS message (moto SNS ->
    SQS) and the OutputConfig objects come from the start itself."""
    sns, sqs, s3 = boto3.client("sns", endpoint_url=service.endpoint, region_name="us-east-1"), \
        service.stack.aws.sqs, service.stack.aws.s3
    topic = sns.create_topic(Name="AmazonTextract-done")["TopicArn"]
    queue = sqs.create_queue(QueueName="textract-done")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    job_id = textract.start_document_analysis(
        DocumentLocation=_location(), FeatureTypes=["TABLES"], JobTag="invoices",
        NotificationChannel={"SNSTopicArn": topic, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/TextractRole"},
        OutputConfig={"S3Bucket": ARCHIVE, "S3Prefix": "textract-output/"},
    )["JobId"]
    (received,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    message = json.loads(json.loads(received["Body"])["Message"])
    assert message.pop("Timestamp") > 1_600_000_000_000  # milliseconds
    assert message == {"JobId": job_id, "Status": "SUCCEEDED", "API": "StartDocumentAnalysis", "JobTag": "invoices",
                       "DocumentLocation": {"S3ObjectName": "uploads/sample.pdf", "S3Bucket": BUCKET}}
    listed = s3.list_objects_v2(Bucket=ARCHIVE, Prefix=f"textract-output/{job_id}/")["Contents"]
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed) == [".s3_access_check", "1"]


def test_textract_endpoint_new_document_delivers_on_the_job_event(service, textract, sample_truth):
    """An object in an allow-listed bucket, read where it lies: the pipeline's event delivers
    OutputConfig's paged objects, which textractcaller merges into the whole answer."""
    from textractcaller import OutputConfig, get_full_json_from_output_config

    sns, sqs, s3 = boto3.client("sns", endpoint_url=service.endpoint, region_name="us-east-1"), \
        service.stack.aws.sqs, service.stack.aws.s3
    topic = sns.create_topic(Name="AmazonTextract-new")["TopicArn"]
    queue = sqs.create_queue(QueueName="textract-new")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    s3.put_object(Bucket=ARCHIVE, Key="2019/first-page.pdf", Body=_one_page_pdf())
    before = s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("KeyCount", 0)

    job_id = textract.start_document_analysis(
        DocumentLocation=_location("2019/first-page.pdf", ARCHIVE), FeatureTypes=["TABLES"],
        NotificationChannel={"SNSTopicArn": topic, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/TextractRole"},
        OutputConfig={"S3Bucket": ARCHIVE, "S3Prefix": "out"},
    )["JobId"]
    deadline = time.monotonic() + 600  # no Get meanwhile: the job's event alone delivers
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert len(messages) == 1, service.stack.handler_errors
    received = messages[0]
    message = json.loads(received["Body"])
    assert (message["JobId"], message["Status"]) == (job_id, "SUCCEEDED")
    assert message["DocumentLocation"] == {"S3ObjectName": "2019/first-page.pdf", "S3Bucket": ARCHIVE}
    assert "JobTag" not in message

    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("KeyCount", 0) == before  # nothing copied
    merged = get_full_json_from_output_config(OutputConfig(ARCHIVE, "out"), job_id, s3)
    answer = textract.get_document_analysis(JobId=job_id)
    assert merged["Blocks"] == answer["Blocks"] and merged["DocumentMetadata"] == {"Pages": 1}
    assert sum(b["BlockType"] == "TABLE" for b in merged["Blocks"]) == 1


def test_textract_endpoint_output_config_pages_hold_a_thousand_blocks(service, sample_job):
    import dataclasses

    from doctables.pipeline.completion import job_store
    from doctables.pipeline.textract_delivery import full_response, write_output
    from doctables.pipeline.textract_jobs import TextractJob
    from doctables.pipeline.textract_requests import Output

    api = service.stack.textract
    job = api.jobs.get(sample_job)
    full = full_response(job, job_store(api.runtime).get_job(job.pipeline_job_id), api.runtime)
    big = dataclasses.replace(full, blocks=full.blocks * (1000 // len(full.blocks) + 2))  # over 1,000 blocks
    paged = TextractJob(job.job_id, dataclasses.replace(job.request, output=Output(ARCHIVE, "many")),
                        job.request_hash, job.pipeline_job_id, job.created_at)
    keys = write_output(paged, big, api.runtime)
    assert [k.rsplit("/", 1)[1] for k in keys] == [str(n) for n in range(1, len(keys) + 1)] and len(keys) >= 2
    bodies = [json.loads(service.stack.aws.s3.get_object(Bucket=ARCHIVE, Key=k)["Body"].read()) for k in keys]
    assert all(len(b["Blocks"]) <= 1000 for b in bodies)
    assert [x for b in bodies for x in b["Blocks"]] == big.blocks


def _line(blocks: list[dict], starts: str) -> dict:
    (line,) = [b for b in blocks if b["BlockType"] == "LINE" and b["Text"].startswith(starts)]
    return line


def _words_of(blocks: list[dict], line: dict) -> list[dict]:
    by_id = {b["Id"]: b for b in blocks}
    return [by_id[i] for r in line["Relationships"] for i in r["Ids"]]


def test_textract_endpoint_text_detection_returns_every_line_of_a_born_digital_page(service, textract, sample_job):
    """The title and the paragraphs around the tables come back as LINE and WORD blocks with
    their geometry, from the text layer; in text detection and in analysis."""
    job_id = textract.start_document_text_detection(DocumentLocation=_location())["JobId"]
    _wait(textract.get_document_text_detection, job_id)
    blocks, _answers = _all_blocks(textract.get_document_text_detection, job_id, 1000)
    title = _line(blocks, "Annual Report 2024")
    assert title["Text"] == "Annual Report 2024: Revenue and Staffing" and title["Page"] == 1
    box = title["Geometry"]["BoundingBox"]
    assert 0.05 < box["Top"] < 0.1 and box["Left"] == pytest.approx(72 / 612, abs=0.01) and box["Height"] > 0
    assert [w["Text"] for w in _words_of(blocks, title)] == ["Annual", "Report", "2024:", "Revenue", "and",
                                                                "Staffing"]
    footers = [b for b in blocks if b["BlockType"] == "LINE" and b["Text"].startswith("Regional Services Division -")]
    assert footers and all(f["Geometry"]["BoundingBox"]["Top"] > 0.9 for f in footers)  # each page's footer
    assert "Region" in [b["Text"] for b in blocks if b["BlockType"] == "LINE"]  # the tables' words too
    # text detection reads the document on its own (no table model), analysis keeps its job
    text_job = _pipeline_job(service, job_id)
    assert text_job.text_only and text_job.tables_found == 0
    assert _pipeline_job(service, sample_job).job_id != text_job.job_id
    # an analysis the API started keeps its pages' text (the upload's own job, which a start on
    # uploads/sample.pdf may share, does not): the same document where it lies in a bucket
    service.stack.aws.s3.put_object(Bucket=ARCHIVE, Key="reports/sample.pdf", Body=SAMPLE.read_bytes())
    archived = textract.start_document_analysis(DocumentLocation=_location("reports/sample.pdf", ARCHIVE),
                                                FeatureTypes=["TABLES"])["JobId"]
    _wait(textract.get_document_analysis, archived)
    assert _pipeline_job(service, archived).page_text
    analysis = textract.get_document_analysis(JobId=archived)["Blocks"]
    assert _line(analysis, "Annual Report 2024")["Geometry"] == title["Geometry"]
    assert sum(b["Text"] == "Region" for b in analysis if b["BlockType"] == "LINE") == 1  # once, in its cell


def test_textract_endpoint_text_detection_reads_the_whole_page_image(service, textract):
    """A page image has no text layer: text detection reads the whole page with OCR, not only
    the table regions, so the title and paragraphs outside the tables come back."""
    with pymupdf.open(SAMPLE) as document:
        png = document.load_page(0).get_pixmap(dpi=150).tobytes("png")
    service.stack.aws.s3.put_object(Bucket=ARCHIVE, Key="scans/page.png", Body=png)
    job_id = textract.start_document_text_detection(DocumentLocation=_location("scans/page.png", ARCHIVE))["JobId"]
    answer = _wait(textract.get_document_text_detection, job_id)
    blocks = answer["Blocks"]
    assert answer["JobStatus"] == "SUCCEEDED" and answer["DocumentMetadata"] == {"Pages": 1}
    title = _line(blocks, "Annual Report")
    assert "Revenue and Staffing" in title["Text"] and title["Geometry"]["BoundingBox"]["Top"] < 0.1
    assert [w["Text"] for w in _words_of(blocks, title)][:2] == ["Annual", "Report"]
    texts = " ".join(b["Text"] for b in blocks if b["BlockType"] == "LINE")
    assert "Regional Services Division" in texts and "Table 1: Quarterly revenue by region" in texts
    assert "North" in texts  # and the table's words
    stack = service.stack
    decision = stack.result(stack.textract.jobs.get(job_id).pipeline_job_id)["page_results"][0]["decision"]
    assert decision["ocr"] is True and "the whole page" in decision["reason"]


def test_textract_endpoint_analyze_document_answers_one_page_synchronously(service, textract):
    answer = textract.analyze_document(Document={"Bytes": _one_page_pdf()}, FeatureTypes=["TABLES"])
    assert answer["DocumentMetadata"] == {"Pages": 1}
    assert sum(b["BlockType"] == "TABLE" for b in answer["Blocks"]) == 1
    with pytest.raises(textract.exceptions.UnsupportedDocumentException, match="unsupported document format"):
        textract.analyze_document(Document={"S3Object": {"Bucket": BUCKET, "Name": "uploads/sample.pdf"}},
                                  FeatureTypes=["TABLES"])  # two pages: only the asynchronous operation


# --- errors at the wire ------------------------------------------------------------------------


def _signed(service, target: str, body: bytes, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = AWSRequest(method="POST", url=service.endpoint + "/", data=body,
                         headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1",
                                  **(headers or {})})
    SigV4Auth(Credentials("local", "local"), "textract", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=body, headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=60) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            payload = {"text": text.decode()}
        return error.code, dict(error.headers), payload


def _start_body(**changes) -> bytes:
    body = {"DocumentLocation": _location(), "FeatureTypes": ["TABLES"], **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.fixture(scope="module")
def bad_objects(service):
    s3 = service.stack.aws.s3
    s3.put_object(Bucket=ARCHIVE, Key="bad/notes.txt", Body=b"just some text, not a document\n")
    s3.put_object(Bucket=ARCHIVE, Key="bad/empty.pdf", Body=b"")
    s3.put_object(Bucket=ARCHIVE, Key="bad/broken.pdf", Body=b"%PDF-1.7\n" + b"\x00garbage" * 100)
    s3.put_object(Bucket=OTHER, Key="a.pdf", Body=SAMPLE.read_bytes())


ERRORS = [
    ("InvalidParameterException", "Textract.StartDocumentAnalysis", _start_body(FeatureTypes=["FORMS"]),
     "doctables does not do FORMS"),
    ("InvalidParameterException", "Textract.StartDocumentAnalysis", _start_body(FeatureTypes=["TABLES", "QUERIES"]),
     "doctables does not do QUERIES"),
    ("InvalidParameterException", "Textract.StartDocumentAnalysis", _start_body(FeatureTypes=["SIGNATURES"]),
     "doctables does not do SIGNATURES"),
    ("InvalidParameterException", "Textract.StartDocumentAnalysis", _start_body(DocumentLocation=None),
     "DocumentLocation is required"),
    ("InvalidParameterException", "Textract.GetDocumentAnalysis", b'{"JobId": "x", "MaxResults": 0}', "MaxResults"),
    ("InvalidS3ObjectException", "Textract.StartDocumentAnalysis",
     _start_body(DocumentLocation=_location("uploads/no/such.pdf")), "Unable to get object metadata from S3"),
    ("InvalidS3ObjectException", "Textract.StartDocumentAnalysis",
     _start_body(DocumentLocation=_location("a.pdf", OTHER)), "DOCTABLES_TEXTRACT_BUCKETS"),
    ("InvalidS3ObjectException", "Textract.StartDocumentAnalysis",
     _start_body(OutputConfig={"S3Bucket": OTHER}), "DOCTABLES_TEXTRACT_BUCKETS"),
    ("InvalidS3ObjectException", "Textract.StartDocumentAnalysis",
     _start_body(DocumentLocation=_location("results/some-job.json")), "documents are read under uploads/ only"),
    ("InvalidParameterException", "Textract.StartDocumentAnalysis",
     _start_body(OutputConfig={"S3Bucket": BUCKET, "S3Prefix": "uploads/textract"}), "pipeline's own keys"),
    ("UnsupportedDocumentException", "Textract.StartDocumentAnalysis",
     _start_body(DocumentLocation=_location("bad/notes.txt", ARCHIVE)), "unsupported document format"),
    ("BadDocumentException", "Textract.StartDocumentTextDetection",
     json.dumps({"DocumentLocation": _location("bad/empty.pdf", ARCHIVE)}).encode(), "empty"),
    ("BadDocumentException", "Textract.AnalyzeDocument",
     json.dumps({"Document": {"S3Object": {"Bucket": ARCHIVE, "Name": "bad/broken.pdf"}},
                 "FeatureTypes": ["TABLES"]}).encode(), "read the document"),
    ("DocumentTooLargeException", "Textract.AnalyzeDocument",
     json.dumps({"Document": {"Bytes": base64.b64encode(b"%PDF-" + b"0" * (10 * 1024 * 1024)).decode()},
                 "FeatureTypes": ["TABLES"]}).encode(), "maximum limit"),
    ("InvalidJobIdException", "Textract.GetDocumentAnalysis", b'{"JobId": "' + b"0" * 64 + b'"}',
     "An invalid job identifier was passed."),
    ("SerializationException", "Textract.GetDocumentAnalysis", b"{not json", "not JSON"),
    ("UnknownOperationException", "Textract.AnalyzeExpense", b"{}", "AnalyzeExpense"),
]


@pytest.mark.parametrize("kind, target, body, message", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_textract_endpoint_errors_at_the_wire(service, bad_objects, kind, target, body, message):
    status, headers, payload = _signed(service, target, body)
    assert status == 400
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert set(payload) == {"__type", "Message"} and payload["__type"] == kind
    assert message in payload["Message"]


def test_textract_endpoint_errors_reach_boto3_as_its_exceptions(service, textract, bad_objects):
    with pytest.raises(textract.exceptions.InvalidParameterException) as raised:
        textract.start_document_analysis(DocumentLocation=_location(), FeatureTypes=["LAYOUT"])
    assert raised.value.response["Error"]["Message"].startswith("doctables does not do LAYOUT")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(textract.exceptions.InvalidS3ObjectException):
        textract.start_document_analysis(DocumentLocation=_location("uploads/no/such.pdf"), FeatureTypes=["TABLES"])
    with pytest.raises(textract.exceptions.DocumentTooLargeException):
        textract.analyze_document(Document={"Bytes": b"%PDF-" + b"0" * (10 * 1024 * 1024)}, FeatureTypes=["TABLES"])


def test_textract_endpoint_throughput_limit(service, textract, monkeypatch):
    from doctables.pipeline.textract_api import RateLimit

    monkeypatch.setattr(service.stack.textract, "limit", RateLimit(1.0))
    answers = []
    for _ in range(3):
        try:
            textract.get_document_analysis(JobId="0" * 64)
        except textract.exceptions.ClientError as error:
            answers.append(error.response["Error"]["Code"])
    assert answers[0] == "InvalidJobIdException"
    assert "ProvisionedThroughputExceededException" in answers[1:]


def test_textract_endpoint_keeps_the_local_only_protections(service):
    unsigned = urllib.request.Request(service.endpoint + "/", data=b"{}", method="POST",
                                      headers={"X-Amz-Target": "Textract.GetDocumentAnalysis"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 403
    status, _headers, _payload = _signed(service, "Textract.GetDocumentAnalysis", b"{}",
                                         {"Origin": "https://evil.example"})
    assert status == 403


def test_textract_endpoint_internal_error_is_a_500_with_textracts_shape(service, textract, monkeypatch):
    def crash(data, settings):
        raise RuntimeError("the models fell over")

    monkeypatch.setattr(service.stack.textract, "extract", crash)
    status, _headers, payload = _signed(service, "Textract.AnalyzeDocument", json.dumps(
        {"Document": {"Bytes": base64.b64encode(_one_page_pdf()).decode()}, "FeatureTypes": ["TABLES"]}).encode())
    assert status == 500 and payload["__type"] == "InternalServerError"
    assert "models" not in payload["Message"]  # no internals on the wire


def test_textract_endpoint_failed_notification_is_retried_by_get(service, textract, sample_job):
    sns, sqs = boto3.client("sns", endpoint_url=service.endpoint, region_name="us-east-1"), service.stack.aws.sqs
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:created-later"
    job_id = textract.start_document_analysis(
        DocumentLocation=_location(), FeatureTypes=["TABLES"],
        NotificationChannel={"SNSTopicArn": topic, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/TextractRole"},
    )["JobId"]  # the topic does not exist yet: the start still answers
    assert sns.create_topic(Name="created-later")["TopicArn"] == topic
    queue = sqs.create_queue(QueueName="created-later")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)

    textract.get_document_analysis(JobId=job_id)
    textract.get_document_analysis(JobId=job_id)
    (received,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert json.loads(received["Body"])["JobId"] == job_id


def test_textract_endpoint_builds_a_final_answer_once_for_all_its_pages(service, textract, sample_job, monkeypatch):
    import doctables.pipeline.textract_api as textract_api

    built = []
    original = textract_api.full_response
    monkeypatch.setattr(textract_api, "full_response", lambda *args: built.append(1) or original(*args))
    monkeypatch.setattr(service.stack.textract, "_answers", {})
    blocks, answers = _all_blocks(textract.get_document_analysis, sample_job, 10)
    assert len(answers) > 5 and len(built) == 1
    assert blocks == textract.get_document_analysis(JobId=sample_job)["Blocks"]


def test_textract_client_for_a_stack_signs_for_api_gateway(service, sample_job):
    """`doctables.textract_client(stack=...)`: the API's URL from the stack's outputs, boto3's
    own client, signed for execute-api (what API Gateway's IAM auth checks)."""
    import doctables

    template = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {"TextractApiUrl": {"Value": service.endpoint + "/"}}}
    cloudformation = boto3.client("cloudformation", endpoint_url=service.endpoint, region_name="us-east-1")
    cloudformation.create_stack(StackName="DocTablesApi", TemplateBody=json.dumps(template))
    session = boto3.session.Session(region_name="us-east-1")
    client = doctables.textract_client(stack="DocTablesApi", region="us-east-1", session=session)
    seen = []
    client.meta.events.register("before-send.textract",
                                lambda request, **_: seen.append(request.headers["Authorization"]))
    assert client.get_document_analysis(JobId=sample_job)["JobStatus"] == "SUCCEEDED"
    authorization = seen[0].decode() if isinstance(seen[0], bytes) else seen[0]
    assert "/us-east-1/execute-api/aws4_request" in authorization
    template["Outputs"] = {"Other": {"Value": "x"}}
    cloudformation.create_stack(StackName="NotOurs", TemplateBody=json.dumps(template))
    with pytest.raises(ValueError, match="TextractApiUrl"):
        doctables.textract_client(stack="NotOurs", region="us-east-1", session=session)
    local = doctables.textract_client(endpoint=service.endpoint)
    assert local.get_document_analysis(JobId=sample_job)["JobStatus"] == "SUCCEEDED"
