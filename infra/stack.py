"""The doctables stack: composes the constructs, wires triggers, does every grant, outputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Annotations, Aws, CfnOutput, Duration, Environment, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3_notifications
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.backfill import RESULTS_PREFIX as BACKFILL_PREFIX
from infra.backfill import Backfill
from infra.conversion import Conversion, conversion_spec
from infra.dead_letters import DeadLetterHandler, dead_letter_spec
from infra.dependencies import DependenciesLayer
from infra.encryption import StackEncryption
from infra.events import EVENT_SOURCE, JobEvents, example_rule_pattern_json
from infra.monitoring import Monitoring
from infra.nag import acknowledge, acknowledge_wildcard_resources
from infra.queues import VISIBILITY_FACTOR, WorkQueue
from infra.results_table import ACTIVE_JOBS_INDEX, ResultsTable
from infra.settings import (
    PAGES_PREFIX,
    REPO_ROOT,
    RESULTS_PREFIX,
    TABLES_PREFIX,
    DocTablesSettings,
)
from infra.storage import Storage
from infra.sweeper import Sweeper
from infra.table_stage import TableStage, TextractAnalysis
from infra.textract_api import TextractApi

SERVICE_NAME = "doctables"
DEAD_LETTER_BATCH_SIZE = 10

# DynamoDB: exactly the operations doctables.pipeline.store issues. count_pages's TransactWriteItems
# is authorised as its parts (conditional Updates); the paginated Query needs no
# other action. Nothing deletes, scans or batch-writes: DeleteItem, Scan, BatchWriteItem,
# BatchGetItem, ConditionCheckItem and DescribeTable are granted to no function.
DYNAMODB_ITEM_ACCESS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
# The sweeper only closes and announces existing jobs: it reads and updates, never puts.
DYNAMODB_SWEEPER_ACCESS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query")
S3_READ = ("s3:GetObject",)
# conversion downloads the exact version the S3 event names (GetObject with VersionId)
S3_READ_VERSIONS = ("s3:GetObject", "s3:GetObjectVersion")
# The runtime writes with single-request PutObject only (no multipart upload), so neither
# s3:AbortMultipartUpload nor tagging/ACL/retention actions are granted.
S3_WRITE = ("s3:PutObject",)
# With a customer-managed key: what S3 SSE-KMS, SQS SSE-KMS and DynamoDB need from callers.
KMS_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")

# What Step Functions needs to log to CloudWatch Logs and trace to X-Ray (AWS's documented lists).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
)
X_RAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                 "xray:GetSamplingTargets")

TOPIC_REASON = (
    "Textract's NotificationChannel names the caller's SNS topic per request, so publishing is "
    "allowed to this account's topics in this region, and to no other account's."
)
OBJECT_PREFIX_REASON = (
    "Object-level S3 permission scoped to one key prefix of the upload bucket; the trailing "
    "'*' stands for the object keys under that prefix, which are created at run time."
)


def runtime_environment(
    settings: DocTablesSettings,
    *,
    bucket_name: str,
    table_name: str,
    page_queue_url: str,
    range_queue_url: str,
    event_bus_name: str,
) -> dict[str, str]:
    """Exactly the environment the runtime (``doctables.settings``) reads."""
    environment = {
        "DOCTABLES_BUCKET": bucket_name,
        "DOCTABLES_TABLE": table_name,
        "DOCTABLES_PAGE_QUEUE_URL": page_queue_url,
        "DOCTABLES_RANGE_QUEUE_URL": range_queue_url,
        "DOCTABLES_EVENT_BUS": event_bus_name,
        "DOCTABLES_UPLOAD_PREFIX": settings.upload_prefix,
        "DOCTABLES_DPI": str(settings.dpi),
        "DOCTABLES_MAX_PAGES": str(settings.max_pages),
        "DOCTABLES_MAX_BYTES": str(settings.max_bytes),
        "DOCTABLES_MAX_PAGE_PIXELS": str(settings.max_page_pixels),
        "DOCTABLES_MAX_RENDER_PIXELS": str(settings.max_render_pixels),
        "DOCTABLES_RANGE_PAGES": str(settings.range_pages),
        "DOCTABLES_MODEL_THREADS": str(settings.model_threads),
        "DOCTABLES_STRUCTURE_DECODER": settings.structure_decoder,
        "DOCTABLES_DETECTION_THRESHOLD": str(settings.detection_threshold),
        "DOCTABLES_PAGE_TTL_DAYS": str(settings.page_ttl_days),
        "DOCTABLES_JOB_DEADLINE_MINUTES": str(settings.job_deadline_minutes),
        "DOCTABLES_OCR_FULL_PAGE": "true" if settings.ocr_full_page else "false",
        "DOCTABLES_EXPORT_FORMATS": settings.export_formats,
        "DOCTABLES_PAGE_TIME_BUDGET": str(settings.page_time_budget_seconds),
        "DOCTABLES_TEXTRACT_BUCKETS": settings.textract_buckets,
        # Deployed, the Textract API's rate is API Gateway's stage throttling: a bucket per
        # Lambda container would multiply the limit by the concurrency.
        "DOCTABLES_TEXTRACT_TPS": "0",
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": SERVICE_NAME,
    }
    # The image carries default model paths; override them only when asked to.
    model_paths = {
        "DOCTABLES_DETECTION_MODEL": settings.detection_model,
        "DOCTABLES_STRUCTURE_MODEL": settings.structure_model,
        "DOCTABLES_OCR_DETECTION_MODEL": settings.ocr_detection_model,
        "DOCTABLES_OCR_RECOGNITION_MODEL": settings.ocr_recognition_model,
    }
    environment.update({name: path for name, path in model_paths.items() if path})
    return environment


class DocTablesStack(Stack):
    """Upload -> conversion (pages, page ranges) -> table stage -> results and events;
    dead letters and the sweeper make sure every job ends."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DocTablesSettings,
        source_root: Path = REPO_ROOT,
        description: str | None = None,
        env: Environment | None = None,
    ) -> None:
        super().__init__(scope, construct_id, description=description, env=env)
        self.settings = settings
        Tags.of(self).add("project", SERVICE_NAME)
        architecture = (
            lambda_.Architecture.ARM_64
            if settings.architecture == "arm64"
            else lambda_.Architecture.X86_64
        )
        conversion_timeout = Duration.seconds(settings.conversion_timeout_seconds)
        table_timeout = Duration.seconds(settings.table_timeout_seconds)
        dead_letter_timeout = Duration.seconds(settings.dead_letter_timeout_seconds)

        # --- resources -------------------------------------------------------------------
        encryption = StackEncryption(
            self,
            "Encryption",
            customer_managed=settings.encryption == "kms",
            destroy_on_remove=settings.destroy_on_remove,
        )
        key = encryption.key
        storage = Storage(
            self,
            "Storage",
            pages_lifecycle_days=settings.pages_lifecycle_days,
            access_logs_lifecycle_days=settings.access_logs_lifecycle_days,
            upload_prefix=settings.upload_prefix,
            noncurrent_version_days=settings.noncurrent_version_days,
            destroy_on_remove=settings.destroy_on_remove,
            encryption_key=key,
        )
        results = ResultsTable(
            self, "Results", encryption_key=key, destroy_on_remove=settings.destroy_on_remove
        )
        page_queue = WorkQueue(
            self,
            "PageQueue",
            consumer_timeout=table_timeout,
            dead_letter_consumer_timeout=dead_letter_timeout,
            max_receive_count=settings.max_receive_count,
            encryption_key=key,
        )
        range_queue = WorkQueue(
            self,
            "RangeQueue",
            consumer_timeout=conversion_timeout,
            dead_letter_consumer_timeout=dead_letter_timeout,
            max_receive_count=settings.max_receive_count,
            encryption_key=key,
        )
        job_events = JobEvents(self, "Events", bus_name=settings.event_bus_name)

        environment = runtime_environment(
            settings,
            bucket_name=storage.bucket.bucket_name,
            table_name=results.table.table_name,
            page_queue_url=page_queue.queue.queue_url,
            range_queue_url=range_queue.queue.queue_url,
            event_bus_name=job_events.bus.event_bus_name,
        )
        dependencies = DependenciesLayer(
            self,
            "Dependencies",
            layer_dir=source_root / "layers" / "conversion",
            architecture=architecture,
        )
        common: dict[str, Any] = {
            "source_root": source_root,
            "architecture": architecture,
            "environment": environment,
            "log_retention_days": settings.log_retention_days,
            "destroy_on_remove": settings.destroy_on_remove,
            "log_encryption_key": key,  # None unless encryption=kms
        }
        conversion = Conversion(
            self,
            "Conversion",
            spec=conversion_spec(
                memory_mb=settings.conversion_memory_mb,
                timeout=conversion_timeout,
                ephemeral_storage_mb=settings.conversion_ephemeral_storage_mb,
                reserved_concurrency=settings.conversion_reserved_concurrency,
            ),
            layer=dependencies.layer,
            **common,
        )
        # S3 invokes conversion asynchronously: an upload whose conversion crashes on every
        # retry lands, as Lambda's on-failure record, in the range DLQ, where the dead-letter
        # function fails its job, so no upload is left without a final state.
        conversion.function.configure_async_invoke(
            on_failure=_QueueDestination(range_queue.dead_letter_queue), retry_attempts=2
        )
        table_stage = TableStage(
            self,
            "TableStage",
            memory_mb=settings.table_memory_mb,
            timeout=table_timeout,
            **common,
        )
        dead_letters = DeadLetterHandler(
            self,
            "DeadLetters",
            spec=dead_letter_spec(
                memory_mb=settings.dead_letter_memory_mb, timeout=dead_letter_timeout
            ),
            layer=dependencies.layer,
            **common,
        )
        sweeper = Sweeper(
            self,
            "Sweeper",
            interval=Duration.minutes(settings.sweep_interval_minutes),
            memory_mb=settings.sweeper_memory_mb,
            timeout=Duration.seconds(settings.sweeper_timeout_seconds),
            layer=dependencies.layer,
            **common,
        )
        analysis = TextractAnalysis(self, "TextractAnalysis", memory_mb=settings.table_memory_mb, **common)
        textract = TextractApi(
            self,
            "TextractApi",
            bus=job_events.bus,
            event_source=EVENT_SOURCE,
            layer=dependencies.layer,
            analysis=analysis.function,
            **common,
        )
        backfill = Backfill(
            self,
            "Backfill",
            results_bucket=storage.bucket,
            batch_size=settings.backfill_batch_size,
            tolerated_failure_percent=settings.backfill_tolerated_failure_percent,
            layer=dependencies.layer,
            **common,
        )
        self._warn_about_a_short_deadline(settings)

        # --- triggers ----------------------------------------------------------------------
        storage.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3_notifications.LambdaDestination(conversion.function),
            s3.NotificationKeyFilter(prefix=settings.upload_prefix),
        )
        self._acknowledge_notifications_handler()
        conversion.function.add_event_source(
            event_sources.SqsEventSource(
                range_queue.queue,
                batch_size=settings.range_batch_size,
                max_concurrency=settings.range_max_concurrency,
                report_batch_item_failures=True,
            )
        )
        table_stage.function.add_event_source(
            event_sources.SqsEventSource(
                page_queue.queue,
                batch_size=settings.batch_size,
                max_batching_window=(
                    Duration.seconds(settings.max_batching_window_seconds)
                    if settings.max_batching_window_seconds
                    else None
                ),
                max_concurrency=settings.max_concurrency,
                report_batch_item_failures=True,
            )
        )
        for dead_letter_queue in (page_queue.dead_letter_queue, range_queue.dead_letter_queue):
            dead_letters.function.add_event_source(
                event_sources.SqsEventSource(
                    dead_letter_queue,
                    batch_size=DEAD_LETTER_BATCH_SIZE,
                    report_batch_item_failures=True,
                )
            )

        # --- grants: every permission of every function, here and nowhere else --------------
        # Least privilege per function, from the calls the code each one runs makes
        # (lambdas/<name>/handler.py and the doctables modules it imports; the table is only
        # touched through doctables.pipeline.store). CDK's L2 grants are not exact enough here, so the
        # statements are written out: Table.grant() adds "<table>/index/*" for every index,
        # Bucket.grant_read()/grant_put() add s3:GetBucket*/s3:List*, s3:PutObjectTagging,
        # s3:PutObjectRetention, s3:PutObjectLegalHold and s3:Abort*, and
        # EventBus.grant_put_events_to() has no events:source condition. The SQS consume grants
        # come from the event sources (what Lambda's poller needs) and the log group's
        # grant_write (CreateLogStream, PutLogEvents on that group only) is exact.
        bucket = storage.bucket
        table_only = [results.table.table_arn]
        active_jobs_index = results.index_arn(ACTIVE_JOBS_INDEX)
        upload_objects = bucket.arn_for_objects(f"{settings.upload_prefix}*")
        page_objects = bucket.arn_for_objects(f"{PAGES_PREFIX}*")
        result_objects = bucket.arn_for_objects(f"{RESULTS_PREFIX}*")
        table_objects = bucket.arn_for_objects(f"{TABLES_PREFIX}*")

        # conversion: creates the job and settles unreadable pages (PutItem, the settle
        # transaction), starts it, records sent ranges; reads the upload (the exact version the
        # event names; HeadObject fills in a missing version id), writes pages/, sends page and
        # range messages, consumes ranges. It also closes jobs (doctables.pipeline.completion): an empty,
        # corrupt or unreadable document fails in conversion, and the range that settles a job's
        # last page (unreadable) closes it, so it reads the job's items (Query on the table) and
        # spilled tables/, writes results/<job>.json (and exports under results/<job>/) and puts
        # the event. No index: it never lists jobs.
        _allow(conversion.role, S3_READ_VERSIONS, [upload_objects])
        _allow(conversion.role, S3_WRITE, [page_objects, result_objects])
        _allow(conversion.role, S3_READ, [table_objects])
        _allow(conversion.role, DYNAMODB_ITEM_ACCESS, table_only)
        _allow(
            conversion.role,
            ("sqs:SendMessage",),
            [page_queue.queue.queue_arn, range_queue.queue.queue_arn],
        )
        range_queue.queue.grant_consume_messages(conversion.role)
        _allow(conversion.role, ("sqs:SendMessage",), [range_queue.dead_letter_queue.queue_arn])

        # table stage: reads pages/, writes tables and settles pages (PutItem, the settle
        # transaction), spills large tables to tables/ and reads them back when it closes the
        # job, writes results/, consumes pages (deleting a finished page's message early, in a
        # batch holding a redelivery, uses the event source's sqs:DeleteMessage). No index.
        _allow(table_stage.role, S3_READ, [page_objects, table_objects])
        _allow(table_stage.role, S3_WRITE, [result_objects, table_objects])
        _allow(table_stage.role, DYNAMODB_ITEM_ACCESS, table_only)
        page_queue.queue.grant_consume_messages(table_stage.role)

        # dead letters: settles the pages of dead messages FAILED (the settle transaction),
        # creates the job of an upload whose conversion kept crashing (PutItem; HeadObject on the
        # upload resolves its version id, so its job id matches), closes jobs like the others
        # (tables/ read, results/ written), consumes both DLQs. No index.
        _allow(dead_letters.role, DYNAMODB_ITEM_ACCESS, table_only)
        _allow(dead_letters.role, S3_READ, [upload_objects])
        _allow(dead_letters.role, S3_READ, [table_objects])
        _allow(dead_letters.role, S3_WRITE, [result_objects])
        page_queue.dead_letter_queue.grant_consume_messages(dead_letters.role)
        range_queue.dead_letter_queue.grant_consume_messages(dead_letters.role)

        # sweeper: the only reader of an index: Query on active-jobs (stalled jobs, dead
        # closers' jobs, the announcement outbox), never jobs-by-time; fails/closes and announces
        # them (GetItem, UpdateItem, Query of the job's items), reading tables/ and writing
        # results/. It creates no item, so no PutItem.
        _allow(sweeper.role, DYNAMODB_SWEEPER_ACCESS, table_only)
        _allow(sweeper.role, ("dynamodb:Query",), [active_jobs_index])
        _allow(sweeper.role, S3_READ, [table_objects])
        _allow(sweeper.role, S3_WRITE, [result_objects])

        # Textract's API (doctables.pipeline.textract_api): reads and writes its TEXTRACT# items
        # and reads jobs (GetItem, PutItem, UpdateItem, Query of a job's items), checks a document
        # where it lies (HeadObject and a ranged GetObject of the named version: uploads in the
        # stack's bucket, anything in the allowed buckets), reads finished results, writes the
        # OutputConfig access check and pages (allowed buckets only: the stack's bucket is the
        # pipeline's), starts jobs with an object message on the range queue, and publishes
        # completions to the caller's topics in this account. The completion function delivers:
        # reads items and results, writes OutputConfig pages, publishes; it creates no item.
        allowed_objects = [f"arn:{Aws.PARTITION}:s3:::{name}/*" for name in settings.textract_bucket_names]
        account_topics = [f"arn:{Aws.PARTITION}:sns:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"]
        api_role, completion_role = textract.handler.role, textract.completion.role
        _allow(api_role, DYNAMODB_ITEM_ACCESS, table_only)
        _allow(api_role, S3_READ_VERSIONS, [upload_objects, *allowed_objects])
        _allow(api_role, S3_READ, [result_objects])
        _allow(api_role, ("sqs:SendMessage",), [range_queue.queue.queue_arn])
        # AnalyzeDocument: the API function invokes the analysis function, that one only; the
        # analysis function reads a document the request names (uploads, the allowed buckets)
        # when its bytes are too many for the invocation's payload, and nothing else.
        _allow(api_role, ("lambda:InvokeFunction",), [analysis.function.function_arn])
        _allow(analysis.role, S3_READ_VERSIONS, [upload_objects, *allowed_objects])
        _allow(completion_role, DYNAMODB_SWEEPER_ACCESS, table_only)
        _allow(completion_role, S3_READ, [result_objects])
        for role in (api_role, completion_role):
            if allowed_objects:
                _allow(role, S3_WRITE, allowed_objects)
            _allow(role, ("sns:Publish",), account_topics)
            acknowledge_wildcard_resources(role, account_topics, TOPIC_REASON)
        # conversion reads a document the API started where it lies; dead letters resolve its version
        if allowed_objects:
            _allow(conversion.role, S3_READ_VERSIONS, allowed_objects)
            _allow(dead_letters.role, S3_READ, allowed_objects)

        # Backfill (doctables.pipeline.backfill): the starter starts jobs as the Textract API does
        # (reads the Textract and job items, puts the Textract item, checks the object where it
        # lies, sends the object message) and reads the two queues' depth; it never delivers
        # (no OutputConfig, no NotificationChannel). The state machine lists only the allowed
        # buckets, invokes only the starter, writes its results under backfill/ and runs its own
        # child executions.
        _allow(backfill.starter.role, ("dynamodb:GetItem", "dynamodb:PutItem"), table_only)
        if allowed_objects:
            _allow(backfill.starter.role, S3_READ_VERSIONS, allowed_objects)
        _allow(backfill.starter.role, ("sqs:SendMessage",), [range_queue.queue.queue_arn])
        _allow(backfill.starter.role, ("sqs:GetQueueAttributes",),
               [range_queue.queue.queue_arn, page_queue.queue.queue_arn])
        self._grant_backfill_state_machine(backfill, bucket, settings.textract_bucket_names, key)

        # Every function may announce a job it closes: PutEvents on the one bus, only for
        # entries whose source is the one the runtime publishes (doctables.pipeline.events.SOURCE).
        for role in (conversion.role, table_stage.role, dead_letters.role, sweeper.role):
            _allow(
                role,
                ("events:PutEvents",),
                [job_events.bus.event_bus_arn],
                conditions={"StringEquals": {"events:source": EVENT_SOURCE}},
            )

        if key is not None:
            for role in (conversion.role, table_stage.role, dead_letters.role, sweeper.role, api_role,
                         completion_role, backfill.starter.role, analysis.role):
                _allow(role, KMS_USE, [key.key_arn])

        # --- observability -----------------------------------------------------------------
        monitoring = Monitoring(
            self,
            "Monitoring",
            functions={
                "Conversion": conversion.function,
                "TableStage": table_stage.function,
                "DeadLetters": dead_letters.function,
                "Sweeper": sweeper.function,
            },
            dead_letter_queues={
                "Page": page_queue.dead_letter_queue,
                "Range": range_queue.dead_letter_queue,
            },
            page_queue=page_queue.queue,
            range_queue=range_queue.queue,
            page_queue_age_threshold=Duration.seconds(settings.page_queue_age_alarm_seconds),
            alarm_topic_arn=settings.alarm_topic_arn,
            alarm_email=settings.alarm_email,
            encryption_key=key,
        )

        # --- outputs -----------------------------------------------------------------------
        outputs = {
            "BucketName": (bucket.bucket_name, "bucket receiving uploads, pages and results"),
            "UploadPrefix": (settings.upload_prefix, "upload documents under this key prefix"),
            "TableName": (results.table.table_name, "DynamoDB table of jobs, pages, tables"),
            "EventBusName": (job_events.bus.event_bus_name, "EventBridge bus of job events"),
            "PageQueueUrl": (page_queue.queue.queue_url, "page queue (table stage input)"),
            "RangeQueueUrl": (range_queue.queue.queue_url, "range queue (conversion input)"),
            "PageDeadLetterQueueUrl": (
                page_queue.dead_letter_queue.queue_url,
                "page dead-letter queue",
            ),
            "RangeDeadLetterQueueUrl": (
                range_queue.dead_letter_queue.queue_url,
                "range dead-letter queue",
            ),
            "ExampleRulePattern": (
                example_rule_pattern_json(),
                "EventBridge rule pattern matching doctables job events",
            ),
            "DashboardName": (monitoring.dashboard.dashboard_name, "CloudWatch dashboard"),
            "AlarmTopicArn": (monitoring.topic.topic_arn, "SNS topic every alarm notifies"),
            "TextractApiUrl": (textract.url, "Amazon Textract's API (IAM auth): doctables.textract_client(stack=...)"),
            "BackfillStateMachineArn": (
                backfill.state_machine.state_machine_arn,
                "backfill state machine: doctables backfill s3://bucket/prefix --stack NAME",
            ),
            "BackfillBuckets": (
                ",".join(settings.textract_bucket_names),
                "buckets a backfill may list (textractBuckets)",
            ),
        }
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)

        self.bucket = bucket
        self.table = results.table
        self.page_queue = page_queue
        self.range_queue = range_queue
        self.event_bus = job_events.bus
        self.conversion = conversion
        self.table_stage = table_stage
        self.dead_letters = dead_letters
        self.sweeper = sweeper
        self.textract = textract
        self.textract_analysis = analysis
        self.backfill = backfill
        self.monitoring = monitoring
        self.alarm_topic = monitoring.topic
        self.encryption_key = key

    def _grant_backfill_state_machine(
        self, backfill: Backfill, bucket: s3.IBucket, allowed_buckets: Sequence[str], key: Any
    ) -> None:
        """The state machine's whole policy, written out (its role takes no statements from CDK)."""
        role, machine = backfill.role, backfill.state_machine
        statements = [
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[backfill.starter.function.function_arn]),
            # The ResultWriter's objects (multipart for large result files).
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[bucket.arn_for_objects(f"{BACKFILL_PREFIX}*")],
            ),
            # A Distributed Map runs its child executions as executions of this state machine.
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[machine.state_machine_arn]),
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:execution:"
                           f"{machine.state_machine_name}:*"],
            ),
            iam.PolicyStatement(actions=list(LOG_DELIVERY_ACTIONS), resources=["*"]),
            iam.PolicyStatement(actions=list(X_RAY_ACTIONS), resources=["*"]),
        ]
        if allowed_buckets:  # the S3 ItemReader's ListObjectsV2
            statements.append(iam.PolicyStatement(
                actions=["s3:ListBucket"], resources=[f"arn:{Aws.PARTITION}:s3:::{name}" for name in allowed_buckets]))
        if key is not None:
            statements.append(iam.PolicyStatement(actions=list(KMS_USE), resources=[key.key_arn]))
        policy = iam.Policy(self, "BackfillPolicy", roles=[role], statements=statements)
        acknowledge_wildcard_resources(policy, [bucket.arn_for_objects(f"{BACKFILL_PREFIX}*")], OBJECT_PREFIX_REASON)
        acknowledge_wildcard_resources(policy, [statements[3].resources[0]], (
            "The Distributed Map's child executions are created at run time under this one state machine; "
            "'*' stands for their names."))
        acknowledge_wildcard_resources(policy, ["*"], (
            "CloudWatch Logs vended log delivery (Step Functions logging) and X-Ray trace writes do "
            "not support resource-level permissions; AWS documents Resource '*' for both."))

    def _warn_about_a_short_deadline(self, settings: DocTablesSettings) -> None:
        """A range message may go unprocessed for maxReceiveCount x its visibility timeout
        before its DLQ settles its pages; a shorter job deadline makes the sweeper fail the
        job first (legal, but it cuts the retries short)."""
        retry_window = (
            settings.max_receive_count * VISIBILITY_FACTOR * settings.conversion_timeout_seconds
        )
        if settings.job_deadline_minutes * 60 <= retry_window:
            Annotations.of(self).add_warning_v2(
                "doctables:shortJobDeadline",
                f"jobDeadlineMinutes={settings.job_deadline_minutes} is shorter than the range "
                f"queue's retry window ({retry_window // 60} min): the sweeper may fail jobs "
                "whose messages are still being retried.",
            )

    def _acknowledge_notifications_handler(self) -> None:
        """CDK configures bucket notifications through a singleton custom resource.

        Its role's only inline statement is already scoped to the upload bucket
        (s3:PutBucketNotification on the bucket ARN); what cdk-nag flags is the AWS managed
        basic-execution policy CDK attaches for the handler's own logs.
        """
        handler = self.node.try_find_child(
            "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
        )
        if handler is None:
            raise RuntimeError("CDK's bucket-notifications handler was not found")
        acknowledge(
            handler.node.find_child("Role"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "CDK-managed singleton handler of the bucket-notifications custom resource; it runs "
            "only during deployments and the managed policy only lets it write its own logs.",
        )


@jsii.implements(lambda_.IDestination)
class _QueueDestination:
    """An SQS on-failure destination that binds without granting: CDK's SqsDestination grants
    kms:GenerateDataKey* and kms:ReEncrypt* on a KMS-encrypted queue, wider than the explicit
    sqs:SendMessage (and the key use every function already has) granted in the stack."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(self, _scope: Construct, _fn: lambda_.IFunction, *, type: Any = None) -> lambda_.DestinationConfig:
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


def _allow(
    role: iam.IRole,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    conditions: dict[str, Any] | None = None,
) -> None:
    """Add one Allow statement to ``role``; acknowledge S3 object-prefix wildcards."""
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=list(resources), conditions=conditions)
    )
    object_prefixes = [r for r in resources if any(a.startswith("s3:") for a in actions)]
    if object_prefixes:
        acknowledge_wildcard_resources(role, object_prefixes, OBJECT_PREFIX_REASON)
