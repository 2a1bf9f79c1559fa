"""A backfill on a deployed stack: start (or find) the Step Functions execution of its
Distributed Map, follow its Map Run, and read its tally from what the ResultWriter wrote.

The input names the bucket, prefix, `since` and the Map's concurrency (`MaxConcurrencyPath`).
An execution of the same backfill (bucket, prefix, since) still running is followed rather
than started twice; one that ended is not resumed in place: a new run skips what has a job."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from doctables.pipeline.backfill import Tally, run_name

STATE_MACHINE_OUTPUT = "BackfillStateMachineArn"  # the stack output naming the state machine
BUCKETS_OUTPUT = "BackfillBuckets"  # the buckets it may list (comma-separated)


@dataclass(frozen=True)
class MapProgress:
    """Where an execution stands: its status and its Map Run's item counts."""

    status: str
    listed: int = 0
    processed: int = 0
    failed: int = 0
    to_go: int = 0

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"

    def line(self) -> str:
        return (f"{self.status.lower()}: {self.listed:,} listed, {self.processed:,} processed, "
                f"{self.failed:,} in failed batches, {self.to_go:,} to go")


@dataclass(frozen=True)
class StackBackfill:
    """The backfill state machine of one stack, with the caller's own credentials."""

    stepfunctions: Any
    s3: Any
    state_machine_arn: str
    buckets: tuple[str, ...]

    @classmethod
    def for_stack(cls, stack_name: str, region: str | None = None) -> "StackBackfill":
        import boto3

        session = boto3.session.Session(region_name=region)
        described = session.client("cloudformation").describe_stacks(StackName=stack_name)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
        if STATE_MACHINE_OUTPUT not in outputs:
            raise ValueError(f"stack {stack_name} has no {STATE_MACHINE_OUTPUT} output: deploy this version of doctables")
        buckets = tuple(b for b in outputs.get(BUCKETS_OUTPUT, "").split(",") if b)
        return cls(session.client("stepfunctions"), session.client("s3"), outputs[STATE_MACHINE_OUTPUT], buckets)

    def start(self, bucket: str, prefix: str, since: datetime | None, max_concurrency: int) -> tuple[str, bool]:
        """The execution ARN of this backfill, and whether it was already running."""
        stem = run_name(bucket, prefix, since)
        for execution in self._running():
            if execution["name"].startswith(f"{stem}-"):
                return execution["executionArn"], True
        name = f"{stem}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
        body = {"bucket": bucket, "prefix": prefix, "since": since.isoformat() if since else "",
                "max_concurrency": max_concurrency}
        answer = self.stepfunctions.start_execution(stateMachineArn=self.state_machine_arn, name=name,
                                                    input=json.dumps(body))
        return answer["executionArn"], False

    def progress(self, execution_arn: str) -> MapProgress:
        status = self.stepfunctions.describe_execution(executionArn=execution_arn)["status"]
        runs = self.stepfunctions.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
        if not runs:  # still listing, or the execution failed before its Map
            return MapProgress(status)
        counts = self.stepfunctions.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
        failed = counts.get("failed", 0) + counts.get("timedOut", 0) + counts.get("aborted", 0)
        return MapProgress(status, counts.get("total", 0), counts.get("succeeded", 0), failed,
                           counts.get("pending", 0) + counts.get("running", 0))

    def follow(self, execution_arn: str, on_progress: Callable[[MapProgress], None],
               interval: float = 5.0, sleep: Callable[[float], None] = time.sleep) -> MapProgress:
        """Report the execution's progress every `interval` seconds until it ends."""
        while True:
            progress = self.progress(execution_arn)
            on_progress(progress)
            if not progress.running:
                return progress
            sleep(interval)

    def tally(self, execution_arn: str) -> Tally | None:
        """The backfill's counts from the ResultWriter's files (None before the Map wrote them)."""
        output = self.stepfunctions.describe_execution(executionArn=execution_arn).get("output")
        details = json.loads(output).get("ResultWriterDetails") if output else None
        if not details:
            return None
        return tally_from_results(self.s3, details["Bucket"], details["Key"])

    def _running(self) -> Iterator[dict[str, Any]]:
        pages = self.stepfunctions.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING")
        for page in pages:
            yield from page.get("executions", [])


def tally_from_results(s3: Any, bucket: str, manifest_key: str) -> Tally:
    """Sum the batches' tallies (SUCCEEDED files: each child execution's Output) and count
    the items of the batches that failed for good (FAILED files: each child's Input)."""
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    files = manifest.get("ResultFiles", {})
    tally = Tally()
    for entry in files.get("SUCCEEDED", []):
        for child in _children(s3, bucket, entry["Key"]):
            output = child.get("Output")
            tally.merge(json.loads(output) if isinstance(output, str) else output or {})
    for entry in files.get("FAILED", []):
        for child in _children(s3, bucket, entry["Key"]):
            batch = child.get("Input")
            items = (json.loads(batch) if isinstance(batch, str) else batch or {}).get("Items", [])
            reason = f"{child.get('Error', 'batch failed')}: {child.get('Cause', '')}".strip()
            tally.merge({"listed": len(items), "failed": len(items),
                         "failures": [{"key": str(item.get("Key")), "reason": reason} for item in items]})
    return tally


def _children(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    return list(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
