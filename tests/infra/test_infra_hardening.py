"""The deployed template's hardening (issue 15, finding 8), beyond IAM (test_infra_iam.py):
log groups under the customer-managed key, an alarm topic the alarms notify, reserved
concurrency for the S3-triggered conversion, and expiry of noncurrent object versions.

Before: with encryption=kms the four log groups were not encrypted by the key, alarms had no
action unless an existing topic ARN was given, conversion had no reserved concurrency, and
noncurrent versions under the upload prefix and results/ never expired."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_nag import AwsSolutionsChecks
from infra_testing import Synthesized, pipeline_functions, synthesize

from infra.settings import DocTablesSettings, SettingsError

pytest_plugins = ["infra_fixtures"]

EXISTING_TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"


@pytest.fixture(scope="module")
def existing_topic_stack() -> Synthesized:
    """Alarms to an existing topic (with an e-mail subscription), a larger reservation and a
    longer noncurrent-version expiry."""
    return synthesize(DocTablesSettings.defaults(
        stack_name="DocTablesExistingTopic",
        alarm_topic_arn=EXISTING_TOPIC,
        alarm_email="oncall@example.com",
        conversion_reserved_concurrency=25,
        noncurrent_version_days=90,
    ))


def _properties(synth: Synthesized, construct: Any) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(construct)]["Properties"]


def _key_statements(synth: Synthesized) -> list[dict[str, Any]]:
    return _properties(synth, synth.stack.encryption_key)["KeyPolicy"]["Statement"]


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]


def _this(service: str, resource: str) -> dict[str, Any]:
    """arn:<partition>:<service>:<region>:<account>:<resource> as CDK renders it."""
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"},
                              ":", {"Ref": "AWS::AccountId"}, f":{resource}"]]}


# --- KMS for the log groups ------------------------------------------------------------------------

def test_kms_encrypts_the_four_log_groups(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    key = variant_stack.arn(variant_stack.stack.encryption_key)
    for function in pipeline_functions(variant_stack):
        assert _properties(variant_stack, function.log_group)["KmsKeyId"] == key, function.node.id
    # encryption=managed: CloudWatch Logs' own encryption, no key
    for function in pipeline_functions(default_stack):
        assert "KmsKeyId" not in _properties(default_stack, function.log_group)
    default_stack.template.resource_count_is("AWS::KMS::Key", 0)


def test_key_policy_lets_cloudwatch_logs_use_it_for_this_accounts_log_groups(variant_stack: Synthesized) -> None:
    logs = [s for s in _key_statements(variant_stack)
            if s["Principal"] == {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}]
    assert len(logs) == 1
    assert logs[0]["Effect"] == "Allow"
    assert set(logs[0]["Action"]) == {"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                                      "kms:GenerateDataKey*", "kms:Describe*"}
    assert logs[0]["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": _this("logs", "log-group:*")}
    }


# --- the alarm topic -------------------------------------------------------------------------------

def test_every_alarm_notifies_the_stacks_alarm_topic(synthesized: Synthesized) -> None:
    topic = synthesized.ref(synthesized.stack.alarm_topic)
    alarms = _alarms(synthesized)
    assert len(alarms) == 7  # 2 DLQ depth + 4 function errors + 1 page queue age
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic], alarm["AlarmDescription"]
        assert alarm["OKActions"] == [topic], alarm["AlarmDescription"]
    synthesized.template.resource_count_is("AWS::SNS::Topic", 1)
    assert synthesized.json["Outputs"]["AlarmTopicArn"]["Value"] == topic


def test_alarm_topic_accepts_tls_and_this_accounts_alarms_only(synthesized: Synthesized) -> None:
    topic = synthesized.ref(synthesized.stack.alarm_topic)
    policies = [p["Properties"] for p in synthesized.resources("AWS::SNS::TopicPolicy").values()]
    assert len(policies) == 1 and policies[0]["Topics"] == [topic]
    statements = policies[0]["PolicyDocument"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [{
        "Sid": "AllowCloudWatchAlarmsOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {"aws:SourceArn": _this("cloudwatch", "alarm:*")},
        },
    }]


def test_alarm_topic_encrypted_with_the_key_when_kms(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    key = variant_stack.arn(variant_stack.stack.encryption_key)
    assert _properties(variant_stack, variant_stack.stack.alarm_topic)["KmsMasterKeyId"] == key
    cloudwatch = [s for s in _key_statements(variant_stack)
                  if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch[0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": _this("cloudwatch", "alarm:*")},
    }
    # managed: CloudWatch cannot publish to a topic under aws/sns; acknowledged (AwsSolutions-SNS2)
    assert "KmsMasterKeyId" not in _properties(default_stack, default_stack.stack.alarm_topic)


def test_alarm_email_subscribes_to_the_topic(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    default_stack.template.resource_count_is("AWS::SNS::Subscription", 0)
    subscriptions = [s["Properties"] for s in variant_stack.resources("AWS::SNS::Subscription").values()]
    assert subscriptions == [{
        "Protocol": "email",
        "Endpoint": "ops@example.com",
        "TopicArn": variant_stack.ref(variant_stack.stack.alarm_topic),
    }]


def test_an_existing_alarm_topic_is_used_instead(existing_topic_stack: Synthesized) -> None:
    existing_topic_stack.template.resource_count_is("AWS::SNS::Topic", 0)
    for alarm in _alarms(existing_topic_stack):
        assert alarm["AlarmActions"] == [EXISTING_TOPIC]
        assert alarm["OKActions"] == [EXISTING_TOPIC]
    subscriptions = [s["Properties"] for s in existing_topic_stack.resources("AWS::SNS::Subscription").values()]
    assert subscriptions == [{"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": EXISTING_TOPIC}]


@pytest.mark.parametrize("address", ["ops", "a@b", "a@b.c, d@e.f", "two words@example.com"])
def test_alarm_email_must_be_one_address(address: str) -> None:
    with pytest.raises(SettingsError, match="alarmEmail"):
        DocTablesSettings.defaults(alarm_email=address)


# --- reserved concurrency for conversion --------------------------------------------------------------

def _reserved(synth: Synthesized) -> dict[str, Any]:
    return {
        function.node.id: _properties(synth, function.function).get("ReservedConcurrentExecutions")
        for function in pipeline_functions(synth)
    }


def test_conversion_has_reserved_concurrency(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    # cdk.json's default; the other functions are bounded by their event sources' maximum
    # concurrency (page queue) or handle little (sweeper, dead letters)
    assert _reserved(default_stack) == {"Conversion": 10, "TableStage": None, "DeadLetters": None, "Sweeper": None}
    assert default_stack.settings.conversion_reserved_concurrency == 10
    # 0: none reserved (an account whose concurrency quota cannot spare any)
    assert _reserved(variant_stack)["Conversion"] is None


def test_conversion_reserved_concurrency_is_configurable(existing_topic_stack: Synthesized) -> None:
    assert _reserved(existing_topic_stack)["Conversion"] == 25


@pytest.mark.parametrize("value", [1, 4, 1001, -1])
def test_reserved_concurrency_must_cover_the_range_queue(value: int) -> None:
    # rangeMaxConcurrency is 5 by default: fewer reserved would throttle range messages
    with pytest.raises(SettingsError, match="conversionReservedConcurrency"):
        DocTablesSettings.defaults(conversion_reserved_concurrency=value)
    assert DocTablesSettings.defaults(conversion_reserved_concurrency=5).conversion_reserved_concurrency == 5


# --- noncurrent object versions ------------------------------------------------------------------------

def _noncurrent_rules(synth: Synthesized) -> dict[str, dict[str, Any]]:
    rules = _properties(synth, synth.stack.bucket)["LifecycleConfiguration"]["Rules"]
    return {r.get("Prefix"): r for r in rules if "NoncurrentVersionExpiration" in r}


def test_noncurrent_versions_expire_under_uploads_results_and_tables(synthesized: Synthesized) -> None:
    rules = _noncurrent_rules(synthesized)
    for prefix in (synthesized.settings.upload_prefix, "results/", "tables/"):
        assert prefix in rules, prefix
        rule = rules[prefix]
        assert rule["Status"] == "Enabled"
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": synthesized.settings.noncurrent_version_days}
        # delete markers with no version left behind them go too
        assert rule["ExpiredObjectDeleteMarker"] is True
        # the current versions are the user's data: they never expire
        assert "ExpirationInDays" not in rule


def test_noncurrent_version_days_is_configurable(existing_topic_stack: Synthesized) -> None:
    rules = _noncurrent_rules(existing_topic_stack)
    for prefix in ("uploads/", "results/", "tables/"):
        assert rules[prefix]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}


def test_noncurrent_version_days_must_be_positive() -> None:
    with pytest.raises(SettingsError, match="noncurrent_version_days"):
        DocTablesSettings.defaults(noncurrent_version_days=0)


# --- cdk-nag -----------------------------------------------------------------------------------------

def test_existing_topic_configuration_has_no_unacknowledged_findings(existing_topic_stack: Synthesized) -> None:
    report = AwsSolutionsChecks().validate_scope(existing_topic_stack.stack)
    assert [v.rule_name for v in report.violations] == []
