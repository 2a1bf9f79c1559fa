"""The dead-letter function: fails the pages of messages that exhausted their retries."""

from __future__ import annotations

from aws_cdk import Duration

from infra.function_base import PythonZipFunction, ZipFunctionSpec

HANDLER_DIR = "lambdas/dead_letters"


def dead_letter_spec(*, memory_mb: int, timeout: Duration) -> ZipFunctionSpec:
    return ZipFunctionSpec(
        description="doctables: mark pages of dead-lettered messages FAILED",
        handler_dir=HANDLER_DIR,
        memory_mb=memory_mb,
        timeout=timeout,
    )


class DeadLetterHandler(PythonZipFunction):
    """Zip function ``lambdas/dead_letters/handler.py`` + ``doctables/``, with the layer.

    Consumes the page DLQ and the range DLQ (wired in the stack) and marks the affected
    job's pages FAILED, so that a job never waits forever for a page that will not come.
    """
