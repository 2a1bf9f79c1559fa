"""Page renderings several to an S3 object: written by conversion, read by the table stage with
one ranged GET, by the review page through the index; pages stored alone still read."""

from __future__ import annotations

import gzip
import json

import pytest

from doctables.pipeline import conversion, page_bundles
from doctables.pipeline.keys import page_bundle_key, page_image_key, page_layout_key
from doctables.pipeline.messages import PageMessage, decode, encode
from doctables.pipeline.page_bundles import Bundle, compress_layout, read_page, read_page_image, read_page_layout
from doctables.pipeline.store import JobStore
from doctables.settings import Settings


def layout_json(page: int) -> bytes:
    return json.dumps({"page": page, "width": 612.0, "height": 792.0, "rotation": 0, "dpi": 144, "image_width": 1224, "image_height": 1584, "words": [],
                       "rules": []}).encode()


@pytest.fixture
def s3(local_stack):
    return local_stack.aws.s3, local_stack.settings.bucket


def test_a_bundle_holds_each_page_at_the_place_its_message_names(s3):
    client, bucket = s3
    bundle = Bundle("j", 51)
    for page in (51, 52, 53):
        png = b"\x89PNG" + bytes([page]) * (1000 * page)
        assert bundle.accepts(png, compress_layout(layout_json(page)))
        bundle.add(page, png, compress_layout(layout_json(page)))
    body, places = bundle.body()
    client.put_object(Bucket=bucket, Key=bundle.key, Body=body)
    assert bundle.key == page_bundle_key("j", 51) == "pages/j/00051.pages"
    for page in (51, 52, 53):
        image, layout = read_page(client, bucket, bundle.key, bundle.key, places[page])
        assert image == b"\x89PNG" + bytes([page]) * (1000 * page) and layout.page == page
        # the review page finds it through the index, knowing only the job's range size
        assert page_bundles.find_page(client, bucket, bundle.key, page) == places[page]
        assert read_page_image(client, bucket, "j", page, 50) == image
        assert read_page_layout(client, bucket, "j", page, 50).page == page
    assert page_bundles.find_page(client, bucket, bundle.key, 54) is None
    assert page_bundles.find_page(client, bucket, page_bundle_key("j", 101), 101) is None


def test_an_index_longer_than_the_first_read_is_read_in_full(s3, monkeypatch):
    client, bucket = s3
    monkeypatch.setattr(page_bundles, "_INDEX_READ", 40)  # less than header + index
    bundle = Bundle("j", 1)
    for page in range(1, 11):
        bundle.add(page, b"png%d" % page, compress_layout(layout_json(page)))
    body, places = bundle.body()
    client.put_object(Bucket=bucket, Key=bundle.key, Body=body)
    assert page_bundles.find_page(client, bucket, bundle.key, 10) == places[10]
    assert read_page_image(client, bucket, "j", 10, 50) == b"png10"


def test_pages_stored_alone_read_as_before(s3):
    client, bucket = s3
    client.put_object(Bucket=bucket, Key=page_image_key("old", 3), Body=b"png3")
    client.put_object(Bucket=bucket, Key=page_layout_key("old", 3), Body=layout_json(3))
    # a job from before bundles (no range size) and a page missing from its range's bundle
    for range_pages in (None, 50):
        assert read_page_image(client, bucket, "old", 3, range_pages) == b"png3"
        assert read_page_layout(client, bucket, "old", 3, range_pages).page == 3
    image, layout = read_page(client, bucket, page_image_key("old", 3), page_layout_key("old", 3), None)
    assert (image, layout.page) == (b"png3", 3)


def test_a_page_message_without_a_place_still_decodes():
    old = '{"job_id":"j","page":3,"bucket":"b","image_key":"i","layout_key":"l","kind":"page","v":1}'
    assert decode(old) == PageMessage("j", 3, "b", "i", "l")
    new = PageMessage("j", 3, "b", "k", "k", [24, 10, 20])
    assert decode(encode(new)) == new


def test_conversion_puts_one_object_per_range_and_a_large_page_alone(local_stack, sample_bytes, monkeypatch):
    monkeypatch.setattr(page_bundles, "MAX_PAGE_BYTES", 0)  # every rendering "large": stored alone
    key = local_stack.upload(sample_bytes, "alone.pdf")
    local_stack.pump_once("ingest")
    store = JobStore(local_stack.aws.dynamodb, local_stack.settings.table_name)
    job = store.list_jobs()[0]
    names = [o["Key"].rsplit("/", 1)[1] for o in local_stack.aws.s3.list_objects_v2(
        Bucket=local_stack.settings.bucket, Prefix=f"pages/{job.job_id}/")["Contents"]]
    assert sorted(names) == ["00001.json", "00001.png", "00002.json", "00002.png"]
    assert read_page_image(local_stack.aws.s3, local_stack.settings.bucket, job.job_id, 2, job.range_pages)[:4] == b"\x89PNG"
    assert key


def test_bundles_follow_the_ranges(sample_bytes, monkeypatch):
    from doctables.local.stack import LocalStack

    with LocalStack(Settings(range_pages=1)) as stack:
        key = stack.upload(sample_bytes, "ranges.pdf")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=120)
        job = JobStore(stack.aws.dynamodb, stack.settings.table_name).list_jobs()[0]
        assert job.range_pages == 1 and job.status.value == "SUCCEEDED"
        names = [o["Key"].rsplit("/", 1)[1] for o in stack.aws.s3.list_objects_v2(
            Bucket=stack.settings.bucket, Prefix=f"pages/{job.job_id}/")["Contents"]]
        assert sorted(names) == ["00001.pages", "00002.pages"]
        assert read_page_layout(stack.aws.s3, stack.settings.bucket, job.job_id, 2, 1).page == 2


def test_the_layout_is_stored_compressed():
    data = layout_json(1) * 50
    assert gzip.decompress(compress_layout(data)) == data and len(compress_layout(data)) < len(data) / 5
    assert conversion  # the module that writes bundles
