"""The local runner's memory grows with the pages it has run, not with their square."""

from __future__ import annotations

import gc

import pymupdf
import pytest

from doctables.local import stack as local_stack


def _pages_pdf(count: int) -> bytes:
    document = pymupdf.open()
    for number in range(count):
        document.new_page().insert_text((72, 72), f"page {number + 1}")
    return document.tobytes()


def _live_dynamodb_items() -> int:
    from moto.dynamodb.models.dynamo_type import Item

    gc.collect()
    return sum(isinstance(o, Item) for o in gc.get_objects())


@pytest.mark.parametrize("forget", [True, False], ids=["runner", "without-forgetting"])
def test_moto_keeps_no_copy_of_the_table_per_settled_page(forget, monkeypatch):
    if not forget:  # the runner as it was: the same run keeps a table copy per transaction
        monkeypatch.setattr(local_stack, "forget_table_copies", lambda: None)
    with local_stack.LocalStack() as stack:
        key = stack.upload(_pages_pdf(8), "eight.pdf")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=600)
        live = _live_dynamodb_items()  # before the scan below, whose own copies moto tracks too
        stored = sum(page["Count"] for page in stack.aws.dynamodb.get_paginator("scan").paginate(
            TableName=stack.settings.table_name, Select="COUNT"))
    if forget:
        assert live <= stored, (live, stored)  # the table's own items, no copies
    else:
        assert live > 3 * stored, (live, stored)  # what the fix removes, so the check can fail
