"""The `doctables` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from doctables import __version__
from doctables.model.result import ResultDocument, as_result
from doctables.outputs.exports import FORMATS
from doctables.settings import Settings

DEFAULT_PORT = 4566


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"run": run_command, "serve": serve_command, "ui": ui_command, "submit": submit_command,
                "status": status_command, "jobs": jobs_command, "get": get_command,
                "backfill": backfill_command}
    try:
        return handlers[args.command](args)
    except _unreachable_errors():
        where = f"stack {args.stack}" if getattr(args, "stack", None) else (
            getattr(args, "endpoint", None) or f"http://127.0.0.1:{DEFAULT_PORT}")
        print(f"doctables: nothing answers at {where}: start `doctables serve` in another "
              f"terminal, or pass --stack NAME for a deployed stack", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doctables", description="Tables out of documents, on AWS or locally.")
    parser.add_argument("--version", action="version", version=f"doctables {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole pipeline locally on embedded moto")
    run.add_argument("files", nargs="+", type=Path,
                     help="PDF, PNG, JPEG or TIFF files; a directory means every such file under it")
    run.add_argument("--out", type=Path, default=None, help="write each document's result JSON here")
    run.add_argument("--dpi", type=int, default=None, help="page rendering resolution")
    run.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    run.add_argument("--quiet", action="store_true",
                     help="one line per document (status, pages, tables) and its errors; no progress bar, no tables")
    run.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                     help="output format, repeatable (default json)")
    run.add_argument("--no-escape-formulas", dest="escape_formulas", action="store_false",
                     help="write CSV cells exactly as extracted, even those a spreadsheet would run as a "
                          "formula (by default a cell starting with =, +, -, @, tab or CR gets a leading ')")

    serve = commands.add_parser("serve", help="run the local stack on a loopback port until stopped")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port of the local AWS endpoint")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address the review page listens on (default loopback only); the AWS endpoint "
                            "always listens on 127.0.0.1")
    serve.add_argument("--ui-port", type=int, default=8700, help="port of the review page (0: no page)")

    ui = commands.add_parser("ui", help="serve the review page against a deployed stack")
    ui.add_argument("--port", type=int, default=8700, help="port of the review page")
    ui.add_argument("--host", default="127.0.0.1", help="address the review page listens on (default loopback only)")
    _target_arguments(ui)

    submit = commands.add_parser("submit", help="upload a document to a stack")
    submit.add_argument("file", type=Path, help="a PDF, PNG, JPEG or TIFF file")
    submit.add_argument("--wait", action="store_true", help="poll until the job finishes, with a progress bar")
    submit.add_argument("--timeout", type=float, default=900.0, help="seconds --wait waits for the job")
    _target_arguments(submit)

    status = commands.add_parser("status", help="show a job")
    status.add_argument("job_id", help="the job id `submit` printed")
    _target_arguments(status)

    jobs = commands.add_parser("jobs", help="list jobs, newest first")
    jobs.add_argument("--limit", type=int, default=20, help="how many jobs to list")
    _target_arguments(jobs)

    get = commands.add_parser("get", help="download a job's result")
    get.add_argument("job_id", help="the job id `submit` printed")
    get.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                     help="output format, repeatable (default json)")
    get.add_argument("--out", type=Path, default=Path("."), help="directory to write the files to")
    get.add_argument("--no-escape-formulas", dest="escape_formulas", action="store_false",
                     help="write CSV cells exactly as extracted (see `run --no-escape-formulas`)")
    _target_arguments(get)

    backfill = commands.add_parser(
        "backfill", help="start a job for every supported object under an S3 prefix that has none yet")
    backfill.add_argument("url", help="s3://bucket/prefix: the bucket must be one the stack may read "
                                      "(textractBuckets deployed, DOCTABLES_TEXTRACT_BUCKETS for serve)")
    backfill.add_argument("--since", default=None,
                          help="only objects last modified at or after this date or ISO time (UTC unless it says)")
    backfill.add_argument("--max-concurrency", type=int, default=10,
                          help="batches started at once (deployed: the Distributed Map's MaxConcurrency; "
                               "locally: objects at once)")
    _target_arguments(backfill)

    return parser


def _unreachable_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean no doctables answers (botocore is only imported by the commands that talk to one)."""
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    if botocore_exceptions is None:
        return (NothingAnswers,)
    return (NothingAnswers, botocore_exceptions.EndpointConnectionError, botocore_exceptions.ConnectTimeoutError)


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--stack", help="a deployed stack's name (its outputs name the bucket and table)")
    target.add_argument("--endpoint", default=None,
                        help=f"a `doctables serve` endpoint (default http://127.0.0.1:{DEFAULT_PORT})")
    parser.add_argument("--region", default=None, help="the stack's AWS region (default: the configured one)")


def _client(args: argparse.Namespace):
    from doctables.client import LOCAL_ENDPOINT, Client

    if args.stack:
        return Client.for_stack(args.stack, args.region)
    endpoint = args.endpoint or LOCAL_ENDPOINT
    if not _answers(endpoint):  # fail now rather than after the SDK's retries (about 50 s)
        raise NothingAnswers(endpoint)
    return Client.local(endpoint)


