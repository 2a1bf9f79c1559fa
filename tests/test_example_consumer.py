"""The example EventBridge consumer, fed the event the pipeline really emits."""

from __future__ import annotations

import importlib.util

from conftest import ROOT

from doctables.local.stack import LocalStack
from doctables.model.tables import Table
from doctables.outputs.exports import to_csv


def _load_consumer():
    spec = importlib.util.spec_from_file_location("consumer", ROOT / "examples" / "consumer" / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_consumer_writes_a_csv_per_table(sample_bytes):
    with LocalStack() as stack:
        key = stack.upload(sample_bytes, "for-consumer.pdf")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=120)
        event = stack.event_for_key(key)
        consumer = _load_consumer()  # its boto3 client is made at import, inside the local stack
        answer = consumer.handler(event, None)
        job_id = event["detail"]["job_id"]
        assert answer["written"] == [f"exports/{job_id}/0001-01.csv", f"exports/{job_id}/0002-01.csv"]
        result = stack.result(job_id)
        body = stack.aws.s3.get_object(Bucket=stack.settings.bucket, Key=answer["written"][0])["Body"].read()
        assert body.decode() == to_csv(Table.from_dict(result["tables"][0]))
        # Other events are ignored.
        assert consumer.handler({**event, "detail-type": "Document Failed"}, None) == {"written": []}
