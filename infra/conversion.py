"""The conversion function: renders uploaded documents into page images."""

from __future__ import annotations

from aws_cdk import Duration

from infra.function_base import PythonZipFunction, ZipFunctionSpec

HANDLER_DIR = "lambdas/conversion"


def conversion_spec(
    *, memory_mb: int, timeout: Duration, ephemeral_storage_mb: int, reserved_concurrency: int
) -> ZipFunctionSpec:
    """``reserved_concurrency`` 0: none reserved. Otherwise every S3 upload and every range
    message together run at most that many 2 GB conversions at once (a burst of uploads is
    throttled, and Lambda retries throttled S3 invocations for up to six hours), and that
    many stay available to it whatever else runs in the account."""
    return ZipFunctionSpec(
        description="doctables: render uploaded documents into page images",
        handler_dir=HANDLER_DIR,
        memory_mb=memory_mb,
        timeout=timeout,
        ephemeral_storage_mb=ephemeral_storage_mb,
        reserved_concurrency=reserved_concurrency or None,
    )


class Conversion(PythonZipFunction):
    """Zip function ``lambdas/conversion/handler.py`` + ``doctables/``, with the layer.

    Triggered by ObjectCreated under the upload prefix and by the range queue (both wired
    in the stack). Large documents are split into page ranges, one range-queue message
    each; every rendered page becomes one page-queue message.
    """
