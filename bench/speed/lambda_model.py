"""A long document on Lambda, modelled from measured seconds: when it finishes at the stack's
concurrency, what each memory size costs, and what a page costs at each document size. Pure
arithmetic and a small event simulation; every input is measured elsewhere (the end-to-end run
through the local runner, the table-stage cold start) or stated in `Assumptions`.

What is modelled, not measured: Lambda's CPU share (proportional to memory, one vCPU at 1,769 MB),
arm64 speed against the machine that measured (`arm_slowdown`), cold starts of the container
image, the SQS event source's latency, and S3/DynamoDB latency (the local runner's moto answers
in-process). The per-page seconds are measured: function time of the end-to-end run."""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from . import cost, prices

FULL_VCPU_MB = 1769  # Lambda gives one vCPU's worth of CPU at 1,769 MB, in proportion below it
LAMBDA_MEMORY_MB = (512, 1024, 1536, 1769, 2048, 3008, 3538, 4096)


@dataclass(frozen=True)
class Assumptions:
    """What the model takes as given (seconds unless named otherwise)."""

    table_init_s: float = 3.0  # container image cold start before the handler's own init (image pull, runtime)
    conversion_init_s: float = 1.0  # zip + PyMuPDF layer cold start
    range_overhead_s: float = 1.0  # per range: download the source and open it (a 3,000-page PDF: tens of MB)
    batch_overhead_s: float = 0.05  # per table-stage invocation beside its pages (the batch's count, finishing)
    queue_latency_s: float = 0.5  # from send to the event source's invocation
    finish_per_page_s: float = 0.001  # closing: reading the job's items and writing the result, per page
    arm_slowdown: float = 1.0  # arm64 seconds over this machine's (not measured)
    range_concurrency: int = 5  # rangeMaxConcurrency
    table_concurrency: int = 10  # maxConcurrency of the page queue's event source


@dataclass(frozen=True)
class StageSeconds:
    """Measured seconds per page of function time at the stack's memory sizes, and the table
    stage's own init (import + model load)."""

    conversion_per_page: float
    table_per_page: float
    table_model_init: float
    measured_at_mb: tuple[int, int] = (2048, 2048)  # conversion, table: the memory sizes they stand for

    @classmethod
    def from_usage(cls, usage: cost.Usage, config: cost.StackConfig) -> StageSeconds:
        return cls(usage.conversion_seconds, usage.table_seconds, usage.cold_start_seconds,
                   (config.conversion_memory_mb, config.table_memory_mb))


def cpu_scale(memory_mb: int, measured_at_mb: int, threads: int = 1) -> float:
    """How much longer CPU-bound work takes at `memory_mb` than at `measured_at_mb` on Lambda,
    for work that uses at most `threads` cores (the table stage: modelThreads; conversion: 1)."""

    def speed(mb: int) -> float:
        return min(mb / FULL_VCPU_MB, float(threads))

    return speed(measured_at_mb) / speed(memory_mb)


