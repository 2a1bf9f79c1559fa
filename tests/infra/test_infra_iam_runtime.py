"""The grants fit the code: every AWS call the four handlers make is allowed by their role, and
every S3, DynamoDB and EventBridge permission a role has is used by its handler.

The handlers run on the local pipeline (moto, doctables.local.stack.LocalStack) through the paths that
need each permission: a job closed by conversion (a range whose page is unreadable settles the
last page; the job's other page spilled its table to tables/, and exports are on), a job closed
by the table stage, an empty upload, a page that fails until it is dead-lettered, an upload
whose conversion crashes until Lambda's on-failure record reaches the dead-letter function, and
a stalled job failed by the sweeper. botocore's parameter hook records each call with the
function making it; each call is mapped to the IAM actions and resources it needs (as AWS
authorises it: TransactWriteItems as its parts, GetObject with a version id as
s3:GetObjectVersion, HeadObject as s3:GetObject) and compared with the role's statements in the
synthesized template (issue 15, finding 8)."""

from __future__ import annotations

import contextvars
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator

import pytest
from infra_testing import Synthesized, as_list, canonical, policy_statements

pytest_plugins = ["infra_fixtures"]

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.pdf"
# LocalStack's handler names -> the stack's function constructs
FUNCTIONS = {"conversion": "conversion", "tables": "table_stage", "dead_letters": "dead_letters", "sweeper": "sweeper"}
_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("function", default=None)

Permission = tuple[str, str, str | None]  # (action, resource, events:source or None)


# --- the template side ------------------------------------------------------------------------

def _resource_names(synth: Synthesized) -> dict[str, str]:
    """canonical CloudFormation value of a resource -> the name used below."""
    stack = synth.stack
    bucket = synth.arn(stack.bucket)
    table = synth.arn(stack.table)
    names = {canonical(table): "table"}
    for index in ("jobs-by-time", "active-jobs"):
        names[canonical({"Fn::Join": ["", [table, f"/index/{index}"]]})] = f"index/{index}"
    for prefix in (synth.settings.upload_prefix, "pages/", "results/", "tables/"):
        names[canonical({"Fn::Join": ["", [bucket, f"/{prefix}*"]]})] = prefix
    for name, queue in (("page", stack.page_queue.queue), ("page-dlq", stack.page_queue.dead_letter_queue),
                        ("range", stack.range_queue.queue), ("range-dlq", stack.range_queue.dead_letter_queue)):
        names[canonical(synth.arn(queue))] = name
    default_bus = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"},
                                     ":", {"Ref": "AWS::AccountId"}, ":event-bus/default"]]}
    names[canonical(default_bus)] = "bus"
    return names


def granted(synth: Synthesized, function: str) -> set[Permission]:
    names = _resource_names(synth)
    role = getattr(synth.stack, FUNCTIONS[function]).role
    permissions: set[Permission] = set()
    for statement in policy_statements(synth, role):
        source = statement.get("Condition", {}).get("StringEquals", {}).get("events:source")
        for action in as_list(statement["Action"]):
            if action.split(":")[0] not in ("s3", "dynamodb", "sqs", "events"):
                continue  # logs (its own group), X-Ray, KMS: not callable locally
            for resource in as_list(statement["Resource"]):
                permissions.add((action, names.get(canonical(resource), canonical(resource)), source))
    return permissions


# --- the runtime side -------------------------------------------------------------------------

