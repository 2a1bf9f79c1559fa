"""IAM: least privilege. Every permission of every function, and no wildcards a grant could narrow.

Issue 15, finding 8: before, all four functions could DeleteItem/Scan/BatchWriteItem on the
whole table and both indexes, PutEvents had no events:source condition, and every writer could
AbortMultipartUpload. Now each function has only the DynamoDB actions the code it runs calls,
on the table and only the index it queries (tests/infra/test_infra_iam_runtime.py runs the
handlers and checks every call they make against these grants)."""

from __future__ import annotations

from typing import Any

import pytest
from infra_testing import Synthesized, as_list, canonical, pipeline_functions, policy_statements

pytest_plugins = ["infra_fixtures"]

# The only statements allowed to name Resource "*": X-Ray's trace upload actions, added by
# active tracing, which do not support resource-level permissions (AWS requires "*"); and for the
# backfill state machine, CloudWatch Logs' vended log delivery and X-Ray's sampling reads, which
# AWS documents for Step Functions logging and tracing with Resource "*" as well.
RESOURCE_STAR_ALLOWED = {
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

# What doctables.pipeline.store issues: GetItem, PutItem, UpdateItem, Query, and TransactWriteItems,
# which IAM authorises as its parts (a Put and an Update).
ITEM_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}
# function -> (actions on the table, indexes it may Query)
DYNAMODB_GRANTS = {
    "conversion": (ITEM_ACTIONS, ()),
    "table_stage": (ITEM_ACTIONS, ()),
    "dead_letters": (ITEM_ACTIONS, ()),
    # the sweeper reads the active-jobs index and updates jobs; it creates no item
    "sweeper": (ITEM_ACTIONS - {"dynamodb:PutItem"}, ("active-jobs",)),
}
NEVER_CALLED = {
    "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:PartiQLDelete",
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:PutObjectAcl",
}
CONSUME_ACTIONS = {
    "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl", "sqs:ReceiveMessage",
}
KMS_ACTIONS = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}


def _pairs(statements: list[dict[str, Any]], prefix: str) -> set[tuple[str, str]]:
    """(action, resource) pairs of the Allow statements whose actions start with ``prefix``."""
    pairs = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            if action.startswith(prefix):
                for resource in as_list(statement["Resource"]):
                    pairs.add((action, canonical(resource)))
    return pairs


def _objects(synth: Synthesized, prefix: str) -> str:
    return canonical({"Fn::Join": ["", [synth.arn(synth.stack.bucket), f"/{prefix}*"]]})


