"""Runtime configuration: every environment variable doctables reads, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Mapping

# name of the environment variable -> (Settings field, one-line meaning). The README's
# configuration table lists the same variables (tests/test_docs.py holds them in step).
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "DOCTABLES_BUCKET": ("bucket", "bucket for uploads, rendered pages and results"),
    "DOCTABLES_TABLE": ("table_name", "DynamoDB table holding jobs, pages and tables"),
    "DOCTABLES_PAGE_QUEUE_URL": ("page_queue_url", "SQS queue of page messages (table stage)"),
    "DOCTABLES_RANGE_QUEUE_URL": ("range_queue_url", "SQS queue of page-range messages (conversion)"),
    "DOCTABLES_EVENT_BUS": ("event_bus", "EventBridge bus name or ARN for job events"),
    "DOCTABLES_UPLOAD_PREFIX": ("upload_prefix", "only keys under this prefix are converted"),
    "DOCTABLES_DPI": ("dpi", "page rendering resolution in dots per inch"),
    "DOCTABLES_MAX_PAGES": ("max_pages", "documents with more pages fail with TOO_MANY_PAGES"),
    "DOCTABLES_MAX_BYTES": ("max_bytes", "objects larger than this fail with TOO_LARGE"),
    "DOCTABLES_MAX_PAGE_PIXELS": ("max_page_pixels", "a page rendering to more pixels fails the job"),
    "DOCTABLES_MAX_RENDER_PIXELS": ("max_render_pixels", "a page rendering to more pixels is scaled down to fit"),
    "DOCTABLES_RANGE_PAGES": ("range_pages", "pages converted per invocation (one range message)"),
    "DOCTABLES_DETECTION_MODEL": ("detection_model", "path of the table detection ONNX model"),
    "DOCTABLES_STRUCTURE_MODEL": ("structure_model", "path of the table structure ONNX model"),
    "DOCTABLES_STRUCTURE_DECODER": ("structure_decoder", "auto: SLANet's decoder in numpy, its encoder in onnxruntime; graph: the whole graph"),
    "DOCTABLES_MODEL_THREADS": ("model_threads", "onnxruntime intra-op threads (0: runtime default)"),
    "DOCTABLES_DETECTION_THRESHOLD": ("detection_threshold", "minimum table detection score"),
    "DOCTABLES_PAGE_TTL_DAYS": ("page_ttl_days", "days before page items and images expire"),
    "DOCTABLES_OCR_DETECTION_MODEL": ("ocr_detection_model", "path of the OCR text detection ONNX model"),
    "DOCTABLES_OCR_RECOGNITION_MODEL": ("ocr_recognition_model", "path of the OCR text recognition ONNX model"),
    "DOCTABLES_OCR_FULL_PAGE": ("ocr_full_page", "OCR the whole page, not only the table regions (true/false)"),
    "DOCTABLES_EXPORT_FORMATS": ("export_formats", "comma-separated formats written beside the result in S3"),
    "DOCTABLES_JOB_DEADLINE_MINUTES": ("job_deadline_minutes", "a job without progress this long is failed by the sweeper"),
    "DOCTABLES_PAGE_TIME_BUDGET": ("page_time_budget", "seconds a page's table finding may take (0: none)"),
    "DOCTABLES_TEXTRACT_BUCKETS": ("textract_buckets", "comma-separated buckets the Textract API may read documents from and write OutputConfig to, besides the stack's own"),
    "DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION": ("textract_analysis_function", "the function the deployed Textract API invokes for AnalyzeDocument (name or ARN; empty: not served)"),
    "DOCTABLES_TEXTRACT_TPS": ("textract_tps", "requests per second per Textract operation before ProvisionedThroughputExceededException (0: no limit)"),
}


@dataclass(frozen=True)
class Settings:
    """Typed configuration, read once from the environment."""

    bucket: str = ""
    table_name: str = ""
    page_queue_url: str = ""
    range_queue_url: str = ""
    event_bus: str = "default"
    upload_prefix: str = "uploads/"
    dpi: int = 144
    max_pages: int = 3000  # Amazon Textract's limit for asynchronous jobs
    max_bytes: int = 200 * 1024 * 1024
    max_page_pixels: int = 60_000_000
    max_render_pixels: int = 25_000_000
    range_pages: int = 50
    detection_model: str = ""
    structure_model: str = ""
    structure_decoder: str = "auto"
    model_threads: int = 0
    detection_threshold: float = 0.5
    page_ttl_days: int = 30
    job_deadline_minutes: int = 120
    # Half the table function's 120 s timeout: a slow page fails alone with PAGE_TIMEOUT, with
    # time left to record it, long before Lambda would kill the invocation.
    page_time_budget: float = 60.0
    ocr_detection_model: str = ""
    ocr_recognition_model: str = ""
    ocr_full_page: bool = False
    export_formats: str = ""  # e.g. "csv,xlsx": files under results/<job_id>/
    textract_buckets: str = ""  # e.g. "archive-a,archive-b"
    textract_tps: float = 0.0
    textract_analysis_function: str = ""  # deployed: AnalyzeDocument's function

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from environment variables, falling back to the defaults."""
        environ = os.environ if environ is None else environ
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for variable, (name, _doc) in ENVIRONMENT.items():
            raw = environ.get(variable)
            if raw is None or raw == "":
                continue
            values[name] = _parse(raw, types[name], variable)
        return cls(**values)  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> "Settings":
        """Return a copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def as_environment(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (for a Lambda or a child)."""
        env: dict[str, str] = {}
        for variable, (name, _doc) in ENVIRONMENT.items():
            value = getattr(self, name)
            if value != "":
                env[variable] = str(value).lower() if isinstance(value, bool) else str(value)
        return env


def _parse(raw: str, kind: object, variable: str) -> object:
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{variable} must be true or false, not {raw!r}")
        return lowered in ("true", "1", "yes")
    return raw