class Calls:
    """Records, per function, the IAM permissions each AWS call made by a handler needs."""

    def __init__(self, aws: Any, queues: Any) -> None:
        self.queues = {queues.pages: "page", queues.pages_dlq: "page-dlq",
                       queues.ranges: "range", queues.ranges_dlq: "range-dlq"}
        self.needed: dict[str, set[Permission]] = defaultdict(set)
        for client in (aws.s3, aws.dynamodb, aws.sqs, aws.events):
            client.meta.events.register("before-parameter-build", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        function = _CURRENT.get()
        if function is None:  # the local runner itself (creating, polling, inspecting)
            return
        self.needed[function].update(self.permissions(model.service_model.service_name, model.name, params))

    def permissions(self, service: str, operation: str, params: dict[str, Any]) -> list[Permission]:
        if service == "s3":
            prefix = params["Key"].split("/", 1)[0] + "/"
            if operation in ("GetObject", "HeadObject"):
                return [("s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject", prefix, None)]
            return [(f"s3:{operation}", prefix, None)]
        if service == "dynamodb":
            if operation == "TransactWriteItems":
                parts = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                         "ConditionCheck": "ConditionCheckItem"}
                return [(f"dynamodb:{parts[kind]}", "table", None) for item in params["TransactItems"] for kind in item]
            if operation == "TransactGetItems":
                return [("dynamodb:GetItem", "table", None) for _ in params["TransactItems"]]
            index = params.get("IndexName")
            return [(f"dynamodb:{operation}", f"index/{index}" if index else "table", None)]
        if service == "sqs":
            action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                      "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}.get(operation, operation)
            return [(f"sqs:{action}", self.queues.get(params.get("QueueUrl"), params.get("QueueUrl")), None)]
        if service == "events" and operation == "PutEvents":
            return [("events:PutEvents", "bus", entry["Source"]) for entry in params["Entries"]]
        return [(f"{service}:{operation}", "?", None)]


def _attributed(original):
    def invoke(self, name, event):
        token = _CURRENT.set(name)
        try:
            return original(self, name, event)
        finally:
            _CURRENT.reset(token)

    return invoke


# --- the scenarios ----------------------------------------------------------------------------

class Faults:
    """Switchable faults, each on while one scenario needs it."""

    unreadable_page: int | None = None  # conversion cannot render this page number
    poisoned: bool = False  # the table stage's work raises on every page
    crashing: bool = False  # conversion crashes (before its job exists)


def _pump(stack, queue: str, until, limit: int = 50) -> None:
    for _ in range(limit):
        if until():
            return
        stack.pump_once(queue)
    assert until(), f"{queue}: the condition never held"


def _drop(stack, queue_url: str) -> None:
    """Lose every message on a queue (as a message lost outside the redrive would be)."""
    while True:
        messages = stack.aws.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for message in messages:
            stack.aws.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def runtime_calls() -> Iterator[dict[str, set[Permission]]]:
    import doctables.pipeline.conversion as conversion
    import doctables.pipeline.store as store
    import doctables.pipeline.table_stage as table_stage
    from doctables.local.stack import TABLE, LocalStack
    from doctables.pipeline.aws import current_runtime
    from doctables.settings import Settings

    patch = pytest.MonkeyPatch()
    faults = Faults()
    render_page, open_document, find_page = (
        conversion.render_page, conversion.open_document, table_stage.find_page)

    def render_or_fail(page, number, *args, **kwargs):
        if number == faults.unreadable_page:
            raise RuntimeError("injected: damaged page")
        return render_page(page, number, *args, **kwargs)

    def open_or_crash(*args, **kwargs):
        if faults.crashing:
            raise RuntimeError("injected: conversion crashed")
        return open_document(*args, **kwargs)

    def find_or_raise(*args, **kwargs):
        if faults.poisoned:
            raise RuntimeError("injected: the page kills its work")
        return find_page(*args, **kwargs)

    patch.setattr(conversion, "render_page", render_or_fail)
    patch.setattr(conversion, "open_document", open_or_crash)
    patch.setattr(table_stage, "find_page", find_or_raise)
    patch.setattr(store, "MAX_INLINE_TABLE_BYTES", 0)  # every table spills to tables/
    patch.setattr(LocalStack, "_invoke", _attributed(LocalStack._invoke))
    sample = SAMPLE.read_bytes()
    try:
        with LocalStack(Settings(range_pages=1, export_formats="csv")) as stack:
            calls = Calls(current_runtime().aws, stack.queues)
            jobs = store.JobStore(stack.aws.dynamodb, TABLE)

            def job(key: str):
                return next((j for j in jobs.list_jobs(limit=100) if j.source.key == key), None)

            def pages_settled(key: str, count: int):
                return lambda: (j := job(key)) is not None and j.pages_done + j.pages_failed >= count

            def final(key: str):
                return lambda: (j := job(key)) is not None and j.status.final and j.announced

            # 1. conversion closes a job: page 1 done (its table spilled), then the range of
            #    page 2 finds it unreadable, settles the last page and closes the job.
            key = stack.upload(sample, "closed-by-conversion.pdf")
            stack.pump_once("ingest")
            _pump(stack, "pages", pages_settled(key, 1))
            faults.unreadable_page = 2
            _pump(stack, "ranges", final(key))
            faults.unreadable_page = None
            assert job(key).status.value == "PARTIALLY_SUCCEEDED"

            # 2. the table stage closes a job (reading the spilled tables back)
            key = stack.upload(sample, "closed-by-tables.pdf")
            stack.run_until(final(key), timeout=120)

            # 3. an empty upload: conversion fails the job and writes its result
            key = stack.upload(b"", "empty.pdf")
            stack.run_until(final(key), timeout=60)

            # 4. page 2 fails every time: dead-lettered, the dead-letter function settles it
            #    and closes the job (page 1's table spilled)
            key = stack.upload(sample, "dead-lettered.pdf")
            stack.pump_once("ingest")
            _pump(stack, "pages", pages_settled(key, 1))
            faults.poisoned = True
            stack.run_until(final(key), timeout=120)
            faults.poisoned = False
            assert job(key).pages_failed == 1

            # 5. conversion crashes every time: Lambda's on-failure record reaches the dead-letter
            #    function, which resolves the upload's version and fails its job
            faults.crashing = True
            key = stack.upload(sample, "crashes.pdf")
            stack.run_until(final(key), timeout=60)
            faults.crashing = False

            # 6. a job whose second page's range message was lost: the sweeper fails it
            key = stack.upload(sample, "stalled.pdf")
            stack.pump_once("ingest")
            _drop(stack, stack.queues.ranges)
            _pump(stack, "pages", pages_settled(key, 1))
            stack.aws.dynamodb.update_item(
                TableName=TABLE, Key={"pk": {"S": f"JOB#{job(key).job_id}"}, "sk": {"S": "JOB"}},
                UpdateExpression="SET updated_at = :old",
                ExpressionAttributeValues={":old": {"S": "2000-01-01T00:00:00.000000Z"}},
            )
            answer = stack._invoke("sweeper", {})
            assert answer["timed_out"] == [job(key).job_id]
            stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=30)

            assert len({e["detail"]["job_id"] for e in stack.events}) == 6
            yield dict(calls.needed)
    finally:
        patch.undo()


