"""Every public price the cost estimate uses, in one place: AWS us-east-1, on-demand list prices,
no free tier. Taken from the AWS pricing pages as remembered (no network here to re-check) and
current as of PRICES_AS_OF; check them before quoting the estimate."""

from __future__ import annotations

PRICES_AS_OF = "2025-06 (AWS public pricing pages, us-east-1, from knowledge; not re-fetched)"
REGION = "us-east-1"

# AWS Lambda: duration per GB-second (first pricing tier: the first 6 billion GB-s per month on
# x86, 7.5 billion on arm64), requests, and ephemeral storage above the free 512 MB.
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_EPHEMERAL_GB_SECOND = 0.0000000309
LAMBDA_FREE_EPHEMERAL_MB = 512

# Amazon SQS standard queues: per million requests (each 64 KB chunk of a payload is a request).
SQS_PER_MILLION_REQUESTS = 0.40

# Amazon DynamoDB on-demand (Standard table class), after the November 2024 price reduction:
# per million write request units (1 KB each) and read request units (4 KB, strongly consistent).
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125

# Amazon S3 Standard: requests per 1,000 and storage per GB-month (first 50 TB).
S3_PUT_PER_THOUSAND = 0.005  # PUT, COPY, POST, LIST
S3_GET_PER_THOUSAND = 0.0004  # GET, SELECT and all other requests
S3_STORAGE_GB_MONTH = 0.023

# Amazon EventBridge: custom events published with PutEvents, per million (64 KB chunks).
EVENTBRIDGE_PER_MILLION_EVENTS = 1.00

# Amazon Textract AnalyzeDocument with the Tables feature: per 1,000 pages for the first million
# pages a month ($10 per 1,000 after that).
TEXTRACT_TABLES_PER_THOUSAND_PAGES = 15.00
TEXTRACT_TABLES_PER_THOUSAND_PAGES_OVER_1M = 10.00


def as_dict() -> dict[str, object]:
    """All prices with their names, for the JSON report."""
    return {k: v for k, v in globals().items() if k.isupper()}
