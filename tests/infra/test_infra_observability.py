"""CloudWatch alarms and dashboard; EventBridge bus; stack outputs."""

from __future__ import annotations

import json

from infra_testing import Synthesized, pipeline_functions

pytest_plugins = ["infra_fixtures"]


def _alarms(synth: Synthesized) -> list[dict]:
    return [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]


def _alarm_on(synth: Synthesized, namespace: str, metric: str, dimension: dict) -> dict:
    found = [
        a for a in _alarms(synth)
        if a["Namespace"] == namespace and a["MetricName"] == metric
        and a["Dimensions"] == [dimension]
    ]
    assert len(found) == 1, (metric, dimension)
    return found[0]


def test_dead_letter_depth_alarms(synthesized: Synthesized) -> None:
    for work in (synthesized.stack.page_queue, synthesized.stack.range_queue):
        alarm = _alarm_on(
            synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            {"Name": "QueueName",
             "Value": {"Fn::GetAtt": [synthesized.logical_id(work.dead_letter_queue), "QueueName"]}},
        )
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Statistic"] == "Maximum"


def test_function_error_alarms(synthesized: Synthesized) -> None:
    for function in pipeline_functions(synthesized):
        alarm = _alarm_on(
            synthesized, "AWS/Lambda", "Errors",
            {"Name": "FunctionName", "Value": synthesized.ref(function.function)},
        )
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Statistic"] == "Sum"


def test_page_queue_age_alarm(synthesized: Synthesized) -> None:
    alarm = _alarm_on(
        synthesized, "AWS/SQS", "ApproximateAgeOfOldestMessage",
        {"Name": "QueueName",
         "Value": {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.page_queue.queue), "QueueName"]}},
    )
    assert alarm["Threshold"] == synthesized.settings.page_queue_age_alarm_seconds
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_alarm_count_and_actions(synthesized: Synthesized) -> None:
    # 2 DLQ depth + 4 function errors + 1 page queue age; every one notifies the alarm topic
    # (the topic itself: test_infra_hardening.py)
    assert len(_alarms(synthesized)) == 7
    topic = synthesized.ref(synthesized.stack.alarm_topic)
    for alarm in _alarms(synthesized):
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]


def test_dashboard_shows_the_alarmed_metrics(synthesized: Synthesized) -> None:
    dashboards = synthesized.resources("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
                   "Errors", "Invocations", "Duration"):
        assert metric in body, metric
    for construct in (synthesized.stack.page_queue.dead_letter_queue, synthesized.stack.range_queue.dead_letter_queue,
                      synthesized.stack.page_queue.queue,
                      *(f.function for f in pipeline_functions(synthesized))):
        assert synthesized.logical_id(construct) in body


def test_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.json["Outputs"]
    stack = synthesized.stack
    assert outputs["BucketName"]["Value"] == synthesized.ref(stack.bucket)
    assert outputs["UploadPrefix"]["Value"] == synthesized.settings.upload_prefix
    assert outputs["TableName"]["Value"] == synthesized.ref(stack.table)
    assert outputs["PageQueueUrl"]["Value"] == synthesized.ref(stack.page_queue.queue)
    assert outputs["RangeQueueUrl"]["Value"] == synthesized.ref(stack.range_queue.queue)
    assert outputs["PageDeadLetterQueueUrl"]["Value"] == synthesized.ref(stack.page_queue.dead_letter_queue)
    assert outputs["RangeDeadLetterQueueUrl"]["Value"] == synthesized.ref(stack.range_queue.dead_letter_queue)
    assert json.loads(outputs["ExampleRulePattern"]["Value"]) == {
        "source": ["doctables"],
        "detail-type": ["Document Processed", "Document Failed"],
    }
    assert "DashboardName" in outputs
    assert outputs["AlarmTopicArn"]["Value"] == synthesized.ref(stack.alarm_topic)


def test_event_bus(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    # default: the account's default bus, referenced, not created
    default_stack.template.resource_count_is("AWS::Events::EventBus", 0)
    assert default_stack.json["Outputs"]["EventBusName"]["Value"] == "default"
    # a named bus is created by the stack
    variant_stack.template.resource_count_is("AWS::Events::EventBus", 1)
    variant_stack.template.has_resource_properties("AWS::Events::EventBus", {"Name": "doctables-events"})
    assert variant_stack.json["Outputs"]["EventBusName"]["Value"] == variant_stack.ref(variant_stack.stack.event_bus)
