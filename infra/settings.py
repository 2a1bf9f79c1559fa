"""Deployment settings: every tunable of the stack, read once from CDK context.

The defaults live in ``cdk.json`` (its ``context`` block) and nowhere else; ``-c key=value``
on the CDK command line overrides them. ``app.py`` builds one :class:`DocTablesSettings`
and hands it down to the constructs explicitly. Values from the command line arrive as
strings, values from ``cdk.json`` as JSON types; both are accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"

Architecture = Literal["arm64", "x86_64"]
Encryption = Literal["managed", "kms"]

# Object key prefixes the runtime writes; fixed by the runtime, not tunable.
PAGES_PREFIX = "pages/"
RESULTS_PREFIX = "results/"
TABLES_PREFIX = "tables/"
GENERATED_PREFIXES = (PAGES_PREFIX, RESULTS_PREFIX, TABLES_PREFIX)
# What DOCTABLES_EXPORT_FORMATS accepts (doctables.outputs.exports.FORMATS; infra does not import runtime code).
EXPORT_FORMATS = ("json", "textract", "csv", "xlsx", "md", "html")

# CloudWatch Logs accepts only these retention periods (days); 0 means never expire.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")

LOG_RETENTION_DAYS = (
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


@dataclass(frozen=True)
class ContextKey:
    """One CDK context key: its settings field, its type and what it means."""

    key: str
    field: str
    kind: type
    meaning: str


# Every context key the app reads, in the order infra/CONTEXT.md lists them.
CONTEXT_KEYS: tuple[ContextKey, ...] = (
    ContextKey("stackName", "stack_name", str, "CloudFormation stack name"),
    ContextKey("architecture", "architecture", str,
               "Lambda architecture of all functions, the layer and the image: `arm64` or `x86_64`"),
    ContextKey("encryption", "encryption", str,
               "`managed`: S3-managed, SQS-managed and AWS-owned DynamoDB encryption; "
               "`kms`: one customer-managed KMS key (rotation on) for the upload bucket, queues, table, "
               "the function and API access log groups and the alarm topic"),
    ContextKey("destroyOnRemove", "destroy_on_remove", bool,
               "`false`: buckets and table are RETAINed when the stack is deleted; "
               "`true` (dev stacks): DESTROY them and empty the buckets first (autoDeleteObjects)"),
    ContextKey("bundle", "bundle", bool,
               "`false` skips asset bundling (no layer pip install, no code copy): "
               "fully offline synth for inspection, not for deployment"),
    ContextKey("uploadPrefix", "upload_prefix", str,
               "key prefix whose ObjectCreated events start a conversion (must end with `/`)"),
    ContextKey("eventBusName", "event_bus_name", str,
               "EventBridge bus for job events; `default` is the account's default bus, "
               "any other name creates that bus in the stack"),
    ContextKey("dpi", "dpi", int, "page rendering resolution (DOCTABLES_DPI)"),
    ContextKey("maxPages", "max_pages", int,
               "documents with more pages fail with TOO_MANY_PAGES (DOCTABLES_MAX_PAGES)"),
    ContextKey("maxBytes", "max_bytes", int,
               "uploads larger than this many bytes fail with TOO_LARGE (DOCTABLES_MAX_BYTES)"),
    ContextKey("maxPagePixels", "max_page_pixels", int,
               "a page rendering to more pixels fails the job (DOCTABLES_MAX_PAGE_PIXELS)"),
    ContextKey("maxRenderPixels", "max_render_pixels", int,
               "a page rendering to more pixels is rendered scaled down to fit (DOCTABLES_MAX_RENDER_PIXELS)"),
    ContextKey("rangePages", "range_pages", int,
               "pages converted per range message / invocation (DOCTABLES_RANGE_PAGES)"),
    ContextKey("detectionModel", "detection_model", str,
               "path of the table detection ONNX model inside the image; empty: the image's default "
               "(DOCTABLES_DETECTION_MODEL is then not set)"),
    ContextKey("structureModel", "structure_model", str,
               "path of the table structure ONNX model inside the image; empty: the image's default "
               "(DOCTABLES_STRUCTURE_MODEL is then not set)"),
    ContextKey("ocrDetectionModel", "ocr_detection_model", str,
               "path of the OCR text detection ONNX model inside the image; empty: not set "
               "(DOCTABLES_OCR_DETECTION_MODEL)"),
    ContextKey("ocrRecognitionModel", "ocr_recognition_model", str,
               "path of the OCR text recognition ONNX model inside the image; empty: not set "
               "(DOCTABLES_OCR_RECOGNITION_MODEL)"),
    ContextKey("ocrFullPage", "ocr_full_page", bool,
               "OCR the whole page, not only the table regions (DOCTABLES_OCR_FULL_PAGE)"),
    ContextKey("exportFormats", "export_formats", str,
               "comma-separated export formats also written beside each result under "
               "results/<job>/ (csv, xlsx, md, html, textract, json); empty: none "
               "(DOCTABLES_EXPORT_FORMATS)"),
    ContextKey("textractBuckets", "textract_buckets", str,
               "comma-separated buckets the Textract API may read documents from and write OutputConfig "
               "to, besides the stack's own; empty: none (DOCTABLES_TEXTRACT_BUCKETS)"),
    ContextKey("structureDecoder", "structure_decoder", str,
               "auto: a SLANet structure model's decoder runs in numpy beside its encoder in "
               "onnxruntime (same outputs, faster); graph: the whole ONNX graph "
               "(DOCTABLES_STRUCTURE_DECODER)"),
    ContextKey("modelThreads", "model_threads", int,
               "onnxruntime intra-op threads, 0 = runtime default (DOCTABLES_MODEL_THREADS)"),
    ContextKey("detectionThreshold", "detection_threshold", float,
               "minimum table detection score (DOCTABLES_DETECTION_THRESHOLD)"),
    ContextKey("pageTtlDays", "page_ttl_days", int,
               "days before page items expire via the DynamoDB TTL attribute `expires_at` "
               "(DOCTABLES_PAGE_TTL_DAYS)"),
    ContextKey("jobDeadlineMinutes", "job_deadline_minutes", int,
               "the sweeper fails an unfinished job without progress for this long "
               "(DOCTABLES_JOB_DEADLINE_MINUTES); keep it above maxReceiveCount x the range queue's "
               "visibility timeout so retries and the dead-letter path finish first"),
    ContextKey("sweepIntervalMinutes", "sweep_interval_minutes", int,
               "how often the sweeper runs (EventBridge schedule)"),
    ContextKey("pagesLifecycleDays", "pages_lifecycle_days", int,
               "S3 lifecycle: rendered pages under `pages/` expire after this many days (the review page "
               "shows a job's page images until then; results and exports stay)"),
    ContextKey("accessLogsLifecycleDays", "access_logs_lifecycle_days", int,
               "S3 lifecycle: server access logs in the log bucket expire after this many days"),
    ContextKey("noncurrentVersionDays", "noncurrent_version_days", int,
               "S3 lifecycle: noncurrent (overwritten or deleted) object versions under the upload "
               "prefix, `results/` and `tables/` expire this many days after they became noncurrent"),
    ContextKey("conversionMemoryMb", "conversion_memory_mb", int, "conversion function memory (MB)"),
    ContextKey("conversionTimeoutSeconds", "conversion_timeout_seconds", int,
               "conversion function timeout (s); the range queue's visibility timeout is 6x this"),
    ContextKey("conversionEphemeralStorageMb", "conversion_ephemeral_storage_mb", int,
               "conversion function /tmp size (MB)"),
    ContextKey("conversionReservedConcurrency", "conversion_reserved_concurrency", int,
               "reserved concurrency of the conversion function: at most this many run at once, "
               "whatever the upload rate, and they are always available to it; at least "
               "`rangeMaxConcurrency`; 0 = none reserved (accounts whose concurrency quota is too "
               "low to reserve any)"),
    ContextKey("tableMemoryMb", "table_memory_mb", int, "table function memory (MB)"),
    ContextKey("tableTimeoutSeconds", "table_timeout_seconds", int,
               "table function timeout (s); the page queue's visibility timeout is 6x this"),
    ContextKey("pageTimeBudgetSeconds", "page_time_budget_seconds", int,
               "seconds one page's table finding may take before it fails alone with PAGE_TIMEOUT; "
               "at most tableTimeoutSeconds - 10 (DOCTABLES_PAGE_TIME_BUDGET)"),
    ContextKey("deadLetterMemoryMb", "dead_letter_memory_mb", int, "dead-letter function memory (MB)"),
    ContextKey("deadLetterTimeoutSeconds", "dead_letter_timeout_seconds", int,
               "dead-letter function timeout (s); the DLQs' visibility timeout is 6x this"),
    ContextKey("sweeperMemoryMb", "sweeper_memory_mb", int, "sweeper function memory (MB)"),
    ContextKey("sweeperTimeoutSeconds", "sweeper_timeout_seconds", int, "sweeper function timeout (s)"),
    ContextKey("batchSize", "batch_size", int, "page queue -> table function: messages per batch"),
    ContextKey("maxBatchingWindowSeconds", "max_batching_window_seconds", int,
               "page queue -> table function: maximum batching window (s), 0 = none"),
    ContextKey("maxConcurrency", "max_concurrency", int,
               "page queue -> table function: maximum concurrent invocations (2-1000)"),
    ContextKey("rangeBatchSize", "range_batch_size", int,
               "range queue -> conversion function: messages per batch"),
    ContextKey("rangeMaxConcurrency", "range_max_concurrency", int,
               "range queue -> conversion function: maximum concurrent invocations (2-1000)"),
    ContextKey("maxReceiveCount", "max_receive_count", int,
               "receives of a page/range message before it moves to its DLQ"),
    ContextKey("logRetentionDays", "log_retention_days", int,
               "CloudWatch Logs retention of the function log groups (a CloudWatch value, 0 = never expire)"),
    ContextKey("pageQueueAgeAlarmSeconds", "page_queue_age_alarm_seconds", int,
               "alarm when the page queue's oldest message is older than this (s)"),
    ContextKey("alarmTopicArn", "alarm_topic_arn", str,
               "SNS topic ARN notified by every alarm (and its recovery); empty: the stack creates "
               "the alarm topic (TLS only, encrypted with the stack's key when `encryption` is `kms`)"),
    ContextKey("backfillBatchSize", "backfill_batch_size", int,
               "backfill: objects per item batch of the Distributed Map (one starter invocation and one "
               "child execution each; 1-1000)"),
    ContextKey("backfillToleratedFailurePercent", "backfill_tolerated_failure_percent", int,
               "backfill: the Distributed Map fails once more than this percentage of its objects are in "
               "batches that failed for good (0-100); an object that fails alone is counted, not failed"),
    ContextKey("alarmEmail", "alarm_email", str,
               "e-mail address subscribed to the alarm topic (AWS mails a confirmation link first); "
               "empty: no subscription"),
)


class SettingsError(ValueError):
    """A context value is missing or out of range."""


@dataclass(frozen=True, kw_only=True)
class DocTablesSettings:
    """Typed deployment settings; one field per context key (see CONTEXT_KEYS)."""

    stack_name: str
    architecture: Architecture
    encryption: Encryption
    destroy_on_remove: bool
    bundle: bool
    upload_prefix: str
    event_bus_name: str
    dpi: int
    max_pages: int
    max_bytes: int
    max_page_pixels: int
    max_render_pixels: int
    range_pages: int
    detection_model: str
    structure_model: str
    ocr_detection_model: str
    ocr_recognition_model: str
    ocr_full_page: bool
    export_formats: str
    textract_buckets: str
    structure_decoder: str
    model_threads: int
    detection_threshold: float
    page_ttl_days: int
    job_deadline_minutes: int
    sweep_interval_minutes: int
    pages_lifecycle_days: int
    access_logs_lifecycle_days: int
    noncurrent_version_days: int
    conversion_memory_mb: int
    conversion_timeout_seconds: int
    conversion_ephemeral_storage_mb: int
    conversion_reserved_concurrency: int
    table_memory_mb: int
    table_timeout_seconds: int
    page_time_budget_seconds: int
    dead_letter_memory_mb: int
    dead_letter_timeout_seconds: int
    sweeper_memory_mb: int
    sweeper_timeout_seconds: int
    batch_size: int
    max_batching_window_seconds: int
    max_concurrency: int
    range_batch_size: int
    range_max_concurrency: int
    max_receive_count: int
    log_retention_days: int
    page_queue_age_alarm_seconds: int
    alarm_topic_arn: str
    backfill_batch_size: int
    backfill_tolerated_failure_percent: int
    alarm_email: str

    def __post_init__(self) -> None:
        self._validate()

    @property
    def textract_bucket_names(self) -> list[str]:
        return [b.strip() for b in self.textract_buckets.split(",") if b.strip()]

    @property
    def uses_default_bus(self) -> bool:
        return self.event_bus_name == "default"

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> DocTablesSettings:
        """Read every key with ``get`` (e.g. ``app.node.try_get_context``) and convert it."""
        values: dict[str, Any] = {}
        for entry in CONTEXT_KEYS:
            raw = get(entry.key)
            if raw is None:
                raise SettingsError(
                    f"context key {entry.key!r} is missing; its default belongs in cdk.json"
                )
            values[entry.field] = _convert(entry, raw)
        return cls(**values)

    @classmethod
    def defaults(cls, **overrides: Any) -> DocTablesSettings:
        """The cdk.json defaults, with some fields replaced (handy in tests)."""
        context = load_cdk_json_context()
        settings = cls.from_context(context.get)
        return settings.replace(**overrides)

    def replace(self, **changes: Any) -> DocTablesSettings:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update(changes)
        return DocTablesSettings(**current)

    def _validate(self) -> None:  # noqa: C901 - a flat list of checks reads best
        def need(condition: bool, message: str) -> None:
            if not condition:
                raise SettingsError(message)

        need(self.architecture in ("arm64", "x86_64"), "architecture must be arm64 or x86_64")
        need(self.encryption in ("managed", "kms"), "encryption must be managed or kms")
        need(bool(self.stack_name), "stackName must not be empty")
        prefix = self.upload_prefix
        need(prefix.endswith("/") and len(prefix) > 1 and not prefix.startswith("/"),
             "uploadPrefix must be a non-empty key prefix ending with '/', e.g. uploads/")
        for generated in GENERATED_PREFIXES:
            # An upload prefix overlapping what the pipeline writes would re-trigger conversion.
            need(not prefix.startswith(generated) and not generated.startswith(prefix),
                 f"uploadPrefix {prefix!r} overlaps the generated prefix {generated!r}")
        formats = [f.strip() for f in self.export_formats.split(",") if f.strip()]
        unknown = sorted(set(formats) - set(EXPORT_FORMATS))
        need(not unknown, f"exportFormats has unknown formats {unknown}; choose from {list(EXPORT_FORMATS)}")
        for bucket in (b.strip() for b in self.textract_buckets.split(",") if b.strip()):
            need(bool(_BUCKET_NAME.fullmatch(bucket)), f"textractBuckets: {bucket!r} is not a bucket name")
        need(bool(self.event_bus_name) and not self.event_bus_name.startswith("arn:"),
             "eventBusName must be a bus name (default or a new bus name), not an ARN")
        for name in ("dpi", "max_pages", "max_bytes", "max_page_pixels", "max_render_pixels",
                     "range_pages", "page_ttl_days", "pages_lifecycle_days", "access_logs_lifecycle_days",
                     "noncurrent_version_days",
                     "page_queue_age_alarm_seconds", "job_deadline_minutes", "sweep_interval_minutes"):
            need(getattr(self, name) >= 1, f"{name} must be >= 1")
        need(self.model_threads >= 0, "modelThreads must be >= 0")
        need(self.structure_decoder in ("auto", "graph"), "structureDecoder must be auto or graph")
        need(0.0 <= self.detection_threshold <= 1.0, "detectionThreshold must be in [0, 1]")
        for name in ("conversion_memory_mb", "table_memory_mb", "dead_letter_memory_mb",
                     "sweeper_memory_mb"):
            need(128 <= getattr(self, name) <= 10240, f"{name} must be 128..10240 MB")
        for name in ("conversion_timeout_seconds", "table_timeout_seconds",
                     "dead_letter_timeout_seconds", "sweeper_timeout_seconds"):
            need(1 <= getattr(self, name) <= 900, f"{name} must be 1..900 s")
        need(1 <= self.page_time_budget_seconds <= self.table_timeout_seconds - 10,
             "pageTimeBudgetSeconds must be 1..tableTimeoutSeconds - 10")
        need(512 <= self.conversion_ephemeral_storage_mb <= 10240,
             "conversionEphemeralStorageMb must be 512..10240 MB")
        need(0 <= self.max_batching_window_seconds <= 300, "maxBatchingWindowSeconds must be 0..300")
        for name, size in (("batchSize", self.batch_size), ("rangeBatchSize", self.range_batch_size)):
            # SQS event sources allow more than 10 messages only with a batching window.
            limit = 10_000 if self.max_batching_window_seconds > 0 and name == "batchSize" else 10
            need(1 <= size <= limit, f"{name} must be 1..{limit}")
        for name, value in (("maxConcurrency", self.max_concurrency),
                            ("rangeMaxConcurrency", self.range_max_concurrency)):
            need(2 <= value <= 1000, f"{name} must be 2..1000 (SQS event source limit)")
        need(1 <= self.max_receive_count <= 1000, "maxReceiveCount must be 1..1000")
        need(1 <= self.backfill_batch_size <= 1000, "backfillBatchSize must be 1..1000")
        need(0 <= self.backfill_tolerated_failure_percent <= 100, "backfillToleratedFailurePercent must be 0..100")
        need(self.log_retention_days in LOG_RETENTION_DAYS,
             f"logRetentionDays must be one of {LOG_RETENTION_DAYS}")
        need(self.alarm_topic_arn == "" or self.alarm_topic_arn.startswith("arn:"),
             "alarmTopicArn must be empty or an SNS topic ARN")
        need(self.alarm_email == "" or _EMAIL.fullmatch(self.alarm_email) is not None,
             "alarmEmail must be empty or one e-mail address")
        # Reserved concurrency caps every trigger of the function together: below the range
        # queue's maximum concurrency, range messages would be throttled and uploads starved.
        need(self.conversion_reserved_concurrency == 0
             or self.range_max_concurrency <= self.conversion_reserved_concurrency <= 1000,
             "conversionReservedConcurrency must be 0 (none) or rangeMaxConcurrency..1000")


def _convert(entry: ContextKey, raw: Any) -> Any:
    """Convert a context value (JSON-typed from cdk.json, or a string from -c) to its kind."""
    try:
        if entry.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError(raw)
        if entry.kind is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        if entry.kind is float:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"context key {entry.key!r}: {raw!r} is not a valid {entry.kind.__name__}"
        ) from exc


def load_cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The ``context`` block of cdk.json: feature flags plus this app's defaults."""
    with path.open(encoding="utf-8") as handle:
        document: Mapping[str, Any] = json.load(handle)
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise SettingsError(f"{path}: 'context' must be an object")
    return dict(context)


def render_context_table(context: Mapping[str, Any] | None = None) -> str:
    """The Markdown table of every context key, its cdk.json default and its meaning."""
    defaults = load_cdk_json_context() if context is None else context
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for entry in CONTEXT_KEYS:
        default = json.dumps(defaults.get(entry.key))
        lines.append(f"| `{entry.key}` | `{default}` | {entry.meaning} |")
    return "\n".join(lines) + "\n"