def finish_time(pages: int, config: cost.StackConfig, seconds: StageSeconds,
                assumptions: Assumptions = Assumptions(), *, memory: tuple[int, int] | None = None) -> dict[str, Any]:
    """Seconds from the upload to the job's event for a document of `pages` pages: the first
    range converted by the S3-triggered invocation, the others from the range queue by at most
    `range_concurrency` invocations, each range's pages queued when it is done; the table stage
    at most `table_concurrency` invocations of `batch_size` pages, each paying one cold start."""
    a = assumptions
    conversion_mb, table_mb = memory or (config.conversion_memory_mb, config.table_memory_mb)
    conv_page = seconds.conversion_per_page * a.arm_slowdown * cpu_scale(conversion_mb, seconds.measured_at_mb[0])
    table_page = seconds.table_per_page * a.arm_slowdown * cpu_scale(
        table_mb, seconds.measured_at_mb[1], max(1, config.model_threads))
    ranges = [(f, min(f + config.range_pages - 1, pages)) for f in range(1, pages + 1, max(1, config.range_pages))]
    # conversion: the first range inline, by the S3-triggered invocation, which then queues the rest
    ready: list[tuple[float, int]] = []  # (time the range's page messages are sent, pages)
    first_size = ranges[0][1] - ranges[0][0] + 1
    ready.append((a.conversion_init_s + a.range_overhead_s + first_size * conv_page, first_size))
    free = [(ready[0][0] + a.queue_latency_s, i) for i in range(a.range_concurrency)]
    heapq.heapify(free)
    warm: set[int] = set()
    for first, last in ranges[1:]:
        at, worker = heapq.heappop(free)
        began = at + (0.0 if worker in warm else a.conversion_init_s)
        warm.add(worker)
        done = began + a.range_overhead_s + (last - first + 1) * conv_page
        ready.append((done, last - first + 1))
        heapq.heappush(free, (done, worker))
    conversion_done = max(t for t, _n in ready)
    # table stage: batches of batch_size pages from what is ready, in arrival order
    arrivals = sorted(t + a.queue_latency_s for t, n in ready for _ in range(n))
    batch = max(1, config.batch_size)
    table_free = [(0.0, i) for i in range(a.table_concurrency)]
    heapq.heapify(table_free)
    table_warm: set[int] = set()
    last_done = 0.0
    cold = 0
    for i in range(0, len(arrivals), batch):
        group = arrivals[i:i + batch]
        at, worker = heapq.heappop(table_free)
        began = max(at, group[-1])
        if worker not in table_warm:
            began += a.table_init_s + seconds.table_model_init * a.arm_slowdown
            table_warm.add(worker)
            cold += 1
        done = began + a.batch_overhead_s + len(group) * table_page
        last_done = max(last_done, done)
        heapq.heappush(table_free, (done, worker))
    finished = last_done + a.finish_per_page_s * pages
    tail = a.queue_latency_s + a.batch_overhead_s + batch * table_page
    return {
        "pages": pages,
        "ranges": len(ranges),
        "table_invocations": math.ceil(pages / batch),
        "table_cold_starts": cold,
        "conversion_done_s": round(conversion_done, 1),
        "tables_done_s": round(last_done, 1),
        "finished_s": round(finished, 1),
        "seconds_per_page": {"conversion": round(conv_page, 4), "table": round(table_page, 4)},
        # the table stage keeps up when it ends within a batch or two of the last range
        "bound_by": "conversion" if last_done - conversion_done <= 2 * tail else "table stage",
        "memory_mb": {"conversion": conversion_mb, "table": table_mb},
    }


def memory_sweep(usage: cost.Usage, config: cost.StackConfig, pages: int = 3000,
                 assumptions: Assumptions = Assumptions(), memories: tuple[int, ...] = LAMBDA_MEMORY_MB,
                 floors: tuple[int, int] = (0, 0)) -> list[dict[str, Any]]:
    """Per memory size of each function (the other at its configured size): compute dollars
    per 1,000 pages (arm64) and the `pages`-page document's finish time. Seconds scale with the
    CPU share (`cpu_scale`); `floors` (conversion, table) mark sizes below a measured peak."""
    seconds = StageSeconds.from_usage(usage, config)
    rows = []
    for function in ("conversion", "table"):
        for mb in memories:
            if function == "conversion":
                memory = (mb, config.table_memory_mb)
                scaled = replace(usage, conversion_seconds=usage.conversion_seconds * cpu_scale(mb, seconds.measured_at_mb[0]))
                cfg = replace(config, conversion_memory_mb=mb)
            else:
                memory = (config.conversion_memory_mb, mb)
                scaled = replace(usage, table_seconds=usage.table_seconds * cpu_scale(
                    mb, seconds.measured_at_mb[1], max(1, config.model_threads)))
                cfg = replace(config, table_memory_mb=mb)
            dollars = cost.cost_per_thousand_pages(scaled, cfg, "arm64")
            line = "lambda_conversion_compute" if function == "conversion" else "lambda_table_compute"
            floor = floors[0] if function == "conversion" else floors[1]
            rows.append({
                "function": function,
                "memory_mb": mb,
                "compute_dollars": round(dollars["dollars"][line], 6),
                "total_dollars": round(dollars["total_dollars"], 6),
                "finished_s": finish_time(pages, config, seconds, assumptions, memory=memory)["finished_s"],
                "fits": mb >= floor,
                "configured": mb == (config.conversion_memory_mb if function == "conversion" else config.table_memory_mb),
            })
    return rows


@dataclass(frozen=True)
class LinearUsage:
    """Units as a + b * pages, fitted from end-to-end runs at two or more document sizes."""

    per_document: dict[str, float]
    per_page: dict[str, float]


