"""Rendered pages in S3, several to an object: one PUT for a block of pages instead of two per page.

Conversion stores the pages of a range (the job's `range_pages` consecutive pages: 1-50, 51-100,
...) in one object, `keys.page_bundle_key`, named by the range's first page:

    MAGIC (16 bytes) | index length (8 bytes, big-endian) | index (JSON) | page data ...

The index maps each page number to `[offset, layout_bytes, image_bytes]`, offsets counted from
the end of the index; a page's data is its layout (JSON, gzip-compressed) followed by its PNG.
The page message carries the page's absolute place in the object (`PageMessage.bundle`), so the
table stage reads one page with one ranged GET; the review page reads the index first.

A page whose rendering is large (a 25-megapixel scan) is stored alone, as before (`page_image_key`
and `page_layout_key`), and so is every page once a bundle holds `MAX_BUNDLE_BYTES`: a conversion
never holds more than that in memory. Readers fall back to those keys, so pages stored before
bundles existed still read."""

from __future__ import annotations

import gzip
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from doctables.model.layout import PageLayout
from doctables.pipeline.keys import page_bundle_key, page_image_key, page_layout_key

MAGIC = b"DOCTABLES-PAGES1"
_HEADER = len(MAGIC) + 8
MAX_PAGE_BYTES = 4 * 1024 * 1024  # a rendering larger than this is stored alone
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # a bundle stops taking pages at this size
_INDEX_READ = 64 * 1024  # the first ranged GET of a reader: header and index of any block


@dataclass
class Bundle:
    """The pages of one range being gathered by conversion, in memory until `body()`."""

    job_id: str
    first: int  # the range's first page
    pages: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)  # page -> (layout gzip, png)
    size: int = 0

    @property
    def key(self) -> str:
        return page_bundle_key(self.job_id, self.first)

    def accepts(self, png: bytes, layout_gz: bytes) -> bool:
        """Whether the page goes in here (not too large, and room left)."""
        n = len(png) + len(layout_gz)
        return len(png) <= MAX_PAGE_BYTES and self.size + n <= MAX_BUNDLE_BYTES

    def add(self, page: int, png: bytes, layout_gz: bytes) -> None:
        self.pages[page] = (layout_gz, png)
        self.size += len(png) + len(layout_gz)

    def body(self) -> tuple[bytes, dict[int, list[int]]]:
        """The object's bytes and each page's [absolute offset, layout bytes, image bytes]."""
        index: dict[str, list[int]] = {}
        offset = 0
        for page in sorted(self.pages):
            layout_gz, png = self.pages[page]
            index[str(page)] = [offset, len(layout_gz), len(png)]
            offset += len(layout_gz) + len(png)
        head = json.dumps({"pages": index}, separators=(",", ":")).encode()
        start = _HEADER + len(head)
        parts = [MAGIC, struct.pack(">Q", len(head)), head]
        for page in sorted(self.pages):
            parts.extend(self.pages[page])
        places = {int(p): [start + o, lb, ib] for p, (o, lb, ib) in index.items()}
        return b"".join(parts), places


def compress_layout(layout_json: bytes) -> bytes:
    return gzip.compress(layout_json, compresslevel=6, mtime=0)


def read_page(s3: Any, bucket: str, image_key: str, layout_key: str,
              place: list[int] | None) -> tuple[bytes, PageLayout]:
    """A page's PNG and layout: one ranged GET of its bundle when `place` says where it lies
    ([offset, layout bytes, image bytes]), else its two objects."""
    if place:
        offset, layout_bytes, image_bytes = place
        data = _get_range(s3, bucket, image_key, offset, layout_bytes + image_bytes)
        if len(data) != layout_bytes + image_bytes:
            raise ValueError(f"{image_key}: {len(data)} bytes where {layout_bytes + image_bytes} were expected")
        return data[layout_bytes:], PageLayout.from_json(gzip.decompress(data[:layout_bytes]))
    image = s3.get_object(Bucket=bucket, Key=image_key)["Body"].read()
    layout = PageLayout.from_json(s3.get_object(Bucket=bucket, Key=layout_key)["Body"].read())
    return image, layout


def bundle_of(job_id: str, page: int, range_pages: int | None) -> str | None:
    """The key of the bundle that holds `page` if any: the job's `range_pages` names its range
    (None: a job converted before bundles, pages stored alone)."""
    if not range_pages:
        return None
    return page_bundle_key(job_id, (page - 1) // range_pages * range_pages + 1)


def find_page(s3: Any, bucket: str, key: str | None, page: int) -> list[int] | None:
    """Where a page lies in the bundle `key` ([offset, layout bytes, image bytes]); None when
    there is no such bundle or the page is not in it (stored alone)."""
    if key is None:
        return None
    try:
        head = _get_range(s3, bucket, key, 0, _INDEX_READ)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound", "InvalidRange"):
            return None
        raise
    if head[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{key} is not a page bundle")
    (length,) = struct.unpack(">Q", head[len(MAGIC) : _HEADER])
    if _HEADER + length > len(head):
        head += _get_range(s3, bucket, key, len(head), _HEADER + length - len(head))
    index = json.loads(head[_HEADER : _HEADER + length])["pages"]
    if str(page) not in index:
        return None
    offset, layout_bytes, image_bytes = index[str(page)]
    return [_HEADER + length + offset, layout_bytes, image_bytes]


def read_page_image(s3: Any, bucket: str, job_id: str, page: int, range_pages: int | None) -> bytes:
    """A page's PNG, from its range's bundle or its own object (a ClientError NoSuchKey when
    there is none). `range_pages`: the job's (`Job.range_pages`)."""
    key = bundle_of(job_id, page, range_pages)
    place = find_page(s3, bucket, key, page)
    if key is None or place is None:
        return s3.get_object(Bucket=bucket, Key=page_image_key(job_id, page))["Body"].read()
    offset, layout_bytes, image_bytes = place
    return _get_range(s3, bucket, key, offset + layout_bytes, image_bytes)


def read_page_layout(s3: Any, bucket: str, job_id: str, page: int, range_pages: int | None) -> PageLayout:
    """A page's layout, from its range's bundle or its own object."""
    key = bundle_of(job_id, page, range_pages)
    place = find_page(s3, bucket, key, page)
    if key is None or place is None:
        return PageLayout.from_json(s3.get_object(Bucket=bucket, Key=page_layout_key(job_id, page))["Body"].read())
    offset, layout_bytes, _image = place
    return PageLayout.from_json(gzip.decompress(_get_range(s3, bucket, key, offset, layout_bytes)))


def _get_range(s3: Any, bucket: str, key: str, offset: int, length: int) -> bytes:
    answer = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}")
    return answer["Body"].read()
