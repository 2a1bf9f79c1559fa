"""cdk-nag (3.x) acknowledgements, recorded through CDK's native ``Validations`` API.

cdk-nag 3 runs as a CDK policy-validation plugin; a finding is acknowledged with
``Validations.of(construct).acknowledge(Acknowledgment(id=..., reason=...))`` on the resource
or one of its ancestors. Granular rules (AwsSolutions-IAM5) report one finding per wildcard,
named ``RuleId[Resource::<flattened resource>]`` and each must be acknowledged on its own;
:func:`acknowledge_wildcard_resources` computes those names the way cdk-nag does so the
acknowledgement stays next to the statement that needs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

IAM_WILDCARD = "AwsSolutions-IAM5"


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` (and everything below it)."""
    if len(reason.strip()) < 10:
        raise ValueError(f"{rule_id}: an acknowledgement needs a real reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def flatten_reference(value: Any) -> str:
    """Render a resolved CloudFormation value as cdk-nag names it in a finding."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def acknowledge_wildcard_resources(
    scope: IConstruct, resources: Iterable[str], reason: str
) -> None:
    """Acknowledge the IAM5 finding of each resource (token or literal) that holds a ``*``."""
    stack = Stack.of(scope)
    for resource in resources:
        flat = flatten_reference(stack.resolve(resource))
        if "*" in flat:
            acknowledge(scope, f"{IAM_WILDCARD}[Resource::{flat}]", reason)


def acknowledge_wildcard_actions(scope: IConstruct, actions: Iterable[str], reason: str) -> None:
    """Acknowledge the IAM5 finding of each action that holds a ``*``."""
    for action in actions:
        if "*" in action:
            acknowledge(scope, f"{IAM_WILDCARD}[Action::{action}]", reason)
