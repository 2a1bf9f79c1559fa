"""Load: many documents of mixed sizes submitted at once through the local runner.

    python -m bench.load [--documents 50] [--max-pages 300] [--seed 7]

Every job must finish with the right page counts (no page lost, none counted twice); prints the
throughput. tests/pipeline/test_load.py runs a smaller mix of the same harness."""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

import pymupdf

from doctables.local.stack import LocalStack
from doctables.pipeline.store import JobStore
from doctables.settings import Settings


@dataclass(frozen=True)
class LoadReport:
    documents: int
    pages: int
    seconds: float
    problems: list[str]

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def page_counts(documents: int, max_pages: int, seed: int) -> list[int]:
    """Mixed sizes, mostly short with a long tail, always including 1 and max_pages."""
    rng = random.Random(seed)
    counts = [max(1, min(max_pages, int(rng.paretovariate(1.2)))) for _ in range(documents)]
    counts[0], counts[-1] = 1, max_pages
    return counts


def make_document(pages: int, label: str) -> bytes:
    """A text document: a heading and a few lines per page (no table to find)."""
    document = pymupdf.open()
    for number in range(1, pages + 1):
        page = document.new_page()
        page.insert_text((72, 72), f"{label}, page {number} of {pages}", fontsize=14)
        for line in range(5):
            page.insert_text((72, 110 + 16 * line), f"Line {line + 1} of body text on page {number}.", fontsize=10)
    return document.tobytes()


def run_load(counts: list[int], settings: Settings | None = None, timeout: float = 3600.0) -> LoadReport:
    """Upload every document at once, pump until each has its event, check every count."""
    settings = settings or Settings(dpi=72, range_pages=25)
    with LocalStack(settings) as stack:
        expected = {}
        for index, pages in enumerate(counts):
            key = stack.upload(make_document(pages, f"document {index}"), f"load/{index:03d}.pdf")
            expected[key] = pages
        started = time.perf_counter()
        stack.run_until(lambda: all(stack.event_for_key(k) for k in expected), timeout=timeout)
        seconds = time.perf_counter() - started
        problems = check_jobs(stack, expected)
    return LoadReport(documents=len(counts), pages=sum(counts), seconds=seconds, problems=problems)


def check_jobs(stack: LocalStack, expected: dict[str, int]) -> list[str]:
    """Every job final once, with exactly its pages settled, each page item once."""
    store = JobStore(stack.aws.dynamodb, stack.settings.table_name)
    problems = []
    for key, pages in expected.items():
        events = [e for e in stack.events if e["detail"]["source"]["key"] == key]
        if len(events) != 1:
            problems.append(f"{key}: {len(events)} events")
            continue
        detail = events[0]["detail"]
        if detail["status"] != "SUCCEEDED" or detail["pages"] != {"total": pages, "done": pages, "failed": 0}:
            problems.append(f"{key}: {detail['status']} {detail['pages']}, expected {pages} pages")
        page_items, _tables = store.job_contents(detail["job_id"])
        if sorted(p.page for p in page_items) != list(range(1, pages + 1)):
            problems.append(f"{key}: page items {len(page_items)} for {pages} pages")
    if stack.handler_errors:
        problems.append(f"handler errors: {stack.handler_errors[:3]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--max-pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = page_counts(args.documents, args.max_pages, args.seed)
    report = run_load(counts)
    print(f"{report.documents} documents, {report.pages} pages (1 to {max(counts)} per document)")
    print(f"{report.seconds:.1f} s, {report.pages_per_second:.2f} pages/s through the local runner")
    for problem in report.problems:
        print("PROBLEM", problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
