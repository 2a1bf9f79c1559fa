"""End to end through the local runner, in a fresh process:

    python -m bench.speed.end_to_end --pdf FILE --out FILE.json

Runs one document through `doctables.local.run.run_files` (moto S3 notification -> conversion ->
SQS -> table stage -> DynamoDB -> result JSON -> EventBridge), timing the whole run and each
function invocation, and counting the AWS requests the functions make (billing units, see
bench.speed.cost.request_units). Requests the local runner makes on the Lambda service's behalf
(polling queues, collecting events, reading the result) are counted apart."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from .. import emit_json
from .cost import request_units

_RUNNER_FILES = ("doctables/local/stack.py", "doctables/local/run.py")


def build_document(sources: list[Path], pages: int, out: Path) -> int:
    """Concatenate `sources` (cycling through them) with PyMuPDF into `out` until it has `pages`
    pages; returns the page count."""
    import pymupdf

    if not sources:
        raise ValueError("no source PDFs")
    target = pymupdf.open()
    i = 0
    while target.page_count < pages:
        with pymupdf.open(sources[i % len(sources)]) as source:
            take = min(source.page_count, pages - target.page_count)
            target.insert_pdf(source, from_page=0, to_page=take - 1)
        i += 1
    target.save(out, garbage=3, deflate=True)
    count = target.page_count
    target.close()
    return count


def scanned_copy(pdf: Path, out: Path, dpi: int = 200) -> Path:
    """`pdf` as a scan: each page replaced by its grey rendering at `dpi`, no text layer (as
    `bench.accuracy --image-only` makes its copies), so every page goes through OCR."""
    import pymupdf

    scanned = pymupdf.open()
    with pymupdf.open(pdf) as source:
        for page in source:
            pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            target = scanned.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=pixmap.tobytes("png"))
    scanned.save(out, garbage=3, deflate=True)
    scanned.close()
    return out


def _caller_is_runner() -> bool:
    """Whether the AWS call in progress comes from the local runner rather than a function."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if "/botocore/" not in name and "/boto3/" not in name and not name.endswith("bench/speed/end_to_end.py"):
            return name.endswith(_RUNNER_FILES)
        frame = frame.f_back  # type: ignore[assignment]
    return False


