"""Textract jobs as items in the pipeline's own table, beside the jobs they read.

  TEXTRACT#<JobId>, JOB           the Textract job: the request (operation, document, JobTag,
                                  NotificationChannel, OutputConfig), a hash of it for the
                                  ClientRequestToken check, the pipeline job it reads, and its
                                  delivery (OutputConfig objects + SNS message): claim, then done
  JOB#<pipeline job>, TEXTRACT#<JobId>
                                  a delivery waiting for that pipeline job to end (only for jobs
                                  with a NotificationChannel or an OutputConfig): what the
                                  completion handler looks up from the pipeline's event

With a ClientRequestToken the JobId is derived from the operation and the token, so the
idempotency record is the job item itself: one conditional put, no second table."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from doctables.pipeline.textract_requests import Notification, Output, S3Location, StartRequest

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# Longer than any delivery takes (writing the output pages and one SNS publish).
DELIVERY_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class TextractJob:
    job_id: str
    request: StartRequest
    request_hash: str
    pipeline_job_id: str
    created_at: str
    delivered_at: str | None = None


def job_id_for(request: StartRequest) -> str:
    """64 hex digits, as Textract's JobIds: from the token when there is one (the same token
    names the same job), else random."""
    if request.token is None:
        return secrets.token_hex(32)
    return hashlib.sha256(f"textract\n{request.api}\n{request.token}".encode()).hexdigest()


def request_hash(request: StartRequest) -> str:
    return hashlib.sha256(json.dumps(request.identity(), sort_keys=True).encode()).hexdigest()


class TextractJobs:
    """Reads and writes of the Textract items."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def create(self, job: TextractJob) -> TextractJob:
        """Put the job unless its JobId exists; returns the job stored under that id (this
        one, or the earlier one a repeated ClientRequestToken names)."""
        item = {
            "pk": _pk(job.job_id), "sk": "JOB", "job_id": job.job_id, "request_hash": job.request_hash,
            "request": json.dumps(job.request.identity() | {"token": job.request.token}),
            "pipeline_job_id": job.pipeline_job_id, "created_at": job.created_at,
        }
        try:
            self.client.put_item(TableName=self.table, Item=_item(item), ConditionExpression="attribute_not_exists(pk)")
            return job
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        stored = self.get(job.job_id)
        assert stored is not None, "a conditional put failed on an item that is not there"
        return stored

    def get(self, job_id: str) -> TextractJob | None:
        answer = self.client.get_item(TableName=self.table, Key=_item({"pk": _pk(job_id), "sk": "JOB"}),
                                      ConsistentRead=True)
        raw = answer.get("Item")
        return _job(_plain(raw)) if raw else None

    def wait_for(self, pipeline_job_id: str, job_id: str) -> None:
        """Record that `job_id` is delivered when the pipeline job ends."""
        self.client.put_item(TableName=self.table, Item=_item({
            "pk": f"JOB#{pipeline_job_id}", "sk": f"TEXTRACT#{job_id}", "textract_job_id": job_id}))

    def waiting_on(self, pipeline_job_id: str) -> list[str]:
        """The Textract jobs to deliver when the pipeline job ends."""
        ids: list[str] = []
        for page in self.client.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :textract)",
            ExpressionAttributeValues=_item({":pk": f"JOB#{pipeline_job_id}", ":textract": "TEXTRACT#"}),
            ConsistentRead=True,
        ):
            ids.extend(_plain(raw)["textract_job_id"] for raw in page.get("Items", []))
        return ids

    def claim_delivery(self, job_id: str, token: str, now: datetime) -> bool:
        """Take the job's delivery unless it is done or another live holder has it."""
        return self._update(
            job_id, "SET delivery_token = :token, delivery_until = :until",
            "attribute_exists(pk) AND attribute_not_exists(delivered_at)"
            " AND (attribute_not_exists(delivery_until) OR delivery_until < :now)",
            {":token": token, ":until": _iso(now + DELIVERY_LEASE), ":now": _iso(now)})

    def delivered(self, job_id: str, token: str, now: datetime) -> bool:
        return self._update(job_id, "SET delivered_at = :now REMOVE delivery_token, delivery_until",
                            "delivery_token = :token", {":token": token, ":now": _iso(now)})

    def release(self, job_id: str, token: str) -> bool:
        return self._update(job_id, "REMOVE delivery_token, delivery_until", "delivery_token = :token",
                            {":token": token})

    def _update(self, job_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self.client.update_item(TableName=self.table, Key=_item({"pk": _pk(job_id), "sk": "JOB"}),
                                    UpdateExpression=expression, ConditionExpression=condition,
                                    ExpressionAttributeValues=_item(values))
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_now() -> str:
    return _iso(now_utc())


def _pk(job_id: str) -> str:
    return f"TEXTRACT#{job_id}"


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in raw.items()}


def _job(item: dict[str, Any]) -> TextractJob:
    stored = json.loads(item["request"])
    document = S3Location(**stored["document"])
    notification = Notification(**stored["notification"]) if stored["notification"] else None
    output = Output(**stored["output"]) if stored["output"] else None
    request = StartRequest(
        api=stored["api"], document=document, features=tuple(stored["features"]), token=stored.get("token"),
        job_tag=stored["job_tag"], notification=notification, output=output, kms_key_id=stored["kms_key_id"],
    )
    return TextractJob(item["job_id"], request, item["request_hash"], item["pipeline_job_id"], item["created_at"],
                       item.get("delivered_at"))
