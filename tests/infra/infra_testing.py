"""Helpers of the infrastructure tests: synthesize the stack offline, read its template.

The fixtures are in infra_fixtures.py, loaded by each test module with
``pytest_plugins = ["infra_fixtures"]`` rather than from a ``conftest.py``: the
repository's top-level tests import their own ``conftest`` module by name, which a second
``tests/infra/conftest.py`` would shadow.

Unit tests synthesize with ``aws:cdk:bundling-stacks = []``: no layer pip install, no
code copy, no Docker; the table function's image asset is only fingerprinted. One test in
test_infra_bundling.py runs the real (local, Docker-free) bundling.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.settings import DocTablesSettings, load_cdk_json_context  # noqa: E402
from infra.stack import DocTablesStack  # noqa: E402

# A second configuration that flips every switch away from the default.
VARIANT_OVERRIDES: dict[str, Any] = {
    "stack_name": "DocTablesVariant",
    "architecture": "x86_64",
    "encryption": "kms",
    "destroy_on_remove": True,
    "event_bus_name": "doctables-events",
    "upload_prefix": "incoming/",
    "detection_model": "/opt/models/detection.onnx",
    "structure_model": "/opt/models/structure.onnx",
    "ocr_recognition_model": "/opt/models/ocr-recognition.onnx",
    "ocr_full_page": True,
    "max_batching_window_seconds": 0,
    "batch_size": 2,
    # the stack's own alarm topic (encrypted with the key), with an e-mail subscription
    "alarm_email": "ops@example.com",
    "conversion_reserved_concurrency": 0,
    "noncurrent_version_days": 7,
    "textract_buckets": "archive-a, archive-b",
}


@dataclass
class Synthesized:
    stack: DocTablesStack
    template: Template
    settings: DocTablesSettings

    @cached_property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}

    def logical_id(self, construct: Any) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))

    def ref(self, construct: Any) -> dict[str, str]:
        return {"Ref": self.logical_id(construct)}

    def arn(self, construct: Any) -> dict[str, list[str]]:
        return {"Fn::GetAtt": [self.logical_id(construct), "Arn"]}


def synthesize(settings: DocTablesSettings) -> Synthesized:
    """The stack in a fresh app with cdk.json's context and bundling skipped."""
    context = {**load_cdk_json_context(), "aws:cdk:bundling-stacks": []}
    app = cdk.App(context=context)
    stack = DocTablesStack(app, settings.stack_name, settings=settings)
    return Synthesized(stack=stack, template=Template.from_stack(stack), settings=settings)


def pipeline_functions(synth: Synthesized) -> list[Any]:
    """The four function constructs (each has ``function``, ``role`` and ``log_group``)."""
    stack = synth.stack
    return [stack.conversion, stack.table_stage, stack.dead_letters, stack.sweeper]


def policy_statements(synth: Synthesized, role: Any) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to ``role``."""
    role_ref = synth.ref(role)
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if role_ref in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)

