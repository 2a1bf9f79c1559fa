"""Textract's API as domain code: requests read as Textract reads them (the shapes of its API
reference), paging, the completion message, and on moto the job items, idempotency, starting
an object where it lies and delivering once. The wire (boto3, textractor) is in
tests/local/test_textract_endpoint.py."""

from __future__ import annotations

import json

import pytest

from doctables.pipeline.textract_errors import InvalidParameterException
from doctables.pipeline.textract_requests import analyze_request, get_request, start_request
from doctables.pipeline.textract_responses import FullResponse, page, pages, text_blocks

# The request of the StartDocumentAnalysis reference, with every member filled in.
DOCUMENTED_START = {
    "DocumentLocation": {"S3Object": {"Bucket": "amzn-s3-demo-bucket", "Name": "invoices/2024-03.pdf",
                                      "Version": "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY"}},
    "FeatureTypes": ["TABLES"],
    "ClientRequestToken": "invoice-2024-03",
    "JobTag": "invoices",
    "NotificationChannel": {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonTextract-done",
                            "RoleArn": "arn:aws:iam::123456789012:role/TextractRole"},
    "OutputConfig": {"S3Bucket": "amzn-s3-demo-bucket", "S3Prefix": "textract-output"},
}


def _with(**changes) -> dict:
    body = json.loads(json.dumps(DOCUMENTED_START))
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_textract_documented_start_request_is_read_whole():
    request = start_request("StartDocumentAnalysis", DOCUMENTED_START)
    assert request.document.bucket == "amzn-s3-demo-bucket"
    assert request.document.version == "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY"
    assert request.features == ("TABLES",)
    assert (request.token, request.job_tag) == ("invoice-2024-03", "invoices")
    assert request.notification.topic_arn.endswith(":AmazonTextract-done")
    assert (request.output.bucket, request.output.prefix) == ("amzn-s3-demo-bucket", "textract-output")


def test_textract_output_prefix_defaults_as_textract_does():
    request = start_request("StartDocumentAnalysis", _with(OutputConfig={"S3Bucket": "amzn-s3-demo-bucket"}))
    assert request.output.prefix == "textract_output"


@pytest.mark.parametrize("feature", ["FORMS", "QUERIES", "SIGNATURES", "LAYOUT"])
def test_textract_refuses_what_doctables_does_not_do_by_name(feature):
    with pytest.raises(InvalidParameterException, match=f"doctables does not do {feature}"):
        start_request("StartDocumentAnalysis", _with(FeatureTypes=["TABLES", feature]))
    with pytest.raises(InvalidParameterException, match=f"doctables does not do {feature}"):
        analyze_request({"Document": {"Bytes": "JVBERi0="}, "FeatureTypes": [feature]})


@pytest.mark.parametrize("body, member", [
    (_with(DocumentLocation=None), "DocumentLocation"),
    (_with(DocumentLocation={"S3Object": {"Bucket": "b!", "Name": "k"}}), "Bucket"),
    (_with(DocumentLocation={"S3Object": {"Bucket": "bucket", "Name": "   "}}), "Name"),
    (_with(FeatureTypes=[]), "FeatureTypes"),
    (_with(FeatureTypes=["TABLE"]), "FeatureTypes"),
    (_with(ClientRequestToken="has space"), "ClientRequestToken"),
    (_with(ClientRequestToken="x" * 65), "ClientRequestToken"),
    (_with(JobTag="tag/with/slash"), "JobTag"),
    (_with(NotificationChannel={"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:t"}), "RoleArn"),
    (_with(NotificationChannel={"SNSTopicArn": "topic", "RoleArn": "arn:aws:iam::123456789012:role/R"}),
     "SNSTopicArn"),
    (_with(OutputConfig={"S3Prefix": "p"}), "S3Bucket"),
    (_with(QueriesConfig={"Queries": [{"Text": "total?"}]}), "QueriesConfig"),
    (_with(KMSKeyId="key", OutputConfig=None), "KMSKeyId"),
])
def test_textract_start_validation_names_the_member(body, member):
    with pytest.raises(InvalidParameterException, match=member):
        start_request("StartDocumentAnalysis", body)


