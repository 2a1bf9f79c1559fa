"""Queue message schemas: one message per page (table stage), one per page range (conversion),
one per object the Textract API starts a job for (conversion)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Iterable

SCHEMA_VERSION = 1
_BATCH = 10  # SQS send_message_batch limit


@dataclass(frozen=True)
class PageMessage:
    """Asks the table stage to find the tables of one rendered page."""

    job_id: str
    page: int
    bucket: str
    image_key: str
    layout_key: str
    # [offset, layout bytes, image bytes] of the page in image_key, a bundle of pages
    # (doctables.pipeline.page_bundles); None: image_key and layout_key are the page's own objects
    bundle: list[int] | None = None
    kind: str = "page"
    v: int = SCHEMA_VERSION


@dataclass(frozen=True)
class RangeMessage:
    """Asks conversion to render pages first..last (1-based, inclusive) of a job's source."""

    job_id: str
    first: int
    last: int
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    kind: str = "range"
    v: int = SCHEMA_VERSION


@dataclass(frozen=True)
class ObjectMessage:
    """Asks conversion to start the job of an object no S3 notification announces: one the
    Textract API was asked to read where it lies (any allowed bucket, any key), not copied."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int | None
    text_only: bool = False  # the job reads the text only (StartDocumentTextDetection)
    kind: str = "object"
    v: int = SCHEMA_VERSION


Message = PageMessage | RangeMessage | ObjectMessage


def encode(message: Message) -> str:
    return json.dumps(asdict(message), separators=(",", ":"))


def decode(body: str) -> Message:
    """Parse a message body; raises ValueError for anything that is not one of ours."""
    try:
        data: dict[str, Any] = json.loads(body)
        kind = data.get("kind")
        if kind == "page":
            return PageMessage(**data)
        if kind == "range":
            return RangeMessage(**data)
        if kind == "object":
            return ObjectMessage(**data)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a doctables message: {exc}") from exc
    raise ValueError(f"unknown message kind: {kind!r}")


def send_all(sqs: Any, queue_url: str, messages: Iterable[Message]) -> int:
    """Send messages in batches of ten; raise if any entry is still refused after one retry."""
    pending = list(messages)
    sent = 0
    for start in range(0, len(pending), _BATCH):
        batch = pending[start : start + _BATCH]
        entries = [{"Id": str(i), "MessageBody": encode(m)} for i, m in enumerate(batch)]
        for _attempt in range(2):
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in answer.get("Failed", [])}
            sent += len(entries) - len(failed)
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                break
        if entries:
            raise RuntimeError(f"SQS refused {len(entries)} messages for {queue_url}")
    return sent
