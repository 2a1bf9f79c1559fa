"""Soak: hostile input at a size the test suite does not run.

    python -m bench.soak pages [--pages 10000]           # a huge empty document against the page limit
    python -m bench.soak fuzz [--documents 500] [--seed 1]  # damaged copies of the sample through conversion

`pages` builds a document of empty pages (the default is five times the default page limit) and
times how long `open_document` takes to refuse it with TOO_MANY_PAGES: the refusal reads the page
count, never the pages. `fuzz` damages the bundled sample (bytes flipped, cut out, inserted, the
file truncated) and converts each copy on moto: every copy must end in a job state (RUNNING with
its pages, or FAILED with a code and a message), never an exception; it prints the outcomes
counted by error code. tests/pipeline/test_reliability.py runs both on a small size (a page limit of 20,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    runs = parser.add_subparsers(dest="run", required=True)
    pages = runs.add_parser("pages", help="a huge empty document against the page limit")
    pages.add_argument("--pages", type=int, default=10_000)
    fuzz = runs.add_parser("fuzz", help="damaged copies of the sample through conversion on moto")
    fuzz.add_argument("--documents", type=int, default=500)
    fuzz.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.run == "pages":
        return soak_pages(args.pages)
    return soak_fuzz(args.documents, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
