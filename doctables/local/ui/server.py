"""The review page: jobs, uploads, and each job's pages with their tables drawn over them.

`create_app(client, max_upload_bytes=...)` builds the Flask app over a `doctables.Client`;
`start_ui(client, host=..., port=..., max_upload_bytes=...)` serves it from a background thread
(werkzeug's threaded server) and returns a `UiServer` with `.url` and `.stop()`.

Routes:

- ``GET /``: the jobs, newest first, kept current by polling ``GET /api/jobs``; an upload control
  (file input and drag and drop) posting to ``POST /api/uploads``.
- ``GET /jobs/<job id>``: every page's image with each table's box and cell grid over it (SVG in
  PDF points, scaled with the image), each table as an HTML table beside it, the downloads.
- ``GET /jobs/<job id>/pages/<n>.png``: the page as rendered by the pipeline.
- ``GET /jobs/<job id>/export.<json|textract|xlsx|md|html>`` and
  ``GET /jobs/<job id>/tables/<table id>.csv``: the exports of `doctables.outputs.exports`.

Security: every text from a document or a file name goes through Jinja's autoescaping or the
DOM's ``textContent``; job ids (32 lowercase hex digits), page numbers (integers within the job)
and table ids (``NNNN-NN`` or ``NNNN-NN-merged``) are matched by the URL rules, so no request
names an object outside its job; uploads are limited to `max_upload_bytes` (413 beyond it) and
need a same-origin request with the ``X-Doctables-Upload`` header (a cross-site form cannot set
it); every answer carries a Content-Security-Policy allowing only this origin and
``X-Content-Type-Options: nosniff``, and no CORS headers at all. Served by `start_ui`, a request
whose Host header is not an IP address, ``localhost`` or (bound beyond loopback) this machine's
own name gets a plain 400 before the app sees it (against DNS rebinding).
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import socket
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, abort, jsonify, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter
from werkzeug.serving import WSGIRequestHandler, make_server

from doctables.model.formats import clip_span
from doctables.model.result import PageResult, ResultDocument
from doctables.model.tables import Cell, Table
from doctables.pipeline.jobs import job_id_for
from doctables.pipeline.keys import upload_key
from doctables.pipeline.page_bundles import read_page_image, read_page_layout
from doctables.pipeline.store import Job, SourceObject

LOW_CONFIDENCE = 0.5  # cells below this are marked in both views
JOB_LIST_LIMIT = 50
UPLOAD_HEADER = "X-Doctables-Upload"
MULTIPART_SLACK = 64 * 1024  # form boundary and headers around the file, on top of the file limit
MAX_NAME_BYTES = 200  # uploaded file names are cut to this many UTF-8 bytes (extension kept)
LOOPBACK = ("127.0.0.1", "localhost", "::1")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# format -> (file name suffix, media type)
DOCUMENT_EXPORTS: dict[str, tuple[str, str]] = {
    "json": (".json", "application/json"),
    "textract": (".textract.json", "application/json"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "md": (".md", "text/markdown; charset=utf-8"),
    "html": (".html", "text/html; charset=utf-8"),
}
EXPORT_LABELS = {"json": "JSON", "textract": "Textract JSON", "xlsx": "Excel", "md": "Markdown", "html": "HTML"}


class JobIdConverter(BaseConverter):
    """A job id: the first 32 hex digits (lowercase) of a SHA-256."""

    regex = "[0-9a-f]{32}"


class TableIdConverter(BaseConverter):
    """A table id (``<page:04d>-<n:02d>``), or a table merged across pages (``…-merged``)."""

    regex = "[0-9]{4}-[0-9]{2}(?:-merged)?"


# --- the app ---------------------------------------------------------------------------------


def create_app(client: Any, *, max_upload_bytes: int = 209_715_200,
               trusted_hosts: list[str] | None = None) -> Flask:
    """The review page's Flask app over `client` (a `doctables.Client`).

    `trusted_hosts`: Host header names answered besides IP addresses (any other name gets a
    plain 400 before Flask sees the request, against DNS rebinding); None answers any."""
    app = Flask(__name__, template_folder="templates", static_folder="static", static_url_path="/static")
    app.config.update(
        MAX_CONTENT_LENGTH=max_upload_bytes + MULTIPART_SLACK,
        MAX_UPLOAD_BYTES=max_upload_bytes,
        JSON_SORT_KEYS=False,
        SEND_FILE_MAX_AGE_DEFAULT=300,
    )
    if trusted_hosts is not None:
        app.wsgi_app = _host_guard(app.wsgi_app, trusted_hosts)  # type: ignore[method-assign]
    app.url_map.converters["job_id"] = JobIdConverter
    app.url_map.converters["table_id"] = TableIdConverter
    results = _ResultCache(client)
    prefix = client.names.upload_prefix

    def find_job(job_id: str) -> Job:
        job = client.status(job_id)
        if job is None:
            abort(404, description=f"no job {job_id}")
        return job

    # --- pages ---------------------------------------------------------------------------
    @app.get("/")
    def index():
        jobs = [job_summary(job, prefix) for job in client.jobs(JOB_LIST_LIMIT)]
        return render_template("index.html", jobs=jobs, max_upload_bytes=max_upload_bytes,
                               upload_prefix=client.names.upload_prefix)

    @app.get("/jobs/<job_id:job_id>")
    def job_page(job_id: str):
        job = find_job(job_id)
        result = results.get(job)
        view = job_view(job, result, page_size=lambda page: _layout_size(client, job, page))
        return render_template("job.html", job=job_summary(job, prefix), view=view, exports=EXPORT_LABELS,
                               low_confidence=LOW_CONFIDENCE)

    @app.get("/jobs/<job_id:job_id>/pages/<int:page>.png")
    def page_image(job_id: str, page: int):
        job = find_job(job_id)
        if not 1 <= page <= max(job.pages_total, 0):
            abort(404, description=f"job {job_id} has no page {page}")
        try:
            image = read_page_image(client.aws.s3, client.names.bucket, job_id, page, job.range_pages)
        except ClientError as exc:
            if _missing(exc):
                abort(404, description=f"page {page} of job {job_id} has no image")
            raise
        response = send_file(io.BytesIO(image), mimetype="image/png", max_age=3600)
        response.cache_control.private = True
        response.cache_control.public = False
        return response

    # --- exports -------------------------------------------------------------------------
    @app.get("/jobs/<job_id:job_id>/export.<any(json, textract, xlsx, md, html):fmt>")
    def export_document(job_id: str, fmt: str):
        job = find_job(job_id)
        result = results.get(job) or abort(404, description=f"job {job_id} has no result yet")
        suffix, mimetype = DOCUMENT_EXPORTS[fmt]
        data = _export(result, fmt, f"export{suffix}")
        if data is None:
            abort(404)
        return _download(data, mimetype, f"{download_stem(result)}{suffix}")

    @app.get("/jobs/<job_id:job_id>/tables/<table_id:table_id>.csv")
    def export_csv(job_id: str, table_id: str):
        job = find_job(job_id)
        result = results.get(job) or abort(404, description=f"job {job_id} has no result yet")
        data = _export(result, "csv", f"export-{table_id}.csv")
        if data is None:
            abort(404, description=f"job {job_id} has no table {table_id}")
        return _download(data, "text/csv; charset=utf-8", f"{download_stem(result)}-{table_id}.csv")

    # --- JSON ----------------------------------------------------------------------------
    @app.get("/api/jobs")
    def api_jobs():
        limit = request.args.get("limit", default=JOB_LIST_LIMIT, type=int)
        limit = max(1, min(limit or JOB_LIST_LIMIT, 200))
        return jsonify({"jobs": [job_summary(job, prefix) for job in client.jobs(limit)]})

    @app.get("/api/jobs/<job_id:job_id>")
    def api_job(job_id: str):
        return jsonify(job_summary(find_job(job_id), prefix))

    @app.post("/api/uploads")
    def upload():
        if request.headers.get(UPLOAD_HEADER) != "1" or not _same_origin():
            abort(403, description="uploads come from the review page itself")
        if request.content_length is not None and request.content_length > app.config["MAX_CONTENT_LENGTH"]:
            raise RequestEntityTooLarge()
        sent = request.files.get("file")
        if sent is None:
            abort(400, description="no file in the form field 'file'")
        data = sent.stream.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise RequestEntityTooLarge()
        name = safe_upload_name(sent.filename)
        key = upload_key(name, client.names.upload_prefix)
        answer = client.aws.s3.put_object(Bucket=client.names.bucket, Key=key, Body=data)
        version = answer.get("VersionId")
        source = SourceObject(client.names.bucket, key, None if version in (None, "null") else version,
                              answer["ETag"].strip('"'))
        job_id = job_id_for(source)
        return jsonify({"job_id": job_id, "key": key, "name": name, "size": len(data),
                        "url": url_for("job_page", job_id=job_id)}), 201

    # --- answers -------------------------------------------------------------------------
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            description = f"the file is larger than the limit of {_human_bytes(max_upload_bytes)}"
        else:
            description = error.description or error.name
        if request.path.startswith("/api/"):
            response = jsonify({"error": error.name, "message": description})
        else:
            response = app.make_response(
                render_template("error.html", code=error.code, name=error.name, description=description))
        response.status_code = error.code or 500
        return response

    @app.errorhandler(ClientError)
    @app.errorhandler(BotoCoreError)
    def storage_error(error: Exception):
        app.logger.warning("storage error: %r", error)
        message = "the pipeline's storage did not answer; is `doctables serve` (or the stack) running?"
        if request.path.startswith("/api/"):
            return jsonify({"error": "Bad Gateway", "message": message}), 502
        return render_template("error.html", code=502, name="Bad Gateway", description=message), 502

    @app.after_request
    def headers(response):
        for name in [h for h, _ in response.headers if h.lower().startswith("access-control-")]:
            del response.headers[name]
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if request.path.startswith("/api/") or request.path == "/" or "/export" in request.path:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["bytes"] = _human_bytes
    app.jinja_env.filters["num"] = _number
    return app


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lowercase."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.index("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_is_answered(host_header: str | None, trusted: list[str]) -> bool:
    """True for a Host naming an IP address (no DNS name, so no rebinding) or one of `trusted`
    (a leading dot trusts the subdomains: ``.localhost``)."""
    name = host_name(host_header or "").rstrip(".")
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    for allowed in (t.lower().strip("[]") for t in trusted):
        if name == allowed or allowed.startswith(".") and (name.endswith(allowed) or name == allowed[1:]):
            return True
    return False


def _host_guard(wsgi_app: Any, trusted: list[str]) -> Any:
    """WSGI middleware: a request for a Host not answered gets a plain 400 (the app never runs,
    so no template or URL is built for a name it does not serve)."""

    def guard(environ: dict[str, Any], start_response: Any) -> Any:
        if host_is_answered(environ.get("HTTP_HOST"), trusted):
            return wsgi_app(environ, start_response)
        body = b"400 Bad Request: this review page does not answer that host name\n"
        start_response("400 Bad Request", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
        ])
        return [body]

    return guard


def trusted_hosts_for(host: str) -> list[str]:
    """The Host names the review page answers when it listens on `host` (IP addresses always):
    localhost and its subdomains; beyond loopback also `host` itself and this machine's names."""
    trusted = ["localhost", ".localhost"]
    if host not in LOOPBACK:
        names = {host, socket.gethostname(), socket.getfqdn()} - {"", "0.0.0.0", "::"}
        trusted += sorted(n.lower() for n in names)
    return trusted