def test_textract_text_detection_takes_no_feature_types():
    request = start_request("StartDocumentTextDetection", {"DocumentLocation": DOCUMENTED_START["DocumentLocation"]})
    assert request.features == ()


def test_textract_get_request_caps_max_results_and_checks_it():
    assert get_request({"JobId": "a" * 64}).max_results == 1000
    assert get_request({"JobId": "a" * 64, "MaxResults": 5000}).max_results == 1000
    for bad in (0, -1, "10", True):
        with pytest.raises(InvalidParameterException, match="MaxResults"):
            get_request({"JobId": "a" * 64, "MaxResults": bad})
    with pytest.raises(InvalidParameterException, match="JobId"):
        get_request({"JobId": "../etc"})


def test_textract_analyze_request_decodes_bytes_and_refuses_human_loops():
    assert analyze_request({"Document": {"Bytes": "JVBERi0="}, "FeatureTypes": ["TABLES"]}).data == b"%PDF-"
    with pytest.raises(InvalidParameterException, match="base64"):
        analyze_request({"Document": {"Bytes": "not base64!"}, "FeatureTypes": ["TABLES"]})
    with pytest.raises(InvalidParameterException, match="HumanLoopConfig"):
        analyze_request({"Document": {"Bytes": "JVBERi0="}, "FeatureTypes": ["TABLES"],
                         "HumanLoopConfig": {"HumanLoopName": "h", "FlowDefinitionArn": "arn"}})


def _full(count: int) -> FullResponse:
    blocks = [{"BlockType": "WORD", "Id": str(i)} for i in range(count)]
    return FullResponse({"JobStatus": "SUCCEEDED", "DocumentMetadata": {"Pages": 1}}, blocks)


def test_textract_pages_cover_every_block_once_in_order():
    full = _full(2501)
    answers = pages(full, "job-1")
    assert [len(a["Blocks"]) for a in answers] == [1000, 1000, 501]
    assert [b["Id"] for a in answers for b in a["Blocks"]] == [str(i) for i in range(2501)]
    assert all(a["JobStatus"] == "SUCCEEDED" for a in answers)
    assert "NextToken" not in answers[-1]
    assert "NextToken" not in page(_full(1000), "job-1", 1000, None)


def test_textract_next_token_belongs_to_its_job_and_offset():
    full = _full(30)
    token = page(full, "job-1", 10, None)["NextToken"]
    assert page(full, "job-1", 10, token)["Blocks"][0]["Id"] == "10"
    for bad in (token + "x", "garbage", page(full, "job-2", 10, None)["NextToken"]):
        with pytest.raises(InvalidParameterException, match="NextToken"):
            page(full, "job-1", 10, bad)


def test_textract_text_detection_keeps_pages_lines_and_words():
    blocks = [
        {"BlockType": "PAGE", "Id": "p", "Relationships": [{"Type": "CHILD", "Ids": ["l", "t"]}]},
        {"BlockType": "WORD", "Id": "w"}, {"BlockType": "LINE", "Id": "l"},
        {"BlockType": "TABLE", "Id": "t"}, {"BlockType": "CELL", "Id": "c"},
    ]
    kept = text_blocks(blocks)
    assert [b["BlockType"] for b in kept] == ["PAGE", "WORD", "LINE"]
    assert kept[0]["Relationships"] == [{"Type": "CHILD", "Ids": ["l"]}]
    assert blocks[0]["Relationships"][0]["Ids"] == ["l", "t"]  # the input is left alone


def test_textract_rate_limit_refuses_past_its_rate():
    from doctables.pipeline.textract_api import RateLimit

    now = [0.0]
    limit = RateLimit(2.0, clock=lambda: now[0])
    assert [limit.take("Get") for _ in range(3)] == [True, True, False]
    assert limit.take("Start")  # per operation
    now[0] = 0.5
    assert limit.take("Get") and not limit.take("Get")
    assert all(RateLimit(0).take("Get") for _ in range(100))


def _pipeline_job(status: str, pages=(2, 1, 1)):
    from doctables.pipeline.store import Job, JobStatus, SourceObject

    total, done, failed = pages
    return Job("j" * 32, JobStatus(status), SourceObject("b", "k", None, "e"), total, done, failed, 0,
               "2024-01-01T00:00:00.000000Z", "2024-01-01T00:01:00.500000Z", None, None, "results/x.json", True)


