"""S3: the upload bucket (uploads, rendered pages, results) and its access-log bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge
from infra.settings import PAGES_PREFIX, RESULTS_PREFIX, TABLES_PREFIX

ACCESS_LOG_PREFIX = "upload-bucket/"


class Storage(Construct):
    """The upload bucket and the bucket receiving its server access logs.

    Both block public access, deny non-TLS requests (and TLS < 1.2) and are encrypted at
    rest. The upload bucket is versioned; rendered pages under ``pages/`` expire after
    ``pages_lifecycle_days``. Current uploads, results and spilled tables never expire (they
    are the user's data), but their noncurrent versions (an object overwritten, e.g. an upload
    sent again under the same key or a result rewritten, or deleted) expire
    ``noncurrent_version_days`` after they became noncurrent, and the delete markers left with
    no version behind them are removed. With ``destroy_on_remove`` both buckets are emptied and
    deleted with the stack; otherwise they are retained.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pages_lifecycle_days: int,
        access_logs_lifecycle_days: int,
        upload_prefix: str,
        noncurrent_version_days: int,
        destroy_on_remove: bool,
        encryption_key: kms.IKey | None,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.DESTROY if destroy_on_remove else RemovalPolicy.RETAIN

        self.log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            # Server access log delivery supports SSE-S3 only on the target bucket.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(access_logs_lifecycle_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal,
            auto_delete_objects=destroy_on_remove,
        )
        acknowledge(
            self.log_bucket,
            "AwsSolutions-S1",
            "This is the access-log target bucket; logging its own accesses would recurse.",
        )

        self.bucket = s3.Bucket(
            self,
            "UploadBucket",
            encryption=(
                s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED
            ),
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-rendered-pages",
                    prefix=PAGES_PREFIX,
                    expiration=Duration.days(pages_lifecycle_days),
                    # versioning keeps expired pages as noncurrent versions; drop them too
                    noncurrent_version_expiration=Duration.days(1),
                ),
                *(
                    s3.LifecycleRule(
                        id=f"expire-noncurrent-{name}",
                        prefix=prefix,
                        noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                        expired_object_delete_marker=True,
                    )
                    for name, prefix in (
                        ("uploads", upload_prefix),
                        ("results", RESULTS_PREFIX),
                        ("tables", TABLES_PREFIX),
                    )
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
            removal_policy=removal,
            auto_delete_objects=destroy_on_remove,
        )