def _same_origin() -> bool:
    """True unless the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if origin:
        return urlsplit(origin).netloc == request.host
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _download(data: bytes, mimetype: str, name: str):
    # Werkzeug adds "; charset=utf-8" to a text/* type itself: pass the bare type, or it says it twice
    response = send_file(io.BytesIO(data), mimetype=mimetype.split(";")[0], as_attachment=True,
                         download_name=name, max_age=0)
    return response


def _export(result: ResultDocument, fmt: str, file_name: str) -> bytes | None:
    """One file of `write_exports(result, …, [fmt], "export")`, or None when it wrote none by that name."""
    from doctables.outputs.exports import write_exports

    with tempfile.TemporaryDirectory(prefix="doctables-ui-") as folder:
        written = write_exports(result, Path(folder), [fmt], "export")
        for path in written:
            if path.name == file_name:
                return path.read_bytes()
    return None


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def _layout_size(client: Any, job: Job, page: int) -> tuple[float, float] | None:
    """A page's size in points from its stored layout, when the result does not give it."""
    try:
        layout = read_page_layout(client.aws.s3, client.names.bucket, job.job_id, page, job.range_pages)
        return float(layout.width), float(layout.height)
    except (ClientError, BotoCoreError, ValueError, KeyError, TypeError):
        return None


