"""Load through the local runner: 50 documents of mixed sizes at once, page and range messages
interleaved; every job ends with exactly its pages counted (bench/load.py runs the 1-300 mix)."""

from __future__ import annotations

from bench.load import page_counts, run_load
from doctables.settings import Settings


def test_fifty_mixed_documents_all_finish_with_the_right_counts():
    counts = page_counts(50, 12, seed=3)
    assert min(counts) == 1 and max(counts) == 12 and len(set(counts)) > 3
    report = run_load(counts, Settings(dpi=36, range_pages=4), timeout=900)
    assert report.problems == []
    assert report.pages == sum(counts)
    print(f"load: {report.documents} documents, {report.pages} pages, {report.pages_per_second:.2f} pages/s")
