"""bench.speed's billing arithmetic: DynamoDB item sizes as DynamoDB counts them."""

from __future__ import annotations

from bench.speed import cost


def test_item_bytes_count_binaries_raw_and_numbers_by_digits():
    item = {
        "pk": {"S": "JOB#é"},  # 2 + 6 (é is two bytes in UTF-8)
        "body_gz": {"B": b"\x1f\x8b" * 1000},  # 7 + 2000: raw bytes, not their repr or base64
        "n": {"N": "12345"},  # 1 + 4: three bytes for 5 significant digits, plus one
        "tables": {"L": [{"N": "1"}, {"S": "ab"}]},  # 6 + 3 + (1 + 2) + (1 + 2)
        "m": {"M": {"k": {"BOOL": True}}},  # 1 + 3 + (1 + 1 + 1)
        "pages": {"NS": ["1", "100"]},  # 5 + 2 + 2
    }
    assert cost.dynamodb_item_bytes(item) == 8 + 2007 + 5 + 15 + 7 + 9


def test_a_binary_of_3000_bytes_is_three_write_units_not_twelve():
    item = {"pk": {"S": "a"}, "body_gz": {"B": b"\x00" * 3000}}
    assert cost.request_units("dynamodb", "PutItem", {"Item": item}) == {"dynamodb_wru": 3.0}


def test_updates_are_billed_on_the_item_as_it_stands_after():
    big = {"pk": {"S": "a" * 2500}}
    assert cost.request_units("dynamodb", "UpdateItem", {}, {}, [big]) == {"dynamodb_wru": 3.0}
    assert cost.request_units("dynamodb", "UpdateItem", {}) == {"dynamodb_wru": 1.0}
    transaction = {"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Update": {}}]}
    assert cost.request_units("dynamodb", "TransactWriteItems", transaction, {}, [big]) == {"dynamodb_wru": 8.0}
