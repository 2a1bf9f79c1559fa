"""cdk-nag AwsSolutions: zero unacknowledged findings, and proof that the check can fail.

cdk-nag 3.x runs as a CDK policy-validation plugin and no longer writes Annotations, so a
test reading Annotations would pass without checking anything. These tests call the pack
directly (``validate_scope``) and through the app's synthesis, and show on a throwaway
stack that both really report violations.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from infra_testing import Synthesized

from app import build_app
from infra.nag import acknowledge

pytest_plugins = ["infra_fixtures"]


def _violations(scope) -> list[tuple[str, list[str]]]:
    report = AwsSolutionsChecks().validate_scope(scope)
    return [
        (violation.rule_name, [r.construct_path for r in violation.violating_resources])
        for violation in report.violations
    ]


def _insecure_stack() -> tuple[cdk.Stack, s3.Bucket]:
    stack = cdk.Stack(cdk.App(), "Insecure")
    return stack, s3.Bucket(stack, "OpenBucket")  # no access logs, no TLS enforcement


def test_stack_has_no_unacknowledged_findings(synthesized: Synthesized) -> None:
    assert _violations(synthesized.stack) == []


def test_checker_flags_an_insecure_bucket() -> None:
    stack, _ = _insecure_stack()
    rules = {rule for rule, _ in _violations(stack)}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_acknowledgements_silence_only_what_they_name() -> None:
    stack, bucket = _insecure_stack()
    acknowledge(bucket, "AwsSolutions-S1", "throwaway bucket of a test, never deployed")
    rules = {rule for rule, _ in _violations(stack)}
    assert "AwsSolutions-S1" not in rules
    assert "AwsSolutions-S10" in rules


def test_acknowledgements_need_a_reason() -> None:
    _, bucket = _insecure_stack()
    with pytest.raises(ValueError):
        acknowledge(bucket, "AwsSolutions-S1", "")


def test_app_synthesis_runs_the_checks() -> None:
    # the real app (no bundling): cdk-nag is attached as a validation plugin and passes
    app = build_app({"bundle": False})
    assembly = app.synth()
    assert [s.stack_name for s in assembly.stacks] == ["DocTables"]


def test_app_synthesis_fails_on_a_finding() -> None:
    app = build_app({"bundle": False, "stackName": "DocTablesNagProbe"})
    s3.Bucket(app.node.find_child("DocTablesNagProbe"), "OpenBucket")
    with pytest.raises(Exception, match=r"AwsSolutions-S10"):
        app.synth()
