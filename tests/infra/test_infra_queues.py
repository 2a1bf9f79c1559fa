"""SQS: page and range queues with their DLQs, and the Lambda event sources on them."""

from __future__ import annotations

from infra_testing import Synthesized

pytest_plugins = ["infra_fixtures"]


def _queue(synth: Synthesized, queue) -> dict:
    return synth.json["Resources"][synth.logical_id(queue)]["Properties"]


def _queues(synth: Synthesized):
    stack = synth.stack
    return {
        "page": stack.page_queue.queue,
        "page-dlq": stack.page_queue.dead_letter_queue,
        "range": stack.range_queue.queue,
        "range-dlq": stack.range_queue.dead_letter_queue,
    }


def _mapping(synth: Synthesized, queue) -> dict:
    arn = synth.arn(queue)
    found = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == arn
    ]
    assert len(found) == 1
    return found[0]


def test_four_queues(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::SQS::Queue", 4)


def test_queues_encrypted(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    for queue in _queues(default_stack).values():
        assert _queue(default_stack, queue)["SqsManagedSseEnabled"] is True
    for queue in _queues(variant_stack).values():
        assert _queue(variant_stack, queue)["KmsMasterKeyId"] == variant_stack.arn(variant_stack.stack.encryption_key)


def test_queues_deny_insecure_transport(synthesized: Synthesized) -> None:
    policies = synthesized.resources("AWS::SQS::QueuePolicy").values()
    for name, queue in _queues(synthesized).items():
        statements = [
            statement
            for policy in policies
            if policy["Properties"]["Queues"] == [synthesized.ref(queue)]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]
        assert {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": synthesized.arn(queue),
        } in statements, name


def test_redrive_to_dead_letter_queues(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    for work in (stack.page_queue, stack.range_queue):
        assert _queue(synthesized, work.queue)["RedrivePolicy"] == {
            "deadLetterTargetArn": synthesized.arn(work.dead_letter_queue),
            "maxReceiveCount": synthesized.settings.max_receive_count,
        }
        dead_letter = _queue(synthesized, work.dead_letter_queue)
        assert "RedrivePolicy" not in dead_letter
        assert dead_letter["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_visibility_timeouts_are_six_times_the_consumer_timeout(synthesized: Synthesized) -> None:
    settings, stack = synthesized.settings, synthesized.stack
    page = _queue(synthesized, stack.page_queue.queue)["VisibilityTimeout"]
    assert page >= 6 * settings.table_timeout_seconds
    ranges = _queue(synthesized, stack.range_queue.queue)["VisibilityTimeout"]
    assert ranges >= 6 * settings.conversion_timeout_seconds
    for dead_letter in (stack.page_queue.dead_letter_queue, stack.range_queue.dead_letter_queue):
        assert _queue(synthesized, dead_letter)["VisibilityTimeout"] >= 6 * settings.dead_letter_timeout_seconds


def test_page_queue_feeds_the_table_function(synthesized: Synthesized) -> None:
    settings = synthesized.settings
    mapping = _mapping(synthesized, synthesized.stack.page_queue.queue)
    assert mapping["FunctionName"] == synthesized.ref(synthesized.stack.table_stage.function)
    assert mapping["BatchSize"] == settings.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": settings.max_concurrency}
    if settings.max_batching_window_seconds:
        assert mapping["MaximumBatchingWindowInSeconds"] == settings.max_batching_window_seconds
    else:
        assert "MaximumBatchingWindowInSeconds" not in mapping


def test_range_queue_feeds_the_conversion_function(synthesized: Synthesized) -> None:
    mapping = _mapping(synthesized, synthesized.stack.range_queue.queue)
    assert mapping["FunctionName"] == synthesized.ref(synthesized.stack.conversion.function)
    assert mapping["BatchSize"] == synthesized.settings.range_batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": synthesized.settings.range_max_concurrency}


def test_both_dead_letter_queues_feed_the_dead_letter_function(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    for dead_letter in (stack.page_queue.dead_letter_queue, stack.range_queue.dead_letter_queue):
        mapping = _mapping(synthesized, dead_letter)
        assert mapping["FunctionName"] == synthesized.ref(stack.dead_letters.function)
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    synthesized.template.resource_count_is("AWS::Lambda::EventSourceMapping", 4)


def test_failed_async_conversions_go_to_the_range_dead_letter_queue(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    (config,) = synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
    properties = config["Properties"]
    assert properties["FunctionName"] == synthesized.ref(stack.conversion.function)
    assert properties["MaximumRetryAttempts"] == 2
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == synthesized.arn(
        stack.range_queue.dead_letter_queue
    )