class NothingAnswers(Exception):
    """No `doctables serve` listens at the endpoint."""


def _answers(endpoint: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=2):
            return True
    except OSError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    from doctables.local.serve import LocalService

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"doctables: warning: the review page is served on {args.host}, reachable beyond this machine "
              f"(the AWS endpoint stays on 127.0.0.1)", file=sys.stderr)
    from doctables.client import Client

    service = LocalService(port=args.port, settings=Settings.from_env()).start()  # loopback, whatever --host
    names = service.stack.settings
    ui = None
    if args.ui_port:
        from doctables.local.ui.server import start_ui

        ui = start_ui(Client.local(service.endpoint), host=args.host, port=args.ui_port,
                      max_upload_bytes=names.max_bytes)
    print(f"doctables local stack at {service.endpoint}")
    print(f"  bucket {names.bucket} (upload under {names.upload_prefix}), table {names.table_name}")
    if ui:
        print(f"  review page at {ui.url}")
    endpoint = "" if args.port == DEFAULT_PORT else f" --endpoint {service.endpoint}"
    print(f"  try: doctables submit examples/sample.pdf --wait{endpoint}    (Ctrl-C stops and forgets everything)",
          flush=True)
    _run_until_interrupted(*([ui.stop] if ui else []), service.stop)
    return 0


def ui_command(args: argparse.Namespace) -> int:
    from doctables.local.ui.server import start_ui

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"doctables: warning: serving on {args.host}, reachable beyond this machine", file=sys.stderr)
    client = _client(args)
    ui = start_ui(client, host=args.host, port=args.port, max_upload_bytes=Settings.from_env().max_bytes)
    print(f"review page at {ui.url}", flush=True)
    _run_until_interrupted(ui.stop)
    return 0


def _run_until_interrupted(*stops: Callable[[], None]) -> None:
    """Serve until Ctrl-C, then call `stops` in order."""
    import time

    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for stop in stops:
            stop()


def submit_command(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"doctables: no such file: {args.file}", file=sys.stderr)
        return 2
    client = _client(args)
    job_id = client.submit(args.file)
    print(job_id)
    if not args.wait:
        return 0
    from tqdm import tqdm

    bar = tqdm(total=0, unit="page", desc=args.file.name, leave=False)

    def progress(job) -> None:
        if job is not None and job.pages_total:
            bar.total = job.pages_total
            bar.n = job.pages_done + job.pages_failed
            bar.refresh()

    try:
        job = client.wait(job_id, timeout=args.timeout, on_progress=progress)
    finally:
        bar.close()
    print(_job_line(job))
    return 0 if job.status.value != "FAILED" else 1


def status_command(args: argparse.Namespace) -> int:
    job = _client(args).status(args.job_id)
    if job is None:
        print(f"doctables: no job {args.job_id}", file=sys.stderr)
        return 1
    print(json.dumps(job.as_dict(), indent=1))
    return 0


def jobs_command(args: argparse.Namespace) -> int:
    for job in _client(args).jobs(args.limit):
        print(_job_line(job))
    return 0


def get_command(args: argparse.Namespace) -> int:
    client = _client(args)
    formats = args.formats or ["json"]
    if args.escape_formulas:
        paths = client.download(args.job_id, args.out, formats)
    else:
        from doctables.outputs.exports import write_exports

        result = as_result(client.result(args.job_id))
        paths = write_exports(result, args.out, formats, result.stem, escape_formulas=False)
    for path in paths:
        print(path)
    return 0


def _job_line(job) -> str:
    line = (f"{job.job_id}  {job.status.value:<19} {job.pages_done + job.pages_failed}/{job.pages_total} pages  "
            f"{job.tables_found} tables  {job.source.key}")
    if job.error_code:
        line += f"  {job.error_code}: {job.error_message}"
    return line


def backfill_command(args: argparse.Namespace) -> int:
    from doctables.pipeline.backfill import parse_s3_url, parse_since

    try:
        bucket, prefix = parse_s3_url(args.url)
        since = parse_since(args.since)
    except ValueError as error:
        print(f"doctables: {error}", file=sys.stderr)
        return 2
    if not 1 <= args.max_concurrency <= MAX_BACKFILL_CONCURRENCY:
        print(f"doctables: --max-concurrency is 1 to {MAX_BACKFILL_CONCURRENCY}", file=sys.stderr)
        return 2
    if args.stack:
        return _backfill_stack(args, bucket, prefix, since)
    from doctables.local.backfill import LocalBackfill

    endpoint = args.endpoint or f"http://127.0.0.1:{DEFAULT_PORT}"
    if not _answers(endpoint):
        raise NothingAnswers(endpoint)
    line = _ProgressLine()
    tally = LocalBackfill.at(endpoint).run(bucket, prefix, since=since, max_concurrency=args.max_concurrency,
                                          on_progress=lambda t: line.show(t.line()))
    line.done(tally.line())
    for failure in tally.failures:
        print(f"  failed {failure['key']}: {failure['reason']}", file=sys.stderr)
    return 1 if tally.failed else 0


