"""Job identity: which job an uploaded object version belongs to, and failing it from outside."""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from doctables.errors import ErrorCode
from doctables.pipeline.aws import Runtime
from doctables.pipeline.completion import fail_job, job_store
from doctables.pipeline.store import SourceObject


def job_id_for(source: SourceObject, *, text_only: bool = False) -> str:
    """Stable id of the job for one version of one object: duplicate events map to it.
    `text_only`: the job that reads only the version's text (Textract's text detection), a job
    of its own beside the one that finds its tables."""
    identity = source.version_id or source.etag or ""
    reads = "\ntext" if text_only else ""
    digest = hashlib.sha256(f"{source.bucket}\n{source.key}\n{identity}{reads}".encode()).hexdigest()
    return digest[:32]


def with_version(source: SourceObject, runtime: Runtime) -> SourceObject:
    """Fill in the version id when the event lacks it (moto omits it even on versioned buckets),
    so the job id is the same one a client computes from its PutObject answer."""
    if source.version_id or not source.etag:
        return source
    try:
        head = runtime.aws.s3.head_object(Bucket=source.bucket, Key=source.key, IfMatch=f'"{source.etag.strip(chr(34))}"')
    except ClientError:
        return source  # gone or overwritten: the download will say so
    version = head.get("VersionId")
    if not version or version == "null":
        return source
    return SourceObject(source.bucket, source.key, version, source.etag, source.size)


def fail_upload(source: SourceObject, runtime: Runtime, message: str, *, text_only: bool = False,
                page_text: bool = False) -> str:
    """Record that converting an upload kept crashing: the job (created if the crash came
    before it, as `convert_upload` creates it) ends FAILED and is announced. Returns the job id."""
    source = with_version(source, runtime)
    job_id = job_id_for(source, text_only=text_only)
    store = job_store(runtime)
    store.create_job(job_id, source, text_only=text_only, page_text=page_text)
    fail_job(job_id, ErrorCode.CONVERSION_FAILED_REPEATEDLY, message, runtime)  # or announces it, if final
    return job_id