def _result(status: str) -> dict:
    return {"job_id": "j" * 32, "status": status, "pages": {"total": 2, "done": 1, "failed": 1},
            "error": None, "tables": [],
            "page_results": [{"page": 1, "status": "DONE", "width": 612.0, "height": 792.0},
                             {"page": 2, "status": "FAILED", "error": {"code": "PAGE_TIMEOUT", "message": "slow"}}]}


def test_textract_status_partial_success_names_failed_pages_in_warnings():
    from doctables.pipeline.textract_responses import ANALYSIS, TEXT_DETECTION, final, in_progress

    full = final(ANALYSIS, _pipeline_job("PARTIALLY_SUCCEEDED"), _result("PARTIALLY_SUCCEEDED"))
    assert full.header["JobStatus"] == "PARTIAL_SUCCESS"
    assert full.header["Warnings"] == [{"ErrorCode": "PAGE_TIMEOUT", "Pages": [2]}]
    assert full.header["StatusMessage"] == "1 page(s) failed: 2"
    assert full.header["DocumentMetadata"] == {"Pages": 2}
    assert [b["Page"] for b in full.blocks if b["BlockType"] == "PAGE"] == [1, 2]
    failed = final(TEXT_DETECTION, _pipeline_job("FAILED", (2, 0, 2)),
                   {**_result("FAILED"), "error": {"code": "ALL_PAGES_FAILED", "message": "all 2 pages failed"}})
    assert (failed.header["JobStatus"], failed.blocks) == ("FAILED", [])
    assert failed.header["StatusMessage"] == "ALL_PAGES_FAILED: all 2 pages failed"
    assert "DetectDocumentTextModelVersion" in failed.header
    running = in_progress(ANALYSIS, _pipeline_job("RUNNING"))
    assert running.header["JobStatus"] == "IN_PROGRESS" and running.header["DocumentMetadata"] == {"Pages": 2}
    assert in_progress(ANALYSIS, None).header == {"JobStatus": "IN_PROGRESS", "AnalyzeDocumentModelVersion": "1.0"}


def test_textract_completion_message_has_textracts_shape():
    from doctables.pipeline.textract_delivery import completion_message
    from doctables.pipeline.textract_jobs import TextractJob

    request = start_request("StartDocumentAnalysis", DOCUMENTED_START)
    job = TextractJob("a" * 64, request, "h", "j" * 32, "2024-01-01T00:00:00.000000Z")
    assert completion_message(job, _pipeline_job("PARTIALLY_SUCCEEDED")) == {
        "JobId": "a" * 64, "Status": "PARTIAL_SUCCESS", "API": "StartDocumentAnalysis", "JobTag": "invoices",
        "Timestamp": 1704067260500,
        "DocumentLocation": {"S3ObjectName": "invoices/2024-03.pdf", "S3Bucket": "amzn-s3-demo-bucket"},
    }


# --- on moto ---------------------------------------------------------------------------------


def _api(runtime):
    from doctables.pipeline.textract_api import TextractApi

    return TextractApi(runtime, sns=None)