def _all_identity_statements(synth: Synthesized) -> list[dict[str, Any]]:
    statements = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    for role in synth.resources("AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
    return statements


def test_no_wildcard_actions(synthesized: Synthesized) -> None:
    for statement in _all_identity_statements(synthesized):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement


def test_resource_star_only_where_aws_requires_it(synthesized: Synthesized) -> None:
    for statement in _all_identity_statements(synthesized):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= RESOURCE_STAR_ALLOWED, statement


def test_no_identity_policy_grants_a_whole_bucket_or_table_wildcard(synthesized: Synthesized) -> None:
    # object permissions are always scoped to a key prefix, never to <bucket>/*
    whole_bucket = canonical({"Fn::Join": ["", [synthesized.arn(synthesized.stack.bucket), "/*"]]})
    for statement in _all_identity_statements(synthesized):
        for resource in as_list(statement["Resource"]):
            assert canonical(resource) != whole_bucket, statement
            assert "/index/*" not in canonical(resource), statement


def test_conversion_s3(synthesized: Synthesized) -> None:
    statements = policy_statements(synthesized, synthesized.stack.conversion.role)
    uploads = _objects(synthesized, synthesized.settings.upload_prefix)
    assert _pairs(statements, "s3:") == {
        ("s3:GetObject", uploads),
        ("s3:GetObjectVersion", uploads),  # the event names the exact version
        ("s3:PutObject", _objects(synthesized, "pages/")),
        # closing a job (an empty, corrupt or unreadable document fails in conversion; a range
        # that settles the last page closes the job): read spilled tables, write the result
        ("s3:GetObject", _objects(synthesized, "tables/")),
        ("s3:PutObject", _objects(synthesized, "results/")),
        # a document the Textract API started where it lies, in an allowed bucket
        *_allowed_buckets(synthesized, ("s3:GetObject", "s3:GetObjectVersion")),
    }


def _allowed_buckets(synth: Synthesized, actions: tuple[str, ...]) -> set[tuple[str, str]]:
    objects = [canonical({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{name}/*"]]})
               for name in synth.settings.textract_bucket_names]
    return {(action, resource) for action in actions for resource in objects}


def test_table_stage_s3(synthesized: Synthesized) -> None:
    statements = policy_statements(synthesized, synthesized.stack.table_stage.role)
    assert _pairs(statements, "s3:") == {
        ("s3:GetObject", _objects(synthesized, "pages/")),
        ("s3:GetObject", _objects(synthesized, "tables/")),
        ("s3:PutObject", _objects(synthesized, "results/")),
        ("s3:PutObject", _objects(synthesized, "tables/")),
    }


def test_dead_letters_s3(synthesized: Synthesized) -> None:
    statements = policy_statements(synthesized, synthesized.stack.dead_letters.role)
    assert _pairs(statements, "s3:") == {
        ("s3:GetObject", _objects(synthesized, synthesized.settings.upload_prefix)),
        ("s3:GetObject", _objects(synthesized, "tables/")),
        ("s3:PutObject", _objects(synthesized, "results/")),
        *_allowed_buckets(synthesized, ("s3:GetObject",)),  # the version of a Textract API start
    }


@pytest.mark.parametrize("function", list(DYNAMODB_GRANTS))
def test_dynamodb_only_what_each_function_calls(synthesized: Synthesized, function: str) -> None:
    role = getattr(synthesized.stack, function).role
    table_arn = synthesized.arn(synthesized.stack.table)
    table_actions, indexes = DYNAMODB_GRANTS[function]
    expected = {(a, canonical(table_arn)) for a in table_actions} | {
        ("dynamodb:Query", canonical({"Fn::Join": ["", [table_arn, f"/index/{index}"]]}))
        for index in indexes
    }
    assert _pairs(policy_statements(synthesized, role), "dynamodb:") == expected


def test_no_function_may_delete_scan_or_batch_write(synthesized: Synthesized) -> None:
    for function in pipeline_functions(synthesized):
        for statement in policy_statements(synthesized, function.role):
            actions = set(as_list(statement["Action"]))
            assert not actions & NEVER_CALLED, statement
            assert not any(a.startswith("dynamodb:") and "*" in a for a in actions), statement


def test_only_the_sweeper_reads_an_index_and_only_active_jobs(synthesized: Synthesized) -> None:
    for function in pipeline_functions(synthesized):
        indexed = {
            resource for action, resource in _pairs(policy_statements(synthesized, function.role), "dynamodb:")
            if "/index/" in resource
        }
        if function is synthesized.stack.sweeper:
            assert len(indexed) == 1 and indexed.pop().endswith('"/index/active-jobs"]]}')
        else:
            assert indexed == set(), function.node.id


def test_sweeper_s3(synthesized: Synthesized) -> None:
    statements = policy_statements(synthesized, synthesized.stack.sweeper.role)
    assert _pairs(statements, "s3:") == {
        ("s3:GetObject", _objects(synthesized, "tables/")),
        ("s3:PutObject", _objects(synthesized, "results/")),
    }


def test_sqs(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    page, ranges = stack.page_queue, stack.range_queue

    def consume(*queues) -> set[tuple[str, str]]:
        return {(a, canonical(synthesized.arn(q))) for a in CONSUME_ACTIONS for q in queues}

    def send(*queues) -> set[tuple[str, str]]:
        return {("sqs:SendMessage", canonical(synthesized.arn(q))) for q in queues}

    # The range DLQ is also the conversion's on-failure destination for async invocations.
    assert _pairs(policy_statements(synthesized, stack.conversion.role), "sqs:") == (
        send(page.queue, ranges.queue, ranges.dead_letter_queue) | consume(ranges.queue)
    )
    assert _pairs(policy_statements(synthesized, stack.table_stage.role), "sqs:") == consume(page.queue)
    assert _pairs(policy_statements(synthesized, stack.dead_letters.role), "sqs:") == consume(
        page.dead_letter_queue, ranges.dead_letter_queue
    )
    assert _pairs(policy_statements(synthesized, stack.sweeper.role), "sqs:") == set()


def test_put_events_on_exactly_the_bus(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    default_bus = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"},
                          ":", {"Ref": "AWS::AccountId"}, ":event-bus/default"]]
    }
    for synth, bus in ((default_stack, default_bus), (variant_stack, variant_stack.arn(variant_stack.stack.event_bus))):
        for function in pipeline_functions(synth):
            pairs = _pairs(policy_statements(synth, function.role), "events:")
            assert pairs == {("events:PutEvents", canonical(bus))}


def test_put_events_only_with_the_source_the_runtime_publishes(synthesized: Synthesized) -> None:
    from doctables.pipeline.events import SOURCE

    for function in pipeline_functions(synthesized):
        statements = [
            s for s in policy_statements(synthesized, function.role)
            if any(a.startswith("events:") for a in as_list(s["Action"]))
        ]
        assert len(statements) == 1, statements
        assert statements[0]["Condition"] == {"StringEquals": {"events:source": SOURCE}}


def test_logs_only_to_own_log_group(synthesized: Synthesized) -> None:
    for function in pipeline_functions(synthesized):
        pairs = _pairs(policy_statements(synthesized, function.role), "logs:")
        group = canonical(synthesized.arn(function.log_group))
        assert pairs == {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}


def test_kms_only_with_a_customer_managed_key(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    for function in pipeline_functions(default_stack):
        assert not _pairs(policy_statements(default_stack, function.role), "kms:")
    key = canonical(variant_stack.arn(variant_stack.stack.encryption_key))
    for function in pipeline_functions(variant_stack):
        assert _pairs(policy_statements(variant_stack, function.role), "kms:") == {
            (action, key) for action in KMS_ACTIONS
        }


def test_no_other_services(synthesized: Synthesized) -> None:
    allowed = ("s3:", "dynamodb:", "sqs:", "events:", "logs:", "xray:", "kms:")
    for function in pipeline_functions(synthesized):
        for statement in policy_statements(synthesized, function.role):
            for action in as_list(statement["Action"]):
                assert action.startswith(allowed), action


def test_key_policy_delegates_to_iam(variant_stack: Synthesized) -> None:
    """The key policy is CDK's default (the account root may administer and use the key,
    which delegates access control to IAM policies: the grants above) plus what two services
    need to use it for this stack: CloudWatch Logs (the log groups) and CloudWatch alarms (the
    encrypted alarm topic), each bound by a condition (tests/infra/test_infra_hardening.py).
    In a key policy Resource "*" means "this key"."""
    keys = variant_stack.resources("AWS::KMS::Key")
    assert len(keys) == 1
    statements = next(iter(keys.values()))["Properties"]["KeyPolicy"]["Statement"]
    root = [s for s in statements if "AWS" in s["Principal"]]
    assert len(root) == 1
    assert root[0]["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                                  {"Ref": "AWS::AccountId"}, ":root"]]}
    }
    services = [s for s in statements if "Service" in s["Principal"]]
    assert len(services) == 2 and all(s.get("Condition") for s in services)
    assert len(statements) == 3
