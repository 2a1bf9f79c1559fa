"""S3: the upload bucket and its access-log bucket."""

from __future__ import annotations

from aws_cdk.assertions import Match
from infra_testing import Synthesized

pytest_plugins = ["infra_fixtures"]

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def _bucket(synth: Synthesized, bucket) -> dict:
    return synth.json["Resources"][synth.logical_id(bucket)]


def _bucket_policy_statements(synth: Synthesized, bucket) -> list[dict]:
    ref = synth.ref(bucket)
    for policy in synth.resources("AWS::S3::BucketPolicy").values():
        if policy["Properties"]["Bucket"] == ref:
            return policy["Properties"]["PolicyDocument"]["Statement"]
    raise AssertionError("bucket has no policy")


def test_two_buckets(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::S3::Bucket", 2)


def test_upload_bucket_security(default_stack: Synthesized) -> None:
    properties = _bucket(default_stack, default_stack.stack.bucket)["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == BLOCK_ALL
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    log_bucket = default_stack.stack.node.find_child("Storage").log_bucket
    assert properties["LoggingConfiguration"] == {
        "DestinationBucketName": default_stack.ref(log_bucket),
        "LogFilePrefix": "upload-bucket/",
    }


def test_upload_bucket_kms_variant(variant_stack: Synthesized) -> None:
    properties = _bucket(variant_stack, variant_stack.stack.bucket)["Properties"]
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": variant_stack.arn(variant_stack.stack.encryption_key),
    }
    assert rule["BucketKeyEnabled"] is True
    variant_stack.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_buckets_deny_insecure_transport(synthesized: Synthesized) -> None:
    storage = synthesized.stack.node.find_child("Storage")
    for bucket in (storage.bucket, storage.log_bucket):
        statements = _bucket_policy_statements(synthesized, bucket)
        deny_plain = [
            s for s in statements
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert deny_plain and deny_plain[0]["Action"] == "s3:*"
        deny_old_tls = [
            s for s in statements
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("NumericLessThan", {}).get("s3:TlsVersion") == 1.2
        ]
        assert deny_old_tls


def test_log_bucket(synthesized: Synthesized) -> None:
    log_bucket = synthesized.stack.node.find_child("Storage").log_bucket
    properties = _bucket(synthesized, log_bucket)["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == BLOCK_ALL
    # access-log delivery only supports SSE-S3 on the target bucket
    rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    lifecycle = properties["LifecycleConfiguration"]["Rules"]
    assert lifecycle[0]["ExpirationInDays"] == synthesized.settings.access_logs_lifecycle_days
    # the logging service may write, by bucket policy, only from this stack's bucket
    statements = _bucket_policy_statements(synthesized, log_bucket)
    delivery = [s for s in statements if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
    assert delivery and delivery[0]["Action"] == "s3:PutObject"
    assert delivery[0]["Condition"]["ArnLike"]["aws:SourceArn"] == synthesized.arn(synthesized.stack.bucket)


def test_pages_expire(synthesized: Synthesized) -> None:
    rules = _bucket(synthesized, synthesized.stack.bucket)["Properties"]["LifecycleConfiguration"]["Rules"]
    pages = [r for r in rules if r.get("Prefix") == "pages/"]
    assert len(pages) == 1
    assert pages[0]["Status"] == "Enabled"
    assert pages[0]["ExpirationInDays"] == synthesized.settings.pages_lifecycle_days
    assert pages[0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    # nothing outside pages/ expires: uploads and results are the user's data
    assert all(r.get("Prefix") == "pages/" or "ExpirationInDays" not in r for r in rules)


def test_upload_notification_filtered_on_prefix(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("Custom::S3BucketNotifications", 1)
    synthesized.template.has_resource_properties(
        "Custom::S3BucketNotifications",
        {
            "BucketName": synthesized.ref(synthesized.stack.bucket),
            "NotificationConfiguration": {
                "LambdaFunctionConfigurations": [
                    {
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": "prefix", "Value": synthesized.settings.upload_prefix}
                                ]
                            }
                        },
                        "LambdaFunctionArn": synthesized.arn(synthesized.stack.conversion.function),
                    }
                ]
            },
        },
    )
    synthesized.template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com",
            "FunctionName": synthesized.arn(synthesized.stack.conversion.function),
            "SourceArn": synthesized.arn(synthesized.stack.bucket),
            "SourceAccount": {"Ref": "AWS::AccountId"},
        },
    )


def test_retained_by_default(default_stack: Synthesized) -> None:
    for bucket in default_stack.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["UpdateReplacePolicy"] == "Retain"
    table = next(iter(default_stack.resources("AWS::DynamoDB::Table").values()))
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    default_stack.template.resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_destroy_on_remove_empties_and_deletes(variant_stack: Synthesized) -> None:
    for bucket in variant_stack.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    variant_stack.template.resource_count_is("Custom::S3AutoDeleteObjects", 2)
    variant_stack.template.has_resource(
        "AWS::DynamoDB::Table",
        {"DeletionPolicy": "Delete", "Properties": Match.object_like(
            {"DeletionProtectionEnabled": False})},
    )
