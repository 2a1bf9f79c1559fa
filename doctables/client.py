"""A client for a running doctables: a deployed stack, or `doctables serve` on this machine."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from doctables.model.result import ResultDocument
from doctables.model.tables import Table
from doctables.pipeline.aws import Aws, make_aws
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.keys import UPLOAD_PREFIX, upload_key
from doctables.pipeline.store import Job, JobStatus, JobStore, SourceObject

LOCAL_ENDPOINT = "http://127.0.0.1:4566"


@dataclass(frozen=True)
class StackNames:
    """Where a stack keeps things: from its CloudFormation outputs, or given by hand."""

    bucket: str
    table: str
    upload_prefix: str = UPLOAD_PREFIX

    @classmethod
    def from_stack(cls, stack_name: str, region: str | None = None) -> "StackNames":
        """Read BucketName, TableName and UploadPrefix from the stack's outputs."""
        import boto3

        cloudformation = boto3.client("cloudformation", region_name=region)
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        missing = {"BucketName", "TableName"} - outputs.keys()
        if missing:
            raise ValueError(f"stack {stack_name} has no outputs {sorted(missing)}: is it a doctables stack?")
        return cls(outputs["BucketName"], outputs["TableName"], outputs.get("UploadPrefix", UPLOAD_PREFIX))


class Client:
    """Submit documents, follow their jobs and read their results."""

    def __init__(self, names: StackNames, aws: Aws) -> None:
        self.names = names
        self.aws = aws
        self.store = JobStore(aws.dynamodb, names.table)

    @classmethod
    def for_stack(cls, stack_name: str, region: str | None = None) -> "Client":
        """A client for a deployed stack, with the caller's own AWS credentials."""
        return cls(StackNames.from_stack(stack_name, region), make_aws(region=region))

    @classmethod
    def local(cls, endpoint: str = LOCAL_ENDPOINT) -> "Client":
        """A client for `doctables serve` (moto on a loopback port; any credentials do)."""
        import os

        from doctables.local.stack import BUCKET, REGION, TABLE

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        return cls(StackNames(BUCKET, TABLE), make_aws(endpoint, REGION))

    def submit(self, path: Path | str, *, key: str | None = None) -> str:
        """Upload a document under the upload prefix; returns the id its job will have."""
        path = Path(path)
        key = upload_key(key or path.name, self.names.upload_prefix)
        answer = self.aws.s3.put_object(Bucket=self.names.bucket, Key=key, Body=path.read_bytes())
        version = answer.get("VersionId")
        source = SourceObject(self.names.bucket, key, None if version in (None, "null") else version,
                              answer["ETag"].strip('"'))
        return job_id_for(source)

    def status(self, job_id: str) -> Job | None:
        """The job as it stands, or None when it does not exist (yet)."""
        return self.store.get_job(job_id)

    def jobs(self, limit: int = 50) -> list[Job]:
        """Newest jobs first."""
        return self.store.list_jobs(limit)

    def wait(
        self,
        job_id: str,
        *,
        timeout: float = 900.0,
        poll: float = 1.0,
        on_progress: Callable[[Job | None], None] | None = None,
    ) -> Job:
        """Poll until the job is final and announced; raise TimeoutError past `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.status(job_id)
            if on_progress:
                on_progress(job)
            if job is not None and job.status.final and job.announced:
                return job
            if time.monotonic() > deadline:
                state = job.status.value if job else "not created"
                raise TimeoutError(f"job {job_id} is still {state} after {timeout:.0f} s")
            time.sleep(poll)

    def result(self, job_id: str) -> ResultDocument:
        """The job's result document (results/<job>.json); `.to_dict()` gives its JSON."""
        job = self.status(job_id)
        if job is None:
            raise KeyError(f"no job {job_id}")
        if not job.result_key:
            raise RuntimeError(f"job {job_id} is {job.status.value}: no result yet")
        body = self.aws.s3.get_object(Bucket=self.names.bucket, Key=job.result_key)["Body"].read()
        return ResultDocument.from_dict(json.loads(body))

    def tables(self, job_id: str) -> list[Table]:
        """The job's tables as typed objects."""
        return self.result(job_id).tables

    def dataframes(self, job_id: str) -> list[Any]:
        """The job's tables as pandas DataFrames."""
        from doctables.outputs.exports import to_pandas

        return [to_pandas(t) for t in self.tables(job_id)]

    def download(self, job_id: str, out_dir: Path, formats: list[str]) -> list[Path]:
        """Write the job's result in the given formats (json, textract, csv, xlsx, md, html)."""
        from doctables.outputs.exports import write_exports

        result = self.result(job_id)
        return write_exports(result, Path(out_dir), formats, result.stem)


__all__ = ["Client", "StackNames", "JobStatus", "LOCAL_ENDPOINT"]
