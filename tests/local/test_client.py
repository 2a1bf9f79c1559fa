"""The results client against `doctables serve` (a local endpoint that outlives one command)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE, cell_tuples

from doctables.client import Client
from doctables.local.serve import LocalService


@pytest.fixture
def service():
    with LocalService(port=0) as running:
        yield running


def test_submit_wait_and_read_tables(service, sample_truth):
    client = Client.local(service.endpoint)
    job_id = client.submit(SAMPLE, key="client/sample.pdf")
    seen = []
    job = client.wait(job_id, timeout=120, poll=0.2, on_progress=seen.append)
    assert job.status.value == "SUCCEEDED" and job.pages_done == 2 and job.tables_found == 2
    assert seen and seen[-1].job_id == job_id
    tables = client.tables(job_id)
    assert [cell_tuples(t.to_dict()) for t in tables] == [cell_tuples(t) for t in sample_truth["tables"]]
    assert client.status("no-such-job") is None
    assert [j.job_id for j in client.jobs()] == [job_id]
    assert not service.errors


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_then_submit_and_status_from_other_commands(tmp_path):
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "doctables", "serve", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stdout.readline()  # printed once the resources exist
        assert banner.startswith("doctables local stack at"), server.stderr.read()
        submitted = subprocess.run(
            [sys.executable, "-m", "doctables", "submit", str(SAMPLE), "--wait", "--endpoint", endpoint],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
        assert submitted.returncode == 0, submitted.stderr
        job_id = submitted.stdout.splitlines()[0]
        assert "SUCCEEDED" in submitted.stdout and "2/2 pages" in submitted.stdout
        status = subprocess.run([sys.executable, "-m", "doctables", "status", job_id, "--endpoint", endpoint],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and '"status": "SUCCEEDED"' in status.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_stack_names_come_from_the_stacks_outputs():
    import json

    import boto3
    from moto import mock_aws

    from doctables.client import StackNames

    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "BucketName": {"Value": "doctables-uploads-123"},
            "TableName": {"Value": "doctables-results"},
            "UploadPrefix": {"Value": "incoming/"},
        },
    }
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        cloudformation.create_stack(StackName="DocTables", TemplateBody=json.dumps(template))
        cloudformation.create_stack(StackName="Other", TemplateBody=json.dumps({"Resources": template["Resources"]}))
        names = StackNames.from_stack("DocTables", region="eu-west-1")
        assert names == StackNames("doctables-uploads-123", "doctables-results", "incoming/")
        with pytest.raises(ValueError, match="is it a doctables stack"):
            StackNames.from_stack("Other", region="eu-west-1")
