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


def test_run_takes_a_directory_and_quiet_prints_one_line_per_document(tmp_path):
    folder = tmp_path / "in"
    (folder / "older").mkdir(parents=True)
    (folder / "sample.pdf").write_bytes(SAMPLE.read_bytes())
    (folder / "older" / "sample.pdf").write_bytes(SAMPLE.read_bytes())  # same name: its own result
    (folder / "notes.txt").write_text("not a document")
    out = tmp_path / "out"
    answer = subprocess.run(
        [sys.executable, "-m", "doctables", "run", str(folder), "--quiet", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.splitlines() == [
        "sample.pdf: SUCCEEDED, 2/2 pages, 2 tables",  # older/sample.pdf sorts first
        "sample.pdf: SUCCEEDED, 2/2 pages, 2 tables",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["sample-2.json", "sample.json"]


def test_quiet_still_prints_errors(tmp_path):
    bogus = tmp_path / "bogus.pdf"
    bogus.write_text("not a pdf")
    answer = subprocess.run([sys.executable, "-m", "doctables", "run", str(bogus), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert answer.returncode == 1
    assert answer.stdout.startswith("bogus.pdf: FAILED") and "NOT_A_DOCUMENT" in answer.stdout


def test_a_directory_without_documents_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    answer = subprocess.run([sys.executable, "-m", "doctables", "run", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2 and "no PDF, PNG, JPEG or TIFF file" in answer.stderr


def test_client_commands_say_what_to_start_when_nothing_answers():
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for command in (["submit", str(SAMPLE)], ["jobs"], ["status", "x"], ["get", "x"]):
        answer = subprocess.run(
            [sys.executable, "-m", "doctables", *command, "--endpoint", f"http://127.0.0.1:{port}"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert answer.returncode == 2, command
        assert "Traceback" not in answer.stderr
        assert f"nothing answers at http://127.0.0.1:{port}: start `doctables serve`" in answer.stderr


def test_every_option_has_help_and_there_is_a_version():
    import argparse

    from doctables import __version__
    from doctables.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in subparsers.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"doctables {name} {action.option_strings or action.dest}"
    answer = subprocess.run([sys.executable, "-m", "doctables", "--version"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert answer.stdout.strip() == f"doctables {__version__}"


def test_serve_hint_names_the_port_it_was_given():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "doctables", "serve", "--port", str(port), "--ui-port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        hint = ""
        for line in server.stdout:
            if "try:" in line:
                hint = line
                break
        assert f"--endpoint http://127.0.0.1:{port}" in hint, hint
    finally:
        server.terminate()
        server.wait(timeout=60)
