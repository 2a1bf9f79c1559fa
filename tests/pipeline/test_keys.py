"""The bucket's key layout (doctables.pipeline.keys), as docs/ARCHITECTURE.md gives it."""

from __future__ import annotations

from doctables.pipeline import keys
from doctables.settings import Settings


def test_the_key_layout():
    job = "0123456789abcdef0123456789abcdef"
    assert keys.upload_key("report.pdf") == "uploads/report.pdf"
    assert keys.upload_key("a/b.pdf", "incoming/") == "incoming/a/b.pdf"
    assert keys.page_image_key(job, 7) == f"pages/{job}/00007.png"
    assert keys.page_layout_key(job, 7) == f"pages/{job}/00007.json"
    assert keys.page_tables_key(job, 7) == f"tables/{job}/00007.json"
    assert keys.page_bundle_key(job, 51) == f"pages/{job}/00051.pages"
    assert keys.result_key(job) == f"results/{job}.json"
    assert keys.export_key(job, "report.csv") == f"results/{job}/report.csv"
    assert keys.export_prefix(job) == f"results/{job}/"


def test_the_upload_prefix_is_the_settings_default():
    assert keys.UPLOAD_PREFIX == Settings().upload_prefix == "uploads/"
