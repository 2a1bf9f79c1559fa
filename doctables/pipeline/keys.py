"""The bucket's key layout, in one place: every module that reads or writes an object of the
pipeline names its key here (docs/ARCHITECTURE.md, "S3 key layout").

    <upload prefix><name>                 an upload (the prefix is DOCTABLES_UPLOAD_PREFIX)
    pages/<job_id>/<first:05d>.pages      the renderings and layouts of a page range (first..last,
                                          the job's `range_pages`) in one object
                                          (doctables.pipeline.page_bundles)
    pages/<job_id>/<page:05d>.png         a page's rendering, when stored alone (a large page, or
                                          written before bundles)
    pages/<job_id>/<page:05d>.json        its layout (words, rules, size: doctables.model.layout)
    tables/<job_id>/<page:05d>.json       a page's tables (JSON list) too large for its DynamoDB item
    tables/<job_id>/<table_id>.json       one table's, written before a page's tables shared its item
    tables/<job_id>/<page:05d>.text.json  a page's text (lines of words) too large for its item
    results/<job_id>.json                 the job's result document (doctables.model.result)
    results/<job_id>/<file>               the configured exports beside it
    results/<job_id>.text.json.gz         every page's text (doctables.model.text), for Textract's
                                          LINE and WORD blocks
"""

from __future__ import annotations

from doctables.settings import Settings

UPLOAD_PREFIX = Settings.upload_prefix  # the default; a stack may configure another
PAGES_PREFIX = "pages/"
TABLES_PREFIX = "tables/"
RESULTS_PREFIX = "results/"


def upload_key(name: str, prefix: str = UPLOAD_PREFIX) -> str:
    """Where an upload named `name` goes."""
    return f"{prefix}{name}"


def page_image_key(job_id: str, page: int) -> str:
    """A page's rendering (PNG)."""
    return f"{_page_stem(job_id, page)}.png"


def page_layout_key(job_id: str, page: int) -> str:
    """A page's layout (JSON)."""
    return f"{_page_stem(job_id, page)}.json"


def page_bundle_key(job_id: str, first: int) -> str:
    """The bundle of the page range starting at page `first`."""
    return f"{PAGES_PREFIX}{job_id}/{first:05d}.pages"


def page_tables_key(job_id: str, page: int) -> str:
    """A page's tables (a JSON list) spilled out of its DynamoDB item."""
    return f"{TABLES_PREFIX}{job_id}/{page:05d}.json"


def page_text_key(job_id: str, page: int) -> str:
    """A page's text (lines of words, JSON) spilled out of its DynamoDB item."""
    return f"{TABLES_PREFIX}{job_id}/{page:05d}.text.json"


def result_text_key(job_id: str) -> str:
    """Every page's text of the job (gzip-compressed JSON), written with its result."""
    return f"{RESULTS_PREFIX}{job_id}.text.json.gz"


def result_key(job_id: str) -> str:
    """The job's result document."""
    return f"{RESULTS_PREFIX}{job_id}.json"


def export_prefix(job_id: str) -> str:
    """The folder of the job's exports."""
    return f"{RESULTS_PREFIX}{job_id}/"


def export_key(job_id: str, file_name: str) -> str:
    """One export file of the job."""
    return export_prefix(job_id) + file_name


def _page_stem(job_id: str, page: int) -> str:
    return f"{PAGES_PREFIX}{job_id}/{page:05d}"
