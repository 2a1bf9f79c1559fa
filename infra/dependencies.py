"""The Lambda layer shared by the zip functions: PyMuPDF and Powertools."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bundling import PYTHON_RUNTIME, layer_code


class DependenciesLayer(Construct):
    """A layer built from ``<layer_dir>/requirements.txt`` for one architecture.

    Bundled locally with ``pip install --platform manylinux... --target python/`` (see
    ``infra/bundling.py``); Docker is only the fallback.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layer_dir: Path,
        architecture: lambda_.Architecture,
    ) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=layer_code(layer_dir=layer_dir, architecture=architecture.name),
            compatible_runtimes=[PYTHON_RUNTIME],
            compatible_architectures=[architecture],
            description="doctables: PyMuPDF and AWS Lambda Powertools",
        )