def _queued(runtime) -> list[dict]:
    answer = runtime.aws.sqs.receive_message(QueueUrl=runtime.settings.range_queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_textract_start_points_the_pipeline_at_the_object_where_it_lies(sample_bytes):
    from doctables.local.stack import moto_runtime
    from doctables.pipeline.jobs import job_id_for
    from doctables.pipeline.store import SourceObject

    with moto_runtime(textract_buckets="archive") as runtime:
        s3 = runtime.aws.s3
        s3.create_bucket(Bucket="archive")
        s3.put_object(Bucket="archive", Key="2019/scan.pdf", Body=sample_bytes)
        etag = s3.head_object(Bucket="archive", Key="2019/scan.pdf")["ETag"].strip('"')
        api = _api(runtime)
        body = {"DocumentLocation": {"S3Object": {"Bucket": "archive", "Name": "2019/scan.pdf"}},
                "FeatureTypes": ["TABLES"]}
        job_id = api.call("StartDocumentAnalysis", body)["JobId"]

        (message,) = _queued(runtime)
        assert message["kind"] == "object"
        assert (message["bucket"], message["key"], message["size"]) == ("archive", "2019/scan.pdf", len(sample_bytes))
        assert s3.list_objects_v2(Bucket=runtime.settings.bucket).get("KeyCount", 0) == 0  # nothing copied
        job = api.jobs.get(job_id)
        assert job.pipeline_job_id == job_id_for(SourceObject("archive", "2019/scan.pdf", None, etag))
        assert len(job_id) == 64 and job_id != api.call("StartDocumentAnalysis", body)["JobId"]  # no token: new job


def test_textract_client_request_token_is_one_item_with_a_derived_key(sample_bytes):
    from doctables.local.stack import moto_runtime
    from doctables.pipeline.textract_errors import IdempotentParameterMismatchException
    from doctables.pipeline.textract_jobs import job_id_for

    with moto_runtime() as runtime:
        runtime.aws.s3.put_object(Bucket=runtime.settings.bucket, Key="uploads/a.pdf", Body=sample_bytes)
        api = _api(runtime)
        body = {"DocumentLocation": {"S3Object": {"Bucket": runtime.settings.bucket, "Name": "uploads/a.pdf"}},
                "FeatureTypes": ["TABLES"], "ClientRequestToken": "once", "JobTag": "t1"}
        first = api.call("StartDocumentAnalysis", body)["JobId"]
        assert api.call("StartDocumentAnalysis", body)["JobId"] == first
        assert len(_queued(runtime)) == 1  # the repeat started nothing
        assert first == job_id_for(start_request("StartDocumentAnalysis", body))
        item = runtime.aws.dynamodb.get_item(TableName=runtime.settings.table_name,
                                             Key={"pk": {"S": f"TEXTRACT#{first}"}, "sk": {"S": "JOB"}})["Item"]
        assert json.loads(item["request"]["S"])["job_tag"] == "t1"
        with pytest.raises(IdempotentParameterMismatchException):
            api.call("StartDocumentAnalysis", {**body, "JobTag": "t2"})
        # the same token on the other operation is another job
        other = api.call("StartDocumentTextDetection", {k: v for k, v in body.items() if k != "FeatureTypes"})
        assert other["JobId"] != first


def test_textract_object_message_converts_any_key_of_an_allowed_bucket(sample_bytes):
    from doctables.local.stack import moto_runtime
    from doctables.pipeline.conversion import convert_upload
    from doctables.pipeline.store import SourceObject

    with moto_runtime() as runtime:
        runtime.aws.s3.put_object(Bucket=runtime.settings.bucket, Key="elsewhere/a.pdf", Body=sample_bytes)
        source = SourceObject(runtime.settings.bucket, "elsewhere/a.pdf", None, None, len(sample_bytes))
        assert convert_upload(source, runtime).status == "ignored"  # an S3 notification outside the prefix
        outcome = convert_upload(source, runtime, requested=True)
        assert (outcome.status, outcome.pages) == ("created", 2)


def test_textract_delivery_happens_once_for_concurrent_deliverers(sample_bytes):
    from doctables.local.stack import moto_runtime
    from doctables.pipeline.completion import fail_job
    from doctables.errors import ErrorCode
    from doctables.pipeline.textract_delivery import deliver, deliver_waiting

    with moto_runtime() as runtime:
        runtime.aws.s3.put_object(Bucket=runtime.settings.bucket, Key="uploads/a.pdf", Body=sample_bytes)
        api = _api(runtime)
        body = {"DocumentLocation": {"S3Object": {"Bucket": runtime.settings.bucket, "Name": "uploads/a.pdf"}},
                "FeatureTypes": ["TABLES"], "OutputConfig": {"S3Bucket": runtime.settings.bucket, "S3Prefix": "o"}}
        job_id = api.call("StartDocumentAnalysis", body)["JobId"]
        job = api.jobs.get(job_id)
        assert deliver(job_id, runtime, sns=None) is False  # the pipeline job is not final yet
        from doctables.pipeline.completion import job_store
        from doctables.pipeline.store import SourceObject

        store = job_store(runtime)
        store.create_job(job.pipeline_job_id, SourceObject(runtime.settings.bucket, "uploads/a.pdf", None, None))
        fail_job(job.pipeline_job_id, ErrorCode.CORRUPT_DOCUMENT, "broken", runtime)

        assert deliver_waiting(job.pipeline_job_id, runtime, sns=None) == [job_id]
        assert deliver_waiting(job.pipeline_job_id, runtime, sns=None) == []
        s3, bucket = runtime.aws.s3, runtime.settings.bucket
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="o/")["Contents"]]
        assert sorted(keys) == [f"o/{job_id}/.s3_access_check", f"o/{job_id}/1"]
        written = json.loads(s3.get_object(Bucket=bucket, Key=f"o/{job_id}/1")["Body"].read())
        assert written["JobStatus"] == "FAILED" and written["StatusMessage"].startswith("CORRUPT_DOCUMENT")
        assert written["Blocks"] == []