# --- the checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_call_a_handler_makes_is_granted(
    runtime_calls: dict[str, set[Permission]], default_stack: Synthesized, function: str
) -> None:
    grants = granted(default_stack, function)
    # a PutEvents grant without an events:source condition would allow any source
    missing = {p for p in runtime_calls[function] if p not in grants and (*p[:2], None) not in grants}
    assert not missing, f"{function} calls what its role does not allow: {sorted(missing, key=str)}"


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_data_permission_a_role_has_is_used(
    runtime_calls: dict[str, set[Permission]], default_stack: Synthesized, function: str
) -> None:
    # Lambda's own calls with the role: consuming a queue (the event source mapping's poller)
    # and sending conversion's on-failure record (its asynchronous-invocation destination)
    lambdas_own = {p for p in granted(default_stack, function)
                   if (p[0].startswith("sqs:") and p[0] != "sqs:SendMessage")
                   or (function == "conversion" and p[:2] == ("sqs:SendMessage", "range-dlq"))}
    used = runtime_calls[function] | {(*p[:2], None) for p in runtime_calls[function]}
    unused = granted(default_stack, function) - used - lambdas_own
    assert not unused, f"{function}'s role allows what it never calls: {sorted(unused, key=str)}"


def test_what_the_scenarios_show(runtime_calls: dict[str, set[Permission]]) -> None:
    """The permissions finding 8 is about, as the code needs them."""
    conversion = runtime_calls["conversion"]
    # conversion closes jobs, so it writes results/ (and exports beside them) and reads tables/
    assert ("s3:PutObject", "results/", None) in conversion
    assert ("s3:GetObject", "tables/", None) in conversion
    # the only index any function reads is active-jobs, by the sweeper
    indexed = {(f, p[1]) for f, calls in runtime_calls.items() for p in calls if p[1].startswith("index/")}
    assert indexed == {("sweeper", "index/active-jobs")}
    # every event has the source the PutEvents condition names
    sources = {p[2] for calls in runtime_calls.values() for p in calls if p[0] == "events:PutEvents"}
    assert sources == {"doctables"}
    for calls in runtime_calls.values():
        assert not {p[0] for p in calls} & {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem"}
