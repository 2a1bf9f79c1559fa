"""Soak: hostile input at a size the test suite does not run.

    python -m bench.soak pages [--pages 10000]           # a huge empty document against the page limit
    python -m bench.soak fuzz [--documents 500] [--seed 1]  # damaged copies of the sample through conversion
    python -m bench.soak memory [--pages 1000] [--every 100]  # one long document through the local runner

`pages` builds a document of empty pages (the default is five times the default page limit) and
times how long `open_document` takes to refuse it with TOO_MANY_PAGES: the refusal reads the page
count, never the pages. `fuzz` damages the bundled sample (bytes flipped, cut out, inserted, the
file truncated) and converts each copy on moto: every copy must end in a job state (RUNNING with
its pages, or FAILED with a code and a message), never an exception; it prints the outcomes
counted by error code. `memory` runs a document of `pages` one-line pages through the local
runner (`doctables run`'s stack) and prints, every `every` pages settled, the process's resident
memory and the DynamoDB objects moto holds: both should grow with the pages, not their square.
tests/pipeline/test_reliability.py runs the first two on a small size (a page limit of 20,
a few dozen fuzzed copies); these runs are measurements, not tests. Exit status 1 on any problem.
"""

from __future__ import annotations

import argparse
import random
import time
import zlib
from collections import Counter
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.pdf"
EDIT_KINDS = ("flip", "cut", "insert")


def empty_document(pages: int) -> bytes:
    """A PDF of `pages` empty pages (PyMuPDF's new_page is quadratic: 10,000 pages take 15 to 30 s)."""
    document = pymupdf.open()
    for _ in range(pages):
        document.new_page()
    return document.tobytes()


def mutate(data: bytes, edits) -> bytes:
    """Apply (position, kind, payload) edits: overwrite, cut 50 bytes per payload byte, or insert."""
    out = bytearray(data)
    for position, kind, payload in edits:
        position %= max(len(out), 1)
        if kind == "flip":
            out[position:position + len(payload)] = payload
        elif kind == "cut":
            del out[position:position + len(payload) * 50]
        else:
            out[position:position] = payload
    return bytes(out)


def random_damage(rng: random.Random, data: bytes) -> bytes:
    """One damaged copy: 1-12 random edits (as the test's Hypothesis strategy draws them),
    truncated at a random point one time in two."""
    edits = [(rng.randrange(len(data)), rng.choice(EDIT_KINDS), rng.randbytes(rng.randint(1, 40)))
             for _ in range(rng.randint(1, 12))]
    damaged = mutate(data, edits)
    return damaged[:rng.randint(0, len(data))] if rng.random() < 0.5 else damaged


def soak_pages(pages: int) -> int:
    from doctables.convert.render import open_document
    from doctables.errors import DocumentError
    from doctables.settings import Settings

    settings = Settings()
    started = time.perf_counter()
    data = empty_document(pages)
    built = time.perf_counter() - started
    started = time.perf_counter()
    try:
        open_document(data, settings)
    except DocumentError as error:
        refused = time.perf_counter() - started
        print(f"{pages} empty pages ({len(data) / 1e6:.1f} MB), page limit {settings.max_pages}: "
              f"built in {built:.1f} s, refused in {refused * 1000:.0f} ms with {error.code.value}")
        if error.code.value != "TOO_MANY_PAGES" or f"{pages} pages" not in error.message:
            print(f"PROBLEM expected TOO_MANY_PAGES naming {pages} pages, got {error.code.value}: {error.message}")
            return 1
        return 0
    print(f"PROBLEM {pages} pages were accepted (page limit {settings.max_pages})")
    return 1