def test_textract_api_handler_answers_api_gateway_proxy_events(sample_bytes, lambda_environment):
    import base64 as b64
    import importlib

    from doctables.local.stack import LambdaContext, moto_runtime

    with moto_runtime() as runtime:
        lambda_environment(runtime.settings)
        handler = importlib.import_module("lambdas.textract_api.handler")
        runtime.aws.s3.put_object(Bucket=runtime.settings.bucket, Key="uploads/a.pdf", Body=sample_bytes)

        def call(target: str, body: dict, encoded: bool = False) -> dict:
            text = json.dumps(body)
            event = {"httpMethod": "POST", "path": "/", "resource": "/", "requestContext": {},
                     "headers": {"x-amz-target": target, "Content-Type": "application/x-amz-json-1.1"},
                     "body": b64.b64encode(text.encode()).decode() if encoded else text,
                     "isBase64Encoded": encoded}
            return handler.handler(event, LambdaContext("textract_api"))

        started = call("Textract.StartDocumentAnalysis", {
            "DocumentLocation": {"S3Object": {"Bucket": runtime.settings.bucket, "Name": "uploads/a.pdf"}},
            "FeatureTypes": ["TABLES"]}, encoded=True)
        assert started["statusCode"] == 200
        assert started["headers"]["Content-Type"] == "application/x-amz-json-1.1"
        job_id = json.loads(started["body"])["JobId"]
        answer = call("Textract.GetDocumentAnalysis", {"JobId": job_id})
        assert (answer["statusCode"], json.loads(answer["body"])["JobStatus"]) == (200, "IN_PROGRESS")
        refused = call("Textract.AnalyzeDocument", {"Document": {"Bytes": "JVBERi0="}, "FeatureTypes": ["TABLES"]})
        assert refused["statusCode"] == 400
        assert json.loads(refused["body"])["__type"] == "UnknownOperationException"
        missing = call("Textract.GetDocumentAnalysis", {"JobId": "0" * 64})
        assert json.loads(missing["body"]) == {"__type": "InvalidJobIdException",
                                               "Message": "An invalid job identifier was passed."}


@pytest.mark.parametrize("prefix, refused", [("uploads", True), ("uploads/out", True), ("results", True),
                                             ("pages/x", True), ("", False), ("textract_output", False),
                                             ("up", False)])
def test_textract_output_config_keeps_out_of_the_pipelines_keys(sample_bytes, prefix, refused):
    from doctables.local.stack import moto_runtime

    with moto_runtime() as runtime:
        bucket = runtime.settings.bucket
        runtime.aws.s3.put_object(Bucket=bucket, Key="uploads/a.pdf", Body=sample_bytes)
        output = {"S3Bucket": bucket, "S3Prefix": prefix} if prefix else {"S3Bucket": bucket}
        body = {"DocumentLocation": {"S3Object": {"Bucket": bucket, "Name": "uploads/a.pdf"}},
                "FeatureTypes": ["TABLES"], "OutputConfig": output}
        if refused:
            with pytest.raises(InvalidParameterException, match="pipeline's own keys"):
                _api(runtime).call("StartDocumentAnalysis", body)
            assert runtime.aws.s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 1  # not even the check
        else:
            assert _api(runtime).call("StartDocumentAnalysis", body)["JobId"]