class _ResultCache:
    """Result documents of announced jobs (they no longer change), the last few kept."""

    def __init__(self, client: Any, size: int = 8) -> None:
        self.client = client
        self.size = size
        self._lock = threading.Lock()
        self._results: OrderedDict[str, ResultDocument] = OrderedDict()

    def get(self, job: Job) -> ResultDocument | None:
        if not (job.status.final and job.result_key):
            return None
        with self._lock:
            if job.job_id in self._results:
                self._results.move_to_end(job.job_id)
                return self._results[job.job_id]
        body = self.client.aws.s3.get_object(Bucket=self.client.names.bucket, Key=job.result_key)["Body"].read()
        result = ResultDocument.from_dict(json.loads(body))
        with self._lock:
            self._results[job.job_id] = result
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return result


# --- views of jobs and results ---------------------------------------------------------------


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def job_summary(job: Job, upload_prefix: str = "") -> dict[str, Any]:
    """A job as the page and the JSON endpoint show it; its file is the key after the upload
    prefix (its last segment for a key elsewhere)."""
    created = _parse_time(job.created_at)
    finished = _parse_time(job.finished_at)
    duration = None
    if created:
        duration = max(0.0, ((finished or datetime.now(UTC)) - created).total_seconds())
    key = job.source.key or ""
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "final": job.status.final,
        "result_ready": bool(job.status.final and job.result_key),
        "file": (key[len(upload_prefix):] if upload_prefix and key.startswith(upload_prefix)
                 else key.rsplit("/", 1)[-1]) or key,
        "key": key,
        "pages": {"total": job.pages_total, "done": job.pages_done, "failed": job.pages_failed},
        "tables": job.tables_found,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "duration_s": round(duration, 1) if duration is not None else None,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "url": f"/jobs/{job.job_id}",
    }