def fit_linear(runs: list[dict[str, Any]]) -> LinearUsage:
    """Least squares of each unit's total over pages, across end-to-end runs of different sizes."""
    sizes = [float(r["pages"]["total"]) for r in runs]
    keys = sorted({k for r in runs for k in r["units"]})
    mean = sum(sizes) / len(sizes)
    spread = sum((x - mean) ** 2 for x in sizes)
    per_document, per_page = {}, {}
    for key in keys:
        ys = [float(r["units"].get(key, 0.0)) for r in runs]
        y_mean = sum(ys) / len(ys)
        slope = sum((x - mean) * (y - y_mean) for x, y in zip(sizes, ys)) / spread if spread else y_mean / mean
        per_page[key] = slope
        per_document[key] = y_mean - slope * mean
    return LinearUsage(per_document, per_page)


def cost_by_size(usage: cost.Usage, linear: LinearUsage, config: cost.StackConfig,
                 sizes: tuple[int, ...] = (10, 100, 1000, 3000)) -> list[dict[str, Any]]:
    """Dollars per page (arm64) for documents of each size: request units from the linear fit,
    function seconds per page as measured, per-document invocations spread over the document."""
    rows = []
    for pages in sizes:
        units = {k: linear.per_document.get(k, 0.0) / pages + linear.per_page.get(k, 0.0) for k in linear.per_page}
        sized = replace(
            usage, pages_per_document=pages,
            s3_put=units.get("s3_put", 0.0) + 1 / pages, s3_get=units.get("s3_get", 0.0),
            s3_stored_bytes=units.get("s3_stored_bytes", 0.0), sqs_requests=units.get("sqs_requests", 0.0),
            dynamodb_wru=units.get("dynamodb_wru", 0.0), dynamodb_rru=units.get("dynamodb_rru", 0.0),
            eventbridge_events=units.get("eventbridge_events", 0.0),
        )
        total = cost.cost_per_thousand_pages(sized, config, "arm64")["total_dollars"]
        rows.append({"pages": pages, "dollars_per_1000_pages": round(total, 6),
                     "dollars_per_document": round(total * pages / 1000, 6),
                     "write_units_per_page": round(sized.dynamodb_wru, 3), "s3_puts_per_page": round(sized.s3_put, 4)})
    return rows


def many_pages_pdf(pages: int) -> bytes:
    """A valid PDF of `pages` empty pages, written directly (PyMuPDF's new_page is quadratic)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (i + 3) for i in range(pages))
               + b"] /Count %d >>" % pages]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def refused_up_front(pages: int, max_pages: int) -> dict[str, Any]:
    """Whether `open_document` refuses a `pages`-page PDF at the limit `max_pages`, and how fast."""
    from doctables.convert.render import open_document
    from doctables.errors import DocumentError
    from doctables.settings import Settings

    data = many_pages_pdf(pages)
    start = time.perf_counter()
    try:
        with open_document(data, Settings(max_pages=max_pages)):
            code = None
    except DocumentError as error:
        code = error.code.value
    return {"pages": pages, "max_pages": max_pages, "refused_with": code,
            "ms": round((time.perf_counter() - start) * 1000, 2), "pdf_bytes": len(data)}


def report(usage: cost.Usage, config: cost.StackConfig, runs: list[dict[str, Any]],
           assumptions: Assumptions = Assumptions(), floors: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """The model's whole section of the speed report."""
    seconds = StageSeconds.from_usage(usage, config)
    slow = replace(assumptions, arm_slowdown=1.5)
    long = {
        "at_defaults": finish_time(3000, config, seconds, assumptions),
        "arm64_1.5x_slower": finish_time(3000, config, seconds, slow),
        "goal_s": 180,
    }
    return {
        "assumptions": asdict(assumptions),
        "stage_seconds": asdict(seconds),
        "document_3000_pages": long,
        "document_20000_pages": refused_up_front(20000, config.max_pages),
        "memory_sweep": memory_sweep(usage, config, 3000, assumptions, floors=floors),
        "cost_by_size": cost_by_size(usage, fit_linear(runs), config) if len(runs) > 1 else [],
        "lambda_gb_second_arm64": prices.LAMBDA_GB_SECOND["arm64"],
    }