MAX_BACKFILL_CONCURRENCY = 1000  # the Distributed Map's own maximum is 10,000 child executions


def _backfill_stack(args: argparse.Namespace, bucket: str, prefix: str, since) -> int:
    from doctables.pipeline.backfill_execution import StackBackfill

    stack = StackBackfill.for_stack(args.stack, args.region)
    if bucket not in stack.buckets:
        print(f"doctables: stack {args.stack} may not read {bucket} (it may: {', '.join(stack.buckets) or 'none'}); "
              f"deploy with -c textractBuckets={bucket}", file=sys.stderr)
        return 2
    execution, resumed = stack.start(bucket, prefix, since, args.max_concurrency)
    print(f"{'following the running' if resumed else 'started'} backfill {execution}")
    line = _ProgressLine()
    try:
        final = stack.follow(execution, lambda progress: line.show(progress.line()))
    except KeyboardInterrupt:
        line.done("stopped following; the backfill goes on: run the same command again to follow it")
        return 130
    line.done(final.line())
    tally = stack.tally(execution)
    if tally is not None:
        print(tally.line())
        for failure in tally.failures:
            print(f"  failed {failure['key']}: {failure['reason']}", file=sys.stderr)
    return 0 if final.status == "SUCCEEDED" and not (tally and tally.failed) else 1


class _ProgressLine:
    """One line rewritten in place on a terminal; elsewhere (a log, a pipe) a line per change."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.last = ""

    def show(self, text: str) -> None:
        if text == self.last:
            return
        self.last = text
        if self.tty:
            print(f"\r\033[K{text}", end="", flush=True)
        else:
            print(text, flush=True)

    def done(self, text: str) -> None:
        if self.tty:
            print(f"\r\033[K{text}", flush=True)
        elif text != self.last:
            print(text, flush=True)


def run_command(args: argparse.Namespace) -> int:
    from doctables.local.run import run_files

    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        print(f"doctables: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = documents_in(args.files)
    if not files:
        print(f"doctables: no PDF, PNG, JPEG or TIFF file in {', '.join(map(str, args.files))}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    if args.dpi:
        settings = settings.with_overrides(dpi=args.dpi)
    results = run_files(files, settings=settings, timeout=args.timeout, progress=not args.quiet)
    failed = 0
    for path, stem, stored in zip(files, output_stems(files), results):
        result = as_result(stored)
        if args.out:
            from doctables.outputs.exports import write_exports

            write_exports(result, args.out, args.formats or ["json"], stem,
                          escape_formulas=args.escape_formulas)
        print(describe(path, result, tables=not args.quiet))
        failed += result.status == "FAILED"
    return 1 if failed else 0


def documents_in(paths: list[Path]) -> list[Path]:
    """Files as given; a directory becomes every file under it, in name order, whose first bytes
    say PDF, PNG, JPEG or TIFF (whatever its name)."""
    from doctables.convert.sniff import sniff

    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for candidate in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            with candidate.open("rb") as head:
                if sniff(head.read(1024)) is not None:
                    found.append(candidate)
    return found


def output_stems(files: list[Path]) -> list[str]:
    """A file name stem per document for `--out`; a stem met again gets -2, -3, ... so that
    a.pdf and a.png, or two a.pdf in different folders, do not overwrite each other."""
    seen: dict[str, int] = {}
    stems = []
    for path in files:
        seen[path.stem] = seen.get(path.stem, 0) + 1
        stems.append(path.stem if seen[path.stem] == 1 else f"{path.stem}-{seen[path.stem]}")
    return stems


def describe(path: Path, result: ResultDocument | Mapping[str, Any], *, tables: bool = True) -> str:
    """A human-readable summary of one result: status and errors, then (`tables`) every table as a
    text grid."""
    result = as_result(result)
    pages = result.pages
    lines = [f"{path.name}: {result.status}, {pages.done}/{pages.total} pages, {len(result.tables)} tables"]
    if result.error:
        lines.append(f"  error {result.error.code}: {result.error.message}")
    for page in result.page_results:
        if page.error:
            lines.append(f"  page {page.page} {page.error.code}: {page.error.message}")
    for table in result.tables if tables else []:
        lines.append(f"\n  table {table.table_id} (page {table.page}, {table.rows} x {table.columns})")
        lines.extend("  " + row for row in text_grid(table.grid(), table.header_rows))
    return "\n".join(lines)


def text_grid(rows: list[list[str]], header_rows: int = 0, max_width: int = 28) -> list[str]:
    """Rows of cells as aligned text columns, a rule under the header."""
    if not rows:
        return []
    clipped = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in rows]
    widths = [max(len(row[i]) for row in clipped) for i in range(len(clipped[0]))]
    out = []
    for index, row in enumerate(clipped):
        out.append(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index + 1 == header_rows:
            out.append("-+-".join("-" * width for width in widths))
    return out


if __name__ == "__main__":
    sys.exit(main())
