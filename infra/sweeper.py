"""The sweeper: a scheduled function failing jobs whose pages stopped arriving."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.function_base import PythonZipFunction, ZipFunctionSpec

HANDLER_DIR = "lambdas/sweeper"


class Sweeper(PythonZipFunction):
    """Zip function ``lambdas/sweeper/handler.py`` + ``doctables/``, run every
    ``interval`` by an EventBridge schedule rule.

    It fails unfinished jobs without progress for ``jobDeadlineMinutes`` (a message lost
    outside the queues' redrive, e.g. an upload event whose conversion crashed for good),
    so that no job waits forever.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        interval: Duration,
        memory_mb: int,
        timeout: Duration,
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
            spec=ZipFunctionSpec(
                description="doctables: fail jobs whose pages stopped arriving",
                handler_dir=HANDLER_DIR,
                memory_mb=memory_mb,
                timeout=timeout,
            ),
            source_root=source_root,
            layer=layer,
            architecture=architecture,
            environment=environment,
            log_retention_days=log_retention_days,
            destroy_on_remove=destroy_on_remove,
            log_encryption_key=log_encryption_key,
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="doctables: run the sweeper",
            schedule=events.Schedule.rate(interval),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
