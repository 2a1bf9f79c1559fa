"""DynamoDB: jobs, pages and tables in one table, plus the jobs-by-time index."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

JOBS_BY_TIME_INDEX = "jobs-by-time"  # every job, newest first: gsi1pk = JOBS, gsi1sk = time
ACTIVE_JOBS_INDEX = "active-jobs"  # sparse: unfinished (ACTIVE) and unannounced (UNANNOUNCED) jobs, for the sweeper
TTL_ATTRIBUTE = "expires_at"


class ResultsTable(Construct):
    """Single-table design keyed by ``pk``/``sk`` (strings).

    On-demand billing, point-in-time recovery, TTL on ``expires_at``, the GSI
    ``jobs-by-time`` (``gsi1pk``/``gsi1sk``) that lists jobs newest first, and the sparse
    GSI ``active-jobs`` (``active_pk``/``gsi1sk``) of jobs with work left that the sweeper
    reads: unfinished ones (``ACTIVE``) and the announcement outbox (``UNANNOUNCED``: final,
    event not yet published). Encrypted with an AWS-managed key, or the stack's customer-managed key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None,
        destroy_on_remove: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if encryption_key
                else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=encryption_key,
            time_to_live_attribute=TTL_ATTRIBUTE,
            deletion_protection=not destroy_on_remove,
            removal_policy=RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN,
        )
        for index_name, partition_key in ((JOBS_BY_TIME_INDEX, "gsi1pk"), (ACTIVE_JOBS_INDEX, "active_pk")):
            self.table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(
                    name=partition_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(name="gsi1sk", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )

    def index_arn(self, index_name: str) -> str:
        """The exact ARN of one index (grants name it, never "<table>/index/*")."""
        if index_name not in (JOBS_BY_TIME_INDEX, ACTIVE_JOBS_INDEX):
            raise ValueError(f"the table has no index {index_name!r}")
        return f"{self.table.table_arn}/index/{index_name}"
