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