def download_stem(result: ResultDocument) -> str:
    """The document's file name without extension, fit for a download name."""
    name = result.source.key.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._")
    return stem[:100] or "document"


def _number(value: Any) -> str:
    """A float for an SVG attribute: plain decimal, at most 2 places."""
    try:
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return "0"


def _box(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def table_view(table: Table, *, low: float = LOW_CONFIDENCE) -> dict[str, Any]:
    """One table for the page: its cells (spans clipped to the grid and to each other, the
    earlier cell in reading order keeping a contested position) and its rows for the HTML
    table, where each position is the start of a cell, covered by one, or empty."""
    owner: dict[tuple[int, int], dict[str, Any]] = {}
    cells: list[dict[str, Any]] = []
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        view = _cell_view(table, cell, owner, low)
        if view is None:
            continue
        cells.append(view)
        for r in range(view["row"], view["row"] + view["row_span"]):
            for c in range(view["col"], view["col"] + view["col_span"]):
                owner[(r, c)] = view
    return {
        "table_id": table.table_id,
        "page": table.page,
        "bbox": _box(table.bbox),
        "rows": table.rows,
        "columns": table.columns,
        "header_rows": table.header_rows,
        "confidence": table.confidence,
        "structure_confidence": table.structure_confidence,
        "page_width": table.page_width,
        "page_height": table.page_height,
        "cells": cells,
        "grid": _grid_view(owner, table.rows, table.columns),
        "low_cells": sum(1 for c in cells if c["low"]),
        "continued_from": None,
        "continues_on": None,
        "chain": None,
    }


def _cell_view(table: Table, cell: Cell, owner: dict[tuple[int, int], dict[str, Any]],
               low: float) -> dict[str, Any] | None:
    """A cell as the page shows it, its span clipped to the grid and to the cells already
    placed (`owner`); None when its start is outside the grid or taken."""
    clipped = clip_span(cell, table.rows, table.columns, owner)
    if clipped is None:
        return None
    r0, c0, r1, c1 = clipped
    return {
        "key": f"{table.table_id}:{r0}:{c0}",
        "row": r0,
        "col": c0,
        "row_span": r1 - r0,
        "col_span": c1 - c0,
        "text": cell.text,
        "bbox": _box(cell.bbox),
        "confidence": cell.confidence,
        "header": cell.is_header,
        "low": cell.confidence < low,
    }


def _grid_view(owner: dict[tuple[int, int], dict[str, Any]], rows: int, columns: int) -> list[list[dict[str, Any]]]:
    """The HTML table's rows: per position the cell starting there, nothing where one covers
    it, or an empty position."""
    grid: list[list[dict[str, Any]]] = []
    for r in range(rows):
        line = []
        for c in range(columns):
            view = owner.get((r, c))
            if view is None:
                line.append({"empty": True, "row": r, "col": c})
            elif (view["row"], view["col"]) == (r, c):
                line.append(view)
        grid.append(line)
    return grid


def _chains(result: ResultDocument) -> list[list[str]]:
    """Tables continued across pages (`doctables.outputs.continuation`), or none when that is unavailable."""
    try:
        from doctables.outputs.continuation import link_tables
    except ImportError:
        return []
    try:
        return [list(chain) for chain in link_tables(result.tables)]
    except Exception:  # noqa: BLE001 - a review page shows what it can
        return []


def job_view(job: Job, result: ResultDocument | None, page_size: Any = None) -> dict[str, Any]:
    """Everything the job page shows: pages with their tables, failures, continuation chains."""
    if result is None:
        return {"ready": False, "pages": [], "tables": [], "chains": [], "failed_pages": [], "error": None}
    tables = [table_view(t) for t in result.tables]
    by_id = {t["table_id"]: t for t in tables}
    chains = [chain for chain in _chains(result) if all(i in by_id for i in chain)]
    for chain in chains:
        for before, after in pairwise(chain):
            by_id[before]["continues_on"] = by_id[after]
            by_id[after]["continued_from"] = by_id[before]
        for table_id in chain:
            by_id[table_id]["chain"] = chain
    settled = {p.page: p for p in result.page_results}
    total = result.pages.total or job.pages_total or 0
    total = max([total, *settled.keys(), *(t["page"] for t in tables)], default=0)
    pages = [_page_view(number, settled.get(number), [t for t in tables if t["page"] == number], page_size)
             for number in range(1, total + 1)]
    failed = [p for p in pages if p["status"] == "FAILED" or p["error"]]
    return {
        "ready": True,
        "pages": pages,
        "tables": tables,
        "chains": chains,
        "failed_pages": failed,
        "error": result.error.to_dict() if result.error else None,
        "status": result.status,
    }


def _page_view(number: int, info: PageResult | None, on_page: list[dict[str, Any]], page_size: Any) -> dict[str, Any]:
    """A page for the job page: its size (from its entry, its tables or its stored layout;
    Letter when none knows it), status, tables and error."""
    width, height = (info.width, info.height) if info else (None, None)
    if not (width and height) and on_page:
        width, height = on_page[0]["page_width"], on_page[0]["page_height"]
    if not (width and height) and page_size is not None:
        width, height = page_size(number) or (None, None)
    return {
        "page": number,
        "status": (info.status if info else None) or "NOT SETTLED",
        "width": float(width) if width else 612.0,
        "height": float(height) if height else 792.0,
        "tables": on_page,
        "error": info.error.to_dict() if info and info.error else None,
    }


def format_duration(seconds: Any) -> str:
    if seconds is None:
        return "–"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _human_bytes(count: Any) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value} bytes"


