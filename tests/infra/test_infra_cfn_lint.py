"""cfn-lint on the synthesized templates (CDK's W3005, redundant DependsOn, may be ignored)."""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint
from infra_testing import Synthesized

pytest_plugins = ["infra_fixtures"]

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
IGNORED = ["W3005"]


def _lint(template: dict) -> list[str]:
    matches = lint(json.dumps(template), config=ManualArgs(regions=REGIONS, ignore_checks=IGNORED))
    return [str(match) for match in matches]


def test_templates_pass_cfn_lint(synthesized: Synthesized) -> None:
    assert _lint(synthesized.json) == []


def test_cfn_lint_does_report_errors(default_stack: Synthesized) -> None:
    broken = json.loads(json.dumps(default_stack.json))
    queue_id = default_stack.logical_id(default_stack.stack.page_queue.queue)
    broken["Resources"][queue_id]["Properties"]["VisibilityTimeout"] = 99_999  # over 12 hours
    assert any("E30" in problem for problem in _lint(broken))
