"""The table function: detects and structures tables on rendered pages (container image)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.function_base import PipelineFunction

DOCKERFILE = "lambdas/tables/Dockerfile"

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


class TableStage(PipelineFunction):
    """``DockerImageFunction`` built from ``lambdas/tables/Dockerfile``, context = repo root.

    The image is only built when assets are published (``cdk deploy``); synthesis merely
    fingerprints the build context, so it needs no Docker daemon.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_root: Path,
        architecture: lambda_.Architecture,
        memory_mb: int,
        timeout: Duration,
        environment: Mapping[str, str],
        log_retention_days: int,
        destroy_on_remove: bool,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="doctables: detect and structure tables on rendered pages",
            log_retention_days=log_retention_days,
            destroy_on_remove=destroy_on_remove,
            log_encryption_key=log_encryption_key,
        )
        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=lambda_.DockerImageCode.from_image_asset(
                str(source_root),
                file=DOCKERFILE,
                platform=_IMAGE_PLATFORM[architecture.name],
                exclude=list(DOCKER_CONTEXT_EXCLUDE),
            ),
            **self.function_options(
                architecture=architecture,
                memory_mb=memory_mb,
                timeout=timeout,
                environment=environment,
            ),
        )
