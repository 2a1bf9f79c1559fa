"""Archive backfill: a Step Functions Distributed Map over an S3 prefix whose item processor
(`lambdas/backfill`) starts one job per object through the Textract API's own start.

Input: `{"bucket", "prefix", "since", "max_concurrency"}` (doctables.pipeline.backfill_execution
writes it). The S3 ItemReader lists the prefix (ListObjectsV2, in the bucket the input names),
the ItemBatcher hands the starter `batch_size` objects at a time with the bucket, `since` and the
queue limits, the ResultWriter writes every batch's tally under `backfill/` in the stack's
bucket. A batch the pipeline is too busy for raises `PipelineBusy` and waits in a Retry (no
compute while it waits), so the archive reaches the queues no faster than the pipeline drains
them. Child executions are STANDARD: those waits outlast an EXPRESS child's five minutes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.function_base import PythonZipFunction, ZipFunctionSpec, log_retention

HANDLER_DIR = "lambdas/backfill"
RESULTS_PREFIX = "backfill/"
BUSY_ERROR = "PipelineBusy"  # doctables.pipeline.backfill.PipelineBusy, as Lambda names the error
# A busy batch asks again after 0 to 30 s (no backoff, full jitter), for about eight hours. No
# backoff on purpose: with the Map's batches all waiting, a long sleep would let the queues run
# dry while every batch sleeps (10 batches sleeping 15 s on average take a batch of 20 documents
# every 1.5 s, faster than the pipeline drains them at the default concurrency).
BUSY_RETRY_INTERVAL = Duration.seconds(30)
BUSY_RETRY_ATTEMPTS = 2000
# Waiting work the backfill leaves in the queues (doctables.pipeline.backfill.QueueLimits):
# about 40 s of conversion and 75 s of the table stage at the default concurrency.
QUEUED_RANGES = 100
QUEUED_PAGES = 2000
# A run of a million objects waits on the pipeline for days (README, "Backfill an archive").
EXECUTION_TIMEOUT = Duration.days(30)
STARTER_MEMORY_MB = 512
STARTER_TIMEOUT = Duration.minutes(2)


class Backfill(Construct):
    """The state machine, its starter function, its log group and its role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        results_bucket: s3.IBucket,
        batch_size: int,
        tolerated_failure_percent: int,
        source_root: Path,
        layer: lambda_.ILayerVersion,
        architecture: lambda_.Architecture,
        environment: Mapping[str, str],
        log_retention_days: int,
        destroy_on_remove: bool,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.starter = PythonZipFunction(
            self, "Starter",
            spec=ZipFunctionSpec(description="doctables: start a job for each object of a backfill batch",
                                 handler_dir=HANDLER_DIR, memory_mb=STARTER_MEMORY_MB, timeout=STARTER_TIMEOUT),
            source_root=source_root, layer=layer, architecture=architecture, environment=environment,
            log_retention_days=log_retention_days, destroy_on_remove=destroy_on_remove,
            log_encryption_key=log_encryption_key,
        )
        start_batch = tasks.LambdaInvoke(
            self, "StartBatch", lambda_function=self.starter.function, payload_response_only=True,
            retry_on_service_exceptions=True,
        )
        start_batch.add_retry(errors=["Lambda.TooManyRequestsException"], interval=Duration.seconds(5),
                              max_attempts=10, backoff_rate=2, jitter_strategy=sfn.JitterType.FULL)
        start_batch.add_retry(errors=[BUSY_ERROR], interval=BUSY_RETRY_INTERVAL, max_attempts=BUSY_RETRY_ATTEMPTS,
                              backoff_rate=1, jitter_strategy=sfn.JitterType.FULL)
        self.map = sfn.DistributedMap(
            self, "Objects",
            item_reader=sfn.S3ObjectsItemReader(bucket_name_path=sfn.JsonPath.string_at("$.bucket"),
                                                prefix=sfn.JsonPath.string_at("$.prefix")),
            item_batcher=sfn.ItemBatcher(
                max_items_per_batch=batch_size,
                batch_input={"bucket.$": "$.bucket", "since.$": "$.since",
                             "limits": {"range_messages": QUEUED_RANGES, "page_messages": QUEUED_PAGES}},
            ),
            max_concurrency_path=sfn.JsonPath.string_at("$.max_concurrency"),
            tolerated_failure_percentage=tolerated_failure_percent,
            result_writer_v2=sfn.ResultWriterV2(bucket=results_bucket, prefix=RESULTS_PREFIX),
            map_execution_type=sfn.StateMachineType.STANDARD,
        )
        self.map.item_processor(start_batch)
        self.log_group = logs.LogGroup(
            self, "Logs",
            retention=log_retention(log_retention_days),
            encryption_key=log_encryption_key,
            removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
        )
        # Every permission is granted in infra/stack.py; the state machine adds none itself (CDK
        # would add s3:ListBucket on '*' for a reader whose bucket comes from the input).
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                             description="doctables: the backfill state machine")
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self.map),
            role=self.role.without_policy_updates(),
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            timeout=EXECUTION_TIMEOUT,
            comment="doctables: start a job for every supported object under an S3 prefix that has none",
        )
        # CDK's own policy for the Map's child executions would attach to nothing (the role takes
        # no updates); the stack grants the same, to this state machine's executions only.
        self.state_machine.node.try_remove_child("DistributedMapPolicy")
