"""SQS: a work queue with its dead-letter queue (used for the page and the range queue)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# AWS guidance for SQS event sources: visibility timeout at least 6x the function timeout.
VISIBILITY_FACTOR = 6
DEAD_LETTER_RETENTION = Duration.days(14)  # the SQS maximum: time to inspect and redrive


class WorkQueue(Construct):
    """``queue`` redrives to ``dead_letter_queue`` after ``max_receive_count`` receives.

    Both queues are encrypted (SQS-managed SSE, or the given KMS key) and deny requests
    that are not over TLS (``aws:SecureTransport`` false). The visibility timeouts are
    ``VISIBILITY_FACTOR`` times the timeout of the function consuming each queue.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer_timeout: Duration,
        dead_letter_consumer_timeout: Duration,
        max_receive_count: int,
        encryption_key: kms.IKey | None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption = sqs.QueueEncryption.KMS if encryption_key else sqs.QueueEncryption.SQS_MANAGED
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=encryption,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
            visibility_timeout=Duration.seconds(
                VISIBILITY_FACTOR * dead_letter_consumer_timeout.to_seconds()
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=encryption,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(VISIBILITY_FACTOR * consumer_timeout.to_seconds()),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
