"""What a Textract job delivers when its pipeline job ends, once: the paged responses under
OutputConfig (`<prefix>/<JobId>/1`, `2`, ...) and Textract's completion message on the SNS topic.

Two paths reach a job: the completion handler, on the pipeline's `Document Processed/Failed`
event, delivers every job waiting on it; the start operation delivers at once when the
pipeline job is already final (a document read before). Either may run both at the same time
(a start just after the event): a claim with a lease on the job item lets one deliver."""

from __future__ import annotations

import gzip
import json
import logging
import os
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from doctables.model.text import TextLine, read_text_document
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import job_store
from doctables.pipeline.keys import result_text_key
from doctables.pipeline.store import Job
from doctables.pipeline.textract_jobs import TextractJob, TextractJobs, now_utc
from doctables.pipeline.textract_responses import FullResponse, final, job_status, pages

logger = logging.getLogger(__name__)
ACCESS_CHECK = ".s3_access_check"  # what Textract writes first under <prefix>/<JobId>/


def output_key(prefix: str, job_id: str, name: str) -> str:
    return f"{prefix.rstrip('/')}/{job_id}/{name}"


def full_response(job: TextractJob, pipeline_job: Job, runtime: Runtime) -> FullResponse:
    """The whole answer of a job whose pipeline job is final."""
    assert pipeline_job.result_key, f"pipeline job {pipeline_job.job_id} is final without a result"
    s3, bucket = runtime.aws.s3, runtime.settings.bucket
    body = s3.get_object(Bucket=bucket, Key=pipeline_job.result_key)["Body"].read()
    return final(job.request.api, pipeline_job, json.loads(body), job_text(pipeline_job, runtime))


def job_text(pipeline_job: Job, runtime: Runtime) -> dict[int, list[TextLine]]:
    """Every page's lines of a final job (written before its result); none for a job closed
    before the text was kept (its object is not there: NoSuchKey, or AccessDenied where the
    reader may not list the bucket)."""
    try:
        body = runtime.aws.s3.get_object(Bucket=runtime.settings.bucket,
                                         Key=result_text_key(pipeline_job.job_id))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "AccessDenied", "403"):
            return {}
        raise
    return read_text_document(gzip.decompress(body))


def deliver_waiting(pipeline_job_id: str, runtime: Runtime, sns: Any) -> list[str]:
    """Deliver every Textract job waiting on a pipeline job that has ended; the ids delivered."""
    jobs = TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name)
    return [job_id for job_id in jobs.waiting_on(pipeline_job_id) if deliver(job_id, runtime, sns)]


def deliver(job_id: str, runtime: Runtime, sns: Any, now: datetime | None = None) -> bool:
    """Write the OutputConfig objects and publish the notification of one job whose pipeline
    job is final; False when there is nothing to do (not final, delivered, or being delivered)."""
    jobs = TextractJobs(runtime.aws.dynamodb, runtime.settings.table_name)
    job = jobs.get(job_id)
    if job is None or job.delivered_at:
        return False
    pipeline_job = job_store(runtime).get_job(job.pipeline_job_id)
    if pipeline_job is None or not pipeline_job.status.final:
        return False
    token = uuid.uuid4().hex
    if not jobs.claim_delivery(job_id, token, now or now_utc()):
        return False
    try:
        if job.request.output is not None:
            write_output(job, full_response(job, pipeline_job, runtime), runtime)
        if job.request.notification is not None:
            sns.publish(TopicArn=job.request.notification.topic_arn,
                        Message=json.dumps(completion_message(job, pipeline_job)))
        jobs.delivered(job_id, token, now_utc())
    except BaseException:
        try:
            jobs.release(job_id, token)
        except Exception:  # noqa: BLE001 - the lease runs out anyway; keep the first error
            logger.exception("releasing the delivery of %s failed", job_id)
        raise
    return True


def write_output(job: TextractJob, full: FullResponse, runtime: Runtime) -> list[str]:
    """The paged responses (1,000 blocks each) as `<prefix>/<JobId>/1`, `2`, ..."""
    output = job.request.output
    assert output is not None
    keys = []
    for number, answer in enumerate(pages(full, job.job_id), start=1):
        key = output_key(output.prefix, job.job_id, str(number))
        runtime.aws.s3.put_object(Bucket=output.bucket, Key=key, Body=json.dumps(answer).encode(),
                                  ContentType="application/json", **encryption(job))
        keys.append(key)
    return keys


def encryption(job: TextractJob) -> dict[str, str]:
    """SSE-KMS with the request's KMSKeyId, as Textract encrypts its output with it."""
    if job.request.kms_key_id is None:
        return {}
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": job.request.kms_key_id}


def completion_message(job: TextractJob, pipeline_job: Job) -> dict[str, Any]:
    """Textract's SNS completion message: JobId, Status, API, JobTag, Timestamp (ms),
    DocumentLocation {S3ObjectName, S3Bucket}."""
    finished = pipeline_job.finished_at or pipeline_job.created_at
    stamp = datetime.strptime(finished, "%Y-%m-%dT%H:%M:%S.%fZ")
    milliseconds = int((stamp - datetime(1970, 1, 1)).total_seconds() * 1000)
    message: dict[str, Any] = {
        "JobId": job.job_id,
        "Status": job_status(pipeline_job),
        "API": job.request.api,
        "Timestamp": milliseconds,
        "DocumentLocation": {"S3ObjectName": job.request.document.name, "S3Bucket": job.request.document.bucket},
    }
    if job.request.job_tag is not None:
        message["JobTag"] = job.request.job_tag
    return message


def sns_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """The SNS client deliveries publish with (the stack's own credentials; RoleArn is not assumed)."""
    import boto3

    return boto3.session.Session(region_name=region).client("sns", endpoint_url=endpoint_url)


def current_sns() -> Any:
    """The SNS client for the current environment, rebuilt when its endpoint or region changes
    (as `aws.current_runtime`: one process may serve one local stack after another)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return _sns_for(os.environ.get("AWS_ENDPOINT_URL") or None, region)


@lru_cache(maxsize=4)
def _sns_for(endpoint_url: str | None, region: str | None) -> Any:
    return sns_client(endpoint_url, region)
