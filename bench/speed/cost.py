"""Dollars per 1,000 pages from measured seconds and request counts, at the stack's configured
memory sizes, beside Amazon Textract's price for table analysis. Pure arithmetic: every input
is measured elsewhere (bench.speed.end_to_end, bench.speed.table_stage) or read from cdk.json."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import prices

# Used when cdk.json (or one of its keys) is absent.
FALLBACK_CONTEXT = {
    "conversionMemoryMb": 1024,
    "tableMemoryMb": 2048,
    "conversionEphemeralStorageMb": 512,
    "architecture": "arm64",
    "rangePages": 50,
    "batchSize": 4,
    "maxConcurrency": 10,
    "pagesLifecycleDays": 30,
    "dpi": 144,
    "modelThreads": 0,
    "maxPages": 2000,
}


@dataclass(frozen=True)
class StackConfig:
    """The deployment settings that the cost depends on."""

    conversion_memory_mb: int = 1024
    table_memory_mb: int = 2048
    conversion_ephemeral_mb: int = 512
    architecture: str = "arm64"
    range_pages: int = 50
    batch_size: int = 4
    max_concurrency: int = 10
    pages_lifecycle_days: int = 30
    dpi: int = 144
    model_threads: int = 0  # onnxruntime threads of the table stage (0: all cores)
    max_pages: int = 2000
    source: str = "defaults"

    @classmethod
    def from_context(cls, context: Mapping[str, Any], source: str = "cdk.json") -> StackConfig:
        """From a CDK context mapping; a missing key takes its fallback value."""
        value = {**FALLBACK_CONTEXT, **{k: v for k, v in context.items() if k in FALLBACK_CONTEXT}}
        return cls(
            conversion_memory_mb=int(value["conversionMemoryMb"]),
            table_memory_mb=int(value["tableMemoryMb"]),
            conversion_ephemeral_mb=int(value["conversionEphemeralStorageMb"]),
            architecture=str(value["architecture"]),
            range_pages=int(value["rangePages"]),
            batch_size=int(value["batchSize"]),
            max_concurrency=int(value["maxConcurrency"]),
            pages_lifecycle_days=int(value["pagesLifecycleDays"]),
            dpi=int(value["dpi"]),
            model_threads=int(value["modelThreads"]),
            max_pages=int(value["maxPages"]),
            source=source,
        )

    @classmethod
    def from_cdk_json(cls, path: Path) -> StackConfig:
        """From cdk.json's `context`, or the fallbacks when the file is missing or unreadable."""
        try:
            context = json.loads(Path(path).read_text()).get("context", {})
        except (OSError, ValueError):
            return cls.from_context({}, source=f"defaults ({path} not readable)")
        return cls.from_context(context, source=str(path))


@dataclass
class Usage:
    """What one page costs in resources, measured: seconds of each function and request units.
    Request counts are per page; per-document work is spread over `pages_per_document`."""

    conversion_seconds: float
    table_seconds: float
    pages_per_document: int = 100
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_stored_bytes: float = 0.0  # written under pages/, kept until the lifecycle rule expires it
    sqs_requests: float = 0.0  # sent by the functions (receives and deletes are added per batch)
    dynamodb_wru: float = 0.0
    dynamodb_rru: float = 0.0
    eventbridge_events: float = 0.0
    cold_start_seconds: float = 0.0  # init time of one table-stage container (imports + model load)
    extra: dict[str, Any] = field(default_factory=dict)


def lambda_invocations(pages: int, config: StackConfig, pages_per_document: int) -> dict[str, float]:
    """Function invocations for `pages` pages: conversion once per document from S3 plus once per
    further range; the table stage once per full batch of page messages."""
    documents = pages / pages_per_document
    ranges = math.ceil(pages_per_document / max(1, config.range_pages))
    return {
        "conversion_from_s3": documents,
        "conversion_from_range_queue": documents * (ranges - 1),
        "table": math.ceil(pages / max(1, config.batch_size)),
    }


