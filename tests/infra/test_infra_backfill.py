"""The backfill state machine in the template: a Distributed Map over an S3 prefix with its
limits, reader, batcher and writer; the starter function it invokes; logging and tracing; and
the two roles' least privilege."""

from __future__ import annotations

import json

from infra_testing import Synthesized, as_list, canonical, policy_statements

from infra.backfill import BUSY_ERROR, BUSY_RETRY_ATTEMPTS, QUEUED_PAGES, QUEUED_RANGES, RESULTS_PREFIX

pytest_plugins = ["infra_fixtures"]


def _machine(synth: Synthesized) -> dict:
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]


def _definition(synth: Synthesized) -> dict:
    """The ASL with each CloudFormation reference written as its JSON (resolved enough to read)."""
    parts = _machine(synth)["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else json.dumps(json.dumps(p))[1:-1] for p in parts))


def _pairs(synth: Synthesized, role) -> set[tuple[str, str]]:
    return {(action, canonical(resource)) for statement in policy_statements(synth, role)
            for action in as_list(statement["Action"]) for resource in as_list(statement["Resource"])}


def test_backfill_is_a_distributed_map_with_its_limits(synthesized: Synthesized) -> None:
    state = _definition(synthesized)["States"]["Objects"]
    assert state["Type"] == "Map"
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert state["MaxConcurrencyPath"] == "$.max_concurrency" and "MaxConcurrency" not in state
    assert state["ToleratedFailurePercentage"] == synthesized.settings.backfill_tolerated_failure_percent == 5
    reader = state["ItemReader"]
    assert reader["Resource"].endswith(":states:::s3:listObjectsV2")
    assert reader["Parameters"] == {"Bucket.$": "$.bucket", "Prefix.$": "$.prefix"}
    batcher = state["ItemBatcher"]
    assert batcher["MaxItemsPerBatch"] == synthesized.settings.backfill_batch_size
    assert batcher["BatchInput"] == {"bucket.$": "$.bucket", "since.$": "$.since",
                                     "limits": {"range_messages": QUEUED_RANGES, "page_messages": QUEUED_PAGES}}
    writer = state["ResultWriter"]
    assert writer["Resource"].endswith(":states:::s3:putObject")
    assert writer["Parameters"]["Prefix"] == RESULTS_PREFIX
    assert synthesized.logical_id(synthesized.stack.bucket) in writer["Parameters"]["Bucket"]


def test_backfill_batch_waits_while_the_pipeline_is_busy(synthesized: Synthesized) -> None:
    task = _definition(synthesized)["States"]["Objects"]["ItemProcessor"]["States"]["StartBatch"]
    assert synthesized.logical_id(synthesized.stack.backfill.starter.function) in task["Resource"]
    (busy,) = [r for r in task["Retry"] if r["ErrorEquals"] == [BUSY_ERROR]]
    assert busy["MaxAttempts"] == BUSY_RETRY_ATTEMPTS and busy["IntervalSeconds"] == 30
    assert busy["BackoffRate"] == 1 and busy["JitterStrategy"] == "FULL"
    assert any(r["ErrorEquals"] == ["Lambda.TooManyRequestsException"] for r in task["Retry"])


def test_backfill_state_machine_logs_everything_and_traces(synthesized: Synthesized) -> None:
    machine = _machine(synthesized)
    logging = machine["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    assert synthesized.logical_id(synthesized.stack.backfill.log_group) in canonical(destination)
    assert machine["TracingConfiguration"] == {"Enabled": True}
    group = synthesized.json["Resources"][synthesized.logical_id(synthesized.stack.backfill.log_group)]
    assert group["Properties"]["RetentionInDays"] == synthesized.settings.log_retention_days


def test_backfill_state_machine_role_is_least_privilege(synthesized: Synthesized) -> None:
    backfill = synthesized.stack.backfill
    pairs = _pairs(synthesized, backfill.role)
    invoked = {r for a, r in pairs if a.startswith("lambda:")}
    assert invoked == {canonical(synthesized.arn(backfill.starter.function))}
    assert {a for a, _ in pairs if a.startswith("lambda:")} == {"lambda:InvokeFunction"}
    listed = {r for a, r in pairs if a == "s3:ListBucket"}
    expected = {canonical({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{name}"]]})
                for name in synthesized.settings.textract_bucket_names}
    assert listed == expected  # the allowed buckets, nothing else (none by default)
    object_actions = {(a, r) for a, r in pairs if a.startswith("s3:") and a != "s3:ListBucket"}
    assert object_actions and all(f"/{RESULTS_PREFIX}*" in r for _, r in object_actions)
    assert {a for a, _ in object_actions} <= {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload",
                                               "s3:ListMultipartUploadParts"}
    state_actions = {(a, r) for a, r in pairs if a.startswith("states:")}
    assert state_actions and all(synthesized.logical_id(backfill.state_machine) in r for _, r in state_actions)
    wildcard = {a for a, r in pairs if r == '"*"'}
    assert all(a.startswith(("logs:", "xray:")) for a in wildcard)
    assert not any(a.startswith(("dynamodb:", "sqs:", "kms:Create", "iam:")) for a, _ in pairs)


def test_backfill_starter_may_only_start_jobs(synthesized: Synthesized) -> None:
    starter = synthesized.stack.backfill.starter
    actions = {a for a, _ in _pairs(synthesized, starter.role)}
    expected = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                "dynamodb:GetItem", "dynamodb:PutItem", "sqs:SendMessage", "sqs:GetQueueAttributes"}
    if synthesized.settings.textract_bucket_names:
        expected |= {"s3:GetObject", "s3:GetObjectVersion"}
    if synthesized.settings.encryption == "kms":
        expected |= {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
    assert actions == expected
    reads = {r for a, r in _pairs(synthesized, starter.role) if a.startswith("s3:")}
    assert reads == {canonical({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{name}/*"]]})
                     for name in synthesized.settings.textract_bucket_names}
    sent = {r for a, r in _pairs(synthesized, starter.role) if a == "sqs:SendMessage"}
    assert sent == {canonical(synthesized.arn(synthesized.stack.range_queue.queue))}


def test_backfill_outputs_name_the_state_machine_and_its_buckets(synthesized: Synthesized) -> None:
    outputs = synthesized.json["Outputs"]
    assert outputs["BackfillStateMachineArn"]["Value"] == synthesized.ref(synthesized.stack.backfill.state_machine)
    assert outputs["BackfillBuckets"]["Value"] == ",".join(synthesized.settings.textract_bucket_names)
