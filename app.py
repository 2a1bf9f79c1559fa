#!/usr/bin/env python3
"""CDK app of doctables: ``npx cdk synth`` / ``npx cdk deploy``, or ``python app.py``.

Settings are read once, here, from CDK context (defaults in cdk.json, overrides with
``-c key=value``) and passed down explicitly. Run directly (``python app.py``) the app
loads cdk.json's context itself, so both ways synthesize the same template.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.settings import DocTablesSettings, load_cdk_json_context
from infra.stack import DocTablesStack

BUNDLING_STACKS = "aws:cdk:bundling-stacks"


def build_app(context: dict | None = None, *, outdir: str | None = None) -> cdk.App:
    """The app with its one stack and the cdk-nag AwsSolutions checks attached.

    ``context`` (tests) is laid over cdk.json's; the CDK CLI's context, when present,
    takes precedence over both. ``outdir`` None: the CLI's, else a temporary directory.
    """
    app = cdk.App(outdir=outdir, context={**load_cdk_json_context(), **(context or {})})
    settings = DocTablesSettings.from_context(app.node.try_get_context)
    if not settings.bundle:
        # Skip every asset bundling step (no layer pip install, no code copy).
        app.node.set_context(BUNDLING_STACKS, [])
    DocTablesStack(
        app,
        settings.stack_name,
        settings=settings,
        description="doctables: documents in, tables out (S3, Lambda, SQS, DynamoDB, EventBridge)",
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    # Synthesis fails on any unacknowledged AwsSolutions finding.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    # Under the CDK CLI, CDK_OUTDIR names the cloud assembly; run directly, write ./cdk.out.
    build_app(outdir=os.environ.get("CDK_OUTDIR") or "cdk.out").synth()
