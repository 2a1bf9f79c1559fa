"""Amazon Textract's error types, as its JSON 1.1 protocol sends them.

Each error is a `TextractError` subclass named exactly as Textract's `__type`; botocore turns
the wire answer `{"__type": "<name>", "Message": "..."}` into `client.exceptions.<name>`."""

from __future__ import annotations


class TextractError(Exception):
    """An error answered to a Textract request: HTTP `status`, `__type` = the class name."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, str]:
        return {"__type": self.type_name, "Message": self.message}


class InvalidParameterException(TextractError):
    """A parameter is missing, malformed, or asks for something doctables does not do."""


class InvalidS3ObjectException(TextractError):
    """The S3 object (or output bucket) cannot be read or written, or is not allowed."""


class UnsupportedDocumentException(TextractError):
    """Not a PDF, PNG, JPEG or TIFF; or more than one page for a synchronous operation."""


class DocumentTooLargeException(TextractError):
    """Over the size limit of the operation."""


class BadDocumentException(TextractError):
    """The document cannot be read (damaged, empty, no page works)."""


class InvalidJobIdException(TextractError):
    """No job of this operation has that JobId."""


class IdempotentParameterMismatchException(TextractError):
    """A ClientRequestToken was used before with other parameters."""


class ProvisionedThroughputExceededException(TextractError):
    """More requests than the configured rate, or the stack's own storage is throttling."""


class InternalServerError(TextractError):
    """An unexpected failure; retrying may help."""

    status = 500


class UnknownOperationException(TextractError):
    """The X-Amz-Target names no operation doctables answers."""


class SerializationException(TextractError):
    """The body is not a JSON object."""


THROUGHPUT_MESSAGE = ("The number of requests exceeded your throughput limit. If you want to increase this limit, "
                      "raise DOCTABLES_TEXTRACT_TPS.")
S3_OBJECT_MESSAGE = "Unable to get object metadata from S3. Check object key, region and/or access permissions."
UNSUPPORTED_MESSAGE = "Request has unsupported document format"
BAD_DOCUMENT_MESSAGE = "Amazon Textract (doctables) isn't able to read the document"
INVALID_JOB_MESSAGE = "An invalid job identifier was passed."
INTERNAL_MESSAGE = "Amazon Textract (doctables) experienced a service issue. Try your call again."