def soak_fuzz(documents: int, seed: int) -> int:
    from doctables.local.stack import BUCKET, TABLE, moto_runtime
    from doctables.pipeline.conversion import convert_upload
    from doctables.pipeline.store import JobStatus, JobStore, SourceObject

    sample = SAMPLE.read_bytes()
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    with moto_runtime(dpi=36) as runtime:
        aws = runtime.aws
        store = JobStore(aws.dynamodb, TABLE)
        started = time.perf_counter()
        for index in range(documents):
            data = random_damage(rng, sample)
            key = f"uploads/soak-{index:05d}-{zlib.crc32(data)}.pdf"
            put = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            source = SourceObject(BUCKET, key, put.get("VersionId"), put["ETag"].strip('"'), len(data))
            try:
                outcome = convert_upload(source, runtime)
            except Exception as exc:  # the conversion must never raise on bad input
                problems.append(f"{key}: {type(exc).__name__}: {exc}")
                continue
            job = store.get_job(outcome.job_id)
            if outcome.status == "failed":
                if job.status is not JobStatus.FAILED or not (job.error_code and job.error_message):
                    problems.append(f"{key}: failed without a recorded error ({job.status})")
                outcomes[f"FAILED {job.error_code}"] += 1
            else:
                if job.status is not JobStatus.RUNNING or job.pages_total < 1:
                    problems.append(f"{key}: {job.status} with {job.pages_total} pages")
                outcomes[f"RUNNING, {job.pages_total} pages"] += 1
        seconds = time.perf_counter() - started
    print(f"{documents} damaged copies of {SAMPLE.name} (seed {seed}) in {seconds:.1f} s, "
          f"{seconds / max(documents, 1) * 1000:.0f} ms per conversion")
    for outcome, count in outcomes.most_common():
        print(f"  {count:5d}  {outcome}")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


def soak_memory(pages: int, every: int) -> int:
    import gc

    from moto.dynamodb.models.dynamo_type import Item

    from doctables.local.stack import LocalStack
    from doctables.pipeline.store import JobStore

    document = pymupdf.open()
    for number in range(pages):
        document.new_page().insert_text((72, 72), f"page {number + 1}: one line of text")
    data = document.tobytes()
    samples: list[tuple[int, float, int, float]] = []
    started = time.perf_counter()
    with LocalStack() as stack:
        store = JobStore(stack.aws.dynamodb, stack.settings.table_name)
        key = stack.upload(data, "long.pdf")

        def sample() -> None:
            jobs = store.list_jobs(limit=1)
            settled = jobs[0].pages_done + jobs[0].pages_failed if jobs else 0
            if settled >= (len(samples) + 1) * every or (settled == pages and samples[-1:] != [] and
                                                          samples[-1][0] != pages):
                gc.collect()
                items = sum(isinstance(o, Item) for o in gc.get_objects())
                samples.append((settled, _resident_mb(), items, time.perf_counter() - started))
                print(f"{settled:6d} pages  {samples[-1][1]:8.0f} MB resident  {items:7d} DynamoDB items in moto"
                      f"  {samples[-1][3]:7.0f} s", flush=True)

        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=24 * 3600, on_progress=sample)
    if len(samples) >= 3:
        (p1, m1, i1, _), (p2, m2, i2, _) = samples[0], samples[-1]
        print(f"per 1,000 pages from {p1} to {p2}: {(m2 - m1) / (p2 - p1) * 1000:.0f} MB resident, "
              f"{(i2 - i1) / (p2 - p1) * 1000:.0f} moto items")
    return 0


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    runs = parser.add_subparsers(dest="run", required=True)
    pages = runs.add_parser("pages", help="a huge empty document against the page limit")
    pages.add_argument("--pages", type=int, default=10_000)
    fuzz = runs.add_parser("fuzz", help="damaged copies of the sample through conversion on moto")
    fuzz.add_argument("--documents", type=int, default=500)
    fuzz.add_argument("--seed", type=int, default=1)
    memory = runs.add_parser("memory", help="one long document through the local runner: memory per page")
    memory.add_argument("--pages", type=int, default=1000)
    memory.add_argument("--every", type=int, default=100, help="report after every this many pages settled")
    args = parser.parse_args(argv)
    if args.run == "pages":
        return soak_pages(args.pages)
    if args.run == "memory":
        return soak_memory(args.pages, args.every)
    return soak_fuzz(args.documents, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
