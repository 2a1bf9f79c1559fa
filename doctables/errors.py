"""Typed errors with machine-readable codes, recorded on failed jobs and pages."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Why a job or a page failed; the value is what the job item and the event carry."""

    NOT_A_DOCUMENT = "NOT_A_DOCUMENT"
    CORRUPT_DOCUMENT = "CORRUPT_DOCUMENT"
    PASSWORD_PROTECTED = "PASSWORD_PROTECTED"
    NO_PAGES = "NO_PAGES"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    TOO_LARGE = "TOO_LARGE"
    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
    EMPTY_OBJECT = "EMPTY_OBJECT"
    SOURCE_MISSING = "SOURCE_MISSING"
    PAGE_UNREADABLE = "PAGE_UNREADABLE"
    PAGE_TIMEOUT = "PAGE_TIMEOUT"
    PAGE_FAILED_REPEATEDLY = "PAGE_FAILED_REPEATEDLY"
    RANGE_FAILED_REPEATEDLY = "RANGE_FAILED_REPEATEDLY"
    ALL_PAGES_FAILED = "ALL_PAGES_FAILED"
    CONVERSION_FAILED_REPEATEDLY = "CONVERSION_FAILED_REPEATEDLY"
    JOB_TIMED_OUT = "JOB_TIMED_OUT"


class WarningCode(str, Enum):
    """Something about a document that did not stop it but a user should know."""

    REPAIRED_DOCUMENT = "REPAIRED_DOCUMENT"


REPAIRED_DOCUMENT_MESSAGE = "the PDF is damaged (e.g. truncated) and was repaired to read it; content may be missing"


class DocumentError(Exception):
    """A document (or one page of it) cannot be processed; retrying will not help."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        """The error as stored on items and sent in events."""
        return {"code": self.code.value, "message": self.message}
