"""The result document of a job (schema `doctables.result/1`, in docs/ARCHITECTURE.md), typed.

`ResultDocument` is what the pipeline writes to `results/<job_id>.json` and what
`doctables.extract()` gives as `Document.to_result()`; every output (Textract JSON, CSV, XLSX,
Markdown, HTML, continued tables), the client and the review page read it. `to_dict()` writes
exactly the JSON the untyped dicts held before this model, and `from_dict()` reads it back, so
`from_dict(d).to_dict() == d` for every document either producer wrote (tests/model reads two).

Reading is tolerant of older or hand-made documents: a missing optional field takes its empty
value (no decision, no error, no warnings, no tables). Numbers are kept as read (a page width
that went through DynamoDB comes back as the int 612, not 612.0), so reading and writing a
document does not change one byte of it.

The two producers have always laid the keys out differently, and each layout is kept: a
pipeline job (`job` set: its times and warnings) puts `tables` after `pages`, where the job item's
table count stood, and `page_results` last; `extract()` (no job) puts `tables` last."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, TypedDict

from doctables.model.tables import Table

RESULT_SCHEMA = "doctables.result/1"
DONE = "DONE"
FAILED = "FAILED"


class DecisionRecord(TypedDict, total=False):
    """How a page was read (doctables.page.find): its text layer, OCR and orientation."""

    text_layer: str  # usable, absent or insufficient
    ocr: bool
    rotation_applied: int  # degrees
    skew: float  # degrees
    reason: str


@dataclass(frozen=True)
class ErrorInfo:
    """An error of a job or a page: its code (doctables.errors.ErrorCode) and message."""

    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ErrorInfo | None:
        if not data:
            return None
        return cls(data.get("code"), data.get("message"))  # type: ignore[arg-type]  # kept as read


@dataclass(frozen=True)
class JobWarning:
    """A warning that did not stop the job (e.g. REPAIRED_DOCUMENT)."""

    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobWarning:
        return cls(data.get("code"), data.get("message"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Source:
    """The document the result is of: an S3 object, or (extract()) a file name in `key`."""

    bucket: str | None
    key: str
    version_id: str | None = None
    etag: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": self.key, "version_id": self.version_id, "etag": self.etag}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Source:
        data = data or {}
        return cls(data.get("bucket"), data.get("key") or "", data.get("version_id"), data.get("etag"))


@dataclass(frozen=True)
class PageCounts:
    """How many pages the document has, and how many of them were done or failed."""

    total: int
    done: int
    failed: int

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "done": self.done, "failed": self.failed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PageCounts:
        data = data or {}
        return cls(data.get("total", 0), data.get("done", 0), data.get("failed", 0))


@dataclass(frozen=True)
class PageResult:
    """One settled page (an entry of `page_results`): DONE with its size, rotation, tables and
    decision, or FAILED with its error."""

    page: int
    status: str  # DONE or FAILED
    width: float | None  # points, as displayed
    height: float | None
    rotation: int | None  # the page's /Rotate
    tables: int
    decision: DecisionRecord | None = None
    error: ErrorInfo | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "status": self.status,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "tables": self.tables,
            "decision": self.decision,
            "error": self.error.to_dict() if self.error else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PageResult:
        return cls(
            page=int(data["page"]),
            status=data.get("status") or DONE,
            width=data.get("width"),
            height=data.get("height"),
            rotation=data.get("rotation"),
            tables=data.get("tables", 0),
            decision=data.get("decision"),  # type: ignore[arg-type]  # a JSON object of DecisionRecord's keys
            error=ErrorInfo.from_dict(data.get("error")),
        )


@dataclass(frozen=True)
class JobRecord:
    """What a pipeline job adds to its document: when it ran and its warnings (extract() has
    no job, so its documents have none of these keys)."""

    created_at: str | None
    finished_at: str | None
    warnings: tuple[JobWarning, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobRecord | None:
        if not any(k in data for k in ("created_at", "finished_at", "warnings")):
            return None
        warnings = tuple(JobWarning.from_dict(w) for w in data.get("warnings") or [])
        return cls(data.get("created_at"), data.get("finished_at"), warnings)


@dataclass
class ResultDocument:
    """All of a job's pages and tables (schema `doctables.result/1`)."""

    job_id: str
    status: str  # SUCCEEDED, PARTIALLY_SUCCEEDED or FAILED
    source: Source
    pages: PageCounts
    error: ErrorInfo | None = None
    page_results: list[PageResult] = field(default_factory=list)  # in page order
    tables: list[Table] = field(default_factory=list)  # in table id order
    job: JobRecord | None = None  # None for extract()'s documents
    schema: str = RESULT_SCHEMA

    @property
    def failed_pages(self) -> list[int]:
        """The numbers of the pages that failed, in order."""
        return sorted(p.page for p in self.page_results if p.failed)

    @property
    def stem(self) -> str:
        """The source's file name without its folder and suffix: what exports are named by."""
        return PurePosixPath(self.source.key).stem

    def to_json(self) -> str:
        """The document as the pipeline stores it (results/<job_id>.json)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready data, keys in the order its producer has always used."""
        head = {
            "schema": self.schema,
            "job_id": self.job_id,
            "status": self.status,
            "source": self.source.to_dict(),
            "pages": self.pages.to_dict(),
        }
        error = self.error.to_dict() if self.error else None
        pages = [p.to_dict() for p in self.page_results]
        tables = [t.to_dict() for t in self.tables]
        if self.job is None:
            return {**head, "error": error, "page_results": pages, "tables": tables}
        return {
            **head,
            "tables": tables,
            "created_at": self.job.created_at,
            "finished_at": self.job.finished_at,
            "error": error,
            "warnings": [w.to_dict() for w in self.job.warnings],
            "page_results": pages,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultDocument:
        """A document read from its JSON; missing optional fields take their empty values."""
        return cls(
            job_id=data.get("job_id") or "",
            status=data.get("status") or "",
            source=Source.from_dict(data.get("source")),
            pages=PageCounts.from_dict(data.get("pages") if isinstance(data.get("pages"), Mapping) else None),
            error=ErrorInfo.from_dict(data.get("error")),
            page_results=[PageResult.from_dict(p) for p in data.get("page_results") or []],
            tables=[Table.from_dict(t) for t in data.get("tables") or []],
            job=JobRecord.from_dict(data),
            schema=data.get("schema") or RESULT_SCHEMA,
        )


def as_result(result: ResultDocument | Mapping[str, Any]) -> ResultDocument:
    """The typed document of `result`, read from its JSON form when given as a dict (the
    outputs' public functions take either)."""
    return result if isinstance(result, ResultDocument) else ResultDocument.from_dict(result)


def result_document(
    job_id: str, status: str, source: Source, pages: list[PageResult], tables: list[Table], *,
    error: ErrorInfo | None = None, job: JobRecord | None = None, counts: PageCounts | None = None,
) -> ResultDocument:
    """The document of a job or an extraction: its pages sorted, its tables in id order as
    given; `counts` default to the pages' own."""
    ordered = sorted(pages, key=lambda p: p.page)
    failed = sum(p.failed for p in ordered)
    return ResultDocument(
        job_id=job_id,
        status=status,
        source=source,
        pages=counts or PageCounts(len(ordered), len(ordered) - failed, failed),
        error=error,
        page_results=ordered,
        tables=list(tables),
        job=job,
    )