def cost_per_thousand_pages(usage: Usage, config: StackConfig, architecture: str | None = None) -> dict[str, Any]:
    """Dollar breakdown for 1,000 pages, with the assumptions spelled out."""
    pages = 1000
    arch = architecture or config.architecture
    gb_second = prices.LAMBDA_GB_SECOND[arch]
    conversion_gbs = pages * usage.conversion_seconds * config.conversion_memory_mb / 1024
    table_gbs = pages * usage.table_seconds * config.table_memory_mb / 1024
    ephemeral_gbs = (
        pages
        * usage.conversion_seconds
        * max(0, config.conversion_ephemeral_mb - prices.LAMBDA_FREE_EPHEMERAL_MB)
        / 1024
    )
    invocations = lambda_invocations(pages, config, usage.pages_per_document)
    # The SQS event source mapping receives and deletes once per batch it hands to a function;
    # conversion's first range is invoked by S3 directly, not through a queue.
    polled_batches = invocations["table"] + invocations["conversion_from_range_queue"]
    sqs_requests = pages * usage.sqs_requests + 2 * polled_batches
    cold_starts = config.max_concurrency  # one burst of 1,000 pages warms every allowed container once
    # page objects expire after pagesLifecycleDays; the bucket is versioned and the expired
    # (noncurrent) versions go one day later (infra/storage.py)
    months_stored = (config.pages_lifecycle_days + 1) / 30.0
    lines = {
        "lambda_conversion_compute": conversion_gbs * gb_second,
        "lambda_conversion_ephemeral_storage": ephemeral_gbs * prices.LAMBDA_EPHEMERAL_GB_SECOND,
        "lambda_table_compute": table_gbs * gb_second,
        "lambda_table_cold_starts": cold_starts * usage.cold_start_seconds * config.table_memory_mb / 1024 * gb_second,
        "lambda_requests": sum(invocations.values()) * prices.LAMBDA_PER_MILLION_REQUESTS / 1e6,
        "sqs_requests": sqs_requests * prices.SQS_PER_MILLION_REQUESTS / 1e6,
        "dynamodb_writes": pages * usage.dynamodb_wru * prices.DYNAMODB_PER_MILLION_WRU / 1e6,
        "dynamodb_reads": pages * usage.dynamodb_rru * prices.DYNAMODB_PER_MILLION_RRU / 1e6,
        "s3_put_requests": pages * usage.s3_put * prices.S3_PUT_PER_THOUSAND / 1e3,
        "s3_get_requests": pages * usage.s3_get * prices.S3_GET_PER_THOUSAND / 1e3,
        "s3_page_storage": pages * usage.s3_stored_bytes / 1024**3 * months_stored * prices.S3_STORAGE_GB_MONTH,
        "eventbridge_events": pages * usage.eventbridge_events * prices.EVENTBRIDGE_PER_MILLION_EVENTS / 1e6,
    }
    total = sum(lines.values())
    textract = prices.TEXTRACT_TABLES_PER_THOUSAND_PAGES
    return {
        "architecture": arch,
        "dollars": {k: round(v, 8) for k, v in lines.items()},
        "total_dollars": round(total, 8),
        "textract_tables_dollars": textract,
        "textract_over_doctables": round(textract / total, 1) if total else None,
        "gb_seconds": {"conversion": round(conversion_gbs, 2), "table": round(table_gbs, 2)},
        "invocations": invocations,
        "sqs_requests": round(sqs_requests, 1),
        "assumptions": {
            "pages_per_document": usage.pages_per_document,
            "cold_starts_per_1000_pages": cold_starts,
            "page_storage_months": round(months_stored, 3),
            "config": asdict(config),
        },
    }


