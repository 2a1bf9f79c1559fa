"""Encryption at rest: AWS-managed keys by default, or one customer-managed KMS key."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


class StackEncryption(Construct):
    """Holds the customer-managed key when ``customer_managed`` is set, else nothing.

    ``key`` is None for the default (S3-managed SSE, SQS-managed SSE, AWS-owned DynamoDB
    encryption); with a key, the upload bucket, every queue and the table use it.
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
                description="doctables: upload bucket, queues and table encryption",
                enable_key_rotation=True,
                pending_window=Duration.days(7 if destroy_on_remove else 30),
                removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
            )
