"""The `doctables` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, SAMPLE, cell_tuples


def test_run_prints_tables_and_writes_results(tmp_path, sample_truth):
    answer = subprocess.run(
        [sys.executable, "-m", "doctables", "run", str(SAMPLE), "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert answer.returncode == 0, answer.stderr
    assert "sample.pdf: SUCCEEDED, 2/2 pages, 2 tables" in answer.stdout
    assert "Human Resources" in answer.stdout and "2024 revenue (USD thousands)" in answer.stdout
    result = json.loads((tmp_path / "sample.json").read_text())
    assert result["schema"] == "doctables.result/1"
    assert [cell_tuples(t) for t in result["tables"]] == [cell_tuples(t) for t in sample_truth["tables"]]


def test_run_reports_a_bad_file_and_exits_non_zero(tmp_path):
    bogus = tmp_path / "bogus.pdf"
    bogus.write_text("not a pdf")
    answer = subprocess.run(
        [sys.executable, "-m", "doctables", "run", str(bogus), "--quiet", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert answer.returncode == 1
    result = json.loads((tmp_path / "bogus.json").read_text())
    assert result["status"] == "FAILED" and result["error"]["code"] == "NOT_A_DOCUMENT"


def test_missing_file_is_a_usage_error(tmp_path):
    answer = subprocess.run(
        [sys.executable, "-m", "doctables", "run", str(tmp_path / "nope.pdf")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert answer.returncode == 2 and "no such file" in answer.stderr


def test_run_writes_every_requested_format(tmp_path):
    from doctables.model.tables import Table
    from doctables.outputs.exports import to_csv

    formats = ["json", "textract", "csv", "xlsx", "md", "html"]
    command = [sys.executable, "-m", "doctables", "run", str(SAMPLE), "--quiet", "--out", str(tmp_path)]
    for name in formats:
        command += ["--format", name]
    answer = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([
        "sample.json", "sample.textract.json", "sample.xlsx", "sample.md", "sample.html",
        "sample-0001-01.csv", "sample-0002-01.csv",
    ])
    result = json.loads((tmp_path / "sample.json").read_text())
    first = Table.from_dict(result["tables"][0])
    assert (tmp_path / "sample-0001-01.csv").read_bytes().decode() == to_csv(first)
    textract = json.loads((tmp_path / "sample.textract.json").read_text())
    assert textract["DocumentMetadata"]["Pages"] == 2
    assert "rowspan=\"2\"" in (tmp_path / "sample.html").read_text()