def request_units(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    response: Mapping[str, Any] | None = None,
    updated: list[Any] | None = None,
) -> dict[str, float]:
    """Billing units of one AWS API call, for the services the pipeline uses. DynamoDB units
    come from item sizes as DynamoDB counts them (`dynamodb_item_bytes`; 1 KB per write unit,
    twice in a transaction, 4 KB per read unit, half for an eventually consistent read). An
    update is billed on its item's size: `updated` holds the items as they stand after the
    call, one per UpdateItem or transaction Update, in order (the caller reads them back);
    without it an update counts one unit."""
    response = response or {}
    if service == "s3":
        if operation in (
            "PutObject",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "ListObjects",
            "ListObjectsV2",
            "ListObjectVersions",
            "PostObject",
        ):
            units = {"s3_put": 1.0}
            body = params.get("Body")
            key = str(params.get("Key", ""))
            if operation == "PutObject" and key.startswith("pages/") and body is not None:
                units["s3_stored_bytes"] = float(len(body) if isinstance(body, (bytes, bytearray, str)) else 0)
            return units
        if operation in ("GetObject", "HeadObject", "GetObjectAttributes"):
            return {"s3_get": 1.0}
        return {}
    if service == "sqs":
        if operation in (
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
        ):
            body_bytes = _sqs_payload_bytes(operation, params)
            return {"sqs_requests": float(max(1, math.ceil(body_bytes / 65536)))}
        return {}
    if service == "events":
        if operation == "PutEvents":
            return {"eventbridge_events": float(len(params.get("Entries", [])))}
        return {}
    if service == "dynamodb":
        return _dynamodb_units(operation, params, response, updated)
    return {}


def _sqs_payload_bytes(operation: str, params: Mapping[str, Any]) -> int:
    if operation == "SendMessage":
        return len(str(params.get("MessageBody", "")).encode())
    if operation == "SendMessageBatch":
        return sum(len(str(e.get("MessageBody", "")).encode()) for e in params.get("Entries", []))
    return 0


def dynamodb_item_bytes(item: Mapping[str, Any] | None) -> int:
    """The size DynamoDB bills for an item in its wire form ({"name": {"S": ...}}): attribute
    names plus values; strings in UTF-8, binaries raw, numbers one byte per two significant
    digits plus one, lists and maps 3 bytes plus a byte per element (AWS "Item sizes")."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in (item or {}).items())


def _value_bytes(value: Mapping[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_bytes(data)
    if kind == "B":
        return len(data) if isinstance(data, (bytes, bytearray)) else len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(_number_bytes(n) for n in data)
    if kind == "BS":
        return sum(_value_bytes({"B": b}) for b in data)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_bytes(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_bytes(number: Any) -> int:
    digits = str(number).lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (len(digits) + 1) // 2 + 1


def _item_bytes(item: Any) -> int:
    return dynamodb_item_bytes(item) if item else 0


def _dynamodb_units(
    operation: str, params: Mapping[str, Any], response: Mapping[str, Any], updated: list[Any] | None = None
) -> dict[str, float]:
    after = list(updated or [])

    def write(item: Any = None) -> float:
        return float(max(1, math.ceil(_item_bytes(item) / 1024)))

    def write_updated() -> float:
        return write(after.pop(0)) if after else 1.0

    def read(nbytes: int, consistent: bool) -> float:
        units = float(max(1, math.ceil(nbytes / 4096)))
        return units if consistent else units / 2

    consistent = bool(params.get("ConsistentRead"))
    if operation == "PutItem":
        return {"dynamodb_wru": write(params.get("Item"))}
    if operation == "UpdateItem":
        return {"dynamodb_wru": write_updated()}
    if operation == "DeleteItem":
        return {"dynamodb_wru": 1.0}
    if operation == "BatchWriteItem":
        total = 0.0
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                total += write(request.get("PutRequest", {}).get("Item"))
        return {"dynamodb_wru": total}
    if operation == "TransactWriteItems":
        total = 0.0
        for entry in params.get("TransactItems", []):
            total += 2 * (write_updated() if "Update" in entry else write(entry.get("Put", {}).get("Item")))
        return {"dynamodb_wru": total}
    if operation == "GetItem":
        return {"dynamodb_rru": read(_item_bytes(response.get("Item")), consistent)}
    if operation in ("Query", "Scan"):
        return {"dynamodb_rru": read(sum(_item_bytes(i) for i in response.get("Items", [])), consistent)}
    if operation == "BatchGetItem":
        items = [i for rows in response.get("Responses", {}).values() for i in rows]
        return {"dynamodb_rru": sum(read(_item_bytes(i), consistent) for i in items)}
    if operation == "TransactGetItems":
        items = [r.get("Item") for r in response.get("Responses", [])]
        return {"dynamodb_rru": sum(2 * read(_item_bytes(i), True) for i in items)}
    return {}
