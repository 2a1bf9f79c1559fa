"""What every doctables function shares: its own role, its own log group, X-Ray tracing.

Each function gets an explicit role with no managed policy: the only permissions it starts
with are writing to its own log group and (from active tracing) X-Ray. Everything else is
granted in one place, ``infra/stack.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_iam as iam
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


@dataclass(frozen=True, kw_only=True)
class FunctionBasics:
    """The role and log group a function is created with."""

    role: iam.Role
    log_group: logs.LogGroup


def function_basics(
    scope: Construct,
    *,
    description: str,
    log_retention_days: int,
    destroy_on_remove: bool,
) -> FunctionBasics:
    """A log group with the configured retention and a role that may write only to it."""
    log_group = logs.LogGroup(
        scope,
        "LogGroup",
        retention=log_retention(log_retention_days),
        removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
    )
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )
    log_group.grant_write(role)
    return FunctionBasics(role=role, log_group=log_group)


def finish_function(role: iam.Role) -> None:
    """Acknowledge what every traced function's role necessarily holds."""
    acknowledge_wildcard_resources(role, ["*"], X_RAY_REASON)


@dataclass(frozen=True, kw_only=True)
class ZipFunctionSpec:
    """What distinguishes one zip function of the pipeline from another."""

    description: str
    handler_dir: str
    memory_mb: int
    timeout: Duration
    ephemeral_storage_mb: int | None = None


class PythonZipFunction(Construct):
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
    ) -> None:
        super().__init__(scope, construct_id)
        basics = function_basics(
            self,
            description=spec.description,
            log_retention_days=log_retention_days,
            destroy_on_remove=destroy_on_remove,
        )
        self.role = basics.role
        self.log_group = basics.log_group
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=PYTHON_RUNTIME,
            architecture=architecture,
            handler="handler.handler",
            code=function_code(source_root=source_root, handler_dir=spec.handler_dir),
            layers=[layer],
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            ephemeral_storage_size=(
                Size.mebibytes(spec.ephemeral_storage_mb) if spec.ephemeral_storage_mb else None
            ),
            environment=dict(environment),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        finish_function(self.role)
        acknowledge(self.function, "AwsSolutions-L1", RUNTIME_REASON)
