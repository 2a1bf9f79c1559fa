"""Example EventBridge consumer: on `Document Processed`, write every table as CSV beside the result.

Deploy it with a rule on the doctables bus matching
    {"source": ["doctables"], "detail-type": ["Document Processed"]}
and give it s3:GetObject on results/* and s3:PutObject on the output prefix. It bundles the
`doctables` package (exports only: no PyMuPDF, no onnxruntime needed)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from doctables.model.result import ResultDocument
from doctables.outputs.continuation import merged_tables
from doctables.outputs.exports import to_csv

OUTPUT_PREFIX = os.environ.get("OUTPUT_PREFIX", "exports/")
s3 = boto3.client("s3")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read the result document the event points at; write `<prefix><job>/<table>.csv` per table,
    plus one merged CSV for each table that continues across pages."""
    if event.get("source") != "doctables" or event.get("detail-type") != "Document Processed":
        return {"written": []}
    detail = event["detail"]
    location = detail["result"]
    body = s3.get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    result = ResultDocument.from_dict(json.loads(body))
    tables = [*result.tables, *merged_tables(result)]
    written = []
    for table in tables:
        key = f"{OUTPUT_PREFIX}{detail['job_id']}/{table.table_id}.csv"
        s3.put_object(Bucket=location["bucket"], Key=key, Body=to_csv(table).encode(), ContentType="text/csv")
        written.append(key)
    return {"written": written}
