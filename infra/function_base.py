"""What every doctables function shares: its own role, its own log group, X-Ray tracing.

Each function gets an explicit role with no managed policy: the only permissions it starts
with are writing to its own log group and (from active tracing) X-Ray. Everything else is
granted in one place, ``infra/stack.py``. With a customer-managed key (``encryption=kms``)
the log group is encrypted with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundling import PYTHON_RUNTIME, function_code
from infra.nag import acknowledge, acknowledge_wildcard_resources

_RETENTION = {
    0: logs.RetentionDays.INFINITE,
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

RUNTIME_REASON = (
    "The zip functions run Python 3.12 on purpose: the layer's compiled wheels (PyMuPDF) are "
    "built for 3.12 (infra/bundling.py PYTHON_RUNTIME/PYTHON_VERSION move together)."
)
X_RAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) do not support "
    "resource-level permissions; AWS requires Resource '*'."
)


def log_retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


class PipelineFunction(Construct):
    """Base of the function constructs: a log group with the configured retention (encrypted
    with ``log_encryption_key`` when given), and a role that may write only to it. Subclasses
    create ``self.function`` with :meth:`function_options`, which adds the role, the log group
    and active tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        log_retention_days: int,
        destroy_on_remove: bool,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.description = description
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention(log_retention_days),
            encryption_key=log_encryption_key,
            removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
        )
        self.log_group.grant_write(self.role)
        # active tracing puts the X-Ray upload actions, on "*", into this role's policy
        acknowledge_wildcard_resources(self.role, ["*"], X_RAY_REASON)

    def function_options(
        self,
        *,
        architecture: lambda_.Architecture,
        memory_mb: int,
        timeout: Duration,
        environment: Mapping[str, str],
        reserved_concurrency: int | None = None,
    ) -> dict[str, Any]:
        return {
            "reserved_concurrent_executions": reserved_concurrency,
            "description": self.description,
            "architecture": architecture,
            "memory_size": memory_mb,
            "timeout": timeout,
            "environment": dict(environment),
            "role": self.role,
            "log_group": self.log_group,
            "tracing": lambda_.Tracing.ACTIVE,
        }


@dataclass(frozen=True, kw_only=True)
class ZipFunctionSpec:
    """What distinguishes one zip function of the pipeline from another."""

    description: str
    handler_dir: str
    memory_mb: int
    timeout: Duration
    ephemeral_storage_mb: int | None = None
    # None: no reservation (the function draws on the account's unreserved concurrency)
    reserved_concurrency: int | None = None


class PythonZipFunction(PipelineFunction):
    """A zip function: ``<handler_dir>/handler.py`` + ``doctables/``, the layer, tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: ZipFunctionSpec,
        source_root: Path,
        layer: lambda_.ILayerVersion,
        architecture: lambda_.Architecture,
        environment: Mapping[str, str],
        log_retention_days: int,
        destroy_on_remove: bool,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=spec.description,
            log_retention_days=log_retention_days,
            destroy_on_remove=destroy_on_remove,
            log_encryption_key=log_encryption_key,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=PYTHON_RUNTIME,
            handler="handler.handler",
            code=function_code(source_root=source_root, handler_dir=spec.handler_dir),
            layers=[layer],
            ephemeral_storage_size=(
                Size.mebibytes(spec.ephemeral_storage_mb) if spec.ephemeral_storage_mb else None
            ),
            **self.function_options(
                architecture=architecture,
                memory_mb=spec.memory_mb,
                timeout=spec.timeout,
                environment=environment,
                reserved_concurrency=spec.reserved_concurrency,
            ),
        )
        acknowledge(self.function, "AwsSolutions-L1", RUNTIME_REASON)
