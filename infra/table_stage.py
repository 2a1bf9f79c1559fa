"""The table function: detects and structures tables on rendered pages (container image)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.function_base import PipelineFunction

DOCKERFILE = "lambdas/tables/Dockerfile"
ANALYSIS_HANDLER = "analyze.handler"  # lambdas/analyze/handler.py, copied into the image as analyze.py
# AnalyzeDocument answers through API Gateway, whose integration gives up at 29 s: the API
# function waits 27 s for this function (its own timeout is 29 s), which stops at 25 s.
ANALYSIS_TIMEOUT_S = 25
ANALYSIS_PAGE_BUDGET_S = 20

# Kept out of the image build context (the repository root): build output, VCS data, tests,
# benchmarks, tooling, and the infrastructure code (so infra edits do not rebuild the image).
DOCKER_CONTEXT_EXCLUDE = (
    "cdk.out",
    ".git",
    "tests",
    "bench",
    "node_modules",
    ".venv",
    "**/__pycache__",
    "**/*.pyc",
    ".pytest_cache",
    ".hypothesis",
    "out",
    "layers",
    "infra",
    "app.py",
    "cdk.json",
    "cdk.context.json",
    "package.json",
    "package-lock.json",
)

_IMAGE_PLATFORM = {
    "arm64": ecr_assets.Platform.LINUX_ARM64,
    "x86_64": ecr_assets.Platform.LINUX_AMD64,
}


def table_image(source_root: Path, architecture: lambda_.Architecture, *, cmd: list[str] | None = None
                ) -> lambda_.DockerImageCode:
    """The table stage's image; `cmd` runs another of its handlers (the same image asset, built
    and published once)."""
    return lambda_.DockerImageCode.from_image_asset(
        str(source_root),
        file=DOCKERFILE,
        platform=_IMAGE_PLATFORM[architecture.name],
        exclude=list(DOCKER_CONTEXT_EXCLUDE),
        cmd=cmd,
    )


class _TableImageFunction(PipelineFunction):
    """A ``DockerImageFunction`` built from ``lambdas/tables/Dockerfile`` (context = repo root),
    running the handler `cmd` names (the image's own by default).

    The image is only built when assets are published (``cdk deploy``); synthesis merely
    fingerprints the build context, so it needs no Docker daemon.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        source_root: Path,
        architecture: lambda_.Architecture,
        memory_mb: int,
        timeout: Duration,
        environment: Mapping[str, str],
        log_retention_days: int,
        destroy_on_remove: bool,
        log_encryption_key: kms.IKey | None = None,
        cmd: list[str] | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=description,
            log_retention_days=log_retention_days,
            destroy_on_remove=destroy_on_remove,
            log_encryption_key=log_encryption_key,
        )
        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=table_image(source_root, architecture, cmd=cmd),
            **self.function_options(
                architecture=architecture,
                memory_mb=memory_mb,
                timeout=timeout,
                environment=environment,
            ),
        )


class TableStage(_TableImageFunction):
    """The table stage: detect and structure tables on the pages of a queue batch."""

    def __init__(self, scope: Construct, construct_id: str, **options: Any) -> None:
        super().__init__(
            scope, construct_id, description="doctables: detect and structure tables on rendered pages", **options
        )


class TextractAnalysis(_TableImageFunction):
    """AnalyzeDocument's page code, deployed: a function of its own from the table stage's image
    (`lambdas/analyze`), invoked synchronously by the Textract API function with the document.
    Its own function, not the table stage's: its own timeout (under API Gateway's 29 s), its
    own concurrency (a queue's batches never hold up a synchronous caller, nor the reverse) and
    a role that only reads documents."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str], **options: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="doctables: Textract's AnalyzeDocument on one page (tables and text)",
            cmd=[ANALYSIS_HANDLER],
            timeout=Duration.seconds(ANALYSIS_TIMEOUT_S),
            # a slow page fails as PAGE_TIMEOUT with time left to answer, before Lambda's timeout
            environment={**environment, "DOCTABLES_PAGE_TIME_BUDGET": str(ANALYSIS_PAGE_BUDGET_S)},
            **options,
        )