class RequestCounter:
    """Counts AWS API calls and their billing units by patching botocore's call path."""

    def __init__(self, batch_size: int = 10) -> None:
        self.batch_size = batch_size  # messages the runner hands a handler at most (the stack's batchSize)
        self.calls: Counter = Counter()
        self.runner_calls: Counter = Counter()
        self.units: Counter = Counter()
        self.by_item: Counter = Counter()  # write units (DynamoDB) or PUTs (S3) per call and item kind
        self._original: Callable[..., Any] | None = None

    def __enter__(self) -> Self:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            runner = _caller_is_runner()
            if runner and operation == "ReceiveMessage":  # the event source's batch size
                params = {**params, "MaxNumberOfMessages": min(params.get("MaxNumberOfMessages", 1), counter.batch_size)}
            # Sized before the call: botocore replaces a bytes Body with a stream on the way out.
            units = {} if runner else request_units(service, operation, params)
            response = original(client, operation, params)
            if runner:
                counter.runner_calls[f"{service}.{operation}"] += 1
            else:
                if service == "dynamodb":  # read units depend on what came back, updates on the item
                    updated = [_read_back(original, client, u) for u in _updates(operation, params)]
                    units = request_units(service, operation, params, response, updated)
                counter.calls[f"{service}.{operation}"] += 1
                counter.units.update(units)
                counter.by_item.update({f"{service}.{operation}{_item_kinds(service, params)}": units.get(
                    "dynamodb_wru", units.get("s3_put", 0.0))})
            return response

        self._original = original
        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def _updates(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The (table, key) of every item an UpdateItem or a transaction's Update entries write."""
    if operation == "UpdateItem":
        return [{"TableName": params["TableName"], "Key": params["Key"]}]
    if operation == "TransactWriteItems":
        return [
            {"TableName": e["Update"]["TableName"], "Key": e["Update"]["Key"]}
            for e in params.get("TransactItems", [])
            if "Update" in e
        ]
    return []


def _read_back(original: Callable[..., Any], client: Any, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item as it stands now, read past the counter (not billed to the functions)."""
    return original(client, "GetItem", {**key, "ConsistentRead": True}).get("Item")


def _item_kinds(service: str, params: dict[str, Any]) -> str:
    """`[JOB,PAGE]`: the kinds of item (sort key before `#`) or S3 prefix a call writes, for the breakdown."""
    if service == "s3":
        key = str(params.get("Key", ""))
        return f"[{key.split('/')[0]}/*.{key.rsplit('.', 1)[-1]}]" if "/" in key else ""
    if service != "dynamodb":
        return ""
    entries = [params] + [next(iter(e.values())) for e in params.get("TransactItems", [])]
    keys = [e.get("Item") or e.get("Key") for e in entries]
    kinds = sorted({k["sk"]["S"].split("#")[0] for k in keys if k and "sk" in k})
    return f"[{','.join(kinds)}]" if kinds else ""


def _time_handlers() -> dict[str, list[float]]:
    """Wrap each function's handler so every invocation's duration (s) is recorded."""
    import importlib

    durations: dict[str, list[float]] = {}
    for name in ("conversion", "tables", "dead_letters"):
        module = importlib.import_module(f"lambdas.{name}.handler")
        inner = module.handler
        durations[name] = []

        def timed(event: Any, context: Any, _inner: Callable[..., Any] = inner, _sink: list = durations[name]) -> Any:
            start = time.perf_counter()
            try:
                return _inner(event, context)
            finally:
                _sink.append(time.perf_counter() - start)

        module.handler = timed
    return durations


def measure(
    pdf: Path, timeout: float = 1800.0, model_threads: int = 0, dpi: int = 144, batch_size: int = 10,
    range_pages: int = 50,
) -> dict[str, Any]:
    """The document through the local runner with the stack's model threads, resolution, page
    batch size and range size."""
    from .table_stage import peak_rss_mb

    start = time.perf_counter()
    from doctables.local.run import run_files
    from doctables.settings import Settings

    import_s = time.perf_counter() - start
    durations = _time_handlers()
    with RequestCounter(batch_size) as counter:
        start = time.perf_counter()
        results = run_files(
            [pdf], settings=Settings(model_threads=model_threads, dpi=dpi, range_pages=range_pages), timeout=timeout
        )
        wall = time.perf_counter() - start
    result = results[0]
    pages = result["pages"]["total"]
    return {
        "document": str(pdf),
        "model_threads": model_threads,
        "status": result["status"],
        "pages": result["pages"],
        "tables": len(result.get("tables", [])),
        "import_s": round(import_s, 3),
        "wall_s": round(wall, 2),
        "pages_per_second": round(pages / wall, 3) if wall else None,
        "handler_seconds": {k: round(sum(v), 3) for k, v in durations.items()},
        "handler_invocations": {k: len(v) for k, v in durations.items()},
        "first_table_invocation_s": round(durations["tables"][0], 3) if durations["tables"] else None,
        "function_calls": dict(sorted(counter.calls.items())),
        "runner_calls": dict(sorted(counter.runner_calls.items())),
        "units": {k: round(v, 2) for k, v in sorted(counter.units.items())},
        "code": str(Path(sys.modules["doctables"].__file__).parent.parent),
        "write_units_by_call": {k: round(v / max(1, pages), 3) for k, v in sorted(counter.by_item.items()) if v},
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.end_to_end")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--model-threads", type=int, default=0, help="onnxruntime threads (0: all cores)")
    parser.add_argument("--dpi", type=int, default=144)
    parser.add_argument("--batch-size", type=int, default=10, help="page messages per table-stage invocation")
    parser.add_argument("--range-pages", type=int, default=50, help="pages per conversion range")
    parser.add_argument("--code", type=Path, default=None,
                        help="a checkout whose doctables and lambdas to run (a baseline); default: this one")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.code:  # before anything imports doctables: the pipeline from there, the bench from here
        sys.path.insert(0, str(args.code.resolve()))
    emit_json(measure(args.pdf, args.timeout, args.model_threads, args.dpi, args.batch_size, args.range_pages), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
