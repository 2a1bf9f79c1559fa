"""`doctables backfill` without a deployed stack: the Distributed Map's work in this process,
against `doctables serve` (moto). Each object is started with the Textract API `serve` answers,
over its wire, as a deployed item processor starts it in its function."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from doctables.local.stack import BUCKET, REGION, TABLE
from doctables.pipeline.aws import Aws, make_aws
from doctables.pipeline.backfill import (
    Backfiller, QueueLimits, StartDocument, StartRefused, Tally, busy_reason, run_backfill,
)
from doctables.pipeline.store import JobStore
from doctables.pipeline.textract_client import textract_client
from doctables.pipeline.textract_jobs import TextractJobs

# The queue names `doctables.local.stack.create_resources` gives the range and page queues.
RANGE_QUEUE = "doctables-ranges"
PAGE_QUEUE = "doctables-pages"


@dataclass(frozen=True)
class LocalBackfill:
    """A backfill against the local stack at `endpoint`."""

    endpoint: str
    aws: Aws
    backfiller: Backfiller
    busy: Callable[[], str | None]

    @classmethod
    def at(cls, endpoint: str, limits: QueueLimits = QueueLimits()) -> "LocalBackfill":
        aws = make_aws(endpoint, REGION)
        queues = [aws.sqs.get_queue_url(QueueName=name)["QueueUrl"] for name in (RANGE_QUEUE, PAGE_QUEUE)]
        backfiller = Backfiller(aws.s3, JobStore(aws.dynamodb, TABLE), TextractJobs(aws.dynamodb, TABLE),
                                wire_starter(textract_client(endpoint=endpoint, region=REGION)))
        return cls(endpoint, aws, backfiller, lambda: busy_reason(aws.sqs, *queues, limits))

    def run(self, bucket: str, prefix: str, *, since: datetime | None = None, max_concurrency: int = 10,
            batch_size: int = 20, on_progress: Callable[[Tally], None] | None = None,
            poll_seconds: float = 1.0) -> Tally:
        """List the prefix and start what has no job, waiting while the pipeline is busy."""
        return run_backfill(self.backfiller, self.aws.s3, bucket, prefix, since=since,
                            max_concurrency=max_concurrency, batch_size=batch_size, busy=self.busy,
                            wait=lambda _reason: time.sleep(poll_seconds), on_progress=on_progress)


def wire_starter(textract: Any) -> StartDocument:
    """Starts through a boto3 Textract client; its error answers become StartRefused."""

    def start(body: dict[str, Any]) -> str:
        try:
            return str(textract.start_document_analysis(**body)["JobId"])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise StartRefused(str(error.get("Code", "Error")), str(error.get("Message", ""))) from exc

    return start


__all__ = ["LocalBackfill", "wire_starter", "BUCKET"]
