"""Encryption at rest: AWS-managed keys by default, or one customer-managed KMS key."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# What CloudWatch Logs needs on a key that encrypts log groups (as AWS documents it for
# "Encrypt log data in CloudWatch Logs using AWS KMS"); the condition below limits it to
# encryption contexts of log groups in this account and region.
LOGS_KEY_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


class StackEncryption(Construct):
    """Holds the customer-managed key when ``customer_managed`` is set, else nothing.

    ``key`` is None for the default (S3-managed SSE, SQS-managed SSE, AWS-owned DynamoDB
    encryption, CloudWatch Logs' own encryption); with a key, the upload bucket, every queue,
    the table and the four function log groups use it (and the alarm topic, see monitoring).
    Its policy is CDK's default (the account may use and administer it, delegating access to
    IAM policies) plus one statement letting CloudWatch Logs use it for this account's log
    groups in this region.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        customer_managed: bool,
        destroy_on_remove: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.Key | None = None
        if customer_managed:
            self.key = kms.Key(
                self,
                "Key",
                description="doctables: upload bucket, queues, table, log groups and alarm topic encryption",
                enable_key_rotation=True,
                pending_window=Duration.days(7 if destroy_on_remove else 30),
                removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
            )
            stack = Stack.of(self)
            # The log groups' names are generated at deploy time and they depend on the key,
            # so the key policy names them by pattern: any log group of this account and region.
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchLogsForThisAccountsLogGroups",
                    principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                    actions=list(LOGS_KEY_ACTIONS),
                    resources=["*"],  # in a key policy, "*" is this key
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                                service="logs",
                                resource="log-group",
                                resource_name="*",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                            )
                        }
                    },
                )
            )
