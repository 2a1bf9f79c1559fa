"""Load through the local runner: eight documents of mixed sizes at once, page and range messages
interleaved; every job ends with exactly its pages counted. The load itself is a measurement:
`python -m bench.load` runs the 50-document mix of 1 to 300 pages and prints the throughput."""

from __future__ import annotations

from bench.load import page_counts, run_load
from doctables.settings import Settings


def test_mixed_documents_submitted_at_once_all_finish_with_the_right_counts():
    counts = page_counts(8, 6, seed=1)  # 19 pages: 1, 4, 3, 1, 1, 1, 2, 6
    assert min(counts) == 1 and max(counts) == 6 and len(set(counts)) > 3
    settings = Settings(dpi=36, range_pages=3)
    # Both kinds of conversion in the same run: whole documents and documents split into ranges.
    assert any(c <= settings.range_pages for c in counts) and any(c > settings.range_pages for c in counts)
    report = run_load(counts, settings, timeout=300)
    assert report.problems == []
    assert report.documents == len(counts) and report.pages == sum(counts)
    print(f"load: {report.documents} documents, {report.pages} pages, {report.pages_per_second:.2f} pages/s")