# --- uploaded file names ---------------------------------------------------------------------


def safe_upload_name(filename: str | None) -> str:
    """A file name fit to follow the upload prefix: the name as the user sees it, but one path
    segment (the parts of a path, less ``.`` and ``..``, joined with ``_``: no traversal, no
    folders), no control or format characters, no leading dots or surrounding blanks, at most
    `MAX_NAME_BYTES` UTF-8 bytes with the extension kept; "upload" when nothing is left. Other
    characters (``<``, quotes, …) are kept: the page escapes them wherever it shows a name."""
    name = unicodedata.normalize("NFC", filename or "")
    segments = name.replace("\\", "/").split("/")
    name = "_".join(part for part in segments if part.strip() not in ("", ".", ".."))
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "upload"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode("utf-8")) > 16:
            stem, extension = name, ""
        room = MAX_NAME_BYTES - len(extension.encode("utf-8")) - (1 if extension else 0)
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
        name = f"{stem}.{extension}" if extension else stem
    return name or "upload"


# --- the server ------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class UiServer:
    """The review page served from a daemon thread; `url` names the real port."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="doctables-ui", daemon=True)

    @property
    def url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def start(self) -> UiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_ui(client: Any, *, host: str = "127.0.0.1", port: int = 8700,
             max_upload_bytes: int = 209_715_200) -> UiServer:
    """Serve the review page for `client` on host:port (0: a free port) in a background thread;
    a Host header other than an IP address or one of `trusted_hosts_for(host)` gets 400."""
    app = create_app(client, max_upload_bytes=max_upload_bytes, trusted_hosts=trusted_hosts_for(host))
    return UiServer(app, host, port).start()
